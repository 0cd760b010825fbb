"""The rectification ledger (整改台账): editing items, adding problems by hand, and the
Excel round trip (export a unit's or the campaign's list, import it back with statuses).
The workbook is in Chinese whatever the reader's language, like every exported file: its
statuses are typed back in as they are stored (未开始 / 整改中 / 已完成).

Status is stored as 未开始 / 整改中 / 已完成; 逾期 is never stored — an item not completed
by its deadline shows as overdue. Following the seeds (措施要明确时限和要求，确定责任人员),
an item in progress or completed must have a measure, a responsible person and a deadline.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from evalplatform.extensions import db
from evalplatform.i18n import gettext as _
from evalplatform.models import Campaign, Unit
from evalplatform.reports.excel import FORMULA_START, put_cell
from evalplatform.services import ServiceError, audit
from evalplatform.util import utcnow

from . import evidence
from .labels import shown
from .models import DONE, NOT_STARTED, OVERDUE, STATUSES, RectificationItem
from .reviews import check_unit, ledger_items

PROBLEM_MAX, MEASURE_MAX, RESPONSIBLE_MAX = 2000, 1000, 100
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
IMPORT_MAX_ROWS = 5000
STATUS_TEXT = "、".join(STATUSES)

#: Export columns; the importer reads 编号 and the editable ones, by heading.
COLUMNS = ("编号", "单位", "序列", "问题", "整改措施", "责任人", "整改时限", "状态", "是否逾期",
           "完成日期", "完成佐证")
EDITABLE = {"整改措施": "measure", "责任人": "responsible", "整改时限": "deadline",
            "状态": "status", "完成日期": "completed_on"}
WIDTHS = {"编号": 7, "单位": 18, "序列": 12, "问题": 48, "整改措施": 36, "责任人": 12,
          "整改时限": 12, "状态": 9, "是否逾期": 9, "完成日期": 12, "完成佐证": 20}


@dataclass
class Changes:
    """What an item should become (every editable field, as typed)."""

    measure: str
    responsible: str
    deadline: date | None
    status: str
    completed_on: date | None
    problem: str | None = None  # only for problems entered by hand


def current(item: RectificationItem) -> Changes:
    return Changes(item.measure, item.responsible, item.deadline, item.status,
                   item.completed_on, item.problem if item.entry_id is None else None)


def check_changes(item: RectificationItem, changes: Changes, today: date) -> Changes:
    """The changes, normalised; ServiceError (naming the field) when they cannot apply."""
    measure = (changes.measure or "").strip()
    responsible = (changes.responsible or "").strip()
    problem = changes.problem
    if problem is not None:
        if item.entry_id is not None:
            problem = None  # a finding's problem follows the finding
        else:
            problem = problem.strip()
            if not problem:
                raise ServiceError(_("请填写问题。"), field="problem")
            if len(problem) > PROBLEM_MAX:
                raise ServiceError(_("问题描述不超过 %(max)s 字。", max=PROBLEM_MAX), field="problem")
    if len(measure) > MEASURE_MAX:
        raise ServiceError(_("整改措施不超过 %(max)s 字（现有 %(count)s 字）。", max=MEASURE_MAX,
                             count=len(measure)), field="measure")
    if len(responsible) > RESPONSIBLE_MAX:
        raise ServiceError(_("责任人不超过 %(max)s 字。", max=RESPONSIBLE_MAX), field="responsible")
    status = (changes.status or "").strip()
    if status == OVERDUE:
        raise ServiceError(_("“逾期”由整改时限自动判断，状态请填写%(statuses)s之一。",
                             statuses=STATUS_TEXT), field="status")
    if status not in STATUSES:
        raise ServiceError(_("状态只能是%(statuses)s之一。", statuses=STATUS_TEXT), field="status")
    deadline, completed_on = changes.deadline, changes.completed_on
    for value, name, label in ((deadline, "deadline", _("整改时限")),
                               (completed_on, "completed_on", _("完成日期"))):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise ServiceError(_("%(field)s应在 2000 年至 2099 年之间。", field=label), field=name)
    if status != NOT_STARTED:
        for value, name, label in ((measure, "measure", _("整改措施")),
                                   (responsible, "responsible", _("责任人")),
                                   (deadline, "deadline", _("整改时限"))):
            if not value:
                raise ServiceError(_("状态为“%(status)s”的事项须填写%(field)s"
                                     "（整改措施要明确时限和责任人）。", status=shown(status),
                                     field=label), field=name)
    if status == DONE:
        completed_on = completed_on or today
        if completed_on > today:
            raise ServiceError(_("完成日期不能晚于今天。"), field="completed_on")
    elif completed_on is not None:
        raise ServiceError(_("只有“已完成”的事项才填写完成日期。"), field="completed_on")
    return Changes(measure, responsible, deadline, status, completed_on, problem)


def _apply(item: RectificationItem, changes: Changes) -> bool:
    before = current(item)
    item.measure, item.responsible = changes.measure, changes.responsible
    item.deadline, item.status, item.completed_on = changes.deadline, changes.status, changes.completed_on
    if changes.problem is not None:
        item.problem = changes.problem
    return current(item) != before


def update_item(item: RectificationItem, changes: Changes, user, today: date,
                upload: evidence.Upload | None = None,
                files: evidence.FileBatch | None = None) -> bool:
    """Change an item (and attach evidence of completion); returns whether it changed."""
    changes = check_changes(item, changes, today)
    checked = None
    if upload is not None:
        try:
            checked = evidence.check(upload)
        except ServiceError as error:
            raise ServiceError(error.message, field="evidence") from None
    changed = _apply(item, changes)
    if checked is not None and files is not None:
        files.replace(item, checked, item.campaign_id)
        item.updated_at = utcnow()
        changed = True
    if changed:
        audit(user, "rectification.update", f"campaign:{item.campaign_id}", item=item.id,
              status=item.status)
    return changed


def add_item(campaign: Campaign, unit_id: int | None, problem: str, user) -> RectificationItem:
    """A problem entered by hand (e.g. from 征求意见 or a 座谈会) for a unit."""
    unit = check_unit(campaign, unit_id) if unit_id else None
    if unit is None:
        raise ServiceError(_("请选择本评议活动的被评单位。"), field="unit_id")
    problem = (problem or "").strip()
    if not problem:
        raise ServiceError(_("请填写问题。"), field="problem")
    if len(problem) > PROBLEM_MAX:
        raise ServiceError(_("问题描述不超过 %(max)s 字。", max=PROBLEM_MAX), field="problem")
    item = RectificationItem(campaign_id=campaign.id, unit_id=unit.id, problem=problem,
                             status=NOT_STARTED, measure="", responsible="")
    db.session.add(item)
    db.session.flush()
    audit(user, "rectification.add", f"campaign:{campaign.id}", item=item.id, unit=unit.id)
    return item


# -- Excel export --------------------------------------------------------------------------

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F1F3F4")
OVERDUE_FONT = Font(bold=True, color="B3261E")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


def export_workbook(campaign: Campaign, today: date, unit: Unit | None = None) -> bytes:
    """The rectification list of one unit (or all units) as .xlsx."""
    wb = Workbook()
    ws = wb.active
    ws.title = "整改台账"
    for col, head in enumerate(COLUMNS, start=1):
        cell = put_cell(ws, 1, col, head)
        cell.font, cell.fill, cell.alignment = BOLD, HEADER_FILL, WRAP
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS[head]
    items = ledger_items(campaign, unit.id if unit else None)
    for row, item in enumerate(items, start=2):
        overdue = item.is_overdue(today)
        values = {
            "编号": item.id, "单位": item.unit.name, "序列": item.unit.category,
            "问题": item.problem, "整改措施": item.measure, "责任人": item.responsible,
            "整改时限": item.deadline, "状态": item.status, "是否逾期": "逾期" if overdue else "否",
            "完成日期": item.completed_on, "完成佐证": item.evidence_name or "",
        }
        for col, head in enumerate(COLUMNS, start=1):
            cell = put_cell(ws, row, col, values[head],
                        "yyyy-mm-dd" if head in ("整改时限", "完成日期") else None)
            cell.alignment = WRAP if head in ("问题", "整改措施") else TOP
            if head == "是否逾期" and overdue:
                cell.font = OVERDUE_FONT
    if items:
        status_col = get_column_letter(COLUMNS.index("状态") + 1)
        choice = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"',
                                allow_blank=False, showErrorMessage=True,
                                errorTitle="状态", error=f"请填写{STATUS_TEXT}之一。")
        choice.add(f"{status_col}2:{status_col}{len(items) + 1}")
        ws.add_data_validation(choice)
    ws.freeze_panes = "A2"
    _instructions(wb.create_sheet("填写说明"), campaign, today, unit)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _instructions(ws, campaign: Campaign, today: date, unit: Unit | None) -> None:
    lines = [
        (campaign.title, Font(bold=True, size=14)),
        (f"整改台账（{unit.name if unit else '全部被评单位'}），导出日期 {today.isoformat()}", BOLD),
        ("", None),
        ("填写说明", BOLD),
        ("1. 只修改“整改措施”“责任人”“整改时限”“状态”“完成日期”五列；"
         "“编号”用于对应整改事项，请勿修改。", None),
        (f"2. 状态填写{STATUS_TEXT}之一；“逾期”由系统按整改时限自动判断，“是否逾期”一列导入时不读取。", None),
        ("3. 状态为整改中或已完成的事项，须填写整改措施、责任人和整改时限；只有已完成的事项填写完成日期"
         "（不填则按导入当天计）。", None),
        ("4. 日期写作 2026-12-31。可以另存为 .csv（UTF-8 或 GBK 编码）后导入。", None),
        ("5. 导入时任何一行有误，整张表都不会导入，页面会列出出错的行号，改正后重新导入即可。", None),
        ("6. 完成佐证材料请在系统中逐项上传。", None),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        cell = put_cell(ws, row, 1, text)
        if font is not None:
            cell.font = font
    ws.column_dimensions["A"].width = 110


def export_filename(campaign: Campaign, unit: Unit | None) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", campaign.title).strip() or "评议"
    who = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", unit.name) + "-" if unit else ""
    return f"{name}-{who}整改台账.xlsx"


# -- import --------------------------------------------------------------------------------

@dataclass
class ImportReport:
    updated: int = 0
    unchanged: int = 0
    #: (sheet row number, message); when not empty nothing was changed.
    errors: list[tuple[int, str]] = field(default_factory=list)


def _text(value) -> str:
    """A cell as text, with the apostrophe our export puts before formula-like text
    taken off again."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_START):
        text = text[1:]
    return text


DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(value, label: str) -> date | None:
    """A date cell: a real date, an Excel day number, or text like 2026-12-31; ``label``
    names the column (整改时限 or 完成日期) in messages."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        try:
            if 1 <= value <= 2958465:
                return from_excel(value).date()
        except (ValueError, OverflowError, AttributeError):
            pass
        raise ServiceError(_("%(field)s“%(value)s”不是日期，请写作 2026-12-31。", field=_(label),
                             value=value))
    text = _text(value)
    if not text:
        return None
    match = DATE_RE.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise ServiceError(_("%(field)s“%(value)s”不是日期，请写作 2026-12-31。", field=_(label),
                         value=text[:20]))


def _columns(header: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(header):
        text = _text(value)
        if (text in EDITABLE or text == "编号") and text not in found:
            found[text] = index
    missing = [name for name in ("编号", "状态") if name not in found]
    if missing:
        raise ServiceError(_("第 1 行应为表头，须包含“编号”和“状态”两列（可含整改措施、责任人、"
                             "整改时限、完成日期）；未找到：%(missing)s。请使用本页导出的整改台账填写。",
                             missing="、".join(missing)))
    return found


def import_ledger(campaign: Campaign, filename: str, rows: list[list], user, today: date
                  ) -> ImportReport:
    """Update items from an exported (and edited) ledger's rows (``sheets.read_sheet``,
    read before this write begins): all rows, or none if any row is wrong. Rows match
    items by 编号; columns left out keep their values."""
    if not rows:
        raise ServiceError(_("表格中没有数据。"))
    columns = _columns(rows[0])
    body = rows[1:]
    if len(body) > IMPORT_MAX_ROWS:
        raise ServiceError(_("一次最多导入 %(max)s 行。", max=IMPORT_MAX_ROWS))
    items = {item.id: item for item in ledger_items(campaign)}
    report = ImportReport()
    planned: list[tuple[RectificationItem, Changes]] = []
    seen: dict[int, int] = {}
    for number, row in enumerate(body, start=2):
        def cell(name, row=row):
            index = columns.get(name)
            return row[index] if index is not None and index < len(row) else None

        if not any(_text(v) for v in row):
            continue  # blank line
        ident_text = _text(cell("编号"))
        try:
            value = float(ident_text)
            ident = int(value) if value.is_integer() else None
        except ValueError:
            ident = None
        if ident is None:
            report.errors.append((number, _("缺少编号或编号不是整数，请勿修改“编号”列。")))
            continue
        item = items.get(ident)
        if item is None:
            report.errors.append((number, _("编号 %(id)s 不是本评议活动的整改事项。", id=ident)))
            continue
        if ident in seen:
            report.errors.append((number, _("编号 %(id)s 与第 %(line)s 行重复。", id=ident,
                                            line=seen[ident])))
            continue
        seen[ident] = number
        try:
            changes = current(item)
            changes.problem = None
            if "整改措施" in columns:
                changes.measure = _text(cell("整改措施"))
            if "责任人" in columns:
                changes.responsible = _text(cell("责任人"))
            if "整改时限" in columns:
                changes.deadline = parse_date(cell("整改时限"), "整改时限")
            changes.status = _text(cell("状态"))
            if "完成日期" in columns:
                changes.completed_on = parse_date(cell("完成日期"), "完成日期")
            elif changes.status != DONE:
                changes.completed_on = None
            planned.append((item, check_changes(item, changes, today)))
        except ServiceError as error:
            report.errors.append((number, error.message))
    if report.errors:
        return report
    if not planned:
        raise ServiceError(_("表格中没有整改事项。"))
    for item, changes in planned:
        if _apply(item, changes):
            report.updated += 1
        else:
            report.unchanged += 1
    audit(user, "rectification.import", f"campaign:{campaign.id}", file=(filename or "")[:200],
          updated=report.updated)
    return report
