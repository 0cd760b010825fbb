"""The JSON API against its own OpenAPI document (schemathesis): for generated requests —
valid and invalid ids, every operation — no server error, and every answer has the status,
headers, media type and body the document describes. Requests carry a bearer token made
as `flask --app wsgi users token NAME` makes one."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from evalplatform.extensions import db
from evalplatform.services.users import create_token
from evalplatform.testing import build_campaign, cast_ballot, close
from evalplatform.web.openapi import spec

EXAMPLES = int(os.environ.get("EVALPLATFORM_FUZZ_EXAMPLES") or 0)
#: Every operation of the document, by its method and path (but the document itself,
#: which schemathesis loads rather than tests).
#: Operations whose body can be of the documented shape yet refused for what it says
#: (a questionnaire naming rater groups the campaign does not have: 422, documented).
SEMANTIC = {"PUT /campaigns/{campaign_id}/questionnaire": [positive_data_acceptance]}
OPERATIONS = [f"{method.upper()} {path}" for path, item in spec("/api/v1")["paths"].items()
              for method in item if path != "/openapi.json"]


@pytest.fixture
def api(app, admin_user, monkeypatch):
    """The served document, and a token; an open campaign with ballots (one rater group
    under the minimum size; its results sealed), a draft without any, a closed one."""
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    campaign, plaintext = build_campaign(status="open", codes_per_group=6)
    for group, group_codes in plaintext.items():
        for n, code in enumerate(group_codes[: 6 if group == "服务对象" else 2]):
            cast_ballot(campaign, code, lambda unit, item, n=n: n % len(item.options))
    draft, _ = build_campaign(status="draft", title="草稿评议")
    closed, closed_codes = build_campaign(status="open", codes_per_group=6, title="已结束评议")
    for n, code in enumerate(closed_codes["服务对象"]):
        cast_ballot(closed, code, lambda unit, item, n=n: n % len(item.options))
    close(closed)
    token = create_token(admin_user)
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema, token, [campaign.id, draft.id, closed.id]


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_answers_as_documented(api, label):
    schema, token, ids = api
    (operation,) = [r.ok() for r in schema.get_all_operations() if r.ok().label == label]
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    if operation.path_parameters:
        # ids that exist (most generated ones do not), then anything that is not an id
        strategies += [operation.as_strategy(GenerationMode.POSITIVE,
                                             path_parameters={"campaign_id": i}) for i in ids]
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=st.one_of(strategies))
    @settings(max_examples=EXAMPLES or (6 if label.endswith(".pdf") else 15), deadline=None,
              derandomize=not EXAMPLES,
              database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                               excluded_checks=SEMANTIC.get(label, []))

    check()


def test_ids_too_large_for_the_database_name_no_campaign(api, client):
    """Found while checking the API: an id past the database's integers (a 64-bit
    overflow in SQLite) was a server error; it is simply no campaign."""
    _, token, _ = api
    for path in ("/campaigns/99999999999999999999", "/campaigns/9223372036854775808/results",
                 "/campaigns/18446744073709551616/bulletin.pdf"):
        response = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 404 and response.json == {"error": "no such campaign"}


def test_a_method_the_api_does_not_have_is_405_with_allow(api, client):
    _, token, _ = api
    response = client.post("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405 and response.json == {"error": "method not allowed"}
    assert "GET" in response.headers["Allow"]

