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

from markupsafe import Markup, escape

from ..scoring.results import SchemeResult, UnitResult
from . import labels

FONT = "Noto Sans CJK SC, sans-serif"
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
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
            f'aria-labelledby="{chart_id}-t {chart_id}-d" font-family="{FONT}" '
            f'font-size="{FONT_SIZE}" fill="{INK}">'
            f'<title id="{chart_id}-t">{escape(title)}</title>'
            f'<desc id="{chart_id}-d">{escape(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every user text escaped


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
            value = labels.score(unit.score) + ("（末位）" if flagged else "")
        value_w = text_width(value, 13) + 4
        tip = f"{unit.unit}：{value}"
        if unit.interval:
            tip += f"，95% 区间 {labels.interval(unit.interval)}"
        if "bottom_uncertain" in unit.flags:
            tip += "，" + labels.flag_label("bottom_uncertain")
        rank = "" if unit.rank is None else f"{unit.rank}"
        weight = "bold" if flagged else "normal"
        body.append(f"<g><title>{escape(tip)}</title>")
        body.append(f'<text x="{PAD}" y="{y + LABEL_Y}" fill="{MUTED}">{rank}</text>')
        body.append(f'<text x="{PAD + 22}" y="{y + LABEL_Y}" fill="{colour if flagged else INK}">'
                    f"{escape(fit(unit.unit, WIDTH - 2 * PAD - 30 - value_w))}</text>")
        body.append(f'<text x="{WIDTH - PAD}" y="{y + LABEL_Y}" text-anchor="end" font-size="13" '
                    f'font-weight="{weight}" fill="{colour if flagged else INK}">{value}</text>')
        if unit.score is None:
            body.append(_empty_slot(axis, y + BAR_Y) + "</g>")
            continue
        body.append(_bar(axis, unit.score, y + BAR_Y, colour))
        if unit.interval:
            body += _whisker(axis, *unit.interval, y + BAR_Y + BAR_HEIGHT / 2)
        body.append("</g>")
    title = f"{scheme.title} · {category}：得分排名"
    desc = "横条为得分，黑色横线为 95% 区间；红色为末位单位。"
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
    hidden = labels.suppressed(min_group_size) if min_group_size else "人数不足，不显示"
    for n, cell in enumerate(groups):
        y = top + ROW * n
        shown = cell.score is not None and not cell.suppressed
        value = labels.score(cell.score) if shown else hidden
        value_w = text_width(value, 13) + 4
        name = f"{cell.group}（权重 {cell.weight:.0%}）"
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
        body.append(f'<text x="{x:.1f}" y="{top - 8}" text-anchor="{anchor}" font-size="13" '
                    f'fill="{COMPOSITE}">综合得分 {labels.score(unit.score)}</text>')
    title = f"{unit.unit}：各评议主体评分"
    desc = ("横条为各评议主体的评分，绿色虚线为加权综合得分；"
            "有效票不足最小分组人数的评议主体不显示分数。")
    return _svg(bottom + 20, _chart_id("groups", str(unit.unit_id), unit.unit), title, desc, body)
