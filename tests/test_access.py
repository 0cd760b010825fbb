"""Every route, with every role: only what a role may do answers; every POST needs CSRF."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import CodeBatch
from evalplatform.testing import ADMIN_PASSWORD, EVALUATOR_PASSWORD, build_campaign, csrf_token, login

PUBLIC = {"static", "healthz", "respondent.index", "respondent.enter", "respondent.survey",
          "respondent.done", "auth.login", "api.openapi", "choose_language"}
STAFF = {"auth.logout", "auth.change_password"}
#: API operations an admin's token may do, not an evaluator's.
API_ADMIN = {"api.questionnaire_put"}
#: POSTs that end the session or remove the fixture: exercised last.
LAST = ("admin.campaign_delete", "admin.unit_delete", "auth.logout")


def routes(app):
    """(endpoint, method, url) for every rule, with real ids filled in."""
    campaign, codes = build_campaign(status="open", codes_per_group=1)
    ids = {
        "campaign_id": campaign.id, "unit_id": campaign.units[0].id,
        "group_id": campaign.groups[0].id, "item_id": campaign.items[0].id,
        "batch_id": db.session.scalar(select(CodeBatch.id)), "user_id": 1,
        "code": codes["服务对象"][0], "filename": "app.css", "scheme_key": "satisfaction",
        "key": "satisfaction", "entry_id": 1, "rect_id": 1, "kind": "bulletin",
        "job_id": "0" * 32, "document_id": 1, "section_id": campaign.sections[0].id,
        "question_id": campaign.sections[0].questions[0].id, "table": "items",
        "row_id": campaign.items[0].id, "ref": "satisfaction5",
    }
    found = []
    for rule in app.url_map.iter_rules():
        url = rule.build({k: ids[k] for k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    found.sort(key=lambda r: (r[1] == "POST", r[0] in LAST, LAST.index(r[0]) if r[0] in LAST
                              else 0))
    return found


def allowed(role: str | None, endpoint: str) -> bool:
    if endpoint in PUBLIC:
        return True
    if role is not None and role.startswith("token:"):
        if endpoint in API_ADMIN:
            return role == "token:admin"
        return endpoint.startswith("api.")  # a bearer token opens the API, and only it
    if endpoint.startswith("api."):
        return False  # cookies never authenticate the API; only bearer tokens do
    if role in (None, "respondent"):
        return False
    if endpoint in STAFF or endpoint.startswith(("evaluator.", "checklist.", "reports.")):
        return True
    return endpoint.startswith("admin.") and role == "admin"


def expected_refusal(role: str | None, endpoint: str) -> set[int]:
    if endpoint in API_ADMIN and role == "token:evaluator":
        return {403}
    if endpoint.startswith("api."):
        return {401}
    return {302} if role in (None, "respondent") or role.startswith("token:") else {403}


@pytest.mark.parametrize("role", [None, "respondent", "evaluator", "admin", "token:evaluator",
                                  "token:admin"])
def test_every_route_with_every_role(app, role, admin_user, evaluator_user, monkeypatch):
    """Every rule of the app's URL map (a new route is covered without anyone adding it
    here) × anonymous, a respondent holding a code, each staff role, and each role's API
    token: only what the role may do answers; nothing is a server error."""
    from evalplatform.services.users import create_token

    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")  # no job outlives the test
    client = app.test_client()
    headers = {}
    if role == "admin":
        login(client, "admin", ADMIN_PASSWORD)
    elif role == "evaluator":
        login(client, "pingyi", EVALUATOR_PASSWORD)
    elif role is not None and role.startswith("token:"):
        headers["Authorization"] = "Bearer " + create_token(
            admin_user if role == "token:admin" else evaluator_user)
        db.session.commit()
    token = csrf_token(client.get("/").get_data(as_text=True))
    listed = routes(app)
    if role == "respondent":
        _, _, entry = next(r for r in listed if r[0] == "respondent.enter")
        assert client.get(entry).status_code == 303  # the code is in the session now
    checked = 0
    for endpoint, method, url in listed:
        data = {"csrf_token": token} if method == "POST" else None
        response = client.open(url, method=method, data=data, headers=headers)
        response.close()
        status = response.status_code
        assert status < 500, (role, endpoint, method, status)
        if allowed(role, endpoint):
            assert status not in (401, 403), (role, endpoint, method, status)
        else:
            assert status in expected_refusal(role, endpoint), (role, endpoint, method, status)
            if status == 302:
                assert "/login" in response.headers["Location"]
        checked += 1
    assert checked > 40


def test_api_needs_a_bearer_token(client, app, admin_user):
    from evalplatform.services.users import create_token

    token = create_token(admin_user)
    db.session.commit()
    assert client.get("/api/v1/campaigns").status_code == 401
    bad = client.get("/api/v1/campaigns", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json == {"error": "missing or invalid bearer token"}
    good = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
    assert good.status_code == 200 and good.json == []


def table_counts() -> dict[str, int]:
    db.session.commit()
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def test_every_post_refuses_a_missing_csrf_token_and_changes_nothing(app, admin_client):
    posts = [(e, url) for e, m, url in routes(app) if m == "POST"]
    before = table_counts()
    for endpoint, url in posts:
        response = admin_client.post(url, data={})
        assert response.status_code == 400, (endpoint, response.status_code)
        assert "页面已过期" in response.get_data(as_text=True)
    assert table_counts() == before
    assert len(posts) >= 15
