"""Evaluators configure the schemes of a draft campaign through their forms."""

from __future__ import annotations

from evalplatform.extensions import db
from evalplatform.scoring.engine import campaign_results
from evalplatform.testing import build_campaign, csrf_token


def config_form(client, campaign, key="satisfaction"):
    url = f"/evaluator/campaigns/{campaign.id}/schemes/{key}"
    page = client.get(url)
    assert page.status_code == 200
    return url, page.get_data(as_text=True)


def satisfaction_data(html, **changes):
    data = {"csrf_token": csrf_token(html), "score_0": "100", "score_1": "85", "score_2": "60",
            "score_3": "30", "score_4": "0", "satisfied_0": "y", "satisfied_1": "y",
            "grade_bands": "好 90\n较好 75\n一般 60\n差 0", "bottom_mode": "overall",
            "bottom_n": "3", "tie_decimals": "2"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_evaluator_sees_installed_schemes_and_configures_one(evaluator_client, app):
    campaign, _ = build_campaign(status="draft")
    listing = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/schemes")
    html = listing.get_data(as_text=True)
    assert "满意度测评" in html and "民主测评" in html and "已启用" in html
    url, page = config_form(evaluator_client, campaign)
    assert 'value="80"' in page  # 比较满意's default score
    response = evaluator_client.post(url, data=satisfaction_data(page))
    assert response.status_code == 303
    db.session.refresh(campaign)
    config = campaign.schemes[0].config
    assert config["option_scores"]["比较满意"] == 85
    assert config["satisfied"] == ["满意", "比较满意"]
    assert config["bottom"] == {"mode": "overall", "n": 3}
    assert config["grade_bands"][0] == ["好", 90.0]
    results = campaign_results(campaign)
    assert results.schemes["satisfaction"].bottom_rule.startswith("全部单位")


def test_bad_configuration_is_refused_with_a_message_and_nothing_saved(evaluator_client, app):
    campaign, _ = build_campaign(status="draft")
    url, page = config_form(evaluator_client, campaign)
    for changes, message in (({"grade_bands": "差 0\n好 90"}, "从高到低"),
                             ({"grade_bands": "好 九十"}, "第 1 行"),
                             ({"score_1": "-5"}, "分值为 0–1000"),
                             ({"bottom_n": "500"}, "N 为 0–100")):
        response = evaluator_client.post(url, data=satisfaction_data(page, **changes))
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), changes
    db.session.refresh(campaign)
    assert campaign.schemes[0].config == {}


def test_configuration_is_read_only_once_open(evaluator_client, app):
    campaign, _ = build_campaign(status="open")
    url, page = config_form(evaluator_client, campaign)
    assert "冻结" in page and "保存配置" not in page
    evaluator_client.post(url, data=satisfaction_data(page))
    db.session.refresh(campaign)
    assert campaign.schemes[0].config == {}


def test_appraisal_options(evaluator_client, app):
    campaign, _ = build_campaign(status="draft", template="appraisal")
    url, page = config_form(evaluator_client, campaign, "appraisal")
    data = {"csrf_token": csrf_token(page), "score_0": "100", "score_1": "80", "score_2": "60",
            "score_3": "40", "grade_bands": "优秀 90\n称职 70\n基本称职 60\n不称职 0",
            "bottom_mode": "category", "bottom_n": "1", "tie_decimals": "2",
            "max_excellent": "2", "reject_uniform": "y"}
    assert evaluator_client.post(url, data=data).status_code == 303
    db.session.refresh(campaign)
    config = campaign.schemes[0].config
    assert config["max_excellent"] == 2 and config["reject_uniform"] and not config["trim"]
