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
    keys = ("rules_sha256", "ballots", "schemes", "missing_schemes", "method", "questions",
            "unscored_items")
    return data, sha256({k: data[k] for k in keys if k in data})


def take_snapshot(campaign: Campaign) -> ResultSnapshot:
    """Publish the closed campaign's results: stored with their hash, what the bootstrap
    decided and what identifies the ballots they were computed from."""
    results = campaign_results(campaign, use_cache=False, reuse_published=False)
    data, digest = results_digest(results)
    kept = {**(results.bootstrap or {}), "ballots": results.ballots_digest}
    snapshot = ResultSnapshot(campaign_id=campaign.id, rules_sha256=campaign.rules_sha256 or "",
                              results_sha256=digest, results=data, bootstrap=kept)
    db.session.add(snapshot)
    return snapshot


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
    """Recompute the results from the ballots with the frozen rules and compare them,
    and the ballots themselves, with what was published when the campaign closed."""
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
    recomputed = None
    if cells_ok:
        recomputed = compute(campaign, rules, stored_hash, frozen, schemes)
    recomputed_hash = results_digest(recomputed)[1] if recomputed is not None else ""
    snapshot = latest_snapshot(campaign)
    results_ok = None
    if snapshot is None:
        messages.append("no published results yet (they are stored when the campaign closes)")
    else:
        published_method = snapshot.results.get("method", 1)
        if recomputed is not None and published_method != recomputed.method:
            messages.append(
                f"the results were published by method {published_method}; this version "
                f"computes method {recomputed.method} (docs/scoring.md), so intervals and "
                "flags may differ even from the same ballots")
        ballots_changed = ballot_changes((snapshot.bootstrap or {}).get("ballots"),
                                         recomputed.ballots_digest if recomputed else None)
        messages.extend(ballots_changed)
        results_ok = cells_ok and not ballots_changed and \
            snapshot.results_sha256 == recomputed_hash
        if cells_ok and snapshot.results_sha256 != recomputed_hash:
            messages.append(f"published results {snapshot.results_sha256} differ from the "
                            f"results recomputed from the ballots {recomputed_hash}")
    ok = rules_ok and cells_ok and results_ok is not False
    return Verification(ok, rules_ok, results_ok, stored_hash, recomputed_hash,
                        snapshot.results_sha256 if snapshot else None, messages)


def ballot_changes(published: dict | None, now: dict | None) -> list[str]:
    """What differs between the ballots results were published from and the ballots
    stored now, per rater group: ballots added, removed or changed. Empty when they are
    the same (or nothing was kept to compare: results published before ballots were)."""
    if published is None or now is None:
        return [] if published is None else ["the ballots could not be read"]
    out = []
    before, after = published["groups"], now["groups"]
    for group_id in sorted(set(before) | set(after), key=str):
        was, is_ = before.get(group_id), after.get(group_id)
        name = (is_ or was)["name"]
        if was is None or is_ is None:
            out.append(f"rater group {name!r} is {'new' if was is None else 'gone'}")
        elif was["ballots"] != is_["ballots"]:
            change = is_["ballots"] - was["ballots"]
            out.append(f"rater group {name!r}: {was['ballots']} ballots published, "
                       f"{is_['ballots']} stored now ({abs(change)} "
                       f"{'added' if change > 0 else 'removed'})")
        elif was["sha256"] != is_["sha256"]:
            out.append(f"rater group {name!r}: as many ballots as published "
                       f"({is_['ballots']}), but their answers differ (a ballot was changed)")
    if not out and published["sha256"] != now["sha256"]:
        out.append("the ballots differ from those the results were published from")
    return [f"ballots changed since publication: {line}" for line in out]
