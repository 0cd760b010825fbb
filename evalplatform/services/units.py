"""Appraised units (被评单位): edit one, or import many from an Excel or CSV sheet."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..models import CampaignUnit, Unit
from . import ServiceError, audit

NAME_MAX, CATEGORY_MAX = 100, 50
POSITION_MAX = 999_999
#: Accepted column headings (case-insensitive) for each field; the first is the one named
#: in messages (translated: English headings are accepted too).
HEADINGS = {
    "name": (N_("名称"), "单位名称", "被评单位", "单位", "name", "unit"),
    "category": (N_("序列"), "类别", "分类", "category"),
    "position": (N_("排序"), "序号", "顺序", "position", "order"),
}
IMPORT_MAX_ROWS = 5000


def all_units() -> list[Unit]:
    """Every unit, active or not, in the admin's order."""
    return db.session.scalars(select(Unit).order_by(Unit.position, Unit.id)).all()


def save_unit(unit: Unit | None, name: str, category: str, position: int | None, user) -> Unit:
    """Create a unit (unit None) or change one; names are unique."""
    name, category = (name or "").strip(), (category or "").strip()
    _check(name, category)
    _check_position(position)
    clash = db.session.scalar(select(Unit).where(Unit.name == name))
    if clash is not None and clash is not unit:
        raise ServiceError(_("单位“%(name)s”已存在。", name=name), field="name")
    if unit is None:
        if position is None:
            position = (db.session.scalar(select(func.max(Unit.position))) or 0) + 1
        unit = Unit(name=name, category=category, position=position)
        db.session.add(unit)
        action = "unit.create"
    else:
        unit.name, unit.category = name, category
        if position is not None:
            unit.position = position
        action = "unit.update"
    db.session.flush()
    audit(user, action, f"unit:{unit.id}", name=name, category=category)
    return unit


def set_unit_active(unit: Unit, active: bool, user) -> None:
    unit.active = active
    audit(user, "unit.activate" if active else "unit.deactivate", f"unit:{unit.id}")


def delete_unit(unit: Unit, user) -> None:
    if db.session.scalar(select(func.count()).where(CampaignUnit.unit_id == unit.id)):
        raise ServiceError(_("单位“%(name)s”已参加评议活动，不能删除，可以停用。", name=unit.name))
    audit(user, "unit.delete", f"unit:{unit.id}", name=unit.name)
    db.session.delete(unit)


def _check_position(position: int | None) -> None:
    if position is not None and not 0 <= position <= POSITION_MAX:
        raise ServiceError(_("排序应为 0 至 %(max)s 之间的整数。", max=POSITION_MAX),
                           field="position")


def _parse_position(text: str) -> int:
    """The 排序 cell as an integer (Excel stores 3 as 3.0); ServiceError if it is not one."""
    try:
        number = float(text)
    except ValueError:
        raise ServiceError(_("排序“%(value)s”不是数字。", value=text)) from None
    if not number.is_integer():  # also inf and nan
        raise ServiceError(_("排序“%(value)s”不是整数。", value=text))
    position = int(number)
    _check_position(position)
    return position


def _check(name: str, category: str) -> None:
    if not name:
        raise ServiceError(_("请填写单位名称。"), field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_("单位名称不超过 %(max)s 字。", max=NAME_MAX), field="name")
    if not category:
        raise ServiceError(_("请填写序列（如综合管理类、执法监管类、服务窗口类）。"), field="category")
    if len(category) > CATEGORY_MAX:
        raise ServiceError(_("序列名称不超过 %(max)s 字。", max=CATEGORY_MAX), field="category")


# -- import --------------------------------------------------------------------------------

@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    #: (sheet row number, message); when not empty nothing was imported.
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_units(filename: str, rows: list[list], user) -> ImportReport:
    """Create or update units from a sheet's rows (``sheets.read_sheet``, read before
    this write begins) with columns 名称, 序列 and optionally 排序.

    All or nothing: if any row is wrong, the report lists every wrong row and no unit is
    changed. Rows match existing units by name.
    """
    report = ImportReport()
    if not rows:
        raise ServiceError(_("表格中没有数据。"))
    header, body = rows[0], rows[1:]
    columns = _columns(header)
    if len(body) > IMPORT_MAX_ROWS:
        raise ServiceError(_("一次最多导入 %(max)s 行。", max=IMPORT_MAX_ROWS))
    parsed: dict[str, tuple[str, int | None]] = {}
    first_row: dict[str, int] = {}
    for number, row in enumerate(body, start=2):
        cells = {key: _cell(row, index) for key, index in columns.items()}
        if not any(cells.values()):
            continue  # blank line
        name, category = cells["name"], cells["category"]
        try:
            _check(name, category)
        except ServiceError as error:
            report.errors.append((number, error.message))
            continue
        position = None
        if cells.get("position"):
            try:
                position = _parse_position(cells["position"])
            except ServiceError as error:
                report.errors.append((number, error.message))
                continue
        if name in parsed:
            report.errors.append((number, _("单位“%(name)s”与第 %(row)s 行重复。", name=name,
                                                   row=first_row[name])))
            continue
        parsed[name] = (category, position)
        first_row[name] = number
    if report.errors:
        return report
    if not parsed:
        raise ServiceError(_("表格中没有数据。"))
    existing = {u.name: u for u in db.session.scalars(select(Unit).where(
        Unit.name.in_(parsed)))}
    next_position = (db.session.scalar(select(func.max(Unit.position))) or 0) + 1
    for name, (category, position) in parsed.items():
        unit = existing.get(name)
        if unit is None:
            db.session.add(Unit(name=name, category=category,
                                position=position if position is not None else next_position))
            next_position += 1
            report.created += 1
        else:
            unit.category, unit.active = category, True
            if position is not None:
                unit.position = position
            report.updated += 1
    audit(user, "unit.import", filename[:200], created=report.created, updated=report.updated)
    return report


def _columns(header: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for index in range(len(header)):
        text = _cell(header, index).lower()  # headings may be numbers or empty
        for key, names in HEADINGS.items():
            if text in names and key not in found:
                found[key] = index
    missing = [_(HEADINGS[k][0]) for k in ("name", "category") if k not in found]
    if missing:
        raise ServiceError(_("第 1 行应为表头，须包含“名称”和“序列”两列（可选“排序”）；未找到："
                             "%(columns)s。", columns=_("、").join(missing)))
    return found


def _cell(row: list, index: int) -> str:
    if index >= len(row) or row[index] is None:
        return ""
    value = row[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
