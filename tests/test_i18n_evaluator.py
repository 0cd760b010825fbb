"""The evaluator's pages read in English (docs/i18n.md): progress, results with their charts
and notes, units' pages, schemes and their settings, reports and checking a file show no
Chinese but data. The official documents and exports stay Chinese whatever the reader's
language, and the pages stay Chinese by default."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.models import Document
from evalplatform.scoring.engine import registered_schemes
from evalplatform.scoring.rules import rules_for
from evalplatform.services import campaigns
from evalplatform.testing import build_campaign, cast_ballot, pdfcheck, post_form, untranslated_chinese

UNITS = [("Office", "General"), ("Legal", "General"), ("Personnel", "General"),
         ("Finance", "General"), ("Permits", "Service"), ("Inspection", "Service")]
GROUPS = (("Public", 0.6), ("Staff", 0.4))
#: satisfaction5: 满意 0 … 不满意 4, 不了解 5. Five public ballots (enough to count; Staff's
#: two are suppressed): Legal 72 and Personnel 68 hard to tell apart, Finance only 不了解.
PUBLIC = [{"Office": 0, "Legal": 1, "Personnel": 2, "Finance": 5, "Permits": 0, "Inspection": 3},
          *[{"Office": 0, "Legal": q, "Personnel": q, "Finance": 5, "Permits": 0, "Inspection": 3}
            for q in (1, 2, 2, 1)]]
#: appraisal4: 优秀 0, 称职 1, 基本称职 2, 不称职 3. Legal: no 优秀 or 称职, two 不称职 of five.
APPRAISAL = [{"Office": 0, "Legal": 3 if k < 2 else 2, "Personnel": 1, "Finance": 1,
              "Permits": 0, "Inspection": 2} for k in range(5)]


def voted(template: str = "style", ballots=PUBLIC, *, status: str = "closed",
          title: str = "Conduct survey"):
    campaign, plaintext = build_campaign(template=template, unit_rows=UNITS, groups=GROUPS,
                                         title=title, codes_per_group=6)
    for code, choices in zip(plaintext["Public"], ballots, strict=False):
        cast_ballot(campaign, code, lambda unit, item, choices=choices: choices[unit])
    for code in plaintext["Staff"][:2]:
        cast_ballot(campaign, code, lambda unit, item: 4 if template != "appraisal" else 3)
    if status == "closed":
        campaigns.close_campaign(campaign, None)
        db.session.commit()
    return campaign


def stored(*made) -> tuple[str, ...]:
    """What campaigns keep as it was written (data, never translated): the issuer and the
    document number, items and their options (copied from a template), grade names."""
    texts = set()
    for campaign in made:
        texts |= {campaign.issuer or "", campaign.doc_number or ""}
        for item in campaign.items:
            texts |= {item.label, *(o["label"] for o in item.options)}
        rules, _, _ = rules_for(campaign, registered_schemes())
        for spec in rules["schemes"].values():
            texts |= {label for label, _ in spec["config"].get("grade_bands", [])}
    return tuple(t for t in texts if t)


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def assert_english(html: str, data, where: str) -> None:
    assert '<html lang="en">' in html, where
    found = untranslated_chinese(html, data=tuple(data))
    assert not found, (where, found)


def unit_urls(campaign) -> list[str]:
    return [f"/evaluator/campaigns/{campaign.id}/results/{row.scheme}/units/{unit.id}"
            for row in campaign.schemes for unit in campaign.units]


def test_evaluator_pages_in_english(english, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    survey = voted()
    appraisal = voted("appraisal", APPRAISAL, title="Appraisal")
    live = voted(status="open", title="Live survey")
    draft, _ = build_campaign(status="draft", unit_rows=UNITS, groups=GROUPS, title="Draft survey")
    data = stored(survey, appraisal, live, draft)
    reports = f"/evaluator/campaigns/{survey.id}/reports"
    started = post_form(english, reports, {}, url=f"{reports}/bulletin", follow_redirects=True)
    html = started.get_data(as_text=True)
    assert "Started generating: Bulletin." in html
    assert_english(html, data, "bulletin started")
    urls = ["/evaluator/", "/evaluator/verify"]
    for campaign in (survey, appraisal, live, draft):
        base = f"/evaluator/campaigns/{campaign.id}"
        urls += [base, f"{base}/results", f"{base}/schemes", f"{base}/reports",
                 *(f"{base}/schemes/{row.scheme}" for row in campaign.schemes)]
        urls += unit_urls(campaign) if campaign is not live else []
    for url in urls:
        assert_english(page(english, url), data, url)
    sealed = page(english, f"/evaluator/campaigns/{live.id}/results")
    assert "sealed until the campaign closes" in sealed

    results = page(english, f"/evaluator/campaigns/{survey.id}/results")
    for text in ("Satisfaction survey", "The lowest 1 of each category (ties included)",
                 "Satisfaction rate = (满意 + 比较满意 + 基本满意) ÷ valid votes",
                 "Bottom-ranked", "Too few valid votes", "fewer than 5 raters, not shown",
                 "Conduct survey", "scores and ranks", "Radar charts of the units"):
        assert text in results, text
    appraised = page(english, f"/evaluator/campaigns/{appraisal.id}/results")
    for text in ("Democratic appraisal", "Excellent and competent votes under two thirds",
                 "Incompetent votes over one third"):
        assert text in appraised, text
    personnel = next(u for u in survey.units if u.name == "Personnel")
    unit = page(english, f"/evaluator/campaigns/{survey.id}/results/satisfaction/units/"
                         f"{personnel.id}")
    assert "Scores by rater group" in unit and "Rank <strong>3</strong> of 3 in General" in unit
    # the reports page with the finished job and its document; checking that file
    listing = page(english, reports)
    assert "Done" in listing
    document = db.session.scalar(select(Document).where(Document.campaign_id == survey.id))
    html = check_file(english, document_bytes(english, document))
    assert "The file matches one the platform generated" in html
    assert_english(html, data, "verify: found")
    html = check_file(english, b"%PDF-1.7 not ours")
    assert "No record of this file" in html
    assert_english(html, data, "verify: not found")


def test_scheme_settings_in_english(english):
    draft, _ = build_campaign(status="draft", template="appraisal", unit_rows=UNITS,
                              groups=GROUPS, title="Draft appraisal")
    data = stored(draft)
    url = f"/evaluator/campaigns/{draft.id}/schemes/appraisal"
    html = page(english, url)
    assert "Drop the highest and the lowest vote" in html and "Score of “优秀”" in html
    assert_english(html, data, url)
    fields = {"score_0": "95", "score_1": "80", "score_2": "65", "score_3": "50",
              "grade_bands": "优秀 90\n称职 0", "bottom_mode": "category", "bottom_n": "1",
              "tie_decimals": "2"}
    for wrong, message in (({"tie_decimals": "7"}, "Decimals are 0–4."),
                           ({"grade_bands": "优秀 ninety"}, "Line 1 of the grade thresholds "
                                                            "should be “name lowest-score”"),
                           ({"score_0": ""}, "This field is required.")):
        html = post_form(english, url, {**fields, **wrong}).get_data(as_text=True)
        assert message in html, message
        assert_english(html, data, f"refused settings: {wrong}")
    saved = post_form(english, url, {**fields, "bottom_mode": "overall", "bottom_n": "2"},
                      follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert "The settings of “Democratic appraisal” are saved." in html
    assert_english(html, data, "saved settings")
    results = page(english, f"/evaluator/campaigns/{draft.id}/results")
    assert "The lowest 2 of all units (ties included)" in results


def test_evaluator_pages_stay_chinese_by_default(evaluator_client):
    survey = voted()
    results = page(evaluator_client, f"/evaluator/campaigns/{survey.id}/results")
    assert '<html lang="zh-CN">' in results
    for text in ("满意度测评", "每个序列得分最低的 1 名（并列者一并列入）",
                 "满意率 = （满意＋比较满意＋基本满意）÷ 有效票，合计计入得分的各评议主体；"
                 "“不了解”不计入有效票。",
                 "末位", "不足5人，不显示", "得分排名"):
        assert text in results, text
    reports = page(evaluator_client, f"/evaluator/campaigns/{survey.id}/reports")
    assert "正式通报（PDF）" in reports and "与界面语言无关" not in reports


# -- documents and exports stay Chinese ---------------------------------------------------------

def check_file(client, data: bytes) -> str:
    """Upload a file to the check page; the page."""
    response = post_form(client, "/evaluator/verify", {"document": (io.BytesIO(data), "a.pdf")})
    response.request.environ["wsgi.input"].close()  # the test client's spooled upload
    assert response.status_code == 200
    return response.get_data(as_text=True)


def document_bytes(client, document: Document) -> bytes:
    response = client.get(f"/evaluator/documents/{document.id}")
    data = response.get_data()
    response.close()
    return data


ENGLISH_WORDS = ("satisfaction", "bottom-ranked", "the lowest", "rater group", "valid votes",
                 "not shown", "resamples", "overall")


def english_in(text: str) -> list[str]:
    return [word for word in ENGLISH_WORDS if pdfcheck.flat(word) in text.lower()]


def test_documents_stay_chinese_for_an_english_reader(english, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")  # made in the English request
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    survey = voted(status="closed")
    reports = f"/evaluator/campaigns/{survey.id}/reports"
    post_form(english, reports, {}, url=f"{reports}/bulletin")
    document = db.session.scalar(select(Document).where(Document.campaign_id == survey.id,
                                                        Document.kind == "bulletin"))
    bulletin = pdfcheck.flat("".join(pdfcheck.page_texts(document_bytes(english, document))))
    for text in ("满意度测评", "每个序列得分最低的1名（并列者一并列入）", "末位",
                 "满意率=（满意＋比较满意＋基本满意）÷有效票，合计计入得分的各评议主体；“不了解”不计入有效票。"):
        assert text in bulletin, text
    assert not english_in(bulletin)

    unit = next(u for u in survey.units if u.name == "Inspection")
    response = english.get(f"/evaluator/campaigns/{survey.id}/units/{unit.id}/report.pdf")
    report = pdfcheck.flat("".join(pdfcheck.page_texts(response.get_data())))
    response.close()
    for text in ("满意度测评", "末位", "不足5人，不显示", "的重抽样中，得分低于上一名“Permits”。"):
        assert text in report, text
    assert not english_in(report)


def test_exports_stay_chinese_for_an_english_reader(english):
    survey = voted(status="closed")
    response = english.get(f"/evaluator/campaigns/{survey.id}/results.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames[:2] == ["参评情况", "满意度测评"]
    cells = {str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row
             if cell.value is not None}
    for text in ("末位规则", "每个序列得分最低的 1 名（并列者一并列入）", "末位", "不足5人", "评议主体"):
        assert text in cells, text
    assert any(cell.startswith("满意率 = （满意＋比较满意＋基本满意）") for cell in cells)
    assert not [cell for cell in cells if english_in(cell)]
    csv = english.get(f"/evaluator/campaigns/{survey.id}/ballots.csv")
    assert csv.get_data().decode("utf-8-sig").startswith("序号,评议主体,")
