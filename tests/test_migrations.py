"""The migrations build the schema the models describe, both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from evalplatform.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_downgrade_to_nothing_and_back(app):
    db.session.commit()
    downgrade(revision="base")
    try:
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    finally:
        upgrade()
    assert {"ballot", "access_code", "campaign", "unit"} <= set(
        inspect(db.engine).get_table_names())


def test_foreign_keys_are_enforced_after_migrating(app):
    from sqlalchemy import text

    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:  # the pooled connection the migration used
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
