"""Checklist reviews: recorded through the page, scored (100 − deductions, floor 0),
combined with the satisfaction survey, configured through the scheme form, locked with
the published results when the campaign closes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from checklist_helpers import (
    FOUR,
    checklist_campaign,
    entries,
    items,
    post_review,
    problems,
    review_url,
    vote,
)
from evalplatform_checklist import evidence, ledger, reviews

from evalplatform.errors import ServiceError
from evalplatform.extensions import db
from evalplatform.scoring.engine import campaign_results
from evalplatform.scoring.snapshots import verify
from evalplatform.services import campaigns
from evalplatform.testing import build_campaign, close, csrf_token


def record(campaign, unit, findings: dict[int, tuple[str, float]]) -> None:
    """Record findings {item index: (result, deduction)} through the service."""
    listed = items(campaign)
    reviews.record_reviews(campaign, unit, [
        reviews.ReviewInput(listed[k][0]["key"], listed[k][1]["key"], result, str(deduction))
        for k, (result, deduction) in findings.items()], None, evidence.FileBatch())
    db.session.commit()


def test_findings_recorded_on_the_page_put_failures_on_the_ledger(app, evaluator_client):
    campaign, _ = checklist_campaign()
    unit = campaign.units[0]
    response = post_review(evaluator_client, campaign, unit, {
        0: ("符合", "", ""), 1: ("基本符合", "1.5", "个别窗口答复不耐心"),
        2: ("不符合", "4", "审批材料清单未及时更新")})
    assert response.status_code == 303
    page = evaluator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存“办公室”的 3 项检查结果，1 个不符合项已列入整改台账。" in page
    assert "检查得分 <strong>94.50</strong>" in page
    found = entries(campaign)
    assert [(e.result, e.deduction, e.unit_id) for e in found] == [
        ("符合", 0.0, unit.id), ("基本符合", 1.5, unit.id), ("不符合", 4.0, unit.id)]
    assert found[0].reviewer.username == "pingyi"
    [problem] = problems(campaign)
    assert problem.entry_id == found[2].id and problem.status == "未开始"
    assert problem.problem == ("四个是否：工作方式是否正确，是否简单粗暴、急功近利。"
                               "检查情况：审批材料清单未及时更新")

    # a changed note updates the same problem; 不符合 → 基本符合 withdraws an untouched one
    post_review(evaluator_client, campaign, unit, {2: ("不符合", "5", "清单已过期三个月")})
    [problem] = problems(campaign)
    assert problem.problem.endswith("检查情况：清单已过期三个月")
    response = post_review(evaluator_client, campaign, unit, {2: ("基本符合", "2", "")})
    assert "1 个整改事项因检查结果改为符合而撤销" in evaluator_client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert problems(campaign) == []


def test_a_problem_with_work_recorded_survives_a_changed_finding(app):
    campaign, _ = checklist_campaign()
    unit = campaign.units[0]
    record(campaign, unit, {0: ("不符合", 3)})
    [problem] = problems(campaign)
    ledger.update_item(problem, ledger.Changes("重新公示办事流程", "王××", reviews.local_today(), "整改中",
                                               None), None, reviews.local_today())
    db.session.commit()
    record(campaign, unit, {0: ("符合", 0)})
    [kept] = problems(campaign)
    assert kept.id == problem.id and kept.measure == "重新公示办事流程"


@pytest.mark.parametrize(("finding", "message"), [
    (("符合", "2", ""), "结果为“符合”时不扣分"),
    (("不符合", "6", ""), "扣分不能超过本项最高扣分 5 分"),
    (("不符合", "两分", ""), "扣分“两分”不是数字"),
    (("不符合", "-1", ""), "扣分应为不小于 0 的数字"),
    (("不符合", "nan", ""), "扣分应为不小于 0 的数字"),
    (("不符合", "1.234", ""), "扣分最多保留两位小数"),
    (("优秀", "0", ""), "检查结果只能是“符合”“基本符合”或“不符合”"),
    (("不符合", "1", "长" * 501), "检查情况说明不超过 500 字"),
    (("", "2", "漏选结果"), "请先选择检查结果"),
])
def test_a_wrong_finding_is_refused_and_nothing_is_saved(app, evaluator_client, finding, message):
    campaign, _ = checklist_campaign()
    response = post_review(evaluator_client, campaign, campaign.units[0],
                           {0: ("不符合", "2", "正确的一项"), 1: finding})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "本次填写的检查结果均未保存" in page
    assert entries(campaign) == [] and problems(campaign) == []


def test_an_empty_form_says_what_to_do(app, evaluator_client):
    campaign, _ = checklist_campaign()
    response = post_review(evaluator_client, campaign, campaign.units[0], {})
    assert response.status_code == 422
    assert "没有填写任何检查结果" in response.get_data(as_text=True)


def test_checklist_score_is_100_minus_deductions_floored_at_0(app):
    config = {"lists": [{"key": "big", "title": "测试表", "max_deduction": 60, "items": ["甲", "乙"]}],
              "bottom": {"mode": "overall", "n": 1},
              "min_coverage": 0.75}  # three of the four units reviewed: enough to rank
    campaign, _ = checklist_campaign(config)
    office, law, station, window = campaign.units
    record(campaign, office, {0: ("不符合", 30), 1: ("基本符合", 10)})  # 100 − 40 = 60
    record(campaign, law, {0: ("不符合", 60), 1: ("不符合", 60)})  # 100 − 120 → 0
    record(campaign, station, {0: ("符合", 0)})  # 100, one item not reviewed
    result = campaign_results(campaign).schemes["checklist"]
    assert not any(i.scheme == "checklist" for i in campaign.items)  # no questionnaire items
    assert not result.from_ballots
    scores = {u.unit: (u.score, u.rank, u.grade) for u in result.units}
    assert scores == {"办公室": (60.0, 1, "合格"), "政策法规科": (0.0, 2, "不合格"),
                      "质量监督站": (100.0, 1, "优秀")}
    assert "审批窗口" not in scores
    assert any("尚未检查、不参与排名的单位：审批窗口" in note for note in result.notes)
    by_name = {u.unit: u for u in result.units}
    assert by_name["政策法规科"].flags == ["bottom"]
    assert by_name["质量监督站"].flag_labels == ["尚有 1 项未检查"]
    assert all(u.valid_votes == 0 and u.groups == [] and u.interval is None for u in result.units)


def test_score_combines_with_the_satisfaction_composite_by_weight(app):
    campaign, plaintext = checklist_campaign({**FOUR, "combine_with": "satisfaction", "weight": 0.25},
                                             status="open")
    # 服务对象 (weight 0.6): 满意 (100) for 办公室, 基本满意 (60) for the rest;
    # 机关干部 (weight 0.4): 比较满意 (80) for everyone
    for code in plaintext["服务对象"]:
        vote(campaign, code, lambda name: 0 if name == "办公室" else 2)
    for code in plaintext["机关干部"]:
        vote(campaign, code, lambda name: 1)
    office, law = campaign.units[:2]
    record(campaign, office, {0: ("不符合", 4), 1: ("基本符合", 2)})  # checklist 94
    record(campaign, law, {0: ("符合", 0)})  # checklist 100
    assert campaign_results(campaign).sealed_schemes == ["satisfaction", "checklist"]
    close(campaign)  # combined with ballots: sealed until the campaign closes
    results = campaign_results(campaign)
    survey = {u.unit: u.score for u in results.schemes["satisfaction"].units}
    assert survey["办公室"] == pytest.approx(0.6 * 100 + 0.4 * 80)
    assert survey["政策法规科"] == pytest.approx(0.6 * 60 + 0.4 * 80)
    combined = {u.unit: u.score for u in results.schemes["checklist"].units}
    assert combined == pytest.approx({"办公室": 0.25 * 94 + 0.75 * 92,
                                      "政策法规科": 0.25 * 100 + 0.75 * 68})
    notes = results.schemes["checklist"].notes
    assert "得分 = 检查得分 × 25% + 满意度测评综合得分 × 75%。" in notes


def test_combining_with_a_scheme_not_enabled_falls_back_and_says_so(app):
    with pytest.raises(ServiceError, match="本评议活动没有启用“民主测评”"):
        checklist_campaign({**FOUR, "combine_with": "appraisal"})  # refused now
    db.session.rollback()
    # a configuration stored before that refusal existed scores the checklist alone
    campaign, _ = checklist_campaign()
    row = next(r for r in campaign.schemes if r.scheme == "checklist")
    row.config = {**row.config, "combine_with": "appraisal"}
    db.session.commit()
    record(campaign, campaign.units[0], {0: ("不符合", 5)})
    result = campaign_results(campaign).schemes["checklist"]
    assert [u.score for u in result.units] == [95.0]
    assert any("“民主测评”未在本活动启用" in note for note in result.notes)


def test_results_are_recomputed_when_findings_change(app):
    campaign, _ = checklist_campaign()
    record(campaign, campaign.units[0], {0: ("不符合", 5)})
    assert campaign_results(campaign).schemes["checklist"].units[0].score == 95.0
    record(campaign, campaign.units[0], {0: ("基本符合", 1)})
    assert campaign_results(campaign).schemes["checklist"].units[0].score == 99.0


def test_results_page_and_excel_show_the_scheme_without_votes(app, evaluator_client):
    campaign, _ = checklist_campaign()
    record(campaign, campaign.units[0], {0: ("不符合", 5)})
    [problem] = problems(campaign)
    ledger.update_item(problem, ledger.Changes("整改", "王××", reviews.local_today() - timedelta(days=3),
                                               "整改中", None), None, reviews.local_today())
    db.session.commit()
    page = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results").get_data(as_text=True)
    part = page[page.index('id="scheme-checklist"'):]
    assert "整改逾期 1 项" in part and "各单位检查得分" in part and "逾期未完成的整改事项" in part
    assert "有效票" not in part.split("各单位检查得分")[0]
    unit_page = evaluator_client.get(
        f"/evaluator/campaigns/{campaign.id}/results/checklist/units/{campaign.units[0].id}")
    assert unit_page.status_code == 200 and "计分依据" in unit_page.get_data(as_text=True)
    assert evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results.xlsx").status_code == 200
    api = campaign_results(campaign).to_json()["schemes"]["checklist"]
    assert api["from_ballots"] is False and "整改逾期 1 项" in api["units"][0]["flag_labels"]


def test_a_closed_campaign_locks_reviews_and_its_results_stay_verifiable(app, evaluator_client):
    campaign, _ = checklist_campaign(status="open")
    unit = campaign.units[0]
    record(campaign, unit, {0: ("不符合", 5)})
    [problem] = problems(campaign)
    today = reviews.local_today()
    ledger.update_item(problem, ledger.Changes("整改", "王××", today - timedelta(days=1), "整改中", None),
                       None, today)
    db.session.commit()
    campaigns.close_campaign(campaign, None)
    db.session.commit()
    assert "overdue" in campaign_results(campaign).schemes["checklist"].units[0].flags

    # the ledger goes on: the item is completed after closing; published results stand
    ledger.update_item(problem, ledger.Changes("整改", "王××", today - timedelta(days=1), "已完成", today),
                       None, today)
    db.session.commit()
    check = verify(campaign)
    assert check.ok and check.results_ok, check.messages
    assert "overdue" in campaign_results(campaign).schemes["checklist"].units[0].flags

    page = evaluator_client.get(review_url(campaign, unit)).get_data(as_text=True)
    assert "对照检查结果已随评议结果发布，不能再修改" in page
    assert '<fieldset class="cl-fieldset" disabled>' in page
    response = post_review(evaluator_client, campaign, unit, {1: ("不符合", "3", "")})
    assert response.status_code == 422 and len(entries(campaign)) == 1


CONFIG_URL = "/evaluator/campaigns/{}/schemes/checklist"


def config_form(**changes) -> dict:
    data = {"use_sige_shifou": "y", "items_sige_shifou": "工作态度是否端正\n工作效率是否高效｜2",
            "max_sige_shifou": "3", "use_liangge_zhuzhong": "y",
            "items_liangge_zhuzhong": "注重自身学习\n注重学以致用", "max_liangge_zhuzhong": "5",
            "combine_with": "satisfaction", "weight": "40",
            "grade_bands": "优秀 90\n合格 60\n不合格 0", "bottom_mode": "category", "bottom_n": "1",
            "tie_decimals": "2"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_evaluator_chooses_lists_and_edits_items_in_the_config_form(app, evaluator_client):
    campaign, _ = checklist_campaign()
    url = CONFIG_URL.format(campaign.id)
    page = evaluator_client.get(url).get_data(as_text=True)
    assert "选用“三查三看”（思想作风）" in page and "工作态度是否端正，是否存在门难进" in page
    token = csrf_token(page)
    response = evaluator_client.post(url, data={"csrf_token": token, **config_form()})
    assert response.status_code == 303
    config = reviews.campaign_config(campaign)
    assert [(lst["key"], [(i["text"], i["max_deduction"]) for i in lst["items"]])
            for lst in config["lists"]] == [
        ("sige_shifou", [("工作态度是否端正", 3.0), ("工作效率是否高效", 2.0)]),
        ("liangge_zhuzhong", [("注重自身学习", 5.0), ("注重学以致用", 5.0)])]
    assert config["combine_with"] == "satisfaction" and config["weight"] == 0.4
    assert "工作效率是否高效｜2" in evaluator_client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(("changes", "message"), [
    ({"max_sige_shifou": "很多"}, "“四个是否”的每项最高扣分应为 0–100 的数字。"),
    ({"items_sige_shifou": "甲｜x"}, "“四个是否”第 1 行：竖线后应为该项最高扣分"),
    ({"items_sige_shifou": "甲\n甲"}, "“四个是否”的检查内容“甲”重复。"),
    ({"items_sige_shifou": "  "}, "选用的检查表“四个是否”至少需要一项检查内容。"),
    ({"use_sige_shifou": None, "use_liangge_zhuzhong": None}, "请至少选用一张检查表。"),
    ({"weight": "120"}, "权重应为 0–100 的数字。"),
    ({"combine_with": "nonexistent"}, "请从列表中选择要合成的评分方案。"),
])
def test_a_wrong_configuration_is_refused_with_a_message(app, evaluator_client, changes, message):
    campaign, _ = checklist_campaign()
    url = CONFIG_URL.format(campaign.id)
    token = csrf_token(evaluator_client.get(url).get_data(as_text=True))
    response = evaluator_client.post(url, data={"csrf_token": token, **config_form(**changes)})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert [lst["key"] for lst in reviews.campaign_config(campaign)["lists"]] == ["sige_shifou"]


def test_pages_are_for_evaluators_and_admins(app, client, evaluator_client, admin_client):
    campaign, _ = checklist_campaign()
    unit = campaign.units[0]
    urls = [f"/checklist/campaigns/{campaign.id}/reviews", review_url(campaign, unit),
            f"/checklist/campaigns/{campaign.id}/ledger",
            f"/checklist/campaigns/{campaign.id}/ledger?unit_id={unit.id}",
            f"/checklist/campaigns/{campaign.id}/ledger.xlsx",
            f"/checklist/campaigns/{campaign.id}/ledger/import",
            "/checklist/static/checklist.css"]
    for url in urls:
        for staff in (evaluator_client, admin_client):
            response = staff.get(url)
            response.close()  # files are streamed
            assert response.status_code == 200, url
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"], url
    assert client.post(review_url(campaign, unit), data={}).status_code in (302, 400)
    assert entries(campaign) == []


def test_the_pages_are_linked_from_the_campaign_and_a_campaign_without_the_scheme_says_so(
        app, evaluator_client):
    campaign, _ = checklist_campaign()
    for url in (f"/evaluator/campaigns/{campaign.id}", f"/evaluator/campaigns/{campaign.id}/schemes"):
        page = evaluator_client.get(url).get_data(as_text=True)
        assert f'href="/checklist/campaigns/{campaign.id}/reviews"' in page
        assert f'href="/checklist/campaigns/{campaign.id}/ledger"' in page
    other, _ = build_campaign(status="draft", title="只做满意度测评")
    response = evaluator_client.get(f"/checklist/campaigns/{other.id}/reviews")
    assert response.status_code == 404 and "没有启用“对照检查”评分方案" in response.get_data(as_text=True)
    assert evaluator_client.get(f"/checklist/campaigns/{campaign.id}/reviews/999999").status_code == 404


def test_a_draft_campaign_with_findings_can_still_be_deleted(app):
    from evalplatform_checklist.models import ChecklistEntry, RectificationItem

    campaign, _ = checklist_campaign()
    record(campaign, campaign.units[0], {0: ("不符合", 5)})
    campaign_id = campaign.id
    campaigns.delete_campaign(campaign, None)
    db.session.commit()
    for model in (ChecklistEntry, RectificationItem):
        assert db.session.query(model).filter_by(campaign_id=campaign_id).count() == 0


def test_without_the_plugin_the_platform_still_works_and_says_which_scheme_is_missing(
        _app, app_config):
    """A second app without the plugin, on the same database. (It does not use the ``app``
    fixture: a second app's requests inside the first app's context leave a connection
    open on PostgreSQL.)"""
    from evalplatform import create_app
    from evalplatform.database import set_write_intent
    from evalplatform.services import users
    from evalplatform.testing import EVALUATOR_PASSWORD, login

    bare = create_app({**app_config, "EVALPLATFORM_PLUGINS": ""})
    bare.test_client_class = _app.test_client_class
    try:
        with _app.app_context():
            users.create_user("pingyi", "evaluator", EVALUATOR_PASSWORD)
            campaign, _ = checklist_campaign()
            record(campaign, campaign.units[0], {0: ("不符合", 5)})
            campaign_id = campaign.id
            db.session.remove()
        with bare.app_context():
            set_write_intent(False)
            client = bare.test_client()
            assert login(client, "pingyi", EVALUATOR_PASSWORD).status_code == 302
            results = client.get(f"/evaluator/campaigns/{campaign_id}/results")
            assert results.status_code == 200
            assert "评分方案插件未安装：</strong>checklist" in results.get_data(as_text=True)
            schemes = client.get(f"/evaluator/campaigns/{campaign_id}/schemes").get_data(as_text=True)
            assert "插件未安装" in schemes and "/checklist/campaigns" not in schemes
            assert client.get(f"/evaluator/campaigns/{campaign_id}").status_code == 200
            assert client.get(f"/checklist/campaigns/{campaign_id}/reviews").status_code == 404
            set_write_intent(True)
            db.session.remove()
    finally:
        with bare.app_context():
            db.engine.dispose()
        with _app.app_context():
            db.session.remove()
            _app.extensions.pop("evalplatform.results_cache", None)
            with db.engine.begin() as conn:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())


def test_an_error_names_its_own_item_and_no_file_is_said_lost_when_none_was_chosen(
        app, evaluator_client):
    campaign, _ = checklist_campaign()
    (lst, _), *_rest = items(campaign)
    response = post_review(evaluator_client, campaign, campaign.units[0],
                           {0: ("符合", "", ""), 3: ("符合", "2", "")},  # only item 4 is wrong
                           files={0: (b"", "")})  # an empty file input, as a browser sends it
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"{lst['title']} 第 4 项" in page and f"{lst['title']} 第 1 项" not in page
    assert "所选的证明材料文件没有保存" not in page  # no file was chosen
