"""六型机关 on one unit's page and report: the scheme's ``report_sections`` called with a
``unit_id`` gives that unit's radar chart and dimension table, nothing about the others;
the campaign call keeps the heat map (page and bulletin) and the radars (page only)."""

from __future__ import annotations

import pytest
from test_six_type_pages import SCRIPT, UNITS, cast, enable_six_type, office_choice

from evalplatform.extensions import db
from evalplatform.scoring.engine import campaign_results, registered_schemes
from evalplatform.services import campaigns
from evalplatform.testing import build_campaign, close

UNIT_PLACES = ("unit_page", "unit_report")
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def campaign(app, evaluator_client):
    """办公室 all 好 (100); 政策法规科 好 on 学习型, 一般 elsewhere; the third (its name is
    markup, alone in its category) 较好."""
    campaign, plaintext = build_campaign(status="draft", unit_rows=UNITS, title="六型机关单位报告")
    enable_six_type(evaluator_client, campaign)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    for code in plaintext["服务对象"]:
        cast(campaign, code, office_choice)
    close(campaign)
    return campaign


def unit_id(campaign, name: str) -> int:
    return next(u.id for u in campaign.units if u.name == name)


def sections(campaign, unit: int | None):
    results = campaign_results(campaign)
    return registered_schemes()["six_type"].report_sections(campaign, results, unit)


def test_a_unit_gets_its_radar_and_dimension_table_and_nothing_about_the_others(campaign):
    found = sections(campaign, unit_id(campaign, "政策法规科"))
    assert [s.title for s in found] == ["六型雷达图", "各维度得分"]
    assert all(s.places == UNIT_PLACES for s in found)
    radar, table = (str(s.html) for s in found)
    assert radar.count("<svg") == 1 and ">政策法规科</text>" in radar
    assert "综合 66.67" in radar and "综合管理类平均" in radar  # the dashed category mean
    assert "<script" not in radar and "foreignObject" not in radar
    html = radar + table
    assert "办公室" not in html and ESCAPED not in html and SCRIPT not in html
    # 学习型 100 beside the category mean 100 (办公室 100), the others 60 beside 80
    assert '<table class="table">' in table and "综合管理类平均" in table
    assert ('<tr><th scope="row">学习型</th><td class="num">100.00</td><td class="num">100.00</td>'
            "<td>▲ 最强</td></tr>") in table
    assert ('<tr><th scope="row">服务型</th><td class="num">60.00</td><td class="num">80.00</td>'
            "<td>▼ 最弱</td></tr>") in table
    assert table.count("<tr>") == 1 + 6


def test_a_unit_alone_in_its_category_has_no_mean_and_its_name_is_escaped(campaign):
    found = sections(campaign, unit_id(campaign, SCRIPT))
    html = "".join(str(s.html) for s in found)
    assert SCRIPT not in html and ESCAPED in html
    assert "平均" not in html  # no category to compare with
    assert '<td class="num">80.00</td><td>' in html


def test_a_unit_not_in_the_results_gets_nothing(campaign):
    assert sections(campaign, 10**6) == []


def test_the_campaign_call_keeps_the_heat_map_and_the_radars_off_the_bulletin(campaign):
    found = sections(campaign, None)
    assert [(s.title, s.places) for s in found] == [
        ("各维度得分热力图", ("page",)), ("各维度得分热力图", ("bulletin",)),
        ("各单位六型雷达图", ("page",))]
    # the page's heat map is SVG; the bulletin's the same values as a shaded table
    assert "<svg" in str(found[0].html) and "<svg" not in str(found[1].html)
    assert 'class="heat-table"' in str(found[1].html)
    radars = str(found[2].html)
    assert radars.count("<svg") == 3
    for name in ("办公室", "政策法规科", ESCAPED):
        assert name in radars


def test_the_unit_page_shows_the_units_radar_and_table(evaluator_client, campaign):
    unit = unit_id(campaign, "政策法规科")
    page = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results/six_type/units/{unit}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h2>六型雷达图</h2>" in html and "<h2>各维度得分</h2>" in html
    assert html.count("雷达图，6 个维度") == 1  # one radar chart: this unit's
    assert 'aria-label="政策法规科 各维度得分"' in html and "▲ 最强" in html
    assert "各单位六型雷达图" not in html and "各维度得分热力图" not in html


def test_the_bulletin_prints_the_heat_map_as_a_table_a_reader_can_search(campaign):
    """In the PDF the heat map is a shaded table: its units, scores and marks are text."""
    from evalplatform.reports.bulletin import bulletin_html
    from evalplatform.reports.pdf import render_pdf
    from evalplatform.testing.pdfcheck import page_texts

    text = "\n".join(page_texts(render_pdf(bulletin_html(campaign))))
    heat = text[text.index("各维度得分热力图"):]
    assert "学习型" in heat and "廉洁型" in heat
    # 政策法规科: 学习型 100 (strongest, ▲), the other five 60 (weakest, ▼)
    row = next(line for line in heat.splitlines() if "政策法规科" in line)
    assert "100.0" in row and "▲" in row and row.count("60.0") == 5
    assert SCRIPT in heat  # a name that is markup, printed literally
