"""Report sections of dimensioned schemes (六型机关, capability models): heat maps of units
× dimensions, a radar or bar chart per unit, a table of strongest and weakest dimensions;
and for one unit's page and report its radar or bar chart and its dimension table.

Each function takes a :class:`~evalplatform.scoring.dimensions.DimensionalSchemeResult`
and returns safe markup for a :class:`~evalplatform.scoring.ReportSection`; every unit,
category and dimension name is escaped. Charts share one value range per scheme, so
units can be compared across charts; the range is stated on each chart.
"""

from __future__ import annotations

from markupsafe import Markup

from ..i18n import gettext as _
from ..scoring.dimensions import DimensionalSchemeResult, DimensionalUnitResult, dimension_label
from ..scoring.results import LIST_SEPARATOR
from . import labels
from .charts import (
    BAR,
    BOTTOM,
    MUTED,
    STRONG,
    BarRow,
    RadarSeries,
    bar_list,
    heat_map,
    heat_map_label_width,
    heat_table,
    radar_chart,
    value_range,
)

STRONG_MARK, WEAK_MARK = "▲", "▼"
TD, NUM_TD = Markup("<td>{}</td>"), Markup('<td class="num">{}</td>')
TH, NUM_TH = Markup("<th>{}</th>"), Markup('<th class="num">{}</th>')


def _units(result: DimensionalSchemeResult) -> list[tuple[str, list[DimensionalUnitResult]]]:
    return [(category, units) for category, units in result.by_category() if units]


def score_range(result: DimensionalSchemeResult) -> tuple[float, float]:
    """The value range of every dimension and family score of the scheme."""
    values = [d.score for u in result.units for d in getattr(u, "dimensions", [])]
    values += [f.score for u in result.units for f in getattr(u, "families", [])]
    return value_range(values)


def _rank_name(unit: DimensionalUnitResult) -> str:
    return f"{unit.rank if unit.rank is not None else '—'}  {unit.unit}"


def _scrolling(label: str, content: Markup) -> Markup:
    return Markup('<div class="table-scroll" role="region" tabindex="0" aria-label="{}">{}</div>'
                  ).format(label, content)


def heat_maps(result: DimensionalSchemeResult, *, document: bool = False) -> Markup:
    """One heat map per category: its units (ranked) × the dimensions, each unit's
    strongest dimension marked ▲ and weakest ▼. An SVG chart for pages; for a printed
    ``document`` a shaded table (:func:`~evalplatform.reports.charts.heat_table`)."""
    low, high = score_range(result)
    columns = [d.name for d in result.dimensions]
    groups = None
    if result.families:
        groups = [(dimension_label(f.name), sum(1 for d in result.dimensions if d.family == f.name))
                  for f in result.families]
    parts = []
    width = heat_map_label_width([_rank_name(u) for u in result.units])
    for category, units in _units(result):
        rows = [_rank_name(u) for u in units]
        values = [[(u.dimension(c).score if u.dimension(c) else None) for c in columns]
                  for u in units]
        marks = [[STRONG_MARK if c in u.strongest else WEAK_MARK if c in u.weakest else ""
                  for c in columns] for u in units]
        parts.append(Markup('<p class="chart-title"><strong>{}</strong></p>').format(category))
        if document:
            parts.append(heat_table(rows, [dimension_label(c) for c in columns], values,
                                    low=low, high=high, column_groups=groups, marks=marks))
            continue
        svg = heat_map(_("%(scheme)s · %(category)s：各维度得分", scheme=result.title,
                         category=category),
                       rows, [dimension_label(c) for c in columns], values,
                       low=low, high=high, key=f"{result.key}-{category}", column_groups=groups,
                       marks=marks, label_width=width)
        parts.append(_scrolling(_("%(category)s 各维度得分热力图", category=category), svg))
    parts.append(Markup('<p class="hint">{}</p>').format(_(
        "单元格为各单位在各维度的得分，颜色越深得分越高（%(low)s–%(high)s 分）；"
        "%(strong)s 为该单位得分最高的维度，%(weak)s 为最低的维度；"
        "“—”表示有效票不足、不显示。行首数字为序列内排名。",
        low=f"{low:g}", high=f"{high:g}", strong=STRONG_MARK, weak=WEAK_MARK)))
    return Markup("").join(parts)


def _category_means(units: list[DimensionalUnitResult], names: list[str]
                    ) -> tuple[float | None, ...]:
    means = []
    for name in names:
        values = [d.score for u in units if (d := u.dimension(name)) and d.score is not None]
        means.append(sum(values) / len(values) if values else None)
    return tuple(means)


def _subtitle(unit: DimensionalUnitResult) -> str:
    if unit.score is None:
        return labels.NO_SCORE
    text = _("综合 %(score)s · 第 %(rank)s 名 / %(count)s", score=labels.score(unit.score),
             rank=unit.rank, count=unit.ranked_in)
    if "bottom" in unit.flags:
        text += _("（末位）")
    return text


def _peers(result: DimensionalSchemeResult, unit_id: int
           ) -> tuple[DimensionalUnitResult, list[DimensionalUnitResult]] | None:
    """The unit with this id and the units of its category (itself included), or None
    when the result does not have it."""
    for _category, units in _units(result):
        for unit in units:
            if unit.unit_id == unit_id:
                return unit, units
    return None


def _scored(units: list[DimensionalUnitResult]) -> int:
    return sum(1 for u in units if u.score is not None)


def _radar(result: DimensionalSchemeResult, unit: DimensionalUnitResult,
           mean: tuple[float | None, ...] | None, low: float, high: float) -> Markup:
    """One unit's radar chart; ``mean`` (its category's mean per dimension) is drawn as a
    dashed outline when given."""
    names = [d.name for d in result.dimensions]
    colour = BOTTOM if "bottom" in unit.flags else BAR
    values = tuple((unit.dimension(n).score if unit.dimension(n) else None) for n in names)
    series = [RadarSeries(_("本单位"), values, colour)]
    if mean is not None:
        series.append(RadarSeries(_("%(category)s平均", category=unit.category), mean, MUTED,
                                  dashed=True, filled=False))
    return radar_chart(unit.unit, [dimension_label(n) for n in names], series, low=low,
                       high=high, subtitle=_subtitle(unit), key=f"{result.key}-{unit.unit_id}")


def radars(result: DimensionalSchemeResult) -> Markup:
    """A radar chart per unit (ranked within each category), with its category's mean
    dimension scores as a dashed outline."""
    low, high = score_range(result)
    names = [d.name for d in result.dimensions]
    parts = []
    for category, units in _units(result):
        mean = _category_means(units, names) if _scored(units) > 1 else None
        charts = [_radar(result, unit, mean, low, high) for unit in units]
        parts.append(Markup('<p class="chart-title"><strong>{}</strong></p>').format(category))
        parts.append(Markup('<div class="chart-grid">{}</div>').format(Markup(" ").join(charts)))
    parts.append(Markup('<p class="hint">{}</p>').format(_(
        "每个单位一张雷达图，半径从 %(low)s 分（圆心）到 %(high)s 分（外圈），不从 0 开始，"
        "以便看清维度之间的差异；虚线为同序列单位的平均。末位单位以红色显示。",
        low=f"{low:g}", high=f"{high:g}")))
    return Markup("").join(parts)


def unit_radar(result: DimensionalSchemeResult, unit_id: int) -> Markup | None:
    """One unit's radar chart, as drawn by :func:`radars` (the same scale, its category's
    mean as a dashed outline), or None when the result does not have the unit."""
    found = _peers(result, unit_id)
    if found is None:
        return None
    unit, peers = found
    low, high = score_range(result)
    names = [d.name for d in result.dimensions]
    mean = _category_means(peers, names) if _scored(peers) > 1 else None
    if mean is not None:
        hint = _("半径从 %(low)s 分（圆心）到 %(high)s 分（外圈），不从 0 开始，以便看清维度之间的差异；"
                 "虚线为%(category)s各单位的平均。", low=f"{low:g}", high=f"{high:g}",
                 category=unit.category)
    else:
        hint = _("半径从 %(low)s 分（圆心）到 %(high)s 分（外圈），不从 0 开始，以便看清维度之间的差异。",
                 low=f"{low:g}", high=f"{high:g}")
    return (Markup('<div class="chart-grid">{}</div>').format(_radar(result, unit, mean, low, high))
            + Markup('<p class="hint">{}</p>').format(hint))


def _named(unit: DimensionalUnitResult, names: list[str]) -> str:
    """“服务发展 88.66”, ties joined with 、; a dash when there is nothing to name."""
    if unit.score is None or not names:
        return labels.DASH
    return str(LIST_SEPARATOR).join(f"{dimension_label(n)} {labels.score(unit.dimension(n).score)}"
                                    for n in names)


def strengths_table(result: DimensionalSchemeResult) -> Markup:
    """Per unit: rank, composite, family scores, strongest and weakest dimensions."""
    families = [f.name for f in result.families]
    head = [_("序列"), _("排名"), _("单位"), _("综合得分"), *map(dimension_label, families),
            _("最强维度"), _("最弱维度")]
    numeric = {1, 3, *range(4, 4 + len(families))}
    rows = []
    for category, units in _units(result):
        for unit in units:
            family_scores = {f.name: f.score for f in unit.families}
            cells = [category, "—" if unit.rank is None else str(unit.rank), unit.unit,
                     labels.NO_SCORE if unit.score is None else labels.score(unit.score),
                     *[labels.score(family_scores.get(f)) for f in families],
                     _named(unit, unit.strongest), _named(unit, unit.weakest)]
            rows.append(Markup("<tr>{}</tr>").format(Markup("").join(
                (NUM_TD if n in numeric else TD).format(cell)
                for n, cell in enumerate(cells))))
    table = Markup('<table class="table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>').format(
        Markup("").join((NUM_TH if n in numeric else TH).format(h)
                        for n, h in enumerate(head)),
        Markup("").join(rows))
    note = Markup('<p class="hint">{}</p>').format(_(
        "最强、最弱维度按得分判断（按并列判断的小数位数取舍后相同者并列）；"
        "各维度得分相同或有效票不足的单位不标注。"))
    return _scrolling(_("%(scheme)s 各单位最强和最弱维度", scheme=result.title), table) + note


def _bars(result: DimensionalSchemeResult, unit: DimensionalUnitResult, high: float) -> Markup:
    """One unit's bar chart: a bar per dimension, grouped by family under the family's
    score; the strongest dimension green, the weakest red."""
    rows = []
    for family in result.families or [None]:
        if family is not None:
            score = next((f.score for f in unit.families if f.name == family.name), None)
            rows.append(BarRow(dimension_label(family.name), score, heading=True))
        for d in unit.dimensions:
            if family is not None and d.family != family.name:
                continue
            colour, note = BAR, ""
            if d.name in unit.strongest:
                colour, note = STRONG, f" {STRONG_MARK}"
            elif d.name in unit.weakest:
                colour, note = BOTTOM, f" {WEAK_MARK}"
            rows.append(BarRow(dimension_label(d.name), d.score, colour, note))
    return bar_list(unit.unit, rows, subtitle=_subtitle(unit), key=f"{result.key}-{unit.unit_id}",
                    top_value=high)


def _bars_hint(high: float) -> Markup:
    return Markup('<p class="hint">{}</p>').format(_(
        "横条为各维度得分（0–%(high)s 分）；绿色 %(strong)s 为该单位得分最高的维度，"
        "红色 %(weak)s 为最低的维度。", high=f"{high:g}", strong=STRONG_MARK, weak=WEAK_MARK))


def unit_bars(result: DimensionalSchemeResult) -> Markup:
    """Per unit: a bar per dimension, grouped by family under the family's score; the
    strongest dimension green, the weakest red."""
    high = score_range(result)[1]
    parts = []
    for category, units in _units(result):
        charts = [_bars(result, unit, high) for unit in units]
        parts.append(Markup('<p class="chart-title"><strong>{}</strong></p>').format(category))
        parts.append(Markup('<div class="chart-grid">{}</div>').format(Markup(" ").join(charts)))
    parts.append(_bars_hint(high))
    return Markup("").join(parts)


def unit_bar_chart(result: DimensionalSchemeResult, unit_id: int) -> Markup | None:
    """One unit's bar chart, as drawn by :func:`unit_bars` (the same scale), or None when
    the result does not have the unit."""
    found = _peers(result, unit_id)
    if found is None:
        return None
    high = score_range(result)[1]
    return (Markup('<div class="chart-grid">{}</div>').format(_bars(result, found[0], high))
            + _bars_hint(high))


def _mark(unit: DimensionalUnitResult, name: str) -> str:
    if unit.score is None:
        return ""
    if name in unit.strongest:
        return STRONG_MARK + " " + _("最强")
    if name in unit.weakest:
        return WEAK_MARK + " " + _("最弱")
    return ""


def unit_dimension_table(result: DimensionalSchemeResult, unit_id: int) -> Markup | None:
    """One unit's dimension scores (and family scores, each family above its dimensions)
    beside its category's mean, the strongest dimension marked ▲ and the weakest ▼; None
    when the result does not have the unit."""
    found = _peers(result, unit_id)
    if found is None:
        return None
    unit, peers = found
    with_mean = _scored(peers) > 1
    names = [d.name for d in result.dimensions]
    means = dict(zip(names, _category_means(peers, names), strict=True))
    family_means = {}
    for family in result.families:
        values = [f.score for u in peers for f in u.families
                  if f.name == family.name and f.score is not None]
        family_means[family.name] = sum(values) / len(values) if values else None
    own_family = {f.name: f.score for f in unit.families}
    head = [_("维度"), _("得分"),
            *([_("%(category)s平均", category=unit.category)] if with_mean else []), _("标注")]
    numeric = {1, 2} if with_mean else {1}

    def row(label, score, mean, mark, strong=False) -> Markup:
        cells = [label, labels.score(score), *([labels.score(mean)] if with_mean else []), mark]
        cell = Markup('<th scope="row">{}</th>') if not strong else \
            Markup('<th scope="row"><strong>{}</strong></th>')
        return Markup("<tr>{}</tr>").format(cell.format(cells[0]) + Markup("").join(
            (NUM_TD if n in numeric else TD).format(value)
            for n, value in enumerate(cells) if n))

    rows = []
    for family in result.families or [None]:
        if family is not None:
            rows.append(row(dimension_label(family.name), own_family.get(family.name),
                            family_means[family.name], "", strong=True))
        for d in result.dimensions:
            if family is not None and d.family != family.name:
                continue
            score = unit.dimension(d.name).score if unit.dimension(d.name) else None
            rows.append(row(dimension_label(d.name), score, means[d.name], _mark(unit, d.name)))
    table = Markup('<table class="table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
                   ).format(Markup("").join((NUM_TH if n in numeric else TH).format(h)
                                            for n, h in enumerate(head)),
                            Markup("").join(rows))
    if with_mean:
        hint = _("%(strong)s 为本单位得分最高的维度，%(weak)s 为最低的维度；"
                 "平均为%(category)s有得分的各单位的平均；“—”表示有效票不足、不显示。",
                 strong=STRONG_MARK, weak=WEAK_MARK, category=unit.category)
    else:
        hint = _("%(strong)s 为本单位得分最高的维度，%(weak)s 为最低的维度；“—”表示有效票不足、不显示。",
                 strong=STRONG_MARK, weak=WEAK_MARK)
    return (_scrolling(_("%(unit)s 各维度得分", unit=unit.unit), table)
            + Markup('<p class="hint">{}</p>').format(hint))
