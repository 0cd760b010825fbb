"""How results are written out in words and numbers, the same on the page, in Excel and
in PDF reports (so that a bulletin never says something the page does not). Words are in
the reader's language; documents are laid out in Chinese (``force_locale("zh")``)."""

from __future__ import annotations

from ..i18n import gettext as _
from ..i18n import lazy_gettext
from ..scoring.ranking import round_half_up
from ..scoring.results import FLAG_LABELS, UnitResult

#: Shown instead of a unit's score, rank and grade when it has no composite.
NO_SCORE = lazy_gettext("有效票不足")
DASH = "—"


def number(value: float, decimals: int) -> str:
    """A number as published: rounded half up (the rule ties and grades are judged by,
    ``scoring.ranking.rounded``), never Python's round-half-even on the binary value."""
    return f"{round_half_up(value, decimals):.{decimals}f}"


def score(value: float | None, decimals: int = 2) -> str:
    return DASH if value is None else number(value, decimals)


def percent(value: float | None, decimals: int = 1) -> str:
    return DASH if value is None else f"{number(100 * value, decimals)}%"


def interval(bounds: tuple[float, float] | None, decimals: int = 2) -> str:
    return DASH if bounds is None else f"{number(bounds[0], decimals)}–{number(bounds[1], decimals)}"


def rank_interval(bounds: tuple[int, int] | None, words: bool = True) -> str:
    """``第2–3名``, or ``2–3`` without words (in a column headed 排名区间)."""
    if bounds is None:
        return DASH
    low, high = bounds
    span = str(low) if low == high else f"{low}–{high}"
    return _("第%(rank)s名", rank=span) if words else span


def suppressed(min_group_size: int) -> str:
    """A suppressed rater group's cell, wherever a number would otherwise be."""
    return _("不足%(n)s人，不显示", n=min_group_size)


def uncertainty_note(unit: UnitResult) -> str | None:
    """For a bottom unit that the bootstrap cannot tell apart from the unit above the cut
    line: a sentence saying so, with the share of replicates in which it scored lower."""
    if "bottom_uncertain" not in unit.flags:
        return None
    above = f"“{unit.next_up}”" if unit.next_up else _("上一名")
    share = "" if unit.p_below_next is None else _(
        "（重抽样中得分低于对方的比例为 %(share)s）", share=percent(unit.p_below_next))
    return _("末位与%(above)s在统计上无法区分%(share)s。", above=above, share=share)


def separation_note(unit: UnitResult) -> str | None:
    """For any bottom unit with a comparison: how often it scored below the unit above."""
    if unit.p_below_next is None or not unit.next_up:
        return None
    return _("在 %(share)s 的重抽样中，得分低于上一名“%(unit)s”。",
             share=percent(unit.p_below_next), unit=unit.next_up)


#: The order flags are listed in: the bottom position first, then what qualifies it.
FLAG_ORDER = ("bottom", "bottom_uncertain", "dismiss", "admonish", "too_few_raters")


def flag_label(flag: str) -> str:
    return str(FLAG_LABELS.get(flag, flag))


def ordered_flags(unit: UnitResult) -> list[str]:
    """The unit's flags, known ones in FLAG_ORDER, then any a plugin added."""
    rank = {flag: n for n, flag in enumerate(FLAG_ORDER)}
    return sorted(dict.fromkeys(unit.flags), key=lambda f: rank.get(f, len(rank)))


def flag_labels(unit: UnitResult) -> list[str]:
    return [str(unit.extra_flag_labels.get(f) or flag_label(f)) for f in ordered_flags(unit)]
