"""Schemes whose items fall into dimensions, and dimensions into families.

六型机关 (six dimensions), the five-capability model (五种工作能力 + 五种优良作风: two
families of five) and 五力 are all the same arithmetic on top of
:class:`~evalplatform.scoring.WeightedScheme`:

- an item's score for a unit pools the rater groups counted for the unit (group weights
  renormalised over them), exactly as WeightedScheme's item cells;
- a dimension's score is the mean of its items' scores;
- a family's score is the weighted mean of its dimensions' scores;
- the composite is the weighted mean of the families' scores (a scheme without
  families has one), weights renormalised over the values that exist.

A rater group's score for a unit (the group columns) is the same formula on that group's
item means, and the composite is WeightedScheme's: the weighted mean of the counted
groups. Both orders give the same number, because every counted group has a valid vote
on every item (the minimum group size is at least 1) and the formula is linear. The
arithmetic broadcasts over leading axes, so the bootstrap's replicate cubes get intervals.

Items belong to a dimension by their label: ``"学习型：学习制度健全…"`` or just the
dimension's name. Plugins describe their layout with :class:`Family` and
:class:`Dimension` and subclass :class:`DimensionedScheme`; results carry
:class:`DimensionalUnitResult` units, whose ``items`` list the dimension (and family)
scores before each dimension's items, so the core's per-unit page shows them.

Also here, shared by such plugins: weight and scale validation. The answer scales are in
``scales.py``; the configuration form whose field labels and sections follow the
configuration (``sectioned_form``, ``FormSection``) in ``config_forms.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..errors import ServiceError
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from .cube import Cube
from .results import ItemCell, ItemSpec, SchemeResult, UnitResult, joined, text
from .scales import RATING_SCALES, RatingScale
from .scheme import Evaluation, WeightedScheme, _divide, _num

#: Separates a dimension's name from the item's wording in item labels.
SEPARATOR = "："
#: Added to the name of a unit's strongest and weakest dimension among its item cells.
STRONGEST, WEAKEST = "（最强）", "（最弱）"


def dimension_label(name: str | None) -> str:
    """A dimension's or family's name as shown. Schemes name them in Chinese in their code
    (``N_("学习型")``, so that their catalogues translate them); configurations and item
    labels keep the Chinese name."""
    return _(name) if name else ""


DEFAULT_GRADE_BANDS = [["优秀", 90.0], ["良好", 80.0], ["一般", 60.0], ["较差", 0.0]]


@dataclass(frozen=True)
class Dimension:
    name: str
    #: Weight within its family (renormalised over the family's dimensions).
    weight: float = 1.0
    #: The wording of its items (labels are ``name：wording``).
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Family:
    """Dimensions scored together; a scheme without families has one, named None."""

    name: str | None
    weight: float
    dimensions: tuple[Dimension, ...]


def item_label(dimension: str, wording: str) -> str:
    return f"{dimension}{SEPARATOR}{wording}"


# -- results ----------------------------------------------------------------------------------

@dataclass
class DimensionCell(ItemCell):
    """A dimension's (or family's) score for a unit, listed among the unit's item cells."""

    kind: str = "dimension"  # "dimension" or "family"
    family: str | None = None
    weight: float | None = None

    @property
    def label(self) -> str:
        """The cell as shown: the family's or dimension's name in the reader's language,
        with the strongest or weakest mark (``item`` keeps the Chinese)."""
        if self.kind == "family":
            return _("【%(family)s】", family=dimension_label(self.family))
        for mark, shown in ((STRONGEST, _("（最强）")), (WEAKEST, _("（最弱）"))):
            if self.item.endswith(mark):
                return dimension_label(self.item.removesuffix(mark)) + shown
        return dimension_label(self.item)


@dataclass
class DimensionScore:
    name: str
    family: str | None
    #: Share of the composite when every dimension has a score (weights normalised).
    weight: float
    score: float | None


@dataclass
class FamilyScore:
    name: str
    weight: float
    score: float | None


@dataclass
class DimensionalUnitResult(UnitResult):
    dimensions: list[DimensionScore] = field(default_factory=list)
    families: list[FamilyScore] = field(default_factory=list)
    #: Dimensions with the highest and the lowest score (ties judged at the scheme's
    #: tie decimals); empty when the unit has no scores or all dimensions tie.
    strongest: list[str] = field(default_factory=list)
    weakest: list[str] = field(default_factory=list)

    def dimension(self, name: str) -> DimensionScore | None:
        return next((d for d in self.dimensions if d.name == name), None)


@dataclass
class DimensionInfo:
    name: str
    family: str | None
    weight: float
    items: list[str]


@dataclass
class DimensionalSchemeResult(SchemeResult):
    dimensions: list[DimensionInfo] = field(default_factory=list)
    #: Family names with their normalised weights (empty for a scheme without families).
    families: list[FamilyScore] = field(default_factory=list)


# -- the arithmetic ---------------------------------------------------------------------------

def weighted_over(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted means of the finite values: ``values[..., K, X]`` and ``weights[K, J]``
    give ``[..., J, X]``; a mean with no finite value (or only zero weights) is NaN."""
    finite = np.isfinite(values)
    dtype = values.dtype if values.dtype.kind == "f" else np.float64  # float32 replicates stay so
    w = weights.astype(dtype)
    num = np.einsum("...kx,kj->...jx", np.where(finite, values, 0).astype(dtype, copy=False), w)
    den = np.einsum("...kx,kj->...jx", finite.astype(dtype), w)
    return _divide(num, den)


@dataclass(frozen=True)
class Layout:
    """A scheme's structure as matrices over the cube's items."""

    families: tuple[Family, ...]
    dimensions: tuple[Dimension, ...]
    dimension_family: tuple[int, ...]  # family index of each dimension
    member: np.ndarray  # [I, D] 1.0 where item i belongs to dimension d
    within: np.ndarray  # [D, F] weight of dimension d in family f
    family_weights: np.ndarray  # [F, 1]

    @property
    def used_items(self) -> np.ndarray:
        return self.member.any(axis=1)

    def effective_weights(self) -> np.ndarray:
        """Each dimension's share of the composite when all have scores."""
        fw = self.family_weights[:, 0]
        fw = fw / fw.sum() if fw.sum() > 0 else fw
        share = np.zeros(len(self.dimensions))
        for d, f in enumerate(self.dimension_family):
            total = self.within[:, f].sum()
            share[d] = fw[f] * self.within[d, f] / total if total > 0 else 0.0
        return share


class DimensionedScheme(WeightedScheme):
    """A WeightedScheme whose items are grouped into dimensions (and families).

    Subclasses implement :meth:`families` (the layout for a configuration) and usually
    ``default_config``/``normalize_config`` and the form hooks.
    """

    #: Shown before a family's score among a unit's item cells.
    family_prefix = "【"
    family_suffix = "】"

    def families(self, config: dict) -> list[Family]:
        raise NotImplementedError

    def scale(self, config: dict) -> RatingScale:
        return RATING_SCALES[config.get("scale") or "good4"]

    label_scores = {label: score for s in RATING_SCALES.values()
                    for label, score in s.options if score is not None}

    def questionnaire_items(self, config: dict) -> list[ItemSpec]:
        """One questionnaire item per item of every dimension, on the configured scale."""
        config = self.normalize_config(config)
        options = self.scale(config).options
        return [ItemSpec(item_label(d.name, wording), options)
                for family in self.families(config) for d in family.dimensions
                for wording in d.items]

    def config_form(self, labels):
        """The weighted schemes' form plus :meth:`extra_fields`, whose labels and sections
        (``form.sections``) follow the configuration (``extra_data`` gives them)."""
        from .config_forms import base_fields, sectioned_form

        return sectioned_form({**base_fields(labels), **self.extra_fields(labels)})

    def dimension_of(self, label: str, names: list[str]) -> int | None:
        """The index of the dimension an item label belongs to, or None."""
        for k, name in sorted(enumerate(names), key=lambda p: -len(p[1])):
            if label == name or label.startswith(name + SEPARATOR):
                return k
        return None

    def layout(self, cube: Cube, config: dict) -> Layout:
        families = tuple(self.families(config))
        dimensions = tuple(d for f in families for d in f.dimensions)
        dimension_family = tuple(k for k, f in enumerate(families) for _ in f.dimensions)
        names = [d.name for d in dimensions]
        member = np.zeros((len(cube.items), len(dimensions)))
        for i, item in enumerate(cube.items):
            d = self.dimension_of(item.label, names)
            if d is not None:
                member[i, d] = 1.0
        within = np.zeros((len(dimensions), len(families)))
        for d, (dimension, f) in enumerate(zip(dimensions, dimension_family, strict=True)):
            within[d, f] = dimension.weight
        family_weights = np.array([[f.weight] for f in families], dtype=float).reshape(-1, 1)
        return Layout(families, dimensions, dimension_family, member, within, family_weights)

    @staticmethod
    def roll_up(dimension_scores: np.ndarray, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
        """(family scores ``[..., F, X]``, composite ``[..., X]``) from dimension scores
        ``[..., D, X]``."""
        family = weighted_over(dimension_scores, lay.within)
        return family, weighted_over(family, lay.family_weights)[..., 0, :]

    def group_scores(self, cube: Cube, config: dict) -> tuple[np.ndarray, np.ndarray]:
        """Each group's score for each unit, the dimension formula on the group's item
        means, and its valid votes (its fewest on any item of a dimension)."""
        means, valid = self.item_stats(cube, config)  # [..., U, I, G]
        lay = self.layout(cube, config)
        used = lay.used_items
        if not used.any():
            return means.sum(-2) * np.nan, valid.sum(-2)
        dimension = weighted_over(means, lay.member)  # [..., U, D, G]
        composite = self.roll_up(dimension, lay)[1]
        return composite, valid[..., used, :].min(axis=-2)

    # -- the point estimate -------------------------------------------------------------------

    def evaluate(self, cube: Cube, config: dict) -> Evaluation:
        config = self.normalize_config(config)
        evaluation = super().evaluate(cube, config)
        lay = self.layout(cube, config)
        means, valid = self.item_stats(cube, config)  # [U, I, G]
        eligible = evaluation.eligible  # [U, G]: the groups counted for each unit
        item_scores = self.item_scores(cube, config, eligible, means)  # [U, I]
        dimension = weighted_over(item_scores[..., None], lay.member)[..., 0]  # [U, D]
        family = self.roll_up(dimension[..., None], lay)[0][..., 0]  # [U, F]
        abstentions = (cube.counts * cube.abstain_mask()[:, None, :]).sum(-1)  # [U, I, G]
        share = lay.effective_weights()
        decimals = config["tie_decimals"]
        result = evaluation.result
        units = []
        for k, unit in enumerate(result.units):
            counted = bool(eligible[k].any())
            cells = self._cells(lay, unit.items, dimension[k], family[k],
                                valid[k][:, eligible[k]], abstentions[k][:, eligible[k]], counted)
            scores = [_num(v) if counted else None for v in dimension[k]]
            strongest, weakest = _extremes([d.name for d in lay.dimensions], scores, decimals)
            for cell in cells:
                if isinstance(cell, DimensionCell) and cell.kind == "dimension":
                    if cell.item in strongest:
                        cell.item += STRONGEST
                    elif cell.item in weakest:
                        cell.item += WEAKEST
            values = {f.name: getattr(unit, f.name) for f in fields(UnitResult)}
            values["items"] = cells
            units.append(DimensionalUnitResult(
                **values,
                dimensions=[DimensionScore(d.name, lay.families[f].name, float(share[n]),
                                           scores[n])
                            for n, (d, f) in enumerate(zip(lay.dimensions, lay.dimension_family,
                                                           strict=True))],
                families=[FamilyScore(f.name, float(w), _num(family[k, n]) if counted else None)
                          for n, (f, w) in enumerate(zip(lay.families, self._family_shares(lay),
                                                         strict=True))
                          if len(lay.families) > 1],
                strongest=strongest, weakest=weakest))
        values = {f.name: getattr(result, f.name) for f in fields(SchemeResult)}
        values["units"] = units
        evaluation.result = DimensionalSchemeResult(
            **values,
            dimensions=[DimensionInfo(d.name, lay.families[f].name, float(share[n]),
                                      [item_label(d.name, w) for w in d.items])
                        for n, (d, f) in enumerate(zip(lay.dimensions, lay.dimension_family,
                                                       strict=True))],
            families=[FamilyScore(f.name, float(w), None)
                      for f, w in zip(lay.families, self._family_shares(lay), strict=True)
                      if len(lay.families) > 1])
        return evaluation

    @staticmethod
    def _family_shares(lay: Layout) -> np.ndarray:
        fw = lay.family_weights[:, 0]
        return fw / fw.sum() if fw.sum() > 0 else fw

    def _cells(self, lay: Layout, item_cells: list[ItemCell], dimension: np.ndarray,
               family: np.ndarray, valid: np.ndarray, abstentions: np.ndarray,
               counted: bool) -> list[DimensionCell | ItemCell]:
        """A family's score, then each of its dimensions' score followed by the dimension's
        items (a dimension with a single item: the dimension's row only)."""
        cells: list[DimensionCell | ItemCell] = []
        share = self._family_shares(lay)
        dimension_share = lay.effective_weights()
        for f, fam in enumerate(lay.families):
            dims = [d for d, owner in enumerate(lay.dimension_family) if owner == f]
            items = [i for d in dims for i in np.flatnonzero(lay.member[:, d])]
            if len(lay.families) > 1:
                cells.append(self._cell(
                    f"{self.family_prefix}{fam.name}{self.family_suffix}", "family", fam.name,
                    float(share[f]), family[f], valid[items], abstentions[items], counted))
            for d in dims:
                own = list(np.flatnonzero(lay.member[:, d]))
                cells.append(self._cell(lay.dimensions[d].name, "dimension", fam.name,
                                        float(dimension_share[d]), dimension[d], valid[own],
                                        abstentions[own], counted))
                if len(own) > 1:
                    cells += [item_cells[i] for i in own]
        return cells

    @staticmethod
    def _cell(label, kind, family, weight, value, valid, abstentions, counted) -> DimensionCell:
        votes = int(valid.min(axis=0).sum()) if len(valid) else 0
        return DimensionCell(item=label, valid_votes=votes, abstentions=int(abstentions.sum()),
                             suppressed=not counted, score=_num(value) if counted else None,
                             kind=kind, family=family, weight=weight)

    def decorate(self, result: SchemeResult, cube: Cube, config: dict) -> None:
        families = self.families(config)
        if len(families) > 1:
            weights = _weights(families, families)
            result.notes.append(text(lambda: _(
                "维度得分为该维度各评价项目得分的平均；类别得分为类别内各维度得分的平均；"
                "综合得分为各类别得分按类别权重加权（%(weights)s）。", weights=weights)))
        else:
            dims = [d for f in families for d in f.dimensions]
            if len({d.weight for d in dims}) <= 1:
                result.notes.append(lazy_gettext(
                    "维度得分为该维度各评价项目得分的平均；综合得分为各维度得分的平均。"))
            else:
                weights = _weights(dims, dims)
                result.notes.append(text(lambda: _(
                    "维度得分为该维度各评价项目得分的平均；综合得分为各维度得分按维度权重加权"
                    "（%(weights)s）。", weights=weights)))
        result.notes.append(lazy_gettext(
            "项目得分只汇总达到最小分组人数的评议主体；“不了解”不计入有效票。"))


def _weights(named, peers):
    """“学习型 20%、服务型 20%…”: each one's name (as shown) and share of the weights."""
    return joined(text(lambda n=n: f"{dimension_label(n.name)} {_weight_text(n.weight, peers)}")
                  for n in named)


def _weight_text(weight: float, peers) -> str:
    total = sum(p.weight for p in peers)
    return f"{weight / total:.0%}" if total > 0 else "0%"


def _extremes(names: list[str], scores: list[float | None], decimals: int
              ) -> tuple[list[str], list[str]]:
    present = [(n, round(s, decimals)) for n, s in zip(names, scores, strict=True) if s is not None]
    if len(present) < 2:
        return [], []
    high = max(v for _, v in present)
    low = min(v for _, v in present)
    if high == low:
        return [], []
    return [n for n, v in present if v == high], [n for n, v in present if v == low]


# -- configuration helpers ------------------------------------------------------------------

def check_scale(config: dict) -> str:
    scale = config.get("scale") or "good4"
    if scale not in RATING_SCALES:
        raise ServiceError(_("请选择评价选项。"), field="scale")
    return scale


def check_weights(raw: Any, names: list[str], default: float, *, field_prefix: str,
                  families: bool = False) -> dict[str, float]:
    """Weights by name (missing ones get ``default``): numbers 0–1000, not all zero; of
    dimensions, or of ``families``.

    Errors name the field ``{field_prefix}{index}``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ServiceError(_("类别权重的格式不正确。") if families else _("维度权重的格式不正确。"),
                           field=f"{field_prefix}0")
    out = {}
    for k, name in enumerate(names):
        value = raw.get(name, default)
        shown = dimension_label(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ServiceError(_("“%(name)s”的权重须为数字。", name=shown), field=f"{field_prefix}{k}")
        if value < 0:
            raise ServiceError(_("“%(name)s”的权重不能为负数。", name=shown), field=f"{field_prefix}{k}")
        if value > 1000:
            raise ServiceError(_("“%(name)s”的权重不能超过 1000。", name=shown),
                               field=f"{field_prefix}{k}")
        out[name] = float(value)
    if names and not any(out.values()):
        raise ServiceError(_("各类别的权重不能全部为 0。") if families
                           else _("各维度的权重不能全部为 0。"), field=f"{field_prefix}0")
    return out
