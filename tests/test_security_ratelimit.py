"""Brute force: guessing codes and passwords is rate-limited, refused clearly, and logged.

The suite's app has the limits off (TESTING); these tests switch them on with small
allowances and a storage emptied before and after.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.models import AuditEvent
from evalplatform.services import codes as code_service
from evalplatform.testing import (
    ADMIN_PASSWORD,
    EVALUATOR_PASSWORD,
    build_campaign,
    csrf_token,
    redis_or_skip,
)

WRONG = ["K7QM-2XRP-9TWD", "AAAA-BBBB-CCCC", "ZZZZ-9999-0000", "1234-5678-9ABC", "HJKM-NPQR-STVW",
         "QQQQ-RRRR-SSSS", "0000-1111-2222"]


def limiter(app):
    return app.extensions["evalplatform.limiter"]


@pytest.fixture
def limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "RATELIMIT_CODE", "5 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "3 per minute")
    monkeypatch.setitem(app.config, "LOGIN_FREE_ATTEMPTS", 2)
    limiter(app).reset()
    yield app.config
    limiter(app).reset()


def from_address(address: str) -> dict:
    """Headers of a request relayed by the (trusted, local) reverse proxy for a client."""
    return {"X-Forwarded-For": address}


def type_code(client, code: str, address: str = "203.0.113.7"):
    token = csrf_token(client.get("/").get_data(as_text=True))
    return client.post("/", data={"csrf_token": token, "code": code},
                       headers=from_address(address))


def test_every_code_lookup_counts_used_or_not(app, client, limits, monkeypatch):
    """Someone holding codes cannot poll them to learn when each is used: lookups of
    unused codes (303) count as much as used ones (410), from one address."""
    monkeypatch.setitem(app.config, "RATELIMIT_CODE_LOOKUP", "4 per minute")
    campaign, plaintext = build_campaign(codes_per_group=3)
    unused, used = plaintext["服务对象"][:2]
    from evalplatform.testing import cast_ballot

    cast_ballot(campaign, used, lambda unit, item: 0)
    there = from_address("203.0.113.9")
    answers = [client.get(f"/s/{code}", headers=there).status_code
               for code in (unused, used, unused, unused, used, unused)]
    assert answers[:4] == [303, 410, 303, 303] and answers[4:] == [429, 429]
    # the limit is per address: a colleague elsewhere goes on
    assert client.get(f"/s/{plaintext['服务对象'][2]}",
                      headers=from_address("198.51.100.4")).status_code == 303


def test_code_guessing_is_stopped_with_a_chinese_page_and_logged(app, client, limits, caplog):
    campaign, plaintext = build_campaign(codes_per_group=2)
    good = plaintext["服务对象"][0]
    caplog.set_level(logging.WARNING)
    # the QR link and the typed form share one allowance
    for code in WRONG[:3]:
        assert client.get(f"/s/{code}", headers=from_address("203.0.113.7")).status_code == 404
    for code in WRONG[3:5]:
        assert type_code(client, code).status_code == 404
    refused = client.get(f"/s/{good}", headers=from_address("203.0.113.7"))
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "尝试次数过多" in page and "访问码输入错误次数过多" in page and "分钟后再试" in page
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert type_code(client, good).status_code == 429  # the right code too, for now
    # another client of the same proxy is not held up, and its right code works
    assert client.get(f"/s/{good}", headers=from_address("198.51.100.4")).status_code == 303
    # logged: which page and limit, a pseudonym of the client; never the code or address
    breaches = [r.getMessage() for r in caplog.records if "rate limit reached" in r.getMessage()]
    assert breaches and "respondent.enter" in breaches[0] and "5 per 1 minute" in breaches[0]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in [good, good.replace("-", ""), *WRONG, "203.0.113.7"]:
        assert secret not in logged
    # the code itself was not spent by any of this
    assert code_service.check_code(good).campaign_id == campaign.id


def test_working_codes_use_up_nothing(app, client, limits):
    _, plaintext = build_campaign(codes_per_group=4)
    codes = plaintext["服务对象"] + plaintext["机关干部"]
    for code in codes:  # eight right codes from one address: more than the allowance of 5
        assert client.get(f"/s/{code}", headers=from_address("203.0.113.9")).status_code == 303
        assert type_code(client, code, "203.0.113.9").status_code == 303
    for code in WRONG[:5]:
        assert client.get(f"/s/{code}", headers=from_address("203.0.113.9")).status_code == 404
    assert client.get(f"/s/{WRONG[5]}", headers=from_address("203.0.113.9")).status_code == 429


def test_an_address_is_the_proxys_only_when_the_proxy_is_trusted(app, client, limits,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "FORWARDED_ALLOW_IPS", "10.9.9.9")  # not the peer
    for n, code in enumerate(WRONG[:5]):
        # a client cannot escape the limit by inventing X-Forwarded-For headers
        response = client.get(f"/s/{code}", headers=from_address(f"192.0.2.{n}"))
        assert response.status_code == 404
    assert client.get(f"/s/{WRONG[5]}", headers=from_address("192.0.2.99")).status_code == 429
    # a proxy named by its network is trusted
    monkeypatch.setitem(app.config, "FORWARDED_ALLOW_IPS", "10.0.0.0/8, 127.0.0.0/8")
    assert client.get(f"/s/{WRONG[5]}", headers=from_address("192.0.2.99")).status_code == 404


def login_as(client, username: str, password: str, address: str):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": username,
                                       "password": password}, headers=from_address(address))


def test_password_guessing_is_stopped_and_audited(app, limits, admin_user, evaluator_user):
    guesser = app.test_client()
    for guess in ("password123", "admin12345", "123456789a"):
        assert login_as(guesser, "admin", guess, "203.0.113.20").status_code == 401
    refused = login_as(guesser, "admin", ADMIN_PASSWORD, "203.0.113.20")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "登录失败次数过多" in page and "请联系系统管理员" in page
    # the admin, from the office's own address, still gets in
    assert login_as(app.test_client(), "admin", ADMIN_PASSWORD, "198.51.100.20").status_code == 302
    failed = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "auth.login_failed")).all()
    assert len(failed) == 3 and {e.target for e in failed} == {f"user:{admin_user.id}"}
    # a name that is no account (perhaps a password typed in the wrong box) is not recorded
    assert login_as(app.test_client(), "Secret-Pa55word", "x" * 10,
                    "198.51.100.21").status_code == 401
    dump = repr(db.session.execute(select(AuditEvent.target, AuditEvent.detail)).all())
    assert "Secret-Pa55word" not in dump


def test_a_guesser_elsewhere_never_locks_the_owner_out(app, limits, admin_user):
    """Guessing one account from many addresses slows each of those addresses down, never
    the account's owner at their own."""
    for n in range(8):
        assert login_as(app.test_client(), "admin", f"wrong-{n}-guess",
                        f"192.0.2.{n % 2}").status_code in (401, 429)
    assert login_as(app.test_client(), "admin", ADMIN_PASSWORD, "198.51.100.8").status_code == 302


def test_failures_back_off_per_account_and_address(app, limits, admin_user, evaluator_user,
                                                   monkeypatch):
    """After the free attempts, each try from the same address on the same account waits
    1, 2, 4 … s after the last failure; a success clears it; other accounts, and the same
    account elsewhere, go on; a malformed post (no CSRF token) is no failed log-in."""
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "100 per minute")
    here = "203.0.113.61"
    for guess in ("guess-one-1", "guess-two-2", "guess-three-3"):
        assert login_as(app.test_client(), "admin", guess, here).status_code == 401
    waiting = login_as(app.test_client(), "admin", ADMIN_PASSWORD, here)
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "1"
    assert "秒后再试" in waiting.get_data(as_text=True)
    assert login_as(app.test_client(), "pingyi", EVALUATOR_PASSWORD, here).status_code == 302
    assert login_as(app.test_client(), "admin", ADMIN_PASSWORD, "198.51.100.61").status_code == 302
    time.sleep(1.1)
    assert login_as(app.test_client(), "admin", "guess-four-4", here).status_code == 401
    assert login_as(app.test_client(), "admin", ADMIN_PASSWORD, here).headers[
        "Retry-After"] == "2"
    time.sleep(2.1)
    assert login_as(app.test_client(), "admin", ADMIN_PASSWORD, here).status_code == 302
    assert login_as(app.test_client(), "admin", "guess-five-5", here).status_code == 401  # cleared
    for _ in range(5):  # no CSRF token: refused, but no failed log-in
        bare = app.test_client().post("/login", data={"username": "pingyi", "password": "x"},
                                      headers=from_address("203.0.113.62"))
        assert bare.status_code == 400
    assert login_as(app.test_client(), "pingyi", EVALUATOR_PASSWORD,
                    "203.0.113.62").status_code == 302


def test_only_wrong_api_tokens_count_against_an_address(app, client, limits):
    from evalplatform.services.users import create_token, create_user

    token = create_token(create_user("reader2", "evaluator", "a-long-password-1"))
    db.session.commit()
    for n in range(6):  # a good token asking for things that do not exist
        assert client.get(f"/api/v1/campaigns/{900 + n}", headers={
            "Authorization": f"Bearer {token}", **from_address("203.0.113.31")}).status_code == 404
    assert client.get("/api/v1/campaigns", headers={
        "Authorization": f"Bearer {token}", **from_address("203.0.113.31")}).status_code == 200


def test_the_limiters_blueprint_check_runs_for_the_limited_blueprint_only(app):
    """Flask-Limiter checks blueprint limits in a before_request hook of its own, a private
    method (``Limiter._check_request_limit``) that the app moves from every request to the
    API's (bench/private_apis.py shows what it saves). A Flask-Limiter that renames it
    stops the app at start-up; one that checks blueprint limits elsewhere fails here."""
    from flask_limiter import Limiter

    state = app.extensions["evalplatform.limiter"]
    assert isinstance(state, Limiter) and callable(state._check_request_limit)
    assert state._check_request_limit not in app.before_request_funcs.get(None, [])
    assert app.before_request_funcs["api"][0] == state._check_request_limit


def test_wrong_api_tokens_count_as_failed_logins_and_get_json(app, client, limits):
    for n in range(3):
        response = client.get("/api/v1/campaigns", headers={
            "Authorization": f"Bearer ep_wrong{n}", **from_address("203.0.113.30")})
        assert response.status_code == 401
    refused = client.get("/api/v1/campaigns", headers={
        "Authorization": "Bearer ep_wrong", **from_address("203.0.113.30")})
    assert refused.status_code == 429 and refused.json == {"error": "too many requests"}
    assert int(refused.headers["Retry-After"]) > 0
    # a right token from another address is served
    from evalplatform.services.users import create_token, create_user

    token = create_token(create_user("reader", "evaluator", "a-long-password-1"))
    db.session.commit()
    assert client.get("/api/v1/campaigns", headers={
        "Authorization": f"Bearer {token}", **from_address("198.51.100.30")}).status_code == 200


def test_limits_come_from_the_configuration_and_can_be_switched_off(app, client, limits,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_CODE", "2 per minute")
    for code in WRONG[:2]:
        client.get(f"/s/{code}", headers=from_address("203.0.113.40"))
    assert client.get(f"/s/{WRONG[2]}", headers=from_address("203.0.113.40")).status_code == 429
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)
    assert client.get(f"/s/{WRONG[3]}", headers=from_address("203.0.113.40")).status_code == 404


def test_limiter_storage_never_holds_an_address(app, client, limits):
    for code in WRONG[:3]:
        client.get(f"/s/{code}", headers=from_address("203.0.113.77"))
    storage = limiter(app).storage
    keys = " ".join(map(str, getattr(storage, "storage", {}).keys()))
    assert keys and "203.0.113.77" not in keys and "K7QM" not in keys


@contextmanager
def redis_workers(app, **settings):
    """Two app instances (two gunicorn workers, or two hosts) counting in one Redis."""
    from evalplatform import create_app

    url = redis_or_skip(14)
    prefix = f"evalplatform-test-{time.monotonic_ns()}"  # one for both, new for each test
    workers = [create_app({**{k: app.config[k] for k in (
        "DATABASE_URL", "SECRET_KEY", "CODE_HASH_KEY")}, "TESTING": True,
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": prefix,
        **settings}) for _ in range(2)]
    try:
        yield workers
    finally:
        workers[0].extensions["evalplatform.limiter"].reset()
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()


def test_limits_are_shared_through_redis_between_processes(app, limits, monkeypatch):
    """With Redis configured, two app instances (two gunicorn workers, or two hosts) draw
    on one allowance; in memory each would count alone."""
    with redis_workers(app, RATELIMIT_CODE="4 per minute") as workers:
        statuses = []
        for n, code in enumerate(WRONG[:5]):
            with workers[n % 2].test_client() as browser:
                statuses.append(browser.get(f"/s/{code}", headers=from_address(
                    "203.0.113.50")).status_code)
        assert statuses == [404, 404, 404, 404, 429]



def test_a_lock_out_attempt_through_gunicorn_leaves_the_owner_able_to_log_in(
        app, app_config, instance_dir, admin_user, request):
    """Sixty wrong passwords for the admin from one address, as fast as they come, to a
    gunicorn of four workers counting in Redis as in production: that address is held
    back (the right password from it too), the admin at their own desk logs in at once."""
    import requests

    from evalplatform.testing import LiveServer

    url = redis_or_skip(13, flush=True)
    live_server = LiveServer({**app_config, "RATELIMIT_STORAGE_URI": url}, instance_dir)
    request.addfinalizer(live_server.stop)

    def attempt(password: str, address: str) -> int:
        browser = requests.Session()
        browser.headers["X-Forwarded-For"] = address
        page = browser.get(f"{live_server.url}/login", timeout=10).text
        return browser.post(f"{live_server.url}/login", allow_redirects=False, timeout=10,
                            data={"csrf_token": csrf_token(page), "username": "admin",
                                  "password": password}).status_code

    statuses = {attempt(f"wrong-guess-{n:03d}", "203.0.113.99") for n in range(60)}
    assert statuses <= {401, 429} and 429 in statuses
    assert attempt(ADMIN_PASSWORD, "203.0.113.99") == 429
    assert attempt(ADMIN_PASSWORD, "198.51.100.5") == 302


def test_the_back_off_is_shared_through_redis_between_processes(app, limits, admin_user,
                                                                monkeypatch):
    with redis_workers(app, LOGIN_FREE_ATTEMPTS=2, LOGIN_BACKOFF_MAX=60) as workers:
        statuses = []
        for n in range(4):  # alternate between the two processes
            with workers[n % 2].test_client() as browser:
                statuses.append(login_as(browser, "admin", f"wrong-guess-{n}",
                                         "203.0.113.51").status_code)
        assert statuses[:3] == [401, 401, 401] and statuses[3] == 429
