"""The respondent's ballot: the questionnaire as shown, parsing, validation, storage."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from flask import current_app
from sqlalchemy import insert, select

from ..database import DriverStatement
from ..extensions import db
from ..i18n import gettext as _
from ..models import Ballot, Campaign, CampaignUnit, Comment, Unit
from ..scoring.layout import Layout
from ..util import today
from . import ServiceError
from .codes import CodeRefused, spend_code

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


def by_category(units) -> list[tuple[str, list[QUnit]]]:
    """Units grouped by category, categories in order of first appearance."""
    groups: dict[str, list[QUnit]] = {}
    for unit in units:
        groups.setdefault(unit.category, []).append(unit)
    return list(groups.items())


@dataclass(frozen=True)
class QMatrix:
    """A unit matrix as one rater group is asked it: its items about its units (the
    ``cells`` asked: a group may be asked about some units on some items only)."""

    id: int
    label: str
    items: tuple[QItem, ...]
    units: tuple[QUnit, ...]
    cells: frozenset[tuple[int, int]]
    kind: str = "units"

    @property
    def categories(self) -> list[tuple[str, list[QUnit]]]:
        return by_category(self.units)

    def items_for(self, unit_id: int) -> tuple[QItem, ...]:
        return tuple(i for i in self.items if (unit_id, i.id) in self.cells)


@dataclass(frozen=True)
class QQuestion:
    """A question that is not about units: single or multiple choice, text, number."""

    id: int
    kind: str
    label: str
    required: bool
    options: tuple[Option, ...] = ()
    min: int | None = None
    max: int | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class QSection:
    id: int
    title: str
    parts: tuple[QMatrix | QQuestion, ...]


@dataclass(frozen=True)
class Questionnaire:
    """Everything needed to show and check one rater group's ballot, detached from the
    session (``group_id`` None: a questionnaire that asks every group the same)."""

    campaign_id: int
    title: str
    intro: str
    comments_enabled: bool
    sections: tuple[QSection, ...]
    group_id: int | None = None
    #: The frozen rules' SHA-256 once the campaign is open; a ballot checked against this
    #: questionnaire is stored only while the campaign's rules still have this hash.
    rules_sha256: str | None = None
    #: ``{scheme key: config}`` of the enabled schemes, for the validate_ballot hook.
    schemes: dict = field(default_factory=dict, compare=False)
    #: Where the group's answers sit in a ballot (scoring.layout), and the group's index.
    layout: Layout | None = field(default=None, compare=False, repr=False)
    group_index: int = 0

    @property
    def matrices(self) -> list[QMatrix]:
        return [p for s in self.sections for p in s.parts if isinstance(p, QMatrix)]

    @property
    def questions(self) -> list[QQuestion]:
        return [p for s in self.sections for p in s.parts if isinstance(p, QQuestion)]

    @property
    def units(self) -> tuple[QUnit, ...]:
        """Every unit the group is asked about, once, in order."""
        return tuple({u.id: u for m in self.matrices for u in m.units}.values())

    @property
    def items(self) -> tuple[QItem, ...]:
        """Every matrix item the group is asked, once, in order."""
        return tuple({i.id: i for m in self.matrices for i in m.items}.values())

    @property
    def categories(self) -> list[tuple[str, list[QUnit]]]:
        return by_category(self.units)

    @functools.cached_property
    def comment_units(self) -> dict[int, frozenset[int]]:
        """Per matrix, the units whose comment box it shows (each unit's in the first
        matrix asking about it)."""
        seen: set[int] = set()
        out = {}
        for matrix in self.matrices:
            own = frozenset(u.id for u in matrix.units if u.id not in seen)
            seen |= own
            out[matrix.id] = own
        return out

    @property
    def general_comment(self) -> bool:
        """Whether the ballot ends with the general comment box: comments are on and the
        group is asked no open question of its own (which takes its place)."""
        return self.comments_enabled and not any(p.kind == "text" for p in self.questions)

    @property
    def cells(self) -> int:
        """Answers the group is asked for: matrix cells and questions."""
        return sum(len(m.cells) for m in self.matrices) + len(self.questions)


def answer_field(unit_id: int, item_id: int) -> str:
    return f"a-{unit_id}-{item_id}"


def question_field(question_id: int) -> str:
    return f"q-{question_id}"


def comment_field(unit_id: int | None) -> str:
    return f"c-{GENERAL if unit_id is None else unit_id}"


ANSWER_FIELD = re.compile(r"[aq]-\d+(-\d+)?")
TEXT_MAX = 2000
DEFAULT_TEXT_MAX = 500
NUMBER_LIMIT = 10**9


def _options(raw) -> tuple[Option, ...]:
    return tuple(Option(i, o["label"], o.get("score"), bool(o.get("abstain")))
                 for i, o in enumerate(raw))


def questionnaire(campaign: Campaign, group_id: int | None = None) -> Questionnaire:
    """The campaign's ballot as the rater group ``group_id`` sees it: the sections asked
    of it, each matrix with the units and items it is asked about. Built from the frozen
    rules once open (from the rules the draft would freeze before); units' names and
    categories as they are now. ``group_id`` None: the first group's (a questionnaire
    that asks every group the same is the same for each)."""
    return questionnaires(campaign, [group_id])[0]


def questionnaires(campaign: Campaign, group_ids) -> list[Questionnaire]:
    """:func:`questionnaire` for each of these rater groups, from one reading of the rules."""
    from ..scoring.engine import registered_schemes
    from ..scoring.rules import rules_for

    rules, _hash, frozen = rules_for(campaign, registered_schemes())
    layout = Layout.from_rules(rules)
    now = {u.id: u for u in campaign.units}
    units = {u["id"]: QUnit(u["id"], now[u["id"]].name if u["id"] in now else u["name"],
                            now[u["id"]].category if u["id"] in now else u["category"])
             for u in rules["units"]}
    order = sorted(units, key=lambda uid: ((now[uid].position, uid) if uid in now else (0, uid)))
    required = {item.id: item.required for item in campaign.items}
    items = {i["id"]: QItem(i["id"], i["label"], _options(i["options"]),
                            required.get(i["id"], True), i.get("scheme"))
             for i in rules["items"]}
    common = {"campaign_id": campaign.id, "title": campaign.title, "intro": campaign.intro,
              "comments_enabled": campaign.comments_enabled,
              "rules_sha256": campaign.rules_sha256 if frozen else None,
              "schemes": {k: v["config"] for k, v in rules["schemes"].items()},
              "layout": layout}
    return [Questionnaire(sections=_sections_asked(layout, units, order, items, group_id),
                          group_id=group_id, group_index=_group_index(layout, group_id),
                          **common)
            for group_id in group_ids]


def _group_index(layout: Layout, group_id: int | None) -> int:
    if group_id is None:
        if layout.group_ids and not layout.complete:
            raise ValueError("this questionnaire asks groups different questions: name one")
        return 0
    return layout.group_ids.index(group_id)


def _sections_asked(layout: Layout, units: dict, order: list, items: dict,
                    group_id: int | None) -> tuple[QSection, ...]:
    """The sections, matrices (their cells) and questions the group is asked (with no
    groups yet, as a draft may be: everything)."""
    g = _group_index(layout, group_id)
    routed = layout.routed[:, :, g] if layout.group_ids else np.ones(
        (len(layout.unit_ids), len(layout.item_ids)), dtype=bool)
    u_index = {u: k for k, u in enumerate(layout.unit_ids)}
    i_index = {i: k for k, i in enumerate(layout.item_ids)}
    sections = []
    for section in layout.sections:
        if layout.group_ids and layout.group_ids[g] not in section.groups:
            continue
        parts: list[QMatrix | QQuestion] = []
        for q in section.questions:
            if q.kind == "units":
                cells = frozenset((u, i) for u in units for i in q.items
                                  if i in i_index and routed[u_index[u], i_index[i]])
                asked_units = tuple(units[u] for u in order if any(
                    (u, i) in cells for i in q.items))
                asked_items = tuple(items[i] for i in q.items if any(
                    (u.id, i) in cells for u in asked_units))
                if cells:
                    parts.append(QMatrix(q.id, q.label, asked_items, asked_units, cells))
            else:
                parts.append(QQuestion(q.id, q.kind, q.label, q.required, _options(q.options),
                                       q.min, q.max, q.max_length))
        if parts:
            sections.append(QSection(section.id, section.title, tuple(parts)))
    return tuple(sections)


# -- the questionnaire of an open campaign, built once per process --------------------------

def current_questionnaire(campaign: Campaign, group_id: int | None = None
                          ) -> tuple[Questionnaire, dict | None]:
    """``questionnaire(campaign, group_id)`` and a dict for the caller's renderings of it (the
    respondent's page keeps its grid there, per language), built once per process for a
    campaign whose rules are frozen (open or closed) and reused while nothing it shows
    has changed (a draft's: built each time, no cache).

    Once a campaign opens its items and unit list are locked (and the frozen rules, hence
    their SHA-256, hold every item's label, scheme and options); what can still change is
    the campaign's title and intro and the units' names, categories and order. Those are
    part of the cache key, read fresh on every request in one small query.
    """
    if campaign.rules_sha256 is None:
        return questionnaire(campaign, group_id), None
    unit_rows = tuple(tuple(row) for row in db.session.execute(
        select(Unit.id, Unit.name, Unit.category, Unit.position)
        .join(CampaignUnit, CampaignUnit.unit_id == Unit.id)
        .where(CampaignUnit.campaign_id == campaign.id)
        .order_by(Unit.id)
    ))
    key = (campaign.rules_sha256, campaign.title, campaign.intro, campaign.comments_enabled,
           unit_rows)
    cache = _questionnaires()
    cached = cache.get((campaign.id, group_id))
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    q = questionnaire(campaign, group_id)
    cache[(campaign.id, group_id)] = (key, q, {})
    return q, cache[(campaign.id, group_id)][2]


def _questionnaires() -> dict:
    return current_app.extensions.setdefault("evalplatform.questionnaires", {})


def last_questionnaire(campaign_id, group_id=None) -> Questionnaire | None:
    """The questionnaire this process last built for a rater group of an open campaign,
    if any. Unit names in it may be out of date (they only appear in messages); its
    items, options and unit ids are those of the frozen rules whose hash it carries."""
    cached = _questionnaires().get((campaign_id, group_id))
    return cached[1] if cached is not None else None


def forget_questionnaire(campaign_id: int) -> None:
    """Drop this process's questionnaires of a campaign (its rules changed under it)."""
    cache = _questionnaires()
    for key in [k for k in cache if k[0] == campaign_id]:
        cache.pop(key, None)


@dataclass
class BallotInput:
    """A parsed ballot: answers by (unit_id, item_id), the other questions' answers by
    question id (an option index, a tuple of them, a text or a number) and comments by
    unit (None: general)."""

    answers: dict[tuple[int, int], int] = field(default_factory=dict)
    comments: dict[int | None, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    choices: dict[int, int | tuple[int, ...] | str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def _values(form, name: str) -> list[str]:
    values = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
    return [v for v in values if v not in (None, "")]


def _option(value: str, options) -> int | None:
    if value.isascii() and value.isdigit() and int(value) < len(options):
        return int(value)
    return None


def parse_ballot(q: Questionnaire, form) -> BallotInput:
    """Read a submitted form (any mapping of field name to string) into a BallotInput.

    Every required cell and question must hold a valid answer within its limits, and
    nothing may answer what the group is not asked; errors are keyed by field name.
    """
    result, errors, expected = BallotInput(), {}, set()
    for matrix in q.matrices:
        for unit in matrix.units:
            for item in matrix.items_for(unit.id):
                name = answer_field(unit.id, item.id)
                expected.add(name)
                values = _values(form, name)
                if not values:
                    if item.required:
                        errors[name] = _("请为“%(unit)s”选择“%(item)s”的评价。",
                                         unit=unit.name, item=item.label)
                elif len(values) > 1:
                    errors[name] = _("“%(unit)s”的“%(item)s”只能选择一项。",
                                     unit=unit.name, item=item.label)
                elif (option := _option(values[0], item.options)) is None:
                    errors[name] = _("“%(unit)s”的“%(item)s”选项无效，请重新选择。",
                                     unit=unit.name, item=item.label)
                else:
                    result.answers[(unit.id, item.id)] = option
    for question in q.questions:
        name = question_field(question.id)
        expected.add(name)
        problem, value = _answer(question, _values(form, name))
        if problem:
            errors[name] = problem
        elif value is not None:
            result.choices[question.id] = value
    for name in (form.keys() if hasattr(form, "keys") else ()):
        if ANSWER_FIELD.fullmatch(name) and name not in expected:
            errors.setdefault(name, _("有一项回答不属于您的评议表，请刷新页面后重新填写。"))
    if q.comments_enabled:
        for unit_id in [*([None] if q.general_comment else []), *(u.id for u in q.units)]:
            name = comment_field(unit_id)
            # (``in`` first: a werkzeug MultiDict's get() builds an exception when absent)
            text = (form.get(name) or "").strip() if name in form else ""
            if len(text) > COMMENT_MAX:
                errors[name] = _("意见建议不超过 %(max)s 字（现有 %(count)s 字）。",
                                 max=COMMENT_MAX, count=len(text))
            elif text:
                result.comments[unit_id] = text
    result.errors = errors
    return result


def _answer(question: QQuestion, values: list[str]):
    """(problem, answer) for one question that is not a matrix."""
    label = question.label
    if question.kind == "text":
        text = "\n".join(v.strip() for v in values).strip()
        limit = question.max_length or DEFAULT_TEXT_MAX
        if len(text) > limit:
            return _("“%(question)s”不超过 %(max)s 字（现有 %(count)s 字）。", question=label,
                     max=limit, count=len(text)), None
        if not text:
            return (_("请回答“%(question)s”。", question=label) if question.required else None), None
        return None, text
    if not values:
        return (_("请回答“%(question)s”。", question=label) if question.required else None), None
    if question.kind == "single":
        if len(values) > 1:
            return _("“%(question)s”只能选择一项。", question=label), None
        option = _option(values[0], question.options)
        if option is None:
            return _("“%(question)s”的选项无效，请重新选择。", question=label), None
        return None, option
    if question.kind == "multiple":
        chosen = [_option(v, question.options) for v in values]
        if None in chosen:
            return _("“%(question)s”的选项无效，请重新选择。", question=label), None
        chosen = sorted(set(chosen))
        low, high = question.min or 1, question.max or len(question.options)
        if len(chosen) > high:
            return _("“%(question)s”最多选 %(max)s 项（您选了 %(count)s 项）。", question=label,
                     max=high, count=len(chosen)), None
        if len(chosen) < low:
            return _("“%(question)s”至少选 %(min)s 项（您选了 %(count)s 项）。", question=label,
                     min=low, count=len(chosen)), None
        return None, tuple(chosen)
    # number
    raw = values[0].strip()
    digits = raw[1:] if raw.startswith("-") else raw
    if len(values) > 1 or not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
        return _("“%(question)s”请填写一个整数。", question=label), None
    number = int(raw)
    low = question.min if question.min is not None else -NUMBER_LIMIT
    high = question.max if question.max is not None else NUMBER_LIMIT
    if not low <= number <= high:
        return _("“%(question)s”须在 %(min)s 到 %(max)s 之间。", question=label,
                 min=low, max=high), None
    return None, number


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
    cells = q.layout.pack(q.group_index, ballot.answers,
                          {k: v for k, v in ballot.choices.items() if not isinstance(v, str)})
    texts = [(question_id, text) for question_id, text in ballot.choices.items()
             if isinstance(text, str)]
    dialect = db.engine.dialect
    insert_ballot, insert_comment = _insert_statements(dialect)
    if connection is None:
        connection = db.session.connection().connection.dbapi_connection
    cursor = connection.cursor()
    try:
        access = spend_code(code_hash, q.campaign_id, q.rules_sha256, cursor, dialect)
        if q.group_id is not None and access.rater_group_id != q.group_id:
            raise CodeRefused("stale")  # checked against another group's questionnaire
        insert_ballot.execute(cursor, {
            "id": ballot_id, "campaign_id": q.campaign_id,
            "rater_group_id": access.rater_group_id, "submitted_on": submitted_on,
            "cells": cells})
        for unit_id, text in ballot.comments.items():
            insert_comment.execute(cursor, {"id": _random_id(), "ballot_id": ballot_id,
                                            "unit_id": unit_id, "text": text,
                                            "question_id": None})
        for question_id, text in texts:
            insert_comment.execute(cursor, {"id": _random_id(), "ballot_id": ballot_id,
                                            "unit_id": None, "text": text,
                                            "question_id": question_id})
    finally:
        cursor.close()
    units_rated = len({unit_id for unit_id, _ in ballot.answers})
    return Receipt(q.title, submitted_on, units_rated)


# -- how long each group's ballot is ----------------------------------------------------------

#: Seconds a respondent takes, roughly, per answer of each kind (a tap on a phone for a
#: matrix cell or a choice, more for typing).
SECONDS = {"units": 5, "single": 8, "multiple": 12, "number": 10, "text": 45}
#: Answers beyond which a ballot is long enough to lose respondents (the builder warns).
LONG_BALLOT = 120


@dataclass(frozen=True)
class BallotLength:
    group_id: int
    group: str
    answers: int
    minutes: int

    @property
    def long(self) -> bool:
        return self.answers > LONG_BALLOT


def questionnaire_lengths(campaign: Campaign) -> list[BallotLength]:
    """Per rater group: how many answers its ballot asks for, and about how many minutes
    it takes ("N 题，约 M 分钟")."""
    out = []
    for group, q in zip(campaign.groups, questionnaires(campaign, [g.id for g in campaign.groups]),
                        strict=True):
        seconds = sum(len(m.cells) for m in q.matrices) * SECONDS["units"] + sum(
            SECONDS[question.kind] for question in q.questions)
        out.append(BallotLength(group.id, group.name, q.cells, max(1, -(-seconds // 60))))
    return out
