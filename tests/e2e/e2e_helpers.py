"""Helpers shared by the browser tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def login(page, username: str, password: str) -> None:
    """Log in through the staff log-in page."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def flash(page) -> str:
    """The first flashed message on the page."""
    return page.locator(".flash").first.inner_text()


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


#: axe-core (tests/e2e/package.json; `make test` installs it from the npm registry).
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


def accessibility_problems(page) -> list[str]:
    """What axe-core finds wrong in the page as it is now (WCAG 2.x A and AA and axe's
    best practices), one line per rule broken. It is evaluated through the DevTools
    protocol, which the page's Content-Security-Policy does not govern."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]}))
        .violations.map(v => `${v.id} (${v.impact}): ${v.nodes.length}× ` +
                              v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))""")
    return [f"{page.url}: {line}" for line in found]
