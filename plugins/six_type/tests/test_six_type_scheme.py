"""六型机关 scoring by hand on small cubes: dimension scores, the weighted composite, ranks,
suppression, the variant, configuration checks and the bootstrap's replicate axes."""

from __future__ import annotations

import numpy as np
import pytest
from evalplatform_six_type import SCHEME
from evalplatform_six_type.bank import BANK

from evalplatform.scoring.cube import Cube, CubeGroup, CubeItem, CubeOption, CubeUnit
from evalplatform.scoring.dimensions import DimensionalSchemeResult, DimensionCell
from evalplatform.services import ServiceError

GOOD, FAIR, SO_SO, POOR, DONT_KNOW = "好", "较好", "一般", "差", "不了解"  # 100 80 60 0 —
NAMES = ["学习型", "服务型", "高效型", "和谐型", "创新型", "廉洁型"]
#: Two items for 学习型, the first bank item for every other type: seven items.
ITEMS = {name: list(BANK[name][:2]) if name == "学习型" else [BANK[name][0]] for name in NAMES}
CONFIG = {"items": ITEMS, "weights": {"学习型": 2, "服务型": 1, "高效型": 1, "和谐型": 1,
                                      "创新型": 1, "廉洁型": 1}}


def label(name: str, k: int = 0) -> str:
    return f"{name}：{BANK[name][k]}"


def make_cube(config: dict, votes: dict, units=(("办公室", "综合管理类"), ("法规科", "综合管理类")),
              groups=(("服务对象", 1.0),), min_group_size=2) -> Cube:
    """votes: {(unit, group, item label): [option label, …]}."""
    specs = SCHEME.questionnaire_items(SCHEME.normalize_config(config))
    options = tuple(CubeOption(text, score, score is None) for text, score in specs[0].options)
    index = {o.label: k for k, o in enumerate(options)}
    cube_units = tuple(CubeUnit(k + 1, n, c) for k, (n, c) in enumerate(units))
    items = tuple(CubeItem(100 + k, s.label, "six_type", options) for k, s in enumerate(specs))
    cube_groups = tuple(CubeGroup(200 + k, n, w) for k, (n, w) in enumerate(groups))
    counts = np.zeros((len(units), len(items), len(groups), len(options)), dtype=np.int64)
    u_of = {u.name: k for k, u in enumerate(cube_units)}
    g_of = {g.name: k for k, g in enumerate(cube_groups)}
    i_of = {i.label: k for k, i in enumerate(items)}
    for (unit, group, item), answers in votes.items():
        for answer in answers:
            counts[u_of[unit], i_of[item], g_of[group], index[answer]] += 1
    return Cube(cube_units, items, cube_groups, counts, counts[:, 0].sum(axis=(0, 2)),
                min_group_size)


#: 办公室: 学习型 (100 + 70) / 2 = 85, 服务型 90, 高效型 60, 和谐型 100 (不了解 is no
#: vote), 创新型 50, 廉洁型 80. 法规科: 一般 (60) on everything.
OFFICE = {label("学习型", 0): [GOOD, GOOD], label("学习型", 1): [FAIR, SO_SO],
          label("服务型"): [GOOD, FAIR], label("高效型"): [SO_SO, SO_SO],
          label("和谐型"): [GOOD, DONT_KNOW, GOOD], label("创新型"): [POOR, GOOD],
          label("廉洁型"): [FAIR, FAIR]}
VOTES = {**{("办公室", "服务对象", item): answers for item, answers in OFFICE.items()},
         **{("法规科", "服务对象", item): [SO_SO, SO_SO] for item in OFFICE}}


def test_dimension_scores_and_weighted_composite_by_hand():
    cube = make_cube(CONFIG, VOTES)
    evaluation = SCHEME.evaluate(cube, CONFIG)
    result = evaluation.result
    assert isinstance(result, DimensionalSchemeResult)
    assert [d.name for d in result.dimensions] == NAMES
    office, bureau = result.units
    assert {d.name: d.score for d in office.dimensions} == pytest.approx(
        {"学习型": 85, "服务型": 90, "高效型": 60, "和谐型": 100, "创新型": 50, "廉洁型": 80})
    # weights 2:1:1:1:1:1, renormalised: (2×85 + 90 + 60 + 100 + 50 + 80) / 7
    assert office.score == pytest.approx(550 / 7)
    assert bureau.score == pytest.approx(60)
    assert office.dimension("学习型").weight == pytest.approx(2 / 7)
    assert (office.rank, bureau.rank) == (1, 2)
    assert "bottom" in bureau.flags and "bottom" not in office.flags
    assert office.strongest == ["和谐型"] and office.weakest == ["创新型"]
    assert bureau.strongest == [] and bureau.weakest == []  # all six tie: nothing to name
    # the unit's item cells: each dimension's score, then its items (when it has several)
    cells = [(c.item, c.score) for c in office.items]
    assert cells[:3] == [("学习型", pytest.approx(85)), (label("学习型", 0), pytest.approx(100)),
                         (label("学习型", 1), pytest.approx(70))]
    assert ("和谐型（最强）", pytest.approx(100)) in cells and ("创新型（最弱）", 50) in cells
    assert isinstance(office.items[0], DimensionCell) and office.items[0].kind == "dimension"
    harmony = next(c for c in office.items if c.item.startswith("和谐型"))
    assert (harmony.valid_votes, harmony.abstentions) == (2, 1)
    assert "按维度权重加权（学习型 29%" in " ".join(map(str, result.notes))
    # the group's own column is the same formula
    assert office.groups[0].score == pytest.approx(550 / 7)


def test_small_groups_are_suppressed_and_do_not_count():
    votes = {**VOTES, **{("办公室", "机关干部", item): [POOR] for item in OFFICE}}
    cube = make_cube(CONFIG, votes, groups=(("服务对象", 0.5), ("机关干部", 0.5)))
    office = SCHEME.evaluate(cube, CONFIG).result.units[0]
    assert office.score == pytest.approx(550 / 7)  # one 机关干部 ballot: under the minimum of 2
    staff = office.groups[1]
    assert staff.suppressed and staff.score is None
    # with enough staff ballots the groups combine by weight, per item, then per dimension
    votes = {**VOTES, **{("办公室", "机关干部", item): [POOR, POOR] for item in OFFICE}}
    cube = make_cube(CONFIG, votes, groups=(("服务对象", 0.5), ("机关干部", 0.5)))
    office = SCHEME.evaluate(cube, CONFIG).result.units[0]
    assert office.dimension("服务型").score == pytest.approx(45)
    assert office.score == pytest.approx(550 / 7 / 2)


def test_a_unit_without_enough_votes_has_no_scores():
    votes = {k: v for k, v in VOTES.items() if k[0] == "办公室"}
    bureau = SCHEME.evaluate(make_cube(CONFIG, votes), CONFIG).result.units[1]
    assert bureau.score is None and "too_few_raters" in bureau.flags
    assert all(d.score is None for d in bureau.dimensions)
    assert all(c.score is None and c.suppressed for c in bureau.items)
    assert bureau.strongest == bureau.weakest == []


def test_composite_broadcasts_over_replicates():
    cube = make_cube(CONFIG, VOTES)
    evaluation = SCHEME.evaluate(cube, CONFIG)
    other = make_cube(CONFIG, {**VOTES, ("法规科", "服务对象", label("创新型")): [GOOD, GOOD]})
    stacked = cube.with_counts(np.stack([cube.counts, other.counts]).astype(np.float32))
    scores = SCHEME.composite(stacked, SCHEME.normalize_config(CONFIG))
    assert scores.shape == (2, 2)
    assert scores[0] == pytest.approx(evaluation.composite)
    assert scores[1, 1] == pytest.approx((2 * 60 + 60 + 60 + 60 + 100 + 60) / 7)


def test_defaults_give_three_items_per_type_on_the_good_fair_scale():
    config = SCHEME.normalize_config({})
    assert config["variant"] == "高效型" and config["weights"] == dict.fromkeys(NAMES, 1.0)
    specs = SCHEME.questionnaire_items(config)
    assert len(specs) == 18
    assert specs[0].label == "学习型：学习制度健全、学习氛围浓厚"
    assert [o[0] for o in specs[0].options] == ["好", "较好", "一般", "差", "不了解"]
    assert specs[0].options[-1][1] is None
    assert all(2 <= len(BANK[n]) <= 4 for n in BANK)
    assert SCHEME.normalize_config(config) == config  # normalising is idempotent


def test_variant_pragmatic_replaces_efficient():
    config = SCHEME.normalize_config({"variant": "务实型"})
    labels = [s.label for s in SCHEME.questionnaire_items(config)]
    assert "务实型：察实情、讲实话、办实事、求实效" in labels
    assert not any(text.startswith("高效型") for text in labels)
    assert list(config["items"]) == ["学习型", "服务型", "务实型", "和谐型", "创新型", "廉洁型"]
    # a choice made for 高效型 carries over by position, the evaluator's own wording stays
    config = SCHEME.normalize_config({"variant": "务实型", "weights": {"高效型": 3},
                                      "items": {"高效型": [BANK["高效型"][2], "窗口办件提速"]}})
    assert config["items"]["务实型"] == [BANK["务实型"][2], "窗口办件提速"]
    assert config["weights"]["务实型"] == 3
    votes = {("办公室", "服务对象", s.label): [SO_SO, SO_SO]
             for s in SCHEME.questionnaire_items(config)}
    votes["办公室", "服务对象", "务实型：窗口办件提速"] = [GOOD, GOOD]
    result = SCHEME.evaluate(make_cube(config, votes), config).result
    assert [d.name for d in result.dimensions][2] == "务实型"
    assert result.units[0].dimension("务实型").score == pytest.approx(80)  # (60 + 100) / 2
    assert result.units[0].score == pytest.approx((60 * 5 + 3 * 80) / 8)


@pytest.mark.parametrize(("config", "field", "message"), [
    ({"items": {"学习型": []}}, "extra_0", "“学习型”至少需要一个评价项目。"),
    ({"items": {"创新型": ["  "]}}, "extra_4", "“创新型”至少需要一个评价项目。"),
    ({"weights": {"服务型": -1}}, "weight_1", "“服务型”的权重不能为负数。"),
    ({"weights": dict.fromkeys(NAMES, 0)}, "weight_0", "各维度的权重不能全部为 0。"),
    ({"weights": {"和谐型": "很重要"}}, "weight_3", "“和谐型”的权重须为数字。"),
    ({"variant": "实干型"}, "variant", "第三个维度须为“高效型”或“务实型”。"),
    ({"items": {"廉洁型": ["清" * 61]}}, "extra_5", "每项不超过 60 字"),
    ({"items": {"学习型": ["读书", "读书"]}}, "extra_0", "重复"),
    ({"scale": "ten"}, "scale", "请选择评价选项。"),
    ({"grade_bands": [["好", 60], ["优", 90]]}, "grade_bands", "从高到低"),
])
def test_bad_configuration_is_refused_with_a_message(config, field, message):
    with pytest.raises(ServiceError) as error:
        SCHEME.normalize_config(config)
    assert message in error.value.message and error.value.field == field
