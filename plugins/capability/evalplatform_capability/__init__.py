"""The capability model (能力作风建设): a scoring scheme plugin for evalplatform.

Presets: 五种工作能力 + 五种优良作风 (two families of five dimensions, a weight per
family) and 五力 (学习力、执行力、凝聚力、创新力、免疫力). Scores per dimension, per family
and a composite; each unit's strongest and weakest dimension; a heat map and per-unit
bars on the results page; on a unit's page and in its report, its bars and its dimension
scores. Installed as the entry point ``capability`` in the group
``evalplatform.plugins``.
"""

from __future__ import annotations

__version__ = "1.0.0"

from pathlib import Path  # noqa: E402

from evalplatform import hookimpl  # noqa: E402
from evalplatform.i18n import gettext as _  # noqa: E402
from evalplatform.reports.dimensions import (  # noqa: E402
    heat_maps,
    strengths_table,
    unit_bar_chart,
    unit_bars,
    unit_dimension_table,
)
from evalplatform.scoring import ReportSection  # noqa: E402
from evalplatform.scoring.dimensions import DimensionalSchemeResult  # noqa: E402

from .presets import PRESETS  # noqa: E402
from .scheme import SCHEME, CapabilityScheme  # noqa: E402

__all__ = ["PRESETS", "SCHEME", "CapabilityScheme", "questionnaire_items", "register_schemes",
           "report_sections", "translation_directories"]


@hookimpl
def register_schemes():
    return [SCHEME]


@hookimpl
def translation_directories():
    return [Path(__file__).resolve().parent / "translations"]


@hookimpl
def questionnaire_items(scheme_key, config):
    """One item per dimension of the preset, labelled “服务发展：……”."""
    if scheme_key != SCHEME.key:
        return None
    return SCHEME.questionnaire_specs(SCHEME.normalize_config(config))


UNIT_PLACES = ("unit_page", "unit_report")


@hookimpl
def report_sections(results, scheme_key, unit_id):
    """For the campaign: strongest and weakest dimensions and the heat map (page and
    bulletin), a bar chart per unit (page only). For one unit: its bar chart and its
    dimension scores."""
    if scheme_key != SCHEME.key:
        return None
    result = results.schemes.get(scheme_key)
    if not isinstance(result, DimensionalSchemeResult) or not result.units:
        return None
    if unit_id is not None:
        bars = unit_bar_chart(result, unit_id)
        if bars is None:
            return []
        return [ReportSection(_("各维度得分条形图"), str(bars), UNIT_PLACES),
                ReportSection(_("各维度得分"), str(unit_dimension_table(result, unit_id)),
                              UNIT_PLACES)]
    return [ReportSection(_("各单位最强和最弱维度"), str(strengths_table(result)),
                          ("page", "bulletin")),
            ReportSection(_("各维度得分热力图"), str(heat_maps(result)), ("page",)),
            ReportSection(_("各维度得分热力图"), str(heat_maps(result, document=True)),
                          ("bulletin",)),
            ReportSection(_("各单位维度得分"), str(unit_bars(result)), ("page",))]
