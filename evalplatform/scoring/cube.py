"""The tally cube: vote counts per (unit, item, rater group, option), and ballots as arrays.

Built with one aggregate query. Schemes compute everything from counts, so scoring costs
the size of the cube, not the number of answers. The per-ballot arrays serve what counts
cannot (the bootstrap over ballots).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from sqlalchemy import BigInteger, Text, cast, func, select

from ..extensions import db
from ..models import Answer, Ballot, Item, Unit


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
    #: The ballots the cube was tallied from, when read from their packed cells (the
    #: bootstrap reuses them instead of reading the ballots again).
    packed: BallotArrays | None = field(default=None, repr=False, compare=False)

    @property
    def n_options(self) -> int:
        return self.counts.shape[-1]

    def for_items(self, item_ids) -> Cube:
        """The sub-cube of these items (a scheme sees only its own items)."""
        wanted = set(item_ids)
        index = [i for i, item in enumerate(self.items) if item.id in wanted]
        return replace(self, items=tuple(self.items[i] for i in index),
                       counts=self.counts[..., index, :, :], source=self.source or self,
                       packed=None)

    def with_counts(self, counts: np.ndarray) -> Cube:
        return replace(self, counts=counts)

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


NO_ANSWER = -1


def pack_cells(unit_ids: list[int], item_ids: list[int],
               answers: dict[tuple[int, int], int]) -> bytes:
    """A ballot's answers as one signed byte per (unit, item), units major, in the given
    (frozen) order; NO_ANSWER where there is none. Options are indexes below 127."""
    cells = np.full((len(unit_ids), len(item_ids)), NO_ANSWER, dtype=np.int8)
    u_index = {u: k for k, u in enumerate(unit_ids)}
    i_index = {i: k for k, i in enumerate(item_ids)}
    for (unit_id, item_id), option in answers.items():
        cells[u_index[unit_id], i_index[item_id]] = option
    return cells.tobytes()


def _packed_ballots(campaign_id: int, units: tuple, items: tuple, groups: tuple
                    ) -> BallotArrays | None:
    """Every ballot from its packed cells (one small blob per ballot), or None when some
    ballot has none (stored before cells existed): then the answer rows are read."""
    result = db.session.connection().execute(
        select(Ballot.id, Ballot.rater_group_id, Ballot.cells)
        .where(Ballot.campaign_id == campaign_id).order_by(Ballot.id))
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    size = len(units) * len(items)
    if any(r[2] is None or len(r[2]) != size for r in rows):
        return None
    g_index = {g.id: k for k, g in enumerate(groups)}
    group_of = np.fromiter((g_index.get(r[1], -1) for r in rows), dtype=np.int64, count=len(rows))
    answers = np.frombuffer(b"".join(bytes(r[2]) for r in rows), dtype=np.int8).reshape(
        len(rows), len(units), len(items))
    keep = group_of >= 0
    return BallotArrays(answers[keep], group_of[keep])


def counts_from_ballots(ballots: BallotArrays, shape: tuple[int, int, int, int]) -> np.ndarray:
    """counts[u, i, g, o] tallied from per-ballot arrays (one bincount)."""
    n_units, n_items, n_groups, n_options = shape
    answers = ballots.answers.astype(np.int64)
    valid = (answers >= 0) & (answers < n_options)
    cell = np.arange(n_units * n_items, dtype=np.int64).reshape(n_units, n_items)
    flat = ((cell[None] * n_groups + ballots.groups[:, None, None]) * n_options + answers)[valid]
    counts = np.bincount(flat, minlength=n_units * n_items * n_groups * n_options)
    return counts.reshape(shape)


def load_cube(campaign_id: int, rules: dict, packed: bool = True) -> Cube:
    """The campaign's cube: tallied from the ballots' packed cells, or (``packed=False``,
    or ballots without cells) from one GROUP BY over the answer rows."""
    units, items, groups = structure_from_rules(rules)
    n_options = max((len(i.options) for i in items), default=1)
    ballots_found = _packed_ballots(campaign_id, units, items, groups) if packed else None
    if ballots_found is not None:
        counts = counts_from_ballots(ballots_found,
                                     (len(units), len(items), len(groups), n_options))
        per_group = np.bincount(ballots_found.groups, minlength=len(groups)).astype(np.int64)
        return Cube(units, items, groups, counts, per_group, int(rules["min_group_size"]),
                    campaign_id, packed=ballots_found)
    return _cube_from_answers(campaign_id, rules, units, items, groups)


def _cube_from_answers(campaign_id: int, rules: dict, units, items, groups) -> Cube:
    u_index = {u.id: k for k, u in enumerate(units)}
    i_index = {i.id: k for k, i in enumerate(items)}
    g_index = {g.id: k for k, g in enumerate(groups)}
    n_options = max((len(i.options) for i in items), default=1)
    counts = np.zeros((len(units), len(items), len(groups), n_options), dtype=np.int64)
    rows = db.session.execute(
        select(Answer.unit_id, Answer.item_id, Ballot.rater_group_id, Answer.option,
               func.count())
        .join(Ballot, Ballot.id == Answer.ballot_id)
        .where(Ballot.campaign_id == campaign_id)
        .group_by(Answer.unit_id, Answer.item_id, Ballot.rater_group_id, Answer.option)
    ).all()
    for unit_id, item_id, group_id, option, n in rows:
        u, i, g = u_index.get(unit_id), i_index.get(item_id), g_index.get(group_id)
        if u is None or i is None or g is None or not 0 <= option < n_options:
            continue  # answers outside the frozen structure do not count
        counts[u, i, g, option] = n
    ballots = np.zeros(len(groups), dtype=np.int64)
    for group_id, n in db.session.execute(
            select(Ballot.rater_group_id, func.count()).where(Ballot.campaign_id == campaign_id)
            .group_by(Ballot.rater_group_id)).all():
        if group_id in g_index:
            ballots[g_index[group_id]] = n
    return Cube(units, items, groups, counts, ballots, int(rules["min_group_size"]), campaign_id)


@dataclass(frozen=True)
class BallotArrays:
    """Every ballot as a row: ``answers[b, u, i]`` is the option index or -1 (no answer);
    ``groups[b]`` the rater group index. Rows are in ballot-id order (random)."""

    answers: np.ndarray
    groups: np.ndarray


def load_ballots(campaign_id: int, cube: Cube, packed: bool = True) -> BallotArrays:
    """All ballots of a campaign as arrays shaped like the cube's unit and item axes: from
    their packed cells, or (``packed=False``, or ballots without cells) the answer rows."""
    if packed and cube.packed is not None:
        return cube.packed
    if packed and (found := _packed_ballots(campaign_id, cube.units, cube.items,
                                            cube.groups)) is not None:
        return found
    g_index = {g.id: k for k, g in enumerate(cube.groups)}
    ballot_rows = db.session.execute(
        select(Ballot.id, Ballot.rater_group_id).where(Ballot.campaign_id == campaign_id)
        .order_by(Ballot.id)).all()
    ids = np.array([r[0] for r in ballot_rows], dtype=np.int64)
    groups = np.array([g_index.get(r[1], -1) for r in ballot_rows], dtype=np.int64)
    answers = np.full((len(ids), len(cube.units), len(cube.items)), -1, dtype=np.int8)
    if len(ids):
        data = _answer_rows(campaign_id)
        u_map = _lookup([u.id for u in cube.units])
        i_map = _lookup([i.id for i in cube.items])
        if len(data):
            u = u_map(data[:, 1])
            i = i_map(data[:, 2])
            keep = (u >= 0) & (i >= 0)
            rows_b = np.searchsorted(ids, data[keep, 0])
            answers[rows_b, u[keep], i[keep]] = data[keep, 3]
    keep = groups >= 0
    return BallotArrays(answers[keep], groups[keep])


def _answer_rows(campaign_id: int, packed: bool = True) -> np.ndarray:
    """(ballot, unit, item, option) of every answer, straight from the DB-API cursor into
    an array (building ORM rows for millions of answers takes far longer).

    Read as one row per ballot: its answers packed into integers and joined into a string
    by the database, parsed by NumPy. Fetching 12M answers as 12M rows of Python objects
    takes about four times as long.
    """
    if packed and (rows := _packed_answer_rows(campaign_id)) is not None:
        return rows
    statement = (select(Answer.ballot_id, Answer.unit_id, Answer.item_id, Answer.option)
                 .join(Ballot, Ballot.id == Answer.ballot_id)
                 .where(Ballot.campaign_id == campaign_id))
    result = db.session.connection().execute(statement)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    return np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64,
                       count=4 * len(rows)).reshape(-1, 4)


#: Options are SmallInteger: shifted by half their span, any value packs exactly.
OPTION_BITS, OPTION_SHIFT = 16, 1 << 15


def _packed_answer_rows(campaign_id: int) -> np.ndarray | None:
    """_answer_rows read as one packed string per ballot: each answer as
    ``(unit << item_bits | item) << 16 | option + 2¹⁵``, comma-separated. Exact for every
    answer, since foreign keys bound its unit and item ids by the largest ids there are.
    None when those ids are too large to pack into 62 bits or the text does not parse."""
    unit_bits = (db.session.scalar(select(func.max(Unit.id))) or 0).bit_length()
    item_bits = (db.session.scalar(select(func.max(Item.id))) or 0).bit_length()
    if unit_bits + item_bits + OPTION_BITS > 62:
        return None
    code = ((cast(Answer.unit_id, BigInteger) * (1 << item_bits) + Answer.item_id)
            * (1 << OPTION_BITS) + (cast(Answer.option, BigInteger) + OPTION_SHIFT))
    statement = (
        select(Ballot.id, func.count(), func.aggregate_strings(cast(code, Text), ","))
        .join(Answer, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign_id)
        .group_by(Ballot.id))
    result = db.session.connection().execute(statement)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    counts = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a parse error shows as a short array, below
        codes = (np.fromstring(",".join(r[2] for r in rows), dtype=np.int64, sep=",")
                 if rows else np.zeros(0, dtype=np.int64))
    if len(codes) != counts.sum() or (len(codes) and codes.min() < 0):
        return None
    cells = codes >> OPTION_BITS
    return np.stack([np.repeat(ids, counts), cells >> item_bits,
                     cells & ((1 << item_bits) - 1),
                     (codes & ((1 << OPTION_BITS) - 1)) - OPTION_SHIFT], axis=1)


def _lookup(ids: list[int]):
    """A vectorised map from database ids to axis positions (-1 for unknown ids)."""
    keys = np.array(ids, dtype=np.int64)
    order = np.argsort(keys)
    sorted_keys = keys[order]

    def find(values: np.ndarray) -> np.ndarray:
        if not len(sorted_keys):
            return np.full(len(values), -1)
        pos = np.clip(np.searchsorted(sorted_keys, values), 0, len(sorted_keys) - 1)
        return np.where(sorted_keys[pos] == values, order[pos], -1)

    return find
