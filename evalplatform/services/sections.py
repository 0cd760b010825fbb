"""The questionnaire's sections and questions: who is asked what (测评关系), the question
kinds beside the unit matrix, the order, and 差别权重. Everything here changes a draft
only: opening a campaign freezes it into the rules (scoring.rules)."""

from __future__ import annotations

from dataclasses import dataclass

from ..extensions import db
from ..i18n import gettext as _
from ..models import Campaign, Item, Question, RaterGroup, Section
from ..scoring.layout import KINDS, MAX_OPTIONS
from . import ServiceError, audit, campaigns
from .campaigns import _require_draft, add_matrix, add_section, remove_item

LABEL_MAX = 300
#: An item's text (a row of a unit matrix).
ITEM_LABEL_MAX = campaigns.ITEM_LABEL_MAX
TITLE_MAX = 200
TEXT_LIMIT = 2000


def _group_ids(campaign: Campaign, group_ids) -> list[int]:
    known = {g.id for g in campaign.groups}
    chosen = [int(g) for g in group_ids or ()]
    if any(g not in known for g in chosen):
        raise ServiceError(_("所选评议主体不属于该评议活动，请刷新页面后重试。"), field="groups")
    return sorted(set(chosen)) if set(chosen) != known else []


def create_section(campaign: Campaign, title: str, group_ids, user) -> Section:
    """A new section at the end, asked of these groups (none or all: every group)."""
    _require_draft(campaign)
    title = _title(title)
    section = add_section(campaign, title)
    section.groups = _group_ids(campaign, group_ids)
    db.session.flush()
    audit(user, "questionnaire.section", f"campaign:{campaign.id}", title=title)
    return section


def update_section(section: Section, title: str, group_ids, user) -> None:
    _require_draft(section.campaign)
    section.title = _title(title)
    section.groups = _group_ids(section.campaign, group_ids)
    audit(user, "questionnaire.section", f"campaign:{section.campaign_id}", title=section.title)


def delete_section(section: Section, user) -> None:
    campaign = section.campaign
    _require_draft(campaign)
    if any(q.scheme for q in section.questions):
        raise ServiceError(_("这一部分是评分方案的评价项目，请在评分方案页停用该方案。"))
    for question in list(section.questions):
        _drop_question(campaign, question)
    campaign.sections.remove(section)
    audit(user, "questionnaire.section_delete", f"campaign:{campaign.id}", title=section.title)


def _title(title: str) -> str:
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        raise ServiceError(_("标题不超过 %(max)s 字。", max=TITLE_MAX), field="title")
    return title


def add_question(section: Section, kind: str, label: str, user, *, required: bool = True,
                 options=(), minimum: int | None = None, maximum: int | None = None,
                 max_length: int | None = None) -> Question:
    """A question at the end of a section: a unit matrix ("units", about every unit until
    routed), single or multiple choice (``options``: labels, unscored), text or number."""
    _require_draft(section.campaign)
    if kind not in KINDS:
        raise ServiceError(_("请选择题型。"), field="kind")
    label = _label(label, required=kind != "units")
    if kind == "units":
        question = add_matrix(section.campaign, section, label)
        question.required = required
    else:
        question = Question(campaign=section.campaign, kind=kind, label=label, required=required,
                            routes=[], options=[], settings={},
                            position=max((q.position for q in section.questions), default=0) + 1)
        _settings(question, options, minimum, maximum, max_length)
        section.questions.append(question)
    db.session.flush()
    audit(user, "questionnaire.question", f"campaign:{section.campaign_id}", label=label,
          kind=kind)
    return question


def update_question(question: Question, label: str, user, *, required: bool = True,
                    options=(), minimum: int | None = None, maximum: int | None = None,
                    max_length: int | None = None) -> None:
    _require_draft(question.campaign)
    question.label = _label(label, required=question.kind != "units")
    question.required = required
    if question.kind != "units":
        _settings(question, options, minimum, maximum, max_length)
    audit(user, "questionnaire.question", f"campaign:{question.campaign_id}",
          label=question.label, kind=question.kind)


def delete_question(question: Question, user) -> None:
    campaign = question.campaign
    _require_draft(campaign)
    if question.scheme:
        raise ServiceError(_("这些是评分方案的评价项目，请在评分方案页停用该方案。"))
    _drop_question(campaign, question)
    audit(user, "questionnaire.question_delete", f"campaign:{campaign.id}", label=question.label)


def _drop_question(campaign: Campaign, question: Question) -> None:
    for item in list(question.items):
        remove_item(campaign, item)
    question.section.questions.remove(question)
    db.session.delete(question)


def _label(label: str, required: bool, limit: int = LABEL_MAX) -> str:
    label = (label or "").strip()
    if required and not label:
        raise ServiceError(_("请填写题目。"), field="label")
    if len(label) > limit:
        raise ServiceError(_("题目不超过 %(max)s 字。", max=limit), field="label")
    return label


def _settings(question: Question, options, minimum, maximum, max_length) -> None:
    kind = question.kind
    settings: dict = {}
    if kind in ("single", "multiple"):
        labels = [str(o).strip() for o in options or () if str(o).strip()]
        if len(labels) < 2:
            raise ServiceError(_("选择题至少要有两个选项。"), field="options")
        if len(labels) > MAX_OPTIONS:
            raise ServiceError(_("选项不超过 %(max)s 个。", max=MAX_OPTIONS), field="options")
        if len(set(labels)) != len(labels):
            raise ServiceError(_("选项不能重复。"), field="options")
        if any(len(label) > LABEL_MAX for label in labels):
            raise ServiceError(_("每个选项不超过 %(max)s 字。", max=LABEL_MAX), field="options")
        question.options = [{"label": label, "score": None} for label in labels]
        if kind == "multiple":
            low, high = minimum or 1, maximum or len(labels)
            if not 1 <= low <= high <= len(labels):
                raise ServiceError(_("最少和最多选择项数须在 1 到选项数之间，且最少不大于最多。"),
                                   field="maximum")
            settings = {"min": low, "max": high}
    elif kind == "text":
        limit = max_length or 500
        if not 1 <= limit <= TEXT_LIMIT:
            raise ServiceError(_("字数上限须在 1 到 %(max)s 之间。", max=TEXT_LIMIT),
                               field="max_length")
        settings = {"max_length": limit}
    elif kind == "number":
        if minimum is not None and maximum is not None and minimum > maximum:
            raise ServiceError(_("最小值不能大于最大值。"), field="maximum")
        if any(v is not None and abs(v) > 10**9 for v in (minimum, maximum)):
            raise ServiceError(_("数值须在 ±10亿 之间。"), field="maximum")
        settings = {"min": minimum, "max": maximum}
    question.settings = settings


def set_routes(question: Question, routes: list[dict], user) -> None:
    """Which units of a matrix each rater group is asked about (测评关系): ``routes`` is a
    list of ``{"groups": [ids], "units": [ids], "categories": [names]}`` (no groups: every
    group; no units and no categories: every unit)."""
    campaign = question.campaign
    _require_draft(campaign)
    if question.kind != "units":
        raise ServiceError(_("只有单位评价矩阵可以设置被评单位范围。"))
    unit_ids = {cu.unit_id for cu in campaign.campaign_units}
    categories = {u.category for u in campaign.units}
    clean = []
    for route in routes:
        units = sorted({int(u) for u in route.get("units") or ()})
        chosen = sorted({str(c) for c in route.get("categories") or ()})
        if any(u not in unit_ids for u in units) or any(c not in categories for c in chosen):
            raise ServiceError(_("所选单位或序列不在该评议活动的被评单位中，请刷新页面后重试。"),
                               field="routes")
        clean.append({"groups": _group_ids(campaign, route.get("groups")), "units": units,
                      "categories": chosen})
    question.routes = clean
    audit(user, "questionnaire.routes", f"campaign:{campaign.id}", question=question.id,
          routes=len(clean))


@dataclass(frozen=True)
class GroupRoute:
    """What a rater group is asked about in a unit matrix: every unit, or whole
    categories and single units (nothing: the group is not asked this matrix)."""

    group: RaterGroup
    every: bool
    categories: tuple[str, ...] = ()
    units: tuple[int, ...] = ()

    @property
    def asked(self) -> bool:
        return self.every or bool(self.categories or self.units)


def section_groups(section: Section) -> list[RaterGroup]:
    return [g for g in section.campaign.groups if not section.groups or g.id in section.groups]


def routing(question: Question, every_group: bool = False) -> list[GroupRoute]:
    """Per rater group of the matrix's section (``every_group``: of the campaign, those
    outside the section not asked), the units it is asked about."""
    out = []
    inside = {g.id for g in section_groups(question.section)}
    for group in question.campaign.groups if every_group else section_groups(question.section):
        if group.id not in inside:
            out.append(GroupRoute(group, False))
            continue
        routes = [r for r in question.routes or [{}]
                  if not r.get("groups") or group.id in r["groups"]]
        every = any(not r.get("units") and not r.get("categories") for r in routes)
        categories = sorted({c for r in routes for c in r.get("categories") or ()})
        units = sorted({int(u) for r in routes for u in r.get("units") or ()})
        out.append(GroupRoute(group, every, () if every else tuple(categories),
                              () if every else tuple(units)))
    return out


def set_group_routes(question: Question, chosen: list[GroupRoute], user) -> None:
    """Set a matrix's routes from one choice per group of its section (each asked about
    every unit: the default, stored as no routes)."""
    if all(r.every for r in chosen):
        return set_routes(question, [], user)
    return set_routes(question, [
        {"groups": [r.group.id]} if r.every else
        {"groups": [r.group.id], "categories": list(r.categories), "units": list(r.units)}
        for r in chosen if r.asked], user)


def route_matrix(question: Question, chosen: list[GroupRoute], user) -> None:
    """Who is asked a matrix that has a section of its own (a scheme's items), from one
    choice per rater group of the campaign: the section goes to the groups asked."""
    asked = [r for r in chosen if r.asked]
    if not asked:
        raise ServiceError(_("至少要有一个评议主体评议这些项目。"))
    update_section(question.section, question.section.title, [r.group.id for r in asked], user)
    set_group_routes(question, asked, user)


def move(row: Section | Question | Item, offset: int, user) -> None:
    """Move a section, a question in its section or an item in its matrix up (-1) or
    down (+1): it swaps places with its neighbour."""
    if isinstance(row, Section):
        owner, name = row.campaign, "sections"
    elif isinstance(row, Question):
        owner, name = row.section, "questions"
    else:
        owner, name = row.question, "items"
    _require_draft(row.campaign)
    ordered = sorted(getattr(owner, name), key=lambda r: (r.position, r.id or 0))
    k = ordered.index(row)
    j = k + offset
    if not 0 <= j < len(ordered):
        return
    if len({r.position for r in ordered}) < len(ordered):  # ties: number them first
        for n, r in enumerate(ordered, start=1):
            r.position = n
    ordered[k].position, ordered[j].position = ordered[j].position, ordered[k].position
    db.session.flush()
    db.session.expire(owner, [name])  # the list is ordered by position when loaded
    audit(user, "questionnaire.move", f"campaign:{row.campaign_id}")


def update_item(item: Item, label: str, required: bool, user) -> None:
    _require_draft(item.campaign)
    label = _label(label, required=True, limit=ITEM_LABEL_MAX)
    if item.scheme and item.question is not None and item.question.scheme:
        raise ServiceError(_("评分方案的评价项目由方案配置生成，请在评分方案页修改。"))
    if any(i.label == label and i.id != item.id and i.question_id == item.question_id
           for i in item.campaign.items):
        raise ServiceError(_("评价项目“%(name)s”已存在。", name=label), field="label")
    item.label, item.required = label, required
    audit(user, "questionnaire.item", f"campaign:{item.campaign_id}", label=label)


def set_category_weights(campaign: Campaign, weights: dict, user) -> None:
    """差别权重: ``{category: {group id: weight}}``; a weight equal to the group's own is
    not stored (the group's weight is the default)."""
    _require_draft(campaign)
    categories = {u.category for u in campaign.units}
    groups = {g.id: g for g in campaign.groups}
    clean: dict[str, dict[str, float]] = {}
    for category, by_group in (weights or {}).items():
        if category not in categories:
            raise ServiceError(_("序列“%(name)s”不在该评议活动的被评单位中。", name=category))
        for group_id, weight in (by_group or {}).items():
            group = groups.get(int(group_id))
            if group is None:
                raise ServiceError(_("所选评议主体不属于该评议活动，请刷新页面后重试。"))
            if weight is None or weight == group.weight:
                continue
            if not 0 <= float(weight) <= 1000:
                raise ServiceError(_("权重须在 0 到 1000 之间。"), field="weights")
            clean.setdefault(category, {})[str(group.id)] = float(weight)
    campaign.category_weights = clean
    audit(user, "campaign.category_weights", f"campaign:{campaign.id}",
          categories=len(clean))


def duplicate_texts(campaign: Campaign) -> list[str]:
    """Question and item texts asked more than once across the questionnaire (the
    builder flags them: the same question under two schemes)."""
    seen: dict[str, int] = {}
    for section in campaign.sections:
        for question in section.questions:
            texts = [i.label for i in question.items] if question.kind == "units" else \
                [question.label]
            for text in texts:
                seen[text] = seen.get(text, 0) + 1
    return [text for text, count in seen.items() if count > 1 and text]
