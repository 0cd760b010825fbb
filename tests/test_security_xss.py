"""Markup typed into titles, names, comments and checklist notes is shown as the text it
is — on every page, in the PDFs (read back with pdftotext: the literal characters are
there, no markup was interpreted) and in Excel (the cell holds the text as typed)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from evalplatform_checklist import evidence, ledger, reviews
from evalplatform_checklist.models import RectificationItem
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.services import campaigns as campaign_service
from evalplatform.testing import build_campaign, cast_ballot, close, csrf_token, post_form

TITLE = "2026年度<script>alert('t')</script>测评"
UNIT = "<b>办公室</b>"
UNIT2 = '"><img src=x onerror=alert(1)>科'
GROUP = "<i>服务对象</i>"
COMMENT = "<script>alert(2)</script>办事慢"
NOTE = "<u>窗口</u>态度生硬"
MEASURE = "<a href='javascript:alert(3)'>措施</a>"
TYPED = [TITLE, UNIT, UNIT2, GROUP, COMMENT, NOTE, MEASURE]


def escaped(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def assert_shown_as_text(html: str, *texts: str, where: str = "") -> None:
    for text in texts:
        assert text not in html, (where, text)  # never as markup
        assert escaped(text) in html, (where, text)  # but shown, as text


@pytest.fixture
def marked_up(app, admin_user, evaluator_user):
    campaign, plaintext = build_campaign(
        status="draft", title=TITLE, unit_rows=[(UNIT, "综合管理类"), (UNIT2, "综合管理类")],
        groups=((GROUP, 1.0),), codes_per_group=6)
    campaign_service.enable_scheme(campaign, "checklist", None, {"lists": ["sige_shifou"]})
    campaign_service.open_campaign(campaign, None)
    db.session.commit()
    for n, code in enumerate(plaintext[GROUP][:5]):
        cast_ballot(campaign, code, lambda unit, item, n=n: n % 3,
                    comments={UNIT: COMMENT} if n == 0 else None)
    lst = reviews.campaign_config(campaign)["lists"][0]
    reviews.record_reviews(campaign, campaign.units[0], [reviews.ReviewInput(
        lst["key"], lst["items"][0]["key"], "不符合", "3", NOTE)], None, evidence.FileBatch())
    db.session.commit()
    item = db.session.scalar(select(RectificationItem))
    ledger.update_item(item, ledger.Changes(MEASURE, "王××", None, "未开始", None), None,
                       reviews.local_today())
    db.session.commit()
    return campaign, plaintext[GROUP][5]


def test_pages_show_typed_markup_as_text(app, client, admin_client, evaluator_client, marked_up):
    campaign, unused = marked_up
    cid, unit = campaign.id, campaign.units[0].id
    # the respondent's ballot
    assert client.get(f"/s/{unused}").status_code == 303
    html = client.get("/survey").get_data(as_text=True)
    assert_shown_as_text(html, TITLE, UNIT, UNIT2, GROUP, where="survey")
    # a comment sent back with the ballot when it has to be corrected
    form = {"csrf_token": csrf_token(html), "c-general": COMMENT}
    html = client.post("/survey", data=form).get_data(as_text=True)
    assert COMMENT not in html and escaped(COMMENT) in html
    close(campaign)  # the results are published
    staff_pages = {
        admin_client: [f"/admin/campaigns/{cid}", "/admin/units", f"/admin/campaigns/{cid}/groups",
                       f"/admin/campaigns/{cid}/codes", "/admin/", f"/admin/campaigns/{cid}/preview"],
        evaluator_client: [f"/evaluator/campaigns/{cid}", f"/evaluator/campaigns/{cid}/results",
                           f"/evaluator/campaigns/{cid}/results/satisfaction/units/{unit}",
                           f"/checklist/campaigns/{cid}/reviews/{unit}",
                           f"/checklist/campaigns/{cid}/ledger"],
    }
    for browser, urls in staff_pages.items():
        for url in urls:
            page = browser.get(url)
            assert page.status_code == 200, url
            html = page.get_data(as_text=True)
            assert_shown_as_text(html, *(t for t in (TITLE, UNIT, UNIT2, GROUP, NOTE, MEASURE)
                                         if escaped(t) in html), where=url)
            assert "<script>alert" not in html and "onerror=alert" not in html.replace(
                escaped(UNIT2), ""), url
    html = evaluator_client.get(f"/checklist/campaigns/{cid}/ledger").get_data(as_text=True)
    assert_shown_as_text(html, UNIT, MEASURE, where="ledger")
    html = evaluator_client.get(f"/checklist/campaigns/{cid}/reviews/{unit}").get_data(as_text=True)
    assert_shown_as_text(html, UNIT, NOTE, where="review")
    html = admin_client.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
    assert_shown_as_text(html, TITLE, where="campaign")


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data,
                          capture_output=True, check=True).stdout.decode()
    return re.sub(r"\s+", "", text)  # lines wrap anywhere in a PDF


def assert_literal_in_pdf(data: bytes, *texts: str) -> None:
    text = pdf_text(data)
    for typed in texts:
        assert re.sub(r"\s+", "", typed) in text, typed


def test_pdfs_print_typed_markup_literally(app, admin_client, evaluator_client, marked_up):
    campaign, _ = marked_up
    # the code slips: title and group on every slip
    download = post_form(admin_client, f"/admin/campaigns/{campaign.id}/codes",
                         {"rater_group": str(campaign.groups[0].id), "count": "2", "slips": "y"})
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        (slips,) = [n for n in archive.namelist() if n.endswith(".pdf")]
        assert_literal_in_pdf(archive.read(slips), TITLE, GROUP)
    close(campaign)  # reports show results, published when the campaign closes
    unit = campaign.units[0]
    report = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/units/{unit.id}/report.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    # the unit's report: its name, the campaign's title, the comment about it, its findings
    assert_literal_in_pdf(report.data, TITLE, UNIT, COMMENT, NOTE, MEASURE)
    from evalplatform.services.reports import bulletin_now

    _, bulletin = bulletin_now(campaign)
    db.session.commit()
    assert_literal_in_pdf(bulletin, TITLE, UNIT, UNIT2)


def test_excel_cells_hold_typed_markup_as_plain_text(app, evaluator_client, marked_up):
    campaign, _ = marked_up
    for url in (f"/evaluator/campaigns/{campaign.id}/results.xlsx",
                f"/checklist/campaigns/{campaign.id}/ledger.xlsx"):
        workbook = openpyxl.load_workbook(io.BytesIO(evaluator_client.get(url).data))
        values = {str(c.value) for ws in workbook.worksheets for row in ws.iter_rows()
                  for c in row if c.value is not None}
        assert UNIT in values, url
        assert not any("&lt;" in v for v in values), url  # not HTML-escaped either
    ledger_values = {str(c.value) for ws in openpyxl.load_workbook(io.BytesIO(evaluator_client.get(
        f"/checklist/campaigns/{campaign.id}/ledger.xlsx").data)).worksheets
        for row in ws.iter_rows() for c in row}
    assert MEASURE in ledger_values
    assert ledger.COLUMNS[0] in ledger_values
