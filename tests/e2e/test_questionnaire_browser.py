"""The questionnaire builder in a real browser, as a new admin would use it: a 查摆问题
section for the public with a multiple-choice question, 服务对象 routed to the service
windows only, 差别权重, the preview per rater group with its length; then a 服务对象
respondent on a phone sees exactly that and submits, the page holding the choice limit."""

from __future__ import annotations

import re

from e2e_helpers import flash, login
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.models import Ballot
from evalplatform.testing import ADMIN_PASSWORD, build_campaign


def test_an_admin_builds_a_routed_questionnaire_and_a_rater_answers_it(server, open_session,
                                                                        admin_user):
    campaign, codes = build_campaign(status="draft", template="style")
    cid = campaign.id
    db.session.commit()
    desk = open_session("admin")
    page = desk.page
    login(page, "admin", ADMIN_PASSWORD)
    page.goto(f"/admin/campaigns/{cid}/questionnaire")
    assert page.get_by_role("link", name="服务对象：16 题，约 2 分钟").is_visible()

    # a section for the public only
    add = page.locator("#add-section")
    add.get_by_label("标题（可不填）").fill("查摆问题")
    add.get_by_label("服务对象").check()
    add.get_by_role("button", name="添加").click()
    assert flash(page) == "已添加一部分。"
    section = page.locator(".q-section", has_text="查摆问题")
    assert section.get_by_text("面向：服务对象").is_visible()

    # a multiple-choice question in it, at most two choices
    section.get_by_text("在本部分添加题目").click()
    section.get_by_label("题型").select_option(label="多选题")
    section.get_by_label("题目").fill("机关作风存在的主要问题")
    section.get_by_label("选项（每行一个，仅选择题）").fill("门难进\n脸难看\n事难办")
    section.get_by_label("最多选择或最大值").fill("2")
    desk.shot("a multiple-choice question", full_page=True)
    section.get_by_role("button", name="添加题目").click()
    assert flash(page) == "已添加多选题。"
    assert page.get_by_text("最少选 1 项，最多选 2 项。").is_visible()

    # 服务对象 rate the service windows only
    matrix = page.locator(".question-block").first
    matrix.get_by_text("设置测评关系").click()
    row = matrix.get_by_role("row").filter(has_text="服务对象")
    row.get_by_label("全部").uncheck()
    row.get_by_label("服务窗口类").check()
    matrix.get_by_role("button", name="保存测评关系").click()
    assert flash(page) == "测评关系已保存。"
    assert page.locator(".routing-summary li", has_text="服务对象").inner_text() == \
        "服务对象：服务窗口类序列"

    # 差别权重: 服务对象 weigh 0.9 on the windows
    page.get_by_label("服务窗口类 · 服务对象 的权重").fill("0.9")
    page.get_by_role("button", name="保存差别权重").click()
    assert flash(page) == "差别权重已保存。"
    assert page.get_by_label("服务窗口类 · 服务对象 的权重").input_value() == "0.9"

    # the length per group follows: 4 items × 1 unit + 1 question for 服务对象
    page.get_by_role("link", name="服务对象：5 题，约 1 分钟").click()
    assert page.get_by_text("预览：这是评议人看到的评议表，不能提交。").is_visible()
    assert page.get_by_text("行政审批服务窗口").first.is_visible()
    assert page.get_by_text("办公室").count() == 0
    desk.shot("preview for 服务对象", full_page=True)
    page.get_by_role("link", name="机关干部：16 题，约 2 分钟").click()
    assert page.get_by_text("机关作风存在的主要问题").count() == 0

    # open it; a 服务对象 respondent on a phone
    page.goto(f"/admin/campaigns/{cid}")
    page.get_by_role("button", name="开始评议…").click()
    page.get_by_role("button", name="确认开始评议").click()
    phone = open_session("rater", phone=True).page
    phone.goto(f"/s/{codes['服务对象'][0]}")
    assert phone.get_by_text("共 5 题").is_visible()
    window = next(u for u in campaign.units if u.name == "行政审批服务窗口")
    for item in campaign.items:
        phone.locator(f"#a-{window.id}-{item.id} label.option").filter(
            has_text=re.compile(r"^\s*满意\s*$")).click()
    problems = phone.locator("fieldset", has_text="机关作风存在的主要问题")
    problems.locator("label", has_text="门难进").click()
    problems.locator("label", has_text="事难办").click()
    assert problems.get_by_label("脸难看").is_disabled()  # the limit is kept in the page
    phone.get_by_role("button", name="提交评议").click()
    phone.wait_for_url("**/done")
    db.session.commit()  # end the test's snapshot: read what the server stored
    (cells,) = db.session.scalars(select(Ballot.cells).where(Ballot.campaign_id == cid)).all()
    # one unit × four items (满意 = option 0), then the three options ticked or not
    assert list(bytes(cells)) == [0, 0, 0, 0, 1, 0, 1]
