"""Scoring rules: everything results depend on, as canonical JSON with a SHA-256.

Frozen when a campaign opens, so that nobody can change how ballots are counted once
counting could favour anyone; results and bulletins carry the hash, and
``flask --app wsgi results verify CAMPAIGN`` recomputes them from the ballots.
"""

from __future__ import annotations

import hashlib
import json

from ..models import Campaign

FORMAT = 1
DEFAULT_REPLICATES = 500
CONFIDENCE = 0.95


def canonical(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode()


def sha256(data) -> str:
    return hashlib.sha256(canonical(data)).hexdigest()


def current_rules(campaign: Campaign, schemes: dict) -> dict:
    """The rules as the campaign is configured now (``schemes``: key → Scheme)."""
    configs = {}
    for row in campaign.schemes:
        scheme = schemes.get(row.scheme)
        config = scheme.normalize_config(row.config) if scheme else dict(row.config or {})
        configs[row.scheme] = {"version": getattr(scheme, "version", None), "config": config}
    return {
        "format": FORMAT,
        "campaign": campaign.id,
        "min_group_size": campaign.min_group_size,
        "units": [{"id": u.id, "name": u.name, "category": u.category} for u in campaign.units],
        "groups": [{"id": g.id, "name": g.name, "weight": g.weight} for g in campaign.groups],
        "items": [{"id": i.id, "label": i.label, "scheme": i.scheme, "options": i.options}
                  for i in campaign.items],
        "schemes": configs,
        "bootstrap": {"replicates": DEFAULT_REPLICATES, "confidence": CONFIDENCE},
    }


def rules_for(campaign: Campaign, schemes: dict) -> tuple[dict, str, bool]:
    """(rules, sha256, frozen): the frozen rules once open, the current ones in a draft."""
    if campaign.rules is not None:
        return campaign.rules, campaign.rules_sha256, True
    rules = current_rules(campaign, schemes)
    return rules, sha256(rules), False


def freeze(campaign: Campaign, schemes: dict) -> str:
    rules = current_rules(campaign, schemes)
    campaign.rules = rules
    campaign.rules_sha256 = sha256(rules)
    return campaign.rules_sha256
