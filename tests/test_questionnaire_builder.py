"""The questionnaire builder as an admin (and an evaluator) uses it: sections, questions,
测评关系, 差别权重 and items through the pages' own forms; the file export and import
through the page and the API; the library of answer scales. Each check reads back what a
respondent would be asked, what the database holds or what the file says."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.models import AuditEvent, Campaign, CampaignScheme, Item, Question, Section
from evalplatform.services import campaigns
from evalplatform.services.ballots import questionnaire
from evalplatform.services.users import create_token
from evalplatform.testing import build_campaign, post_form

PROBLEMS = "门难进\n脸难看\n话难听\n事难办"


def page(campaign_id: int) -> str:
    return f"/admin/campaigns/{campaign_id}/questionnaire"


def post(client, campaign_id: int, path: str, data: dict, **kwargs):
    """Post one of the builder's forms with the page's token, as a browser would."""
    return post_form(client, page(campaign_id), data,
                     url=f"/admin/campaigns/{campaign_id}/{path}", **kwargs)


def flashed(client, response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def draft(groups=(("服务对象", 0.6), ("机关干部", 0.4), ("基层单位", 0.3)), title=None):
    kwargs = {"title": title} if title else {}
    campaign, _ = build_campaign(status="draft", template="style", groups=groups, **kwargs)
    return campaign


def asked(campaign_id: int, group_name: str) -> dict:
    """What a group's respondent is asked: units per matrix, and the other questions."""
    campaign = db.session.get(Campaign, campaign_id)
    group = next(g for g in campaign.groups if g.name == group_name)
    q = questionnaire(campaign, group.id)
    return {"units": sorted(u.name for m in q.matrices for u in m.units),
            "items": [i.label for m in q.matrices for i in m.items],
            "questions": [x.label for x in q.questions]}


def test_an_admin_builds_a_routed_questionnaire_with_the_pages_forms(admin_client):
    campaign = draft()
    cid = campaign.id
    public, staff, base = (g.id for g in campaign.groups)
    units = {u.name: u.id for u in campaign.units}
    matrix = campaigns.default_matrix(campaign).id
    db.session.commit()

    assert "已添加一部分。" in flashed(admin_client, post(admin_client, cid, "sections", {
        "title": "查摆问题", "group": [str(public), str(base)]}))
    section = db.session.scalar(select(Section).where(Section.title == "查摆问题"))
    assert sorted(section.groups) == sorted([public, base])
    assert "已添加多选题。" in flashed(admin_client, post(
        admin_client, cid, f"sections/{section.id}/questions",
        {"kind": "multiple", "label": "机关作风存在的主要问题", "options": PROBLEMS, "min": "1",
         "max": "2", "required": "1"}))
    assert "已添加文字题。" in flashed(admin_client, post(
        admin_client, cid, f"sections/{section.id}/questions",
        {"kind": "text", "label": "意见建议", "max_length": "200"}))
    multiple, text = db.session.scalars(select(Question).where(
        Question.section_id == section.id).order_by(Question.position)).all()
    question_ids = [multiple.id, text.id]
    assert [o["label"] for o in multiple.options] == PROBLEMS.split("\n")
    assert (multiple.settings, multiple.required) == ({"min": 1, "max": 2}, True)
    assert (text.settings, text.required) == ({"max_length": 200}, False)

    # 测评关系: 服务对象 the window category, 机关干部 every unit, 基层单位 one unit
    assert "测评关系已保存。" in flashed(admin_client, post(
        admin_client, cid, f"questions/{matrix}/routes",
        {f"category-{public}": "服务窗口类", f"every-{staff}": "1",
         f"unit-{base}": str(units["办公室"])}))
    # 差别权重: 服务对象 weigh 0.9 for the window category (categories sorted: 执法, 服务, 综合)
    assert "差别权重已保存。" in flashed(admin_client, post(
        admin_client, cid, "weights", {f"w-1-{public}": "0.9", f"w-0-{public}": ""}))
    assert db.session.get(Campaign, cid).category_weights == {"服务窗口类": {str(public): 0.9}}

    # items: renamed, not required, moved to the top
    first, second = db.session.scalars(select(Item).where(Item.campaign_id == cid)
                                       .order_by(Item.position)).all()[:2]
    assert "评价项目已保存。" in flashed(admin_client, post(
        admin_client, cid, f"items/{second.id}", {"label": "办事效率和质量"}))
    assert "顺序已调整。" in flashed(admin_client, post(
        admin_client, cid, f"items/{second.id}/move", {"direction": "up"}))

    assert asked(cid, "服务对象") == {
        "units": ["行政审批服务窗口"], "items": ["办事效率和质量", "服务态度", "依法行政", "廉洁自律"],
        "questions": ["机关作风存在的主要问题", "意见建议"]}
    assert asked(cid, "机关干部")["units"] == sorted(units)
    assert asked(cid, "机关干部")["questions"] == []  # not a group of 查摆问题
    assert asked(cid, "基层单位")["units"] == ["办公室"]
    item = db.session.get(Item, second.id)
    assert (item.label, item.required) == ("办事效率和质量", False)

    # the page reads it back: who is asked what, the lengths per group
    html = admin_client.get(page(cid)).get_data(as_text=True)
    assert "服务窗口类序列" in html and "全部被评单位" in html
    assert "服务对象：6 题，约" in html  # 4 items × 1 unit + 2 questions
    assert "基层单位：6 题，约" in html  # 4 items × 1 unit + 2 questions
    assert "机关干部：16 题，约" in html
    # the section moves up, then is deleted with its questions
    assert "顺序已调整。" in flashed(admin_client, post(
        admin_client, cid, f"sections/{section.id}/move", {"direction": "up"}))
    assert db.session.get(Campaign, cid).sections[0].title == "查摆问题"
    assert "这一部分已删除。" in flashed(admin_client, post(
        admin_client, cid, f"sections/{section.id}/delete", {}))
    assert not db.session.scalars(select(Question).where(Question.id.in_(question_ids))).all()
    assert db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("questionnaire.%"))).all()


BAD = [
    ("sections/{section}/questions", {"kind": "multiple", "label": "问题", "options": PROBLEMS,
                                      "min": "一"}, "最少（最小值）须为整数。"),
    ("sections/{section}/questions", {"kind": "single", "label": "任职建议",
                                      "options": "提拔使用"}, "选择题至少要有两个选项。"),
    ("sections/{section}/questions", {"kind": "essay", "label": "问题"}, "请选择题型。"),
    ("sections/{section}/questions", {"kind": "text", "label": "意见", "max_length": "99999"},
     "字数上限须在 1 到 2000 之间。"),
    ("sections/{section}/questions", {"kind": "number", "label": "次数", "min": "5",
                                      "max": "1"}, "最小值不能大于最大值。"),
    ("sections", {"title": "长" * 201}, "标题不超过 200 字。"),
    ("questions/{matrix}/routes", {"unit-{public}": "999999"}, "所选单位或序列不在该评议活动"),
    ("questions/{matrix}/routes", {"category-{public}": "不存在的序列"}, "所选单位或序列不在该评议活动"),
    ("weights", {"w-0-{public}": "abc"}, "须为数字。"),
    ("weights", {"w-0-{public}": "-1"}, "权重须在 0 到 1000 之间。"),
    ("items/{item}", {"label": "长" * 101}, "题目不超过 100 字。"),
    ("items/{item}", {"label": "依法行政"}, "评价项目“依法行政”已存在。"),
]


@pytest.mark.parametrize(("path", "data", "message"), BAD)
def test_a_bad_builder_form_is_refused_with_a_message_and_changes_nothing(
        admin_client, path, data, message):
    campaign = draft()
    section = campaigns.add_section(campaign, "查摆问题")
    db.session.commit()
    ids = {"section": section.id, "matrix": campaigns.default_matrix(campaign).id,
           "public": campaign.groups[0].id, "item": campaign.items[0].id}
    before = export(admin_client, campaign.id)
    response = post(admin_client, campaign.id, path.format(**ids),
                    {k.format(**ids): v for k, v in data.items()})
    assert message in flashed(admin_client, response)
    assert export(admin_client, campaign.id) == before


def test_another_campaigns_rows_are_not_found_and_an_open_campaign_is_locked(admin_client):
    campaign, other = draft(), draft(title="另一评议")
    foreign = other.sections[0]
    db.session.commit()
    for path in (f"sections/{foreign.id}", f"sections/{foreign.id}/delete",
                 f"questions/{foreign.questions[0].id}/routes",
                 f"items/{other.items[0].id}/move"):
        assert post(admin_client, campaign.id, path, {"title": "x"}).status_code == 404
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    before = export(admin_client, campaign.id)
    response = post(admin_client, campaign.id, "sections", {"title": "迟到的部分"})
    assert "评议活动已开始" in flashed(admin_client, response)
    html = admin_client.get(page(campaign.id)).get_data(as_text=True)
    assert "评议表已锁定" in html and "在本部分添加题目" not in html
    assert export(admin_client, campaign.id) == before


def export(client, campaign_id: int) -> dict:
    response = client.get(f"/admin/campaigns/{campaign_id}/questionnaire.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return json.loads(response.get_data())


def rich_campaign(title: str | None = None) -> Campaign:
    """Sections for some groups, a routed matrix, a scheme's section routed to one group
    about one category, every other kind of question, 差别权重 and a configured scheme."""
    from evalplatform.services import sections

    campaign = draft(title=title)
    public, staff, base = campaign.groups
    sections.set_routes(campaigns.default_matrix(campaign), [
        {"groups": [public.id], "categories": ["服务窗口类"]},
        {"groups": [base.id], "units": [campaign.units[0].id]}], None)
    campaigns.enable_scheme(campaign, "six_type", None)
    six = next(q for s in campaign.sections for q in s.questions if q.scheme == "six_type")
    sections.update_section(six.section, "六型机关", [staff.id], None)
    sections.set_routes(six, [{"groups": [staff.id], "categories": ["综合管理类"]}], None)
    problems = sections.create_section(campaign, "查摆问题", [public.id], None)
    sections.add_question(problems, "multiple", "主要问题", None, options=PROBLEMS.split("\n"),
                          minimum=1, maximum=2)
    sections.add_question(problems, "text", "意见建议", None, required=False, max_length=300)
    own = sections.create_section(campaign, "干部", [staff.id], None)
    sections.add_question(own, "single", "任职建议", None, options=["提拔使用", "继续留任"])
    sections.add_question(own, "number", "办事次数", None, minimum=0, maximum=50)
    sections.set_category_weights(campaign, {"服务窗口类": {public.id: 0.9}}, None)
    row = next(r for r in campaign.schemes if r.scheme == "satisfaction")
    campaigns.configure_scheme(campaign, "satisfaction", {**row.config, "rate": "weighted"}, None)
    db.session.commit()
    return campaign


def without_title(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "title"}


def test_a_questionnaire_exported_and_imported_elsewhere_asks_the_same(admin_client):
    source = rich_campaign()
    target = draft(title="2027年度评议")  # same units and groups, a different questionnaire
    db.session.commit()
    data = export(admin_client, source.id)
    assert [s["title"] for s in data["sections"]] == ["", "六型机关", "查摆问题", "干部"]
    assert data["category_weights"] == {"服务窗口类": {"服务对象": 0.9}}
    response = post(admin_client, target.id, "questionnaire/import",
                    {"file": (io.BytesIO(json.dumps(data).encode()), "q.json")},
                    content_type="multipart/form-data")
    assert "评议表已导入" in flashed(admin_client, response)
    assert without_title(export(admin_client, target.id)) == without_title(data)
    for group in ("服务对象", "机关干部", "基层单位"):
        assert asked(target.id, group) == asked(source.id, group), group
    config = db.session.scalar(select(CampaignScheme.config).where(
        CampaignScheme.campaign_id == target.id, CampaignScheme.scheme == "satisfaction"))
    assert config["rate"] == "weighted"


def broken(data: dict, change) -> bytes:
    data = json.loads(json.dumps(data))
    change(data)
    return json.dumps(data, ensure_ascii=False).encode()


def _set(path, value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


MALFORMED = [
    (lambda d: b'{"format": "evalplatform-questionnaire",\n "sections": [', "不是有效的 JSON（第 2 行附近）"),
    (lambda d: broken(d, _set(["format"], "limesurvey")), "这不是评议表文件"),
    (lambda d: broken(d, _set(["version"], 7)), "版本 7 无法识别"),
    (lambda d: broken(d, _set(["sections", 2, "groups"], ["企业代表"])),
     "第 3 部分：评议主体“企业代表”不在本评议活动中"),
    (lambda d: broken(d, _set(["sections", 0, "questions", 0, "routes", 1, "units"], ["不存在局"])),
     "第 1 部分第 1 题：测评关系中的单位“不存在局”不在本评议活动的被评单位中"),
    (lambda d: broken(d, _set(["sections", 2, "questions", 0, "options"], ["只有一个"])),
     "第 3 部分第 1 题：选择题至少要有两个选项。"),
    (lambda d: broken(d, _set(["sections", 2, "questions", 0, "max"], "两个")),
     "第 3 部分第 1 题：应为整数。"),
    (lambda d: broken(d, _set(["sections", 0, "questions", 0, "items", 1, "options", 0, "score"],
                              500)),
     "第 1 部分第 1 题第 2 个评价项目：第 1 个档次“满意”：请填写 0–100 的分值"),
    (lambda d: broken(d, _set(["sections", 1, "questions", 0, "scheme"], "not_installed")),
     "第 2 部分第 1 题：评分方案“not_installed”未安装。"),
    (lambda d: broken(d, _set(["sections", 3, "questions", 0, "label"], "长" * 301)),
     "第 4 部分第 1 题：题目不超过 300 字。"),
    (lambda d: broken(d, _set(["category_weights", "服务窗口类", "服务对象"], "heavy")),
     "差别权重：权重须为数字。"),
    (lambda d: broken(d, _set(["sections", 2, "title"], "a\u0000b")), "空字符"),
    (lambda d: b"[" * 100_000 + b"]" * 100_000, "嵌套层次过深"),
]
#: (Over 500 KB, Werkzeug's test client would leave its multipart temporary file open:
#: the oversized file goes through the API below.)


@pytest.mark.parametrize(("make", "message"), MALFORMED)
def test_a_malformed_file_is_refused_naming_the_place_and_changes_nothing(
        admin_client, make, message):
    source = rich_campaign()
    target = draft(title="2027年度评议")
    db.session.commit()
    before = export(admin_client, target.id)
    body = make(export(admin_client, source.id))
    response = post(admin_client, target.id, "questionnaire/import",
                    {"file": (io.BytesIO(body), "q.json")}, content_type="multipart/form-data")
    assert message in flashed(admin_client, response)
    assert export(admin_client, target.id) == before


def test_the_api_exports_and_replaces_a_questionnaire(client, admin_user, evaluator_user):
    source = rich_campaign()
    target = draft(title="2027年度评议")
    admin, evaluator = create_token(admin_user), create_token(evaluator_user)
    db.session.commit()

    def call(method, campaign_id, token, body=None):
        return client.open(f"/api/v1/campaigns/{campaign_id}/questionnaire", method=method,
                           data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})

    data = call("GET", source.id, evaluator).get_json()
    oversized = call("PUT", target.id, admin, b" " * (2 * 1024 * 1024 + 1))
    assert oversized.status_code == 422 and "文件超过 2 MB" in oversized.get_json()["error"]
    assert call("PUT", target.id, evaluator, json.dumps(data)).status_code == 403
    bad = call("PUT", target.id, admin, broken(data, _set(["sections", 2, "groups"], ["某某"])))
    assert bad.status_code == 422 and "第 3 部分：评议主体“某某”" in bad.get_json()["error"]
    stored = call("PUT", target.id, admin, json.dumps(data))
    assert stored.status_code == 200 and without_title(stored.get_json()) == without_title(data)
    campaigns.open_campaign(db.session.get(Campaign, target.id), None)
    db.session.commit()
    assert call("PUT", target.id, admin, json.dumps(data)).status_code == 409
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/campaigns/{campaign_id}/questionnaire"]) == {"get", "put"}


def test_the_evaluator_routes_a_schemes_section(evaluator_client):
    campaign = draft()
    campaigns.enable_scheme(campaign, "six_type", None)
    public, staff, base = campaign.groups
    db.session.commit()
    url = f"/evaluator/campaigns/{campaign.id}/schemes/six_type"
    html = evaluator_client.get(url).get_data(as_text=True)
    assert "测评关系：谁评议这些项目" in html
    response = post_form(evaluator_client, url, {f"category-{staff.id}": "综合管理类"},
                         url=f"{url}/routing")
    assert "测评关系已保存。" in flashed(evaluator_client, response)
    six_items = {i.label for i in campaign.items if i.scheme == "six_type"}
    for group in ("服务对象", "基层单位"):
        assert not six_items & set(asked(campaign.id, group)["items"])
    staff_asked = asked(campaign.id, "机关干部")
    assert six_items <= set(staff_asked["items"])
    assert staff_asked["units"] == ["办公室", "办公室", "建设工程质量监督站", "政策法规科", "政策法规科",
                                    "行政审批服务窗口"]
    refused = post_form(evaluator_client, url, {}, url=f"{url}/routing")
    assert "至少要有一个评议主体评议这些项目。" in flashed(evaluator_client, refused)


def test_an_edited_scale_is_used_by_new_items_only(admin_client):
    campaign = draft()
    db.session.commit()
    old = {i.label: i.options for i in campaign.items}
    rows = {"name": "满意度四级", "scheme": "satisfaction",
            "label-0": "非常满意", "score-0": "100", "satisfied-0": "1",
            "label-1": "满意", "score-1": "85", "satisfied-1": "1",
            "label-2": "不满意", "score-2": "30",
            "label-3": "不了解", "abstain-3": "1"}
    response = post_form(admin_client, "/admin/scales/new", rows)
    assert "评价档次已保存。" in flashed(admin_client, response)
    html = admin_client.get(page(campaign.id)).get_data(as_text=True)
    ref = html.split(">满意度四级<")[0].rsplit('value="', 1)[1].split('"')[0]
    response = post_form(admin_client, page(campaign.id), {
        "i-question": str(campaigns.default_matrix(campaign).id), "i-label": "窗口服务",
        "i-scale": ref, "i-required": "y"}, prefix="i-")
    assert "已添加评价项目。" in flashed(admin_client, response)
    item = db.session.scalar(select(Item).where(Item.label == "窗口服务"))
    assert [(o["label"], o["score"], o["abstain"]) for o in item.options] == [
        ("非常满意", 100, False), ("满意", 85, False), ("不满意", 30, False), ("不了解", None, True)]
    assert {i.label: i.options for i in campaign.items if i.label in old} == old
    satisfied = db.session.scalar(select(CampaignScheme.config).where(
        CampaignScheme.campaign_id == campaign.id, CampaignScheme.scheme == "satisfaction"))
    assert "非常满意" in satisfied["satisfied"] and "满意" in satisfied["satisfied"]

    # a built-in scale is edited (stored under its key), never deleted
    edited = {"name": "满意度五级", "scheme": "satisfaction",
              **{f"label-{k}": label for k, label in enumerate(
                  ["满意", "比较满意", "基本满意", "不太满意", "不满意", "不了解"])},
              **{f"score-{k}": s for k, s in enumerate(["100", "90", "70", "50", "0"])},
              "satisfied-0": "1", "satisfied-1": "1", "abstain-5": "1"}
    assert "评价档次已保存。" in flashed(admin_client, post_form(
        admin_client, "/admin/scales/satisfaction5", edited))
    assert "90" in admin_client.get("/admin/scales").get_data(as_text=True)
    refused = post_form(admin_client, "/admin/scales/satisfaction5", {},
                        url="/admin/scales/satisfaction5/delete")
    assert "内置的评价档次不能删除" in flashed(admin_client, refused)

    # an unscored scale (任职建议): its items are scored by no scheme
    unscored = {"name": "任职建议", "scheme": "none", "label-0": "提拔使用", "score-0": "99",
                "label-1": "继续留任", "label-2": "调整岗位"}
    assert "评价档次已保存。" in flashed(admin_client, post_form(admin_client, "/admin/scales/new",
                                                         unscored))
    html = admin_client.get(page(campaign.id)).get_data(as_text=True)
    ref = html.split(">任职建议<")[0].rsplit('value="', 1)[1].split('"')[0]
    assert "已添加评价项目。" in flashed(admin_client, post_form(admin_client, page(campaign.id), {
        "i-label": "任职建议", "i-scale": ref, "i-required": "y"}, prefix="i-"))
    item = db.session.scalar(select(Item).where(Item.label == "任职建议"))
    assert item.scheme is None and [o["score"] for o in item.options] == [None] * 3


SCALE_ERRORS = [
    ({"label-0": "优", "score-0": "100", "label-1": "差", "score-1": "0"}, "appraisal",
     "档次名称须为这四档"),
    ({"label-0": "好", "score-0": "100"}, "satisfaction", "至少要有两个计分的档次。"),
    ({"label-0": "好", "score-0": "很高", "label-1": "差", "score-1": "0"}, "satisfaction",
     "第 1 个档次的分值须为数字。"),
    ({"label-0": "好", "score-0": "100", "label-1": "差"}, "satisfaction", "请填写 0–100 的分值"),
    ({"label-0": "好", "score-0": "100", "label-1": "差", "score-1": "0"}, "satisfaction",
     "请至少勾选一个计入满意率的档次。"),
    ({"label-0": "好", "score-0": "100", "label-1": "好", "score-1": "0", "satisfied-0": "1"},
     "satisfaction", "档次名称不能重复。"),
    ({"label-0": "提拔使用", "label-1": "继续留任"}, None, "请选择计分方式。"),
    ({"label-0": "提拔使用", "label-2": "不了解", "abstain-2": "1"}, "none",
     "至少要有两个可选的档次。"),
]


@pytest.mark.parametrize(("rows", "scheme", "message"), SCALE_ERRORS)
def test_a_bad_scale_is_refused_and_shown_again(admin_client, rows, scheme, message):
    response = post_form(admin_client, "/admin/scales/new",
                         {"name": "自定义档次", **({"scheme": scheme} if scheme else {}), **rows})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html
    assert 'value="自定义档次"' in html  # what was typed is kept
    assert "自定义档次" not in admin_client.get("/admin/scales").get_data(as_text=True)
