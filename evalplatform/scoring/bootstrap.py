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


def resample_weights(n: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``n`` ballots is drawn in each replicate: ``[replicates, n]``."""
    draws = rng.integers(0, n, size=(replicates, n))
    offsets = (np.arange(replicates) * n)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=replicates * n) \
        .reshape(replicates, n).astype(np.float32)


def replicate_counts(ballots: BallotArrays, shape: tuple[int, int, int, int], replicates: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Bootstrap cubes ``[replicates, U, I, G, O]`` (float32 counts)."""
    n_units, n_items, n_groups, n_options = shape
    out = np.zeros((replicates, *shape), dtype=np.float32)
    option_range = np.arange(n_options, dtype=np.int8)
    for g in range(n_groups):
        rows = ballots.answers[ballots.groups == g]
        n = len(rows)
        if n == 0:
            continue
        weights = resample_weights(n, replicates, rng)
        per_unit = n * n_items * n_options * 4
        step = max(1, BLOCK_BYTES // max(per_unit, 1))
        for u0 in range(0, n_units, step):
            block = rows[:, u0:u0 + step, :]
            onehot = (block[..., None] == option_range).astype(np.float32)
            flat = onehot.reshape(n, -1)
            out[:, u0:u0 + step, :, g, :] = (weights @ flat).reshape(
                replicates, block.shape[1], n_items, n_options)
    return out
