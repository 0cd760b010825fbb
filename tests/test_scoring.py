"""Scoring rules checked against numbers computed by hand (DOMAIN.md)."""

from __future__ import annotations

import pytest

from evalplatform.scoring.appraisal import AppraisalScheme
from evalplatform.scoring.satisfaction import SatisfactionScheme
from evalplatform.services import ServiceError
from tests.scoring_helpers import make_cube

SAT, APP = SatisfactionScheme(), AppraisalScheme()
ONE_GROUP = [("服务对象", 1.0)]


def units_of(result):
    return {u.unit: u for u in result.units}


def test_satisfaction_score_rate_and_abstentions():
    # 满意×3 (100) 比较满意×2 (80) 不了解×1: valid 5, score (300+160)/5 = 92, rate 5/5
    cube = make_cube([("办公室", "综合")], ONE_GROUP,
                     {("办公室", "服务对象"): ["满意"] * 3 + ["比较满意"] * 2 + ["不了解"]})
    unit = SAT.evaluate(cube, {}).result.units[0]
    assert unit.score == pytest.approx(92.0)
    assert unit.satisfaction_rate == pytest.approx(1.0)
    assert unit.valid_votes == 5 and unit.abstentions == 1
    assert unit.grade == "满意" and unit.rank == 1 and unit.ranked_in == 1
    # 满意 基本满意 不太满意 不满意 不满意 不了解×2: score (100+60+40+0+0)/5 = 40, rate 2/5
    cube = make_cube([("科室", "综合")], ONE_GROUP,
                     {("科室", "服务对象"): ["满意", "基本满意", "不太满意", "不满意", "不满意",
                                          "不了解", "不了解"]})
    unit = SAT.evaluate(cube, {}).result.units[0]
    assert unit.score == pytest.approx(40.0) and unit.satisfaction_rate == pytest.approx(0.4)
    assert unit.grade == "不满意"


def test_abstentions_do_not_count_towards_the_minimum_group_size():
    # 4 valid votes and 3 不了解: below the minimum of 5, so suppressed
    cube = make_cube([("办公室", "综合")], ONE_GROUP,
                     {("办公室", "服务对象"): ["满意"] * 4 + ["不了解"] * 3})
    unit = SAT.evaluate(cube, {}).result.units[0]
    assert unit.score is None and unit.rank is None and unit.satisfaction_rate is None
    assert unit.flags == ["too_few_raters"]
    assert unit.groups[0].suppressed and unit.groups[0].score is None
    # not even how many valid votes it has (that would tell how many said 不了解)
    assert unit.groups[0].valid_votes is None and unit.valid_votes == 0
    assert unit.abstentions == 0


def test_weights_renormalise_over_groups_that_meet_the_minimum():
    groups = [("服务对象", 0.5), ("企业代表", 0.3), ("机关干部", 0.2)]
    votes = {("窗口", "服务对象"): ["满意"] * 6,            # 100
             ("窗口", "企业代表"): ["基本满意"] * 5,         # 60
             ("窗口", "机关干部"): ["不满意"] * 4}           # 0, but only 4 votes: suppressed
    unit = SAT.evaluate(make_cube([("窗口", "服务")], groups, votes), {}).result.units[0]
    # (0.5*100 + 0.3*60) / (0.5 + 0.3) = 68 / 0.8 = 85
    assert unit.score == pytest.approx(85.0)
    cells = {c.group: c for c in unit.groups}
    assert cells["机关干部"].suppressed and cells["机关干部"].score is None
    assert cells["企业代表"].score == pytest.approx(60.0)
    # satisfaction rate pools the counted groups only: (6 + 5) / (6 + 5)
    assert unit.satisfaction_rate == pytest.approx(1.0)
    # with the fifth vote the third group counts: (50 + 18 + 0) / 1.0 = 68
    votes[("窗口", "机关干部")] = ["不满意"] * 5
    unit = SAT.evaluate(make_cube([("窗口", "服务")], groups, votes), {}).result.units[0]
    assert unit.score == pytest.approx(68.0)
    assert unit.satisfaction_rate == pytest.approx(11 / 16)


def test_ties_share_a_rank_1224_within_each_category():
    units = [("甲", "A"), ("乙", "A"), ("丙", "A"), ("丁", "A"), ("戊", "B")]
    votes = {("甲", "服务对象"): ["满意"] * 5,                          # 100
             ("乙", "服务对象"): ["比较满意"] * 5,                      # 80
             ("丙", "服务对象"): ["满意", "基本满意"] * 2 + ["比较满意"],   # 80
             ("丁", "服务对象"): ["基本满意"] * 5,                      # 60
             ("戊", "服务对象"): ["不满意"] * 5}                        # 0, alone in B
    result = SAT.evaluate(make_cube(units, ONE_GROUP, votes), {}).result
    ranks = {u.unit: u.rank for u in result.units}
    assert ranks == {"甲": 1, "乙": 2, "丙": 2, "丁": 4, "戊": 1}
    assert units_of(result)["戊"].ranked_in == 1
    assert [name for name, _ in result.by_category()] == ["A", "B"]


def test_ties_are_judged_on_published_decimals():
    units = [("甲", "A"), ("乙", "A"), ("丙", "A")]
    votes = {("甲", "服务对象"): ["比较满意"] * 2 + ["基本满意"] * 4,    # 400/6 = 66.67
             ("乙", "服务对象"): ["比较满意"] * 9 + ["基本满意"] * 16,   # 1680/25 = 67.20
             ("丙", "服务对象"): ["满意"] * 5}
    cube = make_cube(units, ONE_GROUP, votes)
    two = units_of(SAT.evaluate(cube, {}).result)
    assert (two["乙"].rank, two["甲"].rank) == (2, 3)
    whole = units_of(SAT.evaluate(cube, {"tie_decimals": 0}).result)  # both publish as 67
    assert whole["甲"].rank == whole["乙"].rank == 2


def test_bottom_n_per_category_with_ties_and_overall_mode():
    units = [("甲", "A"), ("乙", "A"), ("丙", "A"), ("丁", "B"), ("戊", "B")]
    votes = {("甲", "服务对象"): ["满意"] * 5, ("乙", "服务对象"): ["基本满意"] * 5,
             ("丙", "服务对象"): ["基本满意"] * 5, ("丁", "服务对象"): ["比较满意"] * 5,
             ("戊", "服务对象"): ["不太满意"] * 5}
    cube = make_cube(units, ONE_GROUP, votes)
    result = SAT.evaluate(cube, {}).result
    flagged = {u.unit for u in result.units if "bottom" in u.flags}
    assert flagged == {"乙", "丙", "戊"}  # 乙 and 丙 tie for last in A
    assert units_of(result)["戊"].next_up == "丁"
    assert units_of(result)["乙"].next_up == "甲"
    overall = SAT.evaluate(cube, {"bottom": {"mode": "overall", "n": 3}}).result
    assert {u.unit for u in overall.units if "bottom" in u.flags} == {"戊", "乙", "丙"}
    two = SAT.evaluate(cube, {"bottom": {"mode": "overall", "n": 1}}).result
    assert {u.unit for u in two.units if "bottom" in u.flags} == {"戊"}
    none = SAT.evaluate(cube, {"bottom": {"mode": "category", "n": 0}}).result
    assert not any("bottom" in u.flags for u in none.units)


def test_nobody_is_last_without_someone_ahead():
    """A category whose only ranked unit is 丙, or whose units all tie, or that has no more
    units than the rule cuts, flags nobody: a unit is 末位 only behind another."""
    units = [("甲", "A"), ("乙", "A"), ("丙", "B"), ("丁", "C"), ("戊", "C")]
    votes = {("甲", "服务对象"): ["满意"] * 5, ("乙", "服务对象"): ["基本满意"] * 5,
             ("丙", "服务对象"): ["不满意"] * 5,
             ("丁", "服务对象"): ["比较满意"] * 5, ("戊", "服务对象"): ["比较满意"] * 5}
    cube = make_cube(units, ONE_GROUP, votes)
    flagged = {u.unit for u in SAT.evaluate(cube, {}).result.units if "bottom" in u.flags}
    assert flagged == {"乙"}  # 丙 is alone in B; 丁 and 戊 tie in C
    two = SAT.evaluate(cube, {"bottom": {"mode": "category", "n": 2}}).result
    assert not any("bottom" in u.flags for u in two.units)  # no category has 3 units
    overall = SAT.evaluate(cube, {"bottom": {"mode": "overall", "n": 1}}).result
    assert {u.unit for u in overall.units if "bottom" in u.flags} == {"丙"}
    everyone = SAT.evaluate(cube, {"bottom": {"mode": "overall", "n": 5}}).result
    assert not any("bottom" in u.flags for u in everyone.units)


def test_appraisal_trims_one_highest_and_one_lowest_above_five_votes():
    # 优秀 95, 称职 80, 基本称职 65, 不称职 50
    six = ["优秀", "优秀", "称职", "称职", "基本称职", "不称职"]
    cube = make_cube([("张三", "班子")], ONE_GROUP, {("张三", "服务对象"): six},
                     scale="appraisal4", scheme="appraisal")
    trimmed = APP.evaluate(cube, {}).result.units[0]
    assert trimmed.score == pytest.approx((95 + 80 + 80 + 65) / 4)  # 80
    plain = APP.evaluate(cube, {"trim": False}).result.units[0]
    assert plain.score == pytest.approx((95 * 2 + 80 * 2 + 65 + 50) / 6)  # 77.5
    five = make_cube([("李四", "班子")], ONE_GROUP, {("李四", "服务对象"): six[:5]},
                     scale="appraisal4", scheme="appraisal")
    assert APP.evaluate(five, {}).result.units[0].score == pytest.approx(415 / 5)  # no trim


def test_appraisal_shares_and_the_two_thirds_and_one_third_rules():
    votes = {("张三", "服务对象"): ["优秀"] * 2 + ["称职"] + ["基本称职"] * 2 + ["不称职"],
             ("李四", "服务对象"): ["优秀"] * 4 + ["称职"] * 2,
             ("王五", "服务对象"): ["称职"] * 3 + ["基本称职"] * 2 + ["不称职"] * 3}
    units = [("张三", "班子"), ("李四", "班子"), ("王五", "班子")]
    result = APP.evaluate(make_cube(units, ONE_GROUP, votes, scale="appraisal4",
                                    scheme="appraisal"), {}).result
    by = units_of(result)
    assert by["张三"].shares == pytest.approx(
        {"优秀": 2 / 6, "称职": 1 / 6, "基本称职": 2 / 6, "不称职": 1 / 6})
    assert "admonish" in by["张三"].flags and "dismiss" not in by["张三"].flags  # 3/6 < 2/3
    assert "admonish" not in by["李四"].flags and "dismiss" not in by["李四"].flags
    assert {"admonish", "dismiss"} <= set(by["王五"].flags)  # 3/8 < 2/3 and 3/8 > 1/3
    assert by["李四"].grade == "优秀"  # trimmed (95*3+80)/4 = 91.25


def test_option_scores_and_bands_are_configurable():
    cube = make_cube([("办公室", "综合")], ONE_GROUP, {("办公室", "服务对象"): ["比较满意"] * 5})
    unit = SAT.evaluate(cube, {"option_scores": {"比较满意": 90},
                               "grade_bands": [["好", 85], ["差", 0]]}).result.units[0]
    assert unit.score == pytest.approx(90.0) and unit.grade == "好"


@pytest.mark.parametrize("config, field", [
    ({"option_scores": {"满意": -1}}, "option_scores"),
    ({"grade_bands": [["低", 0], ["高", 90]]}, "grade_bands"),
    ({"grade_bands": [["高", 90], ["低", 10]]}, "grade_bands"),
    ({"bottom": {"mode": "somewhere", "n": 1}}, "bottom"),
    ({"bottom": {"mode": "category", "n": -1}}, "bottom"),
    ({"tie_decimals": 9}, "tie_decimals"),
])
def test_bad_configuration_is_refused_with_the_field(config, field):
    with pytest.raises(ServiceError) as error:
        SAT.normalize_config(config)
    assert error.value.field == field


def test_multi_item_unit_score_is_the_mean_of_item_scores():
    items = ("服务态度", "办事效率")
    votes = {("窗口", "服务对象", "服务态度"): ["满意"] * 5,           # 100
             ("窗口", "服务对象", "办事效率"): ["基本满意"] * 4 + ["不了解"] * 2 + ["满意"]}  # 68
    unit = SAT.evaluate(make_cube([("窗口", "服务")], ONE_GROUP, votes, items=items),
                        {}).result.units[0]
    assert [c.score for c in unit.items] == pytest.approx([100.0, 68.0])
    assert unit.score == pytest.approx(84.0)
    assert unit.items[1].abstentions == 2
