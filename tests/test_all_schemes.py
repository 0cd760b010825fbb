"""Issue 4's acceptance: one campaign combines the built-in satisfaction survey with all
three scheme plugins, and the results page shows them side by side."""

from __future__ import annotations

from evalplatform.extensions import db
from evalplatform.scoring.engine import campaign_results
from evalplatform.services import campaigns, codes
from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot
from evalplatform.testing import build_campaign, close


def test_satisfaction_with_six_type_capability_and_checklist(app, evaluator_client):
    campaign, plaintext = build_campaign(status="draft", title="综合测评", codes_per_group=6)
    for key in ("six_type", "capability", "checklist"):
        campaigns.enable_scheme(campaign, key, None)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    assert {row.scheme for row in campaign.schemes} == {
        "satisfaction", "six_type", "capability", "checklist"}
    q = questionnaire(campaign)
    assert {i.scheme for i in q.items} == {"satisfaction", "six_type", "capability"}
    for k, code in enumerate(plaintext["服务对象"] + plaintext["机关干部"]):
        answers = {(u.id, i.id): (k + n) % 3 for n, u in enumerate(q.units) for i in q.items}
        submit_ballot(codes.hash_code(code), q, BallotInput(answers=answers))
        db.session.commit()
    close(campaign)
    results = campaign_results(campaign)
    assert list(results.schemes) == ["satisfaction", "six_type", "capability", "checklist"]
    assert not results.missing_schemes
    for key in ("satisfaction", "six_type", "capability"):
        assert all(u.score is not None for u in results.schemes[key].units), key
    page = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    positions = [html.index(f'id="scheme-{key}"') for key in
                 ("satisfaction", "six_type", "capability", "checklist")]
    assert positions == sorted(positions)
    for title in ("满意度测评", "六型机关", "对照检查"):
        assert title in html

    # The bulletin and a unit's report carry every scheme, each with its plugin's part.
    from evalplatform.services import reports
    from evalplatform.testing import pdfcheck

    bulletin = reports.make_bulletin(campaign)[1][0].data
    text = pdfcheck.flat("".join(pdfcheck.page_texts(bulletin)))
    assert pdfcheck.in_order(text, "（一）满意度测评", "（二）六型机关", "各维度得分热力图",
                             "（三）", "各单位最强和最弱维度", "（四）对照检查", "三、排名末位的单位")
    pdfcheck.assert_all_glyphs_rendered(bulletin)
    unit = campaign.units[0]
    report = reports.make_unit_report(campaign, unit)[1][0].data
    text = pdfcheck.flat("".join(pdfcheck.page_texts(report)))
    assert pdfcheck.in_order(text, unit.name, "一、满意度测评", "各评议主体评分", "二、六型机关", "雷达图",
                             "三、能力作风评价", "条形图")
    pdfcheck.assert_all_glyphs_rendered(report)
