from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext
from ..util import utcnow
from .units import Unit

STATUSES = {"draft": lazy_gettext("草稿"), "open": lazy_gettext("进行中"),
            "closed": lazy_gettext("已结束")}
PHASES = {
    "mobilise": lazy_gettext("动员部署"),
    "inspect": lazy_gettext("组织推进·查摆问题"),
    "rectify": lazy_gettext("自查自纠"),
    "appraise": lazy_gettext("评议考核"),
}


class Campaign(db.Model):
    """An appraisal campaign (评议活动): units, rater groups, a questionnaire and codes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(100), default="")
    doc_number: Mapped[str] = mapped_column(String(60), default="")
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    phase: Mapped[str] = mapped_column(String(16), default="appraise")
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    min_group_size: Mapped[int] = mapped_column(default=5)
    comments_enabled: Mapped[bool] = mapped_column(default=True)
    intro: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: When a campaign being closed with a grace period closes (no new code entries
    #: meanwhile; ballots already opened are accepted until then); None otherwise.
    closes_at: Mapped[datetime | None]
    #: The scoring rules frozen when the campaign opened (see scoring.rules), and their
    #: SHA-256; None while a draft. Deferred: the rules (every unit, item and scheme
    #: setting) are read from the database when used, not parsed with every campaign a
    #: respondent's page loads.
    rules: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    rules_sha256: Mapped[str | None] = mapped_column(String(64))

    groups: Mapped[list[RaterGroup]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="RaterGroup.position"
    )
    items: Mapped[list[Item]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="Item.position"
    )
    campaign_units: Mapped[list[CampaignUnit]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )
    schemes: Mapped[list[CampaignScheme]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan",
        order_by="CampaignScheme.position"
    )
    sections: Mapped[list[Section]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="Section.position"
    )
    #: 差别权重: a rater group's weight for the units of a category, where it differs from
    #: the group's own weight: ``{category: {str(group id): weight}}``.
    category_weights: Mapped[dict | None] = mapped_column(JSON, default=dict)

    @property
    def status_label(self) -> str:
        return str(STATUSES.get(self.status, self.status))

    @property
    def phase_label(self) -> str:
        return str(PHASES.get(self.phase, self.phase))

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def units(self) -> list[Unit]:
        """The appraised units in display order."""
        return sorted((cu.unit for cu in self.campaign_units), key=lambda u: (u.position, u.id))


class CampaignUnit(db.Model):
    """A unit appraised in a campaign."""

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("unit.id", ondelete="RESTRICT"), primary_key=True
    )

    campaign: Mapped[Campaign] = relationship(back_populates="campaign_units")
    unit: Mapped[Unit] = relationship(lazy="joined")


class RaterGroup(db.Model):
    """A rater group (评议主体) with its weight in the composite score."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))
    weight: Mapped[float] = mapped_column(default=1.0)
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="groups")


class Section(db.Model):
    """A part of the questionnaire, asked of some rater groups (``groups``: their ids;
    empty: every group)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200), default="")
    groups: Mapped[list] = mapped_column(JSON, default=list)

    campaign: Mapped[Campaign] = relationship(back_populates="sections")
    questions: Mapped[list[Question]] = relationship(
        back_populates="section", cascade="all, delete-orphan", order_by="Question.position"
    )


class Question(db.Model):
    """A question of a section (scoring.layout.KINDS).

    A unit matrix (``kind`` "units") asks its items (``Item`` rows) about units:
    ``routes`` is a list of ``{"groups": [ids] (empty: all), "units": [ids],
    "categories": [names]}`` (no units and no categories: every unit), empty for every
    unit for every group. ``options`` are a choice question's ``{"label", "score"}``;
    ``settings`` hold ``min``/``max`` (choices, or the number's range) and ``max_length``.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(
        ForeignKey("section.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10), default="units")
    label: Mapped[str] = mapped_column(String(300), default="")
    required: Mapped[bool] = mapped_column(default=True)
    options: Mapped[list] = mapped_column(JSON, default=list)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    routes: Mapped[list] = mapped_column(JSON, default=list)
    #: The scheme whose items this matrix holds (its proposal), None for the admin's own.
    scheme: Mapped[str | None] = mapped_column(String(64))

    campaign: Mapped[Campaign] = relationship()
    section: Mapped[Section] = relationship(back_populates="questions")
    items: Mapped[list[Item]] = relationship(back_populates="question",
                                             order_by="Item.position")


class Item(db.Model):
    """A question asked about each unit of a unit matrix (one row of the grading matrix).

    ``options`` is the answer scale, in display order: a list of
    ``{"label": str, "score": number | None, "abstain": bool}``; an abstaining option
    (不了解) counts towards response, never towards the score.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(100))
    options: Mapped[list] = mapped_column(JSON)
    required: Mapped[bool] = mapped_column(default=True)
    #: The scheme that scores this item.
    scheme: Mapped[str | None] = mapped_column(String(64))
    #: The unit matrix asking it.
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )

    campaign: Mapped[Campaign] = relationship(back_populates="items")
    question: Mapped[Question | None] = relationship(back_populates="items")


class CampaignScheme(db.Model):
    """A scoring scheme enabled for a campaign, with its configuration."""

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    scheme: Mapped[str] = mapped_column(String(64), primary_key=True)
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="schemes")


class ResultSnapshot(db.Model):
    """Results as published when a campaign closed, kept to verify them later."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rules_sha256: Mapped[str] = mapped_column(String(64))
    results_sha256: Mapped[str] = mapped_column(String(64))
    results: Mapped[dict] = mapped_column(JSON)
    #: What the bootstrap decided (``CampaignResults.bootstrap``), reused while the
    #: ballots and rules are those it was drawn from; None before 0007 or without one.
    bootstrap: Mapped[dict | None] = mapped_column(JSON, deferred=True)
