"""GET /api/v1/campaigns/<id>/results: the results page as JSON, suppression included."""

from __future__ import annotations

import pytest

from evalplatform.extensions import db
from evalplatform.services.users import create_token
from evalplatform.testing import build_campaign
from tests.test_results_pages import HYPERLINK, PUBLIC_BALLOTS, SCRIPT, UNIT_ROWS, cast, voted_campaign


@pytest.fixture
def token(app, admin_user) -> str:
    value = create_token(admin_user)
    db.session.commit()
    return value


def get(client, path: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(f"/api/v1{path}", headers=headers)


def test_results_need_a_bearer_token(client, admin_client, token):
    campaign = voted_campaign()
    path = f"/campaigns/{campaign.id}/results"
    # no token, a wrong one, or only a logged-in browser session: refused
    for response in (get(client, path), get(client, path, "not-a-token"),
                     get(admin_client, path)):
        assert response.status_code == 401
        assert response.json == {"error": "missing or invalid bearer token"}
    assert get(client, path, token).status_code == 200
    assert get(client, "/campaigns/999999/results", token).status_code == 404
    assert get(client, "/campaigns/999999/results", token).json == {"error": "no such campaign"}


def test_results_json_ranks_and_nulls_suppressed_groups(client, app, token):
    campaign = voted_campaign()
    response = get(client, f"/campaigns/{campaign.id}/results", token)
    assert response.status_code == 200
    body = response.json
    assert body["rules_sha256"] == campaign.rules_sha256 and body["frozen"] is True
    assert body["ballots"] == 7 and body["min_group_size"] == 5
    assert body["missing_schemes"] == []
    assert [(p["name"], p["issued"], p["used"]) for p in body["participation"]] == [
        ("服务对象", 6, 5), ("机关干部", 6, 2)]
    scheme = body["schemes"]["satisfaction"]
    assert scheme["categories"] == ["综合管理类", "执法监管类"]
    units = {u["unit"]: u for u in scheme["units"]}
    ranked = sorted((u for u in units.values() if u["category"] == "综合管理类"),
                    key=lambda u: (u["rank"] is None, u["rank"] or 0))
    assert [(u["unit"], u["rank"], u["score"]) for u in ranked] == [
        ("办公室", 1, 100.0), ("政策法规科", 2, 72.0), ("人事教育科", 3, 68.0),
        ("计划财务科", None, None)]
    assert units["计划财务科"]["flags"] == ["too_few_raters"]
    assert units[SCRIPT]["rank"] == 2 and "bottom" in units[SCRIPT]["flags"]
    assert units[HYPERLINK]["unit"] == HYPERLINK  # JSON carries the text as it is
    bottom = units["人事教育科"]
    assert bottom["flags"] == ["bottom", "bottom_uncertain"]
    assert bottom["next_up"] == "政策法规科" and 0 < bottom["p_below_next"] < 0.95
    lo, hi = bottom["interval"]
    assert lo <= 68.0 <= hi
    for unit in units.values():
        staff = next(g for g in unit["groups"] if g["group"] == "机关干部")
        assert staff["suppressed"] is True and staff["counted"] is False
        assert staff["score"] is None and staff["satisfaction_rate"] is None
        assert staff["valid_votes"] is None  # not even how many valid votes it has
    public = next(g for g in units["政策法规科"]["groups"] if g["group"] == "服务对象")
    assert public == {"group": "服务对象", "weight": 0.6, "valid_votes": 5, "suppressed": False,
                      "counted": True, "score": 72.0, "satisfaction_rate": 1.0}
    # pooled figures pool the counted groups only: no subtraction gives the staff's
    assert units["政策法规科"]["valid_votes"] == 5
    assert body["sealed"] is False and body["sealed_schemes"] == []


def test_an_open_campaigns_results_are_sealed(client, app, token):
    """Reading the results just before and just after a ballot gives the same answer:
    nothing computed from ballots is published while the campaign is open."""
    campaign, plaintext = build_campaign(unit_rows=UNIT_ROWS, codes_per_group=6)
    before = get(client, f"/campaigns/{campaign.id}/results", token).json
    cast(campaign, plaintext["服务对象"][0], PUBLIC_BALLOTS[0])
    after = get(client, f"/campaigns/{campaign.id}/results", token).json
    assert before["sealed"] is after["sealed"] is True
    assert before["schemes"] == after["schemes"] == {}
    assert before["sealed_schemes"] == ["satisfaction"] and after["ballots"] == 0
    assert [p["used"] for p in after["participation"]] == [1, 0]  # participation is shown


def test_results_are_described_in_openapi(client, app, token):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/campaigns/{campaign_id}/results"]["get"]
    assert set(operation["responses"]) == {"200", "401", "404", "429", "503"}
    schemas = spec["components"]["schemas"]
    campaign = voted_campaign()
    body = get(client, f"/campaigns/{campaign.id}/results", token).json

    def check(value, schema, where):
        """Every key the API sends is described, and every required key is sent."""
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        if isinstance(value, dict) and "properties" in schema:
            assert set(schema.get("required", [])) <= set(value), where
            for key, item in value.items():
                assert key in schema["properties"], f"{where}.{key} is not documented"
                check(item, schema["properties"][key], f"{where}.{key}")
        elif isinstance(value, dict) and "additionalProperties" in schema:
            for key, item in value.items():
                check(item, schema["additionalProperties"], f"{where}.{key}")
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            for n, item in enumerate(value):
                check(item, schema["items"], f"{where}[{n}]")

    check(body, {"$ref": "#/components/schemas/Results"}, "results")
