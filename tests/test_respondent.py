"""The respondent's path: code entry, ballot, receipt, and every polite refusal."""

from __future__ import annotations

from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import AccessCode, Ballot, Comment
from evalplatform.services.ballots import questionnaire
from evalplatform.testing import answers_stored, build_campaign, csrf_token, stored_answers


def ballot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot))


def full_ballot(campaign, option: int = 0, **extra) -> dict:
    q = questionnaire(campaign)
    data = {f"a-{u.id}-{i.id}": str(option) for u in q.units for i in q.items}
    data.update(extra)
    return data


def start(client, code: str):
    """Open the QR link and return the survey page."""
    response = client.get(f"/s/{code}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/survey")
    page = client.get("/survey")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def submit(client, page: str, data: dict):
    return client.post("/survey", data={"csrf_token": csrf_token(page), **data})


def test_qr_link_moves_code_out_of_address_and_shows_chinese_ballot(client, campaign):
    c, codes = campaign
    code = codes["服务对象"][0]
    html = start(client, code)
    assert code not in html  # the code is not echoed into the page either
    for name in ("办公室", "建设工程质量监督站", "行政审批服务窗口", "综合管理类", "不了解", "满意"):
        assert name in html
    assert "评议主体：服务对象" in html


def test_submit_stores_one_ballot_and_shows_receipt(client, campaign):
    c, codes = campaign
    page = start(client, codes["服务对象"][0])
    data = full_ballot(c, 1)
    unit = c.units[0]
    data[f"c-{unit.id}"] = "窗口服务热情，办事效率高。"
    data["c-general"] = "希望进一步精简审批材料。"
    response = submit(client, page, data)
    assert response.status_code == 303 and response.headers["Location"].endswith("/done")
    receipt = client.get("/done").get_data(as_text=True)
    assert "评议已提交" in receipt and "4 个" in receipt
    assert ballot_count() == 1
    ballot = db.session.scalar(select(Ballot))
    assert ballot.rater_group_id == c.groups[0].id
    assert len(stored_answers(ballot.id)) == 4
    assert {row.text for row in db.session.scalars(select(Comment))} == {
        "窗口服务热情，办事效率高。", "希望进一步精简审批材料。"}
    # the survey is gone for this browser: it lands on the receipt
    assert client.get("/survey").headers["Location"].endswith("/done")


def test_code_cannot_be_used_twice(client, app, campaign):
    c, codes = campaign
    code = codes["服务对象"][0]
    page = start(client, code)
    assert submit(client, page, full_ballot(c)).status_code == 303
    again = client.get(f"/s/{code}")
    assert again.status_code == 410
    assert "已经提交过评议" in again.get_data(as_text=True)
    # a second browser that opened the ballot before the first submitted is refused too
    other = app.test_client()
    other_page = None
    code2 = codes["服务对象"][1]
    other_page = start(other, code2)
    first = app.test_client()
    first_page = start(first, code2)
    assert submit(first, first_page, full_ballot(c)).status_code == 303
    late = submit(other, other_page, full_ballot(c))
    assert late.status_code == 410
    assert "每个访问码只能使用一次" in late.get_data(as_text=True)
    assert ballot_count() == 2


def test_typed_code_is_forgiving_about_case_spaces_and_lookalikes(client, campaign):
    c, codes = campaign
    code = codes["机关干部"][0]
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    page = client.get("/")
    response = client.post("/", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                      "code": f"  {typed} "})
    assert response.status_code == 303
    assert "评议主体：机关干部" in client.get("/survey").get_data(as_text=True)


def test_wrong_codes_get_clear_messages(client, campaign):
    page = client.get("/").get_data(as_text=True)
    wrong = client.post("/", data={"csrf_token": csrf_token(page), "code": "K7QM-2XRP-9TWD"})
    assert wrong.status_code == 404
    assert "未找到该访问码" in wrong.get_data(as_text=True)
    short = client.post("/", data={"csrf_token": csrf_token(page), "code": "12345"})
    assert short.status_code == 404
    assert "访问码格式不正确" in short.get_data(as_text=True)
    empty = client.post("/", data={"csrf_token": csrf_token(page), "code": ""})
    assert empty.status_code == 400 and "请输入访问码" in empty.get_data(as_text=True)
    assert client.get("/s/not-a-code").status_code == 404


def test_draft_and_closed_campaigns_refuse_codes(client, app):
    _, draft_codes = build_campaign(status="draft", title="草稿活动")
    _, closed_codes = build_campaign(status="closed", title="已结束活动",
                                     unit_rows=[("督查室", "综合管理类")])
    draft = client.get(f"/s/{draft_codes['服务对象'][0]}")
    assert draft.status_code == 403 and "尚未开始" in draft.get_data(as_text=True)
    closed = client.get(f"/s/{closed_codes['服务对象'][0]}")
    assert closed.status_code == 403 and "已经结束" in closed.get_data(as_text=True)


def test_campaign_closed_while_filling_refuses_and_stores_nothing(client, campaign):
    from evalplatform.services.campaigns import close_campaign

    c, codes = campaign
    page = start(client, codes["服务对象"][0])
    close_campaign(c, None)
    db.session.commit()
    response = submit(client, page, full_ballot(c))
    assert response.status_code == 403
    assert ballot_count() == 0
    assert db.session.scalar(select(func.count()).where(AccessCode.status == "used")) == 0


def test_ballot_checked_against_rules_that_changed_is_refused_and_stores_nothing(client,
                                                                                 campaign):
    """The server checks a ballot against the questionnaire it built when the form was
    opened; should the campaign's rules differ by the time it is stored (here: changed
    behind the application's back), the ballot is refused whole and the code kept."""
    c, codes = campaign
    page = start(client, codes["服务对象"][0])
    c.rules_sha256 = "0" * 64
    db.session.commit()
    response = submit(client, page, full_ballot(c))
    assert response.status_code == 409
    assert "评议表已更新，您的评议未保存" in response.get_data(as_text=True)
    assert ballot_count() == 0
    assert db.session.scalar(select(func.count()).where(AccessCode.status == "used")) == 0
    # opening the code again builds the form anew, and the ballot goes in
    page = start(client, codes["服务对象"][0])
    assert submit(client, page, full_ballot(c)).status_code == 303
    assert ballot_count() == 1


def test_ballot_posted_to_a_process_that_never_showed_the_form_is_stored(client, app,
                                                                         campaign):
    """Behind gunicorn the form may come from one worker and the ballot go to another."""
    c, codes = campaign
    page = start(client, codes["服务对象"][0])
    app.extensions.pop("evalplatform.questionnaires")
    assert submit(client, page, full_ballot(c, 1)).status_code == 303
    assert ballot_count() == 1
    assert answers_stored() == len(c.units) * len(c.items)


def test_partial_ballot_is_refused_with_fields_marked_and_answers_kept(client, campaign):
    c, codes = campaign
    page = start(client, codes["服务对象"][0])
    data = full_ballot(c, 2)
    missing_unit = c.units[2]
    item = c.items[0]
    del data[f"a-{missing_unit.id}-{item.id}"]
    response = submit(client, page, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "还有 1 处需要填写或修改" in html
    assert f"请为“{missing_unit.name}”选择“{item.label}”的评价" in html
    assert f'id="a-{missing_unit.id}-{item.id}" aria-invalid="true"' in html
    assert html.count("checked") == 3  # the other answers are still ticked
    assert ballot_count() == 0
    # fixing it and submitting again works: the code was not spent by the refusal
    data[f"a-{missing_unit.id}-{item.id}"] = "5"  # 不了解
    assert submit(client, html, data).status_code == 303
    assert ballot_count() == 1


def test_invalid_option_and_oversized_comment_are_refused(client, campaign):
    c, codes = campaign
    page = start(client, codes["服务对象"][0])
    data = full_ballot(c)
    unit, item = c.units[0], c.items[0]
    data[f"a-{unit.id}-{item.id}"] = "99"
    data["c-general"] = "长" * 501
    response = submit(client, page, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "选项无效" in html and "意见建议不超过 500 字" in html
    assert ballot_count() == 0


def test_post_without_csrf_token_stores_nothing(client, campaign):
    c, codes = campaign
    start(client, codes["服务对象"][0])
    response = client.post("/survey", data=full_ballot(c))
    assert response.status_code == 400
    assert ballot_count() == 0


def test_survey_without_code_goes_to_entry(client, app):
    response = client.get("/survey")
    assert response.status_code == 303 and response.headers["Location"].endswith("/")


def test_oversized_request_is_refused_politely(client, app, campaign):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    try:
        c, codes = campaign
        page = start(client, codes["服务对象"][0])
        response = submit(client, page, full_ballot(c, **{"c-general": "长" * 100_000}))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    assert response.status_code == 413
    assert "超过了允许的大小" in response.get_data(as_text=True)
    assert ballot_count() == 0


def test_security_headers_on_pages(client, app):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"



def test_a_new_secret_key_voids_open_ballots_sessions(app, client, campaign):
    """The session cookie's signer is built once per key: replacing SECRET_KEY (say, after
    a leak) must still void every cookie signed with the old one."""
    c, codes = campaign
    page = start(client, codes["服务对象"][0])
    app.config["SECRET_KEY"] = app.secret_key = "a-new-key"
    response = submit(client, page, full_ballot(c, 1))
    assert response.status_code == 400  # the form's CSRF token no longer verifies either
    assert client.get("/survey").headers["Location"].endswith("/")  # back to code entry
    assert ballot_count() == 0
    page = start(client, codes["服务对象"][0])  # the code itself still works
    assert submit(client, page, full_ballot(c, 1)).status_code == 303
    assert ballot_count() == 1
