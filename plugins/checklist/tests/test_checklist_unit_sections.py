"""The checklist scheme on one unit's page and report: the scheme's ``report_sections`` called
with a ``unit_id`` gives that unit's findings item by item with its checklist score, and
its rectification list (整改台账) with overdue items; nothing about the other units. The
campaign call is as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from checklist_helpers import checklist_campaign, items, problems
from evalplatform_checklist import evidence, ledger, reviews

from evalplatform.extensions import db
from evalplatform.scoring.engine import campaign_results, registered_schemes
from evalplatform.services import campaigns

UNIT_PLACES = ("unit_page", "unit_report")
NOTE = "<script>alert(1)</script>窗口态度生硬"
HAND = "群众反映<i>办事慢</i>"
MEASURE = "<b>公示</b>办事流程"


def record(campaign, unit, findings: dict[int, tuple[str, float, str]]) -> None:
    listed = items(campaign)
    reviews.record_reviews(campaign, unit, [
        reviews.ReviewInput(listed[k][0]["key"], listed[k][1]["key"], result, str(deduction), note)
        for k, (result, deduction, note) in findings.items()], None, evidence.FileBatch())
    db.session.commit()


@pytest.fixture
def campaign(app):
    """办公室: item 1 不符合 (3, a note with markup), item 2 基本符合 (1); its problem is
    being worked on but overdue, and a problem entered by hand. 政策法规科: item 3 不符合."""
    campaign, _ = checklist_campaign()
    office, law = campaign.units[:2]
    record(campaign, office, {0: ("不符合", 3, NOTE), 1: ("基本符合", 1, "")})
    record(campaign, law, {2: ("不符合", 2, "")})
    today = reviews.local_today()
    ledger.update_item(problems(campaign)[0], ledger.Changes(
        MEASURE, "王××", today - timedelta(days=2), "整改中", None), None, today)
    ledger.add_item(campaign, office.id, HAND, None)
    db.session.commit()
    return campaign


def sections(campaign, unit: int | None):
    results = campaign_results(campaign)
    return registered_schemes()["checklist"].report_sections(campaign, results, unit)


def test_a_unit_gets_its_findings_and_its_ledger_and_nothing_about_the_others(campaign):
    office = campaign.units[0]
    found = sections(campaign, office.id)
    assert [s.title for s in found] == ["对照检查情况", "整改台账"]
    assert all(s.places == UNIT_PLACES for s in found)
    review, rectification = (str(s.html) for s in found)
    listed = [item["text"] for _, item in items(campaign)]
    # findings: each checked item with its list, result, deduction and (escaped) note
    assert "办公室检查得分 <strong>96.00</strong>（100 − 扣分 4.00）；已检查 2/4 项，不符合 1 项。" in review
    assert (f"<tr><td>四个是否</td><td>{listed[0]}</td><td><strong>不符合</strong></td>"
            '<td class="num">3.00</td><td>&lt;script&gt;alert(1)&lt;/script&gt;窗口态度生硬</td></tr>'
            ) in review
    assert (f"<tr><td>四个是否</td><td>{listed[1]}</td><td>基本符合</td>"
            '<td class="num">1.00</td><td>—</td></tr>') in review
    assert "尚有 2 项未检查" in review
    # the ledger: every item with measure, responsible person, deadline and status
    deadline = (reviews.local_today() - timedelta(days=2)).isoformat()
    assert "整改事项共 <strong>2</strong> 项" in rectification
    assert "&lt;b&gt;公示&lt;/b&gt;办事流程" in rectification and "王××" in rectification
    assert f"<td>{deadline}</td>" in rectification
    assert '<span class="flag flag-bottom">逾期</span><br>逾期 2 天' in rectification
    assert "群众反映&lt;i&gt;办事慢&lt;/i&gt;" in rectification and ">未开始</span>" in rectification
    html = review + rectification
    for raw in (NOTE, HAND, MEASURE):
        assert raw not in html
    assert "政策法规科" not in html and listed[2] not in html  # the other unit's finding


def test_a_unit_name_with_markup_is_escaped(campaign):
    law = campaign.units[1]
    law.name = "<img src=x onerror=alert(1)>科"
    db.session.commit()
    html = "".join(str(s.html) for s in sections(campaign, law.id))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;科检查得分" in html
    assert "整改事项共 <strong>1</strong> 项" in html


def test_a_unit_not_yet_reviewed_and_a_unit_not_in_the_campaign(campaign):
    html = "".join(str(s.html) for s in sections(campaign, campaign.units[2].id))
    assert "质量监督站尚未对照检查" in html and "质量监督站没有整改事项" in html
    assert sections(campaign, 10**6) == []


def test_the_campaign_call_is_unchanged(campaign):
    found = sections(campaign, None)
    assert [(s.title, s.places) for s in found] == [
        ("各单位检查得分", ("page", "bulletin")), ("整改情况", ("page",)), ("整改情况", ("bulletin",))]
    html = "".join(str(s.html) for s in found)
    assert "办公室" in html and "政策法规科" in html and "逾期未完成的整改事项" in html


def test_a_closed_campaign_shows_the_ledger_as_scored_at_closing(campaign):
    campaigns.open_campaign(campaign, None)
    campaigns.close_campaign(campaign, None)
    db.session.commit()
    today = reviews.local_today()
    item = problems(campaign)[0]
    ledger.update_item(item, ledger.Changes("另行整改", "李××", item.deadline, "已完成", today),
                       None, today)
    db.session.commit()
    html = str(sections(campaign, campaign.units[0].id)[1].html)
    assert "（评议活动结束日）" in html and "此后的整改进展见整改台账页面" in html
    assert "&lt;b&gt;公示&lt;/b&gt;办事流程" in html and ">逾期</span>" in html
    assert "另行整改" not in html


def test_the_unit_page_shows_the_units_findings_and_ledger(evaluator_client, campaign):
    office = campaign.units[0]
    page = evaluator_client.get(
        f"/evaluator/campaigns/{campaign.id}/results/checklist/units/{office.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h2>对照检查情况</h2>" in html and "<h2>整改台账</h2>" in html
    assert "窗口态度生硬" in html and "<script>alert(1)</script>" not in html
    assert "群众反映&lt;i&gt;办事慢&lt;/i&gt;" in html and "逾期 2 天" in html
    assert "各单位检查得分" not in html and "各单位整改情况" not in html
