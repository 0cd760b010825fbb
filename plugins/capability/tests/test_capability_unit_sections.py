"""The capability model on one unit's page and report: the scheme's ``report_sections`` called
with a ``unit_id`` gives that unit's bars and dimension table (families above their
dimensions, beside the category's mean), nothing about the others; the campaign call is
as before."""

from __future__ import annotations

import pytest
from test_capability_pages import SCRIPT, UNITS, choose, enable_capability

from evalplatform.extensions import db
from evalplatform.scoring.engine import campaign_results, registered_schemes
from evalplatform.services import campaigns, codes
from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot
from evalplatform.testing import build_campaign, close

UNIT_PLACES = ("unit_page", "unit_report")
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def campaign(app, evaluator_client):
    """办公室: abilities 100, styles 80 but 刻苦钻研 0 (families 100 and 64); the others
    一般 (60) throughout; the third unit's name is markup, alone in its category."""
    campaign, plaintext = build_campaign(status="draft", unit_rows=UNITS, title="能力作风单位报告")
    enable_capability(evaluator_client, campaign)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    for code in plaintext["服务对象"]:
        q = questionnaire(campaign)
        answers = {(u.id, i.id): 0 if i.scheme != "capability" else choose(u.name, i.label)
                   for u in q.units for i in q.items}
        submit_ballot(codes.hash_code(code), q, BallotInput(answers=answers))
        db.session.commit()
    close(campaign)
    return campaign


def unit_id(campaign, name: str) -> int:
    return next(u.id for u in campaign.units if u.name == name)


def sections(campaign, unit: int | None):
    results = campaign_results(campaign)
    return registered_schemes()["capability"].report_sections(campaign, results, unit)


def row(name: str, *cells: str, strong: bool = False) -> str:
    label = f"<strong>{name}</strong>" if strong else name
    return (f'<tr><th scope="row">{label}</th>'
            + "".join(f'<td class="num">{c}</td>' for c in cells[:-1]) + f"<td>{cells[-1]}</td></tr>")


def test_a_unit_gets_its_bars_and_dimension_table_and_nothing_about_the_others(campaign):
    found = sections(campaign, unit_id(campaign, "办公室"))
    assert [s.title for s in found] == ["各维度得分条形图", "各维度得分"]
    assert all(s.places == UNIT_PLACES for s in found)
    bars, table = (str(s.html) for s in found)
    assert bars.count("<svg") == 1 and ">办公室</text>" in bars and "综合 82.00" in bars
    assert ">五种工作能力</text>" in bars and "0.00 ▼" in bars
    html = bars + table
    assert "政策法规科" not in html and ESCAPED not in html and SCRIPT not in html
    # families above their dimensions; the category mean is 办公室's and 政策法规科's (60)
    assert row("五种工作能力", "100.00", "80.00", "", strong=True) in table
    assert row("服务发展", "100.00", "80.00", "▲ 最强") in table
    assert row("五种优良作风", "64.00", "62.00", "", strong=True) in table
    assert row("刻苦钻研", "0.00", "30.00", "▼ 最弱") in table
    assert row("争先创优", "80.00", "70.00", "") in table
    assert table.index("五种优良作风") < table.index("刻苦钻研")
    assert table.count("<tr>") == 1 + 2 + 10


def test_a_unit_alone_in_its_category_has_no_mean_and_its_name_is_escaped(campaign):
    found = sections(campaign, unit_id(campaign, SCRIPT))
    html = "".join(str(s.html) for s in found)
    assert SCRIPT not in html and ESCAPED in html
    assert "平均" not in html
    assert row("服务发展", "60.00", "") in html  # all alike: neither strongest nor weakest


def test_a_unit_not_in_the_results_gets_nothing(campaign):
    assert sections(campaign, 10**6) == []


def test_the_campaign_call_is_unchanged(campaign):
    found = sections(campaign, None)
    assert [(s.title, s.places) for s in found] == [
        ("各单位最强和最弱维度", ("page", "bulletin")), ("各维度得分热力图", ("page",)),
        ("各维度得分热力图", ("bulletin",)), ("各单位维度得分", ("page",))]
    assert "<svg" in str(found[1].html) and 'class="heat-table"' in str(found[2].html)
    bars = str(found[3].html)
    assert bars.count("<svg") == 3
    for name in ("办公室", "政策法规科", ESCAPED):
        assert name in bars


def test_the_unit_page_shows_the_units_bars_and_table(evaluator_client, campaign):
    unit = unit_id(campaign, "办公室")
    page = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results/capability/units/{unit}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h2>各维度得分条形图</h2>" in html and "<h2>各维度得分</h2>" in html
    assert html.count("<desc") == 2  # the rater groups' chart and this unit's bars
    assert "五种工作能力 100.00；服务发展 100.00 ▲" in html  # the bars' description
    assert 'aria-label="办公室 各维度得分"' in html and "▼ 最弱" in html
    assert "各单位维度得分" not in html and "各维度得分热力图" not in html
