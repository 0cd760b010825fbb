"""What the results pages show, assembled outside the views: the campaign's results,
charts per category, plugin sections, the Excel download."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from markupsafe import Markup

from ..i18n import gettext as _
from ..models import Campaign
from ..reports import charts, labels
from ..reports.excel import results_workbook
from ..reports.sections import Section, plugin_sections
from ..scoring.engine import campaign_results, registered_schemes
from ..scoring.results import CampaignResults, SchemeResult, UnitResult
from ..util import file_name

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class GroupColumn:
    name: str
    weight: float
    #: The group's place among a unit's group cells.
    index: int = 0


@dataclass
class CategoryView:
    name: str
    units: list[UnitResult]
    chart: Markup
    #: The rater groups with their weights for this category's units (差别权重).
    groups: list[GroupColumn] = field(default_factory=list)
    #: Units × the scheme's items (its dimensions), when it asks more than one item and no
    #: plugin draws its own dimension charts.
    heat_map: Markup | None = None
    #: One radar chart per unit over the items (three or more items).
    radars: list[Markup] = field(default_factory=list)

    @property
    def ranked(self) -> int:
        return sum(1 for u in self.units if u.rank is not None)


@dataclass
class SchemeView:
    result: SchemeResult
    categories: list[CategoryView]
    sections: list[Section]
    #: The score range the item charts share, (low, high); None without item charts.
    item_range: tuple[float, float] | None = None


def group_columns(units: list[UnitResult]) -> list[GroupColumn]:
    """The rater groups asked about any of these units (one category's), in the order the
    units' group cells use (``index``), with their weights for these units (差别权重)."""
    return [GroupColumn(g.group, g.weight, k) for k, g in enumerate(units[0].groups)
            if any(u.groups[k].routed for u in units)]


def scheme_view(campaign: Campaign, results: CampaignResults, scheme: SchemeResult
                ) -> SchemeView:
    sections = plugin_sections(campaign, results, scheme.key)
    items = item_names(scheme) if not sections else []
    item_range = _item_range(scheme) if items else None
    categories = []
    for name, units in scheme.by_category():
        if not units:
            continue
        view = CategoryView(name, units, charts.ranking_chart(scheme, name),
                            group_columns(units))
        if item_range is not None:
            view.heat_map = item_heat_map(scheme, name, units, items, item_range)
            if len(items) >= RADAR_MIN_AXES:
                mean = _item_means(units, items) if _scored(units) > 1 else None
                view.radars = [item_radar(scheme, unit, items, item_range, mean)
                               for unit in units]
        categories.append(view)
    return SchemeView(scheme, categories, sections, item_range)


# -- charts of a scheme's items (the dimensions of a multi-item questionnaire) --------------

#: A radar chart needs at least this many spokes to be a shape.
RADAR_MIN_AXES = 3


def item_names(scheme: SchemeResult) -> list[str]:
    """The items a ballot-based scheme scores each unit on, when there are several and the
    scheme has no dimensions of its own (dimensioned schemes draw their own charts)."""
    if not scheme.from_ballots or getattr(scheme, "dimensions", None) or not scheme.units:
        return []
    names = [cell.item for cell in scheme.units[0].items]
    return names if len(names) >= 2 else []


def _item_score(unit: UnitResult, name: str) -> float | None:
    cell = next((c for c in unit.items if c.item == name), None)
    return None if cell is None or cell.suppressed else cell.score


def _item_range(scheme: SchemeResult) -> tuple[float, float]:
    return charts.value_range(c.score for u in scheme.units for c in u.items
                              if not c.suppressed)


def _scored(units: list[UnitResult]) -> int:
    return sum(1 for u in units if u.score is not None)


def _item_means(units: list[UnitResult], names: list[str]) -> tuple[float | None, ...]:
    means = []
    for name in names:
        values = [v for u in units if (v := _item_score(u, name)) is not None]
        means.append(sum(values) / len(values) if values else None)
    return tuple(means)


def _rank_name(unit: UnitResult) -> str:
    return f"{unit.rank if unit.rank is not None else '—'}  {unit.unit}"


def item_heat_map(scheme: SchemeResult, category: str, units: list[UnitResult],
                  names: list[str], value_range: tuple[float, float]) -> Markup:
    """The category's units (ranked) × the scheme's items; suppressed cells are empty."""
    low, high = value_range
    width = charts.heat_map_label_width([_rank_name(u) for u in scheme.units])
    return charts.heat_map(_("%(scheme)s · %(category)s：各评价项目得分", scheme=scheme.title,
                             category=category),
                           [_rank_name(u) for u in units], names,
                           [[_item_score(u, n) for n in names] for u in units],
                           low=low, high=high, key=f"{scheme.key}-items-{category}",
                           label_width=width)


def _subtitle(unit: UnitResult) -> str:
    if unit.score is None:
        return labels.NO_SCORE
    text = _("综合 %(score)s · 第 %(rank)s 名 / %(count)s", score=labels.score(unit.score),
             rank=unit.rank, count=unit.ranked_in)
    return text + (_("（末位）") if "bottom" in unit.flags else "")


def item_radar(scheme: SchemeResult, unit: UnitResult, names: list[str],
               value_range: tuple[float, float], mean: tuple[float | None, ...] | None
               ) -> Markup:
    """One unit's radar over the items; its category's mean as a dashed outline."""
    low, high = value_range
    colour = charts.BOTTOM if "bottom" in unit.flags else charts.BAR
    series = [charts.RadarSeries(_("本单位"), tuple(_item_score(unit, n) for n in names), colour)]
    if mean is not None:
        series.append(charts.RadarSeries(_("%(category)s平均", category=unit.category), mean,
                                         charts.MUTED, dashed=True, filled=False))
    return charts.radar_chart(unit.unit, names, series, low=low, high=high,
                              subtitle=_subtitle(unit), key=f"{scheme.key}-items-{unit.unit_id}")


def results_page(campaign: Campaign) -> dict:
    """The results page's context."""
    results = campaign_results(campaign)
    installed = registered_schemes()
    return {
        "campaign": campaign,
        "results": results,
        "schemes": [scheme_view(campaign, results, s) for s in results.schemes.values()],
        "sealed_titles": [installed[k].title for k in results.sealed_schemes],
    }


def unit_page(campaign: Campaign, scheme_key: str, unit_id: int) -> dict | None:
    """One unit's page context, or None for a scheme or unit the results do not have."""
    results = campaign_results(campaign)
    scheme = results.schemes.get(scheme_key)
    unit = scheme.unit(unit_id) if scheme else None
    if unit is None:
        return None
    peers = dict(scheme.by_category()).get(unit.category, [])
    sections = plugin_sections(campaign, results, scheme_key, "unit_page", unit_id)
    items = item_names(scheme) if not sections else []
    radar = None
    if len(items) >= RADAR_MIN_AXES:
        mean = _item_means(peers, items) if _scored(peers) > 1 else None
        radar = item_radar(scheme, unit, items, _item_range(scheme), mean)
    return {
        "campaign": campaign,
        "results": results,
        "scheme": scheme,
        "unit": unit,
        "peers": peers,
        "chart": charts.group_bars(unit, results.min_group_size),
        "item_shares": scheme.has_shares and any(i.shares for i in unit.items),
        "scheme_pages": _scheme_pages(campaign, scheme_key),
        "sections": sections,
        "item_radar": radar,
    }


def _scheme_pages(campaign: Campaign, scheme_key: str) -> list[tuple[str, str]]:
    """(label, URL) of the pages the scheme's plugin serves for this campaign."""
    scheme = registered_schemes().get(scheme_key)
    return [(label, url_for(endpoint, campaign_id=campaign.id))
            for label, endpoint in (scheme.pages if scheme else ())]


def workbook(campaign: Campaign) -> tuple[bytes, str]:
    """(xlsx bytes, download file name) of the campaign's results, in Chinese whatever the
    reader's language (like the documents)."""
    results = campaign_results(campaign)
    data = results_workbook(results, ZoneInfo(current_app.config["TIMEZONE"]))
    return data, file_name(campaign.title, "评议结果.xlsx")


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
