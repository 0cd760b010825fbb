"""Staff sessions end for good — on log-out, a password change, a change of role and a
deactivation — and a copied cookie is refused from another browser; through gunicorn,
replaying cookies as a thief would."""

from __future__ import annotations

import requests

from evalplatform.extensions import db
from evalplatform.models import StaffSession
from evalplatform.services import users as user_service
from evalplatform.testing import ADMIN_PASSWORD, EVALUATOR_PASSWORD, csrf_token

AGENT = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"}
HOME = "/evaluator/"


def browser(address: str = "198.51.100.10") -> requests.Session:
    """A browser behind the trusted proxy (127.0.0.1), which reports its address."""
    session = requests.Session()
    session.headers.update({**AGENT, "X-Forwarded-For": address})
    return session


def log_in(server, who: str, password: str, address: str = "198.51.100.10") -> requests.Session:
    session = browser(address)
    page = session.get(f"{server.url}/login", timeout=10).text
    response = session.post(f"{server.url}/login", timeout=10, allow_redirects=False,
                            data={"csrf_token": csrf_token(page), "username": who,
                                  "password": password})
    assert response.status_code == 302, response.status_code
    return session


def signed_in(server, cookies, address: str = "198.51.100.10", headers=None) -> bool:
    """Whether these cookies, replayed, open a staff page."""
    thief = browser(address)
    thief.headers.update(headers or {})
    thief.cookies.update(cookies)
    response = thief.get(f"{server.url}{HOME}", timeout=10, allow_redirects=False)
    return response.status_code == 200


def post(server, session, page: str, data: dict, url: str | None = None, prefix: str = ""):
    html = session.get(f"{server.url}{page}", timeout=10).text
    return session.post(f"{server.url}{url or page}", timeout=10, allow_redirects=False,
                        data={f"{prefix}csrf_token": csrf_token(html, prefix),
                              **{prefix + k: v for k, v in data.items()}})


def test_a_cookie_copied_before_log_out_is_refused_after_it(app, live_server, evaluator_user):
    session = log_in(live_server, "pingyi", EVALUATOR_PASSWORD)
    copied = session.cookies.get_dict()
    assert signed_in(live_server, copied)
    assert post(live_server, session, HOME, {}, url="/logout").status_code == 302
    assert not signed_in(live_server, copied)
    db.session.commit()
    assert db.session.query(StaffSession).count() == 0


def test_a_password_change_ends_every_other_session_and_renews_its_own(
        app, live_server, evaluator_user):
    here = log_in(live_server, "pingyi", EVALUATOR_PASSWORD)
    there = log_in(live_server, "pingyi", EVALUATOR_PASSWORD, address="198.51.100.20")
    old_cookie = here.cookies.get_dict()
    changed = post(live_server, here, "/account/password",
                   {"current": EVALUATOR_PASSWORD, "password": "a-new-password-456",
                    "confirm": "a-new-password-456"})
    assert changed.status_code == 302
    assert here.get(f"{live_server.url}{HOME}", timeout=10, allow_redirects=False).status_code == 200
    assert not signed_in(live_server, old_cookie)  # the session was renewed
    assert not signed_in(live_server, there.cookies.get_dict(), address="198.51.100.20")


def test_a_change_of_role_or_a_deactivation_ends_the_accounts_sessions(
        app, live_server, admin_user, evaluator_user):
    admin = log_in(live_server, "admin", ADMIN_PASSWORD, address="198.51.100.1")
    evaluator = log_in(live_server, "pingyi", EVALUATOR_PASSWORD)
    user_id = evaluator_user.id
    assert signed_in(live_server, evaluator.cookies.get_dict())
    edit = f"/admin/users/{user_id}"
    promoted = post(live_server, admin, edit, {"role": "admin", "active": "y",
                                               "display_name": ""}, prefix="u-")
    assert promoted.status_code in (302, 303), promoted.status_code
    assert not signed_in(live_server, evaluator.cookies.get_dict())
    again = log_in(live_server, "pingyi", EVALUATOR_PASSWORD)
    assert again.get(f"{live_server.url}/admin/", timeout=10,
                     allow_redirects=False).status_code == 200  # an admin now
    post(live_server, admin, edit, {"role": "admin", "display_name": ""},
         prefix="u-")  # deactivated
    assert again.get(f"{live_server.url}/admin/", timeout=10,
                     allow_redirects=False).status_code == 302


def test_a_copied_cookie_does_not_work_from_another_browser(app, live_server, evaluator_user):
    session = log_in(live_server, "pingyi", EVALUATOR_PASSWORD, address="198.51.100.10")
    cookies = session.cookies.get_dict()
    assert signed_in(live_server, cookies, address="198.51.100.10")
    # another address, or another browser
    assert not signed_in(live_server, cookies, address="203.0.113.66")
    assert not signed_in(live_server, cookies, headers={"User-Agent": "curl/8.0"})
    # writing the victim's address first in X-Forwarded-For does not help: only the hop
    # the trusted proxy appends (the last) is believed
    assert not signed_in(live_server, cookies,
                         address="198.51.100.10, 203.0.113.66")
    # and the victim goes on
    assert signed_in(live_server, cookies, address="198.51.100.10")


def test_log_in_starts_a_new_session(app, live_server, evaluator_user):
    """No fixation: a session cookie planted before log-in signs nobody in afterwards."""
    planted = browser()
    planted.get(f"{live_server.url}/login", timeout=10)
    before = planted.cookies.get_dict()
    session = log_in(live_server, "pingyi", EVALUATOR_PASSWORD)
    assert session.cookies.get_dict() != before
    assert not signed_in(live_server, before)


def test_sessions_last_at_most_the_configured_hours(app, evaluator_user):
    from datetime import timedelta

    token = user_service.start_session(evaluator_user, "binding")
    db.session.commit()
    assert user_service.user_for_session(token, "binding", timedelta(hours=12)) is not None
    assert user_service.user_for_session(token, "other", timedelta(hours=12)) is None
    assert user_service.user_for_session(token, "binding", timedelta(seconds=-1)) is None
