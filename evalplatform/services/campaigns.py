"""Campaigns: settings, appraised units, rater groups, questionnaire, opening and closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from ..database import write_intent
from ..extensions import db
from ..i18n import gettext as _
from ..models import (
    AccessCode,
    Ballot,
    Campaign,
    CampaignScheme,
    CampaignUnit,
    CodeBatch,
    Item,
    Question,
    RaterGroup,
    Section,
    Unit,
)
from ..scoring.satisfaction import SATISFIED
from ..util import local_time, local_today, utcnow
from . import ServiceError, audit, documents, scales, seal
from .questionnaires import TEMPLATES
from .units import all_units

#: The longest item text (the column's width).
ITEM_LABEL_MAX = 100

SETTINGS = ("title", "issuer", "doc_number", "period_start", "period_end", "phase",
            "min_group_size", "comments_enabled", "intro")
#: Settings that change who is asked what, or how it is counted: fixed once open.
LOCKED_WHEN_OPEN = ("min_group_size", "comments_enabled")


def create_campaign(user, **settings) -> Campaign:
    campaign = Campaign()
    _apply_settings(campaign, settings)
    db.session.add(campaign)
    db.session.flush()
    audit(user, "campaign.create", f"campaign:{campaign.id}", title=campaign.title)
    return campaign


def update_campaign(campaign: Campaign, user, **settings) -> None:
    if not campaign.is_draft:
        for key in LOCKED_WHEN_OPEN:
            if key in settings and settings[key] != getattr(campaign, key):
                raise ServiceError(_("评议活动已开始，不能再修改最小分组人数和意见栏设置。"), field=key)
    _apply_settings(campaign, settings)
    audit(user, "campaign.update", f"campaign:{campaign.id}")


def _apply_settings(campaign: Campaign, settings: dict) -> None:
    for key, value in settings.items():
        if key not in SETTINGS:
            raise ValueError(f"unknown campaign setting {key!r}")
        setattr(campaign, key, value)
    if not (campaign.title or "").strip():
        raise ServiceError(_("请填写评议活动名称。"), field="title")
    if campaign.period_start and campaign.period_end and \
            campaign.period_end < campaign.period_start:
        raise ServiceError(_("结束日期不能早于开始日期。"), field="period_end")
    if campaign.min_group_size is not None and campaign.min_group_size < 1:
        raise ServiceError(_("最小分组人数至少为 1。"), field="min_group_size")


def _require_draft(campaign: Campaign) -> None:
    if not campaign.is_draft:
        raise ServiceError(_("评议活动已开始，被评单位、评议主体和评议表已锁定，不能再修改。"))


def check_delete(campaign: Campaign) -> None:
    """Raise ServiceError unless the campaign may be deleted (a draft without ballots)."""
    _require_draft(campaign)
    if db.session.scalar(select(func.count()).where(Ballot.campaign_id == campaign.id)):
        raise ServiceError(_("该评议活动已有评议票，不能删除。"))


def delete_campaign(campaign: Campaign, user) -> None:
    check_delete(campaign)
    audit(user, "campaign.delete", f"campaign:{campaign.id}", title=campaign.title)
    # Codes and batches have no ORM relationship to the campaign: delete them here rather
    # than trust ON DELETE CASCADE, which SQLite applies only with foreign_keys=ON.
    db.session.execute(delete(AccessCode).where(AccessCode.campaign_id == campaign.id))
    db.session.execute(delete(CodeBatch).where(CodeBatch.campaign_id == campaign.id))
    db.session.delete(campaign)
    documents.delete_files(campaign.id)  # draft bulletins (征求意见稿) made before


# -- units ---------------------------------------------------------------------------------

@dataclass
class UnitChoice:
    """The unit picker of a campaign: units by category, the ticked ones, and the campaign
    they were suggested from (a draft with none chosen yet: the latest other campaign's
    active units; nothing is ticked when there is none)."""

    by_category: dict[str, list[Unit]]
    chosen: set[int]
    suggested: str | None


def unit_choice(campaign: Campaign, suggest: bool) -> UnitChoice:
    """Active units, and inactive ones only where already chosen. ``suggest``: tick, in a
    draft that has none yet, the active units of the latest other campaign."""
    every = all_units()
    chosen = {cu.unit_id for cu in campaign.campaign_units}
    suggested = None
    if suggest and not chosen and campaign.is_draft:
        previous = db.session.scalar(
            select(Campaign).where(Campaign.id != campaign.id, Campaign.campaign_units.any())
            .order_by(Campaign.id.desc()).limit(1))
        if previous is not None:
            active = {u.id for u in every if u.active}
            chosen = {cu.unit_id for cu in previous.campaign_units} & active
            suggested = previous.title if chosen else None
    by_category: dict[str, list[Unit]] = {}
    for unit in every:
        if unit.active or unit.id in chosen:
            by_category.setdefault(unit.category, []).append(unit)
    return UnitChoice(by_category, chosen, suggested)


def set_units(campaign: Campaign, unit_ids: list[int], user) -> None:
    """Make exactly these units the appraised ones."""
    _require_draft(campaign)
    wanted = set(unit_ids)
    found = set(db.session.scalars(select(Unit.id).where(Unit.id.in_(wanted))))
    if found != wanted:
        raise ServiceError(_("所选单位不存在，请刷新页面后重试。"))
    db.session.execute(delete(CampaignUnit).where(CampaignUnit.campaign_id == campaign.id))
    db.session.add_all(CampaignUnit(campaign_id=campaign.id, unit_id=uid) for uid in wanted)
    db.session.flush()
    db.session.expire(campaign, ["campaign_units"])
    audit(user, "campaign.units", f"campaign:{campaign.id}", count=len(wanted))


# -- rater groups --------------------------------------------------------------------------

def add_group(campaign: Campaign, name: str, weight: float, user) -> RaterGroup:
    _require_draft(campaign)
    name = name.strip()
    _check_group(campaign, name, weight, None)
    group = RaterGroup(name=name, weight=weight,
                       position=max((g.position for g in campaign.groups), default=0) + 1)
    campaign.groups.append(group)
    db.session.flush()
    audit(user, "group.add", f"campaign:{campaign.id}", name=name, weight=weight)
    return group


def update_group(group: RaterGroup, name: str, weight: float, user) -> None:
    _require_draft(group.campaign)
    name = name.strip()
    _check_group(group.campaign, name, weight, group.id)
    group.name, group.weight = name, weight
    audit(user, "group.update", f"campaign:{group.campaign_id}", name=name, weight=weight)


def delete_group(group: RaterGroup, user) -> None:
    _require_draft(group.campaign)
    if db.session.scalar(select(func.count()).where(AccessCode.rater_group_id == group.id)):
        raise ServiceError(_("评议主体“%(name)s”已发放访问码，不能删除。", name=group.name))
    audit(user, "group.delete", f"campaign:{group.campaign_id}", name=group.name)
    group.campaign.groups.remove(group)


def _check_group(campaign: Campaign, name: str, weight: float, own_id: int | None) -> None:
    if not name:
        raise ServiceError(_("请填写评议主体名称。"), field="name")
    if any(g.name == name and g.id != own_id for g in campaign.groups):
        raise ServiceError(_("评议主体“%(name)s”已存在。", name=name), field="name")
    if weight is None or weight < 0:
        raise ServiceError(_("权重不能为负数。"), field="weight")


# -- questionnaire -------------------------------------------------------------------------

def apply_template(campaign: Campaign, key: str, user) -> None:
    """Replace the campaign's admin-built items with those of a template."""
    _require_draft(campaign)
    template = TEMPLATES.get(key)
    if template is None:
        raise ServiceError(_("未找到该评议表模板。"), field="template")
    for item in [i for i in campaign.items if not _contributes_items(i.scheme)]:
        remove_item(campaign, item)
    for label, scale in template.items:  # in the language of the admin who applies it
        append_item(campaign, str(label), scales.find(scale), True)
    sync_schemes(campaign)
    audit(user, "questionnaire.template", f"campaign:{campaign.id}", template=key)


def add_item(campaign: Campaign, label: str, scale: str | scales.Scale, required: bool, user,
             question: Question | None = None) -> Item:
    """An item on a scale (``scale``: a ref of the library, or the scale itself) at the end
    of a unit matrix (by default the first one the admin built)."""
    _require_draft(campaign)
    label = label.strip()
    if not label:
        raise ServiceError(_("请填写评价项目名称。"), field="label")
    if len(label) > ITEM_LABEL_MAX:
        raise ServiceError(_("评价项目名称不超过 %(max)s 字。", max=ITEM_LABEL_MAX),
                           field="label")
    if question is not None and (question.kind != "units" or question.scheme):
        raise ServiceError(_("评价项目只能加在自建的单位评价矩阵中。"))
    if any(i.label == label for i in (campaign.items if question is None else question.items)):
        raise ServiceError(_("评价项目“%(name)s”已存在。", name=label), field="label")
    if not isinstance(scale, scales.Scale):
        scale = scales.find(scale)
    item = append_item(campaign, label, scale, required, question)
    sync_schemes(campaign)
    audit(user, "questionnaire.add_item", f"campaign:{campaign.id}", label=label)
    return item


def append_item(campaign: Campaign, label: str, scale: scales.Scale, required: bool,
                 question: Question | None = None) -> Item:
    item = Item(label=label, options=scale.item_options(), required=required,
                scheme=scale.item_scheme,
                position=max((i.position for i in campaign.items), default=0) + 1)
    campaign.items.append(item)
    (question or default_matrix(campaign)).items.append(item)
    _count_satisfied(campaign, scale)
    return item


def _count_satisfied(campaign: Campaign, scale: scales.Scale) -> None:
    """A satisfaction scale's 计入满意率 options join the scheme's satisfied list (the
    scheme's configuration page can still change it)."""
    if scale.scheme != "satisfaction" or set(scale.satisfied) <= set(SATISFIED):
        return
    row = next((r for r in campaign.schemes if r.scheme == "satisfaction"), None)
    if row is None:
        row = CampaignScheme(scheme="satisfaction", config={},
                             position=len(campaign.schemes) + 1)
        campaign.schemes.append(row)
    current = list((row.config or {}).get("satisfied") or SATISFIED)
    row.config = {**(row.config or {}),
                  "satisfied": current + [s for s in scale.satisfied if s not in current]}


def remove_item(campaign: Campaign, item: Item) -> None:
    """Take an item off the questionnaire (and out of its matrix)."""
    campaign.items.remove(item)
    if item.question is not None and item in item.question.items:
        item.question.items.remove(item)


def delete_item(item: Item, user) -> None:
    _require_draft(item.campaign)
    audit(user, "questionnaire.delete_item", f"campaign:{item.campaign_id}", label=item.label)
    campaign = item.campaign
    remove_item(campaign, item)
    sync_schemes(campaign)


def add_section(campaign: Campaign, title: str) -> Section:
    """A new section at the end of the questionnaire, asked of every group."""
    section = Section(title=title, groups=[],
                      position=max((s.position for s in campaign.sections), default=0) + 1)
    campaign.sections.append(section)
    return section


def add_matrix(campaign: Campaign, section: Section, label: str = "",
               scheme: str | None = None) -> Question:
    """A unit matrix at the end of a section, about every unit for every group."""
    question = Question(campaign=campaign, kind="units", label=label, routes=[], options=[],
                        settings={}, scheme=scheme,
                        position=max((q.position for q in section.questions), default=0) + 1)
    section.questions.append(question)
    return question


def default_matrix(campaign: Campaign) -> Question:
    """The unit matrix the admin's own items go to: the first one no scheme proposed,
    made (in a section of its own at the top) when there is none."""
    for section in campaign.sections:
        for question in section.questions:
            if question.kind == "units" and question.scheme is None:
                return question
    section = Section(title="", groups=[],
                      position=min((s.position for s in campaign.sections), default=1) - 1)
    campaign.sections.insert(0, section)
    return add_matrix(campaign, section)


def scheme_matrix(campaign: Campaign, scheme) -> Question:
    """The unit matrix holding a scheme's proposed items: made with a section of its own
    (titled after the scheme, asked of every group about every unit until routed)."""
    for section in campaign.sections:
        for question in section.questions:
            if question.kind == "units" and question.scheme == scheme.key:
                return question
    return add_matrix(campaign, add_section(campaign, str(scheme.title)), scheme=scheme.key)


# -- scoring schemes -----------------------------------------------------------------------

def _contributes_items(key: str | None) -> bool:
    """Whether the scheme brings its own items (``Scheme.questionnaire_items``) rather than
    scoring the items the admin builds from the answer scales."""
    from ..scoring.engine import registered_schemes

    scheme = registered_schemes().get(key or "")
    return scheme is not None and scheme.contributes_items()


def sync_schemes(campaign: Campaign) -> None:
    """Enable each scheme that scores admin-built items exactly while the questionnaire
    has items for it (a scheme with items of its own is enabled by hand)."""
    used = {i.scheme for i in campaign.items if i.scheme and not _contributes_items(i.scheme)}
    for row in list(campaign.schemes):
        if not _contributes_items(row.scheme) and row.scheme not in used:
            campaign.schemes.remove(row)
    enabled = {row.scheme for row in campaign.schemes}
    for key in sorted(used - enabled):
        campaign.schemes.append(CampaignScheme(scheme=key, config={},
                                               position=len(campaign.schemes) + 1))


def enable_scheme(campaign: Campaign, key: str, user, config: dict | None = None) -> None:
    """Enable a scheme for a draft campaign; its items (``Scheme.questionnaire_items``)
    join the questionnaire."""
    from ..scoring.engine import registered_schemes

    _require_draft(campaign)
    scheme = registered_schemes().get(key)
    if scheme is None:
        raise ServiceError(_("评分方案“%(name)s”未安装。", name=key))
    if any(row.scheme == key for row in campaign.schemes):
        raise ServiceError(_("评分方案“%(name)s”已启用。", name=scheme.title))
    config = scheme.normalize_config(config or {})
    _check_requires(campaign, scheme, config)
    campaign.schemes.append(CampaignScheme(scheme=key, config=config,
                                           position=len(campaign.schemes) + 1))
    _replace_scheme_items(campaign, scheme, config)
    audit(user, "scheme.enable", f"campaign:{campaign.id}", scheme=key)


def disable_scheme(campaign: Campaign, key: str, user) -> None:
    _require_draft(campaign)
    row = next((r for r in campaign.schemes if r.scheme == key), None)
    if row is None:
        raise ServiceError(_("该评分方案未启用。"))
    from ..scoring.engine import registered_schemes

    installed = registered_schemes()
    for other in campaign.schemes:
        scheme = installed.get(other.scheme)
        if other is not row and scheme is not None and key in scheme.requires(other.config):
            raise ServiceError(_("“%(other)s”的配置要用到“%(name)s”，请先修改“%(other)s”的配置。",
                                 other=scheme.title, name=installed[key].title
                                 if key in installed else key))
    campaign.schemes.remove(row)
    for item in [i for i in campaign.items if i.scheme == key]:
        remove_item(campaign, item)
    for section in list(campaign.sections):  # the scheme's own matrix and section go
        for question in [q for q in section.questions if q.scheme == key]:
            section.questions.remove(question)
        if not section.questions:
            campaign.sections.remove(section)
    audit(user, "scheme.disable", f"campaign:{campaign.id}", scheme=key)


def _replace_scheme_items(campaign: Campaign, scheme, config: dict) -> None:
    """Make the campaign's items of ``scheme`` those it contributes (none: left alone)."""
    key = scheme.key
    specs = scheme.questionnaire_items(config) or []
    if not specs:
        return
    for item in [i for i in campaign.items if i.scheme == key]:
        remove_item(campaign, item)
    matrix = scheme_matrix(campaign, scheme)
    position = max((i.position for i in campaign.items), default=0)
    for offset, spec in enumerate(specs, start=1):
        options = [{"label": label, "score": score, "abstain": score is None}
                   for label, score in spec.options]
        item = Item(label=spec.label, options=options, required=spec.required, scheme=key,
                    position=position + offset)
        campaign.items.append(item)
        matrix.items.append(item)


def _check_requires(campaign: Campaign, scheme, config: dict) -> None:
    """Refuse a configuration that needs a scheme the campaign has not enabled."""
    from ..scoring.engine import registered_schemes

    enabled = {row.scheme for row in campaign.schemes}
    installed = registered_schemes()
    for key in scheme.requires(config):
        if key not in enabled:
            name = installed[key].title if key in installed else key
            raise ServiceError(_("本评议活动没有启用“%(name)s”，不能与它合成。请先在评分方案页启用"
                                 "“%(name)s”，或选择不合成。", name=name), field="combine_with")


def configure_scheme(campaign: Campaign, key: str, config: dict, user) -> dict:
    """Store a scheme's configuration for a draft campaign (validated, defaults filled)."""
    from ..scoring.engine import registered_schemes

    _require_draft(campaign)
    row = next((r for r in campaign.schemes if r.scheme == key), None)
    scheme = registered_schemes().get(key)
    if row is None or scheme is None:
        raise ServiceError(_("该评议活动没有启用这个评分方案。"))
    normalized = scheme.normalize_config(config)
    _check_requires(campaign, scheme, normalized)
    row.config = normalized
    _replace_scheme_items(campaign, scheme, row.config)
    audit(user, "scheme.configure", f"campaign:{campaign.id}", scheme=key)
    return row.config


# -- life cycle ----------------------------------------------------------------------------

def open_problems(campaign: Campaign) -> list[str]:
    """What still stops a draft campaign from opening (empty when it can open)."""
    problems = []
    if not campaign.campaign_units:
        problems.append(_("尚未选择被评单位。"))
    if not campaign.groups:
        problems.append(_("尚未设置评议主体。"))
    elif sum(g.weight for g in campaign.groups) <= 0:
        problems.append(_("评议主体权重之和必须大于 0。"))
    if not campaign.items:
        problems.append(_("评议表还没有评价项目。"))
    from ..scoring.engine import registered_schemes

    installed = registered_schemes()
    for row in campaign.schemes:
        if row.scheme not in installed:
            problems.append(_("评分方案“%(name)s”的插件未安装。", name=row.scheme))
    return problems


def check_open(campaign: Campaign) -> None:
    """Raise ServiceError unless the campaign may open now (saying what is missing)."""
    if campaign.status != "draft":
        raise ServiceError(_("只有草稿状态的评议活动可以开始。"))
    problems = open_problems(campaign)
    if problems:
        # sentences run together: directly after a Chinese full stop, else after a space
        reasons = "".join(p if p.endswith("。") else f"{p} " for p in problems).rstrip()
        raise ServiceError(_("评议活动还不能开始：%(reasons)s", reasons=reasons))


def open_campaign(campaign: Campaign, user) -> None:
    check_open(campaign)
    from ..scoring.engine import registered_schemes
    from ..scoring.rules import freeze

    campaign.status = "open"
    campaign.opened_at = utcnow()
    digest = freeze(campaign, registered_schemes())
    audit(user, "campaign.open", f"campaign:{campaign.id}", rules_sha256=digest)


def check_close(campaign: Campaign) -> None:
    if campaign.status != "open":
        raise ServiceError(_("只有进行中的评议活动可以结束。"))


def close_campaign(campaign: Campaign, user) -> None:
    """Close now: no ballot is accepted any more; the results are published."""
    check_close(campaign)
    from ..scoring.engine import registered_schemes
    from ..scoring.snapshots import take_snapshot

    campaign.status = "closed"
    campaign.closed_at = utcnow()
    campaign.closes_at = None
    db.session.flush()
    installed = registered_schemes()
    for key, spec in (campaign.rules or {}).get("schemes", {}).items():
        if key in installed:
            installed[key].on_close(campaign, spec["config"])
    snapshot = take_snapshot(campaign)
    seal.rewrite(campaign.id)  # the ballots of a closed campaign are sealed for good
    audit(user, "campaign.close", f"campaign:{campaign.id}",
          results_sha256=snapshot.results_sha256)


def schedule_close(campaign: Campaign, minutes: int, user) -> datetime:
    """Close after a grace period: from now no code begins a ballot, and the ballots
    already begun are accepted until the campaign closes (:func:`close_due`)."""
    check_close(campaign)
    if campaign.closes_at is not None:
        raise ServiceError(_("评议活动已在结束中，将于 %(time)s 结束。",
                             time=local_time(campaign.closes_at)))
    campaign.closes_at = utcnow() + timedelta(minutes=minutes)
    audit(user, "campaign.schedule_close", f"campaign:{campaign.id}", minutes=minutes)
    return campaign.closes_at


def cancel_close(campaign: Campaign, user) -> None:
    """Keep a closing campaign open: codes may begin ballots again."""
    if campaign.status != "open" or campaign.closes_at is None:
        raise ServiceError(_("该评议活动没有在结束中。"))
    campaign.closes_at = None
    audit(user, "campaign.cancel_close", f"campaign:{campaign.id}")


def close_due() -> list[int]:
    """Close the campaigns whose grace period is over (each worker's sealer looks, and
    every staff page); the ids closed. Each in a write transaction of its own, the
    campaign's row locked so that two processes never close it twice."""
    now = utcnow()
    with write_intent(False):  # looking takes no write lock
        due = db.session.scalars(select(Campaign.id).where(
            Campaign.status == "open", Campaign.closes_at <= now)).all()
        db.session.commit()
    closed = []
    for campaign_id in due:
        with write_intent():
            campaign = db.session.scalar(
                select(Campaign).where(Campaign.id == campaign_id, Campaign.status == "open",
                                       Campaign.closes_at <= now)
                .with_for_update())
            if campaign is not None:
                close_campaign(campaign, None)
                closed.append(campaign_id)
            db.session.commit()
    return closed


@dataclass(frozen=True)
class Consequences:
    """What opening, closing or deleting a campaign does, said before it is done."""

    ballots: int
    unused_codes: int
    #: Days left before the campaign's end date (None: no end date, or it has passed).
    days_early: int | None
    grace_minutes: int


def consequences(campaign: Campaign, grace_minutes: int = 0) -> Consequences:
    ballots = db.session.scalar(select(func.count()).select_from(Ballot)
                                .where(Ballot.campaign_id == campaign.id)) or 0
    unused = db.session.scalar(select(func.count()).select_from(AccessCode).where(
        AccessCode.campaign_id == campaign.id, AccessCode.status == "new")) or 0
    end = campaign.period_end
    days = (end - local_today()).days if end is not None else None
    return Consequences(ballots, unused, days if days is not None and days > 0 else None,
                        grace_minutes)


def scheme_labels(campaign: Campaign, key: str) -> list[str]:
    """The option labels (abstentions excepted) of the campaign's items of a scheme."""
    return list(dict.fromkeys(o["label"] for i in campaign.items if i.scheme == key
                              for o in i.options if not o.get("abstain")))


def missing_plugins(campaigns_) -> dict[int, list[str]]:
    """Per campaign, the schemes it uses whose plugin is not installed (only those with any)."""
    from ..scoring.engine import registered_schemes

    installed = registered_schemes()
    missing = {c.id: [row.scheme for row in c.schemes if row.scheme not in installed]
               for c in campaigns_}
    return {k: v for k, v in missing.items() if v}
