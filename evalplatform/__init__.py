"""evalplatform: survey and appraisal platform for government work-style campaigns."""

from __future__ import annotations

import os

from flask import Flask, request

from . import accesslog, config, database, i18n, plugins
from .extensions import csrf, db, login_manager, migrate
from .hookspecs import hookimpl
from .paths import MIGRATIONS, ROOT, STATIC, TEMPLATES

__all__ = ["create_app", "hookimpl"]


def _served(name: str, value: str) -> bool:
    """Whether a route value is something the app serves (a static file, a scheme's key),
    so the access log may show it although it is as long as a code."""
    from flask import current_app

    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        blueprint = current_app.blueprints.get(request.blueprint or "")
        folder = blueprint.static_folder if blueprint else current_app.static_folder
        return bool(folder) and os.path.isfile(os.path.join(folder, value)) \
            and os.path.realpath(os.path.join(folder, value)).startswith(os.path.realpath(folder))
    return value in current_app.extensions.get("evalplatform.schemes", {})


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, database, blueprints, CLI."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("EVALPLATFORM_INSTANCE") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(TEMPLATES),
        static_folder=str(STATIC),
    )
    config.load(app, test_config)

    from . import models  # noqa: F401  (registers the tables)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine, float(app.config["DATABASE_LOCK_TIMEOUT"]))
    pm = plugins.init_app(app)
    i18n.init_app(app, [d for dirs in pm.hook.translation_directories() for d in dirs or []])

    @app.before_request
    def _declare_write_intent():
        view = app.view_functions.get(request.endpoint or "")
        database.set_write_intent(request.method not in ("GET", "HEAD", "OPTIONS")
                                  and not getattr(view, "reads_first", False))

    @app.before_request
    def _record_log_path():
        """What the access log may show of the path (accesslog.py): the route matched,
        never a code."""
        rule = request.url_rule.rule if request.url_rule is not None else None
        request.environ[accesslog.LOG_PATH_KEY] = accesslog.log_path(
            rule, request.view_args or {}, _served)

    from .web import register_web

    register_web(app)

    for blueprints in pm.hook.register_blueprints():
        for blueprint in blueprints or []:
            app.register_blueprint(blueprint)

    from .cli import register_cli

    register_cli(app)
    pm.hook.register_commands(cli=app.cli)
    return app
