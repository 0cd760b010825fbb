"""What the official documents (the bulletin, the units' reports) share: section
numerals, the local time they are dated by, their settings, file names, and rendering
with progress."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from ..extensions import db
from ..i18n import N_
from ..models import Campaign, ReportSettings
from . import pdf
from .pdf import Rendered

#: Called as work proceeds: (steps done, steps in all, what is being done).
Progress = Callable[[int, int, str], None]

CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (section numbers of an official document)."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CHINESE_NUMERALS[tens - 1]
    return head + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


def now_local() -> datetime:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"]))


def settings_of(campaign: Campaign) -> ReportSettings | None:
    return db.session.get(ReportSettings, campaign.id)


def render(html: str, progress: Progress | None = None, step: int = 0, steps: int = 0
           ) -> Rendered:
    """HTML → PDF, reporting layout and writing as two steps after ``step`` of ``steps``.
    Progress messages are stored in Chinese and translated where they are shown."""
    if progress is None:
        return pdf.render(html)
    progress(step, steps, N_("排版"))
    return pdf.render(html, lambda pages: progress(
        step + 1, steps, N_("写入 PDF（%(pages)s 页）") % {"pages": pages}))


def safe_name(text: str) -> str:
    """Text usable as a file name on Windows too."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text).strip() or "评议"
