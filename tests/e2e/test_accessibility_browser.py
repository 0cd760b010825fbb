"""Every page of the demo, as staff and as a respondent, in Chinese and in English, checked
with axe-core in Chromium: no violation of WCAG 2.x A/AA or of axe's best practices
(contrast, names of controls, table headers, landmarks …). Folded parts of the
questionnaire builder are opened first, so that their forms are checked too."""

from __future__ import annotations

import csv

import pytest
from e2e_helpers import accessibility_problems
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.models import Unit
from evalplatform.services.demo import load_demo
from evalplatform.testing import ADMIN_PASSWORD


def staff_pages(demo, unit_id: int) -> list[str]:
    closed, current = demo.closed_campaign_id, demo.campaign_id
    return [
        "/admin/", "/admin/units", f"/admin/units/{unit_id}", "/admin/units/import",
        "/admin/campaigns/new", f"/admin/campaigns/{current}",
        f"/admin/campaigns/{current}/edit", f"/admin/campaigns/{current}/units",
        f"/admin/campaigns/{current}/groups", f"/admin/campaigns/{current}/questionnaire",
        f"/admin/campaigns/{current}/codes", f"/admin/campaigns/{current}/bulletin",
        f"/admin/campaigns/{current}/preview", "/admin/scales", "/admin/scales/new",
        "/admin/scales/satisfaction5", "/admin/users", "/admin/audit", "/account/password",
        "/evaluator/", f"/evaluator/campaigns/{current}", f"/evaluator/campaigns/{closed}/results",
        f"/evaluator/campaigns/{current}/results",
        f"/evaluator/campaigns/{closed}/results/satisfaction/units/{unit_id}",
        f"/evaluator/campaigns/{current}/schemes",
        f"/evaluator/campaigns/{current}/schemes/satisfaction",
        f"/evaluator/campaigns/{closed}/reports", "/evaluator/verify",
    ]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_passes_axe(server, open_session, admin_user, instance_dir, language):
    demo = load_demo(instance_dir)
    unit_id = db.session.scalar(select(Unit.id).order_by(Unit.id).limit(1))
    with open(demo.codes_file, encoding="utf-8") as fh:
        code = next(r["code"] for r in csv.DictReader(fh) if r["rater_group"] == "服务对象")
    db.session.commit()
    cookie = [{"name": "lang", "value": language, "url": server.url}]
    problems: list[str] = []

    desk = open_session(f"staff-{language}")
    desk.context.add_cookies(cookie)
    page = desk.page
    page.goto("/login")
    problems += accessibility_problems(page)
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    for url in staff_pages(demo, unit_id):
        page.goto(url)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        problems += accessibility_problems(page)
    # the confirmation pages (as the buttons lead to them)
    page.goto(f"/admin/campaigns/{demo.campaign_id}")
    page.locator("form[action$='/close'] button").click()
    problems += accessibility_problems(page)

    phone = open_session(f"respondent-{language}", phone=True)
    phone.context.add_cookies(cookie)
    page = phone.page
    for url in ("/", f"/s/{code}", "/s/AAAA-BBBB-CCCC"):
        page.goto(url)
        problems += accessibility_problems(page)
    assert problems == []
