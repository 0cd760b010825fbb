"""Nothing joins a ballot to the code that cast it (docs/design.md, anonymity contract)."""

from __future__ import annotations

import os
import random
import re
import sqlite3
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from evalplatform.accesslog import redact_path
from evalplatform.extensions import db
from evalplatform.models import AccessCode, Ballot, Comment
from evalplatform.services import campaigns, codes, seal
from evalplatform.services.ballots import (
    BallotInput,
    answer_field,
    comment_field,
    questionnaire,
    submit_ballot,
)
from evalplatform.testing import build_campaign, csrf_token


def dump_database() -> str:
    """Every row of every table, as text (what someone with a database copy would see)."""
    db.session.commit()
    lines = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def cast(campaign, code: str, comment: str = "") -> None:
    q = questionnaire(campaign)
    ballot = BallotInput(answers={(u.id, i.id): 0 for u in q.units for i in q.items},
                         comments={q.units[0].id: comment} if comment else {})
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
    for path in ("/s/K7QM-2XRP-9TWD", "/s/K7QM2XRP9TWD/extra", "//s/K7QM2XRP9TWD",
                 "/./s/K7QM2XRP9TWD", "/%73/K7QM2XRP9TWD", "/%2573/K7QM2XRP9TWD", "/S/x",
                 "/a/../s/K7QM2XRP9TWD", "\\s\\K7QM2XRP9TWD"):
        assert redact_path(path) == "/s/<code>", path
    assert redact_path("/K7QM-2XRP-9TWD") == "/<code>"
    assert redact_path("/k7qm 2xrp 9twd/x") == "/<code>/x"
    assert redact_path("/survey") == "/survey"
    assert redact_path("/evaluator/campaigns/3/results") == "/evaluator/campaigns/3/results"


def test_server_log_has_no_address_and_no_code(app, live_server):
    """Every way a code can reach the server — routed like /s/<code>, typed in the wrong
    place, in a query, a form, a header or a malformed request line — and an address
    claimed in X-Forwarded-For: neither the access log nor the error log holds either."""
    import socket

    import requests

    campaign, plaintext = build_campaign(codes_per_group=2)
    code = plaintext["服务对象"][0]
    bare = code.replace("-", "")
    start = live_server.log.stat().st_size
    session = requests.Session()
    forwarded = {"X-Forwarded-For": "203.0.113.77", "X-Real-IP": "198.51.100.23"}
    for path in (f"/s/{code}", f"//s/{code}", f"/./s/{bare}", f"/%73/{code}",
                 f"/s/{code.lower()}", f"/S/{code}", f"/{code}", f"/static/{bare}",
                 f"/lang/{bare}", f"/?code={code}", f"/survey?c={bare}",
                 f"/evaluator/campaigns/{bare}"):
        session.get(live_server.url + path, allow_redirects=False, timeout=10, headers=forwarded)
    page = session.get(live_server.url + "/", timeout=10).text
    session.post(live_server.url + "/", data={"csrf_token": csrf_token(page), "code": code},
                 allow_redirects=False, timeout=10, headers=forwarded)
    # (a code without a digit, as about one random code in a hundred is: it once came
    # through in gunicorn's "Invalid HTTP method" line)
    digitless = "FNJHZHWGSFHY"
    for line in (f"GET /s/{code} HTTP/9.9", f"GET /s/{code} {bare} HTTP/1.1", f"{bare} / HTTP/1.1",
                 f"{digitless} / HTTP/1.1"):
        with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as raw:
            raw.sendall(line.encode() + b"\r\nHost: x\r\n\r\n")
            raw.recv(1024)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # workers write their lines a moment later
        log = live_server.log.read_bytes()[start:].decode(errors="replace")
        if log.count("/s/<code>") >= 5 and "<no route>" in log:
            break
        time.sleep(0.1)
    assert "/s/<code>" in log and "<no route>" in log
    for variant in (code, bare, code.lower(), bare.lower(), bare[:8], digitless):
        assert variant not in log, variant
    assert not IPV4.search(log), IPV4.search(log)


# -- the audit: a run through the real server, then everything that was written ------------

IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def rows_by_table() -> dict[str, list[tuple]]:
    db.session.commit()
    return {t.name: sorted(map(tuple, db.session.execute(select(t)).all()), key=repr)
            for t in db.metadata.sorted_tables}


def physical_ids(table: str) -> list:
    """Row ids in the order the database hands them out unasked (what a dump or a copy of
    the file shows)."""
    db.session.commit()
    statement = {"ballot": "SELECT id FROM ballot", "access_code": "SELECT id FROM access_code"}
    return [row[0] for row in db.session.execute(text(statement[table]))]


def test_anonymity_audit_of_the_database_and_the_logs_after_a_run(app, live_server):
    """Twenty respondents vote through gunicorn; then every table (every column) and the
    server's log are searched for anything that ties a ballot to the code that cast it."""
    import requests

    campaign, plaintext = build_campaign(codes_per_group=10)
    q = questionnaire(campaign)
    form = {f"a-{u.id}-{i.id}": str(n % len(i.options)) for n, (u, i) in
            enumerate((u, i) for u in q.units for i in q.items)}
    codes_in_order = plaintext["服务对象"] + plaintext["机关干部"]
    before = rows_by_table()
    log_start = live_server.log.stat().st_size
    submitted: list[int] = []
    for n, code in enumerate(codes_in_order):
        browser = requests.Session()
        assert browser.get(f"{live_server.url}/s/{code}", allow_redirects=False,
                           timeout=30).status_code == 303
        token = TOKEN.search(browser.get(f"{live_server.url}/survey", timeout=30).text).group(1)
        known = set(db.session.scalars(select(Ballot.id)))
        sent = browser.post(f"{live_server.url}/survey", allow_redirects=False, timeout=30,
                            data={"csrf_token": token, **form, "c-general": f"第{n}号意见"})
        assert sent.status_code == 303
        db.session.commit()
        (new_id,) = set(db.session.scalars(select(Ballot.id))) - known
        submitted.append(new_id)
        if n < 3:  # the same code again: refused, and leaves no trace either (a few
            # times only: the server's rate limit counts refusals per address)
            assert browser.get(f"{live_server.url}/s/{code}", allow_redirects=False,
                               timeout=30).status_code == 410
    after = rows_by_table()

    # 1. the run wrote ballots and comments, and flipped code statuses: nothing else
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"ballot", "comment", "access_code"}
    used = [r for r in after["access_code"] if r not in before["access_code"]]
    old = {r[0]: r for r in before["access_code"]}
    assert len(used) == len(codes_in_order)
    for row in used:  # a used code differs from what it was only in its status
        was = old[row[0]]
        assert [a for a, b in zip(row, was, strict=True) if a != b] == ["used"]

    # 2. no precise time anywhere on the respondents' side; the ballot keeps the day
    for table in ("ballot", "comment", "access_code"):
        for column in db.metadata.tables[table].columns:
            assert column.type.python_type is not datetime, (table, column.name)
    assert {r[3] for r in after["ballot"]} == {date.today()}

    # 3. no address, no code, no hash of a code next to a ballot
    dump = "\n".join(f"{t}: {r!r}" for t in after for r in after[t])
    assert not IPV4.search(dump), IPV4.search(dump)
    for code in codes_in_order:
        assert code not in dump and code.replace("-", "") not in dump
    ballot_text = repr(after["ballot"] + after["comment"])
    for row in after["access_code"]:
        assert row[4].hex() not in ballot_text and repr(row[4]) not in ballot_text

    # 4. ballot ids, and the order rows come out in, do not follow the order of submission
    assert submitted != sorted(submitted) and submitted != sorted(submitted, reverse=True)
    comments_in_order = [f"第{n}号意见" for n in range(len(codes_in_order))]
    stored_comments = [r[3] for r in sorted(after["comment"], key=lambda r: r[0])]
    assert stored_comments != comments_in_order
    # (sealed, as the server does within SEAL_INTERVAL of a ballot; see the tests below)
    seal.seal(campaign.id)
    assert physical_ids("ballot") != submitted
    if db.engine.dialect.name == "sqlite":
        assert physical_ids("ballot") == sorted(submitted) != submitted
        # the used codes keep the places they were issued in: their order is the issue
        # order, which says nothing about when each was used
        assert physical_ids("access_code") == sorted(physical_ids("access_code"))

    # 5. the server's log: requests without addresses, codes masked, no ballot or comment
    log = live_server.log.read_bytes()[log_start:].decode(errors="replace")
    assert "POST /survey" in log and "/s/<code>" in log
    assert not IPV4.search(log.replace("Listening at: http://127.0.0.1", ""))
    for code in codes_in_order:
        assert code not in log and code.replace("-", "") not in log
        assert codes.hash_code(code).hex() not in log
    for ballot_id in submitted:
        assert str(ballot_id) not in log
    assert "意见" not in log


def submit_in_random_order(campaign, plaintext) -> tuple[list[str], list[int]]:
    """Cast every code in a random order, one in three with a comment; return the codes
    and the ballot ids in submission order."""
    order = plaintext["服务对象"] + plaintext["机关干部"]
    random.Random(7).shuffle(order)
    submitted = []
    for k, code in enumerate(order):
        known = set(db.session.scalars(select(Ballot.id)))
        cast(campaign, code, comment="" if k % 3 else f"意见{k}")
        (new_id,) = set(db.session.scalars(select(Ballot.id))) - known
        submitted.append(new_id)
    return order, submitted


def writers(table: str, where: str = "") -> set[str]:
    """The transaction ids (PostgreSQL's xmin) of a table's rows."""
    return set(db.session.scalars(text(f"SELECT xmin::text FROM {table} {where}")))  # noqa: S608


def test_sealed_storage_does_not_tie_a_ballot_to_its_code(app, instance_dir):
    """What someone with a copy of the database sees beyond the columns: the order rows
    are stored in, on PostgreSQL the transaction that wrote each row, on SQLite the
    write-ahead log. Right after a submission they tie the ballot to its code (the
    window docs/security.md states); once the campaign is sealed, nothing does."""
    postgres = db.engine.dialect.name == "postgresql"
    campaign, plaintext = build_campaign(codes_per_group=8)
    order, submitted = submit_in_random_order(campaign, plaintext)
    if postgres:  # the window: each ballot shares its writer with its code
        assert seal.needs_seal(campaign.id)
        assert len(writers("ballot")) == len(order)
        assert writers("ballot") == writers("access_code", "WHERE status = 'used'")

    assert seal.needs_seal(campaign.id)
    assert seal.seal(campaign.id) is True
    by_hash = {codes.hash_code(c): c for c in order}
    used_rows = db.session.execute(select(AccessCode.id, AccessCode.code_hash).where(
        AccessCode.status == "used")).all()
    code_order = physical_ids("access_code")
    used_in_storage_order = [by_hash[bytes(h)] for _, h in sorted(
        used_rows, key=lambda r: code_order.index(r[0]))]
    assert sorted(physical_ids("ballot")) == sorted(submitted)
    assert physical_ids("ballot") != submitted
    assert used_in_storage_order != order
    assert not seal.needs_seal(campaign.id)
    assert seal.seal(campaign.id) is False  # nothing left to rewrite
    if postgres:
        everything = (writers("ballot") | writers("comment")
                      | writers("access_code", "WHERE status = 'used'"))
        assert len(everything) == 1
    else:
        wal = instance_dir / "test.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0
    # the ballots, their comments and the codes' states are what they were
    assert count(Ballot) == len(order) and count(Comment) == len(range(0, len(order), 3))
    assert count(AccessCode, AccessCode.status == "used") == len(order)


def test_sealed_pages_do_not_lay_ballots_out_in_the_order_they_came(app, tmp_path):
    """SQLite: within a page, a row's bytes sit where free space was when it arrived, so a
    page of ballots stored one after another lays them out in submission order even
    though their ids are random. Read as someone with a backup would (tests/
    sqlite_pages.py): before sealing the layout follows the order (the window), after a
    seal and a backup it says nothing of it, for the ballots, their index and comments."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's storage order is checked by the test above")
    from tests.sqlite_pages import leaf_cells, written_in_order

    campaign, plaintext = build_campaign(codes_per_group=150)
    order = plaintext["服务对象"] + plaintext["机关干部"]
    random.Random(11).shuffle(order)
    arrival: dict[int, int] = {}
    for k, code in enumerate(order):
        known = set(db.session.scalars(select(Ballot.id)))
        cast(campaign, code, comment=f"意见{k}")
        (new_id,) = set(db.session.scalars(select(Ballot.id))) - known
        arrival[new_id] = k
    comment_arrival = {cid: arrival[bid] for cid, bid in db.session.execute(
        select(Comment.id, Comment.ballot_id))}

    def layout(label: str) -> dict[str, float]:
        backup = tmp_path / f"{label}.db"
        source = db.engine.raw_connection()
        try:
            with sqlite3.connect(backup) as target:
                source.driver_connection.backup(target)
        finally:
            source.close()
        shares = {}
        for name, column, when in (("ballot", 0, arrival), ("ix_ballot_campaign_id", -1, arrival),
                                   ("comment", 0, comment_arrival)):
            share, pairs = written_in_order(leaf_cells(backup, name, column), when)
            assert pairs > 1000, (name, pairs)
            shares[name] = share
        return shares

    db.session.commit()
    before = layout("before")
    assert all(share > 0.58 for share in before.values()), before  # the window (62%: issue 17)
    seal.seal(campaign.id)
    after = layout("after")
    assert all(0.4 < share < 0.6 for share in after.values()), after
    assert count(Ballot) == count(Comment) == len(order)


def test_ballots_are_sealed_in_the_background_soon_after_they_arrive(app, client,
                                                                     instance_dir):
    campaign, plaintext = build_campaign(codes_per_group=2)
    q = questionnaire(campaign)
    app.config["SEAL_INTERVAL"] = 0.2
    try:
        for code in plaintext["服务对象"] + plaintext["机关干部"]:
            page = client.get(f"/s/{code}", follow_redirects=True).get_data(as_text=True)
            form = {answer_field(u.id, i.id): "0" for u in q.units for i in q.items}
            response = client.post("/survey", data={"csrf_token": csrf_token(page), **form})
            assert response.status_code == 303
        wal = instance_dir / "test.db-wal"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            db.session.commit()
            if (not seal.needs_seal(campaign.id) if db.engine.dialect.name == "postgresql"
                    else not wal.exists() or wal.stat().st_size == 0):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the campaign was not sealed within 20 s of its last ballot")
    finally:
        app.config["SEAL_INTERVAL"] = 0
    assert count(Ballot) == 4


def _workers(master: int) -> list[int]:
    """The pids of a gunicorn master's workers."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("how", ["reload", "kill"])
def test_a_ballot_stored_just_before_its_worker_goes_is_sealed_all_the_same(
        app, app_config, instance_dir, how):
    """A ballot is stored, and at once gunicorn reloads its workers (HUP) or every worker is
    killed (SIGKILL): the fresh workers seal it within SEAL_INTERVAL all the same, on
    SQLite and on PostgreSQL — the seal is found from the database, not from a timer in
    the process that stored the ballot."""
    import signal

    import requests

    from evalplatform.testing import LiveServer

    interval = 5
    server = LiveServer({**app_config, "SEAL_INTERVAL": interval}, instance_dir, workers=2)
    try:
        campaign, plaintext = build_campaign(codes_per_group=2)
        q = questionnaire(campaign)
        browser = requests.Session()
        page = browser.get(f"{server.url}/s/{plaintext['服务对象'][0]}", timeout=10).text
        form = {answer_field(u.id, i.id): "0" for u in q.units for i in q.items}
        time.sleep(interval + 0.2 - time.time() % interval)  # just after the workers looked
        posted = browser.post(f"{server.url}/survey", allow_redirects=False, timeout=10,
                              data={"csrf_token": csrf_token(page), **form})
        assert posted.status_code == 303
        before = _workers(server.process.pid)
        if how == "reload":
            os.kill(server.process.pid, signal.SIGHUP)
        else:
            for pid in before:
                os.kill(pid, signal.SIGKILL)
        db.session.commit()  # (a fresh read)
        assert seal.needs_seal(campaign.id)
        if db.engine.dialect.name == "postgresql":  # the window, before the seal
            assert writers("ballot") == writers("access_code", "WHERE status = 'used'")
        deadline = time.monotonic() + interval + 15
        while seal.needs_seal(campaign.id) and time.monotonic() < deadline:
            db.session.commit()
            time.sleep(0.2)
        assert not seal.needs_seal(campaign.id), "not sealed after the workers went"
        assert set(_workers(server.process.pid)) - set(before)  # fresh workers (the old may
        # still be finishing their last requests after a reload)
        if db.engine.dialect.name == "postgresql":
            assert len(writers("ballot") | writers("access_code", "WHERE status = 'used'")) == 1
        else:  # the log is truncated just after the seal commits (or at the next look)
            wal = instance_dir / "test.db-wal"
            db.session.commit()  # no reader of ours may keep the log from being truncated
            deadline = time.monotonic() + 2 * interval + 5
            while wal.exists() and wal.stat().st_size and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not wal.exists() or wal.stat().st_size == 0
        assert count(Ballot) == 1
    finally:
        server.stop()


def test_closing_a_campaign_seals_it(app):
    campaign, plaintext = build_campaign(codes_per_group=4)
    submit_in_random_order(campaign, plaintext)
    campaigns.close_campaign(campaign, None)
    db.session.commit()
    assert not seal.needs_seal(campaign.id)
    if db.engine.dialect.name == "postgresql":
        assert len(writers("ballot") | writers("access_code", "WHERE status = 'used'")) == 1


def test_sealing_while_ballots_arrive_loses_nothing(app, live_server):
    """Respondents keep voting through gunicorn while the campaign is sealed again and
    again: every accepted ballot is stored once, with its comment, and counts match."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    campaign, plaintext = build_campaign(codes_per_group=15)
    q = questionnaire(campaign)
    form = {answer_field(u.id, i.id): "1" for u in q.units for i in q.items}
    form[comment_field(None)] = "建议"

    def vote(code: str) -> int:
        browser = requests.Session()
        page = browser.get(f"{live_server.url}/s/{code}").text
        return browser.post(f"{live_server.url}/survey", allow_redirects=False,
                            data={"csrf_token": csrf_token(page), **form}).status_code

    codes_ = plaintext["服务对象"] + plaintext["机关干部"]
    with ThreadPoolExecutor(6) as pool:
        votes = [pool.submit(vote, code) for code in codes_]
        while not all(v.done() for v in votes):
            seal.seal(campaign.id)
        statuses = [v.result() for v in votes]
    seal.seal(campaign.id)
    assert statuses == [303] * len(codes_)
    assert count(Ballot) == count(Comment) == len(codes_)
    assert count(AccessCode, AccessCode.status == "used") == len(codes_)
    assert not seal.needs_seal(campaign.id)


def count(model, *where) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_seal_command_seals_every_campaign_with_ballots(app):
    campaign, plaintext = build_campaign(codes_per_group=3)
    submit_in_random_order(campaign, plaintext)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ballots", "seal"])
    assert result.exit_code == 0, result.output
    assert result.output == f"campaign {campaign.id}: sealed (rows rewritten)\n"
    assert not seal.needs_seal(campaign.id)
    again = runner.invoke(args=["ballots", "seal", str(campaign.id)])
    assert again.output == f"campaign {campaign.id}: sealed\n"
    missing = runner.invoke(args=["ballots", "seal", "999"])
    assert missing.exit_code != 0 and "no campaign 999" in missing.output
