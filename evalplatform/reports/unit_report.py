"""One unit's report (评议报告): its results under every scheme, the schemes' sections
about it, and (when the campaign allows) the comments left about it, as PDF.

Made from the same results as the pages and the bulletin, in Chinese whatever the
language of the person who asks (``force_locale("zh")``), like the bulletin.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from flask import render_template
from sqlalchemy import select

from ..extensions import db
from ..i18n import force_locale
from ..models import Ballot, Campaign, Comment, ReportSettings, Unit
from ..scoring.engine import campaign_results
from ..scoring.results import CampaignResults, SchemeResult, UnitResult
from .letterhead import chinese_date
from .official import chinese_numeral, now_local, render, safe_name, settings_of
from .pdf import Rendered
from .sections import Section, plugin_sections


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
    # unscored items (任职建议 …) asked about this unit: (item, its shares for the unit)
    unscored = [(item, row) for item in results.unscored for row in item.units
                if row.unit_id == unit.id]
    return render_template(
        "reports/unit_report.html", campaign=campaign, results=results, unit=unit,
        parts=parts, unscored=unscored, comments=unit_comments(campaign, unit.id) if show_comments else None,
        draft=campaign.status != "closed", generated_at=now_local(),
        chinese_date=chinese_date, numeral=chinese_numeral)


def unit_report_pdf(campaign: Campaign, unit: Unit, results: CampaignResults | None = None
                    ) -> Rendered:
    return render(unit_report_html(campaign, unit, results))


def unit_report_filename(campaign: Campaign, unit: Unit, number: int | None = None) -> str:
    prefix = f"{number:03d}-" if number is not None else ""
    return prefix + safe_name(f"{unit.name}-{campaign.title}-评议报告") + ".pdf"
