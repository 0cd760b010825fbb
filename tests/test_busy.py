"""A database held by someone else: every request answers 503 with Retry-After within the
configured bound, stores nothing, and works again once the lock is gone — through
gunicorn, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import AccessCode, Ballot, Document
from evalplatform.services import campaigns as campaign_service
from evalplatform.services.ballots import answer_field, questionnaire
from evalplatform.services.users import create_token
from evalplatform.testing import (
    EVALUATOR_PASSWORD,
    LiveServer,
    build_campaign,
    cast_ballot,
    csrf_token,
)

BOUND = 2  # DATABASE_LOCK_TIMEOUT of the server below (seconds)


@pytest.fixture(scope="module")
def bounded(_app, app_config, instance_dir):
    server = LiveServer({**app_config, "DATABASE_LOCK_TIMEOUT": BOUND}, instance_dir,
                        workers=2, threads=4)
    yield server
    server.stop()


@contextmanager
def held(database_url: str):
    """Another connection holds the database: SQLite's write lock, or on PostgreSQL
    exclusive locks on the tables requests read and write."""
    if database_url.startswith("sqlite"):
        other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        db.session.commit()  # no lock of this test's own may stand in the way
        other = psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql"))
        other.execute("SET lock_timeout = '20s'")
        other.execute('LOCK TABLE ballot, access_code, "user", api_token, document, job, '
                      "audit_event IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        other.rollback()
        other.close()


def timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def count(model, *where) -> int:
    db.session.commit()
    found = db.session.scalar(select(func.count()).select_from(model).where(*where))
    db.session.commit()  # (a read left open would hold PostgreSQL's locks)
    return found


def test_a_held_database_is_a_503_within_the_bound_and_nothing_is_stored(
        app, app_config, bounded, evaluator_user):
    closed, codes_ = build_campaign(status="open", codes_per_group=5, title="已结束")
    for code in codes_["服务对象"]:
        cast_ballot(closed, code, lambda unit, item: 1)
    campaign_service.close_campaign(closed, None)
    live, plaintext = build_campaign(codes_per_group=2, title="进行中",
                                     unit_rows=[("督查室", "综合管理类")])
    token = create_token(evaluator_user)
    db.session.commit()
    q = questionnaire(live)

    respondent = requests.Session()
    page = respondent.get(f"{bounded.url}/s/{plaintext['服务对象'][0]}", timeout=10).text
    ballot = {"csrf_token": csrf_token(page),
              **{answer_field(u.id, i.id): "0" for u in q.units for i in q.items}}
    staff = requests.Session()
    login_page = staff.get(f"{bounded.url}/login", timeout=10).text
    unit = closed.units[0].id
    calls = {
        "ballot": lambda: respondent.post(f"{bounded.url}/survey", data=ballot,
                                          allow_redirects=False, timeout=30),
        "log-in": lambda: staff.post(f"{bounded.url}/login", allow_redirects=False, timeout=30,
                                     data={"csrf_token": csrf_token(login_page),
                                           "username": "pingyi",
                                           "password": EVALUATOR_PASSWORD}),
        "api bulletin": lambda: requests.get(
            f"{bounded.url}/api/v1/campaigns/{closed.id}/bulletin.pdf", timeout=60,
            headers={"Authorization": f"Bearer {token}"}),
    }
    documents = count(Document)
    with held(app_config["DATABASE_URL"]):
        answers = {name: timed(call) for name, call in calls.items()}
    for name, (response, took) in answers.items():
        assert response.status_code == 503, (name, response.status_code)
        assert int(response.headers["Retry-After"]) > 0, name
        assert took < BOUND + 4, (name, took)
    assert answers["api bulletin"][0].json() == {"error": "service unavailable"}
    assert "系统繁忙" in answers["ballot"][0].text and "未保存" in answers["ballot"][0].text
    # nothing stored: no ballot, the code unused, no document
    assert count(Ballot, Ballot.campaign_id == live.id) == 0
    assert count(AccessCode, AccessCode.campaign_id == live.id, AccessCode.status == "used") == 0
    assert count(Document) == documents
    # the lock gone, the same requests go through
    assert calls["ballot"]().status_code == 303
    assert count(Ballot, Ballot.campaign_id == live.id) == 1
    assert calls["log-in"]().status_code == 302
    report = staff.get(f"{bounded.url}/evaluator/campaigns/{closed.id}/units/{unit}/report.pdf",
                       timeout=60)
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    # a staff page while the database is held: busy, not a server error
    with held(app_config["DATABASE_URL"]):
        busy, took = timed(lambda: staff.get(
            f"{bounded.url}/evaluator/campaigns/{closed.id}/units/{unit}/report.pdf", timeout=60))
    assert busy.status_code in (200, 503) and took < BOUND + 30
    if busy.status_code == 503:
        assert "系统繁忙" in busy.text


def test_a_refused_begin_is_a_503_not_a_server_error(app, client, admin_client, monkeypatch):
    """SQLite's writer queue refusing at BEGIN (the lock not had within the bound) is the
    same "busy, try again" as any other busy database, on every form."""
    from evalplatform import database

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's writer lock")

    def refuse(self):
        raise sqlite3.OperationalError("database is locked")

    login_page = client.get("/login").get_data(as_text=True)
    units_page = admin_client.get("/admin/units").get_data(as_text=True)
    monkeypatch.setattr(database.SQLiteConnection, "begin_write", refuse)
    login = client.post("/login", data={"csrf_token": csrf_token(login_page), "username": "x",
                                        "password": "y"})
    assert login.status_code == 503 and "系统繁忙" in login.get_data(as_text=True)
    form = admin_client.post("/admin/units", data={"csrf_token": csrf_token(units_page),
                                                   "name": "办公室", "category": "综合管理类"})
    assert form.status_code == 503 and form.headers["Retry-After"]
