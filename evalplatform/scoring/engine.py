"""Computing a campaign's results: the cube, every enabled scheme, the bootstrap.

Results are cached per campaign in the worker until a ballot arrives, the campaign's
status or rules change or data a scheme reads besides ballots changes (the cache key
holds the status, the ballot count, the rules' hash, whether they are frozen — opening a
campaign freezes the very rules its draft preview used — and each scheme's
``data_version``).
"""

from __future__ import annotations

import hashlib
import math
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Ballot, Campaign, ResultSnapshot
from ..plugins import hook
from ..util import utcnow
from .bootstrap import Patterns, group_patterns, replicate_counts
from .choices import tally_unscored
from .cube import BallotArrays, Cube, empty_cube, load_cube
from .layout import Layout
from .participation import participation
from .questions import tally_questions
from .ranking import competition_ranks, interval, rounded
from .results import CampaignResults, GroupParticipation, SchemeResult
from .rules import rules_for
from .scheme import Evaluation, Scheme

CACHE_SIZE = 16


def registered_schemes(app=None) -> dict[str, Scheme]:
    """Every scheme the installed plugins provide, by key."""
    app = app or current_app
    cached = app.extensions.get("evalplatform.schemes")
    if cached is None:
        cached = {}
        for batch in hook(app).register_schemes():
            for scheme in batch or []:
                if scheme.key in cached:
                    raise RuntimeError(f"two plugins register the scheme {scheme.key!r}")
                cached[scheme.key] = scheme
        app.extensions["evalplatform.schemes"] = cached
    return cached


class _Cache:
    def __init__(self, size: int):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key, value):
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


def _cache() -> _Cache:
    return current_app.extensions.setdefault("evalplatform.results_cache", _Cache(CACHE_SIZE))


def campaign_results(campaign: Campaign, *, use_cache: bool = True,
                     reuse_published: bool = True) -> CampaignResults:
    """The campaign's results for every enabled scheme, with bootstrap intervals.

    While the campaign is open its results are **sealed**: nothing computed from ballots
    is published before it closes (two views a ballot apart would show that ballot), so
    only schemes that read no ballots are computed. A closed campaign's intervals come
    from its published results when these were computed from the same ballots under the
    same rules (:func:`compute`'s ``published``), so the bulletin and the units' reports
    do not redo the bootstrap; ``reuse_published=False`` resamples anyway.
    """
    schemes = registered_schemes()
    rules, rules_hash, frozen = rules_for(campaign, schemes)
    sealed = campaign.status == "open"
    ballots = 0 if sealed else db.session.scalar(
        select(func.count()).where(Ballot.campaign_id == campaign.id))
    versions = tuple(schemes[k].data_version(campaign, spec["config"])
                     for k, spec in rules["schemes"].items() if k in schemes)
    key = (campaign.id, campaign.status, ballots, rules_hash, frozen, versions)
    if use_cache and (hit := _cache().get(key)) is not None:
        # participation counts codes, not ballots: always current, never cached
        return replace(hit, participation=participation_of(campaign, rules))
    published = None
    if reuse_published and campaign.status == "closed":
        published = published_bootstrap(campaign, rules_hash)
    results = compute(campaign, rules, rules_hash, frozen, schemes, published, sealed=sealed)
    _cache().put(key, results)
    return results


def participation_of(campaign: Campaign, rules: dict) -> list[GroupParticipation]:
    """Codes issued and used per rater group, with the groups' weights."""
    groups = {g["name"]: g["weight"] for g in rules["groups"]}
    return [GroupParticipation(p.name, groups.get(p.name, 0.0), p.issued, p.used)
            for p in participation(campaign)]


def published_bootstrap(campaign: Campaign, rules_sha256: str) -> dict | None:
    """What the bootstrap decided for the campaign's latest published results (and the
    ballots' fingerprint), if they were computed under these rules."""
    return db.session.scalar(
        select(ResultSnapshot.bootstrap).where(ResultSnapshot.campaign_id == campaign.id,
                                               ResultSnapshot.rules_sha256 == rules_sha256)
        .order_by(ResultSnapshot.id.desc()).limit(1))


def ballots_digest(patterns: list[Patterns], groups) -> dict:
    """What identifies the ballots results are computed from, whatever their ids or the
    order they are stored in: per rater group (by id) its name, its number of ballots and
    the SHA-256 of its distinct answer patterns with their counts (canonical order), and
    the SHA-256 of all of it. ``results verify`` compares it with the published one."""
    per_group = {}
    whole = hashlib.sha256()
    for group, found in zip(groups, patterns, strict=True):
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(found.counts.astype("<i8")).data)
        digest.update(np.ascontiguousarray(found.rows).data)
        per_group[str(group.id)] = {"name": group.name, "ballots": found.ballots,
                                    "sha256": digest.hexdigest()}
        whole.update(f"{group.id}:{found.ballots}:{digest.hexdigest()};".encode())
    return {"sha256": whole.hexdigest(), "groups": per_group}


def compute(campaign: Campaign, rules: dict, rules_hash: str, frozen: bool,
            schemes: dict[str, Scheme], published: dict | None = None, *,
            sealed: bool = False) -> CampaignResults:
    """The results under these rules, tallied from the campaign's ballots.

    ``published`` is what the bootstrap decided when the results were published
    (``CampaignResults.bootstrap``): used instead of resampling again when it was drawn
    from these very ballots, since the same ballots and rules (which seed the draws)
    give the same intervals. ``sealed``: leave out every scheme that reads ballots (and
    read none).
    """
    layout = Layout.from_rules(rules)
    cube = empty_cube(rules, layout) if sealed else load_cube(campaign.id, rules, layout)
    boot = rules.get("bootstrap", {})
    replicates, confidence = int(boot.get("replicates", 0)), float(boot.get("confidence", 0.95))
    total_ballots = int(cube.ballots.sum())
    keys = [key for key in rules["schemes"] if key in schemes
            and not (sealed and schemes[key].reads_ballots(rules["schemes"][key]["config"]))]
    index = {key: [k for k, item in enumerate(cube.items) if item.scheme == key] for key in keys}
    patterns = group_patterns(cube.ballot_arrays, len(cube.groups)) if not sealed else None
    digest = ballots_digest(patterns, cube.groups) if not sealed else None
    bootstrapped = bool(replicates and total_ballots)
    kept = bootstrapped and campaign.status == "closed"  # only a closed campaign's is kept
    reused = None
    if kept and published and published.get("ballots_sha256") == digest["sha256"] and all(
            key in published.get("schemes", {}) for key in keys if index[key]):
        reused = published["schemes"]  # (a scheme installed since closing is resampled)
    replicate_cubes = {}
    if bootstrapped and reused is None:
        rng = np.random.default_rng(int(rules_hash[:16], 16))
        replicate_cubes = dict(zip(keys, replicate_counts(
            patterns, cube.counts.shape, replicates, rng,
            item_sets=[index[key] for key in keys]), strict=True))
    results, missing, decided = {}, [], {}
    for key, spec in rules["schemes"].items():
        scheme = schemes.get(key)
        if scheme is None:
            missing.append(key)
            continue
        if key not in keys:
            continue
        sub, asked = scheme_cube(cube, index[key])
        config = scheme.normalize_config(spec["config"])
        evaluation = scheme.evaluate(sub, spec["config"])
        if reused is not None and index[key]:
            restore_uncertainty(evaluation.result, reused[key])
        elif key in replicate_cubes and index[key]:
            rep = sub.with_counts(replicate_cubes[key][..., asked, :, :, :])
            scores = scheme.composite(rep, config)
            add_uncertainty(evaluation, scores, confidence)
            for k, above in evaluation.flagged.items():
                if above is not None:
                    seed = (int(rules_hash[:16], 16), zlib.crc32(key.encode()),
                            sub.units[k].id, sub.units[above].id)
                    separate(evaluation, k, above, separation(
                        scheme, sub, config, cube.ballot_arrays, index[key], (k, above),
                        seed, evaluation.decimals, confidence, scores[:, [k, above]],
                        ballot_units=(int(asked[k]), int(asked[above]))))
        if kept and index[key]:
            decided[key] = uncertainty_of(evaluation.result)
        results[key] = evaluation.result
    questions = tally_questions(campaign.id, layout, cube.ballot_arrays, cube.groups,
                                int(rules["min_group_size"])) \
        if layout.questions and not sealed else []
    unscored = tally_unscored(cube) \
        if not sealed and any(item.scheme is None for item in cube.items) else []
    return CampaignResults(
        campaign_id=campaign.id, title=campaign.title, rules_sha256=rules_hash, frozen=frozen,
        questions=questions, unscored=unscored,
        ballots=total_ballots, min_group_size=int(rules["min_group_size"]),
        replicates=replicates if bootstrapped else 0, confidence=confidence,
        computed_at=utcnow(),
        participation=participation_of(campaign, rules),
        schemes=results, missing_schemes=missing, sealed=sealed,
        sealed_schemes=[k for k in rules["schemes"] if k in schemes and k not in keys],
        ballots_digest=digest,
        bootstrap={"ballots_sha256": digest["sha256"], "schemes": decided} if kept else None)


def scheme_cube(cube: Cube, items: list[int]) -> tuple[Cube, np.ndarray]:
    """The cube a scheme scores: its items, and the units some group was asked about on
    them (a unit outside every unit set of the scheme's items is not in its results);
    with the indices of those units in ``cube``."""
    sub = cube.for_items([cube.items[k].id for k in items])
    asked = np.flatnonzero(sub.routed_mask().any(axis=(1, 2))) if items else \
        np.arange(len(cube.units))
    if len(asked) == len(cube.units):
        return sub, asked
    return sub.take_units(list(asked)), asked


def add_uncertainty(evaluation: Evaluation, replicate_scores: np.ndarray,
                    confidence: float) -> None:
    """Intervals for each unit's score and rank from the replicates' composites."""
    units = evaluation.result.units
    lo, hi = interval(replicate_scores, confidence)
    ranks = competition_ranks(replicate_scores, evaluation.pools, evaluation.decimals)
    rank_lo, rank_hi = interval(ranks, confidence)
    for k, unit in enumerate(units):
        if unit.score is None or not np.isfinite(lo[k]):
            continue
        unit.interval = (float(lo[k]), float(hi[k]))
        unit.rank_interval = (int(np.floor(rank_lo[k])), int(np.ceil(rank_hi[k])))


# -- is the bottom unit really below the one above the cut line? ----------------------------

#: Replicates of the pair drawn when the intervals' replicates leave the verdict open,
#: and at most in all (doubling in between).
SEPARATION_FIRST, SEPARATION_MOST = 2000, 64000
#: Replicates scored at once (bounds memory: a pair's cube is small, 64,000 of them not).
SEPARATION_CHUNK = 4000
#: The Monte-Carlo error band: the verdict is taken as decided only when the share's
#: Wilson interval at this many standard errors (3.29: 99.9% two-sided) lies on one side
#: of the cut.
SEPARATION_Z = 3.29


@dataclass(frozen=True)
class Separation:
    """How often a bottom unit scored below the unit above the cut line."""

    share: float | None  # None: the two are never both scored
    replicates: int
    #: The share exceeds the confidence level beyond the Monte-Carlo error band.
    clear: bool


def wilson(share: float, n: int, z: float = SEPARATION_Z) -> tuple[float, float]:
    """The Wilson score interval of a share observed in ``n`` trials."""
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def separation(scheme: Scheme, cube: Cube, config: dict, ballots: BallotArrays,
               items: list[int], pair: tuple[int, int], seed: tuple[int, ...], decimals: int,
               cut: float, first: np.ndarray | None = None,
               ballot_units: tuple[int, int] | None = None) -> Separation:
    """In what share of bootstrap replicates unit ``pair[0]`` scores (rounded as
    published) strictly below unit ``pair[1]``, each replicate redoing the whole
    computation for the two (which groups count included).

    ``first`` holds the pair's composites in the intervals' replicates (``[R, 2]``);
    ``ballot_units`` the pair's indices in ``ballots`` when they differ from those in
    ``cube`` (a scheme asked about some units only). While
    the share's Wilson interval at :data:`SEPARATION_Z` still contains ``cut``, more
    replicates are drawn — from the two units' answer patterns alone, which is cheap:
    :data:`SEPARATION_FIRST`, then twice as many as drawn so far, up to
    :data:`SEPARATION_MOST`. It counts as clear only when the interval lies above ``cut``:
    a verdict near the line is left to the benefit of the doubt (与上一名差异不显著), never
    to Monte-Carlo noise. ``seed`` makes it a function of the ballots' contents and the
    rules."""
    below = both = drawn = 0

    def count(scores: np.ndarray) -> None:
        nonlocal below, both, drawn
        scores = rounded(scores, decimals)
        scored = np.isfinite(scores).all(axis=1)
        below += int((scores[scored, 0] < scores[scored, 1]).sum())
        both += int(scored.sum())
        drawn += len(scores)

    def decided() -> bool:
        if not both:
            return False
        low, high = wilson(below / both, both)
        return low > cut or high < cut

    if first is not None:
        count(first)
    patterns = rng = pair_cube = None
    while not decided() and drawn < SEPARATION_MOST:
        if patterns is None:
            pair_cube = cube.take_units(list(pair))
            units = list(ballot_units or pair)
            patterns = group_patterns(
                BallotArrays(ballots.answers[:, units][:, :, items], ballots.groups),
                len(cube.groups))
            rng = np.random.default_rng(list(seed))
        step = min(max(SEPARATION_FIRST, drawn), SEPARATION_MOST - drawn)
        for start in range(0, step, SEPARATION_CHUNK):
            size = min(SEPARATION_CHUNK, step - start)
            counts = replicate_counts(patterns, pair_cube.counts.shape, size, rng)
            count(scheme.composite(pair_cube.with_counts(counts), config))
    if not both:
        return Separation(None, drawn, False)
    return Separation(below / both, drawn, wilson(below / both, both)[0] > cut)


def separate(evaluation: Evaluation, k: int, above: int, found: Separation) -> None:
    """Record on bottom unit ``k`` how it separates from the unit above the cut line."""
    unit = evaluation.result.units[k]
    unit.p_below_next = found.share
    unit.separation_replicates = found.replicates
    if not found.clear:
        unit.flags.append("bottom_uncertain")


def uncertainty_of(result: SchemeResult) -> dict[str, list]:
    """What the bootstrap added to a scheme's units, by unit id, as JSON can hold it:
    ``[interval, rank interval, p_below_next, flagged bottom_uncertain, replicates]``."""
    return {str(u.unit_id): [u.interval, u.rank_interval, u.p_below_next,
                             "bottom_uncertain" in u.flags, u.separation_replicates]
            for u in result.units}


def restore_uncertainty(result: SchemeResult, stored: dict[str, list]) -> None:
    """Put back on a scheme's units what :func:`uncertainty_of` kept of them."""
    for unit in result.units:
        found = stored.get(str(unit.unit_id))
        if found is None:
            continue
        interval, rank_interval, p_below_next, uncertain, replicates = found
        unit.interval = tuple(interval) if interval is not None else None
        unit.rank_interval = tuple(rank_interval) if rank_interval is not None else None
        unit.p_below_next = p_below_next
        unit.separation_replicates = replicates
        if uncertain:
            unit.flags.append("bottom_uncertain")
