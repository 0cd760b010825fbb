"""Computing a campaign's results: the cube, every enabled scheme, the bootstrap.

Results are cached per campaign in the worker until a ballot arrives, the rules change
or data a scheme reads besides ballots changes (the cache key holds the ballot count, the
rules' hash, whether they are frozen — opening a campaign freezes the very rules its
draft preview used — and each scheme's ``data_version``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Ballot, Campaign
from ..plugins import hook
from ..services.codes import participation
from ..util import utcnow
from .bootstrap import replicate_counts
from .cube import BallotArrays, load_ballots, load_cube
from .ranking import competition_ranks, interval, share_below
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

    A closed campaign's intervals come from its published results when these were
    computed from the same ballots under the same rules (:func:`compute`'s
    ``published``), so the bulletin and the units' reports do not redo the bootstrap;
    ``reuse_published=False`` resamples anyway.
    """
    schemes = registered_schemes()
    rules, rules_hash, frozen = rules_for(campaign, schemes)
    ballots = db.session.scalar(select(func.count()).where(Ballot.campaign_id == campaign.id))
    versions = tuple(schemes[k].data_version(campaign, spec["config"])
                     for k, spec in rules["schemes"].items() if k in schemes)
    key = (campaign.id, ballots, rules_hash, frozen, versions)
    if use_cache and (hit := _cache().get(key)) is not None:
        return hit
    published = None
    if reuse_published and campaign.status == "closed":
        from .snapshots import published_bootstrap

        published = published_bootstrap(campaign, rules_hash)
    results = compute(campaign, rules, rules_hash, frozen, schemes, published)
    _cache().put(key, results)
    return results


def ballots_sha256(ballots: BallotArrays) -> str:
    """The SHA-256 of what the bootstrap draws from: each ballot's group and answers, in
    the order they are drawn."""
    digest = hashlib.sha256(ballots.groups.astype("<i8").tobytes())
    digest.update(np.ascontiguousarray(ballots.answers).data)
    return digest.hexdigest()


def compute(campaign: Campaign, rules: dict, rules_hash: str, frozen: bool,
            schemes: dict[str, Scheme], published: dict | None = None) -> CampaignResults:
    """The results under these rules, tallied from the campaign's ballots.

    ``published`` is what the bootstrap decided when the results were published
    (``CampaignResults.bootstrap``): used instead of resampling again when it was drawn
    from these very ballots, since the same ballots and rules (which seed the draws)
    give the same intervals.
    """
    cube = load_cube(campaign.id, rules)
    boot = rules.get("bootstrap", {})
    replicates, confidence = int(boot.get("replicates", 0)), float(boot.get("confidence", 0.95))
    total_ballots = int(cube.ballots.sum())
    keys = [key for key in rules["schemes"] if key in schemes]
    index = {key: [k for k, item in enumerate(cube.items) if item.scheme == key] for key in keys}
    bootstrapped = bool(replicates and total_ballots)
    # only a closed campaign's bootstrap is kept (with its snapshot) and reused
    kept = bootstrapped and campaign.status == "closed"
    digest = ballots_sha256(load_ballots(campaign.id, cube)) if kept else None
    reused = None
    if kept and published and published.get("ballots_sha256") == digest and all(
            key in published["schemes"] for key in keys if index[key]):
        reused = published["schemes"]  # (a scheme installed since closing is resampled)
    replicate_cubes = {}
    if bootstrapped and reused is None:
        rng = np.random.default_rng(int(rules_hash[:16], 16))
        replicate_cubes = dict(zip(keys, replicate_counts(
            load_ballots(campaign.id, cube), cube.counts.shape, replicates, rng,
            item_sets=[index[key] for key in keys]), strict=True))
    results, missing, decided = {}, [], {}
    for key, spec in rules["schemes"].items():
        scheme = schemes.get(key)
        if scheme is None:
            missing.append(key)
            continue
        sub = cube.for_items([cube.items[k].id for k in index[key]])
        evaluation = scheme.evaluate(sub, spec["config"])
        if reused is not None and index[key]:
            restore_uncertainty(evaluation.result, reused[key])
        elif key in replicate_cubes and index[key]:
            rep = sub.with_counts(replicate_cubes[key])
            add_uncertainty(evaluation, scheme.composite(rep, spec["config"],
                                                         evaluation.eligible), confidence)
        if kept and index[key]:
            decided[key] = uncertainty_of(evaluation.result)
        results[key] = evaluation.result
    groups = {g["name"]: g["weight"] for g in rules["groups"]}
    return CampaignResults(
        campaign_id=campaign.id, title=campaign.title, rules_sha256=rules_hash, frozen=frozen,
        ballots=total_ballots, min_group_size=int(rules["min_group_size"]),
        replicates=replicates if bootstrapped else 0, confidence=confidence,
        computed_at=utcnow(),
        participation=[GroupParticipation(p.name, groups.get(p.name, 0.0), p.issued, p.used)
                       for p in participation(campaign)],
        schemes=results, missing_schemes=missing,
        bootstrap={"ballots_sha256": digest, "schemes": decided} if kept else None)


def add_uncertainty(evaluation: Evaluation, replicate_scores: np.ndarray,
                    confidence: float) -> None:
    """Intervals for each unit's score and rank; for bottom units, whether the
    replicates tell them apart from the unit above the cut line."""
    units = evaluation.result.units
    lo, hi = interval(replicate_scores, confidence)
    ranks = competition_ranks(replicate_scores, evaluation.pools, evaluation.decimals)
    rank_lo, rank_hi = interval(ranks, confidence)
    for k, unit in enumerate(units):
        if unit.score is None or not np.isfinite(lo[k]):
            continue
        unit.interval = (float(lo[k]), float(hi[k]))
        unit.rank_interval = (int(np.floor(rank_lo[k])), int(np.ceil(rank_hi[k])))
    for k, above in evaluation.flagged.items():
        if above is None:
            continue
        p = share_below(replicate_scores, k, above)
        units[k].p_below_next = p
        if p is None or p < confidence:
            units[k].flags.append("bottom_uncertain")


def uncertainty_of(result: SchemeResult) -> dict[str, list]:
    """What the bootstrap added to a scheme's units, by unit id, as JSON can hold it:
    ``[interval, rank interval, p_below_next, flagged bottom_uncertain]``."""
    return {str(u.unit_id): [u.interval, u.rank_interval, u.p_below_next,
                             "bottom_uncertain" in u.flags] for u in result.units}


def restore_uncertainty(result: SchemeResult, stored: dict[str, list]) -> None:
    """Put back on a scheme's units what :func:`uncertainty_of` kept of them."""
    for unit in result.units:
        found = stored.get(str(unit.unit_id))
        if found is None:
            continue
        interval, rank_interval, p_below_next, uncertain = found
        unit.interval = tuple(interval) if interval is not None else None
        unit.rank_interval = tuple(rank_interval) if rank_interval is not None else None
        unit.p_below_next = p_below_next
        if uncertain:
            unit.flags.append("bottom_uncertain")
