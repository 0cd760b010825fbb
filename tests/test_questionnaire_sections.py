"""A questionnaire in sections, routed by rater group: each group is asked only its units
and sections, its ballot stores only that, and the results count only that — checked
against figures worked out by hand from the ballots cast, not by the code under test."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from evalplatform.errors import ServiceError
from evalplatform.extensions import db
from evalplatform.models import AccessCode, Ballot, Campaign, Section
from evalplatform.models.codes import CODE_NEW
from evalplatform.scoring.engine import campaign_results
from evalplatform.services import campaigns, sections
from evalplatform.testing import build_campaign, cast_ballot, close, csrf_token

WINDOW = "行政审批服务窗口"
OFFICE = "办公室"
PROBLEMS = ["门难进", "脸难看", "话难听", "事难办"]
ADVICE = ["提拔使用", "继续留任", "调整岗位"]


def routed_campaign(codes_per_group: int = 6):
    """服务对象 rate the window unit only and answer 查摆问题; 机关干部 rate every unit and
    also answer a section of their own; 服务对象 weigh 0.9 for 服务窗口类 (差别权重)."""
    campaign, plaintext = build_campaign(status="draft", codes_per_group=codes_per_group,
                                         groups=(("服务对象", 0.6), ("机关干部", 0.4)))
    public, staff = campaign.groups
    matrix = campaigns.default_matrix(campaign)
    sections.set_routes(matrix, [{"groups": [public.id], "categories": ["服务窗口类"]},
                                 {"groups": [staff.id]}], None)
    problems = sections.create_section(campaign, "查摆问题", [], None)
    multiple = sections.add_question(problems, "multiple", "机关作风存在的主要问题（可多选）", None,
                                     options=PROBLEMS, maximum=2)
    text = sections.add_question(problems, "text", "意见建议", None, required=False,
                                 max_length=50)
    own = sections.create_section(campaign, "干部评价", [staff.id], None)
    single = sections.add_question(own, "single", "任职建议", None, options=ADVICE)
    number = sections.add_question(own, "number", "近一年办事次数", None, minimum=0, maximum=100)
    sections.set_category_weights(campaign, {"服务窗口类": {public.id: 0.9}}, None)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    ids = {"multiple": multiple.id, "text": text.id, "single": single.id, "number": number.id}
    return campaign, plaintext, ids


def cast_all(campaign, plaintext, ids):
    """服务对象 k: the window 满意 (k < 4) or 不满意; problems (门难进, 脸难看) for even k,
    (话难听) for odd; a text. 机关干部 k: every unit option k % 3 (满意, 比较满意, 基本满意);
    problems (门难进); advice k % 3; number 2k."""
    for k, code in enumerate(plaintext["服务对象"]):
        cast_ballot(campaign, code, lambda unit, item, k=k: 0 if k < 4 else 4,
                    choices={ids["multiple"]: (0, 1) if k % 2 == 0 else (2,),
                             ids["text"]: f"意见{k}"})
    for k, code in enumerate(plaintext["机关干部"]):
        cast_ballot(campaign, code, lambda unit, item, k=k: k % 3,
                    choices={ids["multiple"]: (0,), ids["single"]: k % 3, ids["number"]: 2 * k})


def test_each_group_stores_only_what_it_is_asked(app):
    campaign, plaintext, ids = routed_campaign()
    cast_all(campaign, plaintext, ids)
    widths = {}
    for group_id, cells in db.session.execute(select(Ballot.rater_group_id, Ballot.cells)):
        widths.setdefault(group_id, set()).add(len(cells))
    public, staff = campaign.groups
    # 服务对象: one matrix cell (the window), 4 option bytes of the multiple choice;
    # 机关干部: 4 cells, 4 option bytes, 1 single-choice byte, 4 bytes of the number
    assert widths == {public.id: {5}, staff.id: {13}}


def test_scores_count_only_routed_groups_with_their_category_weights(app):
    campaign, plaintext, ids = routed_campaign()
    cast_all(campaign, plaintext, ids)
    close(campaign)
    result = campaign_results(campaign, use_cache=False).schemes["satisfaction"]
    by_name = {u.unit: u for u in result.units}
    public_window = (4 * 100 + 2 * 0) / 6  # 满意 100, 不满意 0
    staff_mean = (100 + 80 + 60) * 2 / 6  # 满意, 比较满意, 基本满意 twice each
    window = by_name[WINDOW]
    assert window.score == pytest.approx((0.9 * public_window + 0.4 * staff_mean) / 1.3)
    office = by_name[OFFICE]
    assert office.score == pytest.approx(staff_mean)  # 服务对象 were not asked about it
    cells = {g.group: g for g in office.groups}
    assert not cells["服务对象"].routed and not cells["服务对象"].counted
    assert cells["机关干部"].routed and cells["机关干部"].valid_votes == 6
    assert {g.group: g.weight for g in window.groups} == {"服务对象": 0.9, "机关干部": 0.4}


def test_choices_numbers_and_texts_are_tallied_per_group_and_in_total(app):
    campaign, plaintext, ids = routed_campaign()
    cast_all(campaign, plaintext, ids)
    close(campaign)
    questions = {q.id: q for q in campaign_results(campaign, use_cache=False).questions}
    multiple = questions[ids["multiple"]]
    assert multiple.answered == 12
    assert multiple.counts == [3 + 6, 3, 3, 0]
    assert [g.counts for g in multiple.groups] == [[3, 3, 3, 0], [6, 0, 0, 0]]
    assert multiple.ranked[0] == ("门难进", 9, 9 / 12)
    single = questions[ids["single"]]
    assert [g.group for g in single.groups] == ["机关干部"]  # only they were asked
    assert single.counts == [2, 2, 2]
    number = questions[ids["number"]]
    assert number.mean == pytest.approx(sum(2 * k for k in range(6)) / 6)
    assert number.median == pytest.approx(5)
    assert questions[ids["text"]].texts == sorted(f"意见{k}" for k in range(6))
    data = campaign_results(campaign, use_cache=False).to_json()
    assert data["questions"][0]["counts"] == [9, 3, 3, 0]


def test_a_group_below_the_minimum_is_left_out_of_every_tally(app):
    campaign, plaintext, ids = routed_campaign(codes_per_group=6)
    for k, code in enumerate(plaintext["服务对象"][:3]):  # 3 < min_group_size (5)
        cast_ballot(campaign, code, lambda unit, item: 0,
                    choices={ids["multiple"]: (3,), ids["text"]: f"只有三人{k}"})
    for k, code in enumerate(plaintext["机关干部"]):
        cast_ballot(campaign, code, lambda unit, item: 1,
                    choices={ids["multiple"]: (0,), ids["single"]: 0, ids["number"]: k})
    close(campaign)
    questions = {q.id: q for q in campaign_results(campaign, use_cache=False).questions}
    multiple = questions[ids["multiple"]]
    public = multiple.groups[0]
    assert public.suppressed and public.answered is None and public.counts is None
    assert multiple.answered == 6 and multiple.counts == [6, 0, 0, 0]  # 事难办 ×3 left out
    assert questions[ids["text"]].texts == [] and questions[ids["text"]].answered is None


def test_the_respondent_sees_only_the_sections_and_units_of_the_group(app, client):
    campaign, plaintext, ids = routed_campaign()
    client.get(f"/s/{plaintext['服务对象'][0]}")
    page = client.get("/survey").get_data(as_text=True)
    assert WINDOW in page and OFFICE not in page
    assert "机关作风存在的主要问题" in page and "任职建议" not in page
    client.get(f"/s/{plaintext['机关干部'][0]}")
    page = client.get("/survey").get_data(as_text=True)
    assert WINDOW in page and OFFICE in page and "任职建议" in page


@pytest.mark.parametrize("bad, message", [
    ("unrouted", "不属于您的评议表"),
    ("too_many", "最多选 2 项"),
    ("too_long", "不超过 50 字"),
    ("unknown", "选项无效"),
    ("missing", "请回答"),
])
def test_a_bad_answer_is_refused_with_a_message_and_nothing_is_stored(app, client, bad,
                                                                       message):
    campaign, plaintext, ids = routed_campaign()
    code = plaintext["服务对象"][0]
    client.get(f"/s/{code}")
    page = client.get("/survey").get_data(as_text=True)
    window = next(u for u in campaign.units if u.name == WINDOW)
    office = next(u for u in campaign.units if u.name == OFFICE)
    item = campaign.items[0]
    form = {"csrf_token": csrf_token(page), f"a-{window.id}-{item.id}": "0",
            f"q-{ids['multiple']}": ["0", "1"], f"q-{ids['text']}": "好"}
    if bad == "unrouted":
        form[f"a-{office.id}-{item.id}"] = "0"
    elif bad == "too_many":
        form[f"q-{ids['multiple']}"] = ["0", "1", "2"]
    elif bad == "too_long":
        form[f"q-{ids['text']}"] = "长" * 51
    elif bad == "unknown":
        form[f"q-{ids['multiple']}"] = ["9"]
    else:
        del form[f"q-{ids['multiple']}"]
    response = client.post("/survey", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    assert db.session.scalar(select(func.count()).where(AccessCode.status == CODE_NEW)) == 12
    form.update({f"q-{ids['multiple']}": ["0", "1"], f"q-{ids['text']}": "好"})
    form.pop(f"a-{office.id}-{item.id}", None)
    assert client.post("/survey", data=form).status_code == 303  # the good ballot is stored
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_rules_freeze_the_sections_routes_and_weights(app):
    campaign, _, ids = routed_campaign()
    rules = db.session.get(Campaign, campaign.id).rules
    public, staff = campaign.groups
    window = next(u for u in campaign.units if u.name == WINDOW)
    matrix = rules["sections"][0]["questions"][0]
    assert matrix["routes"][0] == {"groups": [public.id], "units": [window.id],
                                   "categories": ["服务窗口类"]}
    assert rules["sections"][2]["groups"] == [staff.id]
    assert rules["category_weights"] == {"服务窗口类": {str(public.id): 0.9}}
    question = rules["sections"][1]["questions"][0]
    assert question["max"] == 2 and question["id"] == ids["multiple"]


def test_the_results_page_shows_the_findings_and_who_was_not_asked(app, evaluator_client):
    campaign, plaintext, ids = routed_campaign()
    cast_all(campaign, plaintext, ids)
    close(campaign)
    page = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results").get_data(
        as_text=True)
    assert "机关作风存在的主要问题" in page and "门难进" in page and "意见3" in page
    office = next(u for u in campaign.units if u.name == OFFICE)
    unit_page = evaluator_client.get(
        f"/evaluator/campaigns/{campaign.id}/results/satisfaction/units/{office.id}").get_data(
        as_text=True)
    assert "不评议该单位" in unit_page and "不足5人" not in unit_page


def test_sections_questions_and_items_move_and_the_frozen_order_follows(app):
    campaign, _ = build_campaign(status="draft", template="style")
    first = campaigns.default_matrix(campaign).section
    second = sections.create_section(campaign, "查摆问题", [], None)
    a = sections.add_question(second, "single", "甲", None, options=["是", "否"])
    b = sections.add_question(second, "text", "乙", None)
    sections.move(second, -1, None)
    sections.move(b, -1, None)
    matrix = campaigns.default_matrix(campaign)
    labels = [i.label for i in matrix.items]
    sections.move(matrix.items[-1], -1, None)
    sections.move(matrix.items[0], -1, None)  # already first: nothing moves
    db.session.commit()
    from evalplatform.scoring.rules import current_rules

    rules = current_rules(db.session.get(Campaign, campaign.id), {})
    assert [s["id"] for s in rules["sections"]] == [second.id, first.id]
    assert [q["id"] for q in rules["sections"][0]["questions"]] == [b.id, a.id]
    assert [i["label"] for i in rules["items"]] == labels[:-2] + [labels[-1], labels[-2]]


def test_a_bad_question_is_refused_and_changes_nothing(app):
    campaign, _ = build_campaign(status="draft")
    section = sections.create_section(campaign, "查摆问题", [], None)
    db.session.commit()
    for kind, kwargs, field_name in [
            ("single", {"options": ["只有一个"]}, "options"),
            ("multiple", {"options": ["甲", "乙"], "maximum": 3}, "maximum"),
            ("multiple", {"options": ["甲", "甲"]}, "options"),
            ("text", {"max_length": 5000}, "max_length"),
            ("number", {"minimum": 5, "maximum": 1}, "maximum"),
            ("grid", {}, "kind")]:
        with pytest.raises(ServiceError) as refused:
            sections.add_question(section, kind, "题目", None, **kwargs)
        assert refused.value.field == field_name
        db.session.rollback()
    assert db.session.get(Section, section.id).questions == []
    with pytest.raises(ServiceError):
        sections.set_routes(campaigns.default_matrix(campaign), [{"categories": ["无此序列"]}],
                            None)


def test_the_same_text_asked_twice_is_flagged_and_a_schemes_section_is_its_own(app):
    campaign, _ = build_campaign(status="draft", template="style")
    section = sections.create_section(campaign, "其他", [], None)
    sections.add_question(section, "single", "服务态度", None, options=["好", "不好"])
    assert sections.duplicate_texts(campaign) == ["服务态度"]
    question = sections.add_question(section, "text", "意见建议", None)
    sections.update_question(question, "其他意见", None, required=False, max_length=100)
    assert question.settings == {"max_length": 100} and not question.required
    sections.delete_question(question, None)
    assert [q.label for q in section.questions] == ["服务态度"]
    sections.delete_section(section, None)
    assert len(campaign.sections) == 1


def test_each_category_heads_its_table_with_its_own_weights(app, evaluator_client):
    campaign, plaintext, ids = routed_campaign()
    cast_all(campaign, plaintext, ids)
    close(campaign)
    page = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results").get_data(
        as_text=True)
    windows = page[page.index("服务窗口类"):page.index(WINDOW)]
    offices = page[page.index("综合管理类"):page.index("服务窗口类")]
    assert "权重 90%" in windows and "权重 40%" in windows  # 差别权重 of 服务对象
    # 服务对象 are asked about no office: the offices' table has no column for them
    assert "服务对象" not in offices and "权重 40%" in offices


def test_the_ballots_csv_and_the_workbook_carry_choices_and_numbers_never_texts(app):
    import csv
    import io

    from openpyxl import load_workbook

    from evalplatform.reports.ballots_csv import ballots_csv
    from evalplatform.reports.excel import results_workbook

    campaign, plaintext, ids = routed_campaign()
    cast_all(campaign, plaintext, ids)
    close(campaign)
    rows = list(csv.DictReader(io.StringIO(ballots_csv(campaign).data.decode("utf-8-sig"))))
    heads = list(rows[0])
    assert [h for h in heads if h.startswith("机关作风")] == [
        f"机关作风存在的主要问题（可多选）｜{p}" for p in PROBLEMS]
    assert "任职建议" in heads and "近一年办事次数" in heads and "意见建议" not in heads
    assert not any("意见" in value for row in rows for value in row.values())
    public = [r for r in rows if r["评议主体"] == "服务对象"]
    staff = [r for r in rows if r["评议主体"] == "机关干部"]
    picked = sorted(tuple(r[f"机关作风存在的主要问题（可多选）｜{p}"] for p in PROBLEMS) for r in public)
    assert picked == sorted([("1", "1", "0", "0")] * 3 + [("0", "0", "1", "0")] * 3)
    assert {r["任职建议"] for r in public} == {""}  # not asked
    assert sorted(r["任职建议"] for r in staff) == sorted(ADVICE * 2)
    assert sorted(int(r["近一年办事次数"]) for r in staff) == [0, 2, 4, 6, 8, 10]

    book = load_workbook(io.BytesIO(results_workbook(campaign_results(campaign,
                                                                      use_cache=False))))
    sheet = [[c for c in row if c is not None] for row in book["其他题目"].values]
    assert ["门难进", 9, 0.75, 3, 6] in sheet  # ranked first: 9 of the 12 who answered
    assert ["平均数", 5.0, "中位数", 5.0] in sheet
    assert sorted(row[0] for row in sheet if len(row) == 1 and str(row[0]).startswith("意见")
                  ) == sorted(f"意见{k}" for k in range(6))


def test_the_bulletin_names_the_problems_raised_most(app):
    from evalplatform.reports.bulletin import bulletin_html
    from evalplatform.reports.pdf import render_pdf
    from evalplatform.testing.pdfcheck import flat, page_texts

    campaign, plaintext, ids = routed_campaign()
    cast_all(campaign, plaintext, ids)
    close(campaign)
    text = flat("".join(page_texts(render_pdf(bulletin_html(campaign)))))
    # 门难进 9 of 12 (75.0%), then 脸难看 and 话难听 3 each (25.0%, in the options' order)
    assert ("群众反映最集中的问题对“机关作风存在的主要问题（可多选）”（12人回答），反映最集中的是："
            "门难进（9人，75.0%）、脸难看（3人，25.0%）、话难听（3人，25.0%）。") in text
    assert "事难办" not in text.split("群众反映最集中的问题")[1].split("。")[0]  # chosen by none
    assert "意见0" not in text  # open answers are never circulated


def test_an_unscored_item_is_reported_as_shares_per_unit(app, evaluator_client):
    """任职建议 about each unit on an unscored scale: no scheme scores it; each unit's
    shares pool the groups with at least five choices about it."""
    import io

    from openpyxl import load_workbook

    from evalplatform.reports.excel import results_workbook
    from evalplatform.services import scales

    campaign, plaintext = build_campaign(status="draft", codes_per_group=6)
    public, staff = campaign.groups
    scale = scales.save_scale(None, "任职建议", [
        *({"label": label} for label in ADVICE), {"label": "不了解", "abstain": True}], "", None)
    matrix = campaigns.default_matrix(campaign)
    item = campaigns.add_item(campaign, "任职建议", scale.ref, True, None, matrix)
    sections.set_routes(matrix, [{"groups": [public.id], "categories": ["服务窗口类"]},
                                 {"groups": [staff.id]}], None)
    assert item.scheme is None and {r.scheme for r in campaign.schemes} == {"satisfaction"}
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    # 服务对象 (6): the window 提拔使用 ×4, 继续留任 ×2; 机关干部: 5 of 6 give 调整岗位 about
    # every unit, one 不了解 (so 5 choices: they count)
    for k, code in enumerate(plaintext["服务对象"]):
        cast_ballot(campaign, code, lambda unit, it, k=k: (0 if k < 4 else 1)
                    if it.id == item.id else 0)
    for k, code in enumerate(plaintext["机关干部"]):
        cast_ballot(campaign, code, lambda unit, it, k=k: (2 if k < 5 else 3)
                    if it.id == item.id else 0)
    close(campaign)
    results = campaign_results(campaign, use_cache=False)
    assert item.id not in {i.item for s in results.schemes.values() for u in s.units
                           for i in u.items}
    (advice,) = results.unscored
    assert advice.options == ["提拔使用", "继续留任", "调整岗位"]
    by_unit = {u.unit: u for u in advice.units}
    window = by_unit[WINDOW]
    assert (window.answered, window.counts) == (11, [4, 2, 5])
    assert window.shares == pytest.approx([4 / 11, 2 / 11, 5 / 11])
    office = by_unit[OFFICE]
    assert (office.answered, office.counts) == (5, [0, 0, 5])  # 服务对象 not asked
    assert [g.routed for g in office.groups] == [False, True]
    data = results.to_json()["unscored_items"][0]
    assert data["units"][0]["shares"] is not None
    page = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results").get_data(
        as_text=True)
    section = page[page.index('id="unscored-'):]
    assert "36.4%" in section and "45.5%" in section  # 4/11, 5/11
    unit_page = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/results/satisfaction/"
                                     f"units/{window.unit_id}").get_data(as_text=True)
    assert "任职建议" in unit_page and "36.4%" in unit_page and "11 人选择" in unit_page
    book = load_workbook(io.BytesIO(results_workbook(results)))
    rows = [[c for c in row if c is not None] for row in book["不计分项目"].values]
    (row,) = [r for r in rows if r[:2] == ["服务窗口类", WINDOW]]
    assert row[2:] == [11, pytest.approx(4 / 11), pytest.approx(2 / 11), pytest.approx(5 / 11)]


def test_a_units_report_gives_its_unscored_shares(app):
    from evalplatform.models import Unit
    from evalplatform.reports.unit_report import unit_report_pdf
    from evalplatform.services import scales
    from evalplatform.testing.pdfcheck import flat, page_texts

    campaign, plaintext = build_campaign(status="draft", codes_per_group=5)
    scale = scales.save_scale(None, "任职建议", [{"label": label} for label in ADVICE], "", None)
    item = campaigns.add_item(campaign, "任职建议", scale.ref, True, None)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    for k, code in enumerate(plaintext["服务对象"]):  # 提拔使用 ×3, 继续留任 ×2
        cast_ballot(campaign, code, lambda unit, it, k=k: (0 if k < 3 else 1)
                    if it.id == item.id else 0)
    for code in plaintext["机关干部"][:4]:  # 4 < 5: not counted
        cast_ballot(campaign, code, lambda unit, it: 2 if it.id == item.id else 0)
    close(campaign)
    window = db.session.scalar(select(Unit).where(Unit.name == WINDOW))
    text = flat("".join(page_texts(unit_report_pdf(campaign, window).data)))
    assert "不计分项目任职建议：5人选择，提拔使用60.0%、继续留任40.0%、调整岗位0.0%。" in text
