"""What the results pages show, assembled outside the views: the campaign's results,
charts per category, plugin sections, the Excel download."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from markupsafe import Markup

from ..models import Campaign
from ..reports import charts, labels
from ..reports.excel import results_workbook
from ..reports.sections import Section, plugin_sections
from ..scoring.engine import campaign_results, registered_schemes
from ..scoring.results import CampaignResults, SchemeResult, UnitResult

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class GroupColumn:
    name: str
    weight: float


@dataclass
class CategoryView:
    name: str
    units: list[UnitResult]
    chart: Markup

    @property
    def ranked(self) -> int:
        return sum(1 for u in self.units if u.rank is not None)


@dataclass
class SchemeView:
    result: SchemeResult
    groups: list[GroupColumn]
    categories: list[CategoryView]
    sections: list[Section]


def group_columns(scheme: SchemeResult, results: CampaignResults) -> list[GroupColumn]:
    """The rater groups, in the order the units' group cells use."""
    if scheme.units:
        return [GroupColumn(g.group, g.weight) for g in scheme.units[0].groups]
    return [GroupColumn(p.name, p.weight) for p in results.participation]


def scheme_view(campaign: Campaign, results: CampaignResults, scheme: SchemeResult
                ) -> SchemeView:
    categories = [CategoryView(name, units, charts.ranking_chart(scheme, name))
                  for name, units in scheme.by_category() if units]
    return SchemeView(scheme, group_columns(scheme, results), categories,
                      plugin_sections(campaign, results, scheme.key))


def results_page(campaign: Campaign) -> dict:
    """The results page's context."""
    results = campaign_results(campaign)
    return {
        "campaign": campaign,
        "results": results,
        "schemes": [scheme_view(campaign, results, s) for s in results.schemes.values()],
    }


def unit_page(campaign: Campaign, scheme_key: str, unit_id: int) -> dict | None:
    """One unit's page context, or None for a scheme or unit the results do not have."""
    results = campaign_results(campaign)
    scheme = results.schemes.get(scheme_key)
    unit = scheme.unit(unit_id) if scheme else None
    if unit is None:
        return None
    peers = dict(scheme.by_category()).get(unit.category, [])
    return {
        "campaign": campaign,
        "results": results,
        "scheme": scheme,
        "unit": unit,
        "peers": peers,
        "chart": charts.group_bars(unit, results.min_group_size),
        "item_shares": scheme.has_shares and any(i.shares for i in unit.items),
        "scheme_pages": _scheme_pages(campaign, scheme_key),
        "sections": plugin_sections(campaign, results, scheme_key, "unit_page", unit_id),
    }


def _scheme_pages(campaign: Campaign, scheme_key: str) -> list[tuple[str, str]]:
    """(label, URL) of the pages the scheme's plugin serves for this campaign."""
    scheme = registered_schemes().get(scheme_key)
    return [(label, url_for(endpoint, campaign_id=campaign.id))
            for label, endpoint in (scheme.pages if scheme else ())]


def workbook(campaign: Campaign) -> tuple[bytes, str]:
    """(xlsx bytes, download file name) of the campaign's results."""
    results = campaign_results(campaign)
    data = results_workbook(results, ZoneInfo(current_app.config["TIMEZONE"]))
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", campaign.title).strip() or "评议"
    return data, f"{name}-评议结果.xlsx"


#: Jinja filters the results templates use (registered by the evaluator blueprint).
FILTERS = {
    "fmt_score": labels.score,
    "fmt_percent": labels.percent,
    "fmt_interval": labels.interval,
    "fmt_rank_interval": labels.rank_interval,
    "flag_label": labels.flag_label,
    "ordered_flags": labels.ordered_flags,
    "uncertainty_note": labels.uncertainty_note,
    "separation_note": labels.separation_note,
    "suppressed_text": labels.suppressed,
}
