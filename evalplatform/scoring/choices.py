"""Unscored matrix items (不计分项目): a choice asked about each unit that no scheme scores
— 任职建议 (提拔使用 / 继续留任 / 调整岗位) about each cadre — reported per unit as the
share of raters choosing each option.

Suppression as for scores: a rater group counts for a unit only when it was asked about
the unit and at least ``min_group_size`` of its raters chose an option (an abstaining
option such as 不了解 is no choice); a unit's shares pool the groups that count, and are
shown only when those raters are at least ``min_group_size`` together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cube import Cube


@dataclass
class ShareGroup:
    group: str
    #: Raters of the group who chose an option about the unit; None when suppressed or
    #: not asked.
    answered: int | None
    suppressed: bool
    routed: bool = True


@dataclass
class UnitShares:
    unit_id: int
    unit: str
    category: str
    #: Pooled over the groups that count (None: fewer than the minimum together).
    answered: int | None
    counts: list[int] | None
    groups: list[ShareGroup] = field(default_factory=list)

    @property
    def shares(self) -> list[float | None]:
        if not self.counts or not self.answered:
            return [None for _ in self.counts or ()]
        return [c / self.answered for c in self.counts]


@dataclass
class ItemShares:
    id: int
    label: str
    options: list[str]
    units: list[UnitShares]


def tally_unscored(cube: Cube) -> list[ItemShares]:
    """Every item no scheme scores, per unit asked about it."""
    out = []
    routed = cube.routed_mask()
    minimum = cube.min_group_size
    for i, item in enumerate(cube.items):
        if item.scheme is not None:
            continue
        chosen = [o for o, option in enumerate(item.options) if not option.abstain]
        counts = cube.counts[:, i, :, :][..., chosen]  # [U, G, O]
        answered = counts.sum(-1)  # [U, G]
        counted = routed[:, i, :] & (answered >= minimum)
        rows = []
        for u, unit in enumerate(cube.units):
            if not routed[u, i].any():
                continue  # nobody was asked about this unit on this item
            groups = [ShareGroup(g.name, int(answered[u, j]) if counted[u, j] else None,
                                 bool(routed[u, i, j] and not counted[u, j]),
                                 bool(routed[u, i, j]))
                      for j, g in enumerate(cube.groups)]
            total = int(answered[u, counted[u]].sum())
            pooled = counts[u, counted[u]].sum(0).astype(np.int64).tolist() \
                if total >= minimum else None
            rows.append(UnitShares(unit.id, unit.name, unit.category,
                                   total if pooled is not None else None, pooled, groups))
        out.append(ItemShares(item.id, item.label, [item.options[o].label for o in chosen],
                              rows))
    return out
