"""Nothing joins a ballot to the code that cast it (DESIGN.md, anonymity contract)."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import inspect, select, text

from evalplatform.accesslog import redact_path
from evalplatform.extensions import db
from evalplatform.models import AccessCode, Ballot
from evalplatform.services import codes
from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot
from evalplatform.testing import build_campaign


def dump_database() -> str:
    """Every row of every table, as text (what someone with a database copy would see)."""
    db.session.commit()
    lines = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def cast(campaign, code: str) -> None:
    q = questionnaire(campaign)
    ballot = BallotInput(answers={(u.id, i.id): 0 for u in q.units for i in q.items})
    submit_ballot(codes.hash_code(code), q, ballot)
    db.session.commit()


def test_ballot_schema_has_nothing_that_could_point_at_a_code(app):
    columns = {c["name"] for c in inspect(db.engine).get_columns("ballot")}
    # cells: the ballot's own answers, packed (nothing about who or when)
    assert columns == {"id", "campaign_id", "rater_group_id", "submitted_on", "cells"}
    code_columns = {c["name"] for c in inspect(db.engine).get_columns("access_code")}
    assert not any("ballot" in name or "time" in name or "_at" in name for name in code_columns)


def test_codes_are_random_grouped_and_only_stored_hashed(app):
    campaign, plaintext = build_campaign(codes_per_group=40)
    all_codes = plaintext["服务对象"] + plaintext["机关干部"]
    assert len(set(all_codes)) == 80
    for code in all_codes:
        assert len(code) == 14 and code[4] == code[9] == "-"
        assert set(code.replace("-", "")) <= set(codes.ALPHABET)
    assert codes.CODE_BITS >= 60
    dump = dump_database()
    for code in all_codes:
        assert code not in dump and code.replace("-", "") not in dump
    stored = set(db.session.scalars(select(AccessCode.code_hash)))
    assert stored == {codes.hash_code(c) for c in all_codes}


def test_hash_depends_on_the_secret_key(app):
    code = codes.generate_code()
    first = codes.hash_code(code)
    app.config["CODE_HASH_KEY"] = "another-key"
    try:
        assert codes.hash_code(code) != first
    finally:
        app.config["CODE_HASH_KEY"] = "test-code-key"


def test_ballot_order_and_ids_do_not_follow_submission_order(app):
    campaign, plaintext = build_campaign(codes_per_group=30)
    submitted = []
    for code in plaintext["服务对象"]:
        before = set(db.session.scalars(select(Ballot.id)))
        cast(campaign, code)
        (new_id,) = set(db.session.scalars(select(Ballot.id))) - before
        submitted.append(new_id)
    assert submitted != sorted(submitted)  # ids are random, not a sequence
    if db.engine.dialect.name == "sqlite":
        # stored without rowid: the physical order is the (random) key order
        physical = [row[0] for row in db.session.execute(text("SELECT id FROM ballot"))]
        assert physical == sorted(submitted) and physical != submitted
    dates = set(db.session.scalars(select(Ballot.submitted_on)))
    assert dates == {date.today()}  # a day, never a time


def test_used_codes_carry_no_time_or_ballot(app):
    campaign, plaintext = build_campaign(codes_per_group=6)
    for code in plaintext["服务对象"][:3]:
        cast(campaign, code)
    rows = db.session.execute(select(AccessCode)).scalars().all()
    used = [r for r in rows if r.status == "used"]
    assert len(used) == 3
    # a used code row differs from an unused one only in its status
    for row in used:
        assert set(vars(row)) - {"_sa_instance_state"} == {
            "id", "campaign_id", "rater_group_id", "batch_id", "code_hash", "status"}


def test_access_log_masks_codes():
    assert redact_path("/s/K7QM-2XRP-9TWD") == "/s/<code>"
    assert redact_path("/s/K7QM2XRP9TWD/extra") == "/s/<code>/extra"
    assert redact_path("/survey") == "/survey"


def test_server_log_has_no_address_and_no_code(app, live_server):
    import requests

    campaign, plaintext = build_campaign(codes_per_group=1)
    code = plaintext["服务对象"][0]
    requests.get(f"{live_server.url}/s/{code}", allow_redirects=False, timeout=10)
    deadline = time.monotonic() + 10
    while "/s/<code>" not in (log := live_server.log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)  # another worker process may write its line a moment later
    assert "/s/<code>" in log
    assert code not in log and code.replace("-", "") not in log
    assert "127.0.0.1 " not in log.replace("Listening at: http://127.0.0.1", "")
