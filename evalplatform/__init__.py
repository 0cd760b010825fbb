"""evalplatform: survey and appraisal platform for government work-style campaigns."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, request

from . import config, database, i18n, plugins
from .extensions import csrf, db, login_manager, migrate
from .hookspecs import hookimpl

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["create_app", "hookimpl"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, database, blueprints, CLI."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("EVALPLATFORM_INSTANCE") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load(app, test_config)

    from . import models  # noqa: F401  (registers the tables)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine)
    pm = plugins.init_app(app)
    i18n.init_app(app, [d for dirs in pm.hook.translation_directories() for d in dirs or []])

    @app.before_request
    def _declare_write_intent():
        database.set_write_intent(request.method not in ("GET", "HEAD", "OPTIONS"))

    from .web import register_web

    register_web(app)

    for blueprints in pm.hook.register_blueprints():
        for blueprint in blueprints or []:
            app.register_blueprint(blueprint)

    from .cli import register_cli

    register_cli(app)
    pm.hook.register_commands(cli=app.cli)
    return app
