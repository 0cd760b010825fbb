"""Irreversible actions are confirmed on the server, saying what they will do; closing with
a grace period lets a respondent who opened the ballot before the close submit it, and
no one begin a new one; the campaign closes by itself when the grace period is over."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import AccessCode, Ballot, Campaign, ResultSnapshot
from evalplatform.services import campaigns
from evalplatform.services.ballots import questionnaire
from evalplatform.testing import build_campaign, csrf_token, post_form
from evalplatform.util import utcnow


def page_text(response) -> str:
    return response.get_data(as_text=True)


def status(campaign_id: int) -> str:
    db.session.commit()
    return db.session.get(Campaign, campaign_id).status


def ballots(campaign_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot)
                             .where(Ballot.campaign_id == campaign_id))


def open_ballot(client, code: str) -> str:
    """A respondent enters a code and gets the ballot's form: its CSRF token."""
    assert client.get(f"/s/{code}").status_code == 303
    form = client.get("/survey")
    assert form.status_code == 200
    return csrf_token(page_text(form))


def submit(client, campaign, token: str, group: str = "服务对象"):
    """Every unit 满意 (option 0) on every item the respondent's group is asked."""
    campaign = db.session.get(Campaign, campaign.id)
    q = questionnaire(campaign, next(g.id for g in campaign.groups if g.name == group))
    data = {"csrf_token": token, **{f"a-{u.id}-{i.id}": "0" for m in q.matrices
                                    for u in m.units for i in m.items_for(u.id)}}
    return client.post("/survey", data=data)


def test_each_irreversible_button_first_says_what_it_will_do(admin_client):
    draft, _ = build_campaign(status="draft", title="草稿")
    opened, _ = build_campaign(title="进行中")
    batch_id = db.session.scalar(select(AccessCode.batch_id).where(
        AccessCode.campaign_id == opened.id).limit(1))
    db.session.commit()
    pages = [
        (f"/admin/campaigns/{draft.id}", f"/admin/campaigns/{draft.id}/open",
         ["此后不能再修改", "确认开始评议"]),
        (f"/admin/campaigns/{draft.id}", f"/admin/campaigns/{draft.id}/delete",
         ["不能恢复", "已发放的 10 个访问码将失效", "确认删除"]),
        (f"/admin/campaigns/{opened.id}", f"/admin/campaigns/{opened.id}/close",
         ["还有 10 个访问码未使用", "已收到 0 张评议票", "30 分钟后结束（推荐）", "立即结束"]),
        (f"/admin/campaigns/{opened.id}/codes",
         f"/admin/campaigns/{opened.id}/codes/{batch_id}/revoke",
         ["这一批共发放 5 个访问码", "确认作废"]),
    ]
    for page, url, said in pages:
        response = post_form(admin_client, page, {}, url=url)  # the button, as pressed
        assert response.status_code == 200, url
        for text in said:
            assert text in page_text(response), (url, text)
    # nothing was done
    assert (status(draft.id), status(opened.id)) == ("draft", "open")
    assert db.session.scalar(select(func.count()).select_from(AccessCode).where(
        AccessCode.status == "void")) == 0
    # a refusal is said at once, without a confirmation page
    refused = post_form(admin_client, f"/admin/campaigns/{opened.id}", {},
                        url=f"/admin/campaigns/{opened.id}/delete")
    assert refused.status_code == 303
    assert "评议活动已开始" in page_text(admin_client.get(refused.headers["Location"]))


def test_a_ballot_opened_before_the_close_is_accepted_in_the_grace_period(app, admin_client,
                                                                          client):
    campaign, codes = build_campaign(codes_per_group=2)
    cid = campaign.id
    db.session.commit()
    token = open_ballot(client, codes["服务对象"][0])  # filling in when the close is asked

    asked = post_form(admin_client, f"/admin/campaigns/{cid}", {"confirm": "yes",
                                                                "when": "grace"},
                      url=f"/admin/campaigns/{cid}/close")
    note = page_text(admin_client.get(asked.headers["Location"]))
    assert "不再接受新的访问码，已打开评议表的评议人可在此前提交" in note
    assert status(cid) == "open"

    latecomer = app.test_client()  # a code not entered before: refused, with why
    refused = latecomer.get(f"/s/{codes['服务对象'][1]}")
    assert refused.status_code == 403 and "即将结束，不再接受新的评议" in page_text(refused)

    done = submit(client, campaign, token)
    assert done.status_code == 303 and done.headers["Location"].endswith("/done")
    assert ballots(cid) == 1

    # the grace period is over: the next staff page closes it and publishes the results
    db.session.get(Campaign, cid).closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    admin_client.get("/admin/")
    assert status(cid) == "closed"
    assert db.session.scalar(select(func.count()).select_from(ResultSnapshot)
                             .where(ResultSnapshot.campaign_id == cid)) == 1


def test_a_ballot_submitted_after_the_grace_period_is_refused_and_nothing_stored(client):
    campaign, codes = build_campaign(codes_per_group=2)
    token = open_ballot(client, codes["服务对象"][0])
    campaigns.schedule_close(db.session.get(Campaign, campaign.id), 30, None)
    db.session.get(Campaign, campaign.id).closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    late = submit(client, campaign, token)
    assert late.status_code == 403 and "已经结束" in page_text(late)
    assert ballots(campaign.id) == 0
    assert db.session.scalar(select(func.count()).select_from(AccessCode).where(
        AccessCode.status == "used")) == 0


def test_a_closing_campaign_can_be_kept_open_or_closed_at_once(admin_client, client):
    campaign, codes = build_campaign(codes_per_group=2)
    cid = campaign.id
    campaigns.schedule_close(campaign, 30, None)
    db.session.commit()
    overview = page_text(admin_client.get(f"/admin/campaigns/{cid}"))
    assert "评议活动将于" in overview and "取消结束，继续评议" in overview
    kept = post_form(admin_client, f"/admin/campaigns/{cid}", {},
                     url=f"/admin/campaigns/{cid}/close/cancel")
    assert "已取消结束" in page_text(admin_client.get(kept.headers["Location"]))
    assert client.get(f"/s/{codes['服务对象'][0]}").status_code == 303  # codes work again

    campaigns.schedule_close(db.session.get(Campaign, cid), 30, None)
    db.session.commit()
    confirm = post_form(admin_client, f"/admin/campaigns/{cid}", {},
                        url=f"/admin/campaigns/{cid}/close")
    assert "30 分钟后结束" not in page_text(confirm)  # already closing: only at once
    now = post_form(admin_client, f"/admin/campaigns/{cid}", {"confirm": "yes", "when": "now"},
                    url=f"/admin/campaigns/{cid}/close")
    assert now.status_code == 303 and status(cid) == "closed"
    assert db.session.get(Campaign, cid).closes_at is None
