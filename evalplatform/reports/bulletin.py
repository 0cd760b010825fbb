"""The bulletin (通报) circulated to every unit, and each unit's own report, as PDF.

Both come from the same results as the pages (``campaign_results``) and word them with
``labels``, so a PDF never says something the results page does not. Suppressed rater
groups are suppressed here as everywhere. Rendering goes through ``pdf.render`` (a URL
fetcher that reads nothing but static/).

Official documents are in Chinese whatever the language of the person who asks for them:
their HTML is made under ``force_locale("zh")``, so that the texts shared with the pages
(scheme titles, flags, notes, plugin sections) come out in Chinese.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from sqlalchemy import select

from ..extensions import db
from ..i18n import N_, force_locale
from ..models import Ballot, Campaign, Comment, ReportSettings, Unit
from ..scoring.engine import campaign_results
from ..scoring.results import CampaignResults, SchemeResult, UnitResult
from . import pdf
from .letterhead import chinese_date, letterhead
from .pdf import Rendered
from .sections import Section, plugin_sections

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


@dataclass
class SchemePart:
    """One scheme's part of the bulletin."""

    result: SchemeResult
    categories: list[tuple[str, list[UnitResult]]]
    bottom: list[UnitResult]
    sections: list[Section]


def _now_local() -> datetime:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"]))


def settings_of(campaign: Campaign) -> ReportSettings | None:
    return db.session.get(ReportSettings, campaign.id)


@force_locale("zh")
def bulletin_html(campaign: Campaign, results: CampaignResults | None = None,
                  settings: ReportSettings | None = None) -> str:
    results = results or campaign_results(campaign)
    settings = settings or settings_of(campaign)
    now = _now_local()
    parts = []
    for scheme in results.schemes.values():
        categories = [(name, units) for name, units in scheme.by_category() if units]
        bottom = [u for _, units in categories for u in units if "bottom" in u.flags]
        parts.append(SchemePart(scheme, categories, bottom,
                                plugin_sections(campaign, results, scheme.key, "bulletin")))
    return render_template(
        "reports/bulletin.html", campaign=campaign, results=results, parts=parts,
        head=letterhead(campaign, results, settings, now.date()),
        draft=campaign.status != "closed", generated_at=now,
        totals=_participation_totals(results), numeral=chinese_numeral,
        chinese_date=chinese_date)


def _participation_totals(results: CampaignResults) -> tuple[int, int, float | None]:
    issued = sum(p.issued for p in results.participation)
    used = sum(p.used for p in results.participation)
    return issued, used, (used / issued if issued else None)


def render(html: str, progress: Progress | None = None, step: int = 0, steps: int = 0
           ) -> Rendered:
    """HTML → PDF, reporting layout and writing as two steps after ``step`` of ``steps``.
    Progress messages are stored in Chinese and translated where they are shown."""
    if progress is None:
        return pdf.render(html)
    progress(step, steps, N_("排版"))
    return pdf.render(html, lambda pages: progress(
        step + 1, steps, N_("写入 PDF（%(pages)s 页）") % {"pages": pages}))


def bulletin_filename(campaign: Campaign) -> str:
    return safe_name(f"{campaign.title}-通报") + ".pdf"


def safe_name(text: str) -> str:
    """Text usable as a file name on Windows too."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text).strip() or "评议"


# -- one unit's report ---------------------------------------------------------------------

@dataclass
class UnitPart:
    """One scheme's part of a unit's report."""

    result: SchemeResult
    unit: UnitResult
    sections: list[Section]


def unit_comments(campaign: Campaign, unit_id: int) -> list[str]:
    """The free-text comments left about a unit, in an order that says nothing about when
    they were written (comment ids are random; shuffled once more regardless)."""
    texts = list(db.session.scalars(
        select(Comment.text).join(Ballot, Ballot.id == Comment.ballot_id)
        .where(Ballot.campaign_id == campaign.id, Comment.unit_id == unit_id)))
    random.shuffle(texts)
    return texts


@force_locale("zh")
def unit_report_html(campaign: Campaign, unit: Unit, results: CampaignResults | None = None,
                     settings: ReportSettings | None = None) -> str:
    results = results or campaign_results(campaign)
    settings = settings or settings_of(campaign)
    parts = []
    for scheme in results.schemes.values():
        found = scheme.unit(unit.id)
        if found is not None:
            parts.append(UnitPart(scheme, found, plugin_sections(
                campaign, results, scheme.key, "unit_report", unit.id)))
    show_comments = campaign.comments_enabled and (settings is None or settings.unit_comments)
    return render_template(
        "reports/unit_report.html", campaign=campaign, results=results, unit=unit,
        parts=parts, comments=unit_comments(campaign, unit.id) if show_comments else None,
        draft=campaign.status != "closed", generated_at=_now_local(),
        chinese_date=chinese_date, numeral=chinese_numeral)


def unit_report_pdf(campaign: Campaign, unit: Unit, results: CampaignResults | None = None
                    ) -> Rendered:
    return render(unit_report_html(campaign, unit, results))


def unit_report_filename(campaign: Campaign, unit: Unit, number: int | None = None) -> str:
    prefix = f"{number:03d}-" if number is not None else ""
    return prefix + safe_name(f"{unit.name}-{campaign.title}-评议报告") + ".pdf"
