"""The bootstrap over ballots: replicate cubes from resampled ballots.

Ballots are resampled with replacement within each rater group (each group keeps its
size, so its weight keeps its meaning). A replicate's cube is ``W @ onehot(ballots)``, a
matrix product, so a thousand replicates of twenty thousand ballots take seconds, and
every scheme computes its replicate scores with the very code of its point estimate.
"""

from __future__ import annotations

import numpy as np

from .cube import BallotArrays

#: Bound on the one-hot block materialised at once (bytes).
BLOCK_BYTES = 64 * 1024 * 1024
#: Units answered by at least this share of a group's ballots are counted densely.
DENSE_SHARE = 0.5


def resample_weights(n: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``n`` ballots is drawn in each replicate: ``[replicates, n]``."""
    draws = rng.integers(0, n, size=(replicates, n))
    offsets = (np.arange(replicates) * n)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=replicates * n) \
        .reshape(replicates, n).astype(np.float32)


def replicate_counts(ballots: BallotArrays, shape: tuple[int, int, int, int], replicates: int,
                     rng: np.random.Generator, dense_share: float = DENSE_SHARE,
                     item_sets: list[list[int]] | None = None) -> np.ndarray | list[np.ndarray]:
    """Bootstrap cubes ``[replicates, U, I, G, O]`` (float32 counts); with ``item_sets``,
    one cube per set of item indices (each scheme its own, no copy of a whole cube).

    Units that most of a group's ballots answer are counted in blocks, one product over
    all the group's ballots; a unit few of them answer (a city-wide survey where each
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

    for g in range(n_groups):
        rows = ballots.answers[ballots.groups == g]
        n = len(rows)
        if n == 0:
            continue
        weights = resample_weights(n, replicates, rng)
        answered = (rows >= 0).any(axis=2)  # [n, U]
        share = answered.mean(axis=0)
        step = max(1, BLOCK_BYTES // max(n * n_items * n_options * 4, 1))
        for start, stop in _runs(share >= dense_share, step):
            store(slice(start, stop), g, weights @ onehot(rows[:, start:stop]))
        by_ballot = np.ascontiguousarray(weights.T)  # [n, R]: a unit's raters are rows
        for u in np.flatnonzero((share < dense_share) & (share > 0)):
            who = np.flatnonzero(answered[:, u])
            store(int(u), g, (onehot(rows[who, u:u + 1]).T @ by_ballot[who]).T)
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
