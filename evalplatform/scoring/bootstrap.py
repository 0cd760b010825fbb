"""The bootstrap over ballots: replicate cubes from resampled ballots.

Ballots are resampled with replacement within each rater group (each group keeps its
size, so its weight keeps its meaning). Identical ballots are interchangeable, so a
group's ballots are taken as its distinct answer patterns, sorted by their bytes, each
with how many ballots gave it; a resample is then how many copies of each pattern it
holds (:func:`resample_weights`). The draws therefore depend on the ballots' contents
and the seed only — never on ballot ids or the order rows are stored in. A replicate's
cube is ``W @ onehot(patterns)``, a matrix product, and every scheme computes its
replicate scores with the very code of its point estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cube import BallotArrays

#: Bound on the one-hot block materialised at once (bytes).
BLOCK_BYTES = 64 * 1024 * 1024
#: Units answered by at least this share of a group's ballots are counted densely.
DENSE_SHARE = 0.5


@dataclass(frozen=True)
class Patterns:
    """One rater group's ballots as distinct answer patterns ``[m, U, I]`` (sorted by
    their bytes) and how many ballots gave each ``[m]``."""

    rows: np.ndarray
    counts: np.ndarray

    @property
    def ballots(self) -> int:
        return int(self.counts.sum())


def group_patterns(ballots: BallotArrays, n_groups: int) -> list[Patterns]:
    """Each group's distinct answer patterns, in a canonical order (their bytes)."""
    out = []
    for g in range(n_groups):
        rows = np.ascontiguousarray(ballots.answers[ballots.groups == g])
        n, shape = len(rows), rows.shape[1:]
        width = int(np.prod(shape, dtype=np.int64))
        if n == 0:
            out.append(Patterns(rows, np.zeros(0, dtype=np.int64)))
            continue
        if width == 0:  # nothing asked: every ballot is the same empty pattern
            out.append(Patterns(rows[:1], np.array([n], dtype=np.int64)))
            continue
        keys = rows.reshape(n, width).view(np.dtype((np.void, width))).ravel()
        _, first, counts = np.unique(keys, return_index=True, return_counts=True)
        out.append(Patterns(rows[first], counts.astype(np.int64)))
    return out


#: Draws made at once when ballots are drawn one by one (bounds the temporary arrays).
DRAW_BLOCK = 4_000_000


def resample_weights(counts: np.ndarray, replicates: int, rng: np.random.Generator
                     ) -> np.ndarray:
    """How many copies of each pattern each replicate draws, ``[replicates, m]``
    (float32): ``n = counts.sum()`` draws with replacement from the group's ballots.

    Where identical ballots are common (m ≤ n / 4) the counts are one multinomial draw per
    replicate, whose cost follows the patterns; otherwise ballots (in the patterns'
    canonical order) are drawn one by one and counted per pattern, in blocks. Either way
    the result depends on the patterns, their counts and the generator only."""
    n, m = int(counts.sum()), len(counts)
    if m == 1:
        return np.full((replicates, 1), n, dtype=np.float32)
    if 4 * m <= n:
        return rng.multinomial(n, counts / n, size=replicates).astype(np.float32)
    owner = np.repeat(np.arange(m), counts)  # ballot k of the canonical order → its pattern
    out = np.empty((replicates, m), dtype=np.float32)
    step = max(1, DRAW_BLOCK // n)
    for start in range(0, replicates, step):
        rows = min(step, replicates - start)
        drawn = owner[rng.integers(0, n, size=(rows, n))] + (np.arange(rows) * m)[:, None]
        out[start:start + rows] = np.bincount(drawn.ravel(), minlength=rows * m).reshape(rows, m)
    return out


def replicate_counts(patterns: list[Patterns], shape: tuple[int, int, int, int],
                     replicates: int, rng: np.random.Generator,
                     dense_share: float = DENSE_SHARE,
                     item_sets: list[list[int]] | None = None) -> np.ndarray | list[np.ndarray]:
    """Bootstrap cubes ``[replicates, U, I, G, O]`` (float32 counts) from each group's
    patterns (:func:`group_patterns`); with ``item_sets``, one cube per set of item
    indices (each scheme its own, no copy of a whole cube).

    Units that most of a group's ballots answer are counted in blocks, one product over
    all the group's patterns; a unit few of them answer (a city-wide survey where each
    rater rates the units they know) is counted from its own raters only, so the work
    follows the answers given rather than ballots × units."""
    n_units, n_items, n_groups, n_options = shape
    sets = item_sets if item_sets is not None else [list(range(n_items))]
    outs = [np.zeros((replicates, n_units, len(items), n_groups, n_options), dtype=np.float32)
            for items in sets]
    option_range = np.arange(n_options, dtype=np.int8)

    def onehot(block: np.ndarray) -> np.ndarray:  # [n, k, I] → [n, k·I·O]
        return (block[..., None] == option_range).astype(np.float32).reshape(len(block), -1)

    # A scheme's items are usually a run of the cube's: a slice takes them without a copy.
    picks = [slice(items[0], items[-1] + 1) if items and items[-1] - items[0] + 1 == len(items)
             else items for items in sets]

    def store(units: slice | int, g: int, counted: np.ndarray) -> None:  # [R, (k,) I·O]
        counted = counted.reshape(replicates, -1, n_items, n_options)
        if isinstance(units, int):
            counted = counted[:, 0]
        for out, items in zip(outs, picks, strict=True):
            out[:, units, :, g, :] = counted[..., items, :]

    for g, group in enumerate(patterns):
        rows = group.rows
        if group.ballots == 0:
            continue
        weights = resample_weights(group.counts, replicates, rng)  # [R, m]
        answered = (rows >= 0).any(axis=2)  # [m, U]
        share = (group.counts @ answered) / group.ballots  # of the group's ballots
        step = max(1, BLOCK_BYTES // max(len(rows) * n_items * n_options * 4, 1))
        for start, stop in _runs(share >= dense_share, step):
            store(slice(start, stop), g, weights @ onehot(rows[:, start:stop]))
        by_pattern = np.ascontiguousarray(weights.T)  # [m, R]: a unit's raters are rows
        for u in np.flatnonzero((share < dense_share) & (share > 0)):
            who = np.flatnonzero(answered[:, u])
            store(int(u), g, (onehot(rows[who, u:u + 1]).T @ by_pattern[who]).T)
    return outs if item_sets is not None else outs[0]


def _runs(mask: np.ndarray, longest: int) -> list[tuple[int, int]]:
    """(start, stop) of the runs of True in ``mask``, none longer than ``longest``."""
    runs, start = [], None
    for k, on in enumerate([*mask.tolist(), False]):
        if on and start is None:
            start = k
        if start is not None and (not on or k - start == longest):
            runs.append((start, k))
            start = k if on else None
    return runs
