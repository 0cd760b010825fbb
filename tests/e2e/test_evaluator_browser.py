"""The evaluator in a real browser: enable and configure a scoring scheme, record a
checklist review, and read the results with their charts (ranking bars, the units × items
heat map, a radar per unit, the scheme's own dimension charts)."""

from __future__ import annotations

from e2e_helpers import flash, login

from evalplatform.extensions import db
from evalplatform.models import Campaign
from evalplatform.services import campaigns
from evalplatform.testing import EVALUATOR_PASSWORD, build_campaign, cast_ballot, close

UNITS = [("办公室", "综合管理类"), ("政策法规科", "综合管理类"), ("人事教育科", "综合管理类"),
         ("建设工程质量监督站", "执法监管类"), ("城建监察大队", "执法监管类")]
#: 0 is the best option of every scale; each unit has a profile over the items.
PROFILE = {"办公室": 0, "政策法规科": 1, "人事教育科": 2, "建设工程质量监督站": 1, "城建监察大队": 2}


def choose(unit: str, item) -> int:
    base = PROFILE[unit]
    return min(base + (1 if item.label in ("办事效率", "依法行政") and base < 2 else 0), 3)


def test_evaluator_configures_reviews_and_reads_results(server, open_session, evaluator_user):
    campaign, codes = build_campaign(status="draft", template="style", unit_rows=UNITS,
                                     codes_per_group=6, title="2026年度机关作风分项评议")
    campaign_id, title = campaign.id, campaign.title
    db.session.commit()

    desk = open_session("evaluator")
    page = desk.page
    login(page, "pingyi", EVALUATOR_PASSWORD)
    assert page.url.endswith("/evaluator/")
    page.get_by_role("link", name=title).click()
    page.get_by_role("link", name="评分方案").click()

    # enable 六型机关 and 对照检查, configure 六型机关
    for title in ("六型机关", "对照检查"):
        page.get_by_role("row").filter(has_text=title).get_by_role("button", name="启用").click()
        assert flash(page) == "评分方案已启用，其评价项目已加入评议表。"
    desk.shot("schemes enabled", full_page=True)
    page.get_by_role("row").filter(has_text="六型机关").get_by_role("link", name="配置").click()
    page.get_by_label("第三个维度").select_option(value="务实型")
    page.get_by_label("学习型权重").fill("2")
    desk.shot("six-type configuration")
    page.get_by_role("button", name="保存配置").click()
    assert flash(page) == "“六型机关”的配置已保存。"
    db.session.commit()  # end the test's read: see what the server stored
    config = next(r.config for r in db.session.get(Campaign, campaign_id).schemes
                  if r.scheme == "six_type")
    assert config["variant"] == "务实型" and config["weights"]["学习型"] == 2

    # the campaign opens and ballots come in (the admin's part)
    campaign = db.session.get(Campaign, campaign_id)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    for code in codes["服务对象"]:
        cast_ballot(campaign, code, choose)
    for code in codes["机关干部"][:2]:  # under the minimum group size: suppressed
        cast_ballot(campaign, code, lambda unit, item: 3)

    # a checklist review of one unit: one item met, one not (it goes on the ledger)
    page.goto(f"/evaluator/campaigns/{campaign_id}")
    page.get_by_role("link", name="对照检查").first.click()
    page.get_by_role("link", name="办公室").first.click()
    items = page.locator(".cl-item")
    items.nth(0).locator("label.cl-opt").filter(has_text="基本符合").click()
    items.nth(0).locator(".cl-deduction input").fill("0.5")
    failed = items.nth(1)
    failed.locator("label.cl-opt").filter(has_text="不符合").click()
    failed.locator(".cl-deduction input").fill("2")
    failed.locator("textarea").fill("学习记录不完整，个别季度未开展集中学习。")
    desk.shot("checklist review filled")
    page.get_by_role("button", name="保存 办公室 的检查结果").click()
    saved = flash(page)
    assert saved.startswith("已保存“办公室”的 2 项检查结果") and "1 个不符合项已列入整改台账" in saved
    assert "已检查 2/" in page.locator(".cl-unit-facts").inner_text()
    desk.shot("checklist review saved")

    # while the campaign is open its results are sealed; closing it publishes them
    page.goto(f"/evaluator/campaigns/{campaign_id}/results")
    assert "评议进行中，结果封存至评议结束" in page.locator(".sealed-notice").inner_text()
    assert page.locator("#scheme-satisfaction").count() == 0
    desk.shot("results sealed while open")
    close(db.session.get(Campaign, campaign_id))

    # the results: every scheme ranked, with its charts, all drawn by the server
    page.goto(f"/evaluator/campaigns/{campaign_id}/results")
    satisfaction = page.locator("#scheme-satisfaction")
    general = satisfaction.locator(".category-result").first
    ranking = general.locator("table.ranking tbody tr")
    assert ranking.first.locator("th").inner_text() == "办公室"
    assert "末位" in ranking.last.inner_text()
    assert general.locator("figure.chart svg").count() == 2  # ranking bars and heat map
    heat = general.locator("figure.chart-wide svg")
    assert heat.get_attribute("aria-labelledby")
    for item in ("服务态度", "办事效率", "依法行政", "廉洁自律"):
        assert heat.locator("text", has_text=item).count() == 1
    assert heat.locator("title").first.text_content().endswith("各评价项目得分")
    radars = general.locator("details.radars")
    assert radars.locator("summary").inner_text() == "各单位雷达图（3 张）"
    assert not radars.locator("svg").first.is_visible()  # collapsed until asked for
    radars.locator("summary").click()
    assert radars.locator("svg").count() == 3 and radars.locator("svg").first.is_visible()
    assert "雷达图，4 个维度" in radars.locator("svg desc").first.text_content()
    six = page.locator("#scheme-six_type")
    assert six.get_by_role("heading", name="各维度得分热力图").count() == 1
    assert six.locator("svg text", has_text="务实型").count() >= 1
    assert page.locator("#scheme-checklist table.ranking").count() >= 1
    # the suppressed group never shows a number
    assert "不足5人，不显示" in ranking.first.inner_text()
    desk.shot("results", full_page=True)

    page.get_by_role("link", name="办公室").first.click()
    assert page.locator("h1").inner_text().startswith("办公室")
    radar = page.locator("section", has=page.get_by_role("heading", name="按评价项目"))
    assert radar.locator("svg").count() == 1
    assert "综合管理类平均" in radar.locator("svg").text_content()
    desk.shot("unit results", full_page=True)
