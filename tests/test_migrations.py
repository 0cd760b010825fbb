"""The migrations — the core's and the plugins' own lines — build the schema the models
describe, both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from evalplatform import schema
from evalplatform.extensions import db
from evalplatform.schema import downgrade, upgrade


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": schema.include_object})
        diff = compare_metadata(context, db.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    # autogenerate skips tables the models lack (an uninstalled plugin's): check them here
    versions = {m.version_table for m in schema.migration_sets()}
    assert tables == set(db.metadata.tables) | versions


def test_a_plugin_left_out_keeps_its_tables_and_rows(app, app_config):
    """Upgrading without a plugin (not installed, or left out of EVALPLATFORM_PLUGINS)
    neither touches its tables nor forgets its revision."""
    from evalplatform import create_app
    from evalplatform.testing import build_campaign

    campaign, _ = build_campaign(codes_per_group=1)
    db.session.commit()
    _insert_finding(campaign)
    without = create_app({**app_config, "EVALPLATFORM_PLUGINS": "six_type,capability"})
    runner = without.test_cli_runner()
    with without.app_context():  # the commands run in the current app context
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["db", "current"])
        assert "checklist" not in result.output and "core: " in result.output
        db.engine.dispose()
    assert schema.current("checklist") == _head("checklist")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT note FROM checklist_entry")).scalars().all() == ["缺记录"]


def _insert_finding(campaign) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO checklist_entry (campaign_id, unit_id, checklist, item, item_text,"
            " result, deduction, note, reviewed_at) VALUES (:c, :u, 'dj', 'i1', '三会一课',"
            " '不符合', 2, '缺记录', CURRENT_TIMESTAMP)"),
            {"c": campaign.id, "u": campaign.units[0].id})


def test_downgrade_to_nothing_and_back(app):
    db.session.commit()
    downgrade(revision="base")
    try:
        assert set(inspect(db.engine).get_table_names()) <= {
            "alembic_version", "alembic_version_checklist"}
    finally:
        upgrade()
    assert {"ballot", "access_code", "campaign", "unit", "checklist_entry"} <= set(
        inspect(db.engine).get_table_names())
    assert schema.current("core") == _head("core")
    assert schema.current("checklist") == _head("checklist")


def _head(name: str) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(
        schema.alembic_config(schema.migration_set(name))).get_current_head()


def test_a_plugins_tables_are_its_own_line(app):
    """The checklist plugin's tables come and go with its own line; the core's stay."""
    assert [m.name for m in schema.migration_sets()][:2] == ["core", "checklist"]
    db.session.commit()
    downgrade("checklist", "base")
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert "checklist_entry" not in tables and "rectification_item" not in tables
        assert {"campaign", "unit", "ballot"} <= tables
        assert schema.current("core") == _head("core")
        assert schema.current("checklist") is None
    finally:
        upgrade()
    assert "checklist_entry" in inspect(db.engine).get_table_names()


def test_checklist_tables_made_by_the_core_are_adopted_with_their_rows(app):
    """An installation from before the plugin owned its tables (the core's revision 0003
    made them, and nothing recorded the plugin's line) keeps every finding."""
    from evalplatform.testing import build_campaign

    campaign, _ = build_campaign(codes_per_group=1)
    db.session.commit()
    _insert_finding(campaign)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version_checklist"))
    upgrade()
    assert schema.current("checklist") == _head("checklist")
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT item_text, note, deduction FROM checklist_entry"))
        assert rows.all() == [("三会一课", "缺记录", 2)]


def test_foreign_keys_are_enforced_after_migrating(app):
    from sqlalchemy import text

    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:  # the pooled connection the migration used
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_answer_rows_are_packed_into_ballots_and_unpacked_on_downgrade(app):
    """Revision 0006 keeps every answer: ballots stored before cells existed get theirs
    from the answer rows; a downgrade writes the rows back from the cells."""
    from evalplatform.models import Ballot
    from evalplatform.testing import build_campaign, cast_ballot, stored_answers

    campaign, plaintext = build_campaign(codes_per_group=3)
    for k, code in enumerate(plaintext["服务对象"] + plaintext["机关干部"]):
        cast_ballot(campaign, code, lambda name, item, k=k: (k + len(name)) % 3)
    ids = db.session.scalars(select(Ballot.id)).all()
    before = {i: stored_answers(i) for i in ids}
    db.session.commit()
    downgrade("core", "0005")
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
