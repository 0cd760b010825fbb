"""How the checklist's stored values are shown. Findings (符合 …) and rectification
statuses (未开始 …) are kept in the database in Chinese, as the importable ledger has
them; pages name them in the reader's language."""

from __future__ import annotations

from evalplatform.i18n import lazy_gettext

LABELS = {
    "符合": lazy_gettext("符合"),
    "基本符合": lazy_gettext("基本符合"),
    "不符合": lazy_gettext("不符合"),
    "未开始": lazy_gettext("未开始"),
    "整改中": lazy_gettext("整改中"),
    "已完成": lazy_gettext("已完成"),
    "逾期": lazy_gettext("逾期"),
}


def shown(value: str) -> str:
    """A finding or status as the reader sees it."""
    return str(LABELS.get(value, value))
