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


def test_answer_rows_are_packed_into_ballots_and_unpacked_on_downgrade(app):
    """Revision 0006 keeps every answer: ballots stored before cells existed get theirs
    from the answer rows; a downgrade writes the rows back from the cells."""
    from sqlalchemy import select, text

    from evalplatform.models import Ballot
    from evalplatform.testing import build_campaign, cast_ballot, stored_answers

    campaign, plaintext = build_campaign(codes_per_group=3)
    for k, code in enumerate(plaintext["服务对象"] + plaintext["机关干部"]):
        cast_ballot(campaign, code, lambda name, item, k=k: (k + len(name)) % 3)
    ids = db.session.scalars(select(Ballot.id)).all()
    before = {i: stored_answers(i) for i in ids}
    db.session.commit()
    downgrade(revision="0005")
    try:
        with db.engine.begin() as conn:
            rows = conn.execute(text("SELECT count(*) FROM answer")).scalar()
            assert rows == sum(len(a) for a in before.values()) > 0
            # a ballot from before cells existed: only its answer rows hold its answers
            conn.execute(text("UPDATE ballot SET cells = NULL WHERE id = :i"), {"i": ids[0]})
    finally:
        upgrade()
    db.session.expire_all()
    assert {i: stored_answers(i) for i in ids} == before
    assert "answer" not in inspect(db.engine).get_table_names()
