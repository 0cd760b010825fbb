"""Build tally cubes by hand for scoring tests (no database needed)."""

from __future__ import annotations

import numpy as np

from evalplatform.scoring.cube import Cube, CubeGroup, CubeItem, CubeOption, CubeUnit
from evalplatform.services.questionnaires import SCALES


def options(scale: str) -> tuple[CubeOption, ...]:
    return tuple(CubeOption(o["label"], o["score"], o["abstain"]) for o in SCALES[scale].options)


def make_cube(units, groups, votes, *, scale="satisfaction5", scheme="satisfaction",
              items=("总体评价",), min_group_size=5) -> Cube:
    """units: [(name, category)]; groups: [(name, weight)];
    votes: {(unit name, group name): [label, …]} for one item, or
    {(unit name, group name, item label): [label, …]}."""
    opts = options(scale)
    index = {o.label: k for k, o in enumerate(opts)}
    cube_units = tuple(CubeUnit(k + 1, name, category) for k, (name, category) in enumerate(units))
    cube_items = tuple(CubeItem(100 + k, label, scheme, opts) for k, label in enumerate(items))
    cube_groups = tuple(CubeGroup(200 + k, name, weight) for k, (name, weight) in enumerate(groups))
    counts = np.zeros((len(units), len(items), len(groups), len(opts)), dtype=np.int64)
    u_of = {u.name: k for k, u in enumerate(cube_units)}
    g_of = {g.name: k for k, g in enumerate(cube_groups)}
    i_of = {i.label: k for k, i in enumerate(cube_items)}
    for key, labels in votes.items():
        unit, group = key[0], key[1]
        item = i_of[key[2]] if len(key) > 2 else 0
        for label in labels:
            counts[u_of[unit], item, g_of[group], index[label]] += 1
    ballots = counts[:, 0].sum(axis=(0, 2)) if len(items) else np.zeros(len(groups))
    return Cube(cube_units, cube_items, cube_groups, counts, ballots, min_group_size)
