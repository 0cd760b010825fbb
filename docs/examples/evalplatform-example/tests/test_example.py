"""The example plugin, installed, driven through every hook as its users would."""

from __future__ import annotations

import inspect

import evalplatform_example
from evalplatform_example import ConductScheme
from sqlalchemy import inspect as inspect_db

from evalplatform import hookspecs, schema
from evalplatform.extensions import db
from evalplatform.reports.pdf import render_pdf
from evalplatform.services import campaigns
from evalplatform.testing import build_campaign, cast_ballot, close, csrf_token, pdfcheck, post_form


def test_it_implements_every_hook():
    specs = {name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
             if hasattr(fn, "evalplatform_spec")}
    impls = {name for name, fn in inspect.getmembers(evalplatform_example, inspect.isfunction)
             if hasattr(fn, "evalplatform_impl")}
    assert impls == specs


def test_its_table_comes_with_its_migrations(app):
    assert "example_note" in inspect_db(db.engine).get_table_names()
    assert schema.current("example") == "e0001"


def conduct_campaign(status="open"):
    campaign, plaintext = build_campaign(status="draft", title="作风评价示例")
    campaigns.enable_scheme(campaign, ConductScheme.key, None)
    if status != "draft":
        campaigns.open_campaign(campaign, None)
    db.session.commit()
    return campaign, plaintext


def test_the_scheme_brings_its_items_and_scores_them(app, evaluator_client):
    campaign, plaintext = conduct_campaign()
    assert [i.label for i in campaign.items if i.scheme == "conduct"] == [
        "服务态度", "办事效率", "廉洁自律"]
    worst = campaign.units[0].name
    for code in plaintext["服务对象"] + plaintext["机关干部"]:
        cast_ballot(campaign, code, lambda unit, item: 3 if unit == worst and item.scheme ==
                    "conduct" else 0, comments={worst: "窗口经常无人"})
    close(campaign)
    page = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "作风评价" in html and "各项目得分最低的单位" in html
    from evalplatform.reports.bulletin import bulletin_html

    text = pdfcheck.flat("".join(pdfcheck.page_texts(render_pdf(bulletin_html(campaign)))))
    assert pdfcheck.in_order(text, "各项目得分最低的单位", "服务态度", worst, "0.00")


def test_a_unit_rated_poor_needs_a_comment(app, client):
    campaign, plaintext = conduct_campaign()
    client.get(f"/s/{plaintext['服务对象'][0]}")
    page = client.get("/survey").get_data(as_text=True)
    poor = next(k for k, o in enumerate(campaign.items[-1].options) if o["label"] == "差")
    data = {"csrf_token": csrf_token(page)}
    for item in campaign.items:
        for unit in campaign.units:
            data[f"a-{unit.id}-{item.id}"] = str(poor if item.scheme == "conduct" else 0)
    refused = client.post("/survey", data=data)
    assert refused.status_code == 422
    assert f"对“{campaign.units[0].name}”评价为“差”时，请填写意见" in refused.get_data(as_text=True)
    data.update({f"c-{unit.id}": "办事拖拉" for unit in campaign.units})
    assert client.post("/survey", data=data).status_code == 303


def test_notes_page_command_and_audit_log(app, evaluator_client, admin_client):
    campaign, _ = conduct_campaign()
    unit = campaign.units[1]
    url = f"/example/campaigns/{campaign.id}/notes"
    empty = post_form(evaluator_client, url, {"unit": str(unit.id), "text": "  "})
    assert empty.status_code == 200 and "请填写督查记录" in empty.get_data(as_text=True)
    saved = post_form(evaluator_client, url, {"unit": str(unit.id), "text": "<b>台账</b>不全"},
                      follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert "督查记录已保存" in html and "&lt;b&gt;台账&lt;/b&gt;不全" in html
    result = app.test_cli_runner().invoke(args=["example-notes", str(campaign.id)])
    assert result.exit_code == 0 and result.output == f"{unit.name}\t<b>台账</b>不全\n"
    assert "添加督查记录" in admin_client.get("/admin/audit").get_data(as_text=True)
    assert app.test_client().get(url).status_code == 302  # staff only: to the login page


def test_its_pages_follow_the_readers_language(app, evaluator_client):
    campaign, _ = conduct_campaign()
    evaluator_client.set_cookie("lang", "en")
    html = evaluator_client.get(f"/example/campaigns/{campaign.id}/notes").get_data(as_text=True)
    assert "Inspection notes" in html and "No inspection notes yet." in html
