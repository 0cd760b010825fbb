"""The plugin manager: one per application, built-ins first, then installed plugins."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import pluggy
from flask import Flask, current_app

from . import hookspecs

ENTRY_POINT_GROUP = "evalplatform.plugins"

#: Built-in behaviour, registered through the same hooks third-party plugins use.
DEFAULT_PLUGINS = (
    "evalplatform.scoring.satisfaction",
    "evalplatform.scoring.appraisal",
    "evalplatform.commands.results",
    "evalplatform.commands.reports",
    "evalplatform.commands.database",
    "evalplatform.services.auditlog",
)


class PluginError(RuntimeError):
    """A plugin could not be loaded; the message names it."""


def build_plugin_manager(enabled: str | None = None, extra=()) -> pluggy.PluginManager:
    """A plugin manager with the built-ins and the installed plugins.

    :param enabled: comma-separated names of the installed plugins to load (entry-point
        names in ``evalplatform.plugins``); None loads them all. Built-ins always load.
    :param extra: plugin objects to register as well (an embedding application's own,
        or a test's).
    """
    pm = pluggy.PluginManager("evalplatform")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    for plugin in extra:
        pm.register(plugin)
    wanted = None if enabled is None else {n.strip() for n in enabled.split(",") if n.strip()}
    found = set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if wanted is not None and ep.name not in wanted:
            continue
        found.add(ep.name)
        if pm.get_plugin(ep.name) is not None:
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as error:  # any failure to import or register is fatal, named
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to load: {error}") \
                from error
    if wanted is not None and wanted - found:
        raise PluginError("EVALPLATFORM_PLUGINS names plugins that are not installed: "
                          + ", ".join(sorted(wanted - found)))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginError(f"plugin {pm.get_name(error.plugin)!r} is invalid: {error}") \
            from error
    return pm


def init_app(app: Flask) -> pluggy.PluginManager:
    pm = build_plugin_manager(app.config.get("EVALPLATFORM_PLUGINS"),
                              app.config.get("EXTRA_PLUGINS", ()))
    app.extensions["evalplatform.plugins"] = pm
    return pm


def plugin_manager(app: Flask | None = None) -> pluggy.PluginManager:
    return (app or current_app).extensions["evalplatform.plugins"]


def hook(app: Flask | None = None):
    """The hook relay of the current application: ``hook().register_schemes()``."""
    return plugin_manager(app).hook


#: What a plugin may import from evalplatform, by module (docs/plugins.md#public-api).
#: Everything else — and every name starting with an underscore — may change without
#: notice; tests/test_plugins.py checks that the bundled plugins and the tutorial's
#: example keep to this list.
PUBLIC_API: dict[str, tuple[str, ...]] = {
    "evalplatform": ("hookimpl",),
    "evalplatform.extensions": ("db",),
    "evalplatform.formkit": ("choices",),
    "evalplatform.i18n": ("N_", "gettext", "lazy_gettext", "ngettext"),
    "evalplatform.models": ("Campaign", "Unit", "User", "RaterGroup", "Item"),
    "evalplatform.util": ("utcnow", "today"),
    "evalplatform.services": ("ServiceError", "audit"),
    "evalplatform.services.ballots": ("answer_field", "comment_field"),
    "evalplatform.scoring": (
        "BallotArrays", "CampaignResults", "Cube", "CubeGroup", "CubeItem", "CubeOption",
        "CubeUnit", "Evaluation", "GroupCell", "ItemCell", "ItemSpec", "ReportSection",
        "Scheme", "SchemeResult", "UnitResult", "WeightedScheme"),
    "evalplatform.scoring.cube": ("Cube", "load_ballots"),
    "evalplatform.scoring.results": ("CampaignResults", "LIST_SEPARATOR", "ReportSection",
                                     "SchemeResult", "UnitResult", "joined", "text"),
    "evalplatform.scoring.scheme": ("Evaluation", "bottom_rule_text", "grade_for"),
    "evalplatform.scoring.ranking": ("competition_ranks",),
    "evalplatform.scoring.rules": ("rules_for",),
    "evalplatform.scoring.engine": ("registered_schemes",),
    "evalplatform.scoring.config_forms": (
        "FormSection", "LABELS", "SECTIONS", "base_config", "base_data", "base_fields",
        "form_class", "lines", "scale_field", "sectioned_form", "weight_field"),
    "evalplatform.scoring.dimensions": (
        "DEFAULT_GRADE_BANDS", "Dimension", "DimensionalSchemeResult",
        "DimensionalUnitResult", "DimensionCell", "DimensionedScheme", "Family",
        "check_scale", "check_weights", "dimension_label"),
    "evalplatform.scoring.scales": ("RATING_SCALES", "RatingScale"),
    "evalplatform.reports.charts": ("bar_list", "heat_map", "heat_table", "radar_chart"),
    "evalplatform.reports.dimensions": (
        "heat_maps", "radars", "strengths_table", "unit_bar_chart", "unit_bars",
        "unit_dimension_table", "unit_radar"),
    "evalplatform.reports.excel": ("FORMULA_START", "put_cell"),
    "evalplatform.web.common": ("done", "get_or_404", "import_sheet", "reads_first",
                                "refusal_shown", "report_error", "require_role"),
    "evalplatform.testing": (
        "admin_client", "app", "build_campaign", "cast_ballot", "client", "close",
        "csrf_token", "evaluator_client", "login", "pdfcheck", "post_form"),
}
