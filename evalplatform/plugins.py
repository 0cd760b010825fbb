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
