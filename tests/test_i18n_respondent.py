"""The respondent's side in English (cookie ``lang=en``): code entry, the ballot, its
errors, the receipt, every refusal and the code-guessing page show no Chinese but data
(unit names, titles, the questionnaire's items and options, as the campaign stores them);
the page scripts' strings come translated in ``<body data-i18n>``."""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import pytest
from flask_babel import format_date
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.i18n import JS_MESSAGES, force_locale
from evalplatform.models import Campaign, CodeBatch
from evalplatform.services import campaigns as campaign_service
from evalplatform.services import codes as code_service
from evalplatform.services.ballots import COMMENT_MAX, questionnaire
from evalplatform.services.codes import REFUSALS
from evalplatform.testing import build_campaign, csrf_token, untranslated_chinese
from evalplatform.util import today

HAN = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
UNITS = [("North Office", "General"), ("Permits Desk", "Services"), ("Site Inspection", "Enforcement")]
GROUPS = (("Public", 0.6), ("Staff", 0.4))
TITLE = "2026 Service Survey"


@pytest.fixture
def en(client):
    client.set_cookie("lang", "en")
    return client


def english_campaign(**kwargs):
    options = {"unit_rows": UNITS, "groups": GROUPS, "title": TITLE, **kwargs}
    return build_campaign(**options)


def data_of(campaign) -> tuple[str, ...]:
    """What the campaign stores and the ballot shows as it is: names, the questionnaire's
    items and options (copied from a built-in template, in Chinese), the intro."""
    q = questionnaire(campaign)
    shown = [q.title, q.intro or "", *(u.name for u in q.units), *(u.category for u in q.units),
             *(group.name for group in campaign.groups)]
    for item in q.items:
        shown += [item.label, *(option.label for option in item.options)]
    return tuple(text for text in shown if text)


def english(message) -> str:
    with force_locale("en"):
        return str(message)


def page_text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def assert_english(response, data=()):
    found = untranslated_chinese(response.get_data(as_text=True), data=data)
    assert found == [], found


def start(client, code: str) -> str:
    response = client.get(f"/s/{code}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/survey")
    page = client.get("/survey")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def full_ballot(campaign, option: int = 0) -> dict:
    q = questionnaire(campaign)
    return {f"a-{u.id}-{i.id}": str(option) for u in q.units for i in q.items}


def test_code_entry_page_and_typed_code_refusals_are_english(app, en):
    english_campaign()
    page = en.get("/")
    assert page.status_code == 200
    assert_english(page)
    text = page_text(page)
    assert "Enter the access code you were given." in text and "Start the survey" in text
    token = csrf_token(page.get_data(as_text=True))
    for code, reason, status in (("12345", "malformed", 404), ("K7QM-2XRP-9TWD", "unknown", 404)):
        refused = en.post("/", data={"csrf_token": token, "code": code})
        assert refused.status_code == status
        assert english(REFUSALS[reason]) in page_text(refused)
        assert_english(refused)
    empty = en.post("/", data={"csrf_token": token, "code": ""})
    assert empty.status_code == 400
    assert_english(empty)


@pytest.mark.parametrize("template", ["satisfaction", "style"])
def test_ballot_is_english_around_the_campaigns_data(app, en, template):
    campaign, codes = english_campaign(template=template)
    q = questionnaire(campaign)
    response = en.get(f"/s/{codes['Public'][0]}")
    assert response.status_code == 303
    page = en.get("/survey")
    assert_english(page, data_of(campaign))
    text = page_text(page)
    assert "Respondent group: Public" in text
    assert f"{len(q.units)} units" in text
    assert "Submit" in text and "Next unanswered" in text
    assert "Comments or suggestions for North Office (optional)" in text
    # the built-in scale's options in English (the ballot stores their index)
    english_options = {"满意": "Satisfied", "比较满意": "Fairly satisfied",
                       "基本满意": "Basically satisfied", "不太满意": "Not very satisfied",
                       "不满意": "Dissatisfied", "不了解": "Don't know"}
    for option in q.items[0].options:
        assert english_options[option.label] in text


def test_missing_answers_and_bad_input_are_explained_in_english(app, en):
    campaign, codes = english_campaign()
    q = questionnaire(campaign)
    (item,) = q.items
    page = start(en, codes["Public"][0])
    data = full_ballot(campaign)
    last = q.units[-1]
    del data[f"a-{last.id}-{item.id}"]
    data[f"a-{q.units[0].id}-{item.id}"] = "99"
    data["c-general"] = "x" * (COMMENT_MAX + 1)
    response = en.post("/survey", data={"csrf_token": csrf_token(page), **data})
    assert response.status_code == 422
    assert_english(response, data_of(campaign))
    text = page_text(response)
    assert "3 answers still need your attention. Your answers have not been submitted yet." in text
    assert f"Please choose an answer for “{last.name}”: {item.label}." in text
    assert f"The answer for “{q.units[0].name}”: {item.label} is not valid." in text
    assert f"Comments can be up to {COMMENT_MAX} characters long (this one has {COMMENT_MAX + 1})." \
        in text


def test_one_missing_answer_is_singular(app, en):
    campaign, codes = english_campaign()
    q = questionnaire(campaign)
    page = start(en, codes["Public"][0])
    data = full_ballot(campaign)
    del data[f"a-{q.units[0].id}-{q.items[0].id}"]
    response = en.post("/survey", data={"csrf_token": csrf_token(page), **data})
    assert "1 answer still needs your attention." in page_text(response)


def test_many_missing_answers_are_summed_up_in_english(app, en):
    rows = [(f"Unit {n:02d}", "General" if n % 2 else "Services") for n in range(12)]
    campaign, codes = english_campaign(unit_rows=rows)
    page = start(en, codes["Public"][0])
    text = page_text(en.get("/survey"))
    assert "Go to a category" in text and "6 units" in text and "(6 units)" in text
    response = en.post("/survey", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert_english(response, data_of(campaign))
    assert "…and 7 more, marked in red below" in page_text(response)


def test_receipt_and_a_reused_code_are_english(app, en):
    campaign, codes = english_campaign()
    code = codes["Public"][0]
    page = start(en, code)
    response = en.post("/survey", data={"csrf_token": csrf_token(page), **full_ballot(campaign)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/done")
    receipt = en.get("/done")
    assert_english(receipt, (TITLE,))
    text = page_text(receipt)
    assert "Your answers have been submitted. Thank you for taking part." in text
    with force_locale("en"):
        assert f"<dd>{format_date(today(), 'long')}</dd>" in text
    assert f"<dd>{len(UNITS)}</dd>" in text
    again = en.get(f"/s/{code}")
    assert again.status_code == 410
    assert_english(again)
    assert "This access code has been used" in page_text(again)
    assert english(REFUSALS["used"]) in page_text(again)


def test_the_receipt_stays_chinese_in_chinese(app, client):
    campaign, codes = build_campaign()
    page = start(client, codes["服务对象"][0])
    client.post("/survey", data={"csrf_token": csrf_token(page), **full_ballot(campaign)})
    text = page_text(client.get("/done"))
    day = today()
    assert f"<dd>{day.year}年{day.month}月{day.day}日</dd>" in text
    assert f"<dd>{len(campaign.units)} 个</dd>" in text


def test_every_refusal_is_english(app, en):
    campaign, codes = english_campaign(codes_per_group=6)
    _, draft_codes = english_campaign(status="draft", title="Draft survey")
    _, closed_codes = english_campaign(status="closed", title="Closed survey")
    public = codes["Public"]
    batch = db.session.scalar(select(CodeBatch).where(CodeBatch.campaign_id == campaign.id,
                                                      CodeBatch.rater_group_id
                                                      == campaign.groups[1].id))
    code_service.revoke_batch(batch, None)
    db.session.commit()
    # used
    page = start(en, public[0])
    assert en.post("/survey", data={"csrf_token": csrf_token(page),
                                    **full_ballot(campaign)}).status_code == 303
    seen = {
        "malformed": en.get("/s/not-a-code"),
        "unknown": en.get("/s/K7QM-2XRP-9TWD"),
        "used": en.get(f"/s/{public[0]}"),
        "void": en.get(f"/s/{codes['Staff'][0]}"),
        "draft": en.get(f"/s/{draft_codes['Public'][0]}"),
        "closed": en.get(f"/s/{closed_codes['Public'][0]}"),
    }
    # closing: no new ballot begins during the grace period
    _, closing_codes = english_campaign(title="Closing survey")
    closing = db.session.scalar(select(Campaign).where(Campaign.title == "Closing survey"))
    campaign_service.schedule_close(closing, 30, None)
    db.session.commit()
    seen["closing"] = en.get(f"/s/{closing_codes['Public'][0]}")
    # stale: the rules changed between showing the form and storing the ballot
    page = start(en, public[1])
    campaign.rules_sha256 = "0" * 64
    db.session.commit()
    seen["stale"] = en.post("/survey", data={"csrf_token": csrf_token(page),
                                             **full_ballot(campaign)})
    assert set(seen) == set(REFUSALS)
    headings = {"used": "This access code has been used", "draft": "This survey is not open",
                "closed": "This survey is not open", "closing": "This survey is not open"}
    for reason, response in seen.items():
        assert response.status_code in (403, 404, 409, 410), reason
        assert_english(response)
        text = page_text(response)
        message = english(REFUSALS[reason])
        assert not HAN.search(message) and message != str(REFUSALS[reason])
        assert message in text, reason
        assert headings.get(reason, "This access code cannot be used") in text, reason
        assert "Enter a code again" in text


def test_refusals_stay_chinese_without_a_choice(app, client):
    response = client.get("/s/K7QM-2XRP-9TWD")
    assert "未找到该访问码，请核对后重新输入。" in page_text(response)
    assert "无法使用此访问码" in page_text(response)


def test_code_guessing_page_is_english(app, en, monkeypatch):
    limiter = app.extensions["evalplatform.limiter"]
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "RATELIMIT_CODE", "2 per minute")
    limiter.reset()
    try:
        headers = {"X-Forwarded-For": "203.0.113.77"}
        for code in ("K7QM-2XRP-9TWD", "AAAA-BBBB-CCCC"):
            assert en.get(f"/s/{code}", headers=headers).status_code == 404
        refused = en.get("/s/ZZZZ-9999-0000", headers=headers)
        assert refused.status_code == 429
        assert_english(refused)
    finally:
        limiter.reset()


def test_scripts_get_english_for_every_string(app, en):
    campaign, codes = english_campaign()
    start(en, codes["Public"][0])
    page = en.get("/survey").get_data(as_text=True)
    match = re.search(r"<body[^>]*\sdata-i18n='([^']*)'", page)
    assert match, "no data-i18n on the English page"
    table = json.loads(html_lib.unescape(match[1]))
    assert set(table) == set(JS_MESSAGES)
    for chinese, translation in table.items():
        assert translation and not HAN.search(translation.replace("✓", "")), (chinese, translation)
        # the {name} placeholders the scripts fill in are kept
        assert sorted(re.findall(r"\{\w+\}", translation)) == \
            sorted(re.findall(r"\{\w+\}", chinese)), chinese


def test_chinese_pages_carry_no_translations(app, client):
    page = client.get("/").get_data(as_text=True)
    assert "data-i18n" not in page


def test_preview_is_english_for_staff(app, admin_client):
    campaign, _ = english_campaign(status="draft")
    admin_client.set_cookie("lang", "en")
    page = admin_client.get(f"/admin/campaigns/{campaign.id}/preview")
    assert page.status_code == 200
    text = page_text(page)
    assert "Preview: this is the questionnaire respondents will see." in text
    assert "Back to editing" in text


def test_scripts_use_only_listed_strings_and_show_no_other_chinese():
    root = Path(__file__).resolve().parent.parent / "static"
    used = set()
    for script in root.glob("*.js"):
        code = re.sub(r"//[^\n]*", "", script.read_text(encoding="utf-8"))  # comments too
        used |= set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', code))
        code = re.sub(r'\bt\("(?:[^"\\]|\\.)*"', "", code)
        assert not HAN.search(code), f"{script.name} shows Chinese without t()"
    assert used == set(JS_MESSAGES)


def test_code_and_ballot_service_messages_follow_the_language(app):
    from evalplatform.services import ServiceError
    from evalplatform.services.ballots import BallotInput, submit_ballot

    campaign, codes = english_campaign(status="closed")
    group = campaign.groups[0]
    batch = db.session.scalar(select(CodeBatch).where(CodeBatch.rater_group_id == group.id))
    incomplete = BallotInput(errors={"a-1-1": "missing"})
    calls = {
        "count": lambda: code_service.issue_codes(campaign, group, 0, None),
        "closed": lambda: code_service.issue_codes(campaign, group, 1, None),
        "ballot": lambda: submit_ballot(b"0" * 32, questionnaire(campaign), incomplete),
    }
    expected = {"count": "Each batch can have 1 to",
                "closed": "This survey has ended. No more access codes can be issued.",
                "ballot": "The questionnaire is not complete."}
    for name, call in calls.items():
        for language, check in (("en", expected[name]), ("zh", None)):
            with app.test_request_context(), force_locale(language), \
                    pytest.raises(ServiceError) as error:
                call()
            message = error.value.message
            if check:
                assert check in message and not HAN.search(message), name
            else:
                assert HAN.search(message), name
    code_service.revoke_batch(batch, None)
    with app.test_request_context(), force_locale("en"), \
            pytest.raises(ServiceError, match="already been voided"):
        code_service.revoke_batch(batch, None)
    db.session.rollback()
