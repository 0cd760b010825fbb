"""``flask --app wsgi db …``: Flask-Migrate's commands, with ``upgrade``, ``downgrade``
and ``current`` that know the plugins' own lines of migrations (evalplatform/schema.py).

``db upgrade`` brings the core and every installed plugin to their latest revision;
``--plugin NAME`` works on one plugin's line. The other commands (``migrate``,
``revision``, ``history``, ``check`` …) are Flask-Migrate's, on the core's line.
"""

from __future__ import annotations

import click
from alembic.util import CommandError
from flask_migrate.cli import db as migrate_db

from .. import schema
from ..hookspecs import hookimpl

_PLUGIN = click.option("--plugin", metavar="NAME",
                       help="Work on this plugin's migrations instead of the core's.")


def _run(action, *args) -> None:
    try:
        action(*args)
    except (LookupError, CommandError) as error:
        raise click.ClickException(str(error).strip("'\"")) from error


@click.command("upgrade")
@click.argument("revision", default="head")
@_PLUGIN
def upgrade_command(revision: str, plugin: str | None):
    """Upgrade the database: the core and then every installed plugin to their latest
    revision; or one line (the core's, or --plugin NAME's) to REVISION."""
    if plugin:
        _run(schema.upgrade, plugin, revision)
    elif revision == "head":
        _run(schema.upgrade)
    else:
        _run(schema.upgrade, schema.CORE, revision)


@click.command("downgrade")
@click.argument("revision", default="-1")
@_PLUGIN
def downgrade_command(revision: str, plugin: str | None):
    """Revert one line (the core's, or --plugin NAME's) to REVISION (default: one step
    back). Downgrading the core to 'base' reverts every plugin's line first."""
    if plugin:
        _run(schema.downgrade, plugin, revision)
    elif revision == "base":
        _run(schema.downgrade, None, "base")
    else:
        _run(schema.downgrade, schema.CORE, revision)


@click.command("current")
def current_command():
    """The revision of each line: the core's and every installed plugin's."""
    for migrations in schema.migration_sets():
        click.echo(f"{migrations.name}: {schema.current(migrations.name) or '(none)'}"
                   f"  [{migrations.version_table}]")


db_cli = click.Group("db", help=migrate_db.help, params=migrate_db.params,
                     callback=migrate_db.callback, commands={
    **migrate_db.commands,
    "upgrade": upgrade_command,
    "downgrade": downgrade_command,
    "current": current_command,
})


@hookimpl
def register_commands(cli):
    cli.add_command(db_cli)
