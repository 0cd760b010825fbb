"""The two pages the README shows, on the demo campaign: the respondent's ballot on a
phone and the results page. They are checked like any page, and saved as artifacts;
``UPDATE_DOC_IMAGES=1`` also writes them to docs/images/ (see docs/development.md)."""

from __future__ import annotations

import csv
import os
import shutil

from e2e_helpers import ROOT, login

from evalplatform.services.demo import load_demo
from evalplatform.testing import ADMIN_PASSWORD

DOC_IMAGES = ROOT / "docs" / "images"


def publish(path, name: str) -> None:
    if os.environ.get("UPDATE_DOC_IMAGES") == "1":
        shutil.copyfile(path, DOC_IMAGES / name)


def test_readme_screenshots(server, open_session, admin_user, instance_dir):
    demo = load_demo(instance_dir)
    with open(demo.codes_file, encoding="utf-8") as fh:
        # 基层单位 are asked about every unit (服务对象 only the service windows)
        code = next(r["code"] for r in csv.DictReader(fh) if r["rater_group"] == "基层单位")

    phone = open_session("respondent", phone=True)
    page = phone.page
    page.goto(f"/s/{code}")
    cards = page.locator(".unit-card")
    assert cards.count() == 12 and page.locator("details.category").count() == 3
    cards.nth(0).locator("label.option").nth(0).click()
    cards.nth(1).locator("label.option.abstain").click()
    cards.nth(2).locator("label.option").nth(1).click()
    # the open question at the end is optional: the bar counts the required answers
    assert page.locator("#ballot-progress-text").inner_text() == "已答 3 / 12（必答项）"
    page.locator("#cat-1 > summary").evaluate("e => e.scrollIntoView()")
    page.evaluate("window.scrollBy(0, -8)")
    publish(phone.shot("ballot"), "respondent.png")

    desk = open_session("results", viewport={"width": 1280, "height": 1880})
    login(desk.page, "admin", ADMIN_PASSWORD)
    page = desk.page
    page.goto(f"/evaluator/campaigns/{demo.closed_campaign_id}/results")
    first = page.locator("table.ranking").first
    assert first.locator("tbody tr").count() == 4
    assert first.locator("tr.is-bottom").count() == 1  # the bottom unit, flagged
    assert first.get_by_text("不足5人，不显示").count() == 4  # 机关干部: 4 ballots
    assert page.locator("figure.chart svg").count() == 3  # a ranking chart per category
    publish(desk.shot("results"), "results.png")
