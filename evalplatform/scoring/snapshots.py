"""Published results: stored when a campaign closes, verifiable against the ballots."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Campaign, ResultSnapshot
from .cube import ballot_problems
from .engine import campaign_results, compute, registered_schemes
from .rules import rules_for, sha256


def results_digest(results) -> tuple[dict, str]:
    """The results as stored, and the SHA-256 of what the ballots and the rules decide
    (the scores, ranks and flags; not the participation counts of codes)."""
    data = results.to_json()
    decided = {k: data[k] for k in ("rules_sha256", "ballots", "schemes", "missing_schemes")}
    return data, sha256(decided)


def take_snapshot(campaign: Campaign) -> ResultSnapshot:
    results = campaign_results(campaign, use_cache=False, reuse_published=False)
    data, digest = results_digest(results)
    snapshot = ResultSnapshot(campaign_id=campaign.id, rules_sha256=campaign.rules_sha256 or "",
                              results_sha256=digest, results=data, bootstrap=results.bootstrap)
    db.session.add(snapshot)
    return snapshot


def published_bootstrap(campaign: Campaign, rules_sha256: str) -> dict | None:
    """What the bootstrap decided for the campaign's latest published results, if they
    were computed under these rules."""
    return db.session.scalar(
        select(ResultSnapshot.bootstrap).where(ResultSnapshot.campaign_id == campaign.id,
                                               ResultSnapshot.rules_sha256 == rules_sha256)
        .order_by(ResultSnapshot.id.desc()).limit(1))


def latest_snapshot(campaign: Campaign) -> ResultSnapshot | None:
    return db.session.scalar(select(ResultSnapshot).where(ResultSnapshot.campaign_id == campaign.id)
                             .order_by(ResultSnapshot.id.desc()).limit(1))


@dataclass
class Verification:
    ok: bool
    rules_ok: bool
    results_ok: bool | None  # None: nothing published yet to compare with
    rules_sha256: str
    recomputed_sha256: str
    published_sha256: str | None
    messages: list[str]


def verify(campaign: Campaign) -> Verification:
    """Recompute the results from the ballots with the frozen rules and compare them
    with what was published when the campaign closed."""
    schemes = registered_schemes()
    rules, stored_hash, frozen = rules_for(campaign, schemes)
    messages = []
    rules_ok = frozen and sha256(rules) == stored_hash
    if not frozen:
        messages.append("rules are not frozen: the campaign is still a draft")
    elif not rules_ok:
        messages.append(f"the frozen rules do not match their SHA-256 {stored_hash}")
    problems = ballot_problems(campaign.id, rules) if frozen else []
    messages.extend(problems)
    cells_ok = not problems
    recomputed = "" if not cells_ok else results_digest(
        compute(campaign, rules, stored_hash, frozen, schemes))[1]
    snapshot = latest_snapshot(campaign)
    results_ok = None
    if snapshot is None:
        messages.append("no published results yet (they are stored when the campaign closes)")
    else:
        results_ok = cells_ok and snapshot.results_sha256 == recomputed
        if not results_ok:
            messages.append(f"published results {snapshot.results_sha256} differ from the "
                            f"results recomputed from the ballots {recomputed}")
    ok = rules_ok and cells_ok and results_ok is not False
    return Verification(ok, rules_ok, results_ok, stored_hash, recomputed,
                        snapshot.results_sha256 if snapshot else None, messages)
