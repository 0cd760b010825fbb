"""Exports for statisticians, as they would open them: the anonymous ballots as CSV and the
per-unit detail sheets of the results workbook."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from dataclasses import replace

import openpyxl
import pytest
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.models import Ballot
from evalplatform.reports import labels
from evalplatform.reports.ballots_csv import MERGED_GROUP, ballots_csv
from evalplatform.reports.excel import results_workbook
from evalplatform.scoring.engine import campaign_results
from evalplatform.services import ServiceError, campaigns, codes
from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot
from evalplatform.testing import build_campaign, stored_answers

HYPERLINK = '=HYPERLINK("http://evil.example/","点我")'
UNIT_ROWS = [("办公室", "综合管理类"), ("政策法规科", "综合管理类"), (HYPERLINK, "执法监管类")]
STYLE_ITEMS = ["服务态度", "办事效率", "依法行政", "廉洁自律"]
# satisfaction5: 满意 100, 比较满意 80, 基本满意 60, 不太满意 40, 不满意 0, 不了解
LABELS = ["满意", "比较满意", "基本满意", "不太满意", "不满意", "不了解"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cast(campaign, code: str, choose) -> dict[tuple[str, str], int]:
    """Submit a ballot; ``choose(unit_name, item_label)`` gives the option index or None
    (unanswered). Returns what was chosen by (unit name, item label)."""
    q = questionnaire(campaign)
    answers, chosen = {}, {}
    for unit in q.units:
        for item in q.items:
            option = choose(unit.name, item.label)
            if option is not None:
                answers[(unit.id, item.id)] = option
                chosen[(unit.name, item.label)] = option
    submit_ballot(codes.hash_code(code), q, BallotInput(answers=answers))
    db.session.commit()
    return chosen


def close(campaign) -> None:
    campaigns.close_campaign(campaign, None)
    db.session.commit()


def vote(campaign, plaintext, plan: dict[str, int], seed: int = 0) -> list[tuple[str, dict]]:
    """Cast ``plan[group]`` ballots per group with varied choices; returns (group, chosen)."""
    cast_ = []
    for g, (group, count) in enumerate(plan.items()):
        for b in range(count):
            def choose(unit, item, b=b, g=g):
                return (seed + 3 * b + 2 * g + len(unit) + len(item)) % len(LABELS)
            cast_.append((group, cast(campaign, plaintext[group][b], choose)))
    return cast_


def as_exported(cast_, keys, merged=(), minimum: int = 5) -> Counter:
    """What the CSV should show of these ballots, worked out here on its own: per row its
    group (small groups pooled as one), and a unit's answers blank for a group (or the
    pool) with fewer than ``minimum`` valid votes (not 不了解, not unanswered) on any of
    the unit's items — the results suppress those, so the file must not show them."""
    label = {g: (MERGED_GROUP if g in merged else g) for g, _ in cast_}
    valid = Counter()
    for group, chosen in cast_:
        for key in keys:
            if key in chosen and LABELS[chosen[key]] != "不了解":
                valid[(label[group], key)] += 1
    units = list(dict.fromkeys(unit for unit, _ in keys))
    shown = {(lab, unit): min(valid[(lab, k)] for k in keys if k[0] == unit) >= minimum
             for lab in set(label.values()) for unit in units}
    return Counter((label[group], tuple(
        LABELS[chosen[k]] if k in chosen and shown[(label[group], k[0])] else "" for k in keys))
        for group, chosen in cast_)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def heads_for(campaign) -> list[str]:
    q = questionnaire(campaign)
    return [f"{u.name}｜{i.label}" for u in q.units for i in q.items]


def unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


@pytest.fixture
def style_campaign(app):
    campaign, plaintext = build_campaign(template="style", unit_rows=UNIT_ROWS,
                                         codes_per_group=7)
    return campaign, plaintext


def test_csv_is_one_row_per_ballot_with_the_options_chosen(style_campaign):
    campaign, plaintext = style_campaign
    cast_ = vote(campaign, plaintext, {"服务对象": 7, "机关干部": 5})
    q = questionnaire(campaign)
    close(campaign)

    export = ballots_csv(campaign)
    rows = read_csv(export.data)
    header, body = rows[0], rows[1:]
    assert header[:2] == ["序号", "评议主体"]
    assert [unescape(h) for h in header[2:]] == heads_for(campaign)
    assert len(header) == 2 + len(q.units) * len(q.items)
    assert not [h for h in header if any(w in h for w in ("代码", "访问码", "日期", "时间", "意见"))]
    assert len(body) == export.ballots == 12 and export.left_out == 0
    assert [r[0] for r in body] == [str(n) for n in range(1, 13)]
    assert all(len(r) == len(header) for r in body)

    # what a statistician sees per group is what was submitted (order is random), but for
    # a unit a group gave fewer than 5 valid votes: blank, as the results suppress it
    seen = Counter((r[1], tuple(r[2:])) for r in body)
    keys = [(u.name, i.label) for u in q.units for i in q.items]
    assert seen == as_exported(cast_, keys)
    blank = {(r[1], h.split("｜")[0]) for r in body for h, v in zip(header[2:], r[2:], strict=True)
             if v == ""}
    assert blank and export.blanked == len(blank)
    assert f"{len(blank)} 处“单位 × 评议主体”的有效票不足5张" in export.note


def test_csv_written_block_by_block_is_the_same_file(style_campaign, monkeypatch):
    """Big campaigns are written a block of ballots at a time; the blocks join up."""
    from evalplatform.reports import ballots_csv as module

    campaign, plaintext = style_campaign
    vote(campaign, plaintext, {"服务对象": 7, "机关干部": 5})
    close(campaign)
    whole = ballots_csv(campaign).data
    monkeypatch.setattr(module, "CSV_BLOCK", 5)
    assert ballots_csv(campaign).data == whole
    assert [r[0] for r in read_csv(whole)[1:]] == [str(n) for n in range(1, 13)]


def test_csv_rows_follow_the_random_ballot_ids_and_never_print_them(style_campaign):
    campaign, plaintext = style_campaign
    rng = random.Random(1)
    for code in plaintext["服务对象"][:6] + plaintext["机关干部"][:5]:  # every cell shown
        cast(campaign, code, lambda unit, item: rng.randrange(5))
    close(campaign)
    body = read_csv(ballots_csv(campaign).data)[1:]
    q = questionnaire(campaign)
    cells = [(u.id, i.id) for u in q.units for i in q.items]
    ids = db.session.scalars(select(Ballot.id).where(Ballot.campaign_id == campaign.id)
                             .order_by(Ballot.id)).all()
    expected = []
    for ballot_id in ids:
        chosen = stored_answers(ballot_id)
        expected.append([LABELS[chosen[c]] for c in cells])
    assert [r[2:] for r in body] == expected
    text = "\n".join(",".join(r) for r in body)
    assert not [i for i in ids if str(i) in text]


def test_unanswered_cells_are_empty(style_campaign):
    campaign, plaintext = style_campaign
    skip = ("政策法规科", "廉洁自律")
    for code in plaintext["服务对象"][:5]:
        cast(campaign, code, lambda unit, item: None if (unit, item) == skip else 0)
    close(campaign)
    header, *body = read_csv(ballots_csv(campaign).data)
    column = header.index("政策法规科｜廉洁自律")
    assert {r[column] for r in body} == {""}
    assert {r[header.index("办公室｜廉洁自律")] for r in body} == {"满意"}


def test_small_groups_are_merged_and_not_named(app):
    campaign, plaintext = build_campaign(
        groups=(("服务对象", 0.5), ("人大代表", 0.3), ("政协委员", 0.2)), codes_per_group=6,
        unit_rows=UNIT_ROWS[:2])
    cast_ = vote(campaign, plaintext, {"服务对象": 6, "人大代表": 3, "政协委员": 2})
    close(campaign)
    export = ballots_csv(campaign)
    text = export.data.decode("utf-8-sig")
    body = read_csv(export.data)[1:]
    assert Counter(r[1] for r in body) == {"服务对象": 6, MERGED_GROUP: 5}
    assert "人大代表" not in text and "政协委员" not in text
    assert export.ballots == 11 and export.left_out == 0
    assert export.merged_groups == ("人大代表", "政协委员")
    assert MERGED_GROUP in export.note and "不足5张" in export.note
    # the pooled ballots are the small groups' ballots, unchanged but where the pool has
    # fewer than 5 valid votes for a unit
    q = questionnaire(campaign)
    keys = [(u.name, i.label) for u in q.units for i in q.items]
    assert Counter((r[1], tuple(r[2:])) for r in body) == as_exported(
        cast_, keys, merged=("人大代表", "政协委员"))


def test_a_group_with_few_valid_votes_for_a_unit_is_blank_for_that_unit(app):
    """The results suppress 机关干部 for 办公室 (3 valid votes of 6 ballots, 3 不了解) but
    show it for 政策法规科: the file blanks exactly that, 不了解 included, so neither the
    three votes nor how many did not know can be read off it."""
    campaign, plaintext = build_campaign(codes_per_group=6, unit_rows=UNIT_ROWS[:2])
    for code in plaintext["服务对象"]:
        cast(campaign, code, lambda unit, item: 1)
    for k, code in enumerate(plaintext["机关干部"]):
        cast(campaign, code, lambda unit, item, k=k: (4 if k < 3 else 5) if unit == "办公室" else 2)
    close(campaign)
    export = ballots_csv(campaign)
    header, *body = read_csv(export.data)
    office, law = header.index("办公室｜总体满意度"), header.index("政策法规科｜总体满意度")
    staff = [r for r in body if r[1] == "机关干部"]
    assert len(staff) == 6 and {r[office] for r in staff} == {""}
    assert {r[law] for r in staff} == {"基本满意"}
    assert {r[office] for r in body if r[1] == "服务对象"} == {"比较满意"}
    staff_cell = next(g for g in campaign_results(campaign).schemes["satisfaction"].units[0].groups
                      if g.group == "机关干部")
    assert staff_cell.suppressed and export.blanked == 1


def test_a_small_group_alone_is_left_out(app):
    campaign, plaintext = build_campaign(codes_per_group=6, unit_rows=UNIT_ROWS[:2])
    vote(campaign, plaintext, {"服务对象": 6, "机关干部": 2})
    close(campaign)
    export = ballots_csv(campaign)
    body = read_csv(export.data)[1:]
    assert {r[1] for r in body} == {"服务对象"} and len(body) == 6
    assert "机关干部" not in export.data.decode("utf-8-sig")
    assert MERGED_GROUP not in export.data.decode("utf-8-sig")
    assert export.ballots == 6 and export.left_out == 2
    assert export.merged_groups == ("机关干部",)
    assert "2 张评议票未导出" in export.note and "机关干部" in export.note


@pytest.mark.parametrize("status", ["draft", "open"])
def test_no_ballots_before_the_campaign_closes(app, status):
    campaign, plaintext = build_campaign(status=status, unit_rows=UNIT_ROWS[:2])
    if status == "open":
        vote(campaign, plaintext, {"服务对象": 5})
    with pytest.raises(ServiceError, match="结束后"):
        ballots_csv(campaign)


def test_a_closed_campaign_without_ballots_is_a_header(app):
    campaign, _ = build_campaign(status="closed", unit_rows=UNIT_ROWS[:2])
    export = ballots_csv(campaign)
    assert read_csv(export.data) == [["序号", "评议主体", "办公室｜总体满意度", "政策法规科｜总体满意度"]]
    assert export.ballots == 0 and export.left_out == 0


def test_csv_neutralises_formulas_in_user_text(app):
    campaign, plaintext = build_campaign(groups=(("@干部", 1.0),), codes_per_group=5,
                                         unit_rows=UNIT_ROWS)
    vote(campaign, plaintext, {"@干部": 5})
    close(campaign)
    rows = read_csv(ballots_csv(campaign).data)
    assert f"'{HYPERLINK}｜总体满意度" in rows[0]
    assert {r[1] for r in rows[1:]} == {"'@干部"}
    assert not [c for r in rows for c in r if c.startswith(FORMULA_START)]


# -- the workbook's per-unit detail sheets ---------------------------------------------------

def sheet_rows(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def detail_table(ws) -> tuple[list[str], list[dict]]:
    rows = sheet_rows(ws)
    start = next(n for n, r in enumerate(rows) if r[:3] == ["类别", "排名", "单位"])
    heads = rows[start]
    return heads, [dict(zip(heads, r, strict=True)) for r in rows[start + 1:] if r[2] is not None]


@pytest.fixture
def voted_style(style_campaign):
    """服务对象: 6 ballots (shown); 机关干部: 2 ballots (under 5: suppressed)."""
    campaign, plaintext = style_campaign
    vote(campaign, plaintext, {"服务对象": 6, "机关干部": 2})
    close(campaign)
    return campaign


def test_workbook_has_a_detail_sheet_per_scheme(voted_style):
    results = campaign_results(voted_style)
    wb = openpyxl.load_workbook(io.BytesIO(results_workbook(results)))
    assert wb.sheetnames == ["参评情况", "满意度测评", "满意度测评·单位明细"]
    heads, units = detail_table(wb["满意度测评·单位明细"])
    assert heads == ["类别", "排名", "单位", "得分", "等次", "服务对象 得分", "机关干部 得分",
                     *[f"{item} 得分" for item in STYLE_ITEMS], "有效票", "不了解"]
    scheme = results.schemes["satisfaction"]
    expected = [u for _, us in scheme.by_category() for u in us]
    assert [u["单位"] for u in units] == [
        "'" + u.unit if u.unit.startswith("=") else u.unit for u in expected]
    assert [u["类别"] for u in units] == [u.category for u in expected]
    hidden = labels.suppressed(5)
    for row, unit in zip(units, expected, strict=True):
        # the suppressed group: the text, never a number
        assert row["机关干部 得分"] == hidden
        shown = unit.groups[0]
        assert row["服务对象 得分"] == (pytest.approx(shown.score) if shown.score is not None
                                     else labels.NO_SCORE)
        for item in unit.items:
            assert row[f"{item.item} 得分"] == (pytest.approx(item.score) if item.score is not None
                                              else hidden)
        assert (row["有效票"], row["不了解"]) == (unit.valid_votes, unit.abstentions)
        assert row["得分"] == (pytest.approx(unit.score) if unit.score is not None
                             else labels.NO_SCORE)
    # the ranking sheet is as before
    ranking = sheet_rows(wb["满意度测评"])
    assert any(r[:2] == ["排名", "单位"] for r in ranking)


def test_detail_sheet_suppresses_items_when_no_group_counts(app):
    campaign, plaintext = build_campaign(template="style", unit_rows=UNIT_ROWS[:2])
    vote(campaign, plaintext, {"服务对象": 3, "机关干部": 4})
    close(campaign)
    wb = openpyxl.load_workbook(io.BytesIO(results_workbook(campaign_results(campaign))))
    ws = wb["满意度测评·单位明细"]
    _, units = detail_table(ws)
    hidden = labels.suppressed(5)
    for row in units:
        for column in ["服务对象 得分", "机关干部 得分", *[f"{i} 得分" for i in STYLE_ITEMS]]:
            assert row[column] == hidden
        assert row["得分"] == labels.NO_SCORE
    # nowhere a number where a suppressed value would be, and nothing runs as a formula
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]


def test_detail_sheet_of_a_scheme_not_scored_from_ballots(voted_style):
    results = campaign_results(voted_style)
    scheme = results.schemes["satisfaction"]
    checklist = replace(scheme, key="checklist", title="对照检查", from_ballots=False)
    results = replace(results, schemes={"checklist": checklist})
    wb = openpyxl.load_workbook(io.BytesIO(results_workbook(results)))
    heads, units = detail_table(wb["对照检查·单位明细"])
    assert heads == ["类别", "排名", "单位", "得分", "等次"]
    assert len(units) == len(scheme.units)


def test_detail_sheet_titles_fit_and_stay_unique(voted_style):
    results = campaign_results(voted_style)
    scheme = results.schemes["satisfaction"]
    long_title = "二〇二六年度全市机关作风建设和营商环境综合满意度测评方案"
    results = replace(results, schemes={
        "a": replace(scheme, title=long_title), "b": replace(scheme, key="b", title=long_title)})
    wb = openpyxl.load_workbook(io.BytesIO(results_workbook(results)))
    names = wb.sheetnames
    assert len(names) == len(set(names)) == 5
    assert all(len(n) <= 31 for n in names)
    assert sum(n.endswith("·单位明细") for n in names) == 2


def test_the_csv_download_says_its_charset_once(evaluator_client, style_campaign):
    campaign, plaintext = style_campaign
    vote(campaign, plaintext, {"服务对象": 5})
    close(campaign)
    response = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/ballots.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
