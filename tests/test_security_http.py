"""Sessions and headers: cookies out of scripts' reach and off other sites' requests,
Secure behind HTTPS; CSRF checks that still work over HTTPS (the Referrer-Policy is one
that sends same-site referrers, which Flask-WTF requires there — PITFALLS.md); framing
refused and no inline script allowed, on every kind of answer."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import exc

from evalplatform.testing import ADMIN_PASSWORD, build_campaign, csrf_token

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def session_cookie(response) -> str:
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_the_session_cookie_is_httponly_and_samesite(client):
    code = build_campaign(codes_per_group=1)[1]["服务对象"][0]
    cookie = session_cookie(client.get(f"/s/{code}"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on the intranet still works by default


def test_the_session_cookie_is_secure_when_configured(app, client, admin_user, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    page = client.get("/login", base_url="https://pingyi.example.gov.cn")
    response = client.post("/login", base_url="https://pingyi.example.gov.cn", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "username": "admin",
        "password": ADMIN_PASSWORD}, headers={"Referer": "https://pingyi.example.gov.cn/login"})
    assert response.status_code == 302
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("referer, status", [
    ("https://pingyi.example.gov.cn/login", 302),  # what the browser sends for a same-site form
    (None, 400),  # what it would send under Referrer-Policy: no-referrer
    ("https://evil.example/login", 400),  # another site posting the form
])
def test_csrf_over_https_needs_a_same_site_referer(app, client, admin_user, referer, status):
    base = "https://pingyi.example.gov.cn"
    page = client.get("/login", base_url=base)
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    headers = {"Referer": referer} if referer else {}
    response = client.post("/login", base_url=base, headers=headers, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "username": "admin",
        "password": ADMIN_PASSWORD})
    assert response.status_code == status
    if status == 400:
        assert "页面已过期" in response.get_data(as_text=True)


def test_https_behind_the_proxy_reaches_the_app_and_forms_still_work(app, live_server,
                                                                     admin_user):
    """gunicorn takes X-Forwarded-Proto from the trusted proxy (FORWARDED_ALLOW_IPS), so the
    app knows the request came over HTTPS and checks the referrer; the same-site referrer
    the browser sends lets the log-in through."""
    proxy = {"X-Forwarded-Proto": "https"}
    browser = requests.Session()
    page = browser.get(f"{live_server.url}/login", headers=proxy, timeout=30)
    token = TOKEN.search(page.text).group(1)
    form = {"csrf_token": token, "username": "admin", "password": ADMIN_PASSWORD}
    origin = live_server.url.replace("http://", "https://")
    refused = browser.post(f"{live_server.url}/login", data=form, headers=proxy,
                           allow_redirects=False, timeout=30)
    assert refused.status_code == 400 and "页面已过期" in refused.text
    accepted = browser.post(f"{live_server.url}/login", data=form, allow_redirects=False,
                            headers={**proxy, "Referer": f"{origin}/login"}, timeout=30)
    assert accepted.status_code == 302
    assert accepted.headers["Location"].startswith(("/", "https://"))


@pytest.fixture
def answers(app, client, admin_user, monkeypatch):
    """One answer of each kind: a page, JSON, a download, each error page."""
    campaign, plaintext = build_campaign(codes_per_group=1)
    out = {"page": client.get("/"), "healthz": client.get("/healthz"),
           "api": client.get("/api/v1/openapi.json"), "css": client.get("/static/app.css"),
           "404": client.get("/no/such/page"), "405": client.put("/login"),
           "400": client.post("/", data={})}
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "RATELIMIT_CODE", "1 per minute")
    limiter = app.extensions["evalplatform.limiter"]
    limiter.reset()
    client.get("/s/AAAA-BBBB-CCCC")
    out["429"] = client.get("/s/AAAA-BBBB-CCCC")
    limiter.reset()

    def busy(*args, **kwargs):
        raise exc.OperationalError("SELECT 1", {}, Exception("database is locked"))

    monkeypatch.setattr("evalplatform.web.respondent.check_code", busy)
    out["503"] = client.get(f"/s/{plaintext['服务对象'][0]}")
    for response in out.values():  # read, and let go of the file behind the static one
        response.get_data()
        response.close()
    return out


def test_every_kind_of_answer_carries_the_security_headers(answers):
    statuses = {kind: r.status_code for kind, r in answers.items()}
    assert statuses == {"page": 200, "healthz": 200, "api": 200, "css": 200, "404": 404,
                        "405": 405, "400": 400, "429": 429, "503": 503}
    for kind, response in answers.items():
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, kind
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, kind
        assert headers["X-Frame-Options"] == "DENY", kind
        assert headers["X-Content-Type-Options"] == "nosniff", kind
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", kind
        if response.mimetype == "text/html":
            assert headers["Cache-Control"] == "no-store", kind
            html = response.get_data(as_text=True)
            # nothing the CSP would block: no inline script, no event-handler attributes
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), kind
            assert not re.search(r"\son[a-z]+\s*=", html), kind
    assert answers["405"].headers["Allow"]
    assert "请求方式不正确" in answers["405"].get_data(as_text=True)
