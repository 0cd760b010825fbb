"""Property tests: what the schemes compute from counts equals a naive computation over
the individual answers, and the bootstrap's replicate cubes are weighted ballot counts."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evalplatform.scoring.appraisal import AppraisalScheme
from evalplatform.scoring.bootstrap import group_patterns, replicate_counts, resample_weights
from evalplatform.scoring.cube import BallotArrays, Cube, CubeGroup, CubeItem, CubeUnit
from evalplatform.scoring.satisfaction import SatisfactionScheme
from tests.scoring_helpers import options

SCALES = {"satisfaction": ("satisfaction5", SatisfactionScheme()),
          "appraisal": ("appraisal4", AppraisalScheme())}


@st.composite
def campaigns(draw):
    scheme = draw(st.sampled_from(sorted(SCALES)))
    opts = options(SCALES[scheme][0])
    n_units = draw(st.integers(1, 4))
    n_items = draw(st.integers(1, 2))
    weights = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5]), min_size=1, max_size=3))
    n_ballots = draw(st.integers(0, 30))
    groups = draw(st.lists(st.integers(0, len(weights) - 1), min_size=n_ballots,
                           max_size=n_ballots))
    answers = draw(st.lists(
        st.lists(st.lists(st.integers(-1, len(opts) - 1), min_size=n_items, max_size=n_items),
                 min_size=n_units, max_size=n_units),
        min_size=n_ballots, max_size=n_ballots))
    min_size = draw(st.integers(1, 4))
    return scheme, opts, n_units, n_items, weights, groups, answers, min_size


def build(scheme, opts, n_units, n_items, weights, groups, answers, min_size):
    units = tuple(CubeUnit(k, f"单位{k}", "AB"[k % 2]) for k in range(n_units))
    items = tuple(CubeItem(100 + i, f"项目{i}", scheme, opts) for i in range(n_items))
    cube_groups = tuple(CubeGroup(200 + g, f"主体{g}", w) for g, w in enumerate(weights))
    arrays = BallotArrays(np.array(answers, dtype=np.int8).reshape(len(answers), n_units, n_items),
                          np.array(groups, dtype=np.int64))
    counts = np.zeros((n_units, n_items, len(weights), len(opts)), dtype=np.int64)
    for b, g in enumerate(groups):
        for u in range(n_units):
            for i in range(n_items):
                if answers[b][u][i] >= 0:
                    counts[u, i, g, answers[b][u][i]] += 1
    ballots = np.bincount(np.array(groups, dtype=np.int64), minlength=len(weights))
    return Cube(units, items, cube_groups, counts, ballots, min_size), arrays


def naive_composite(scheme, opts, n_units, n_items, weights, groups, answers, min_size):
    """Per answer, in plain Python: item means (trimmed for appraisal), group means,
    eligibility by valid votes, weights renormalised over the counted groups."""
    trim = scheme == "appraisal"
    out = []
    for u in range(n_units):
        num = den = 0.0
        for g, w in enumerate(weights):
            item_means, fewest = [], math.inf
            for i in range(n_items):
                scores = sorted(opts[answers[b][u][i]].score for b in range(len(groups))
                                if groups[b] == g and answers[b][u][i] >= 0
                                and not opts[answers[b][u][i]].abstain)
                fewest = min(fewest, len(scores))
                if trim and len(scores) > 5:
                    scores = scores[1:-1]
                item_means.append(sum(scores) / len(scores) if scores else math.nan)
            finite = [m for m in item_means if not math.isnan(m)]
            score = sum(finite) / len(finite) if finite else math.nan
            if fewest >= min_size and w > 0 and not math.isnan(score):
                num += w * score
                den += w
        out.append(num / den if den else None)
    return out


@settings(max_examples=300, deadline=None)
@given(campaigns())
def test_cube_scoring_equals_naive_per_answer_computation(case):
    scheme_key = case[0]
    cube, _ = build(*case)
    result = SCALES[scheme_key][1].evaluate(cube, {}).result
    expected = naive_composite(*case)
    for unit, value in zip(result.units, expected, strict=True):
        if value is None:
            assert unit.score is None and "too_few_raters" in unit.flags
        else:
            assert unit.score is not None and math.isclose(unit.score, value, abs_tol=1e-9)


def expand(arrays: BallotArrays, patterns, weights_by_group) -> tuple[list, list]:
    """A replicate as plain ballots: each group's patterns repeated as often as drawn."""
    groups, answers = [], []
    for g, (found, weights) in enumerate(zip(patterns, weights_by_group, strict=True)):
        for row, times in zip(found.rows, weights, strict=True):
            groups += [g] * int(times)
            answers += [row.tolist()] * int(times)
    return groups, answers


@settings(max_examples=100, deadline=None)
@given(campaigns(), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.5, 1.01]))
def test_replicate_cubes_are_the_resampled_ballots_counted(case, seed, dense_share):
    """Whichever way units are counted (all in blocks, each from its own raters, mixed)."""
    cube, arrays = build(*case)
    replicates = 3
    patterns = group_patterns(arrays, len(cube.groups))
    got = replicate_counts(patterns, cube.counts.shape, replicates,
                           np.random.default_rng(seed), dense_share=dense_share)
    rng = np.random.default_rng(seed)  # same draws, counted by hand
    expected = np.zeros_like(got)
    for g, found in enumerate(patterns):
        if not found.ballots:
            continue
        weights = resample_weights(found.counts, replicates, rng)
        for r in range(replicates):
            for k, row in enumerate(found.rows):
                for u in range(len(cube.units)):
                    for i in range(len(cube.items)):
                        if row[u, i] >= 0:
                            expected[r, u, i, g, row[u, i]] += weights[r, k]
    np.testing.assert_allclose(got, expected)
    # Each scheme's own cube (a run of items, or any set of them) holds the same counts.
    n_items = len(cube.items)
    sets = [list(range(n_items // 2)), list(range(n_items // 2, n_items)), [n_items - 1, 0]]
    parts = replicate_counts(patterns, cube.counts.shape, replicates,
                             np.random.default_rng(seed), dense_share=dense_share,
                             item_sets=sets)
    for items, part in zip(sets, parts, strict=True):
        np.testing.assert_array_equal(part, expected[:, :, items])


@settings(max_examples=100, deadline=None)
@given(campaigns(), st.integers(0, 2**32 - 1), st.randoms(use_true_random=False))
def test_resampling_depends_on_the_ballots_contents_not_their_order(case, seed, shuffle):
    """The same ballots stored in another order (other random ids) give the very same
    replicate cubes: the draws follow the ballots' contents and the seed only."""
    cube, arrays = build(*case)
    order = list(range(len(arrays.groups)))
    shuffle.shuffle(order)
    moved = BallotArrays(arrays.answers[order], arrays.groups[order])
    first = replicate_counts(group_patterns(arrays, len(cube.groups)), cube.counts.shape, 4,
                             np.random.default_rng(seed))
    second = replicate_counts(group_patterns(moved, len(cube.groups)), cube.counts.shape, 4,
                              np.random.default_rng(seed))
    np.testing.assert_array_equal(first, second)


@settings(max_examples=150, deadline=None)
@given(campaigns(), st.integers(0, 2**32 - 1))
def test_each_replicate_redoes_the_whole_computation_suppression_included(case, seed):
    """A replicate's composite is the naive computation over the ballots it drew: which
    groups reach the minimum size is decided again in each replicate."""
    scheme_key, _opts, _u, _i, weights, *_rest = case
    cube, arrays = build(*case)
    scheme = SCALES[scheme_key][1]
    patterns = group_patterns(arrays, len(cube.groups))
    replicates = 3
    counts = replicate_counts(patterns, cube.counts.shape, replicates,
                              np.random.default_rng(seed))
    got = scheme.composite(cube.with_counts(counts), scheme.normalize_config({}))
    rng = np.random.default_rng(seed)
    drawn = [resample_weights(found.counts, replicates, rng) if found.ballots else None
             for found in patterns]
    for r in range(replicates):
        groups, answers = expand(arrays, patterns,
                                 [w[r] if w is not None else [] for w in drawn])
        expected = naive_composite(case[0], case[1], case[2], case[3], weights, groups,
                                   answers, case[7])
        for value, want in zip(got[r], expected, strict=True):
            if want is None:
                assert np.isnan(value)
            else:
                assert math.isclose(float(value), want, rel_tol=1e-5, abs_tol=1e-4)


@given(st.lists(st.integers(1, 50), min_size=1, max_size=30), st.integers(1, 20),
       st.integers(0, 2**32 - 1))
def test_each_replicate_draws_as_many_ballots_as_the_group_has(counts, replicates, seed):
    counts = np.array(counts, dtype=np.int64)
    weights = resample_weights(counts, replicates, np.random.default_rng(seed))
    assert weights.shape == (replicates, len(counts))
    assert (weights.sum(axis=1) == counts.sum()).all() and (weights >= 0).all()


def test_composite_broadcasts_over_replicates():
    case = ("satisfaction", options("satisfaction5"), 3, 1, [1.0, 2.0],
            [0] * 6 + [1] * 6, [[[b % 5], [(b + 1) % 5], [(b + 2) % 6]] for b in range(12)], 5)
    cube, _ = build(*case)
    scheme = SCALES["satisfaction"][1]
    evaluation = scheme.evaluate(cube, {})
    stacked = cube.with_counts(np.stack([cube.counts, cube.counts]))
    twice = scheme.composite(stacked, scheme.normalize_config({}))
    np.testing.assert_allclose(twice[0], evaluation.composite)
    np.testing.assert_allclose(twice[1], evaluation.composite)
