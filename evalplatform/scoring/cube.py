"""The tally cube: vote counts per (unit, item, rater group, option), and ballots as arrays.

Tallied from the ballots' cells (one blob per ballot) with one bincount. Schemes compute
everything from counts, so scoring costs the size of the cube, not the number of answers.
The per-ballot arrays serve what counts cannot (the bootstrap over ballots).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from sqlalchemy import func, select

from ..extensions import db
from ..models import Ballot
from .layout import NUMBER_NONE, Layout, decode_group


@dataclass(frozen=True)
class CubeUnit:
    id: int
    name: str
    category: str


@dataclass(frozen=True)
class CubeOption:
    label: str
    score: float | None
    abstain: bool


@dataclass(frozen=True)
class CubeItem:
    id: int
    label: str
    scheme: str | None
    options: tuple[CubeOption, ...]


@dataclass(frozen=True)
class CubeGroup:
    id: int
    name: str
    weight: float


@dataclass(frozen=True)
class Cube:
    """Counts of votes, ``counts[u, i, g, o]``, with what each axis means.

    ``counts`` may carry leading axes (bootstrap replicates); schemes must treat the last
    four axes as (unit, item, group, option) and broadcast over the rest.
    """

    units: tuple[CubeUnit, ...]
    items: tuple[CubeItem, ...]
    groups: tuple[CubeGroup, ...]
    counts: np.ndarray
    #: Ballots received per group (not per unit): the response denominator.
    ballots: np.ndarray
    min_group_size: int
    #: The campaign scored, for schemes that read more than ballots (checklist reviews).
    campaign_id: int | None = None
    #: The whole cube a scheme's sub-cube was cut from, for a scheme that combines its
    #: score with another scheme's (None for a whole cube).
    source: Cube | None = field(default=None, repr=False, compare=False)
    #: The ballots the cube was tallied from (the bootstrap reuses them instead of
    #: reading the ballots again).
    ballot_arrays: BallotArrays | None = field(default=None, repr=False, compare=False)
    #: ``[U, G]``: each group's weight for each unit (差别权重: it may differ by the
    #: unit's category); None: the groups' own weights.
    weights: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: ``[U, I, G]``: whether the group was asked about the unit on the item; None: every
    #: group about every unit on every item.
    routed: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def n_options(self) -> int:
        return self.counts.shape[-1]

    def group_weights(self) -> np.ndarray:
        """``[U, G]``: the weight of each group for each unit."""
        if self.weights is not None:
            return self.weights
        return np.broadcast_to(np.array([g.weight for g in self.groups], dtype=float),
                               (len(self.units), len(self.groups)))

    def routed_mask(self) -> np.ndarray:
        """``[U, I, G]``: which groups were asked about which unit on which item."""
        if self.routed is not None:
            return self.routed
        return np.ones((len(self.units), len(self.items), len(self.groups)), dtype=bool)

    def for_items(self, item_ids) -> Cube:
        """The sub-cube of these items (a scheme sees only its own items)."""
        wanted = set(item_ids)
        index = [i for i, item in enumerate(self.items) if item.id in wanted]
        return replace(self, items=tuple(self.items[i] for i in index),
                       counts=self.counts[..., index, :, :], source=self.source or self,
                       ballot_arrays=None,
                       routed=None if self.routed is None else self.routed[:, index, :])

    def with_counts(self, counts: np.ndarray) -> Cube:
        return replace(self, counts=counts)

    def take_units(self, indices: list[int]) -> Cube:
        """The cube of these units (by index), in this order."""
        return replace(self, units=tuple(self.units[k] for k in indices),
                       counts=self.counts[..., indices, :, :, :], ballot_arrays=None,
                       weights=None if self.weights is None else self.weights[indices],
                       routed=None if self.routed is None else self.routed[indices])

    def option_table(self, attribute_by_label: dict[str, float] | None = None) -> np.ndarray:
        """Per (item, option): the option's score (overridden by label when given), NaN
        for abstentions (不了解) and for option slots an item does not have."""
        table = np.full((len(self.items), self.n_options), np.nan)
        for i, item in enumerate(self.items):
            for o, option in enumerate(item.options):
                if option.abstain:
                    continue
                score = option.score
                if attribute_by_label and option.label in attribute_by_label:
                    score = attribute_by_label[option.label]
                table[i, o] = np.nan if score is None else float(score)
        return table

    def label_mask(self, labels) -> np.ndarray:
        """Per (item, option): True where the option's label is one of ``labels``."""
        wanted = set(labels)
        mask = np.zeros((len(self.items), self.n_options), dtype=bool)
        for i, item in enumerate(self.items):
            for o, option in enumerate(item.options):
                mask[i, o] = option.label in wanted and not option.abstain
        return mask

    def abstain_mask(self) -> np.ndarray:
        mask = np.zeros((len(self.items), self.n_options), dtype=bool)
        for i, item in enumerate(self.items):
            for o, option in enumerate(item.options):
                mask[i, o] = option.abstain
        return mask


def structure_from_rules(rules: dict) -> tuple[tuple[CubeUnit, ...], tuple[CubeItem, ...],
                                                tuple[CubeGroup, ...]]:
    units = tuple(CubeUnit(u["id"], u["name"], u["category"]) for u in rules["units"])
    items = tuple(
        CubeItem(i["id"], i["label"], i.get("scheme"),
                 tuple(CubeOption(o["label"], o.get("score"), bool(o.get("abstain")))
                       for o in i["options"]))
        for i in rules["items"])
    groups = tuple(CubeGroup(g["id"], g["name"], float(g["weight"])) for g in rules["groups"])
    return units, items, groups


def unit_weights(rules: dict, units, groups) -> np.ndarray | None:
    """``[U, G]``: each group's weight per unit under the rules' 差别权重 (None when no
    category overrides any group's weight)."""
    overrides = rules.get("category_weights") or {}
    if not overrides:
        return None
    weights = np.array([[g.weight for g in groups] for _ in units], dtype=float).reshape(
        len(units), len(groups))
    for k, unit in enumerate(units):
        for j, group in enumerate(groups):
            value = overrides.get(unit.category, {}).get(str(group.id))
            if value is not None:
                weights[k, j] = float(value)
    return weights


def routed_cells(layout: Layout) -> np.ndarray | None:
    """The layout's routing, None when everyone is asked everything (nothing to mask)."""
    routed = layout.routed
    return None if routed.all() else routed


class CorruptBallots(RuntimeError):
    """A stored ballot whose cells do not fit the campaign's frozen rules."""


def _read_ballots(campaign_id: int, layout: Layout, groups: tuple) -> BallotArrays:
    """Every ballot of the campaign from its cells: one small blob per ballot, straight
    from the DB-API cursor (ORM rows would cost more than the tally), unpacked as the
    frozen layout says a ballot of its group is packed."""
    result = db.session.connection().execute(
        select(Ballot.id, Ballot.rater_group_id, Ballot.cells)
        .where(Ballot.campaign_id == campaign_id).order_by(Ballot.id))
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    g_index = {g.id: k for k, g in enumerate(groups)}
    rows = [r for r in rows if r[1] in g_index]
    group_of = np.fromiter((g_index[r[1]] for r in rows), dtype=np.int64, count=len(rows))
    n_units, n_items = len(layout.unit_ids), len(layout.item_ids)
    if layout.complete:  # one grid for every ballot, as before sections
        size = n_units * n_items
        if (bad := sum(1 for r in rows if len(r[2]) != size)):
            raise CorruptBallots(f"{bad} ballots of campaign {campaign_id} do not have "
                                 f"{size} cells, as its frozen rules say")
        answers = np.frombuffer(b"".join(bytes(r[2]) for r in rows), dtype=np.int8).reshape(
            len(rows), n_units, n_items)
        return BallotArrays(answers, group_of)
    answers = np.full((len(rows), n_units * n_items), -1, dtype=np.int8)
    extra: dict[int, np.ndarray] = {}
    for _section, q in layout.questions:
        if q.kind == "single":
            extra[q.id] = np.full(len(rows), -1, dtype=np.int8)
        elif q.kind == "multiple":
            extra[q.id] = np.zeros((len(rows), len(q.options)), dtype=bool)
        elif q.kind == "number":
            extra[q.id] = np.full(len(rows), NUMBER_NONE, dtype=np.int64)
    for g in range(len(groups)):
        positions = np.flatnonzero(group_of == g)
        if not len(positions):
            continue
        blobs = [bytes(rows[k][2]) for k in positions]
        width = layout.width(g)
        if (bad := sum(1 for b in blobs if len(b) != width)):
            raise CorruptBallots(f"{bad} ballots of rater group {groups[g].id} of campaign "
                                 f"{campaign_id} do not have {width} cells, as its frozen "
                                 "rules say")
        grid, found = decode_group(layout, g, blobs)
        answers[positions] = grid
        for question_id, values in found.items():
            extra[question_id][positions] = values
    return BallotArrays(answers.reshape(len(rows), n_units, n_items), group_of, extra)


def counts_from_ballots(ballots: BallotArrays, shape: tuple[int, int, int, int]) -> np.ndarray:
    """counts[u, i, g, o] tallied from per-ballot arrays: one comparison per group and
    option over the int8 answers (no wide temporaries: at 20,000 ballots × 115 units ×
    20 items, int64 index arrays would be hundreds of megabytes)."""
    n_options, n_groups = shape[3], shape[2]
    counts = np.zeros(shape, dtype=np.int64)
    for g in range(n_groups):
        rows = ballots.answers[ballots.groups == g]
        for o in range(n_options):
            counts[:, :, g, o] = np.count_nonzero(rows == o, axis=0)
    return counts


def empty_cube(rules: dict, layout: Layout | None = None) -> Cube:
    """The cube of no ballots under these rules (what a sealed campaign shows);
    ``layout``: the rules' (made here when not given)."""
    units, items, groups = structure_from_rules(rules)
    n_options = max((len(i.options) for i in items), default=1)
    ballots = BallotArrays(np.zeros((0, len(units), len(items)), dtype=np.int8),
                           np.zeros(0, dtype=np.int64))
    return Cube(units, items, groups,
                np.zeros((len(units), len(items), len(groups), n_options), dtype=np.int64),
                np.zeros(len(groups), dtype=np.int64), int(rules["min_group_size"]),
                rules.get("campaign"), ballot_arrays=ballots,
                weights=unit_weights(rules, units, groups),
                routed=routed_cells(layout or Layout.from_rules(rules)))


def load_cube(campaign_id: int, rules: dict, layout: Layout | None = None) -> Cube:
    """The campaign's cube, tallied from its ballots' cells under the frozen rules
    (``layout``: theirs, made here when not given)."""
    units, items, groups = structure_from_rules(rules)
    layout = layout or Layout.from_rules(rules)
    n_options = max((len(i.options) for i in items), default=1)
    ballots = _read_ballots(campaign_id, layout, groups)
    counts = counts_from_ballots(ballots, (len(units), len(items), len(groups), n_options))
    per_group = np.bincount(ballots.groups, minlength=len(groups)).astype(np.int64)
    return Cube(units, items, groups, counts, per_group, int(rules["min_group_size"]),
                campaign_id, ballot_arrays=ballots, weights=unit_weights(rules, units, groups),
                routed=routed_cells(layout))


@dataclass(frozen=True)
class BallotArrays:
    """Every ballot as a row: ``answers[b, u, i]`` is the option index or -1 (no answer);
    ``groups[b]`` the rater group index. Rows are in ballot-id order (random)."""

    answers: np.ndarray
    groups: np.ndarray
    #: Per question that is not a matrix (by id): every ballot's answer (scoring.layout:
    #: single ``[b]`` int8 or -1, multiple ``[b, options]`` bool, number ``[b]`` int64 or
    #: NUMBER_NONE); ballots of groups not asked hold no answer.
    extra: dict = field(default_factory=dict)


def load_ballots(campaign_id: int, cube: Cube) -> BallotArrays:
    """All ballots of a campaign as arrays shaped like the cube's unit and item axes (the
    ones the cube was tallied from, when it was)."""
    if cube.ballot_arrays is not None:
        return cube.ballot_arrays
    from ..models import Campaign

    rules = db.session.get(Campaign, campaign_id).rules
    return _read_ballots(campaign_id, Layout.from_rules(rules), cube.groups)


def ballot_problems(campaign_id: int, rules: dict) -> list[str]:
    """What is wrong with the campaign's stored ballots under its frozen rules: cells of
    the wrong length, options an item does not have, rater groups the rules do not
    know. Empty when every ballot is well formed."""
    units, items, groups = structure_from_rules(rules)
    layout = Layout.from_rules(rules)
    try:
        ballots = _read_ballots(campaign_id, layout, groups)
    except CorruptBallots as error:
        return [str(error)]
    problems = []
    total = db.session.scalar(select(func.count()).where(Ballot.campaign_id == campaign_id))
    if (strangers := total - len(ballots.groups)):
        problems.append(f"{strangers} ballots belong to rater groups the frozen rules do not list")
    limits = np.array([len(i.options) for i in items], dtype=np.int16)
    answers = ballots.answers.astype(np.int16)
    bad = ((answers < -1) | (answers >= limits[None, None, :])).any(axis=(1, 2))
    for _section, q in layout.questions:
        if q.kind == "single":
            values = ballots.extra[q.id]
            bad |= (values < -1) | (values >= len(q.options))
    if bad.any():
        problems.append(f"{int(bad.sum())} ballots hold options their items do not have")
    return problems
