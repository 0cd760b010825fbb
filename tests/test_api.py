"""The JSON API skeleton: health, OpenAPI, campaigns, participation."""

from __future__ import annotations

import pytest

from evalplatform.extensions import db
from evalplatform.services.users import create_token
from evalplatform.testing import build_campaign


@pytest.fixture
def api(app, client, admin_user):
    token = create_token(admin_user)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    def get(path):
        return client.get(f"/api/v1{path}", headers=headers)

    return get


def test_healthz_reports_database(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_campaigns_and_participation(api, client):
    campaign, codes = build_campaign(codes_per_group=5)
    assert api("/campaigns").json == [{"id": campaign.id, "title": campaign.title,
                                       "status": "open"}]
    client.get(f"/s/{codes['服务对象'][0]}")  # opening a code does not count as using it
    body = api(f"/campaigns/{campaign.id}/participation").json
    assert body == {"groups": [{"name": "服务对象", "issued": 5, "used": 0},
                               {"name": "机关干部", "issued": 5, "used": 0}]}
    detail = api(f"/campaigns/{campaign.id}").json
    assert [u["name"] for u in detail["units"]][:2] == ["办公室", "政策法规科"]
    assert api("/campaigns/999/participation").status_code == 404
    assert api("/nowhere").json == {"error": "not found"}


def test_openapi_describes_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.removeprefix("/api/v1").replace("<int:campaign_id>",
                                                               "{campaign_id}")
            assert path in documented, path
