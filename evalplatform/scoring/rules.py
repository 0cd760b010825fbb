"""Scoring rules: everything results depend on, as canonical JSON with a SHA-256.

Frozen when a campaign opens, so that nobody can change how ballots are counted once
counting could favour anyone; results and bulletins carry the hash, and
``flask --app wsgi results verify CAMPAIGN`` recomputes them from the ballots.
"""

from __future__ import annotations

import hashlib
import json

from ..models import Campaign

#: 2: the questionnaire in sections (scoring.layout) and 差别权重 (``category_weights``).
FORMAT = 2
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
    units, groups = campaign.units, campaign.groups
    sections, items = _sections(campaign, units, groups)
    categories = {u.category for u in units}
    group_ids = {str(g.id) for g in groups}
    weights = {category: {g: float(w) for g, w in sorted(by_group.items()) if g in group_ids}
               for category, by_group in sorted((campaign.category_weights or {}).items())
               if category in categories}
    return {
        "format": FORMAT,
        "campaign": campaign.id,
        "min_group_size": campaign.min_group_size,
        "units": [{"id": u.id, "name": u.name, "category": u.category} for u in units],
        "groups": [{"id": g.id, "name": g.name, "weight": g.weight} for g in groups],
        "items": [{"id": i.id, "label": i.label, "scheme": i.scheme, "options": i.options}
                  for i in items],
        "sections": sections,
        "category_weights": {c: w for c, w in weights.items() if w},
        "schemes": configs,
        "bootstrap": {"replicates": DEFAULT_REPLICATES, "confidence": CONFIDENCE},
    }


def _sections(campaign: Campaign, units, groups) -> tuple[list[dict], list]:
    """The sections as the rules freeze them (every group and unit resolved to ids), and
    the matrix items in questionnaire order."""
    every_group = [g.id for g in groups]
    sections, items = [], []
    for section in campaign.sections:
        chosen = set(section.groups or ())
        questions = []
        for q in section.questions:
            entry = {"id": q.id, "kind": q.kind, "label": q.label, "required": q.required}
            if q.kind == "units":
                entry["items"] = [i.id for i in q.items]
                entry["routes"] = [_route(r, units, every_group) for r in (q.routes or [{}])]
                items.extend(q.items)
            else:
                if q.kind in ("single", "multiple"):
                    entry["options"] = [{"label": o["label"], "score": o.get("score")}
                                        for o in q.options]
                entry.update({k: v for k, v in sorted((q.settings or {}).items())
                              if k in ("min", "max", "max_length") and v is not None})
            questions.append(entry)
        sections.append({"id": section.id, "title": section.title,
                         "groups": [g for g in every_group if not chosen or g in chosen],
                         "questions": questions})
    return sections, items


def _route(route: dict, units, every_group: list[int]) -> dict:
    """A matrix's route with its groups and units resolved (none named: all of them)."""
    groups, chosen, categories = (set(route.get("groups") or ()), set(route.get("units") or ()),
                                  set(route.get("categories") or ()))
    return {
        "groups": [g for g in every_group if not groups or g in groups],
        "units": [u.id for u in units if (not chosen and not categories) or u.id in chosen
                  or u.category in categories],
        "categories": sorted(categories),
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
