"""Reports: a campaign's bulletin letterhead, the documents generated from it (kept with
their SHA-256 so a circulated copy can be checked), and the background jobs that make
them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext
from ..util import utcnow


class ReportSettings(db.Model):
    """What an admin writes on a campaign's bulletin (通报) besides the results. The
    issuing body and document number live on the campaign itself. Texts may hold
    placeholders such as ``{{ 评议票数 }}`` (rendered in a sandbox, see reports.letterhead).
    """

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    recipients: Mapped[str] = mapped_column(String(300), default="")
    opening: Mapped[str] = mapped_column(Text, default="")
    closing: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(String(200), default="")
    issued_on: Mapped[date | None]
    copy_to: Mapped[str] = mapped_column(String(300), default="")
    #: Whether each unit's report quotes the free-text comments raters left about it.
    unit_comments: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


DOCUMENT_KINDS = {"bulletin": lazy_gettext("通报"), "unit_report": lazy_gettext("单位报告"),
                  "unit_reports": lazy_gettext("各单位报告")}


class Document(db.Model):
    """A generated file (PDF or ZIP of PDFs), stored under ``instance/documents``."""

    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[int | None]
    #: The path under the documents folder (``<campaign>/<sha256>.<ext>``).
    path: Mapped[str] = mapped_column(String(200))
    #: What the document was made from: the rules' hash, the ballot count, and whether
    #: the campaign was still open (a draft, 征求意见稿).
    rules_sha256: Mapped[str | None] = mapped_column(String(64))
    ballots: Mapped[int] = mapped_column(default=0)
    draft: Mapped[bool] = mapped_column(default=False)
    #: SHA-256 of everything it shows (results, letterhead, plugins' data, the day, the
    #: kind and unit): asking again for the same document reuses this one.
    inputs_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    created_by = relationship("User", lazy="joined")
    unit = relationship("Unit", lazy="joined")

    @property
    def kind_label(self) -> str:
        return str(DOCUMENT_KINDS.get(self.kind, self.kind))


JOB_STATUSES = {"queued": lazy_gettext("排队中"), "running": lazy_gettext("生成中"),
                "done": lazy_gettext("已完成"), "failed": lazy_gettext("失败")}


class Job(db.Model):
    """A report being made outside the request, with the progress a user can watch.

    The row is the job's whole state (any web worker can show it); a queue only carries
    its id. ``heartbeat_at`` moves while it runs, so a job whose worker died shows as
    interrupted instead of running for ever.
    """

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=1)
    message: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    document = relationship(Document, lazy="joined")

    @property
    def kind_label(self) -> str:
        return str(DOCUMENT_KINDS.get(self.kind, self.kind))

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0
