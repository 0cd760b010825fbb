"""The checklists as data, and a campaign's checklist configuration.

The shipped checklists (``checklists.json``: 三查三看, 四个是否, 三多三好, 两个注重,
混怕推空散) are the defaults; a campaign's scheme configuration holds its own copy — the
lists chosen, their items' wording and each item's maximum deduction. An item's key is
derived from its wording, so editing the wording of an item starts it afresh (findings
recorded for the old wording no longer count) while reordering items changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path

from evalplatform.i18n import gettext as _
from evalplatform.services import ServiceError

DATA = Path(__file__).with_name("checklists.json")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TITLE_MAX, ITEM_MAX, ITEMS_MAX = 30, 300, 50
DEDUCTION_MAX = 100.0
#: Separates an item's wording from its own maximum deduction on a line of the form.
LINE_MAX_RE = re.compile(r"^(?P<text>.*?)\s*[|｜]\s*(?P<max>[^|｜]*)$")


@cache
def catalogue() -> tuple[dict, ...]:
    """The shipped checklists, as normalised lists."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return tuple(normalize_list(entry, where=entry.get("title", "")) for entry in data["lists"])


def catalogue_by_key() -> dict[str, dict]:
    return {entry["key"]: entry for entry in catalogue()}


def item_key(list_key: str, text: str) -> str:
    """A stable key for an item: its list's key and a digest of its wording."""
    return f"{list_key}.{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def _number(value, message: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ServiceError(message, field=field)
    value = float(value)
    if not 0 <= value <= DEDUCTION_MAX:
        raise ServiceError(message, field=field)
    return round(value, 2)


def normalize_list(entry, where: str = "") -> dict:
    """One checklist (``key``, ``title``, ``area``, ``max_deduction``, ``items``) checked
    and completed; ``entry`` may be a key of a shipped checklist. Items may be given as
    texts (the list's maximum deduction applies) or as ``{"text", "max_deduction"}``."""
    if isinstance(entry, str):
        shipped = catalogue_by_key().get(entry)
        if shipped is None:
            raise ServiceError(_("没有名为“%(key)s”的检查表。", key=entry), field="lists")
        return shipped
    if not isinstance(entry, dict):
        raise ServiceError(_("检查表配置格式不正确。"), field="lists")
    key = str(entry.get("key") or "")
    if not KEY_RE.match(key):
        raise ServiceError(_("检查表“%(checklist)s”的代码应为小写字母、数字或下划线。",
                             checklist=where or key), field="lists")
    title = str(entry.get("title") or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise ServiceError(_("检查表名称应为 1–%(max)s 个字。", max=TITLE_MAX), field="lists")
    field = f"items_{key}"
    default_max = _number(entry.get("max_deduction", 5),
                          _("“%(checklist)s”的每项最高扣分应为 0–100 的数字。", checklist=title),
                          f"max_{key}")
    items, seen = [], set()
    for raw in entry.get("items") or []:
        text, maximum = (raw, default_max) if isinstance(raw, str) else (
            (raw.get("text"), raw.get("max_deduction", default_max)) if isinstance(raw, dict)
            else (None, None))
        text = str(text or "").strip()
        if not text:
            raise ServiceError(_("“%(checklist)s”有一项检查内容为空。", checklist=title), field=field)
        if len(text) > ITEM_MAX:
            raise ServiceError(_("“%(checklist)s”的检查内容每项不超过 %(max)s 字。", checklist=title,
                                 max=ITEM_MAX), field=field)
        if text in seen:
            raise ServiceError(_("“%(checklist)s”的检查内容“%(item)s”重复。", checklist=title,
                                 item=text[:20]), field=field)
        seen.add(text)
        items.append({"key": item_key(key, text), "text": text,
                      "max_deduction": _number(maximum, _("“%(checklist)s”的最高扣分应为 0–100 的数字。",
                                                          checklist=title), field)})
    if not items:
        raise ServiceError(_("选用的检查表“%(checklist)s”至少需要一项检查内容。", checklist=title),
                           field=field)
    if len(items) > ITEMS_MAX:
        raise ServiceError(_("“%(checklist)s”最多 %(max)s 项检查内容。", checklist=title,
                             max=ITEMS_MAX), field=field)
    return {"key": key, "title": title, "area": str(entry.get("area") or "").strip()[:TITLE_MAX],
            "max_deduction": default_max, "items": items}


def normalize_lists(lists) -> list[dict]:
    if not isinstance(lists, list | tuple) or not lists:
        raise ServiceError(_("请至少选用一张检查表。"), field="lists")
    out, keys = [], set()
    for entry in lists:
        normalized = normalize_list(entry)
        if normalized["key"] in keys:
            raise ServiceError(_("检查表“%(checklist)s”重复。", checklist=normalized["title"]),
                               field="lists")
        keys.add(normalized["key"])
        out.append(normalized)
    return out


def items_text(entry: dict) -> str:
    """A checklist's items as the form shows them: one per line, ``｜N`` after an item
    whose maximum deduction differs from the list's."""
    lines = []
    for item in entry["items"]:
        suffix = "" if item["max_deduction"] == entry["max_deduction"] else \
            f"｜{item['max_deduction']:g}"
        lines.append(item["text"] + suffix)
    return "\n".join(lines)


def parse_items(text: str, title: str, field: str) -> list[dict]:
    """The items typed in a checklist's text box (one per line, optionally ``｜N``)."""
    items = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = LINE_MAX_RE.match(line)
        if match is None:
            items.append(line)
            continue
        try:
            maximum = float(match["max"].strip())
        except ValueError:
            raise ServiceError(_("“%(checklist)s”第 %(line)s 行：竖线后应为该项最高扣分，如“｜3”。",
                                 checklist=title, line=number), field=field) from None
        if not 0 <= maximum <= DEDUCTION_MAX:
            raise ServiceError(_("“%(checklist)s”第 %(line)s 行：最高扣分应为 0–100。",
                                 checklist=title, line=number), field=field)
        items.append({"text": match["text"], "max_deduction": maximum})
    return items
