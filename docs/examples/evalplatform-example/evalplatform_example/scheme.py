"""作风评价: three items on a four-point scale, scored like the built-in satisfaction
survey (WeightedScheme), with a section of its own: each item's weakest unit."""

from __future__ import annotations

from markupsafe import escape

from evalplatform.i18n import gettext as _
from evalplatform.i18n import lazy_gettext
from evalplatform.scoring import ItemSpec, ReportSection, WeightedScheme
from evalplatform.services.ballots import comment_field

ITEMS = ("服务态度", "办事效率", "廉洁自律")
POOR = "差"
SCALE = (("好", 100.0), ("较好", 80.0), ("一般", 60.0), (POOR, 0.0), ("不了解", None))


class ConductScheme(WeightedScheme):
    key = "conduct"
    title = lazy_gettext("作风评价")
    description = lazy_gettext("服务态度、办事效率、廉洁自律三项，好、较好、一般、差；评价为“差”须填写意见。")

    def questionnaire_items(self, config):
        return [ItemSpec(label, SCALE) for label in ITEMS]

    def report_sections(self, campaign, results, unit_id):
        result = results.schemes.get(self.key)
        if result is None:
            return []
        if unit_id is None:
            return [ReportSection(_("各项目得分最低的单位"), weakest_table(result),
                                  ("page", "bulletin"))]
        unit = result.unit(unit_id)
        if unit is None:
            return []
        rows = "".join(f"<tr><td>{escape(cell.label)}</td><td>{_score(cell.score)}</td></tr>"
                       for cell in unit.items)
        return [ReportSection(_("各项目得分"), f"<table>{rows}</table>",
                              ("unit_page", "unit_report"))]


def weakest_table(result) -> str:
    """For each item, the unit with the lowest score (a suppressed cell has none)."""
    rows = []
    for k, label in enumerate(ITEMS):
        scored = [(u.items[k].score, u.unit) for u in result.units
                  if len(u.items) > k and u.items[k].score is not None]
        if scored:
            score, unit = min(scored)
            rows.append(f"<tr><td>{escape(label)}</td><td>{escape(unit)}</td>"
                        f"<td>{_score(score)}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def _score(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def needs_comment(questionnaire, ballot) -> dict[str, str]:
    """A unit rated 差 on any of this scheme's items needs a comment saying why (when the
    campaign takes comments): ``{comment field: message}``."""
    if not questionnaire.comments_enabled:
        return {}
    problems = {}
    for item in questionnaire.items:
        if item.scheme != ConductScheme.key:
            continue
        for unit in questionnaire.units:
            chosen = ballot.answers.get((unit.id, item.id))
            if chosen is not None and item.options[chosen].label == POOR \
                    and not ballot.comments.get(unit.id):
                problems[comment_field(unit.id)] = _(
                    "对“%(unit)s”评价为“差”时，请填写意见，说明原因。", unit=unit.name)
    return problems
