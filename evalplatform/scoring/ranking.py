"""Ranks within pools (categories), bottom-N cut lines, and what the bootstrap says of them."""

from __future__ import annotations

import numpy as np

#: A value this close to a half (in the score's own units) is taken as the half: weighted
#: means carry floating-point noise of about 1e-13, and 50.045 must not become 50.04.
HALF_TOLERANCE = 1e-9


def rounded(scores, decimals: int) -> np.ndarray:
    """Scores rounded half up (四舍五入) to ``decimals`` places — 50.045 → 50.05,
    89.995 → 90.00 — the one rounding rule of ties, grades and every printed number."""
    scale = 10.0 ** decimals
    values = np.asarray(scores, dtype=np.float64)
    return np.floor(values * scale + (0.5 + HALF_TOLERANCE * scale)) / scale


def round_half_up(value: float, decimals: int) -> float:
    """One number rounded as :func:`rounded` rounds arrays."""
    return float(rounded(value, decimals))


def competition_ranks(scores: np.ndarray, pools: list[np.ndarray], decimals: int) -> np.ndarray:
    """Rank units within each pool, best first, ties sharing a rank ("1224").

    ``scores`` is ``[..., U]`` (leading axes: bootstrap replicates); NaN scores are not
    ranked (NaN rank). Ties are judged on scores rounded to ``decimals`` places, as
    published.
    """
    scores = rounded(scores, decimals)
    ranks = np.full(scores.shape, np.nan)
    for pool in pools:
        s = scores[..., pool]
        finite = np.isfinite(s)
        better = (s[..., None, :] > s[..., :, None]) & finite[..., None, :]
        r = 1.0 + better.sum(axis=-1)
        ranks[..., pool] = np.where(finite, r, np.nan)
    return ranks


def bottom_cut(scores: np.ndarray, pool: np.ndarray, n: int, decimals: int
               ) -> tuple[list[int], int | None]:
    """The ``n`` lowest-scoring units of a pool (all units tied with the n-th lowest
    included), and the unit just above the cut line.

    Nobody is cut when nobody would be left above the line — a category with no more
    units than ``n``, or whose units all tie at the cut: "last" needs someone ahead.
    """
    s = rounded(scores[pool], decimals)
    ranked = [(s[k], int(pool[k])) for k in range(len(pool)) if np.isfinite(s[k])]
    if not ranked or n <= 0:
        return [], None
    ranked.sort()
    threshold = ranked[min(n, len(ranked)) - 1][0]
    flagged = [u for value, u in ranked if value <= threshold]
    above = [u for value, u in ranked if value > threshold]
    if not above:
        return [], None
    return flagged, above[0]


def interval(values: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over the first axis (replicates), ignoring NaN replicates."""
    tail = (1 - confidence) / 2 * 100
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns → NaN
            lo = np.nanpercentile(values, tail, axis=0)
            hi = np.nanpercentile(values, 100 - tail, axis=0)
    return lo, hi


def share_below(replicates: np.ndarray, unit: int, other: int) -> float | None:
    """In what share of replicates ``unit`` scored strictly below ``other``."""
    a, b = replicates[:, unit], replicates[:, other]
    both = np.isfinite(a) & np.isfinite(b)
    if not both.any():
        return None
    return float((a[both] < b[both]).mean())
