"""Recording checklist reviews, and the data the checklist scheme scores.

Every 不符合 finding puts a problem on the unit's rectification list (整改台账); changing
the finding back removes the problem again unless work on it has been recorded. Reviews
can be recorded while the campaign is a draft or open; once it closes they are part of
the published results and locked (the ledger stays open for work).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.i18n import gettext as _
from evalplatform.i18n import ngettext
from evalplatform.models import Campaign, Unit
from evalplatform.services import ServiceError, audit
from evalplatform.util import utcnow

from . import evidence
from .models import (
    FAILED,
    NOT_STARTED,
    OVERDUE,
    RESULTS,
    STATUSES,
    ChecklistEntry,
    ChecklistSnapshot,
    RectificationItem,
)

KEY = "checklist"
NOTE_MAX = 500


def local_today() -> date:
    """Today in the platform's time zone (deadlines are local dates)."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def local_date(moment: datetime) -> date:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def campaign_config(campaign: Campaign) -> dict | None:
    """The campaign's checklist configuration (the frozen one once open), or None when
    the campaign does not use the checklist scheme."""
    if campaign.rules is not None:
        spec = campaign.rules.get("schemes", {}).get(KEY)
        return spec["config"] if spec else None
    row = next((r for r in campaign.schemes if r.scheme == KEY), None)
    if row is None:
        return None
    from .scheme import SCHEME

    return SCHEME.normalize_config(row.config)


def config_items(config: dict) -> dict[tuple[str, str], tuple[dict, dict]]:
    """(checklist key, item key) -> (checklist, item), in configuration order."""
    return {(lst["key"], item["key"]): (lst, item) for lst in config["lists"]
            for item in lst["items"]}


def check_unit(campaign: Campaign, unit_id: int) -> Unit | None:
    return next((u for u in campaign.units if u.id == unit_id), None)


# -- recording -----------------------------------------------------------------------------

@dataclass
class ReviewInput:
    """One item as the evaluator filled it in; ``result`` empty means not reviewed."""

    checklist: str
    item: str
    result: str = ""
    deduction: str = ""
    note: str = ""
    upload: evidence.Upload | None = None


class ReviewErrors(ServiceError):
    """Some items were filled in wrongly: ``errors[item key]`` lists what is wrong."""

    def __init__(self, errors: dict[str, list[str]]):
        count = sum(len(v) for v in errors.values())
        super().__init__(ngettext("有 %(num)s 处需要修改，本次填写的检查结果均未保存。",
                                  "有 %(num)s 处需要修改，本次填写的检查结果均未保存。", count))
        self.errors = errors


@dataclass
class ReviewOutcome:
    saved: int = 0
    problems_added: int = 0
    problems_removed: int = 0
    #: Problems kept although the finding is no longer 不符合 (work was recorded on them).
    problems_kept: list[str] = field(default_factory=list)


@dataclass
class _Checked:
    input: ReviewInput
    checklist: dict
    item: dict
    deduction: float
    note: str
    file: evidence.CheckedFile | None


def locked_reason(campaign: Campaign) -> str | None:
    if campaign.status == "closed":
        return _("评议活动已结束，对照检查结果已随评议结果发布，不能再修改。")
    return None


def record_reviews(campaign: Campaign, unit: Unit, inputs: list[ReviewInput], user,
                   files: evidence.FileBatch) -> ReviewOutcome:
    """Record the findings for one unit: all of them, or none if any is wrong."""
    reason = locked_reason(campaign)
    if reason:
        raise ServiceError(reason)
    config = campaign_config(campaign)
    if config is None:
        raise ServiceError(_("本评议活动未启用对照检查评分方案。"))
    if check_unit(campaign, unit.id) is None:
        raise ServiceError(_("“%(unit)s”不是本评议活动的被评单位。", unit=unit.name))
    known = config_items(config)
    existing = {(e.checklist, e.item): e for e in db.session.scalars(
        select(ChecklistEntry).where(ChecklistEntry.campaign_id == campaign.id,
                                     ChecklistEntry.unit_id == unit.id))}
    errors: dict[str, list[str]] = {}
    checked: list[_Checked] = []
    for given in inputs:
        pair = (given.checklist, given.item)
        if pair not in known:
            errors.setdefault(given.item, []).append(_("该检查项已不在本活动的检查表中，请刷新页面。"))
            continue
        problems = []
        try:
            row = _check_input(given, *known[pair])
        except ServiceError as error:
            problems.append(error.message)
            row = None
        if given.upload is not None and given.result:
            try:
                file = evidence.check(given.upload)
            except ServiceError as error:
                problems.append(error.message)
            else:
                if row is not None:
                    row.file = file
        if problems:
            errors[given.item] = problems
        elif row is not None:
            checked.append(row)
    if errors:
        raise ReviewErrors(errors)
    if not checked:
        raise ServiceError(_("没有填写任何检查结果：请为检查项目选择“符合”“基本符合”或“不符合”。"))

    outcome = ReviewOutcome()
    for row in checked:
        given = row.input
        entry = existing.get((given.checklist, given.item))
        if entry is None:
            entry = ChecklistEntry(campaign_id=campaign.id, unit_id=unit.id,
                                   checklist=given.checklist, item=given.item)
            db.session.add(entry)
        changed = (entry.id is None or entry.result != given.result
                   or entry.deduction != row.deduction or entry.note != row.note
                   or row.file is not None or entry.item_text != row.item["text"])
        if not changed:
            continue
        entry.item_text = row.item["text"]
        entry.result, entry.deduction, entry.note = given.result, row.deduction, row.note
        entry.reviewer_id = getattr(user, "id", None)
        entry.reviewed_at = utcnow()
        if row.file is not None:
            files.replace(entry, row.file, campaign.id)
        db.session.flush()
        _sync_problem(entry, row.checklist, outcome)
        outcome.saved += 1
    audit(user, "checklist.review", f"campaign:{campaign.id}", unit=unit.id,
          saved=outcome.saved, problems_added=outcome.problems_added)
    return outcome


def _check_input(given: ReviewInput, checklist: dict, item: dict) -> _Checked | None:
    note = (given.note or "").strip()
    deduction_text = (given.deduction or "").strip()
    if not given.result:
        if note or given.upload is not None or deduction_text not in ("", "0"):
            raise ServiceError(_("请先选择检查结果（符合、基本符合或不符合）。"))
        return None
    if given.result not in RESULTS:
        raise ServiceError(_("检查结果只能是“符合”“基本符合”或“不符合”。"))
    deduction = parse_deduction(deduction_text)
    maximum = item["max_deduction"]
    if deduction > maximum:
        raise ServiceError(_("扣分不能超过本项最高扣分 %(max)s 分。", max=f"{maximum:g}"))
    if given.result == "符合" and deduction > 0:
        raise ServiceError(_("结果为“符合”时不扣分；如需扣分，请选择“基本符合”或“不符合”。"))
    if len(note) > NOTE_MAX:
        raise ServiceError(_("检查情况说明不超过 %(max)s 字（现有 %(count)s 字）。", max=NOTE_MAX,
                             count=len(note)))
    return _Checked(given, checklist, item, deduction, note, None)


def parse_deduction(text: str) -> float:
    if not text:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise ServiceError(_("扣分“%(value)s”不是数字，请填写如 0、0.5、2。", value=text[:10])) from None
    if not math.isfinite(value) or value < 0:
        raise ServiceError(_("扣分应为不小于 0 的数字。"))
    if round(value, 2) != value:
        raise ServiceError(_("扣分最多保留两位小数。"))
    return value


def problem_text(checklist: dict, entry: ChecklistEntry) -> str:
    """The problem a 不符合 finding puts on the ledger: stored, so in Chinese (its parts are
    the checklist's own words)."""
    text = f"{checklist['title']}：{entry.item_text}"
    return text + (f"。检查情况：{entry.note}" if entry.note else "")


def untouched(item: RectificationItem) -> bool:
    """Nothing has been done or planned for this problem yet."""
    return (item.status == NOT_STARTED and not item.measure and not item.responsible
            and item.deadline is None and not item.has_evidence)


def _sync_problem(entry: ChecklistEntry, checklist: dict, outcome: ReviewOutcome) -> None:
    """A 不符合 finding has a problem on the rectification list; other findings do not,
    unless work on the problem was already recorded."""
    item = entry.rectification
    if entry.result == FAILED:
        if item is None:
            item = RectificationItem(campaign_id=entry.campaign_id, unit_id=entry.unit_id,
                                     entry=entry, status=NOT_STARTED)
            db.session.add(item)
            outcome.problems_added += 1
        item.problem = problem_text(checklist, entry)
    elif item is not None:
        if untouched(item):
            db.session.delete(item)
            outcome.problems_removed += 1
        else:
            outcome.problems_kept.append(entry.item_text)


# -- what the pages show -------------------------------------------------------------------

@dataclass
class UnitProgress:
    unit: Unit
    reviewed: int
    total: int
    failed: int
    deduction: float
    problems: int
    overdue: int

    @property
    def score(self) -> float | None:
        return max(0.0, 100.0 - self.deduction) if self.reviewed else None


def progress(campaign: Campaign, config: dict, today: date) -> list[UnitProgress]:
    """Per appraised unit: how far its review has got, and its rectification list."""
    data = live_data(campaign, config, today)
    problems = Counter(row.unit_id for row in data.ledger)
    overdue = data.overdue_by_unit()
    total = len(config_items(config))
    out = []
    for unit in campaign.units:
        u = data.units.get(unit.id, UnitData())
        out.append(UnitProgress(unit, u.reviewed, total, u.failed, u.deduction,
                                problems[unit.id], overdue[unit.id]))
    return out


def unit_entries(campaign: Campaign, unit: Unit) -> dict[tuple[str, str], ChecklistEntry]:
    return {(e.checklist, e.item): e for e in db.session.scalars(
        select(ChecklistEntry).where(ChecklistEntry.campaign_id == campaign.id,
                                     ChecklistEntry.unit_id == unit.id))}


# -- what the scheme scores ----------------------------------------------------------------

@dataclass
class UnitData:
    deduction: float = 0.0
    reviewed: int = 0
    failed: int = 0


@dataclass
class LedgerRow:
    id: int
    unit_id: int
    unit: str
    problem: str
    responsible: str
    deadline: date | None
    status: str  # as shown: 未开始 / 整改中 / 已完成 / 逾期
    #: Absent from snapshots kept before it was added (read back as "").
    measure: str = ""


@dataclass
class ReviewData:
    """Findings per unit and the ledger as of a date; ``frozen`` when they come from the
    snapshot kept at closing."""

    as_of: date
    frozen: bool
    units: dict[int, UnitData]
    ledger: list[LedgerRow]

    def overdue_by_unit(self) -> Counter:
        return Counter(row.unit_id for row in self.ledger if row.status == OVERDUE)

    def status_counts(self) -> dict[str, int]:
        counts = Counter(row.status for row in self.ledger)
        return {status: counts[status] for status in (*STATUSES, OVERDUE)}

    def to_json(self) -> dict:
        return {
            "units": {str(k): vars(v) for k, v in self.units.items()},
            "ledger": [{**vars(row), "deadline": row.deadline.isoformat() if row.deadline else None}
                       for row in self.ledger],
        }

    @classmethod
    def from_json(cls, as_of: date, data: dict) -> ReviewData:
        return cls(as_of, True,
                   {int(k): UnitData(**v) for k, v in data.get("units", {}).items()},
                   [LedgerRow(**{**row, "deadline": date.fromisoformat(row["deadline"])
                                 if row["deadline"] else None}) for row in data.get("ledger", [])])


def live_data(campaign: Campaign, config: dict, as_of: date) -> ReviewData:
    """The findings that count (those for items of the current configuration) and the
    ledger with statuses as of ``as_of``."""
    known = config_items(config)
    units: dict[int, UnitData] = {}
    for entry in db.session.scalars(select(ChecklistEntry).where(
            ChecklistEntry.campaign_id == campaign.id)):
        if (entry.checklist, entry.item) not in known:
            continue
        u = units.setdefault(entry.unit_id, UnitData())
        u.deduction = round(u.deduction + entry.deduction, 2)
        u.reviewed += 1
        u.failed += entry.result == FAILED
    ledger = [LedgerRow(item.id, item.unit_id, item.unit.name, item.problem, item.responsible,
                        item.deadline, item.display_status(as_of), item.measure or "")
              for item in ledger_items(campaign)]
    return ReviewData(as_of, False, units, ledger)


def ledger_items(campaign: Campaign, unit_id: int | None = None) -> list[RectificationItem]:
    """The campaign's rectification items, unit by unit in display order."""
    query = (select(RectificationItem).join(Unit, Unit.id == RectificationItem.unit_id)
             .where(RectificationItem.campaign_id == campaign.id)
             .order_by(Unit.position, Unit.id, RectificationItem.id))
    if unit_id is not None:
        query = query.where(RectificationItem.unit_id == unit_id)
    return list(db.session.scalars(query))


def scoring_data(campaign: Campaign, config: dict) -> ReviewData:
    """What the scheme scores: as kept at closing for a closed campaign, else live."""
    if campaign.status == "closed":
        snapshot = db.session.get(ChecklistSnapshot, campaign.id)
        if snapshot is not None:
            return ReviewData.from_json(snapshot.as_of, snapshot.data)
    return live_data(campaign, config, local_today())


def data_version(campaign: Campaign) -> tuple:
    """Changes whenever findings or the ledger change, and every day (overdue)."""
    if campaign.status == "closed":
        snapshot = db.session.get(ChecklistSnapshot, campaign.id)
        if snapshot is not None:
            return ("snapshot", snapshot.created_at)
    entries = db.session.execute(
        select(func.count(), func.max(ChecklistEntry.reviewed_at))
        .where(ChecklistEntry.campaign_id == campaign.id)).one()
    items = db.session.execute(
        select(func.count(), func.max(RectificationItem.updated_at))
        .where(RectificationItem.campaign_id == campaign.id)).one()
    return (tuple(entries), tuple(items), local_today())


def keep_snapshot(campaign: Campaign, config: dict) -> ChecklistSnapshot:
    """Keep the findings and the ledger as they stand at closing."""
    as_of = local_date(campaign.closed_at or utcnow())
    data = live_data(campaign, config, as_of)
    snapshot = db.session.get(ChecklistSnapshot, campaign.id)
    if snapshot is None:
        snapshot = ChecklistSnapshot(campaign_id=campaign.id)
        db.session.add(snapshot)
    snapshot.as_of, snapshot.data = as_of, data.to_json()
    db.session.flush()
    return snapshot

