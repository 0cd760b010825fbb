"""六型机关 (six-type organ): a scoring scheme plugin for evalplatform.

学习型、服务型、高效型（或务实型）、和谐型、创新型、廉洁型: each dimension has its items on
the ballot; dimension score = mean of its items, composite = weighted mean of the six;
a radar chart per unit and a heat map of units × dimensions on the results page; on a
unit's page and in its report, its radar chart and its dimension scores.
Installed as the entry point ``six_type`` in the group ``evalplatform.plugins``.
"""

from __future__ import annotations

__version__ = "1.0.0"

from pathlib import Path  # noqa: E402

from evalplatform import hookimpl  # noqa: E402
from evalplatform.i18n import gettext as _  # noqa: E402
from evalplatform.reports.dimensions import (  # noqa: E402
    heat_maps,
    radars,
    unit_dimension_table,
    unit_radar,
)
from evalplatform.scoring import ReportSection  # noqa: E402
from evalplatform.scoring.dimensions import DimensionalSchemeResult  # noqa: E402

from .scheme import SCHEME, SixTypeScheme  # noqa: E402

__all__ = ["SCHEME", "SixTypeScheme", "questionnaire_items", "register_schemes",
           "report_sections", "translation_directories"]


@hookimpl
def register_schemes():
    return [SCHEME]


@hookimpl
def translation_directories():
    return [Path(__file__).resolve().parent / "translations"]


@hookimpl
def questionnaire_items(scheme_key, config):
    """One item per bank item of the six dimensions, labelled “学习型：……”."""
    if scheme_key != SCHEME.key:
        return None
    return SCHEME.questionnaire_specs(SCHEME.normalize_config(config))


UNIT_PLACES = ("unit_page", "unit_report")


@hookimpl
def report_sections(results, scheme_key, unit_id):
    """For the campaign: the heat map of units × dimensions (page and bulletin) and a radar
    chart per unit (page only). For one unit: its radar chart and its dimension scores."""
    if scheme_key != SCHEME.key:
        return None
    result = results.schemes.get(scheme_key)
    if not isinstance(result, DimensionalSchemeResult) or not result.units:
        return None
    if unit_id is not None:
        radar = unit_radar(result, unit_id)
        if radar is None:
            return []
        return [ReportSection(_("六型雷达图"), str(radar), UNIT_PLACES),
                ReportSection(_("各维度得分"), str(unit_dimension_table(result, unit_id)),
                              UNIT_PLACES)]
    return [ReportSection(_("各维度得分热力图"), str(heat_maps(result)), ("page",)),
            ReportSection(_("各维度得分热力图"), str(heat_maps(result, document=True)),
                          ("bulletin",)),
            ReportSection(_("各单位六型雷达图"), str(radars(result)), ("page",))]
