"""The respondent's ballot: the questionnaire as shown, parsing, validation, storage."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import insert, select

from ..database import DriverStatement
from ..extensions import db
from ..i18n import gettext as _
from ..models import Ballot, Campaign, CampaignUnit, Comment, Unit
from ..scoring.cube import pack_cells
from ..util import today
from . import ServiceError
from .codes import spend_code

COMMENT_MAX = 500
GENERAL = "general"


@dataclass(frozen=True)
class Option:
    index: int
    label: str
    score: float | None
    abstain: bool


@dataclass(frozen=True)
class QItem:
    id: int
    label: str
    options: tuple[Option, ...]
    required: bool
    scheme: str | None = None


@dataclass(frozen=True)
class QUnit:
    id: int
    name: str
    category: str


@dataclass(frozen=True)
class Questionnaire:
    """Everything needed to show and check a campaign's ballot, detached from the session."""

    campaign_id: int
    title: str
    intro: str
    comments_enabled: bool
    units: tuple[QUnit, ...]
    items: tuple[QItem, ...]
    #: The frozen rules' SHA-256 once the campaign is open; a ballot checked against this
    #: questionnaire is stored only while the campaign's rules still have this hash.
    rules_sha256: str | None = None
    #: ``{scheme key: config}`` of the enabled schemes, for the validate_ballot hook.
    schemes: dict = field(default_factory=dict, compare=False)

    @property
    def categories(self) -> list[tuple[str, list[QUnit]]]:
        """Units grouped by category, categories in order of first appearance."""
        groups: dict[str, list[QUnit]] = {}
        for unit in self.units:
            groups.setdefault(unit.category, []).append(unit)
        return list(groups.items())

    @property
    def cells(self) -> int:
        return len(self.units) * len(self.items)


def answer_field(unit_id: int, item_id: int) -> str:
    return f"a-{unit_id}-{item_id}"


def comment_field(unit_id: int | None) -> str:
    return f"c-{GENERAL if unit_id is None else unit_id}"


def questionnaire(campaign: Campaign) -> Questionnaire:
    """The campaign's ballot as respondents see it."""
    units, items = campaign.units, campaign.items
    if campaign.rules:  # open: the frozen order, which the ballots' packed cells follow
        units = _in_order(units, campaign.rules["units"])
        items = _in_order(items, campaign.rules["items"])
        schemes = {k: v["config"] for k, v in campaign.rules["schemes"].items()}
    else:
        schemes = {row.scheme: row.config for row in campaign.schemes}
    return Questionnaire(
        campaign_id=campaign.id,
        title=campaign.title,
        intro=campaign.intro,
        comments_enabled=campaign.comments_enabled,
        units=tuple(QUnit(u.id, u.name, u.category) for u in units),
        items=tuple(
            QItem(
                item.id,
                item.label,
                tuple(Option(i, o["label"], o.get("score"), bool(o.get("abstain")))
                      for i, o in enumerate(item.options)),
                item.required,
                item.scheme,
            )
            for item in items
        ),
        rules_sha256=campaign.rules_sha256,
        schemes=schemes,
    )


# -- the questionnaire of an open campaign, built once per process --------------------------

def current_questionnaire(campaign: Campaign) -> tuple[Questionnaire, dict | None]:
    """``questionnaire(campaign)`` and a dict for the caller's renderings of it (the
    respondent's page keeps its grid there, per language), built once per process for a
    campaign whose rules are frozen (open or closed) and reused while nothing it shows
    has changed (a draft's: built each time, no cache).

    Once a campaign opens its items and unit list are locked (and the frozen rules, hence
    their SHA-256, hold every item's label, scheme and options); what can still change is
    the campaign's title and intro and the units' names, categories and order. Those are
    part of the cache key, read fresh on every request in one small query.
    """
    if campaign.rules_sha256 is None:
        return questionnaire(campaign), None
    unit_rows = tuple(tuple(row) for row in db.session.execute(
        select(Unit.id, Unit.name, Unit.category, Unit.position)
        .join(CampaignUnit, CampaignUnit.unit_id == Unit.id)
        .where(CampaignUnit.campaign_id == campaign.id)
        .order_by(Unit.id)
    ))
    key = (campaign.rules_sha256, campaign.title, campaign.intro, campaign.comments_enabled,
           unit_rows)
    cache = _questionnaires()
    cached = cache.get(campaign.id)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    q = questionnaire(campaign)
    cache[campaign.id] = (key, q, {})
    return q, cache[campaign.id][2]


def _questionnaires() -> dict:
    return current_app.extensions.setdefault("evalplatform.questionnaires", {})


def last_questionnaire(campaign_id) -> Questionnaire | None:
    """The questionnaire this process last built for an open campaign, if any. Unit names
    in it may be out of date (they only appear in messages); its items, options and unit
    ids are those of the frozen rules whose hash it carries."""
    cached = _questionnaires().get(campaign_id)
    return cached[1] if cached is not None else None


def forget_questionnaire(campaign_id: int) -> None:
    """Drop this process's questionnaire of a campaign (its rules changed under it)."""
    _questionnaires().pop(campaign_id, None)


def _in_order(rows, frozen: list[dict]) -> list:
    position = {entry["id"]: k for k, entry in enumerate(frozen)}
    return sorted(rows, key=lambda row: position.get(row.id, len(position)))


@dataclass
class BallotInput:
    """A parsed ballot: answers by (unit_id, item_id) and comments by unit (None: general)."""

    answers: dict[tuple[int, int], int] = field(default_factory=dict)
    comments: dict[int | None, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def parse_ballot(q: Questionnaire, form) -> BallotInput:
    """Read a submitted form (any mapping of field name to string) into a BallotInput.

    Every required cell must hold one valid option; errors are keyed by field name.
    """
    result = BallotInput()
    for unit in q.units:
        for item in q.items:
            name = answer_field(unit.id, item.id)
            values = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
            values = [v for v in values if v not in (None, "")]
            if not values:
                if item.required:
                    result.errors[name] = _("请为“%(unit)s”选择“%(item)s”的评价。",
                                           unit=unit.name, item=item.label)
                continue
            if len(values) > 1:
                result.errors[name] = _("“%(unit)s”的“%(item)s”只能选择一项。",
                                       unit=unit.name, item=item.label)
                continue
            value = values[0]
            if not (value.isascii() and value.isdigit()) or int(value) >= len(item.options):
                result.errors[name] = _("“%(unit)s”的“%(item)s”选项无效，请重新选择。",
                                       unit=unit.name, item=item.label)
                continue
            result.answers[(unit.id, item.id)] = int(value)
    if q.comments_enabled:
        for unit_id in [None, *(u.id for u in q.units)]:
            name = comment_field(unit_id)
            # (``in`` first: a werkzeug MultiDict's get() builds an exception when absent)
            text = (form.get(name) or "").strip() if name in form else ""
            if len(text) > COMMENT_MAX:
                result.errors[name] = _("意见建议不超过 %(max)s 字（现有 %(count)s 字）。",
                                       max=COMMENT_MAX, count=len(text))
            elif text:
                result.comments[unit_id] = text
    return result


def check_ballot_rules(q: Questionnaire, ballot: BallotInput) -> None:
    """Add to ``ballot.errors`` what the enabled schemes' rules refuse (validate_ballot
    hook), e.g. more 优秀 votes than allowed. Only a ballot complete so far is checked.

    The campaign is read from the database only if some implementation asks for it.
    """
    from ..plugins import hook

    if not ballot.valid:
        return
    caller = hook().validate_ballot
    campaign = None
    if any("campaign" in impl.argnames for impl in caller.get_hookimpls()):
        campaign = db.session.get(Campaign, q.campaign_id)
    for problems in caller(campaign=campaign, questionnaire=q, ballot=ballot,
                           schemes=q.schemes):
        for field_name, message in (problems or {}).items():
            ballot.errors.setdefault(field_name, message)


@dataclass(frozen=True)
class Receipt:
    """What the respondent is shown after submitting. Identifies nothing."""

    campaign_title: str
    submitted_on: date
    units_rated: int


def _random_id() -> int:
    return secrets.randbits(63) or 1


@functools.lru_cache(maxsize=8)
def _insert_statements(dialect) -> tuple[DriverStatement, DriverStatement]:
    """The INSERTs of a ballot and of a comment, compiled once for a dialect: a ballot is
    written, never read back, so neither the ORM nor SQLAlchemy's execution machinery
    has anything to do while the write lock is held."""
    return (DriverStatement(insert(Ballot.__table__), dialect),
            DriverStatement(insert(Comment.__table__), dialect))


def submit_ballot(code_hash: bytes, q: Questionnaire, ballot: BallotInput,
                  connection=None) -> Receipt:
    """Spend the code and store the ballot in one transaction: the DB-API ``connection``'s
    (one in a write transaction of :func:`~evalplatform.database.driver_transaction`),
    else the session's. The caller commits.

    Raises CodeRefused when the code cannot be used (then nothing is stored), ServiceError
    for a ballot that does not validate.
    """
    if not ballot.valid:
        raise ServiceError(_("评议表填写不完整，请检查标记的项目。"))
    # Everything is prepared before the first statement takes the write lock.
    ballot_id, submitted_on = _random_id(), today()
    cells = pack_cells([u.id for u in q.units], [i.id for i in q.items], ballot.answers)
    dialect = db.engine.dialect
    insert_ballot, insert_comment = _insert_statements(dialect)
    if connection is None:
        connection = db.session.connection().connection.dbapi_connection
    cursor = connection.cursor()
    try:
        access = spend_code(code_hash, q.campaign_id, q.rules_sha256, cursor, dialect)
        insert_ballot.execute(cursor, {
            "id": ballot_id, "campaign_id": q.campaign_id,
            "rater_group_id": access.rater_group_id, "submitted_on": submitted_on,
            "cells": cells})
        for unit_id, text in ballot.comments.items():
            insert_comment.execute(cursor, {"id": _random_id(), "ballot_id": ballot_id,
                                            "unit_id": unit_id, "text": text})
    finally:
        cursor.close()
    units_rated = len({unit_id for unit_id, _ in ballot.answers})
    return Receipt(q.title, submitted_on, units_rated)
