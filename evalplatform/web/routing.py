"""Form reading shared by the questionnaire builder (admin) and the scheme pages
(evaluator): who is asked about which units of a matrix (测评关系), and numbers typed
into plain forms."""

from __future__ import annotations

import math

from flask import request

from ..i18n import gettext as _
from ..i18n import lazy_gettext
from ..models import Question
from ..services import ServiceError
from ..services.sections import GroupRoute, section_groups

KIND_LABELS = {"units": lazy_gettext("单位评价矩阵"), "single": lazy_gettext("单选题"),
               "multiple": lazy_gettext("多选题"), "text": lazy_gettext("文字题"),
               "number": lazy_gettext("数字题")}


def group_routes(question: Question, every_group: bool = False) -> list[GroupRoute]:
    """The routing form of a matrix: per group of its section (``every_group``: of the
    campaign), ``every-<id>`` (every unit), ``category-<id>`` and ``unit-<id>`` (ticked
    categories and units)."""
    form = request.form
    groups = question.campaign.groups if every_group else section_groups(question.section)
    return [GroupRoute(
        group, bool(form.get(f"every-{group.id}")),
        tuple(form.getlist(f"category-{group.id}")),
        tuple(int(v) for v in form.getlist(f"unit-{group.id}") if v.isascii() and v.isdigit()))
        for group in groups]


def number(value: str, what: str, integer: bool = False) -> float | int | None:
    """A number typed into a form (empty: None); a clear message naming the field."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = int(value) if integer else float(value)
    except ValueError:
        raise ServiceError(_("%(what)s须为整数。", what=what) if integer else
                           _("%(what)s须为数字。", what=what)) from None
    if not math.isfinite(parsed):
        raise ServiceError(_("%(what)s须为数字。", what=what))
    return parsed
