from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..util import utcnow

#: AccessCode.status values.
CODE_NEW, CODE_USED, CODE_VOID = "new", "used", "void"


class CodeBatch(db.Model):
    """Codes issued together for one rater group; the plaintext left with the download."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    rater_group_id: Mapped[int] = mapped_column(ForeignKey("rater_group.id", ondelete="CASCADE"))
    count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]

    rater_group = relationship("RaterGroup")


class AccessCode(db.Model):
    """A one-time access code, known only by its keyed hash. Never linked to a ballot."""

    __table_args__ = (Index("ix_access_code_participation", "campaign_id", "rater_group_id",
                            "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    rater_group_id: Mapped[int] = mapped_column(ForeignKey("rater_group.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batch.id", ondelete="CASCADE"),
                                          index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    status: Mapped[str] = mapped_column(String(8), default=CODE_NEW)
