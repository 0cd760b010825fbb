"""The bulletin (通报) circulated to every unit, as PDF.

It comes from the same results as the pages (``campaign_results``) and words them with
``labels``, so a PDF never says something the results page does not. Suppressed rater
groups are suppressed here as everywhere. Rendering goes through ``pdf.render`` (a URL
fetcher that reads nothing but static/).

Official documents are in Chinese whatever the language of the person who asks for them:
their HTML is made under ``force_locale("zh")``, so that the texts shared with the pages
(scheme titles, flags, notes, plugin sections) come out in Chinese. Each unit's own
report is ``unit_report.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template

from ..i18n import force_locale
from ..models import Campaign, ReportSettings
from ..scoring.engine import campaign_results
from ..scoring.results import CampaignResults, SchemeResult, UnitResult
from .letterhead import chinese_date, letterhead
from .official import chinese_numeral, now_local, safe_name, settings_of
from .sections import Section, plugin_sections


@dataclass
class SchemePart:
    """One scheme's part of the bulletin."""

    result: SchemeResult
    categories: list[tuple[str, list[UnitResult]]]
    bottom: list[UnitResult]
    sections: list[Section]


@force_locale("zh")
def bulletin_html(campaign: Campaign, results: CampaignResults | None = None,
                  settings: ReportSettings | None = None) -> str:
    results = results or campaign_results(campaign)
    settings = settings or settings_of(campaign)
    now = now_local()
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


def bulletin_filename(campaign: Campaign) -> str:
    return safe_name(f"{campaign.title}-通报") + ".pdf"
