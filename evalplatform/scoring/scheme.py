"""What a scoring scheme is, and the weighted-groups scheme both built-ins derive from."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import ServiceError
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from .cube import Cube
from .ranking import bottom_cut, competition_ranks, round_half_up
from .results import (
    GroupCell,
    ItemCell,
    ItemSpec,
    ReportSection,
    SchemeResult,
    UnitResult,
    joined,
    text,
)


class Scheme:
    """A scoring scheme. Plugins return instances from ``register_schemes``.

    A scheme scores the items whose ``scheme`` is its key, from the tally cube. Its
    ``composite`` must broadcast over leading axes of the counts: the bootstrap calls it
    on a stack of replicate cubes.
    """

    key: str = ""
    #: The title and description (``lazy_gettext``: shown in the reader's language).
    title: str = ""
    description: str = ""
    version: str = "1"
    #: Pages of the plugin for a campaign using this scheme, as (label, endpoint); the
    #: endpoint takes ``campaign_id``. Linked from the campaign and scheme pages; labels
    #: are ``lazy_gettext`` texts.
    pages: tuple[tuple[str, str], ...] = ()
    #: A template of the plugin's own to render the configuration form with (it gets
    #: ``campaign``, ``scheme``, ``form``, ``config``); None uses the core's.
    config_template: str | None = None

    def default_config(self) -> dict:
        return {}

    def data_version(self, campaign, config: dict):
        """For a scheme that reads more than ballots (checklist reviews): a hashable value
        that changes whenever that data does. Results are cached until a ballot arrives,
        the rules change or this value changes."""
        return None

    def on_close(self, campaign, config: dict) -> None:
        """Called as the campaign closes, before its results are stored. A scheme that
        reads more than ballots keeps here what its results depend on, so that the
        published results can still be recomputed (``results verify``)."""

    def normalize_config(self, config: dict) -> dict:
        """A complete, validated configuration (defaults filled in), or ServiceError."""
        return {**self.default_config(), **(config or {})}

    def evaluate(self, cube: Cube, config: dict) -> Evaluation:
        raise NotImplementedError

    def config_form(self, labels: list[str]):
        """A FlaskForm class configuring this scheme for a campaign whose items of this
        scheme offer these option labels; None when there is nothing to configure."""
        return None

    def form_data(self, config: dict, labels: list[str]) -> dict:
        """The form's field values for a (normalised) configuration."""
        return {}

    def config_from_form(self, form, labels: list[str]) -> dict:
        """The configuration a validated form describes (ServiceError if it cannot)."""
        return {}

    def questionnaire_items(self, config: dict) -> list[ItemSpec] | None:
        """The items this scheme puts on a campaign's questionnaire under ``config``
        (normalised): they replace its items when it is enabled or reconfigured. None (the
        default): the scheme scores items the admin builds from the answer scales that
        name it (the built-in satisfaction survey and democratic appraisal) and is enabled
        while the questionnaire has such items."""
        return None

    @classmethod
    def contributes_items(cls) -> bool:
        """Whether the scheme brings its own questionnaire items (overrides
        :meth:`questionnaire_items`)."""
        return cls.questionnaire_items is not Scheme.questionnaire_items

    def report_sections(self, campaign, results, unit_id: int | None) -> list[ReportSection]:
        """Sections this scheme adds to its part of the results pages and the reports:
        for the campaign (``unit_id`` None: the results page, the bulletin) or for one
        unit (its page and report: only what is about that unit). Each section says where
        it may appear (``ReportSection.places``). ``html`` is inserted as markup: escape
        what people typed, draw charts as inline SVG."""
        return []

    def reads_ballots(self, config: dict) -> bool:
        """Whether the scheme's results depend on ballots. While a campaign is open its
        results are sealed (nothing read from ballots is published before it closes);
        a scheme scored from other data only (checklist reviews) is shown meanwhile."""
        return True

    def composite(self, cube: Cube, config: dict) -> np.ndarray:
        """Composite score per unit, ``[..., U]``: the whole computation, which rater
        groups count for each unit included, redone on these counts (the bootstrap calls
        it on a stack of replicate cubes)."""
        raise NotImplementedError


@dataclass
class Evaluation:
    """A scheme's point estimate, with what the bootstrap needs to add uncertainty."""

    result: SchemeResult
    composite: np.ndarray  # [U]
    eligible: np.ndarray  # [U, G]: groups counted in each unit's composite
    pools: list[np.ndarray]  # unit indices ranked together (one per category)
    flagged: dict[int, int | None]  # bottom unit index -> index of the unit above the cut
    decimals: int


def _divide(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def cell_means(counts: np.ndarray, scores: np.ndarray, trim: bool
               ) -> tuple[np.ndarray, np.ndarray]:
    """Means and valid votes of each cell of ``counts[..., U, I, G, O]`` under the
    options' ``scores[I, O]`` (NaN: not a valid vote), both ``[..., U, I, G]``. With
    ``trim``, a cell of more than five valid votes drops one highest and one lowest vote.
    """
    valid_mask = ~np.isnan(scores)
    # Bootstrap cubes are float32 and 500 times the size of the point estimate's: keep
    # their precision (exact for counts) and never build a temporary of their size.
    dtype = counts.dtype if counts.dtype.kind == "f" else np.float64
    s0 = np.nan_to_num(scores).astype(dtype)
    valid = np.einsum("...uigo,io->...uig", counts, valid_mask.astype(dtype))
    total = np.einsum("...uigo,io->...uig", counts, s0)
    if not trim:
        return _divide(total, valid), valid
    # the highest and lowest score given in each cell, option by option
    high = np.full(counts.shape[:-1], -np.inf, dtype=dtype)
    low = np.full(counts.shape[:-1], np.inf, dtype=dtype)
    for o in range(counts.shape[-1]):
        given = (counts[..., o] > 0) & valid_mask[:, None, o]
        score = s0[:, None, o]
        np.maximum(high, np.where(given, score, -np.inf), out=high)
        np.minimum(low, np.where(given, score, np.inf), out=low)
    anything = np.isfinite(high)  # cells without votes: no extremes to drop
    high, low = np.where(anything, high, 0.0), np.where(anything, low, 0.0)
    trimmed = valid > 5
    total = np.where(trimmed, total - high - low, total)
    return _divide(total, np.where(trimmed, valid - 2, valid)), valid


class WeightedScheme(Scheme):
    """Scores per rater group, combined by group weight.

    For each (unit, item, group) the item score is the mean of the valid votes' scores
    (abstentions such as 不了解 are not valid votes); a group's score for a unit is the
    mean over items. A group is **shown** for a unit when its valid votes reach the
    campaign's minimum group size (fewer are suppressed everywhere, for anonymity) and
    **counts** for it when it is shown and its weight is above 0; the composite is the
    weighted mean of the counted groups, weights renormalised over them, and every figure
    pooled over a unit's groups (valid votes, abstentions, item scores, rates, shares)
    pools the counted groups only. Units are ranked within their category; the lowest
    are flagged by the bottom rule.
    """

    #: Subclasses: whether each item mean drops one highest and one lowest vote.
    def trims(self, config: dict) -> bool:
        return False

    def requires(self, config: dict) -> list[str]:
        """Keys of other schemes this configuration needs enabled in the same campaign
        (e.g. the scheme whose composite it is combined with): the campaign refuses the
        configuration, and disabling one of them, otherwise."""
        return []

    def trim_scope(self, config: dict) -> str:
        """Where one highest and one lowest vote are dropped: within each rater group's
        votes ("group": the groups' trimmed means are then weighted), or among all the
        votes of the groups counted for the unit ("unit": the item score is their pooled
        trimmed mean, and group weights do not apply)."""
        return "group"

    def default_config(self) -> dict:
        return {"option_scores": {}, "grade_bands": [],
                "bottom": {"mode": "category", "n": 1}, "tie_decimals": 2}

    def normalize_config(self, config: dict) -> dict:
        cfg = {**self.default_config(), **(config or {})}
        scores = cfg.get("option_scores") or {}
        if not isinstance(scores, dict) or not all(
                isinstance(v, int | float) and 0 <= v <= 1000 for v in scores.values()):
            raise ServiceError(_("选项分值须为 0–1000 之间的数字。"), field="option_scores")
        bands = [[str(label), float(low)] for label, low in cfg.get("grade_bands") or []]
        lows = [low for _, low in bands]
        if lows != sorted(lows, reverse=True):
            raise ServiceError(_("等次分数线须从高到低排列。"), field="grade_bands")
        if bands and lows[-1] > 0:
            raise ServiceError(_("最低等次的分数线须为 0，使所有分数都有等次。"), field="grade_bands")
        cfg["grade_bands"] = bands
        bottom = {"mode": "category", "n": 1, **(cfg.get("bottom") or {})}
        if bottom["mode"] not in ("category", "overall") or not isinstance(bottom["n"], int) \
                or not 0 <= bottom["n"] <= 100:
            raise ServiceError(_("末位规则须为“每个序列最后 N 名”或“全部单位最后 N 名”，N 为 0–100。"),
                               field="bottom")
        cfg["bottom"] = bottom
        if not isinstance(cfg.get("tie_decimals"), int) or not 0 <= cfg["tie_decimals"] <= 4:
            raise ServiceError(_("并列判断的小数位数须为 0–4。"), field="tie_decimals")
        return cfg

    # -- configuration through a form -----------------------------------------------------

    def extra_fields(self, labels: list[str]) -> dict:
        return {}

    def extra_data(self, config: dict) -> dict:
        return {}

    def extra_config(self, form) -> dict:
        return {}

    def config_form(self, labels):
        from .config_forms import base_fields, form_class

        return form_class({**base_fields(labels), **self.extra_fields(labels)})

    def form_data(self, config, labels):
        from .config_forms import base_data

        return {**base_data(config, labels, self.label_scores), **self.extra_data(config)}

    def config_from_form(self, form, labels):
        from .config_forms import base_config

        return self.normalize_config({**base_config(form, labels), **self.extra_config(form)})

    #: Scores of the standard scales' options, shown when a configuration has none.
    label_scores: dict[str, float] = {}

    # -- the arithmetic, on counts [..., U, I, G, O] ----------------------------------------

    def item_stats(self, cube: Cube, config: dict) -> tuple[np.ndarray, np.ndarray]:
        """Item means and valid-vote counts per rater group, both ``[..., U, I, G]``
        (trimmed within the group when the scheme trims per group)."""
        scores = cube.option_table(config.get("option_scores"))  # [I, O]
        trim = self.trims(config) and self.trim_scope(config) == "group"
        return cell_means(cube.counts, scores, trim)

    def group_scores(self, cube: Cube, config: dict) -> tuple[np.ndarray, np.ndarray]:
        """Group scores and valid votes per (unit, group), ``[..., U, G]``.

        A group's valid votes for a unit are its fewest valid votes on any item.
        """
        means, valid = self.item_stats(cube, config)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # mean of all-NaN → NaN
            scores = np.nanmean(means, axis=-2) if means.shape[-2] else means.sum(-2) * np.nan
        if not valid.shape[-2]:
            return scores, valid.sum(-2)
        if cube.routed is not None:  # the fewest on the items the group was asked
            asked = cube.routed
            valid = np.where(asked, valid, np.inf).min(axis=-2)
            return scores, np.where(np.isfinite(valid), valid, 0)
        return scores, valid.min(axis=-2)

    @staticmethod
    def shown(cube: Cube, group_valid: np.ndarray) -> np.ndarray:
        """``[..., U, G]``: the groups whose figures for a unit may be shown (valid votes
        at least the minimum group size)."""
        return group_valid >= cube.min_group_size

    def eligibility(self, cube: Cube, group_valid: np.ndarray) -> np.ndarray:
        """``[..., U, G]``: the groups that count for each unit (shown, weight above 0)."""
        return self.shown(cube, group_valid) & (cube.group_weights() > 0)

    @staticmethod
    def combine(values: np.ndarray, weights: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """Weighted mean over the last axis (groups) of the eligible, finite values."""
        use = eligible & np.isfinite(values)
        w = np.where(use, weights, 0.0)
        return _divide((np.nan_to_num(values) * w).sum(-1), w.sum(-1))

    def item_scores(self, cube: Cube, config: dict, counted: np.ndarray,
                    means: np.ndarray) -> np.ndarray:
        """Each unit's score on each item, ``[..., U, I]``, over the counted groups: their
        weighted item means, or (trimming over all raters) the trimmed mean of all their
        votes pooled."""
        if self.trims(config) and self.trim_scope(config) == "unit":
            scores = cube.option_table(config.get("option_scores"))
            pooled = (cube.counts * counted[..., None, :, None]).sum(-2, keepdims=True)
            return cell_means(pooled, scores, trim=True)[0][..., 0]
        return self.combine(means, cube.group_weights()[:, None, :], counted[..., None, :])

    def composite(self, cube: Cube, config: dict) -> np.ndarray:
        scores, group_valid = self.group_scores(cube, config)
        counted = self.eligibility(cube, group_valid)
        if self.trims(config) and self.trim_scope(config) == "unit":
            items = self.item_scores(cube, config, counted, None)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN → NaN
                return np.nanmean(items, axis=-1) if items.shape[-1] else items.sum(-1) * np.nan
        return self.combine(scores, cube.group_weights(), counted)

    # -- the point estimate, with everything pages show -----------------------------------

    def extra_unit_fields(self, cube: Cube, config: dict, eligible: np.ndarray
                          ) -> list[dict]:
        """Scheme-specific values per unit: UnitResult attributes (``satisfaction_rate``,
        ``shares``), ``flags`` to add, and ``group_values`` ({GroupCell attribute: one
        value per group}, applied to the groups that are shown). ``eligible`` is
        ``[U, G]``, the groups that count for each unit: pooled figures pool these only."""
        return [{} for _ in cube.units]

    def evaluate(self, cube: Cube, config: dict) -> Evaluation:
        config = self.normalize_config(config)
        decimals = config["tie_decimals"]
        group_score, group_valid = self.group_scores(cube, config)
        shown = self.shown(cube, group_valid)
        eligible = self.eligibility(cube, group_valid)
        composite = self.composite(cube, config)
        item_means, item_valid = self.item_stats(cube, config)
        item_score = self.item_scores(cube, config, eligible, item_means)
        abstain = cube.abstain_mask()
        abstentions = (cube.counts * abstain[:, None, :]).sum(-1)  # [U, I, G]
        extras = self.extra_unit_fields(cube, config, eligible)

        categories = list(dict.fromkeys(u.category for u in cube.units))
        pools = [np.array([k for k, u in enumerate(cube.units) if u.category == c])
                 for c in categories]
        ranks = competition_ranks(composite, pools, decimals)

        weights = cube.group_weights()
        asked = cube.routed_mask().any(axis=1)  # [U, G]
        units = []
        for k, unit in enumerate(cube.units):
            counted = eligible[k]
            groups = [
                GroupCell(group=g.name, weight=float(weights[k, j]),
                          valid_votes=int(group_valid[k, j]) if shown[k, j] else None,
                          suppressed=not shown[k, j], counted=bool(counted[j]),
                          score=_num(group_score[k, j]) if shown[k, j] else None,
                          routed=bool(asked[k, j]))
                for j, g in enumerate(cube.groups)]
            any_counted = bool(counted.any())
            items = []
            for i, item in enumerate(cube.items):
                items.append(ItemCell(
                    item=item.label, valid_votes=int(item_valid[k, i][counted].sum()),
                    abstentions=int(abstentions[k, i][counted].sum()), suppressed=not any_counted,
                    score=_num(item_score[k, i]) if any_counted else None))
            score = _num(composite[k])
            result = UnitResult(
                unit_id=unit.id, unit=unit.name, category=unit.category, score=score,
                valid_votes=int(item_valid[k].min(axis=0)[counted].sum()) if len(cube.items) else 0,
                abstentions=int(abstentions[k][:, counted].sum()), groups=groups, items=items)
            if score is None:
                result.flags.append("too_few_raters")
            else:
                result.rank = int(ranks[k])
                result.grade = grade_for(score, config["grade_bands"], decimals)
            for key, value in extras[k].items():
                if key == "flags":
                    result.flags.extend(value)
                elif key == "group_values":  # {attribute: value per group}
                    for attribute, values in value.items():
                        for cell, v in zip(groups, values, strict=True):
                            if not cell.suppressed:
                                setattr(cell, attribute, _num(v))
                else:
                    setattr(result, key, value)
            units.append(result)
        for pool in pools:
            ranked = sum(1 for k in pool if units[k].rank is not None)
            for k in pool:
                units[k].ranked_in = ranked

        flagged = self._flag_bottom(units, composite, pools, config)
        result = SchemeResult(key=self.key, title=self.title, units=units,
                              categories=categories, bottom_rule=bottom_rule_text(config))
        self.decorate(result, cube, config)
        unweighted = [g.name for j, g in enumerate(cube.groups) if (weights[:, j] <= 0).all()]
        if unweighted:
            names = joined(unweighted)
            result.notes.append(text(lambda: _(
                "评议主体%(groups)s的权重为 0：其评价达到最小分组人数时单独列出，"
                "不计入综合得分及合计的有效票、满意率和票数比例。", groups=names)))
        return Evaluation(result, composite, eligible, pools, flagged, decimals)

    def decorate(self, result: SchemeResult, cube: Cube, config: dict) -> None:
        """Set scheme-level fields of the result (columns shown, notes)."""

    @staticmethod
    def _flag_bottom(units, composite, pools, config) -> dict[int, int | None]:
        bottom, decimals = config["bottom"], config["tie_decimals"]
        cut_pools = pools if bottom["mode"] == "category" else [np.concatenate(pools)]
        flagged: dict[int, int | None] = {}
        for pool in cut_pools:
            low, above = bottom_cut(composite, pool, bottom["n"], decimals)
            for k in low:
                flagged[k] = above
                units[k].flags.append("bottom")
                if above is not None:
                    units[k].next_up = units[above].unit
        return flagged


def grade_for(score: float, bands: list, decimals: int) -> str | None:
    """The grade of the score as published (rounded half up: 89.995 → 90.00 → 满意)."""
    value = round_half_up(score, decimals)
    for label, low in bands:
        if value >= low:
            return label
    return None


def bottom_rule_text(config: dict) -> str:
    """The bottom rule in words (in the reader's language when shown)."""
    bottom = config["bottom"]
    if bottom["n"] == 0:
        return lazy_gettext("不设末位")
    if bottom["mode"] == "category":
        return lazy_gettext("每个序列得分最低的 %(n)s 名（并列者一并列入）", n=bottom["n"])
    return lazy_gettext("全部单位得分最低的 %(n)s 名（并列者一并列入）", n=bottom["n"])


def _num(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
