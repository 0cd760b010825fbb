"""Closing a campaign in a real browser: the button asks first and says what closing does;
with the grace period a respondent who had opened the ballot still submits it, a new code
is turned away, and 立即结束 then closes it."""

from __future__ import annotations

import re

from e2e_helpers import flash, login
from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import Ballot, Campaign
from evalplatform.testing import ADMIN_PASSWORD, build_campaign


def test_closing_with_a_grace_period(server, open_session, admin_user):
    campaign, codes = build_campaign(codes_per_group=3)
    cid = campaign.id
    db.session.commit()

    # a respondent opens the ballot before the close is asked
    phone = open_session("rater", phone=True).page
    phone.goto(f"/s/{codes['服务对象'][0]}")
    assert phone.url.endswith("/survey")

    desk = open_session("admin")
    page = desk.page
    login(page, "admin", ADMIN_PASSWORD)
    page.goto(f"/admin/campaigns/{cid}")
    page.get_by_role("button", name="结束评议…").click()
    assert page.get_by_text("还有 6 个访问码未使用，结束后不能再使用。").is_visible()
    assert page.get_by_text("已收到 0 张评议票").is_visible()
    desk.shot("closing explained")
    page.get_by_role("button", name="30 分钟后结束（推荐）").click()
    assert flash(page).startswith("评议活动将于")
    assert page.get_by_role("button", name="取消结束，继续评议").is_visible()

    # a new code is turned away …
    other = open_session("latecomer", phone=True).page
    other.goto(f"/s/{codes['服务对象'][1]}")
    assert other.get_by_text("即将结束，不再接受新的评议").is_visible()
    # … the ballot opened before goes in
    for unit in campaign.units:
        for item in campaign.items:
            phone.locator(f"#a-{unit.id}-{item.id} label.option").filter(
                has_text=re.compile(r"^\s*满意\s*$")).click()
    phone.get_by_role("button", name="提交评议").click()
    phone.wait_for_url("**/done")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Ballot)
                             .where(Ballot.campaign_id == cid)) == 1

    # closing at once: the page offers only that now
    page.get_by_role("button", name="立即结束").click()
    assert page.get_by_role("button", name="30 分钟后结束（推荐）").count() == 0
    desk.shot("close at once")
    page.get_by_role("button", name="立即结束").click()
    assert flash(page) == "评议活动已结束，不再接受评议。"
    db.session.commit()
    assert db.session.get(Campaign, cid).status == "closed"
