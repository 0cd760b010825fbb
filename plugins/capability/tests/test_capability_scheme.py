"""The capability model by hand on small cubes: dimension, family and composite scores,
strongest and weakest dimensions, the 五力 preset, configuration checks, replicates."""

from __future__ import annotations

import numpy as np
import pytest
from evalplatform_capability import PRESETS, SCHEME

from evalplatform.scoring.cube import Cube, CubeGroup, CubeItem, CubeOption, CubeUnit
from evalplatform.scoring.dimensions import DimensionalSchemeResult
from evalplatform.services import ServiceError

GOOD, FAIR, SO_SO, POOR = "好", "较好", "一般", "差"  # 100 80 60 0


def make_cube(config: dict, votes: dict, units=(("办公室", "综合管理类"), ("法规科", "综合管理类")),
              min_group_size=2) -> Cube:
    """votes: {(unit, dimension): [option label, …]} from the one rater group."""
    specs = SCHEME.questionnaire_items(SCHEME.normalize_config(config))
    options = tuple(CubeOption(text, score, score is None) for text, score in specs[0].options)
    index = {o.label: k for k, o in enumerate(options)}
    cube_units = tuple(CubeUnit(k + 1, n, c) for k, (n, c) in enumerate(units))
    items = tuple(CubeItem(100 + k, s.label, "capability", options) for k, s in enumerate(specs))
    counts = np.zeros((len(units), len(items), 1, len(options)), dtype=np.int64)
    for (unit, dimension), answers in votes.items():
        u = next(k for k, x in enumerate(cube_units) if x.name == unit)
        i = next(k for k, x in enumerate(items) if x.label.startswith(dimension + "："))
        for answer in answers:
            counts[u, i, 0, index[answer]] += 1
    return Cube(cube_units, items, (CubeGroup(200, "服务对象", 1.0),), counts,
                counts[:, 0].sum(axis=(0, 2)), min_group_size)


#: 五种工作能力: 100, 80, 60, 90, 80 (mean 82); 五种优良作风: 50, 70, 100, 60, 80 (mean 72).
OFFICE = {"服务发展": [GOOD, GOOD], "依法行政": [FAIR, FAIR], "改革创新": [SO_SO, SO_SO],
          "执行落实": [GOOD, FAIR], "沟通协调": [GOOD, SO_SO],
          "刻苦钻研": [POOR, GOOD], "争先创优": [FAIR, SO_SO], "求真务实": [GOOD, GOOD],
          "联系群众": [SO_SO, SO_SO], "清正廉洁": [FAIR, FAIR]}
VOTES = {**{("办公室", d): v for d, v in OFFICE.items()},
         **{("法规科", d): [SO_SO, SO_SO] for d in OFFICE}}


def test_five_abilities_and_five_styles_by_hand():
    config = SCHEME.normalize_config({})
    assert config["preset"] == "five_five"
    assert config["family_weights"] == {"五种工作能力": 0.5, "五种优良作风": 0.5}
    result = SCHEME.evaluate(make_cube(config, VOTES), config).result
    assert isinstance(result, DimensionalSchemeResult)
    assert [d.name for d in result.dimensions] == list(OFFICE)
    assert [f.name for f in result.families] == ["五种工作能力", "五种优良作风"]
    office, bureau = result.units
    assert {f.name: f.score for f in office.families} == pytest.approx(
        {"五种工作能力": 82, "五种优良作风": 72})
    assert office.score == pytest.approx(77) and bureau.score == pytest.approx(60)
    assert office.dimension("执行落实").score == pytest.approx(90)
    assert office.dimension("刻苦钻研").weight == pytest.approx(0.1)
    assert office.strongest == ["服务发展", "求真务实"] and office.weakest == ["刻苦钻研"]
    assert (office.rank, bureau.rank) == (1, 2) and "bottom" in bureau.flags
    # the unit's cells: each family's score, then its dimensions (one item each)
    cells = [(c.item, c.score) for c in office.items]
    assert len(cells) == 12
    assert cells[0] == ("【五种工作能力】", pytest.approx(82))
    assert cells[1] == ("服务发展（最强）", pytest.approx(100))
    assert cells[6] == ("【五种优良作风】", pytest.approx(72))
    assert ("刻苦钻研（最弱）", pytest.approx(50)) in cells
    assert "五种工作能力 50%、五种优良作风 50%" in " ".join(map(str, result.notes))


def test_family_weights_weigh_the_families():
    config = SCHEME.normalize_config({"family_weights": {"五种工作能力": 7, "五种优良作风": 3}})
    office = SCHEME.evaluate(make_cube(config, VOTES), config).result.units[0]
    assert office.score == pytest.approx(0.7 * 82 + 0.3 * 72)
    assert office.dimension("服务发展").weight == pytest.approx(0.14)
    # a family weighted 0 counts for nothing
    config = SCHEME.normalize_config({"family_weights": {"五种工作能力": 0, "五种优良作风": 1}})
    assert SCHEME.evaluate(make_cube(config, VOTES), config).result.units[0].score == \
        pytest.approx(72)


def test_five_forces():
    config = SCHEME.normalize_config({"preset": "five_forces"})
    labels = [s.label for s in SCHEME.questionnaire_items(config)]
    assert [label.split("：")[0] for label in labels] == ["学习力", "执行力", "凝聚力", "创新力", "免疫力"]
    assert config["family_weights"] == {"五力": 1.0}
    votes = {("办公室", "学习力"): [GOOD] * 2, ("办公室", "执行力"): [FAIR] * 2,
             ("办公室", "凝聚力"): [SO_SO] * 2, ("办公室", "创新力"): [SO_SO] * 2,
             ("办公室", "免疫力"): [POOR] * 2}
    result = SCHEME.evaluate(make_cube(config, votes), config).result
    office = result.units[0]
    assert office.score == pytest.approx(60)
    assert office.strongest == ["学习力"] and office.weakest == ["免疫力"]
    assert result.families == [] and office.families == []  # one family: no family rows
    assert [c.item for c in office.items][:2] == ["学习力（最强）", "执行力"]
    assert result.units[1].score is None  # 法规科 has no votes


def test_composite_broadcasts_over_replicates():
    config = SCHEME.normalize_config({"family_weights": {"五种工作能力": 3, "五种优良作风": 1}})
    cube = make_cube(config, VOTES)
    stacked = cube.with_counts(np.stack([cube.counts] * 3).astype(np.float32))
    scores = SCHEME.composite(stacked, config)
    assert scores.shape == (3, 2)
    assert scores[2] == pytest.approx([0.75 * 82 + 0.25 * 72, 60])


@pytest.mark.parametrize(("config", "field", "message"), [
    ({"family_weights": {"五种工作能力": -0.5}}, "family_weight_0", "“五种工作能力”的权重不能为负数。"),
    ({"family_weights": {"五种工作能力": 0, "五种优良作风": 0}}, "family_weight_0",
     "各类别的权重不能全部为 0。"),
    ({"preset": "six_forces"}, "preset", "请选择评价模型"),
    ({"scale": "nine"}, "scale", "请选择评价选项。"),
    ({"bottom": {"mode": "somewhere", "n": 1}}, "bottom", "末位规则"),
])
def test_bad_configuration_is_refused_with_a_message(config, field, message):
    with pytest.raises(ServiceError) as error:
        SCHEME.normalize_config(config)
    assert message in error.value.message and error.value.field == field


def test_presets_are_worded_from_the_documents():
    five_five = PRESETS["five_five"]
    assert five_five.dimension_names == ["服务发展", "依法行政", "改革创新", "执行落实", "沟通协调",
                                         "刻苦钻研", "争先创优", "求真务实", "联系群众", "清正廉洁"]
    assert PRESETS["five_forces"].dimension_names == ["学习力", "执行力", "凝聚力", "创新力", "免疫力"]
    for preset in PRESETS.values():
        for _, dimensions in preset.families:
            for name, wording in dimensions:
                assert wording and len(name) + 1 + len(wording) <= 100
