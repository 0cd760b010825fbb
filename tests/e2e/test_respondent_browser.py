"""The respondent in a real browser, on a phone (390 × 844): the QR link, the ballot with
its progress, answers kept through a reload and a dropped connection, a missing answer
marked, the receipt, a used code refused; the same without JavaScript; a 100-unit ballot."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import Ballot, Comment
from evalplatform.services.ballots import questionnaire
from evalplatform.testing import build_campaign


def ballots() -> int:
    db.session.commit()  # a fresh read: the server wrote
    return db.session.scalar(select(func.count()).select_from(Ballot))


def choose(page, unit, item, label: str) -> None:
    """Tap an answer: the visible label of one question's option."""
    page.locator(f"#a-{unit.id}-{item.id} label.option").filter(
        has_text=re.compile(f"^\\s*{label}\\s*$")).click()


def progress(page) -> str:
    return page.locator("#ballot-progress-text").inner_text()


def test_respondent_on_a_phone(server, open_session):
    campaign, codes = build_campaign(codes_per_group=5)
    q = questionnaire(campaign)
    (item,) = q.items
    office, policy, station, window = q.units
    code = codes["服务对象"][0]
    db.session.commit()

    phone = open_session("phone", phone=True)
    page = phone.page
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", on_dialog)

    # the QR link: the code leaves the address bar at once
    page.goto(f"/s/{code}")
    assert page.url.endswith("/survey") and code not in page.url
    assert page.locator("h1").inner_text() == campaign.title
    assert progress(page) == "已答 0 / 4"
    # readable at 390 px: nothing wider than the screen, answer buttons at least 44 px high
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator(f"#a-{office.id}-{item.id} label.option").first.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 84
    # 不了解 is set apart from the grades, in its own group below them
    abstain = page.locator(f"#a-{office.id}-{item.id} .options-abstain label.option")
    assert abstain.inner_text().strip() == "不了解"
    assert abstain.bounding_box()["y"] > box["y"] + box["height"]
    phone.shot("ballot opened")

    choose(page, office, item, "满意")
    choose(page, policy, item, "比较满意")
    assert progress(page) == "已答 2 / 4"
    assert "✓ 已完成" in page.locator("#cat-1 > summary").inner_text()
    phone.shot("two answered")

    # a reload (a dropped connection, a mistaken tap) asks first, then keeps the answers
    page.reload()
    assert dialogs == ["beforeunload"]
    assert page.locator("#ballot-notice").inner_text() == "已恢复本页上次未提交的 2 项评价，请检查后继续。"
    assert page.locator(f"#a-{office.id}-{item.id} input[value='0']").is_checked()
    assert page.locator(f"#a-{policy.id}-{item.id} input[value='1']").is_checked()
    assert progress(page) == "已答 2 / 4"
    stored = page.evaluate("JSON.stringify(sessionStorage)")
    assert code not in stored and code.replace("-", "") not in stored
    assert f"evalplatform:ballot-{campaign.id}" in stored
    phone.shot("answers restored after reload")

    # jump to the next unanswered question, even inside a collapsed category
    page.locator("#cat-2 > summary").click()
    assert not page.locator("#cat-2").evaluate("d => d.open")
    phone.shot("category collapsed")
    page.get_by_role("button", name="下一个未答").click()
    assert page.locator("#cat-2").evaluate("d => d.open")
    assert page.evaluate("document.activeElement.name") == f"a-{station.id}-{item.id}"
    page.keyboard.press("Space")  # the keyboard answers the focused question
    assert progress(page) == "已答 3 / 4"
    phone.shot("jumped to next unanswered")

    # a comment on a unit, and the general one
    page.get_by_text(f"对{station.name}的意见建议（选填）").click()
    page.locator(f"#c-{station.id}").fill("现场检查规范，执法公正。")
    page.locator("#c-general").fill("希望进一步精简审批材料。")

    # submitting with a required answer missing: the page says so at once (no round trip),
    # takes the respondent there and marks it; nothing is stored
    page.get_by_role("button", name="提交评议").click()
    assert "还有 1 项必答未作答，已为您跳到第一项。" in page.locator("#ballot-notice").inner_text()
    missing = page.locator(f"#a-{window.id}-{item.id}")
    assert missing.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.name") == f"a-{window.id}-{item.id}"
    assert page.locator(f"#c-{station.id}").input_value() == "现场检查规范，执法公正。"
    assert ballots() == 0
    phone.shot("missing answer marked")
    choose(page, window, item, "不了解")
    assert progress(page) == "已答 4 / 4"
    assert page.get_by_role("button", name="已全部作答").is_disabled()
    assert missing.get_attribute("aria-invalid") is None  # answered: no longer marked

    # the network drops: the page keeps everything and says so
    phone.context.set_offline(True)
    page.get_by_role("button", name="提交评议").click()
    notice = page.locator("#ballot-notice")
    assert "网络连接已中断" in notice.inner_text()
    assert "/survey" in page.url and ballots() == 0
    phone.shot("offline, answers kept")
    phone.context.set_offline(False)

    page.get_by_role("button", name="提交评议").click()
    page.wait_for_url("**/done")
    receipt = page.locator(".receipt").inner_text()
    assert "评议已提交，感谢您的参与" in receipt and "4 个" in receipt
    assert page.evaluate("sessionStorage.length") == 0  # nothing kept once submitted
    phone.shot("receipt")
    assert ballots() == 1
    assert {c.text for c in db.session.scalars(select(Comment))} == {
        "现场检查规范，执法公正。", "希望进一步精简审批材料。"}

    # the same code again: refused, politely
    response = page.goto(f"/s/{code}")
    assert response.status == 410
    assert page.locator("h1").inner_text() == "此访问码已使用"
    assert "每个访问码只能使用一次" in page.locator("main").inner_text()
    phone.shot("code reused refused")
    assert ballots() == 1
    assert dialogs == ["beforeunload"]  # leaving after submitting asks nothing


def test_respondent_without_javascript(server, open_session):
    campaign, codes = build_campaign(codes_per_group=5)
    q = questionnaire(campaign)
    (item,) = q.items
    db.session.commit()
    phone = open_session("nojs", phone=True, javascript=False)
    page = phone.page
    page.goto("/")
    page.get_by_label("访问码").fill(codes["机关干部"][1].lower().replace("-", " "))
    page.get_by_role("button", name="开始评议").click()
    assert page.url.endswith("/survey")
    assert page.locator("#ballot-progress").is_hidden()  # shown by the script only
    assert all(d.evaluate("d => d.open") for d in page.locator("details.category").all())
    for unit in q.units[:-1]:
        choose(page, unit, item, "基本满意")
    phone.shot("ballot without javascript")
    page.get_by_role("button", name="提交评议").click()
    last = q.units[-1]
    assert "还有 1 处需要填写或修改" in page.locator("#errors").inner_text()
    assert page.locator(f"#a-{last.id}-{item.id}").get_attribute("aria-invalid") == "true"
    assert page.locator("input[type=radio]:checked").count() == 3
    phone.shot("missing answer marked without javascript")
    choose(page, last, item, "不满意")
    page.get_by_role("button", name="提交评议").click()
    assert page.url.endswith("/done")
    assert "评议已提交" in page.locator("h1").inner_text()
    phone.shot("receipt without javascript")
    assert ballots() == 1


def test_a_hundred_unit_ballot_stays_usable(server, open_session):
    categories = ["综合管理类", "执法监管类", "服务窗口类", "事业单位类", "派出机构类"]
    rows = [(f"{categories[n % 5][:2]}单位{n + 1:03d}", categories[n % 5]) for n in range(100)]
    campaign, codes = build_campaign(unit_rows=rows, codes_per_group=1,
                                     title="2026年度全市机关作风万人评议")
    db.session.commit()
    phone = open_session("hundred", phone=True)
    page = phone.page
    page.goto(f"/s/{codes['服务对象'][0]}")
    assert progress(page) == "已答 0 / 100"
    assert page.locator("details.category").count() == 5
    assert page.locator(".toc li").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("hundred units top")

    # the first two categories answered (as if tapped through), then collapsed
    page.evaluate("""() => {
      for (const id of ["cat-1", "cat-2"]) {
        document.querySelectorAll(`#${id} fieldset.item`).forEach(f => {
          f.querySelector("input").checked = true;
        });
      }
      document.getElementById("ballot").dispatchEvent(new Event("change", {bubbles: true}));
    }""")
    assert progress(page) == "已答 40 / 100"
    assert page.locator('[data-category-count="cat-1"]').inner_text() == "✓ 已完成"
    assert page.locator('[data-category-count="cat-3"]').inner_text() == "已答 0 / 20"
    for cat in ("#cat-1", "#cat-2", "#cat-3"):
        page.locator(f"{cat} > summary").click()
    assert page.locator("#cat-1").evaluate("d => !d.open")
    phone.shot("categories collapsed")

    # from the top, "next unanswered" lands on the first question of the third category
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("button", name="下一个未答").click()
    first = page.locator("#cat-3 fieldset.item").first
    assert page.locator("#cat-3").evaluate("d => d.open")
    assert page.evaluate("document.activeElement.name") == first.get_attribute("id")
    first.locator("label.option").first.click()
    page.get_by_role("button", name="下一个未答").click()
    second = page.locator("#cat-3 fieldset.item").nth(1)
    assert page.evaluate("document.activeElement.name") == second.get_attribute("id")
    assert progress(page) == "已答 41 / 100"
    phone.shot("jumped within the long ballot")

    # the table of contents opens a collapsed category
    page.locator(".toc a", has_text="综合管理类").click()
    assert page.locator("#cat-1").evaluate("d => d.open")


def test_respondent_in_english_on_a_phone(server, open_session):
    """The same path with the English interface (the ``lang`` cookie): the script's
    progress and notices, the errors, the receipt and the refusal are English, and so are
    the built-in scale's options (the ballot stores the option, never its label)."""
    campaign, codes = build_campaign(
        codes_per_group=2, title="2026 Service Survey", groups=(("Public", 0.6), ("Staff", 0.4)),
        unit_rows=[("North Office", "General"), ("Permits Desk", "General"),
                   ("Site Inspection", "Enforcement")])
    q = questionnaire(campaign)
    (item,) = q.items
    north, permits, site = q.units
    code = codes["Public"][0]
    db.session.commit()

    phone = open_session("english", phone=True)
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": server.url}])
    page = phone.page
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"/s/{code}")
    assert page.url.endswith("/survey")
    assert page.locator("html").get_attribute("lang") == "en"
    assert progress(page) == "0 of 3 answered"
    assert page.get_by_role("button", name="Next unanswered").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("english ballot opened")

    choose(page, north, item, "Satisfied")
    choose(page, permits, item, "Don't know")
    assert progress(page) == "2 of 3 answered"
    assert page.locator("#cat-1 [data-category-state]").inner_text() == "✓ Done"
    assert page.locator("#cat-2 [data-category-state]").inner_text() == "0 of 1 answered"
    badge = page.evaluate(f"getComputedStyle(document.querySelector('#u-{north.id} h3'), "
                          "'::after').content")
    assert badge == '"✓ Answered"'

    page.reload()
    assert page.locator("#ballot-notice").inner_text() == \
        "We restored the answers you had not submitted yet (2). Please check them and carry on."
    assert progress(page) == "2 of 3 answered"
    phone.shot("english answers restored")

    page.get_by_role("button", name="Submit").click()
    assert page.locator("#ballot-notice").inner_text() == \
        "Required answers missing: 1. Here is the first."
    assert page.locator(f"#a-{site.id}-{item.id}").get_attribute("aria-invalid") == "true"
    assert progress(page) == "2 of 3 answered"
    phone.shot("english missing answer")
    choose(page, site, item, "Basically satisfied")
    assert page.get_by_role("button", name="All answered").is_disabled()

    phone.context.set_offline(True)
    page.get_by_role("button", name="Submit").click()
    assert page.locator("#ballot-notice").inner_text().startswith("You are offline.")
    phone.context.set_offline(False)

    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/done")
    receipt = page.locator(".receipt").inner_text()
    assert "Your answers have been submitted. Thank you for taking part." in receipt
    assert "2026 Service Survey" in receipt
    assert page.evaluate("sessionStorage.length") == 0
    phone.shot("english receipt")
    assert ballots() == 1

    response = page.goto(f"/s/{code}")
    assert response.status == 410
    assert page.locator("h1").inner_text() == "This access code has been used"
    assert "Each code can only be used once." in page.locator("main").inner_text()
    phone.shot("english code reused refused")
