"""The checklist scheme in the PDFs: the bulletin's rectification status names overdue
items; a unit's report lists its findings and its own rectification list."""

from __future__ import annotations

from datetime import timedelta

from checklist_helpers import checklist_campaign, items, problems
from evalplatform_checklist import evidence, ledger, reviews

from evalplatform.extensions import db
from evalplatform.services import reports
from evalplatform.testing import pdfcheck

MEASURE = "<b>公示</b>办事流程"


def test_bulletin_shows_overdue_rectification_and_unit_report_its_ledger(app):
    campaign, _ = checklist_campaign()
    office, law = campaign.units[:2]
    listed = items(campaign)
    for unit, k in ((office, 0), (law, 2)):
        reviews.record_reviews(campaign, unit, [reviews.ReviewInput(
            listed[k][0]["key"], listed[k][1]["key"], "不符合", "3", "")], None,
            evidence.FileBatch())
    db.session.commit()
    today = reviews.local_today()
    overdue = next(p for p in problems(campaign) if p.unit_id == office.id)
    ledger.update_item(overdue, ledger.Changes(MEASURE, "王××", today - timedelta(days=2),
                                               "整改中", None), None, today)
    db.session.commit()

    bulletin = reports.make_bulletin(campaign)[1][0].data
    text = pdfcheck.flat("".join(pdfcheck.page_texts(bulletin)))
    assert pdfcheck.in_order(text, "二、评议结果", "对照检查", "整改情况", "逾期未完成的整改事项",
                             office.name, "逾期2天", "三、排名末位的单位")
    pdfcheck.assert_all_glyphs_rendered(bulletin)

    report = reports.make_unit_report(campaign, office)[1][0].data
    text = pdfcheck.flat("".join(pdfcheck.page_texts(report)))
    assert pdfcheck.in_order(text, office.name, "对照检查情况", "整改台账", pdfcheck.flat(MEASURE),
                             "王××", "逾期")
    assert law.name not in text
