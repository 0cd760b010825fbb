"""The capability model (能力作风建设): a scoring scheme plugin for evalplatform.

Presets: 五种工作能力 + 五种优良作风 (two families of five dimensions, a weight per
family) and 五力 (学习力、执行力、凝聚力、创新力、免疫力). Scores per dimension, per family
and a composite; each unit's strongest and weakest dimension; a heat map and per-unit
bars on the results page. Installed as the entry point ``capability`` in the group
``evalplatform.plugins``.
"""

from __future__ import annotations

__version__ = "1.0.0"

from evalplatform import hookimpl  # noqa: E402
from evalplatform.reports.dimensions import heat_maps, strengths_table, unit_bars  # noqa: E402
from evalplatform.scoring import ReportSection  # noqa: E402
from evalplatform.scoring.dimensions import DimensionalSchemeResult  # noqa: E402

from .presets import PRESETS  # noqa: E402
from .scheme import SCHEME, CapabilityScheme  # noqa: E402

__all__ = ["PRESETS", "SCHEME", "CapabilityScheme", "questionnaire_items", "register_schemes",
           "report_sections"]


@hookimpl
def register_schemes():
    return [SCHEME]


@hookimpl
def questionnaire_items(scheme_key, config):
    """One item per dimension of the preset, labelled “服务发展：……”."""
    if scheme_key != SCHEME.key:
        return None
    return SCHEME.questionnaire_specs(SCHEME.normalize_config(config))


@hookimpl
def report_sections(results, scheme_key):
    """Strongest and weakest dimensions, the heat map, and a bar chart per unit."""
    if scheme_key != SCHEME.key:
        return None
    result = results.schemes.get(scheme_key)
    if not isinstance(result, DimensionalSchemeResult) or not result.units:
        return None
    return [ReportSection("各单位最强和最弱维度", str(strengths_table(result)), ("page", "bulletin")),
            ReportSection("各维度得分热力图", str(heat_maps(result)), ("page", "bulletin")),
            ReportSection("各单位维度得分", str(unit_bars(result)), ("page",))]
