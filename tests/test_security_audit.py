"""The audit log: what admins and evaluators do (who, what, when) is recorded and shown to
admins, page by page; nothing a respondent does is ever recorded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import AuditEvent
from evalplatform.services import audit
from evalplatform.testing import ADMIN_PASSWORD, build_campaign, csrf_token, login, post_form
from evalplatform.util import utcnow


def events() -> list[AuditEvent]:
    db.session.commit()
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_staff_actions_are_recorded_with_who_what_and_when(admin_client, evaluator_client,
                                                           admin_user, evaluator_user):
    campaign, _ = build_campaign(status="draft")
    start = utcnow() - timedelta(seconds=5)
    post_form(admin_client, "/admin/units", {"name": "信访科", "category": "综合管理类"})
    post_form(evaluator_client, f"/evaluator/campaigns/{campaign.id}/schemes",
              {}, url=f"/evaluator/campaigns/{campaign.id}/schemes/appraisal/enable")
    recorded = [(e.user_id, e.action) for e in events() if e.at >= start]
    assert (admin_user.id, "unit.create") in recorded
    assert (evaluator_user.id, "scheme.enable") in recorded
    assert all(e.at <= utcnow() for e in events())
    # the admin reads them, in Chinese, newest first
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "新增被评单位" in page and "启用评分方案" in page and "pingyi" in page
    assert page.index("启用评分方案") < page.index("新增被评单位")


def test_the_log_pages_back_through_older_events(admin_client, admin_user):
    for n in range(130):
        audit(admin_user, "unit.update", f"unit:{n}")
    db.session.commit()
    first = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "unit:129" in first and "unit:0<" not in first
    second = admin_client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in second and "unit:0<" in second and "unit:129<" not in second
    assert admin_client.get("/admin/audit?page=abc").status_code == 200


def test_only_admins_read_the_log(client, evaluator_client):
    assert evaluator_client.get("/admin/audit").status_code == 403
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_log_in_log_out_and_failed_log_ins_are_recorded(app, admin_user):
    browser = app.test_client()
    assert login(browser, "admin", "not-the-password").status_code == 401
    assert login(browser, "admin", ADMIN_PASSWORD).status_code == 302
    token = csrf_token(browser.get("/admin/").get_data(as_text=True))
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    actions = [(e.action, e.user_id, e.target) for e in events() if e.action.startswith("auth.")]
    assert actions == [("auth.login_failed", None, f"user:{admin_user.id}"),
                       ("auth.login", admin_user.id, f"user:{admin_user.id}"),
                       ("auth.logout", admin_user.id, f"user:{admin_user.id}")]


def test_nothing_a_respondent_does_is_recorded(app, client):
    campaign, plaintext = build_campaign(codes_per_group=2)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    code = plaintext["服务对象"][0]
    client.get("/s/AAAA-BBBB-CCCC")  # a wrong code
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/", data={"csrf_token": token, "code": "ZZZZ-ZZZZ-ZZZZ"})
    assert client.get(f"/s/{code}").status_code == 303
    page = client.get("/survey").get_data(as_text=True)
    from evalplatform.services.ballots import questionnaire

    q = questionnaire(campaign)
    form = {"csrf_token": csrf_token(page), "c-general": "很好",
            **{f"a-{u.id}-{i.id}": "0" for u in q.units for i in q.items}}
    client.post("/survey", data={"csrf_token": form["csrf_token"]})  # incomplete: refused
    assert client.post("/survey", data=form).status_code == 303
    assert client.get("/done").status_code == 200
    assert client.get(f"/s/{code}").status_code == 410  # used
    after = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert after == before
