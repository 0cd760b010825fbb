"""Test fixtures for evalplatform and its plugins (a pytest plugin).

The project's root ``conftest.py`` loads it with ``pytest_plugins``; a plugin package
does the same in its own conftest. Fixtures: an app on a real database (SQLite file, or
PostgreSQL with ``TEST_DATABASE_URL``), migrated once per session and emptied after every
test; clients logged in as each role; a real gunicorn server; helpers to build campaigns
and post forms as a browser would.
"""

from __future__ import annotations

import contextvars
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text

from evalplatform import create_app, paths, schema
from evalplatform.database import set_write_intent
from evalplatform.extensions import db
from evalplatform.services import campaigns, codes, units, users

ADMIN_PASSWORD = "admin-password-123"
EVALUATOR_PASSWORD = "evaluator-password-123"
CSRF_RE = re.compile(r'name="(?P<name>[\w-]*csrf_token)" type="hidden" value="(?P<value>[^"]+)"'
                     r'|name="(?P<name2>[\w-]*csrf_token)" value="(?P<value2>[^"]+)"')


def _database_url(tmp: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'test.db'}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # start from an empty schema
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("instance")
    os.environ["EVALPLATFORM_INSTANCE"] = str(path)
    return path


@pytest.fixture(scope="session")
def database_url(instance_dir) -> str:
    return _database_url(instance_dir)


@pytest.fixture(scope="session")
def app_config(database_url) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "CODE_HASH_KEY": "test-code-key",
        "PUBLIC_BASE_URL": "https://pingyi.example.gov.cn",
        # No background sealing behind the tests' backs; tests of it turn it on.
        "SEAL_INTERVAL": 0,
    }


class Client(FlaskClient):
    """A test client whose requests run as they would in a server.

    Each request gets its own app context (so its own ``g`` and database session) in a
    copied contextvars context, instead of reusing the test body's. The test's own
    transaction is ended around every request: before, so the request sees the test's
    setup; after, so the test's next query sees what the request stored.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        try:
            return contextvars.copy_context().run(self._open_isolated, *args, **kwargs)
        finally:
            db.session.commit()

    def _open_isolated(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _app(app_config):
    app = create_app(app_config)
    app.test_client_class = Client
    with app.app_context():
        schema.upgrade()  # the real migrations (the core's and the plugins'), not create_all
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_app):
    with _app.app_context():
        # The test body only reads between requests: never hold SQLite's write lock.
        set_write_intent(False)
        # Results are cached per (campaign id, ballots, rules); ids repeat across tests.
        _app.extensions.pop("evalplatform.results_cache", None)
        yield _app
        set_write_intent(True)
        empty_database()


def empty_database() -> None:
    """End the current session and delete every row (children first)."""
    db.session.rollback()
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(html: str, prefix: str = "") -> str:
    """The CSRF token of the form with this prefix in a rendered page."""
    for match in CSRF_RE.finditer(html):
        name = match["name"] or match["name2"]
        if name == f"{prefix}csrf_token":
            return match["value"] or match["value2"]
    raise AssertionError(f"no {prefix}csrf_token in page")


def post_form(client, page_url: str, data: dict, *, url: str | None = None, prefix: str = "",
              **kwargs):
    """GET a page, then POST `data` with the page's CSRF token (as a browser would)."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    payload = {f"{prefix}csrf_token": csrf_token(page.get_data(as_text=True), prefix), **data}
    return client.post(url or page_url, data=payload, **kwargs)


def login(client, username: str, password: str):
    return post_form(client, "/login", {"username": username, "password": password})


@pytest.fixture
def admin_user(app):
    user = users.create_user("admin", "admin", ADMIN_PASSWORD, display_name="管理员")
    db.session.commit()
    return user


@pytest.fixture
def evaluator_user(app):
    user = users.create_user("pingyi", "evaluator", EVALUATOR_PASSWORD)
    db.session.commit()
    return user


@pytest.fixture
def admin_client(app, admin_user):
    client = app.test_client()
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 302
    return client


@pytest.fixture
def evaluator_client(app, evaluator_user):
    client = app.test_client()
    assert login(client, "pingyi", EVALUATOR_PASSWORD).status_code == 302
    return client


UNITS = [("办公室", "综合管理类"), ("政策法规科", "综合管理类"),
         ("建设工程质量监督站", "执法监管类"), ("行政审批服务窗口", "服务窗口类")]


def build_campaign(*, status: str = "open", template: str = "satisfaction",
                   groups=(("服务对象", 0.6), ("机关干部", 0.4)), codes_per_group: int = 5,
                   unit_rows=UNITS, title: str = "2026年度机关作风建设满意度测评"):
    """A campaign with units, groups, a questionnaire and codes; returns (campaign, codes)
    where codes maps group name to its plaintext codes."""
    unit_objs = []
    for name, category in unit_rows:
        from sqlalchemy import select

        from evalplatform.models import Unit

        unit = db.session.scalar(select(Unit).where(Unit.name == name))
        unit_objs.append(unit or units.save_unit(None, name, category, None, None))
    campaign = campaigns.create_campaign(None, title=title, issuer="中共某市委机关工委",
                                         doc_number="〔2026〕10号", min_group_size=5)
    campaigns.set_units(campaign, [u.id for u in unit_objs], None)
    group_objs = [campaigns.add_group(campaign, name, weight, None) for name, weight in groups]
    campaigns.apply_template(campaign, template, None)
    db.session.flush()
    if status in ("open", "closed"):
        campaigns.open_campaign(campaign, None)
    plaintext = {}
    for group in group_objs:
        _, issued = codes.issue_codes(campaign, group, codes_per_group, None)
        plaintext[group.name] = issued
    if status == "closed":
        campaigns.close_campaign(campaign, None)
    db.session.commit()
    return campaign, plaintext


def cast_ballot(campaign, code: str, choose, comments: dict[str, str] | None = None,
                choices: dict | None = None) -> None:
    """Submit a ballot with a plaintext code and commit. ``choose(unit_name, item)`` gives
    the option index of each cell the code's rater group is asked; ``comments`` maps unit
    names to free text; ``choices`` the other questions' answers by question id."""
    from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot

    group_id = codes.check_code(code).rater_group_id
    q = questionnaire(campaign, group_id)
    by_name = {u.name: u.id for u in q.units}
    ballot = BallotInput(answers={(u.id, i.id): choose(u.name, i) for m in q.matrices
                                  for u in m.units for i in m.items_for(u.id)},
                         comments={by_name[name]: text for name, text in (comments or {}).items()},
                         choices=dict(choices or {}))
    submit_ballot(codes.hash_code(code), q, ballot)
    db.session.commit()


def redis_or_skip(database: int, *, flush: bool = False) -> str:
    """The URL of a local Redis database for a test (emptied first with ``flush``), or
    skip the test when no Redis answers (CI has one)."""
    redis = pytest.importorskip("redis")
    url = f"redis://127.0.0.1:6379/{database}"
    try:
        connection = redis.Redis.from_url(url, socket_connect_timeout=1)
        if flush:
            connection.flushdb()
        else:
            connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379 (CI has one)")
    return url


def close(campaign) -> None:
    """Close the campaign (publishing its results, sealed until then) and commit."""
    campaigns.close_campaign(campaign, None)
    db.session.commit()


@pytest.fixture
def campaign(app):
    return build_campaign()


@pytest.fixture(scope="session")
def live_server(_app, app_config, instance_dir):
    """gunicorn with 4 workers on the test database, for the whole session."""
    server = LiveServer(app_config, instance_dir)
    yield server
    server.stop()


# -- a real server ---------------------------------------------------------------------------

ROOT = paths.ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, config: dict, instance: Path, workers: int = 4, threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = instance / f"gunicorn-{self.port}.log"
        env = {
            **os.environ,
            "DATABASE_URL": config["DATABASE_URL"],
            "SECRET_KEY": config["SECRET_KEY"],
            "CODE_HASH_KEY": config["CODE_HASH_KEY"],
            "EVALPLATFORM_INSTANCE": str(instance),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": str(threads),
            "SEAL_INTERVAL": str(config.get("SEAL_INTERVAL", 0)),
            # every test's respondents come from 127.0.0.1, within minutes
            "RATELIMIT_CODE_LOOKUP": config.get("RATELIMIT_CODE_LOOKUP", "100000 per minute"),
            **{name: str(config[name]) for name in ("DATABASE_LOCK_TIMEOUT",
                                                     "DATABASE_STATEMENT_TIMEOUT",
                                                     "RATELIMIT_STORAGE_URI")
               if name in config},
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        self._wait()

    def _wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not come up")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def stored_answers(ballot_id: int) -> dict[tuple[int, int], int]:
    """What a stored ballot answered, by (unit id, item id), read back from its cells."""
    from evalplatform.models import Ballot, Campaign
    from evalplatform.scoring.layout import Layout

    ballot = db.session.get(Ballot, ballot_id)
    layout = Layout.from_rules(db.session.get(Campaign, ballot.campaign_id).rules)
    return layout.unpack(layout.group_ids.index(ballot.rater_group_id), ballot.cells)[0]


def answers_stored() -> int:
    """How many answers all stored ballots hold together."""
    from evalplatform.models import Ballot

    return sum(len(stored_answers(i)) for i in db.session.scalars(select(Ballot.id)))


# -- languages -----------------------------------------------------------------------------

_HAN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "data-confirm")


@pytest.fixture
def english(evaluator_client):
    """The evaluator's client reading the English interface."""
    evaluator_client.set_cookie("lang", "en")
    return evaluator_client


def english_page(client, url: str) -> str:
    """GET a page that must be served, and served in English."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html, url
    return html


def untranslated_chinese(html: str, data: tuple[str, ...] = ()) -> list[str]:
    """The Chinese a visitor reading a page in English would see that is not data.

    Text and the attributes people read (title, alt, placeholder, aria-label,
    data-confirm) are checked, script and style skipped; the language link (an element
    with ``lang="zh"``) is allowed, and so is each string in ``data`` (what the test
    itself stored: names, titles, comments). Returns the offending snippets.
    """
    from html.parser import HTMLParser

    found: list[str] = []

    class Reader(HTMLParser):
        skip = 0  # depth inside <script>, <style> or lang="zh"
        stack: list[bool] = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            skipping = tag in ("script", "style") or (attrs.get("lang") or "").startswith("zh")
            if tag not in ("br", "img", "input", "meta", "link", "hr", "col", "source"):
                self.stack.append(skipping)
                self.skip += skipping
            if not self.skip and not skipping:
                for name in _SHOWN_ATTRIBUTES:
                    self.check(attrs.get(name) or "")
                if tag == "input" and attrs.get("type") in ("submit", "button"):
                    self.check(attrs.get("value") or "")

        def handle_endtag(self, tag):
            if tag not in ("br", "img", "input", "meta", "link", "hr", "col", "source") \
                    and self.stack:
                self.skip -= self.stack.pop()

        def handle_data(self, text):
            if not self.skip:
                self.check(text)

        def check(self, text):
            for value in sorted(data, key=len, reverse=True):
                text = text.replace(value, "")
            if _HAN.search(text):
                found.append(text.strip())

    Reader().feed(html)
    return found
