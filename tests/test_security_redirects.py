"""No `next=` leads off the site, and none is a server error: the classic payloads
through a real gunicorn (which, unlike the test client, passes raw bytes along)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
import requests

from evalplatform.testing import EVALUATOR_PASSWORD, csrf_token
from evalplatform.web.common import safe_next

#: As they would be typed into a link (already percent-encoded where a browser would).
PAYLOADS = ["//evil.example", "/\\evil.example", "/%09/evil.example", "https:evil.example",
            "///evil.example", "/%0d%0aSet-Cookie:%20x=1", "javascript:alert(1)",
            "http://evil.example/", "%2F%2Fevil.example", "/%5Cevil.example",
            "\\\\evil.example", "/%0a/evil.example", "/%E3%80%80/evil.example",
            "//%09evil.example", "/./../evil.example", "https://127.0.0.1@evil.example/",
            "/%2F%2Fevil.example", " //evil.example", "%00//evil.example"]


def stays_home(base: str, response) -> bool:
    location = response.headers.get("Location")
    if location is None:
        return True
    return urlsplit(urljoin(base + "/", location)).netloc == urlsplit(base).netloc


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_language_switch_never_leaves_the_site(live_server, payload):
    response = requests.get(f"{live_server.url}/lang/zh?next={payload}", allow_redirects=False,
                            timeout=10)
    assert response.status_code < 500, response.status_code
    assert stays_home(live_server.url, response), response.headers.get("Location")


def test_log_in_follows_only_paths_of_the_site(app, live_server, evaluator_user):
    for payload in PAYLOADS:
        browser = requests.Session()
        page = browser.get(f"{live_server.url}/login", timeout=10).text
        response = browser.post(f"{live_server.url}/login?next={payload}", timeout=10,
                                allow_redirects=False,
                                data={"csrf_token": csrf_token(page), "username": "pingyi",
                                      "password": EVALUATOR_PASSWORD})
        assert response.status_code in (302, 303, 400), (payload, response.status_code)
        assert stays_home(live_server.url, response), (payload, response.headers["Location"])
    browser = requests.Session()
    page = browser.get(f"{live_server.url}/login", timeout=10).text
    kept = browser.post(f"{live_server.url}/login?next=/evaluator/verify", timeout=10,
                        allow_redirects=False,
                        data={"csrf_token": csrf_token(page), "username": "pingyi",
                              "password": EVALUATOR_PASSWORD})
    assert kept.headers["Location"] == "/evaluator/verify"  # a path of the site is followed


def test_safe_next_itself():
    for bad in ("//x", "/\\x", "/\tx", "/\t/x", "https:x", "///x", "/\r\nx", "javascript:x",
                "http://x", "x", "", None, "/\x7fx", "/\x85x"):
        assert safe_next(bad) is None, bad
    for good in ("/", "/evaluator/", "/evaluator/campaigns/3?tab=1#top", "/%2F%2Fx"):
        assert safe_next(good) == good
