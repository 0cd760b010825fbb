"""evalplatform-example: a minimal plugin that uses every hook (docs/plugin-tutorial.md)."""

from __future__ import annotations

from pathlib import Path

from evalplatform import hookimpl
from evalplatform.i18n import gettext as _

from .scheme import ConductScheme, needs_comment

HERE = Path(__file__).resolve().parent


@hookimpl
def register_schemes():
    return [ConductScheme()]


@hookimpl
def validate_ballot(questionnaire, ballot, schemes):
    if ConductScheme.key not in schemes:
        return None
    return needs_comment(questionnaire, ballot) or None


@hookimpl
def register_commands(cli):
    from .commands import notes_command

    cli.add_command(notes_command)


@hookimpl
def register_blueprints():
    from .views import bp

    return [bp]


@hookimpl
def translation_directories():
    return [HERE / "translations"]


@hookimpl
def audit_actions():
    return {"example.note": _("添加督查记录")}


@hookimpl
def migration_directories():
    return HERE / "migrations"
