"""What scoring produces: per-unit results of each scheme, and a campaign's results."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from flask_babel.speaklater import LazyString
from markupsafe import escape

from ..i18n import force_locale, lazy_gettext


class Text(LazyString):
    """A text of the results composed when it is shown, in the reader's language: results
    are cached and shared by readers of every language, and the published ones are stored
    in Chinese (:meth:`CampaignResults.to_json`). Unlike a plain lazy string it is escaped
    in templates like a ``str``, because it may hold what people typed (option labels,
    unit names)."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def text(build, *args, **kwargs) -> Text:
    """``build(*args, **kwargs)`` (which calls gettext) each time the text is shown."""
    return Text(build, *args, **kwargs)


#: The version of how results are computed (CampaignResults.method). 2: the bootstrap
#: redoes suppression in every replicate and draws from ballots' contents, pooled
#: figures pool the counted groups only, rounding is half up.
METHOD = 2

#: Separators of lists in running text.
LIST_SEPARATOR = lazy_gettext("、")
PLUS = lazy_gettext("＋")


def joined(items, separator=LIST_SEPARATOR) -> Text:
    """Items (data, shown as they are) joined with the reader's separator."""
    items = list(items)
    return text(lambda: str(separator).join(str(item) for item in items))


#: Flags a unit may carry, with how pages and reports name them.
FLAG_LABELS = {
    "bottom": lazy_gettext("末位"),
    "bottom_uncertain": lazy_gettext("与上一名差异不显著"),
    "too_few_raters": lazy_gettext("有效票不足"),
    "admonish": lazy_gettext("优秀和称职票不足三分之二"),
    "dismiss": lazy_gettext("不称职票超过三分之一"),
}


@dataclass
class GroupCell:
    """One unit as seen by one rater group.

    ``suppressed``: fewer valid votes than the minimum group size; then nothing about the
    group's view of the unit is given, its valid votes included (None). ``counted``: the
    group enters the unit's composite and pooled figures (shown, and weighted above 0);
    a group of weight 0 is shown but not counted. ``routed``: the group was asked about
    the unit at all (a group not asked is neither suppressed for want of raters nor
    counted)."""

    group: str
    weight: float
    valid_votes: int | None
    suppressed: bool
    score: float | None = None
    satisfaction_rate: float | None = None
    counted: bool = True
    routed: bool = True


@dataclass
class ItemCell:
    """One unit on one item, pooled over the groups counted for the unit."""

    item: str
    valid_votes: int
    abstentions: int
    suppressed: bool
    score: float | None = None
    shares: dict[str, float] | None = None

    @property
    def label(self) -> str:
        """The item as shown (its label: data)."""
        return self.item


@dataclass
class UnitResult:
    unit_id: int
    unit: str
    category: str
    score: float | None
    valid_votes: int
    abstentions: int
    groups: list[GroupCell]
    items: list[ItemCell]
    rank: int | None = None
    ranked_in: int = 0
    grade: str | None = None
    flags: list[str] = field(default_factory=list)
    satisfaction_rate: float | None = None
    shares: dict[str, float] | None = None
    interval: tuple[float, float] | None = None
    rank_interval: tuple[int, int] | None = None
    #: For a unit flagged at the bottom: the unit just above the cut line, and the
    #: share of bootstrap replicates in which this unit scored below it.
    next_up: str | None = None
    p_below_next: float | None = None
    #: How many bootstrap replicates ``p_below_next`` was estimated from.
    separation_replicates: int | None = None

    #: Labels of flags a plugin scheme adds (FLAG_LABELS covers the built-in ones), as
    #: ``lazy_gettext`` texts.
    extra_flag_labels: dict[str, str] = field(default_factory=dict)

    @property
    def flag_labels(self) -> list[str]:
        return [str(self.extra_flag_labels.get(f) or FLAG_LABELS.get(f, f)) for f in self.flags]


@dataclass
class SchemeResult:
    key: str
    title: str
    units: list[UnitResult]
    #: Categories in display order; units are ranked within each.
    categories: list[str]
    bottom_rule: str
    option_labels: list[str] = field(default_factory=list)
    has_satisfaction_rate: bool = False
    has_shares: bool = False
    notes: list[str] = field(default_factory=list)
    #: False for a scheme scored from something other than ballots (checklist reviews):
    #: pages and exports leave out votes, intervals and rater groups.
    from_ballots: bool = True

    def by_category(self) -> list[tuple[str, list[UnitResult]]]:
        """Units per category, ranked first (best first), unranked last."""
        out = []
        for category in self.categories:
            units = [u for u in self.units if u.category == category]
            units.sort(key=lambda u: (u.rank is None, u.rank or 0, u.unit))
            out.append((category, units))
        return out

    def unit(self, unit_id: int) -> UnitResult | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)


@dataclass
class GroupParticipation:
    name: str
    weight: float
    issued: int
    used: int

    @property
    def rate(self) -> float | None:
        return self.used / self.issued if self.issued else None


@dataclass
class CampaignResults:
    campaign_id: int
    title: str
    rules_sha256: str
    frozen: bool
    ballots: int
    min_group_size: int
    replicates: int
    confidence: float
    computed_at: datetime
    participation: list[GroupParticipation]
    schemes: dict[str, SchemeResult]
    missing_schemes: list[str] = field(default_factory=list)
    #: An open campaign's results are sealed: schemes that read ballots are left out
    #: (``sealed_schemes``) until it closes.
    sealed: bool = False
    sealed_schemes: list[str] = field(default_factory=list)
    #: What identifies the ballots counted (``engine.ballots_digest``: per group its
    #: ballots and a hash of their contents), kept with published results for
    #: ``results verify``. Never in :meth:`to_json`: a small group's hash could be
    #: matched against every way its few ballots might have been filled in.
    ballots_digest: dict[str, Any] | None = None
    #: What the bootstrap decided for a closed campaign, kept with its published results
    #: so that it need not be redone (``engine.compute``): the SHA-256 of the ballots it
    #: drew from, and per scheme per unit id its intervals and flag. Not in :meth:`to_json`.
    bootstrap: dict[str, Any] | None = None
    #: The version of the computation (bumped when a rule of docs/scoring.md changes how
    #: published numbers are computed; ``results verify`` says when it differs).
    method: int = METHOD
    #: The questions that are not about units, tallied (scoring.questions); empty while
    #: sealed and for a questionnaire of unit matrices only.
    questions: list = field(default_factory=list)
    #: Matrix items no scheme scores, as option shares per unit (scoring.choices); empty
    #: while sealed.
    unscored: list = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The API form: suppressed values are null, floats rounded for stability. Texts
        are in Chinese whatever the reader's language: this is also the form published
        results are stored and verified in."""
        with force_locale("zh"):
            return _clean({
                "campaign": self.campaign_id,
                "title": self.title,
                "rules_sha256": self.rules_sha256,
                "frozen": self.frozen,
                "ballots": self.ballots,
                "min_group_size": self.min_group_size,
                "bootstrap_replicates": self.replicates,
                "confidence": self.confidence,
                "computed_at": self.computed_at.isoformat(timespec="seconds") + "Z",
                "participation": [{**asdict(p), "rate": p.rate} for p in self.participation],
                "schemes": {key: _scheme_json(s) for key, s in self.schemes.items()},
                "missing_schemes": self.missing_schemes,
                "sealed": self.sealed,
                "sealed_schemes": self.sealed_schemes,
                "method": self.method,
                # (only where there are any: results published before stay as they were)
                **({"questions": [_question_json(q) for q in self.questions]}
                   if self.questions else {}),
                **({"unscored_items": [_unscored_json(i) for i in self.unscored]}
                   if self.unscored else {}),
            })


def _scheme_json(s: SchemeResult) -> dict[str, Any]:
    data = asdict(s)
    for unit, source in zip(data["units"], s.units, strict=True):
        unit.pop("extra_flag_labels", None)
        unit["flag_labels"] = source.flag_labels
        for group in unit["groups"]:
            if group["routed"]:  # (only said of a group not asked: as results were before)
                del group["routed"]
    return data


def _question_json(q) -> dict[str, Any]:
    data = asdict(q)
    data["shares"] = q.shares
    return data


def _unscored_json(item) -> dict[str, Any]:
    data = asdict(item)
    for unit, source in zip(data["units"], item.units, strict=True):
        unit["shares"] = source.shares
    return data


def _clean(value):
    """Round floats to 6 places; NaN and infinities become None (JSON null); texts
    composed when shown become strings."""
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 6)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


@dataclass(frozen=True)
class ReportSection:
    """A block a plugin adds to a scheme's part of the results page or a report.

    ``html`` must be safe markup (escape user text); charts are inline SVG.
    """

    title: str
    html: str
    #: Where it may appear: for the campaign "page" (results page) and "bulletin"; for
    #: one unit (the hook called with its ``unit_id``) "unit_page" and "unit_report".
    places: tuple[str, ...] = ("page", "bulletin")


@dataclass(frozen=True)
class ItemSpec:
    """An item a scheme contributes to the questionnaire (see questionnaire_items)."""

    label: str
    options: tuple[tuple[str, float | None], ...]  # (label, score); score None = abstain
    required: bool = True
