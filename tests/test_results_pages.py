"""The results page, the per-unit page, their charts and the Excel export, as users see them."""

from __future__ import annotations

import io
import re
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import openpyxl
import pytest

from evalplatform.extensions import db
from evalplatform.models import Campaign
from evalplatform.reports import charts
from evalplatform.scoring import ReportSection
from evalplatform.scoring.engine import campaign_results, registered_schemes
from evalplatform.scoring.rules import sha256
from evalplatform.services import campaigns, codes
from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot
from evalplatform.testing import build_campaign, close

HYPERLINK = '=HYPERLINK("http://evil.example/","点我")'
SCRIPT = "<script>alert(1)</script>"
UNIT_ROWS = [("办公室", "综合管理类"), ("政策法规科", "综合管理类"), ("人事教育科", "综合管理类"),
             ("计划财务科", "综合管理类"), (HYPERLINK, "执法监管类"), (SCRIPT, "执法监管类")]
# satisfaction5: 满意 100, 比较满意 80, 基本满意 60, 不太满意 40, 不满意 0, 不了解
SATISFIED, QUITE, BASIC, POOR, BAD, DONT_KNOW = range(6)
#: 服务对象 (weight 0.6): five ballots, enough to count. 办公室 100; 政策法规科 72 and
#: 人事教育科 68 differ on one ballot only (so the bottom one is not distinguishable);
#: 计划财务科 only 不了解 (no score); the formula-named unit 100, the script-named one 40.
PUBLIC_BALLOTS = [
    {"办公室": SATISFIED, "政策法规科": QUITE, "人事教育科": BASIC, "计划财务科": DONT_KNOW,
     HYPERLINK: SATISFIED, SCRIPT: POOR},
    *[{"办公室": SATISFIED, "政策法规科": q, "人事教育科": q, "计划财务科": DONT_KNOW,
       HYPERLINK: SATISFIED, SCRIPT: POOR} for q in (QUITE, BASIC, BASIC, QUITE)],
]
#: 机关干部 (weight 0.4): two ballots, under the minimum group size of 5: suppressed.
STAFF_BALLOTS = [{name: BAD for name, _ in UNIT_ROWS}] * 2
SUPPRESSED_CELL = "—（不足5人，不显示）"




def cast(campaign, code: str, choices: dict[str, int]) -> None:
    q = questionnaire(campaign)
    ballot = BallotInput(answers={(u.id, i.id): choices[u.name] for u in q.units
                                  for i in q.items})
    submit_ballot(codes.hash_code(code), q, ballot)
    db.session.commit()


def voted_campaign(**kwargs) -> Campaign:
    campaign, plaintext = build_campaign(unit_rows=UNIT_ROWS, codes_per_group=6, **kwargs)
    for code, choices in zip(plaintext["服务对象"], PUBLIC_BALLOTS, strict=False):
        cast(campaign, code, choices)
    for code, choices in zip(plaintext["机关干部"], STAFF_BALLOTS, strict=False):
        cast(campaign, code, choices)
    close(campaign)
    return campaign


@pytest.fixture
def voted(app):
    return voted_campaign()


def unit_id(campaign, name: str) -> int:
    return next(u.id for u in campaign.units if u.name == name)


class Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts (tags stripped, entities decoded)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def ranking_tables(html: str) -> list[list[dict[str, str]]]:
    """The ranking tables of a results page, as rows keyed by column heading."""
    out = []
    for table in Tables(html).tables:
        if not table or table[0][:2] != ["排名", "单位"]:
            continue
        heads = table[0]
        out.append([dict(zip(heads, row, strict=True)) for row in table[1:]])
    return out


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_results_page_ranks_units_and_suppresses_small_groups(evaluator_client, voted):
    html = page(evaluator_client, f"/evaluator/campaigns/{voted.id}/results")
    assert "评分规则已冻结" in html and voted.rules_sha256 in html
    assert "有效评议票</dt><dd>7 张" in html
    general, enforcement = ranking_tables(html)
    assert [(r["排名"], r["单位"], r["得分"]) for r in general] == [
        ("1", "办公室", "100.00"), ("2", "政策法规科", "72.00"), ("3", "人事教育科", "68.00"),
        ("—", "计划财务科", "有效票不足")]
    assert [(r["排名"], r["单位"]) for r in enforcement] == [("1", HYPERLINK), ("2", SCRIPT)]
    assert general[0]["满意率"] == "100.0%" and general[0]["等次"] == "满意"
    # the group under the minimum size: never a number, in any row
    staff = [key for key in general[0] if key.startswith("机关干部")]
    assert staff == ["机关干部权重 40%"]
    for row in general + enforcement:
        assert row["机关干部权重 40%"] == SUPPRESSED_CELL
    assert general[0]["服务对象权重 60%"] == "100.00"
    # bottom units: flagged; the one the bootstrap cannot tell apart says so, with p
    assert "末位" in general[2]["标记"] and "末位" in enforcement[1]["标记"]
    unit = campaign_results(voted).schemes["satisfaction"].unit(unit_id(voted, "人事教育科"))
    assert "bottom_uncertain" in unit.flags and 0 < unit.p_below_next < 0.95
    assert "与上一名差异不显著" in general[2]["标记"]
    share = Decimal(repr(100 * unit.p_below_next)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert f"末位与“政策法规科”在统计上无法区分（重抽样中得分低于对方的比例为 {share}%）" \
        in general[2]["标记"]
    assert "差异不显著" not in enforcement[1]["标记"]
    assert "评分方案插件未安装" not in html
    assert f'href="/evaluator/campaigns/{voted.id}/results.xlsx"' in html


def test_results_charts_are_inline_svg_with_escaped_names(admin_client, voted):
    html = page(admin_client, f"/evaluator/campaigns/{voted.id}/results")
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<svg") == 2  # one chart per category
    assert 'font-family="Noto Sans CJK SC, sans-serif"' in html
    svg = str(charts.ranking_chart(campaign_results(voted).schemes["satisfaction"], "执法监管类"))
    assert svg.startswith("<svg") and 'viewBox="0 0 ' in svg and "<title" in svg
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "foreignObject" not in svg and "href" not in svg and "class=" not in svg
    assert "40.00（末位）" in svg  # the bottom unit, labelled and in the bottom colour
    assert f'fill="{charts.BOTTOM}"' in svg


def test_unit_page_breaks_down_by_group_and_item(evaluator_client, voted):
    uid = unit_id(voted, "政策法规科")
    html = page(evaluator_client, f"/evaluator/campaigns/{voted.id}/results/satisfaction/units/{uid}")
    assert "72.00" in html and "第 <strong>2</strong> 名 / 共 3 个" in html
    groups, items = Tables(html).tables[:2]
    assert groups[0] == ["评议主体", "权重", "得分", "有效票", "满意率"]
    assert groups[1] == ["服务对象", "60%", "72.00", "5", "100.0%"]
    assert groups[2] == ["机关干部", "40%", "不足5人，不显示"]
    # pooled over the groups counted: the suppressed group's 2 votes are in no figure
    assert items[1] == ["总体满意度", "72.00", "5", "0"]
    # the chart: the suppressed group is an empty labelled slot, its score (0) never drawn
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "机关干部（权重 40%）" in svg and "不足5人，不显示" in svg
    assert ">0.00<" not in svg and ">72.00<" in svg

    none_id = unit_id(voted, "计划财务科")
    html = page(evaluator_client, f"/evaluator/campaigns/{voted.id}/results/satisfaction/units/{none_id}")
    assert "有效票不足" in html and "名 / 共" not in html
    # no group counts for it: not even how many said 不了解 is told
    assert Tables(html).tables[1][1] == ["总体满意度", SUPPRESSED_CELL, "0", "0"]


def test_unknown_scheme_unit_or_campaign_is_404(evaluator_client, voted):
    base = f"/evaluator/campaigns/{voted.id}/results"
    uid = unit_id(voted, "办公室")
    assert evaluator_client.get(f"{base}/appraisal/units/{uid}").status_code == 404
    assert evaluator_client.get(f"{base}/nope/units/{uid}").status_code == 404
    assert evaluator_client.get(f"{base}/satisfaction/units/999999").status_code == 404
    assert evaluator_client.get("/evaluator/campaigns/999999/results").status_code == 404
    assert evaluator_client.get("/evaluator/campaigns/999999/results.xlsx").status_code == 404


def test_staff_only(client, evaluator_client, admin_client, voted):
    urls = [f"/evaluator/campaigns/{voted.id}/results",
            f"/evaluator/campaigns/{voted.id}/results/satisfaction/units/"
            f"{unit_id(voted, '办公室')}",
            f"/evaluator/campaigns/{voted.id}/results.xlsx"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert evaluator_client.get(url).status_code == 200
        assert admin_client.get(url).status_code == 200
    # and both campaign pages link to the results
    link = f'href="/evaluator/campaigns/{voted.id}/results">查看结果'
    assert link in page(evaluator_client, f"/evaluator/campaigns/{voted.id}")
    assert link in page(admin_client, f"/admin/campaigns/{voted.id}")


def workbook(client, campaign) -> openpyxl.Workbook:
    response = client.get(f"/evaluator/campaigns/{campaign.id}/results.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    return openpyxl.load_workbook(io.BytesIO(response.data))


def sheet_rows(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_excel_export_matches_the_page_and_suppresses(evaluator_client, voted):
    wb = workbook(evaluator_client, voted)
    assert wb.sheetnames == ["参评情况", "满意度测评", "满意度测评·单位明细"]
    rows = sheet_rows(wb["参评情况"])
    assert rows[0][0] == voted.title
    assert ["评分规则 SHA-256", voted.rules_sha256] == rows[2][:2]
    assert ["服务对象", 0.6, 6, 5, 5 / 6] in [r[:5] for r in rows]
    ws = wb["满意度测评"]
    rows = sheet_rows(ws)
    assert rows[0][0] == voted.title and ["评分规则 SHA-256", voted.rules_sha256] == rows[2][:2]
    heads = next(r for r in rows if r[0] == "排名")
    col = {name: n for n, name in enumerate(heads)}
    units = [r for r in rows if len(r) > col["有效票"] and isinstance(r[col["有效票"]], int)]
    assert [(r[col["排名"]], r[col["单位"]], r[col["得分"]]) for r in units] == [
        (1, "办公室", 100), (2, "政策法规科", 72), (3, "人事教育科", 68),
        (None, "计划财务科", "有效票不足"), (1, "'" + HYPERLINK, 100), (2, SCRIPT, 40)]
    # suppressed: text, never a number
    assert {r[col["机关干部 得分"]] for r in units} == {"不足5人"}
    assert units[0][col["服务对象 得分"]] == 100
    assert "末位" in units[2][col["标记"]] and "无法区分" in units[2][col["说明"]]


def test_excel_neutralises_formulas_in_user_text(evaluator_client, voted):
    wb = workbook(evaluator_client, voted)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'" + HYPERLINK in texts
    assert not [t for t in texts if t[0] in "=+-@\t\r"]


def test_draft_results_are_a_preview_until_the_campaign_opens(admin_client, app):
    campaign, _ = build_campaign(status="draft", unit_rows=UNIT_ROWS[:2])
    url = f"/evaluator/campaigns/{campaign.id}/results"
    html = page(admin_client, url)
    assert "草稿：评分规则尚未冻结，结果仅供预览" in html
    assert html.count("有效票不足") >= 2  # no ballots yet: no scores, no ranks
    assert "评分规则已冻结" not in html
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    html = page(admin_client, url)  # same rules hash, same (zero) ballots: not the preview
    assert "评分规则已冻结" in html and "草稿" not in html


def test_plugin_sections_are_shown_as_markup(admin_client, app, voted, monkeypatch):
    """A scheme's sections: those for the page shown, as markup; those for the bulletin
    only, not."""
    scheme = registered_schemes()["satisfaction"]
    monkeypatch.setattr(type(scheme), "report_sections", lambda self, campaign, results, unit_id: [
        ReportSection("对照检查", f"<p class='plugin-mark'>{self.key} 附加</p>", ("page",)),
        ReportSection("仅用于通报", "<p>bulletin only</p>", ("bulletin",))])
    html = page(admin_client, f"/evaluator/campaigns/{voted.id}/results")
    assert "<h3>对照检查</h3>" in html
    assert "<p class='plugin-mark'>satisfaction 附加</p>" in html
    assert "bulletin only" not in html


def test_missing_scheme_plugin_is_named(admin_client, voted):
    rules = {**voted.rules, "schemes": {**voted.rules["schemes"],
                                        "not-installed": {"version": None, "config": {}}}}
    voted.rules, voted.rules_sha256 = rules, sha256(rules)
    db.session.commit()
    html = page(admin_client, f"/evaluator/campaigns/{voted.id}/results")
    assert "评分方案插件未安装" in html and "not-installed" in html
    assert len(ranking_tables(html)) == 2  # the installed scheme is still shown
