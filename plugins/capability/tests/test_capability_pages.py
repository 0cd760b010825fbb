"""The capability model in the platform: enabling it, the ballot, the configuration page,
the results pages with strongest/weakest dimensions and charts, life without the plugin."""

from __future__ import annotations

import os
from importlib.metadata import entry_points

import pytest

from evalplatform import create_app
from evalplatform.database import set_write_intent
from evalplatform.extensions import db
from evalplatform.models import Campaign
from evalplatform.plugins import ENTRY_POINT_GROUP
from evalplatform.scoring.engine import campaign_results
from evalplatform.services import campaigns, codes
from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot
from evalplatform.testing import EVALUATOR_PASSWORD, build_campaign, close, csrf_token, login

SCRIPT = "<img src=x onerror=alert(1)>"
UNITS = [("办公室", "综合管理类"), ("政策法规科", "综合管理类"), (SCRIPT, "执法监管类")]
GOOD, FAIR, SO_SO, POOR = 0, 1, 2, 3  # 好 100, 较好 80, 一般 60, 差 0


def enable_capability(client, campaign: Campaign) -> None:
    page = client.get(f"/evaluator/campaigns/{campaign.id}/schemes").get_data(as_text=True)
    assert "能力作风评价" in page
    response = client.post(f"/evaluator/campaigns/{campaign.id}/schemes/capability/enable",
                           data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    db.session.refresh(campaign)


def choose(unit: str, label: str) -> int:
    """办公室: 好 on the abilities, 较好 on the styles but 差 on 刻苦钻研; the others 一般."""
    if unit != "办公室":
        return SO_SO
    if label.startswith("刻苦钻研"):
        return POOR
    abilities = ("服务发展", "依法行政", "改革创新", "执行落实", "沟通协调")
    return GOOD if label.startswith(abilities) else FAIR


@pytest.fixture
def voted(app, evaluator_client):
    campaign, plaintext = build_campaign(status="draft", unit_rows=UNITS, title="能力作风建设提升年评议")
    enable_capability(evaluator_client, campaign)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    for code in plaintext["服务对象"]:
        q = questionnaire(campaign)
        answers = {(u.id, i.id): 0 if i.scheme != "capability" else choose(u.name, i.label)
                   for u in q.units for i in q.items}
        submit_ballot(codes.hash_code(code), q, BallotInput(answers=answers))
        db.session.commit()
    close(campaign)
    return campaign


def test_enabling_adds_one_item_per_dimension_to_the_ballot(app, evaluator_client, client):
    campaign, plaintext = build_campaign(status="draft", unit_rows=UNITS)
    enable_capability(evaluator_client, campaign)
    labels = [i.label for i in campaign.items if i.scheme == "capability"]
    assert len(labels) == 10 and labels[0].startswith("服务发展：")
    assert labels[-1].startswith("清正廉洁：")
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    client.get(f"/s/{plaintext['机关干部'][0]}")
    ballot = client.get("/survey").get_data(as_text=True)
    assert "求真务实：察实情、讲实话、办实事、求实效" in ballot and "不了解" in ballot


def test_results_show_families_strongest_weakest_and_charts(evaluator_client, voted):
    html = evaluator_client.get(f"/evaluator/campaigns/{voted.id}/results").get_data(as_text=True)
    part = html[html.index('id="scheme-capability"'):]
    for title in ("能力作风评价", "各单位最强和最弱维度", "各维度得分热力图", "各单位维度得分"):
        assert title in part
    # 办公室: abilities 100, styles (0 + 4 × 80) / 5 = 64, composite 82
    assert "82.00" in part and "64.00" in part
    assert "服务发展 100.00、依法行政 100.00" in part and "刻苦钻研 0.00" in part
    assert ">五种工作能力</text>" in part and ">五种优良作风</text>" in part
    assert part.count("<svg") == 2 + 2 + 3  # ranking charts, heat maps, one bar chart per unit
    assert SCRIPT not in html and "&lt;img src=x onerror=alert(1)&gt;" in part
    result = campaign_results(voted).schemes["capability"]
    office = next(u for u in result.units if u.unit == "办公室")
    assert office.score == pytest.approx(82) and office.weakest == ["刻苦钻研"]
    page = evaluator_client.get(f"/evaluator/campaigns/{voted.id}/results/capability/units/"
                                f"{office.unit_id}").get_data(as_text=True)
    assert "【五种工作能力】" in page and "刻苦钻研（最弱）" in page and "82.00" in page


def config_data(html: str, **changes) -> dict:
    data = {"csrf_token": csrf_token(html), "preset": "five_five", "shown_preset": "five_five",
            "scale": "good4", "family_weight_0": "0.5", "family_weight_1": "0.5",
            "score_0": "100", "score_1": "80", "score_2": "60", "score_3": "0",
            "grade_bands": "优秀 90\n良好 80\n一般 60\n较差 0", "bottom_mode": "category",
            "bottom_n": "1", "tie_decimals": "2"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def scheme_config(campaign: Campaign) -> dict:
    db.session.refresh(campaign)
    return next(r.config for r in campaign.schemes if r.scheme == "capability")


def test_configuration_page_round_trip(evaluator_client, app):
    campaign, _ = build_campaign(status="draft", unit_rows=UNITS)
    enable_capability(evaluator_client, campaign)
    url = f"/evaluator/campaigns/{campaign.id}/schemes/capability"
    html = evaluator_client.get(url).get_data(as_text=True)
    for text in ("评价模型", "“五种工作能力”权重", "“五种优良作风”权重", "服务发展、依法行政", "等次分数线"):
        assert text in html, text
    response = evaluator_client.post(url, data=config_data(
        html, family_weight_0="0.6", family_weight_1="0.4", bottom_n="2"))
    assert response.status_code == 303
    config = scheme_config(campaign)
    assert config["family_weights"] == {"五种工作能力": 0.6, "五种优良作风": 0.4}
    assert config["bottom"]["n"] == 2
    html = evaluator_client.get(url).get_data(as_text=True)
    assert 'value="0.6"' in html
    # switching to 五力 replaces the items; the old family weights do not apply
    response = evaluator_client.post(url, data=config_data(html, preset="five_forces"))
    assert response.status_code == 303
    config = scheme_config(campaign)
    assert config["preset"] == "five_forces" and config["family_weights"] == {"五力": 1.0}
    labels = [i.label.split("：")[0] for i in campaign.items if i.scheme == "capability"]
    assert labels == ["学习力", "执行力", "凝聚力", "创新力", "免疫力"]
    html = evaluator_client.get(url).get_data(as_text=True)
    assert "学习力、执行力" in html and "“五力”权重" not in html


@pytest.mark.parametrize(("changes", "message"), [
    ({"family_weight_1": "-0.5"}, "权重须为 0–1000 之间的数，不能为负数。"),
    ({"family_weight_0": "0", "family_weight_1": "0"}, "各类别的权重不能全部为 0。"),
    ({"grade_bands": "较差 0\n优秀 90"}, "从高到低"),
])
def test_bad_configuration_is_refused_and_nothing_saved(evaluator_client, app, changes, message):
    campaign, _ = build_campaign(status="draft", unit_rows=UNITS)
    enable_capability(evaluator_client, campaign)
    before = scheme_config(campaign)
    url = f"/evaluator/campaigns/{campaign.id}/schemes/capability"
    html = evaluator_client.get(url).get_data(as_text=True)
    response = evaluator_client.post(url, data=config_data(html, **changes))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert scheme_config(campaign) == before


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason=(
    "plugin absence does not depend on the database; on PostgreSQL a second app serving "
    "requests inside the first app's context leaves a pooled connection unclosed (to fix "
    "in evalplatform.testing)"))
def test_without_the_plugin_the_platform_works_and_names_the_missing_scheme(app_config, _app,
                                                                            voted):
    others = sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} - {"capability"})
    bare = create_app({**app_config, "EVALPLATFORM_PLUGINS": ",".join(others)})
    bare.test_client_class = _app.test_client_class
    with bare.app_context():
        set_write_intent(False)
        campaign = db.session.get(Campaign, voted.id)
        results = campaign_results(campaign)
        assert results.missing_schemes == ["capability"] and "satisfaction" in results.schemes
        client = bare.test_client()
        assert login(client, "pingyi", EVALUATOR_PASSWORD).status_code == 302
        html = client.get(f"/evaluator/campaigns/{campaign.id}/results").get_data(as_text=True)
        assert "评分方案插件未安装" in html and "capability" in html
        db.session.remove()
        db.engine.dispose()
