"""The database schema's migrations: the core's and each plugin's.

The core's revisions live in ``migrations/versions`` and are recorded in the table
``alembic_version``. A plugin that owns tables ships its own revisions (hook
``migration_directories``), recorded in ``alembic_version_<plugin name>``: its history is
its own, it can be installed, upgraded or removed without touching the core's line, and
two plugins never have to agree on revision ids. All of them run through the one
``migrations/env.py``; only the folder of revisions and the version table change.

``upgrade()`` brings the core to its head and then every installed plugin to its head:
what ``flask --app wsgi db upgrade`` and the test suite run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import current_app

from .paths import MIGRATIONS
from .plugins import PluginError, plugin_manager

CORE = "core"
VERSION_TABLE = "alembic_version"
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class MigrationSet:
    """One line of revisions: the core's, or one plugin's."""

    name: str
    directory: Path

    @property
    def version_table(self) -> str:
        return VERSION_TABLE if self.name == CORE else f"{VERSION_TABLE}_{self.name}"


def migration_sets() -> list[MigrationSet]:
    """The core's line first, then each loaded plugin's, in registration order."""
    sets = [MigrationSet(CORE, MIGRATIONS / "versions")]
    pm = plugin_manager()
    for impl in pm.hook.migration_directories.get_hookimpls():  # in registration order
        directory = impl.function()
        if directory is None:
            continue
        name = impl.plugin_name
        if not _NAME.fullmatch(name) or name == CORE:
            raise PluginError(f"plugin {name!r} has migrations but its name cannot name a "
                              "version table (lower-case letters, digits and _ only)")
        directory = Path(directory)
        if not directory.is_dir():
            raise PluginError(f"plugin {name!r}: migration folder {directory} does not exist")
        sets.append(MigrationSet(name, directory))
    return sets


def migration_set(name: str) -> MigrationSet:
    for found in migration_sets():
        if found.name == name:
            return found
    names = ", ".join(s.name for s in migration_sets())
    raise LookupError(f"no migrations named {name!r} (there are: {names})")


def alembic_config(migrations: MigrationSet) -> Config:
    """Flask-Migrate's configuration for ``migrations/``, pointed at one line."""
    config = current_app.extensions["migrate"].migrate.get_config()
    config.set_main_option("version_locations", str(migrations.directory))
    config.attributes["version_table"] = migrations.version_table
    return config


def upgrade(name: str | None = None, revision: str = "head") -> None:
    """Upgrade one line (``name``) to ``revision``; without a name, the core and then every
    plugin to its head (plugins' tables refer to the core's)."""
    targets = [migration_set(name)] if name else migration_sets()
    for migrations in targets:
        command.upgrade(alembic_config(migrations), revision if name else "head")


def downgrade(name: str | None = None, revision: str = "-1") -> None:
    """Downgrade one line; ``downgrade(revision="base")`` without a name empties the whole
    schema, plugins first (their tables refer to the core's)."""
    if name is None:
        if revision != "base":
            raise ValueError("only 'base' can be reached by every line at once")
        for migrations in reversed(migration_sets()):
            command.downgrade(alembic_config(migrations), "base")
        return
    command.downgrade(alembic_config(migration_set(name)), revision)


def current(name: str) -> str | None:
    """The revision one line's version table records, or None."""
    from alembic.migration import MigrationContext

    from .extensions import db

    migrations = migration_set(name)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": migrations.version_table})
        return context.get_current_revision()


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What autogenerate compares: not the tables the database has and the models lack —
    the lines' version tables, and the tables of a plugin that is not installed (its
    data stays; ``flask db migrate`` must never propose dropping it). A table the core
    stops modelling is dropped by a revision written by hand."""
    return not (type_ == "table" and reflected and compare_to is None)
