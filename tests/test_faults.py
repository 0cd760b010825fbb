"""Faults: a busy database, a worker killed mid-run, a campaign closed while ballots arrive.

What must hold whatever happens: a ballot is stored whole or not at all, a code is used
exactly when its ballot is stored, a refusal stores nothing, and the person is told what
to do (never a bare 500).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import event, exc, func, select

from evalplatform.database import DriverStatement
from evalplatform.extensions import db
from evalplatform.models import AccessCode, AuditEvent, Ballot, Comment, ResultSnapshot, Unit
from evalplatform.scoring.snapshots import verify
from evalplatform.services.ballots import questionnaire
from evalplatform.services.codes import hash_code
from evalplatform.testing import (
    ADMIN_PASSWORD,
    LiveServer,
    answers_stored,
    build_campaign,
    csrf_token,
    post_form,
    stored_answers,
)

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def count(model, *where) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def answer_form(campaign, comment: str | None = None) -> dict:
    q = questionnaire(campaign)
    form = {f"a-{u.id}-{i.id}": "0" for u in q.units for i in q.items}
    if comment:
        form["c-general"] = comment
    return form


@contextmanager
def failing(statement_start: str, message: str = "database is locked"):
    """Make the database refuse statements that start with ``statement_start`` as a busy
    database does (the driver's own OperationalError), for requests in this process:
    those run through SQLAlchemy and those of a ballot, run on the driver's cursor."""
    engine = db.engine
    driver_error = engine.dialect.loaded_dbapi.OperationalError

    def refused(statement: str) -> bool:
        return statement.lstrip().upper().startswith(statement_start)

    def refuse(conn, cursor, statement, parameters, context, executemany):
        if refused(statement):
            # what SQLAlchemy raises when the driver reports the database busy
            raise exc.OperationalError(statement, parameters, driver_error(message))

    class BusyCursor:
        def __init__(self, cursor):
            self.cursor = cursor

        def execute(self, statement, parameters=()):
            if refused(statement):
                raise driver_error(message)
            self.cursor.execute(statement, parameters)
            return self

        def __getattr__(self, name):
            return getattr(self.cursor, name)

    real_execute = DriverStatement.execute

    def execute(self, cursor, values):
        return real_execute(self, BusyCursor(cursor), values)

    event.listen(engine, "before_cursor_execute", refuse)
    DriverStatement.execute = execute
    try:
        yield
    finally:
        DriverStatement.execute = real_execute
        event.remove(engine, "before_cursor_execute", refuse)


# -- a busy database -----------------------------------------------------------------------

@pytest.mark.parametrize("statement", ["UPDATE ACCESS_CODE", "INSERT INTO BALLOT",
                                       "INSERT INTO COMMENT"])
def test_a_busy_database_during_the_ballot_post_stores_nothing_and_asks_to_retry(
        client, statement):
    campaign, plaintext = build_campaign()
    code = plaintext["服务对象"][0]
    assert client.get(f"/s/{code}").status_code == 303
    page = client.get("/survey").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), **answer_form(campaign, "窗口办事效率有待提高")}
    with failing(statement):
        busy = client.post("/survey", data=form)
    assert busy.status_code == 503
    text = busy.get_data(as_text=True)
    assert "系统繁忙，请稍后重试，您的评议未保存" in text and "返回评议表" in text
    assert int(busy.headers["Retry-After"]) > 0
    # nothing of the half-done transaction is kept: the code is still unused
    assert count(Ballot) == count(Comment) == 0
    assert count(AccessCode, AccessCode.status == "used") == 0
    # and the respondent, trying again a moment later, gets the ballot in
    again = client.post("/survey", data=form)
    assert again.status_code == 303 and again.headers["Location"].endswith("/done")
    assert count(Ballot) == 1 and count(Comment) == 1
    assert answers_stored() == len(answer_form(campaign))


def test_a_busy_database_on_a_staff_form_changes_nothing(admin_client):
    events = count(AuditEvent)
    with failing("INSERT INTO UNIT"):
        busy = post_form(admin_client, "/admin/units", {"name": "办公室", "category": "综合管理类"})
    assert busy.status_code == 503
    assert "系统繁忙，请稍后重试，您提交的内容未保存" in busy.get_data(as_text=True)
    assert count(Unit) == 0 and count(AuditEvent) == events


def test_a_busy_database_on_the_api_is_a_json_503(app, client, admin_user):
    from evalplatform.services.users import create_token

    token = create_token(admin_user)
    db.session.commit()
    with failing("SELECT CAMPAIGN", "could not connect to server"):
        busy = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
    assert busy.status_code == 503 and busy.json == {"error": "service unavailable"}


# -- a real server: workers killed, campaigns closed under load ------------------------------

@pytest.fixture(scope="module")
def server(_app, app_config, instance_dir):
    """A gunicorn of its own (3 workers): these tests kill its workers."""
    live = LiveServer(app_config, instance_dir, workers=3, threads=4)
    yield live
    live.stop()


def workers(server) -> set[int]:
    """The live worker processes of a gunicorn (killed ones not yet reaped excepted)."""
    pid = server.process.pid
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            children = [int(p) for p in fh.read().split()]
    except FileNotFoundError:
        return set()
    alive = set()
    for child in children:
        try:
            with open(f"/proc/{child}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.add(child)
        except FileNotFoundError:
            continue
    return alive


def wait_for_workers(server, n: int, timeout: float = 30) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = workers(server)
        if len(pids) == n:
            try:
                if requests.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                    return pids
            except requests.RequestException:
                pass
        time.sleep(0.1)
    raise AssertionError(f"gunicorn has {len(workers(server))} workers, not {n}")


class Browser:
    """A respondent's browser with the ballot open (code already out of the URL)."""

    def __init__(self, base: str, code: str, form: dict):
        self.base, self.code = base, code
        self.session = requests.Session()
        first = self.session.get(f"{base}/s/{code}", allow_redirects=False, timeout=30)
        assert first.status_code == 303, first.text[:300]
        page = self.session.get(f"{base}/survey", timeout=30)
        self.form = {"csrf_token": TOKEN.search(page.text).group(1), **form}
        self.outcome: int | str | None = None
        self.text = ""

    def submit(self) -> int | str:
        # a fresh connection for every POST (gunicorn drops idle keep-alive connections)
        self.session.close()
        try:
            response = self.session.post(f"{self.base}/survey", data=self.form,
                                         allow_redirects=False, timeout=60)
            self.outcome, self.text = response.status_code, response.text
        except requests.RequestException as error:  # the worker died under this request
            self.outcome = type(error).__name__
        return self.outcome


def run(browsers, *, threads: int, at_fraction: float, action, pace: float = 0) -> None:
    """Submit every ballot from ``threads`` threads (each pausing ``pace`` seconds after a
    submission); when ``at_fraction`` of them have an answer, call ``action()`` from
    another thread while the rest are still arriving."""
    done = threading.Semaphore(0)
    trigger = max(1, int(len(browsers) * at_fraction))

    def watcher():
        for _ in range(trigger):
            done.acquire()
        action()

    def one(browser):
        browser.submit()
        done.release()
        time.sleep(pace)

    thread = threading.Thread(target=watcher)
    thread.start()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, browsers))
    thread.join(60)


def assert_whole(campaign, cells: int) -> None:
    """Every stored ballot has all its answers; exactly one used code per ballot."""
    db.session.commit()
    ballots = db.session.scalars(select(Ballot.id).where(Ballot.campaign_id == campaign.id)).all()
    per_ballot = {ballot_id: len(stored_answers(ballot_id)) for ballot_id in ballots}
    assert set(per_ballot) == set(ballots)
    assert set(per_ballot.values()) <= {cells}
    used = dict(db.session.execute(
        select(AccessCode.rater_group_id, func.count()).where(AccessCode.status == "used")
        .group_by(AccessCode.rater_group_id)).all())
    stored = dict(db.session.execute(
        select(Ballot.rater_group_id, func.count()).group_by(Ballot.rater_group_id)).all())
    assert used == stored


class SlowPost:
    """A ballot POST whose body is only half sent: a worker has taken it and is inside
    the request, waiting for the rest — certainly mid-submission when it is killed."""

    def __init__(self, server, browser: Browser):
        body = urlencode(browser.form).encode()
        cookies = "; ".join(f"{c.name}={c.value}" for c in browser.session.cookies)
        head = (f"POST /survey HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nCookie: {cookies}\r\n"
                "Connection: close\r\n\r\n").encode()
        self.browser = browser
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.sock.sendall(head + body[:len(body) // 2])
        self.rest = body[len(body) // 2:]
        self.worker = self._owner(server)

    def _owner(self, server) -> int:
        """The worker process holding the server side of this connection."""
        port = self.sock.getsockname()[1]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open("/proc/net/tcp") as fh:
                rows = [line.split() for line in fh.read().splitlines()[1:]]
            inodes = {row[9] for row in rows if row[1].endswith(f":{server.port:04X}")
                      and row[2].endswith(f":{port:04X}")}
            for pid in workers(server):
                try:
                    fds = os.listdir(f"/proc/{pid}/fd")
                    links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds}
                except OSError:
                    continue
                if any(f"socket:[{inode}]" in links for inode in inodes):
                    return pid
            time.sleep(0.05)
        raise AssertionError("no worker took the connection")

    def finish(self) -> int | str:
        try:
            self.sock.sendall(self.rest)
            answer = self.sock.recv(64)
        except OSError as error:
            return type(error).__name__
        finally:
            self.sock.close()
        return int(answer.split()[1]) if answer else "closed"


def test_a_worker_killed_mid_run_leaves_no_half_ballot_and_the_server_serves_on(app, server):
    campaign, plaintext = build_campaign(codes_per_group=20)
    form = answer_form(campaign)
    browsers = [Browser(server.url, code, form)
                for code in plaintext["服务对象"] + plaintext["机关干部"]]
    killed: list[int] = []
    cut_off: list[Browser] = []
    # two rounds: a ballot half-posted to a worker, 19 others streaming in, and that worker
    # killed a third of the way through the stream
    for start in (0, 20):
        wait_for_workers(server, 3)
        slow = SlowPost(server, browsers[start])

        def kill(victim=slow.worker):
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

        run(browsers[start + 1:start + 20], threads=8, at_fraction=0.3, action=kill)
        slow.browser.outcome = slow.finish()
        assert not isinstance(slow.browser.outcome, int), slow.browser.outcome
        cut_off.append(slow.browser)
    assert len(killed) == 2
    # the master replaced the workers and the server answers
    alive = wait_for_workers(server, 3)
    assert not alive & set(killed)
    assert_whole(campaign, len(form))
    outcomes = [b.outcome for b in browsers if b not in cut_off]
    assert set(outcomes) <= {303, "ConnectionError", "ChunkedEncodingError"}, outcomes
    assert count(Ballot) >= outcomes.count(303)
    # a ballot cut off before it was read is not stored and its code is still good
    for browser in cut_off:
        assert count(AccessCode, AccessCode.status == "new",
                     AccessCode.code_hash == hash_code(browser.code)) == 1
    # whoever lost the connection tries again: stored before the kill → "already used",
    # not stored → stored now. Either way exactly one ballot per code, none lost.
    for browser in browsers:
        if not isinstance(browser.outcome, int):
            assert browser.submit() in (303, 410)
    assert all(b.outcome == 303 for b in cut_off)
    assert count(Ballot) == len(browsers) == count(AccessCode, AccessCode.status == "used")
    assert_whole(campaign, len(form))


def staff_session(base: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=30)
    response = browser.post(f"{base}/login", data={
        "csrf_token": csrf_token(page.text), "username": "admin",
        "password": ADMIN_PASSWORD}, allow_redirects=False, timeout=30)
    assert response.status_code == 302
    return browser


def test_closing_a_campaign_while_ballots_arrive_keeps_each_whole_or_refused(
        app, server, admin_user):
    campaign, plaintext = build_campaign(codes_per_group=32)
    form = answer_form(campaign)
    browsers = [Browser(server.url, code, form)
                for code in plaintext["服务对象"] + plaintext["机关干部"]]
    admin = staff_session(server.url)
    page = admin.get(f"{server.url}/admin/campaigns/{campaign.id}", timeout=30)
    token = csrf_token(page.text)
    closed: list[int] = []

    def close():
        closed.append(admin.post(f"{server.url}/admin/campaigns/{campaign.id}/close",
                                 data={"csrf_token": token, "confirm": "yes"},
                                 allow_redirects=False,
                                 timeout=60).status_code)

    # ballots arrive steadily for about a second; closing (which scores the campaign and
    # stores the published results) starts a quarter of the way in
    run(browsers, threads=8, at_fraction=0.25, action=close, pace=0.1)
    assert closed == [303]
    outcomes = [b.outcome for b in browsers]
    assert set(outcomes) <= {303, 403}, outcomes
    accepted, refused = outcomes.count(303), outcomes.count(403)
    assert accepted and refused, outcomes  # the close really fell in the middle
    assert count(Ballot) == accepted == count(AccessCode, AccessCode.status == "used")
    assert count(AccessCode, AccessCode.status == "new") == refused
    assert_whole(campaign, len(form))
    # a refused respondent is told the campaign is over
    assert all("评议活动已经结束" in b.text for b in browsers if b.outcome == 403)
    # the results published at closing count exactly the ballots that are in
    db.session.expire_all()
    snapshot = db.session.scalar(select(ResultSnapshot).where(
        ResultSnapshot.campaign_id == campaign.id))
    assert snapshot.results["ballots"] == accepted
    assert verify(db.session.merge(campaign)).ok
