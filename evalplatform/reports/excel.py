"""The results as an Excel workbook (openpyxl): participation, then per scheme a sheet
with its ranking per category, as on the results page, and a per-unit detail sheet (score
per rater group and per item, valid votes, 不了解) for statisticians; last, the questions
that are not about units (choices, numbers, open answers).

Suppression holds here too: a rater group under the minimum size gets the text
“不足N人”, never a number. Unit and group names are user text; a text cell that a
spreadsheet could read as a formula (= + - @, tab, carriage return) is written with a
leading apostrophe, so opening the file never runs anything.

Like the official documents, the workbook is in Chinese whatever the language of the person
who downloads it (``force_locale("zh")``).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, tzinfo

from flask_babel.speaklater import LazyString
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..i18n import force_locale
from ..scoring.results import CampaignResults, SchemeResult, UnitResult
from . import labels

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SCORE_FORMAT, PERCENT_FORMAT = "0.00", "0.0%"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="F1F3F4")
BOTTOM_FONT = Font(bold=True, color="B3261E")
MUTED_FONT = Font(color="5F6368")
WRAP = Alignment(wrap_text=True, vertical="top")


def safe_text(value: str) -> str:
    """Text a spreadsheet will show as text: formula-like strings get a leading '."""
    return "'" + value if value.startswith(FORMULA_START) else value


def put_cell(ws: Worksheet, row: int, column: int, value, number_format: str | None = None,
             font: Font | None = None):
    """Write a value: text always as text (formula-like text escaped), numbers formatted."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, LazyString):  # a text in the current language: Chinese here
        value = str(value)
    if isinstance(value, str):
        cell.value = safe_text(value)
        cell.data_type = "s"  # never a formula, whatever the text
    else:
        cell.value = value
        if number_format and value is not None:
            cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def _sheet_title(title: str, taken: set[str], suffix: str = "") -> str:
    """A valid, unique sheet name (at most 31 characters, none of []:*?/\\); a suffix is
    kept whole, the title shortened to make room."""
    base = re.sub(r"[\[\]:*?/\\]", "_", title).strip("' ")[:28 - len(suffix)] or "方案"
    name, n = base + suffix, 2
    while name.lower() in taken:
        name, n = f"{base[:26 - len(suffix)]}_{n}{suffix}", n + 1
    taken.add(name.lower())
    return name


def _header_block(ws: Worksheet, results: CampaignResults, subtitle: str, computed: str) -> int:
    """Campaign title, rules hash and counts at the top of a sheet; returns the next row."""
    put_cell(ws, 1, 1, results.title, font=TITLE)
    put_cell(ws, 2, 1, subtitle, font=BOLD)
    rows = [
        ("评分规则 SHA-256", results.rules_sha256),
        ("规则状态", "评分规则已冻结" if results.frozen else "草稿：评分规则尚未冻结，结果仅供预览"),
        ("有效评议票", results.ballots),
        ("最小分组人数", results.min_group_size),
        ("计算时间", computed),
    ]
    for n, (label, value) in enumerate(rows, start=3):
        put_cell(ws, n, 1, label, font=MUTED_FONT)
        put_cell(ws, n, 2, value)
    return 3 + len(rows) + 1


def _participation_sheet(ws: Worksheet, results: CampaignResults, computed: str) -> None:
    row = _header_block(ws, results, "参评情况", computed)
    for col, head in enumerate(("评议主体", "权重", "已发放", "已参评", "参评率"), start=1):
        put_cell(ws, row, col, head, font=BOLD).fill = HEADER_FILL
    for p in results.participation:
        row += 1
        put_cell(ws, row, 1, p.name)
        put_cell(ws, row, 2, p.weight, PERCENT_FORMAT)
        put_cell(ws, row, 3, p.issued)
        put_cell(ws, row, 4, p.used)
        put_cell(ws, row, 5, p.rate, PERCENT_FORMAT)
    issued = sum(p.issued for p in results.participation)
    used = sum(p.used for p in results.participation)
    row += 1
    put_cell(ws, row, 1, "合计", font=BOLD)
    put_cell(ws, row, 3, issued, font=BOLD)
    put_cell(ws, row, 4, used, font=BOLD)
    put_cell(ws, row, 5, used / issued if issued else None, PERCENT_FORMAT, font=BOLD)
    if results.missing_schemes:
        put_cell(ws, row + 2, 1, "评分方案插件未安装：" + "、".join(results.missing_schemes),
             font=BOTTOM_FONT)
    _widths(ws, [18, 16, 10, 10, 10])


def ranking_columns(scheme: SchemeResult, groups: list[str]) -> list[str]:
    """Column headings of a scheme's ranking sheet (the page's columns, with the interval
    split into two numbers and a column for the bottom-uncertainty note)."""
    heads = ["排名", "单位", "得分"]
    if scheme.from_ballots:
        heads += ["95% 区间下限", "95% 区间上限", "排名区间"]
    if scheme.has_satisfaction_rate:
        heads.append("满意率")
    if scheme.has_shares:
        heads += [f"{label}票比例" for label in scheme.option_labels]
    heads += ["等次", "有效票", "标记", "说明"] if scheme.from_ballots else ["等次", "标记", "说明"]
    heads += [f"{group} 得分" for group in groups]
    return heads


def _unit_row(scheme: SchemeResult, unit: UnitResult, min_group_size: int) -> list:
    """One unit's cells: (value, number format, font) triples."""
    flagged = BOTTOM_FONT if "bottom" in unit.flags else None
    lo, hi = unit.interval or (None, None)
    cells = [
        (unit.rank, None, None),
        (unit.unit, None, flagged),
        (unit.score if unit.score is not None else
         labels.NO_SCORE if scheme.from_ballots else None, SCORE_FORMAT, flagged),
    ]
    if scheme.from_ballots:
        cells += [
            (lo, SCORE_FORMAT, None),
            (hi, SCORE_FORMAT, None),
            (labels.rank_interval(unit.rank_interval) if unit.rank_interval else None, None, None),
        ]
    if scheme.has_satisfaction_rate:
        cells.append((unit.satisfaction_rate, PERCENT_FORMAT, None))
    if scheme.has_shares:
        shares = unit.shares or {}
        cells += [(shares.get(label), PERCENT_FORMAT, None) for label in scheme.option_labels]
    cells.append((unit.grade, None, None))
    if scheme.from_ballots:
        cells.append((unit.valid_votes, None, None))
    cells += [
        ("、".join(labels.flag_labels(unit)) or None, None, flagged),
        (labels.uncertainty_note(unit), None, None),
    ]
    for cell in unit.groups:
        if not cell.routed:
            cells.append(("不评议该单位", None, MUTED_FONT))
        elif cell.suppressed or cell.score is None:
            cells.append((f"不足{min_group_size}人", None, MUTED_FONT))
        else:
            cells.append((cell.score, SCORE_FORMAT, None))
    return cells


def _scheme_sheet(ws: Worksheet, results: CampaignResults, scheme: SchemeResult,
                  computed: str) -> None:
    row = _header_block(ws, results, scheme.title, computed)
    put_cell(ws, row - 1, 1, "末位规则", font=MUTED_FONT)
    put_cell(ws, row - 1, 2, scheme.bottom_rule)
    for note in scheme.notes:
        put_cell(ws, row, 1, "说明", font=MUTED_FONT)
        put_cell(ws, row, 2, note)
        row += 1
    row += 1
    groups = [g.group for g in scheme.units[0].groups] if scheme.units else []
    heads = ranking_columns(scheme, groups)
    for category, units in scheme.by_category():
        put_cell(ws, row, 1, category, font=TITLE)
        row += 1
        for col, head in enumerate(heads, start=1):
            cell = put_cell(ws, row, col, head, font=BOLD)
            cell.fill, cell.alignment = HEADER_FILL, WRAP
        for unit in units:
            row += 1
            for col, (value, fmt, font) in enumerate(
                    _unit_row(scheme, unit, results.min_group_size), start=1):
                put_cell(ws, row, col, value, fmt, font)
        row += 2
    _widths(ws, [8, 22, 10, 10, 10, 12] + [10] * (len(heads) - 6))
    ws.column_dimensions["B"].width = 22
    for col, head in enumerate(heads, start=1):
        if head == "说明":
            ws.column_dimensions[get_column_letter(col)].width = 40
        elif head == "标记":
            ws.column_dimensions[get_column_letter(col)].width = 22


DETAIL_SUFFIX = "·单位明细"


def detail_columns(scheme: SchemeResult) -> list[str]:
    """Column headings of a scheme's per-unit detail sheet: the unit, then (for a scheme
    scored from ballots) its score per rater group and per item, valid votes and 不了解."""
    heads = ["类别", "排名", "单位", "得分", "等次"]
    if scheme.from_ballots and scheme.units:
        first = scheme.units[0]
        heads += [f"{cell.group} 得分" for cell in first.groups]
        heads += [f"{cell.item} 得分" for cell in first.items]
        heads += ["有效票", "不了解"]
    return heads


def _detail_row(scheme: SchemeResult, unit: UnitResult, min_group_size: int) -> list:
    """One unit's detail cells: (value, number format, font) triples. A suppressed rater
    group or item is the suppression text, never a number."""
    hidden = labels.suppressed(min_group_size)
    score = unit.score if unit.score is not None else (
        labels.NO_SCORE if scheme.from_ballots else None)
    cells = [(unit.category, None, None), (unit.rank, None, None), (unit.unit, None, None),
             (score, SCORE_FORMAT, None), (unit.grade, None, None)]
    if not scheme.from_ballots:
        return cells
    for cell in [*unit.groups, *unit.items]:
        if cell.suppressed:
            cells.append((hidden, None, MUTED_FONT))
        elif cell.score is None:
            cells.append((labels.NO_SCORE, None, MUTED_FONT))
        else:
            cells.append((cell.score, SCORE_FORMAT, None))
    cells += [(unit.valid_votes, None, None), (unit.abstentions, None, None)]
    return cells


def _detail_sheet(ws: Worksheet, results: CampaignResults, scheme: SchemeResult,
                  computed: str) -> None:
    """One row per unit (by category, then rank): the numbers behind its score."""
    row = _header_block(ws, results, f"{scheme.title}{DETAIL_SUFFIX}", computed)
    if scheme.from_ballots:
        put_cell(ws, row - 1, 1, "说明", font=MUTED_FONT)
        put_cell(ws, row - 1, 2, f"有效票不足{results.min_group_size}人的评议主体不显示分数，"
                                 "也不计入综合得分和项目得分；“不了解”不计入有效票。")
        row += 1
    heads = detail_columns(scheme)
    for col, head in enumerate(heads, start=1):
        cell = put_cell(ws, row, col, head, font=BOLD)
        cell.fill, cell.alignment = HEADER_FILL, WRAP
    ws.freeze_panes = ws.cell(row=row + 1, column=4)
    for _, units in scheme.by_category():
        for unit in units:
            row += 1
            for col, (value, fmt, font) in enumerate(
                    _detail_row(scheme, unit, results.min_group_size), start=1):
                put_cell(ws, row, col, value, fmt, font)
    _widths(ws, [14, 8, 22] + [12] * (len(heads) - 3))


UNSCORED_SHEET = "不计分项目"


def _unscored_sheet(ws: Worksheet, results: CampaignResults, computed: str) -> None:
    """Per unscored item, per unit: raters counted and each option's share."""
    hidden = labels.suppressed(results.min_group_size)
    row = _header_block(ws, results, UNSCORED_SHEET, computed)
    put_cell(ws, row - 1, 1, "说明", font=MUTED_FONT)
    put_cell(ws, row - 1, 2, f"只计入对该单位有效票不少于{results.min_group_size}人的评议主体。")
    row += 1
    for item in results.unscored:
        put_cell(ws, row, 1, item.label, font=TITLE)
        row += 1
        for col, head in enumerate(["类别", "单位", "人数", *item.options], start=1):
            put_cell(ws, row, col, head, font=BOLD).fill = HEADER_FILL
        for unit in item.units:
            row += 1
            put_cell(ws, row, 1, unit.category)
            put_cell(ws, row, 2, unit.unit)
            if unit.answered is None:
                put_cell(ws, row, 3, hidden, font=MUTED_FONT)
                continue
            put_cell(ws, row, 3, unit.answered)
            for col, share in enumerate(unit.shares, start=4):
                put_cell(ws, row, col, share, PERCENT_FORMAT)
        row += 2
    _widths(ws, [14, 22, 10] + [12] * 10)


QUESTIONS_SHEET = "其他题目"
KIND_NAMES = {"single": "单选题", "multiple": "多选题", "text": "文字题", "number": "数字题"}


def _questions_sheet(ws: Worksheet, results: CampaignResults, computed: str) -> None:
    """The questions that are not about units: per option its count and share in total and
    per rater group (most chosen first), a number's mean and median, the open answers.
    A group under the minimum is the suppression text; totals pool the shown groups."""
    hidden = labels.suppressed(results.min_group_size)
    row = _header_block(ws, results, QUESTIONS_SHEET, computed)
    put_cell(ws, row - 1, 1, "说明", font=MUTED_FONT)
    put_cell(ws, row - 1, 2, f"回答人数不足{results.min_group_size}人的评议主体不显示，合计只含显示的"
                             "评议主体；多选题各项比例之和可超过 100%。")
    row += 1
    for q in results.questions:
        title = f"{q.section}｜{q.label}" if q.section else q.label
        put_cell(ws, row, 1, f"{title}（{KIND_NAMES[q.kind]}）", font=TITLE)
        row += 1
        put_cell(ws, row, 1, "回答人数", font=MUTED_FONT)
        put_cell(ws, row, 2, q.answered if q.answered is not None else hidden)
        for col, g in enumerate(q.groups, start=3):
            put_cell(ws, row, col, f"{g.group}：{g.answered}人" if not g.suppressed
                     else f"{g.group}：{hidden}", font=MUTED_FONT if g.suppressed else None)
        row += 1
        if q.kind in ("single", "multiple"):
            heads = ["选项", "人数", "比例", *(f"{g.group} 人数" for g in q.groups)]
            for col, head in enumerate(heads, start=1):
                put_cell(ws, row, col, head, font=BOLD).fill = HEADER_FILL
            for label, count, share in q.ranked:
                row += 1
                k = q.options.index(label)
                put_cell(ws, row, 1, label)
                put_cell(ws, row, 2, count)
                put_cell(ws, row, 3, share, PERCENT_FORMAT)
                for col, g in enumerate(q.groups, start=4):
                    put_cell(ws, row, col, g.counts[k] if not g.suppressed else hidden,
                             font=MUTED_FONT if g.suppressed else None)
        elif q.kind == "number":
            put_cell(ws, row, 1, "平均数", font=MUTED_FONT)
            put_cell(ws, row, 2, q.mean, SCORE_FORMAT)
            put_cell(ws, row, 3, "中位数", font=MUTED_FONT)
            put_cell(ws, row, 4, q.median, SCORE_FORMAT)
            for g in q.groups:
                row += 1
                put_cell(ws, row, 1, f"{g.group} 平均数", font=MUTED_FONT)
                put_cell(ws, row, 2, g.mean if not g.suppressed else hidden, SCORE_FORMAT)
        else:
            put_cell(ws, row, 1, "回答内容（按文字排序）", font=BOLD).fill = HEADER_FILL
            for text in q.texts:
                row += 1
                put_cell(ws, row, 1, text).alignment = WRAP
        row += 2
    _widths(ws, [40, 12, 12] + [16] * 8)


def _widths(ws: Worksheet, widths: list[float]) -> None:
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


@force_locale("zh")
def results_workbook(results: CampaignResults, zone: tzinfo = UTC) -> bytes:
    """The workbook as bytes (.xlsx), in Chinese."""
    computed = results.computed_at.replace(tzinfo=UTC).astimezone(zone).strftime(
        "%Y-%m-%d %H:%M")
    wb = Workbook()
    ws = wb.active
    ws.title = "参评情况"
    _participation_sheet(ws, results, computed)
    taken = {"参评情况"}
    for scheme in results.schemes.values():
        _scheme_sheet(wb.create_sheet(_sheet_title(str(scheme.title), taken)), results, scheme,
                      computed)
        _detail_sheet(wb.create_sheet(_sheet_title(str(scheme.title), taken, DETAIL_SUFFIX)),
                      results, scheme, computed)
    if results.unscored:
        _unscored_sheet(wb.create_sheet(_sheet_title(UNSCORED_SHEET, taken)), results, computed)
    if results.questions:
        _questions_sheet(wb.create_sheet(_sheet_title(QUESTIONS_SHEET, taken)), results,
                         computed)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
