"""The checklist review read in English: reviews, the rectification ledger, its import, the
settings and the results' sections are translated (the plugin's own catalogue). Checklists,
their items and the problems on the ledger are data and stay as written; findings and
statuses are stored in Chinese and shown in the reader's language."""

from __future__ import annotations

import io
from datetime import timedelta
from html import unescape

from checklist_helpers import post_review
from evalplatform_checklist import ledger, reviews
from evalplatform_checklist.catalogue import catalogue
from evalplatform_checklist.models import RectificationItem

from evalplatform.extensions import db
from evalplatform.services import campaigns
from evalplatform.testing import build_campaign, cast_ballot, close, pdfcheck, post_form, untranslated_chinese

UNITS = [("Office", "General"), ("Legal", "General"), ("Permits", "Service")]


def stored(campaign) -> tuple[str, ...]:
    """Data (never translated): issuer, document number, items and options of the survey,
    grade names, the checklists (shipped and chosen) and the problems on the ledger."""
    texts = {campaign.issuer, campaign.doc_number}
    for item in campaign.items:
        texts |= {item.label, *(o["label"] for o in item.options)}
    config = reviews.campaign_config(campaign)
    texts |= {label for label, _ in config["grade_bands"]}
    for lst in [*catalogue(), *config["lists"]]:
        texts |= {lst["title"], lst["area"], *(i["text"] for i in lst["items"])}
    texts |= {p.problem for p in db.session.query(RectificationItem)}
    return tuple(t for t in texts if t)


def check(html: str, data, where: str) -> str:
    assert '<html lang="en">' in html, where
    found = untranslated_chinese(html, data)
    assert not found, (where, found)
    return unescape(html)


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_checklist_pages_in_english(english):
    campaign, plaintext = build_campaign(status="draft", unit_rows=UNITS, title="Review 2026",
                                         groups=(("Public", 1.0),))
    campaigns.enable_scheme(campaign, "checklist", None,
                            {"lists": ["sige_shifou"], "combine_with": "satisfaction"})
    db.session.commit()
    settings_url = f"/evaluator/campaigns/{campaign.id}/schemes/checklist"
    html = check(page(english, settings_url), stored(campaign), "settings (draft)")
    assert "Combine with a survey score" in html and "Satisfaction survey" in html
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    for code in plaintext["Public"]:
        cast_ballot(campaign, code, lambda unit, item: 0 if unit == "Office" else 1)
    office, legal, permits = campaign.units
    base = f"/checklist/campaigns/{campaign.id}"

    # a wrong finding, then findings that put a problem on the ledger
    refused = post_review(english, campaign, office, {0: ("符合", "2", "")})
    assert refused.status_code == 422
    html = check(refused.get_data(as_text=True), stored(campaign), "refused review")
    assert "“Meets” has no deduction" in html and "1 entry needs correcting" in html
    saved = post_review(english, campaign, office, {0: ("不符合", "3", "slow replies"),
                                                     1: ("符合", "0", "")})
    html = check(english.get(saved.headers["Location"]).get_data(as_text=True), stored(campaign),
                 "saved review")
    assert "Saved 2 findings for “Office”, 1 failed item added to the rectification ledger." in html
    post_review(english, campaign, legal, {0: ("基本符合", "1", "")})
    problem = db.session.query(RectificationItem).one()
    ledger.update_item(problem, ledger.Changes("retrain staff", "Chen", reviews.local_today()
                                               - timedelta(days=3), "整改中", None), None,
                       reviews.local_today())
    db.session.commit()
    close(campaign)  # the results are published
    data = stored(campaign)

    evaluator = f"/evaluator/campaigns/{campaign.id}"
    urls = [f"{base}/reviews", *(f"{base}/reviews/{u.id}" for u in campaign.units),
            f"{base}/ledger", f"{base}/ledger?unit_id={office.id}", f"{base}/ledger?status=逾期",
            f"{base}/ledger?status=已完成", f"{base}/rectifications/{problem.id}",
            f"{base}/ledger/import", evaluator, f"{evaluator}/results", f"{evaluator}/reports",
            settings_url, *(f"{evaluator}/results/{key}/units/{u.id}" for u in (office, legal)
                            for key in ("checklist", "satisfaction"))]
    for url in urls:
        check(page(english, url), data, url)
    html = unescape(page(english, f"{base}/ledger"))
    for text in ("Rectification ledger", "Overdue 1", "In progress", "3 days overdue",
                 "Export to Excel", "Add a rectification item by hand"):
        assert text in html, text
    assert "No rectification items are “Done”." in unescape(page(english, f"{base}/ledger?status=已完成"))
    results = unescape(page(english, f"{evaluator}/results"))
    for text in ("Checklist review", "Review scores of the units", "Rectification",
                 "Score = review score × 30% + Satisfaction survey overall score × 70%.",
                 "Units not reviewed yet, and not ranked: Permits.", "Overdue rectification items: 1",
                 "Overdue rectification items", "Open the rectification ledger"):
        assert text in results, text
    unit = unescape(page(english, f"{evaluator}/results/checklist/units/{office.id}"))
    assert "Office review score" in unit and "Does not meet" in unit and "Items not reviewed yet: 2." in unit

    # the unit's report is an official document: Chinese, the plugin's sections included
    response = english.get(f"{evaluator}/units/{office.id}/report.pdf")
    report = pdfcheck.flat("".join(pdfcheck.page_texts(response.get_data())))
    response.close()
    for text in ("对照检查情况", "检查得分", "不符合", "整改台账", "逾期3天"):
        assert text in report, text
    assert not [word for word in ("Checklist review", "Does not meet", "Overdue", "days overdue")
                if pdfcheck.flat(word) in report]

    # the rectification form, a problem added by hand, the import with wrong rows
    edit = post_form(english, f"{base}/rectifications/{problem.id}",
                     {"measure": "", "responsible": "Chen", "deadline": "2026-12-31",
                      "status": "整改中", "completed_on": ""})
    html = check(edit.get_data(as_text=True), data, "refused rectification")
    assert "is required for items that are “In progress”" in html
    added = post_form(english, f"{base}/ledger", {"new-unit_id": str(permits.id), "new-problem": "late"},
                      url=f"{base}/ledger/new", prefix="new-", follow_redirects=True)
    check(added.get_data(as_text=True), data, "added by hand")
    assert "Rectification item added" in added.get_data(as_text=True)
    sheet = f"编号,状态,整改时限\n999,整改中,2026-12-31\n{problem.id},整改中,soon\n".encode()
    imported = post_form(english, f"{base}/ledger/import",
                         {"sheet": (io.BytesIO(sheet), "ledger.csv")},
                         content_type="multipart/form-data")
    imported.request.environ["wsgi.input"].close()
    html = check(imported.get_data(as_text=True), data, "refused import")
    for text in ("2 errors found, nothing imported", "Row 2", "ID 999 is not a rectification item",
                 "Deadline “soon” is not a date"):
        assert text in html, text

    # a campaign without the scheme
    other, _ = build_campaign(unit_rows=UNITS, title="Plain survey", groups=(("Public", 1.0),))
    html = check(page(english, f"/checklist/campaigns/{other.id}/reviews", 404), data, "not enabled")
    assert "Checklist review not enabled" in html
