"""六型机关 in the platform: enabling it on a draft campaign, the ballot, the configuration
page, the results pages with the heat map and radar charts, and life without the plugin."""

from __future__ import annotations

import os
from importlib.metadata import entry_points

import pytest
from evalplatform_six_type.bank import BANK

from evalplatform import create_app
from evalplatform.database import set_write_intent
from evalplatform.extensions import db
from evalplatform.models import Campaign
from evalplatform.plugins import ENTRY_POINT_GROUP
from evalplatform.scoring.engine import campaign_results
from evalplatform.services import campaigns, codes
from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot
from evalplatform.testing import EVALUATOR_PASSWORD, build_campaign, close, csrf_token, login

SCRIPT = "<script>alert(1)</script>"
UNITS = [("办公室", "综合管理类"), ("政策法规科", "综合管理类"), (SCRIPT, "执法监管类")]
GOOD, FAIR, SO_SO = 0, 1, 2  # 好 100, 较好 80, 一般 60


def enable_six_type(client, campaign: Campaign) -> None:
    page = client.get(f"/evaluator/campaigns/{campaign.id}/schemes").get_data(as_text=True)
    assert "六型机关" in page and "启用" in page
    response = client.post(f"/evaluator/campaigns/{campaign.id}/schemes/six_type/enable",
                           data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    db.session.refresh(campaign)


def cast(campaign: Campaign, code: str, choose) -> None:
    """One ballot; ``choose(unit name, item label)`` gives the option index."""
    q = questionnaire(campaign)
    answers = {(u.id, i.id): 0 if i.scheme != "six_type" else choose(u.name, i.label)
               for u in q.units for i in q.items}
    submit_ballot(codes.hash_code(code), q, BallotInput(answers=answers))
    db.session.commit()


def office_choice(unit: str, label: str) -> int:
    """办公室 all 好 (100); 政策法规科 好 on 学习型, 一般 elsewhere (66.67); the third 较好."""
    if unit == "办公室":
        return GOOD
    if unit == "政策法规科":
        return GOOD if label.startswith("学习型") else SO_SO
    return FAIR


@pytest.fixture
def voted(app, evaluator_client):
    campaign, plaintext = build_campaign(status="draft", unit_rows=UNITS, title="六型机关创建评议")
    enable_six_type(evaluator_client, campaign)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    for code in plaintext["服务对象"]:
        cast(campaign, code, office_choice)
    close(campaign)
    return campaign, plaintext


def test_enabling_adds_the_items_and_the_ballot_shows_them(app, evaluator_client, client):
    campaign, plaintext = build_campaign(status="draft", unit_rows=UNITS)
    enable_six_type(evaluator_client, campaign)
    items = [i for i in campaign.items if i.scheme == "six_type"]
    assert len(items) == 18 and items[0].label == "学习型：学习制度健全、学习氛围浓厚"
    assert [o["label"] for o in items[0].options] == ["好", "较好", "一般", "差", "不了解"]
    assert items[0].options[-1]["abstain"]
    listing = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/schemes")
    assert "18 项" in listing.get_data(as_text=True)  # a long item set is counted, not listed
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    assert client.get(f"/s/{plaintext['服务对象'][0]}").status_code == 303
    ballot = client.get("/survey").get_data(as_text=True)
    for text in ("学习型：学习制度健全、学习氛围浓厚", "廉洁型：没有吃、拿、卡、要、占等不正之风",
                 "不了解", "较好", "总体满意度"):
        assert text in ballot


def test_results_page_shows_dimensions_heat_map_and_radar_charts(evaluator_client, voted):
    campaign, _ = voted
    html = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results").get_data(as_text=True)
    part = html[html.index('id="scheme-six_type"'):html.index("</main>")]
    assert "六型机关" in part and "各维度得分热力图" in part and "各单位六型雷达图" in part
    assert "100.00" in part and "66.67" in part  # composites: all 好; 学习型 好 and 一般 elsewhere
    assert part.count("<svg") == 2 + 2 + 3  # ranking charts, heat maps, radars (per category/unit)
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in part
    assert 'font-family="Noto Sans CJK SC, sans-serif"' in part
    for dimension in ("学习型", "服务型", "高效型", "和谐型", "创新型", "廉洁型"):
        assert f">{dimension}</text>" in part
    assert "http" not in part.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in part and "foreignObject" not in part and "href=\"#" not in part

    result = campaign_results(campaign).schemes["six_type"]
    bureau = next(u for u in result.units if u.unit == "政策法规科")
    assert bureau.score == pytest.approx(400 / 6) and bureau.interval is not None
    assert bureau.strongest == ["学习型"] and len(bureau.weakest) == 5
    page = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results/six_type/units/"
                                f"{bureau.unit_id}").get_data(as_text=True)
    assert "学习型（最强）" in page and "服务型（最弱）" in page
    assert f"学习型：{BANK['学习型'][0]}" in page and "66.67" in page


def config_data(html: str, **changes) -> dict:
    data = {"csrf_token": csrf_token(html), "variant": "高效型", "shown_variant": "高效型",
            "scale": "good4", "score_0": "100", "score_1": "80", "score_2": "60", "score_3": "0",
            "grade_bands": "优秀 90\n良好 80\n一般 60\n较差 0", "bottom_mode": "category",
            "bottom_n": "1", "tie_decimals": "2"}
    for k in range(6):
        data[f"weight_{k}"] = "1"
        data.update({f"item_{k}_{j}": "y" for j in range(3)})
        data[f"extra_{k}"] = ""
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_configuration_page_round_trip(evaluator_client, app):
    campaign, _ = build_campaign(status="draft", unit_rows=UNITS)
    enable_six_type(evaluator_client, campaign)
    url = f"/evaluator/campaigns/{campaign.id}/schemes/six_type"
    html = evaluator_client.get(url).get_data(as_text=True)
    for text in ("第三个维度", "维度权重", "学习型权重", "学习型的评价项目", "学习制度健全、学习氛围浓厚",
                 "“好”的分值", "等次分数线"):
        assert text in html, text
    # switch to 务实型, weigh 学习型 double, drop one of its items and add one of our own
    response = evaluator_client.post(url, data=config_data(
        html, variant="务实型", weight_0="2", item_0_2=None, extra_0="每月集中学习不少于一次"))
    assert response.status_code == 303
    db.session.refresh(campaign)
    config = next(r.config for r in campaign.schemes if r.scheme == "six_type")
    assert config["variant"] == "务实型" and config["weights"]["学习型"] == 2
    assert config["items"]["学习型"] == [*BANK["学习型"][:2], "每月集中学习不少于一次"]
    assert config["items"]["务实型"] == list(BANK["务实型"])
    labels = [i.label for i in campaign.items if i.scheme == "six_type"]
    assert len(labels) == 18 and "学习型：每月集中学习不少于一次" in labels
    assert "务实型：察实情、讲实话、办实事、求实效" in labels
    assert not any(label.startswith("高效型") for label in labels)
    # the page shows what was saved
    html = evaluator_client.get(url).get_data(as_text=True)
    assert "务实型权重" in html and "察实情、讲实话、办实事、求实效" in html
    assert "每月集中学习不少于一次</textarea>" in html and 'value="2"' in html
    assert campaign_results(campaign).schemes["six_type"].dimensions[2].name == "务实型"


def test_switching_the_type_keeps_the_same_saves_unticks(evaluator_client, app):
    campaign, _ = build_campaign(status="draft", unit_rows=UNITS)
    enable_six_type(evaluator_client, campaign)
    url = f"/evaluator/campaigns/{campaign.id}/schemes/six_type"
    html = evaluator_client.get(url).get_data(as_text=True)
    # 高效型 shown; its first item unticked while switching to 务实型
    response = evaluator_client.post(url, data=config_data(html, variant="务实型", item_2_0=None))
    assert response.status_code == 303
    db.session.refresh(campaign)
    config = next(r.config for r in campaign.schemes if r.scheme == "six_type")
    assert config["items"]["务实型"] == list(BANK["务实型"][1:])


@pytest.mark.parametrize(("changes", "message"), [
    ({"item_0_0": None, "item_0_1": None, "item_0_2": None}, "“学习型”至少需要一个评价项目。"),
    ({"weight_1": "-1"}, "权重须为 0–1000 之间的数，不能为负数。"),
    ({f"weight_{k}": "0" for k in range(6)}, "各维度的权重不能全部为 0。"),
    ({"extra_3": "团" * 61}, "每项不超过 60 字"),
])
def test_bad_configuration_is_refused_and_nothing_saved(evaluator_client, app, changes, message):
    campaign, _ = build_campaign(status="draft", unit_rows=UNITS)
    enable_six_type(evaluator_client, campaign)
    before = next(r.config for r in campaign.schemes if r.scheme == "six_type")
    url = f"/evaluator/campaigns/{campaign.id}/schemes/six_type"
    html = evaluator_client.get(url).get_data(as_text=True)
    response = evaluator_client.post(url, data=config_data(html, **changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.refresh(campaign)
    assert next(r.config for r in campaign.schemes if r.scheme == "six_type") == before


@pytest.fixture
def app_without_six_type(app_config, _app):
    """The platform with every installed plugin but this one (EVALPLATFORM_PLUGINS)."""
    others = sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} - {"six_type"})
    bare = create_app({**app_config, "EVALPLATFORM_PLUGINS": ",".join(others)})
    bare.test_client_class = _app.test_client_class
    yield bare
    with bare.app_context():
        db.engine.dispose()


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason=(
    "plugin absence does not depend on the database; on PostgreSQL a second app serving "
    "requests inside the first app's context leaves a pooled connection unclosed (to fix "
    "in evalplatform.testing)"))
def test_without_the_plugin_the_platform_works_and_names_the_missing_scheme(
        voted, app_without_six_type):
    campaign, _ = voted
    with app_without_six_type.app_context():
        set_write_intent(False)
        campaign = db.session.get(Campaign, campaign.id)
        results = campaign_results(campaign)
        assert results.missing_schemes == ["six_type"] and "satisfaction" in results.schemes
        client = app_without_six_type.test_client()
        assert login(client, "pingyi", EVALUATOR_PASSWORD).status_code == 302
        html = client.get(f"/evaluator/campaigns/{campaign.id}/results").get_data(as_text=True)
        assert "评分方案插件未安装" in html and "six_type" in html and "满意度测评" in html
        listing = client.get(f"/evaluator/campaigns/{campaign.id}/schemes").get_data(as_text=True)
        assert "插件未安装" in listing and "六型机关" not in listing.split("已安装的方案")[1]
        assert client.get(f"/evaluator/campaigns/{campaign.id}/schemes/six_type").status_code == 404
        db.session.remove()


def test_results_api_and_excel_carry_the_dimensions(client, evaluator_client, admin_user, voted):
    from evalplatform.services.users import create_token

    campaign, _ = voted
    token = create_token(admin_user)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/campaigns/{campaign.id}/results", headers=headers).json
    scheme = body["schemes"]["six_type"]
    assert [d["name"] for d in scheme["dimensions"]][:3] == ["学习型", "服务型", "高效型"]
    bureau = next(u for u in scheme["units"] if u["unit"] == "政策法规科")
    assert bureau["strongest"] == ["学习型"]
    assert bureau["items"][0] == {**bureau["items"][0], "item": "学习型（最强）", "kind": "dimension",
                                  "score": 100.0}
    # every key the API sends is described in its OpenAPI document
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]

    def check(value, schema, where):
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
    workbook = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results.xlsx")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"


def test_configuration_is_read_only_once_open(evaluator_client, voted):
    campaign, _ = voted
    url = f"/evaluator/campaigns/{campaign.id}/schemes/six_type"
    html = evaluator_client.get(url).get_data(as_text=True)
    assert "冻结" in html and "保存配置" not in html and "学习制度健全、学习氛围浓厚" in html
    before = campaign.rules["schemes"]["six_type"]["config"]
    evaluator_client.post(url, data=config_data(html, variant="务实型"))
    db.session.refresh(campaign)
    assert campaign.rules["schemes"]["six_type"]["config"] == before
    assert next(r.config for r in campaign.schemes if r.scheme == "six_type")["variant"] == "高效型"
