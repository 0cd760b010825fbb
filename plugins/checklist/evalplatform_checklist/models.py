"""The checklist plugin's tables: reviews (对照检查) and the rectification ledger (整改台账).

The plugin owns them: they are created by its own migrations
(``evalplatform_checklist/migrations``, Alembic version table ``alembic_version_checklist``),
and uninstalling the plugin leaves them, and their rows, where they are.


An evaluator checks a unit against named checklists (三查三看, 四个是否 …) and records per
item 符合 / 基本符合 / 不符合, a deduction, a note and evidence. Every 不符合 becomes a
problem on the unit's rectification list, worked off with a measure, a responsible
person, a deadline and evidence of completion. The checklists themselves are scheme
configuration (the ``checklist`` plugin); these tables hold what was found and done.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalplatform.extensions import db
from evalplatform.i18n import N_
from evalplatform.models import Unit, User
from evalplatform.util import utcnow

#: What an evaluator may find for a checklist item. These are stored values (and message
#: ids): show them as ``_(value)``.
RESULTS = (N_("符合"), N_("基本符合"), N_("不符合"))
FAILED = "不符合"
#: Stored statuses of a rectification item; 逾期 (overdue) is computed from the deadline.
STATUSES = (N_("未开始"), N_("整改中"), N_("已完成"))
NOT_STARTED, IN_PROGRESS, DONE = STATUSES
OVERDUE = N_("逾期")


class Evidence:
    """An uploaded file kept outside the web root: what the uploader called it, the random
    name it is stored under, its size, SHA-256 and content type."""

    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_file: Mapped[str | None] = mapped_column(String(80))
    evidence_size: Mapped[int | None]
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_type: Mapped[str | None] = mapped_column(String(100))

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_file)


class ChecklistEntry(Evidence, db.Model):
    """One checklist item as found for one unit in one campaign."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "unit_id", "checklist", "item"),
        CheckConstraint("deduction >= 0", name="deduction_not_negative"),
        CheckConstraint("result IN ('符合', '基本符合', '不符合')", name="result_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    #: Keys of the checklist and of the item in the scheme configuration.
    checklist: Mapped[str] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(String(64))
    #: The item's wording when it was reviewed (configuration may change in a draft).
    item_text: Mapped[str] = mapped_column(String(500))
    result: Mapped[str] = mapped_column(String(8))
    deduction: Mapped[float] = mapped_column(default=0.0)
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    reviewer: Mapped[User | None] = relationship()
    rectification: Mapped[RectificationItem | None] = relationship(back_populates="entry")


class RectificationItem(Evidence, db.Model):
    """A problem on a unit's rectification list (整改台账), from a 不符合 finding or
    entered by hand; the evidence columns hold the evidence of completion."""

    __table_args__ = (
        CheckConstraint("status IN ('未开始', '整改中', '已完成')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"),
                                             index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("checklist_entry.id", ondelete="SET NULL"), unique=True)
    problem: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(String(100), default="")
    deadline: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(8), default=NOT_STARTED)
    completed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    entry: Mapped[ChecklistEntry | None] = relationship(back_populates="rectification")

    def is_overdue(self, today: date) -> bool:
        """Past its deadline and not completed (the deadline day itself is not late)."""
        return self.status != DONE and self.deadline is not None and self.deadline < today

    def display_status(self, today: date) -> str:
        """未开始 / 整改中 / 已完成, or 逾期 when overdue."""
        return OVERDUE if self.is_overdue(today) else self.status


class ChecklistSnapshot(db.Model):
    """The review findings and ledger state a closed campaign's results were computed
    from, kept when it closed: the ledger goes on changing, published results do not."""

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    as_of: Mapped[date]
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
