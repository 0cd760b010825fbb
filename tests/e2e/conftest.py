"""End-to-end tests in a real browser: Playwright driving Debian's Chromium against the
suite's live gunicorn server (``live_server`` in evalplatform.testing).

No ``playwright install``: the browser is the system's ``/usr/bin/chromium`` (installed by
``make test`` through the Makefile's system packages). Without it these tests are skipped,
saying why. Screenshots of every step go to ``test-artifacts/e2e/<test>/`` (git-ignored),
and every step shot is checked with axe-core (tests/e2e/package.json, installed by
``make test`` from the npm registry): a violation fails the test, like a console error.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from e2e_helpers import AXE, ROOT, accessibility_problems

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--font-render-hinting=none"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 1}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session", autouse=True)
def _axe_installed():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (cd tests/e2e && npm ci)")


@pytest.fixture(scope="session")
def _playwright():
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests skipped: {CHROMIUM} is missing "
                    "(`make test` installs Debian's chromium; or `apt-get install chromium`)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="browser tests skipped: playwright is not installed "
                                          "(pip install -c constraints.txt -e '.[test]')")
    manager = sync_api.sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(autouse=True)
def _needs_browser(_playwright):
    """First of all: skip (before starting any server) when there is no browser."""


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                          args=ARGS)
    yield browser
    browser.close()


@pytest.fixture
def server(app, live_server):
    """The live server, with the test's database (emptied after the test)."""
    return live_server


class Session:
    """A browser context (phone or desktop) whose pages record console errors, failed
    requests and uncaught exceptions, and save numbered screenshots."""

    def __init__(self, browser, base_url: str, folder: Path, name: str, **options):
        self.context = browser.new_context(base_url=base_url, locale="zh-CN",
                                           timezone_id="Asia/Shanghai", accept_downloads=True,
                                           **options)
        self.context.set_default_timeout(10_000)
        self.folder = folder
        self.name = name
        self.javascript = options.get("java_script_enabled", True)
        self.problems: list[str] = []
        self.steps = 0
        self.page = self.new_page()

    def new_page(self):
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("response", self._response)
        return page

    def _console(self, message) -> None:
        # A page answered with 4xx on purpose (a refusal, a form with errors) is logged as
        # "Failed to load resource"; missing assets are caught by _response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def _response(self, response) -> None:
        request = response.request
        if request.resource_type == "document" or (
                request.method == "POST" and response.url.endswith("/survey")):
            return  # pages, and the ballot posted by static/ballot.js, may refuse on purpose
        if response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def shot(self, step: str, page=None, *, full_page: bool = False) -> Path:
        """A screenshot of a step, which is also checked with axe-core (any violation
        fails the test at its end, like a console error)."""
        if self.javascript:  # (axe is a script: a page without scripts is checked with them)
            self.problems += [f"axe: {line}"
                              for line in accessibility_problems(page or self.page)]
        self.steps += 1
        slug = re.sub(r"[^\w-]+", "-", step).strip("-")
        path = self.folder / f"{self.name}-{self.steps:02d}-{slug}.png"
        (page or self.page).screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> list[str]:
        self.context.close()
        return self.problems


@pytest.fixture
def artifacts(request) -> Path:
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def open_session(browser, server, artifacts):
    """``open_session(name, phone=False, javascript=True)`` → a :class:`Session`. At the
    end of the test, any console error, CSP violation or script error fails it."""
    sessions: list[Session] = []

    def make(name: str, *, phone: bool = False, javascript: bool = True, **options):
        session = Session(browser, server.url, artifacts, name, java_script_enabled=javascript,
                          **{**(PHONE if phone else DESKTOP), **options})
        sessions.append(session)
        return session

    yield make
    problems = [f"{s.name}: {p}" for s in sessions for p in s.close()]
    assert not problems, "\n".join(problems)
