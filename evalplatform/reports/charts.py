"""Charts as inline SVG, drawn on the server: no JavaScript on the page, and the same
markup in WeasyPrint PDFs.

Plain SVG only (presentation attributes, no CSS classes, no foreignObject, no external
references). Every piece of user text (unit, category, group names) is escaped; the
numbers are formatted here. Charts carry their natural size in ``width``/``height`` and
a ``viewBox``, so a stylesheet can scale them to the space they get.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..i18n import gettext as _
from ..scoring.results import LIST_SEPARATOR, SchemeResult, UnitResult
from . import labels

FONT = "Noto Sans CJK SC, sans-serif"
#: Bold chart text is set in the serif bold face the reports already embed: a sans bold
#: face would be a fourth CJK font in every PDF (~150 kB and ~0.1 s of subsetting).
BOLD = 'font-family="Noto Serif CJK SC, serif" font-weight="bold"'
INK, MUTED, GRID, AXIS = "#1d1d1f", "#5f6368", "#e3e6ea", "#9aa0a6"
BAR, BOTTOM, COMPOSITE = "#3f6c9e", "#b3261e", "#1b7f3a"
#: Narrow enough to be legible on a phone at its natural size; pages cap how far it grows.
WIDTH = 420
FONT_SIZE = 14
#: Each row: the label line (rank, name, value), then the bar with its whisker.
ROW = 46
LABEL_Y, BAR_Y, BAR_HEIGHT = 17, 25, 13
PAD = 6


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Roughly how wide ``text`` is drawn: CJK and other wide characters one em, the rest
    about 0.6 em. Good enough to lay out labels without measuring fonts."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else 0.6 * size
               for ch in text)


def fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """``text`` shortened with an ellipsis so that it fits in ``width``."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    if not math.isfinite(top) or top <= 0:
        top = 100.0
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(k * step, 6) for k in range(n + 1)]


def _tick_label(value: float) -> str:
    return f"{value:g}"


def _chart_id(*parts: str) -> str:
    return "chart-" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:10]


def _svg(height: float, chart_id: str, title: str, desc: str, body: list[str]) -> Markup:
    return _sized_svg(WIDTH, height, chart_id, title, desc, body)


class _Axis:
    """A horizontal value axis from 0 to a round number, across [x0, x1]."""

    def __init__(self, x0: float, x1: float, top: float):
        self.ticks = nice_ticks(top)
        self.x0, self.x1, self.max = x0, x1, self.ticks[-1]

    def x(self, value: float) -> float:
        value = min(max(value, 0.0), self.max)
        return self.x0 + (self.x1 - self.x0) * value / self.max

    def draw(self, top: float, bottom: float) -> list[str]:
        out = []
        for tick in self.ticks:
            x = self.x(tick)
            out.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
                       f'stroke="{GRID}" stroke-width="1"/>')
            anchor = "start" if tick == 0 else "end" if tick == self.max else "middle"
            out.append(f'<text x="{x:.1f}" y="{bottom + 15:.1f}" text-anchor="{anchor}" '
                       f'font-size="12" fill="{MUTED}">{_tick_label(tick)}</text>')
        out.append(f'<line x1="{self.x0:.1f}" y1="{bottom:.1f}" x2="{self.x1:.1f}" '
                   f'y2="{bottom:.1f}" stroke="{AXIS}" stroke-width="1"/>')
        return out


def _whisker(axis: _Axis, low: float, high: float, y: float) -> list[str]:
    x_lo, x_hi = axis.x(low), axis.x(high)
    half = BAR_HEIGHT / 2 + 2
    return [
        f'<path d="M{x_lo:.1f} {y - half:.1f}V{y + half:.1f}M{x_lo:.1f} {y:.1f}H{x_hi:.1f}'
        f'M{x_hi:.1f} {y - half:.1f}V{y + half:.1f}" fill="none" stroke="{INK}" '
        f'stroke-width="1.6"/>',
    ]


def _bar(axis: _Axis, value: float, y: float, colour: str) -> str:
    return (f'<rect x="{axis.x0:.1f}" y="{y:.1f}" width="{max(axis.x(value) - axis.x0, 1):.1f}" '
            f'height="{BAR_HEIGHT}" fill="{colour}"/>')


def _empty_slot(axis: _Axis, y: float) -> str:
    return (f'<rect x="{axis.x0 + 0.5:.1f}" y="{y + 0.5:.1f}" width="{axis.x1 - axis.x0 - 1:.1f}" '
            f'height="{BAR_HEIGHT - 1}" fill="none" stroke="{AXIS}" stroke-dasharray="4 3"/>')


def _top_value(units: list[UnitResult]) -> float:
    values = [u.score for u in units if u.score is not None]
    values += [u.interval[1] for u in units if u.interval]
    return max(values, default=100.0)


def ranking_chart(scheme: SchemeResult, category: str) -> Markup:
    """Horizontal bars of the units' scores in one category, best first, each with its
    95% interval as a whisker; units flagged at the bottom in a distinct colour."""
    units = dict(scheme.by_category()).get(category, [])
    axis = _Axis(PAD, WIDTH - PAD, _top_value(units))
    top = 4
    bottom = top + ROW * max(len(units), 1)
    body = axis.draw(top, bottom)
    for n, unit in enumerate(units):
        y = top + ROW * n
        flagged = "bottom" in unit.flags
        colour = BOTTOM if flagged else BAR
        if unit.score is None:
            value = labels.NO_SCORE
        else:
            value = labels.score(unit.score) + (_("（末位）") if flagged else "")
        value_w = text_width(value, 13) + 4
        tip = _("%(name)s：%(value)s", name=unit.unit, value=value)
        if unit.interval:
            tip += _("，95%% 区间 %(interval)s", interval=labels.interval(unit.interval))
        if "bottom_uncertain" in unit.flags:
            tip += _("，%(note)s", note=labels.flag_label("bottom_uncertain"))
        rank = "" if unit.rank is None else f"{unit.rank}"
        weight = BOLD if flagged else 'font-weight="normal"'
        body.append(f"<g><title>{escape(tip)}</title>")
        body.append(f'<text x="{PAD}" y="{y + LABEL_Y}" fill="{MUTED}">{rank}</text>')
        body.append(f'<text x="{PAD + 22}" y="{y + LABEL_Y}" fill="{colour if flagged else INK}">'
                    f"{escape(fit(unit.unit, WIDTH - 2 * PAD - 30 - value_w))}</text>")
        body.append(f'<text x="{WIDTH - PAD}" y="{y + LABEL_Y}" text-anchor="end" font-size="13" '
                    f'{weight} fill="{colour if flagged else INK}">{value}</text>')
        if unit.score is None:
            body.append(_empty_slot(axis, y + BAR_Y) + "</g>")
            continue
        body.append(_bar(axis, unit.score, y + BAR_Y, colour))
        if unit.interval:
            body += _whisker(axis, *unit.interval, y + BAR_Y + BAR_HEIGHT / 2)
        body.append("</g>")
    title = _("%(scheme)s · %(category)s：得分排名", scheme=scheme.title, category=category)
    desc = _("横条为得分，黑色横线为 95% 区间；红色为末位单位。")
    return _svg(bottom + 20, _chart_id(scheme.key, category), title, desc, body)


def group_bars(unit: UnitResult, min_group_size: int | None = None) -> Markup:
    """The unit's score from each rater group; a suppressed group is an empty, labelled
    slot with no number. A dashed vertical line marks the weighted composite."""
    groups = unit.groups
    top_value = max([g.score for g in groups if g.score is not None]
                    + ([unit.score] if unit.score is not None else []), default=100.0)
    axis = _Axis(PAD, WIDTH - PAD, top_value)
    top = 22 if unit.score is not None else 4
    bottom = top + ROW * max(len(groups), 1)
    body = axis.draw(top, bottom)
    hidden = labels.suppressed(min_group_size) if min_group_size else _("人数不足，不显示")
    for n, cell in enumerate(groups):
        y = top + ROW * n
        shown = cell.score is not None and not cell.suppressed
        value = labels.score(cell.score) if shown else hidden if cell.routed else _("不评议该单位")
        value_w = text_width(value, 13) + 4
        name = _("%(group)s（权重 %(weight)s）", group=cell.group, weight=f"{cell.weight:.0%}")
        body.append(f'<text x="{PAD}" y="{y + LABEL_Y}">'
                    f"{escape(fit(name, WIDTH - 2 * PAD - value_w))}</text>")
        body.append(f'<text x="{WIDTH - PAD}" y="{y + LABEL_Y}" text-anchor="end" font-size="13" '
                    f'fill="{INK if shown else MUTED}">{value}</text>')
        body.append(_bar(axis, cell.score, y + BAR_Y, BAR) if shown
                    else _empty_slot(axis, y + BAR_Y))
    if unit.score is not None:
        x = axis.x(unit.score)
        # through the bars only, not across the labels above them
        path = "".join(f"M{x:.1f} {top + ROW * n + BAR_Y - 4:.1f}v{BAR_HEIGHT + 8}"
                       for n, cell in enumerate(groups)
                       if cell.score is not None and not cell.suppressed)
        body.append(f'<path d="M{x:.1f} {top - 4}v4{path}" fill="none" stroke="{COMPOSITE}" '
                    f'stroke-width="2" stroke-dasharray="4 2"/>')
        anchor = "end" if x > WIDTH - 90 else "middle" if x > 90 else "start"
        overall = _("综合得分 %(score)s", score=labels.score(unit.score))
        body.append(f'<text x="{x:.1f}" y="{top - 8}" text-anchor="{anchor}" font-size="13" '
                    f'fill="{COMPOSITE}">{overall}</text>')
    title = _("%(unit)s：各评议主体评分", unit=unit.unit)
    desc = _("横条为各评议主体的评分，绿色虚线为加权综合得分；"
             "有效票不足最小分组人数的评议主体不显示分数。")
    return _svg(bottom + 20, _chart_id("groups", str(unit.unit_id), unit.unit), title, desc, body)


# -- charts of dimensioned schemes (六型机关, capability models): plain data in, SVG out ------

HEAT_LOW, HEAT_HIGH = (241, 245, 250), (36, 80, 127)
STRONG = COMPOSITE


def _sized_svg(width: float, height: float, chart_id: str, title: str, desc: str,
               body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
            f'aria-labelledby="{chart_id}-t {chart_id}-d" font-family="{FONT}" '
            f'font-size="{FONT_SIZE}" fill="{INK}">'
            f'<title id="{chart_id}-t">{escape(title)}</title>'
            f'<desc id="{chart_id}-d">{escape(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every user text escaped


def value_range(values, floor: float = 0.0, span: float = 20.0, step: float = 10.0
                ) -> tuple[float, float]:
    """A round [low, high] covering ``values`` (None ignored) for a chart whose scale need
    not start at zero: scores of government units are often within a few points."""
    present = [v for v in values if v is not None and math.isfinite(v)]
    if not present:
        return floor, 100.0
    high = max(step, math.ceil(max(present) / step - 1e-9) * step)
    low = max(floor, math.floor(min(present) / step + 1e-9) * step - step)
    if high - low < span:
        low = max(floor, high - span)
    return low, high


@dataclass(frozen=True)
class RadarSeries:
    """One polygon of a radar chart: a value (or None) per axis."""

    label: str
    values: tuple[float | None, ...]
    colour: str = BAR
    dashed: bool = False
    filled: bool = True


def radar_chart(title: str, axes: list[str], series: list[RadarSeries], *, low: float,
                high: float, subtitle: str = "", key: str = "", size: int = 280,
                empty_text: str = labels.NO_SCORE) -> Markup:
    """A radar (spider) chart: one spoke per axis from ``low`` (centre) to ``high`` (rim),
    a polygon per series, the first series' values printed under the axis names.

    ``title``, ``subtitle``, axis and series labels are user text and get escaped.
    """
    n = max(len(axes), 1)
    radius = size / 2 - 58
    cx, cy = size / 2, 92 + radius  # room above for the title, subtitle and the top label
    span = (high - low) or 1.0

    def point(k: int, value: float | None, scale: float = 1.0) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * k / n
        share = 0.0 if value is None else (min(max(value, low), high) - low) / span
        r = radius * share * scale
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    def ring(share: float) -> str:
        pts = []
        for k in range(n):
            angle = -math.pi / 2 + 2 * math.pi * k / n
            pts.append(f"{cx + radius * share * math.cos(angle):.1f},"
                       f"{cy + radius * share * math.sin(angle):.1f}")
        return " ".join(pts)

    body = [f'<text x="{size / 2:.1f}" y="20" text-anchor="middle" {BOLD}>'
            f"{escape(fit(title, size - 12))}</text>"]
    if subtitle:
        body.append(f'<text x="{size / 2:.1f}" y="40" text-anchor="middle" font-size="12" '
                    f'fill="{MUTED}">{escape(fit(subtitle, size - 12, 12))}</text>')
    for j in range(1, 5):
        body.append(f'<polygon points="{ring(j / 4)}" fill="none" stroke="{GRID}" '
                    f'stroke-width="1"/>')
    for k in range(n):
        x, y = point(k, high)
        body.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}" stroke-width="1"/>')
    for j in (0, 2, 4):
        value = low + span * j / 4
        body.append(f'<text x="{cx + 3:.1f}" y="{cy - radius * j / 4 + (11 if j == 0 else -2):.1f}" '
                    f'font-size="10" fill="{MUTED}">{_tick_label(round(value, 2))}</text>')
    drawn = False
    for s in series:
        if not any(v is not None for v in s.values):
            continue
        drawn = True
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(k, v) for k, v in enumerate(s.values)))
        fill = (f'fill="{s.colour}" fill-opacity="0.18"' if s.filled else 'fill="none"')
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        body.append(f'<polygon points="{pts}" {fill} stroke="{s.colour}" stroke-width="2"{dash}/>')
        if not s.dashed:
            for k, v in enumerate(s.values):
                if v is None:
                    continue
                x, y = point(k, v)
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{s.colour}">'
                            f"<title>{escape(_('%(name)s：%(value)s', name=axes[k], value=labels.score(v)))}"
                            "</title></circle>")
    if not drawn:
        body.append(f'<text x="{cx:.1f}" y="{cy + 5:.1f}" text-anchor="middle" font-size="13" '
                    f'fill="{MUTED}">{escape(empty_text)}</text>')
    first = series[0].values if series else ()
    for k, name in enumerate(axes):
        angle = -math.pi / 2 + 2 * math.pi * k / n
        x, y = cx + (radius + 10) * math.cos(angle), cy + (radius + 10) * math.sin(angle)
        cos, sin = math.cos(angle), math.sin(angle)
        anchor = "start" if cos > 0.3 else "end" if cos < -0.3 else "middle"
        value = first[k] if k < len(first) else None
        if sin < -0.9:  # the top spoke: name above its value, both above the ring labels
            y_name, y_value = y - 22, y - 9
        elif sin > 0.9:
            y_name, y_value = y + 10, y + 23
        else:
            y_name, y_value = y + 1, y + 14
        body.append(f'<text x="{x:.1f}" y="{y_name:.1f}" text-anchor="{anchor}" font-size="12">'
                    f"{escape(fit(name, 64, 12))}</text>")
        if value is not None:
            body.append(f'<text x="{x:.1f}" y="{y_value:.1f}" text-anchor="{anchor}" '
                        f'font-size="11" fill="{MUTED}">{labels.score(value, 1)}</text>')
    legend_y = cy + radius + 54
    x = 8.0
    for s in series:
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        body.append(f'<line x1="{x:.1f}" y1="{legend_y - 4:.1f}" x2="{x + 18:.1f}" '
                    f'y2="{legend_y - 4:.1f}" stroke="{s.colour}" stroke-width="2"{dash}/>')
        body.append(f'<text x="{x + 22:.1f}" y="{legend_y:.1f}" font-size="11" fill="{MUTED}">'
                    f"{escape(s.label)}</text>")
        x += 30 + text_width(s.label, 11) + 10
    desc = (_("雷达图，%(n)s 个维度，半径从 %(low)s 分（圆心）到 %(high)s 分（外圈）。", n=n,
              low=_tick_label(low), high=_tick_label(high))
            + _("；").join(_("%(name)s：%(value)s", name=s.label, value=str(LIST_SEPARATOR).join(
                f"{a} {labels.score(v)}" for a, v in zip(axes, s.values, strict=False)))
                for s in series))
    return _sized_svg(size, legend_y + 8, _chart_id("radar", key, title), title, desc, body)


def heat_map_label_width(rows: list[str]) -> float:
    """The width :func:`heat_map` gives its row labels (at most 170)."""
    return min(170.0, max([text_width(r, 13) + 12 for r in rows] + [90.0]))


def _heat_colour(share: float) -> str:
    share = min(max(share, 0.0), 1.0)
    r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(HEAT_LOW, HEAT_HIGH, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_map(title: str, rows: list[str], columns: list[str],
             values: list[list[float | None]], *, low: float, high: float, key: str = "",
             column_groups: list[tuple[str, int]] | None = None,
             marks: list[list[str]] | None = None, label_width: float | None = None) -> Markup:
    """A table of coloured cells, ``values[row][column]``, darker for higher values
    between ``low`` and ``high``; a None cell is an empty dashed slot with a dash.

    ``column_groups`` puts a heading over consecutive columns (``(name, count)``);
    ``marks[row][column]`` is a short text drawn in the cell's corner (e.g. ▲ ▼);
    ``label_width`` fixes the row labels' column (to align several heat maps).
    Row, column and group labels are user text and get escaped.
    """
    label_w = label_width or heat_map_label_width(rows)
    cell_w = max(52.0, max([text_width(c, 12) + 8 for c in columns] + [0.0]))
    cell_h = 28
    top = 8 + (20 if column_groups else 0) + 22
    width = label_w + cell_w * len(columns) + 8
    span = (high - low) or 1.0
    body = []
    if column_groups:
        x = label_w
        for name, count in column_groups:
            body.append(f'<text x="{x + cell_w * count / 2:.1f}" y="20" text-anchor="middle" '
                        f'font-size="12" {BOLD}>'
                        f"{escape(fit(name, cell_w * count - 4, 12))}</text>")
            body.append(f'<line x1="{x + 3:.1f}" y1="25" x2="{x + cell_w * count - 3:.1f}" y2="25" '
                        f'stroke="{AXIS}" stroke-width="1"/>')
            x += cell_w * count
    for c, name in enumerate(columns):
        body.append(f'<text x="{label_w + cell_w * (c + 0.5):.1f}" y="{top - 8}" '
                    f'text-anchor="middle" font-size="12">{escape(fit(name, cell_w - 4, 12))}</text>')
    for r, name in enumerate(rows):
        y = top + cell_h * r
        body.append(f'<text x="4" y="{y + 19}" font-size="13">{escape(fit(name, label_w - 10, 13))}</text>')
        for c, value in enumerate(values[r]):
            x = label_w + cell_w * c
            tip = _("%(row)s · %(column)s：%(value)s", row=name, column=columns[c],
                    value=labels.score(value))
            if value is None:
                body.append(f'<g><title>{escape(tip)}</title>'
                            f'<rect x="{x + 1.5:.1f}" y="{y + 1.5:.1f}" width="{cell_w - 3:.1f}" '
                            f'height="{cell_h - 3}" fill="#ffffff" stroke="{AXIS}" '
                            f'stroke-dasharray="3 2"/><text x="{x + cell_w / 2:.1f}" y="{y + 19}" '
                            f'text-anchor="middle" font-size="12" fill="{MUTED}">—</text></g>')
                continue
            share = (value - low) / span
            ink = "#ffffff" if share > 0.55 else INK
            body.append(f'<g><title>{escape(tip)}</title>'
                        f'<rect x="{x + 1:.1f}" y="{y + 1:.1f}" width="{cell_w - 2:.1f}" '
                        f'height="{cell_h - 2}" fill="{_heat_colour(share)}"/>'
                        f'<text x="{x + cell_w / 2:.1f}" y="{y + 19}" text-anchor="middle" '
                        f'font-size="12" fill="{ink}">{labels.score(value, 1)}</text>')
            mark = marks[r][c] if marks and r < len(marks) and c < len(marks[r]) else ""
            if mark:
                body.append(f'<text x="{x + cell_w - 4:.1f}" y="{y + 11}" text-anchor="end" '
                            f'font-size="9" fill="{ink}">{escape(mark)}</text>')
            body.append("</g>")
    legend_y = top + cell_h * max(len(rows), 1) + 22
    legend = _("颜色越深得分越高：")
    body.append(f'<text x="4" y="{legend_y}" font-size="11" fill="{MUTED}">{legend}</text>')
    x = 4 + text_width(legend, 11) + 4
    for j in range(5):
        body.append(f'<rect x="{x:.1f}" y="{legend_y - 10}" width="22" height="12" '
                    f'fill="{_heat_colour(j / 4)}"/>')
        x += 24
    body.append(f'<text x="{x + 4:.1f}" y="{legend_y}" font-size="11" fill="{MUTED}">'
                + _("%(low)s–%(high)s 分", low=_tick_label(round(low, 2)),
                    high=_tick_label(round(high, 2))) + "</text>")
    width = max(width, x + 80)
    desc = _("热力图：%(rows)s 行 × %(columns)s 列，颜色从浅到深表示 %(low)s 到 %(high)s 分。",
             rows=len(rows), columns=len(columns), low=_tick_label(low), high=_tick_label(high))
    return _sized_svg(width, legend_y + 8, _chart_id("heat", key, title), title, desc, body)


#: Shades of a heat table (documents), lightest first: classes heat-0 … heat-9 in
#: static/report.css, the same scale as the heat map's colours.
HEAT_SHADES = 10


def heat_table(rows: list[str], columns: list[str], values: list[list[float | None]], *,
               low: float, high: float, column_groups: list[tuple[str, int]] | None = None,
               marks: list[list[str]] | None = None) -> Markup:
    """:func:`heat_map` as an HTML table of shaded cells, for printed documents.

    WeasyPrint lays out an SVG ``<text>`` for several milliseconds and a table cell for
    about one: a city's heat maps took a third of the bulletin's time as SVG. The table
    says the same (values, ▲ ▼ marks, "—" for a suppressed cell) in ten shades.
    """
    span = (high - low) or 1.0
    head = []
    if column_groups:
        head.append(Markup("<tr><th></th>{}</tr>").format(Markup("").join(
            Markup('<th colspan="{}">{}</th>').format(count, name)
            for name, count in column_groups)))
    head.append(Markup("<tr><th></th>{}</tr>").format(
        Markup("").join(Markup("<th>{}</th>").format(c) for c in columns)))
    body = []
    for r, name in enumerate(rows):
        cells = []
        for c, value in enumerate(values[r]):
            if value is None:
                cells.append(Markup('<td class="heat-none">—</td>'))
                continue
            shade = min(HEAT_SHADES - 1, max(0, int((value - low) / span * HEAT_SHADES)))
            mark = marks[r][c] if marks and r < len(marks) and c < len(marks[r]) else ""
            cells.append(Markup('<td class="heat-{}">{}{}</td>').format(
                shade, labels.score(value, 1),
                Markup('<span class="heat-mark">{}</span>').format(mark) if mark else ""))
        body.append(Markup('<tr><th scope="row">{}</th>{}</tr>').format(
            name, Markup("").join(cells)))
    columns_html = Markup('<colgroup><col class="heat-name">{}</colgroup>').format(
        Markup("<col>") * len(columns))
    return Markup('<table class="heat-table">{}<thead>{}</thead><tbody>{}</tbody></table>'
                  ).format(columns_html, Markup("").join(head), Markup("").join(body))


@dataclass(frozen=True)
class BarRow:
    """A row of :func:`bar_list`: a bar, or (``heading``) a bold heading line."""

    label: str
    value: float | None
    colour: str = BAR
    note: str = ""
    heading: bool = False


def bar_list(title: str, rows: list[BarRow], *, subtitle: str = "", key: str = "",
             width: int = 320, top_value: float | None = None) -> Markup:
    """Compact horizontal bars, one per row, the value (and note) at the right; heading
    rows group the bars below them. Labels are user text and get escaped."""
    label_w = min(110.0, max([text_width(r.label, 12) + 8 for r in rows if not r.heading]
                             + [40.0]))
    value_w = max([text_width(labels.score(r.value) + r.note, 12) + 8 for r in rows] + [44.0])
    top_value = top_value or max([r.value for r in rows if r.value is not None] + [100.0])
    axis = _Axis(label_w, width - value_w - 4, top_value)
    row_h = 20
    y = 20.0
    body = [f'<text x="4" y="16" {BOLD}>{escape(fit(title, width - 8))}</text>']
    if subtitle:
        y += 16
        body.append(f'<text x="4" y="32" font-size="12" fill="{MUTED}">'
                    f"{escape(fit(subtitle, width - 8, 12))}</text>")
    y += 6
    start = y
    drawn = []
    for row in rows:
        value = labels.score(row.value) + row.note
        if row.heading:
            y += 4
            body.append(f'<text x="4" y="{y + 14:.1f}" font-size="12" {BOLD}>'
                        f"{escape(fit(row.label, width - value_w - 8, 12))}</text>")
            body.append(f'<text x="{width - 4}" y="{y + 14:.1f}" text-anchor="end" font-size="12" '
                        f'{BOLD}>{escape(value)}</text>')
            y += row_h
            continue
        body.append(f'<text x="4" y="{y + 14:.1f}" font-size="12">'
                    f"{escape(fit(row.label, label_w - 8, 12))}</text>")
        if row.value is None:
            body.append(f'<rect x="{axis.x0 + 0.5:.1f}" y="{y + 4.5:.1f}" '
                        f'width="{axis.x1 - axis.x0 - 1:.1f}" height="11" fill="none" '
                        f'stroke="{AXIS}" stroke-dasharray="4 3"/>')
        else:
            body.append(f'<rect x="{axis.x0:.1f}" y="{y + 4:.1f}" '
                        f'width="{max(axis.x(row.value) - axis.x0, 1):.1f}" height="12" '
                        f'fill="{row.colour}"/>')
        body.append(f'<text x="{width - 4}" y="{y + 14:.1f}" text-anchor="end" font-size="12" '
                    f'fill="{row.colour if row.colour != BAR else INK}">{escape(value)}</text>')
        drawn.append(y)
        y += row_h
    for tick in axis.ticks:
        x = axis.x(tick)
        body.insert(1, f'<line x1="{x:.1f}" y1="{start:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                       f'stroke="{GRID}" stroke-width="1"/>')
        anchor = "start" if tick == 0 else "end" if tick == axis.max else "middle"
        body.append(f'<text x="{x:.1f}" y="{y + 13:.1f}" text-anchor="{anchor}" font-size="10" '
                    f'fill="{MUTED}">{_tick_label(tick)}</text>')
    desc = _("；").join(f"{r.label} {labels.score(r.value)}{r.note}" for r in rows)
    return _sized_svg(width, y + 20, _chart_id("bars", key, title), title, desc, body)
