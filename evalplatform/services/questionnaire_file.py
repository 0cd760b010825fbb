"""A questionnaire as a file (JSON): exported from one campaign and imported into another,
on this installation or another one.

Rater groups, units and categories are named, not numbered, so the file means the same
in any campaign that has them. Importing replaces a draft campaign's whole questionnaire
(sections, questions, items, scoring schemes and 差别权重) or, on the first error, changes
nothing: the error names the place (第 2 部分第 3 题 …). The format is documented in
docs/questionnaire.md.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

from ..extensions import db
from ..i18n import gettext as _
from ..models import Campaign, Question, Section
from . import ServiceError, audit, campaigns, scales, sections

FORMAT = "evalplatform-questionnaire"
VERSION = 1
#: Larger files are refused before they are parsed.
MAX_BYTES = 2 * 1024 * 1024
MAX_SECTIONS = 50
MAX_QUESTIONS = 200


# -- export --------------------------------------------------------------------------------

def export(campaign: Campaign) -> dict:
    groups = {g.id: g.name for g in campaign.groups}
    units = {u.id: u.name for u in campaign.units}
    return {
        "format": FORMAT, "version": VERSION, "title": campaign.title,
        "sections": [{
            "title": s.title,
            "groups": [groups[g] for g in s.groups or () if g in groups],
            "questions": [_question(q, groups, units) for q in s.questions],
        } for s in campaign.sections],
        "schemes": [{"key": row.scheme, "config": row.config or {}} for row in campaign.schemes],
        "category_weights": {category: {groups[int(g)]: w for g, w in by_group.items()
                                        if int(g) in groups}
                             for category, by_group in (campaign.category_weights or {}).items()},
    }


def _question(q: Question, groups: dict, units: dict) -> dict:
    out = {"kind": q.kind, "label": q.label, "required": q.required}
    if q.kind == "units":
        if q.scheme:
            out["scheme"] = q.scheme  # its items come from the scheme's configuration
        else:
            out["items"] = [{"label": i.label, "required": i.required, "scheme": i.scheme,
                             "options": [{"label": o["label"], "score": o.get("score"),
                                          "abstain": bool(o.get("abstain"))}
                                         for o in i.options]} for i in q.items]
        out["routes"] = [{"groups": [groups[g] for g in r.get("groups") or () if g in groups],
                          "categories": list(r.get("categories") or ()),
                          "units": [units[u] for u in r.get("units") or () if u in units]}
                         for r in q.routes or ()]
    elif q.kind in ("single", "multiple"):
        out["options"] = [o["label"] for o in q.options]
    out.update({k: v for k, v in (q.settings or {}).items() if v is not None})
    return out


def dumps(campaign: Campaign) -> bytes:
    return json.dumps(export(campaign), ensure_ascii=False, indent=2).encode()


# -- import --------------------------------------------------------------------------------

class _Place:
    """Where in the file a value is, for messages: 第 2 部分第 3 题."""

    def __init__(self, text: str = ""):
        self.text = text

    def fail(self, message: str):
        raise ServiceError(_("%(place)s：%(message)s", place=self.text, message=message)
                           if self.text else message)


def loads(data: bytes | str) -> dict:
    """Parse a questionnaire file; a clear error for anything that is not one."""
    if len(data) > MAX_BYTES:
        raise ServiceError(_("文件超过 %(size)s MB，不是评议表文件。", size=MAX_BYTES // 2**20))
    try:
        parsed = json.loads(data)
        nul = _has_nul(parsed)
    except RecursionError:
        raise ServiceError(_("文件嵌套层次过深，不是评议表文件。")) from None
    except (ValueError, UnicodeDecodeError) as error:
        where = getattr(error, "lineno", None)
        raise ServiceError(_("文件不是有效的 JSON（第 %(line)s 行附近）。", line=where)
                           if where else _("文件不是有效的 JSON。")) from None
    if nul:
        raise ServiceError(_("文件含有无效字符（空字符），请删除后重新导入。"))
    return parsed


def _has_nul(value) -> bool:
    """Whether any text in the parsed file holds a NUL (no database column can store it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def import_questionnaire(campaign: Campaign, data, user) -> None:
    """Replace a draft's questionnaire with the file's (see the module's docstring)."""
    campaigns._require_draft(campaign)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ServiceError(_("这不是评议表文件（应为本平台导出的 JSON 文件）。"))
    if data.get("version") != VERSION:
        raise ServiceError(_("评议表文件的版本 %(version)s 无法识别（支持版本 %(ours)s）。",
                             version=data.get("version"), ours=VERSION))
    body = _list(data.get("sections"), _Place(_("sections（各部分）")))
    if len(body) > MAX_SECTIONS:
        raise ServiceError(_("部分不超过 %(max)s 个。", max=MAX_SECTIONS))
    if sum(len(s.get("questions") or ()) for s in body if isinstance(s, dict)) > MAX_QUESTIONS:
        raise ServiceError(_("题目不超过 %(max)s 道。", max=MAX_QUESTIONS))
    configs = _scheme_configs(data.get("schemes"))
    order = list(configs)
    _clear(campaign)
    for n, raw in enumerate(body, start=1):
        place = _Place(_("第 %(n)s 部分", n=n))
        raw = _dict(raw, place)
        title, groups = _str(raw.get("title", ""), place), _groups(campaign, raw.get("groups"),
                                                                   place)
        with _at(place):
            section = sections.create_section(campaign, title, groups, user)
        for m, question in enumerate(_list(raw.get("questions", []), place), start=1):
            qplace = _Place(_("第 %(n)s 部分第 %(m)s 题", n=n, m=m))
            _import_question(campaign, section, _dict(question, qplace), configs, qplace, user)
    campaigns.sync_schemes(campaign)  # the schemes scoring the admin's items
    for key, config in configs.items():  # their configuration, and schemes not asked
        row = next((r for r in campaign.schemes if r.scheme == key), None)
        place = _Place(_("评分方案“%(name)s”", name=key))
        if row is None:
            with _at(place):
                campaigns.enable_scheme(campaign, key, user, config)
        else:
            with _at(place):
                campaigns.configure_scheme(campaign, key, config, user)
    _weights(campaign, data.get("category_weights") or {}, user)
    rows = sorted(campaign.schemes, key=lambda r: (order.index(r.scheme) if r.scheme in order
                                                   else len(order), r.position))
    for position, row in enumerate(rows, start=1):  # the file's order (that of the results)
        row.position = position
    campaign.schemes[:] = rows
    db.session.flush()
    audit(user, "questionnaire.import", f"campaign:{campaign.id}", sections=len(body))


def _clear(campaign: Campaign) -> None:
    for item in list(campaign.items):
        campaigns.remove_item(campaign, item)
    campaign.schemes.clear()
    campaign.sections.clear()
    campaign.category_weights = {}
    db.session.flush()


def _import_question(campaign: Campaign, section: Section, raw: dict, configs: dict,
                     place: _Place, user) -> None:
    kind = raw.get("kind")
    label = _str(raw.get("label", ""), place)
    required = bool(raw.get("required", True))
    if kind == "units" and raw.get("scheme"):
        key = _str(raw["scheme"], place)
        if any(r.scheme == key for r in campaign.schemes):
            place.fail(_("评分方案“%(name)s”出现了两次。", name=key))
        with _at(place):
            campaigns.enable_scheme(campaign, key, user, configs.pop(key, None))
        question = _adopt_scheme_matrix(campaign, section, key, place)
        question.label, question.required = label, required
    elif kind == "units":
        with _at(place):
            question = sections.add_question(section, "units", label, user, required=required)
        for k, item in enumerate(_list(raw.get("items", []), place), start=1):
            _import_item(campaign, question, _dict(item, place),
                         _Place(_("%(place)s第 %(k)s 个评价项目", place=place.text, k=k)), user)
    else:
        options = [_str(o, place) for o in _list(raw.get("options", []), place)]
        limits = {"minimum": _int(raw.get("min"), place, allow_none=True),
                  "maximum": _int(raw.get("max"), place, allow_none=True),
                  "max_length": _int(raw.get("max_length"), place, allow_none=True)}
        with _at(place):
            question = sections.add_question(section, str(kind), label, user,
                                             required=required, options=options, **limits)
    if kind == "units":
        _routes(campaign, question, _list(raw.get("routes", []), place), place, user)


def _adopt_scheme_matrix(campaign: Campaign, section: Section, key: str,
                         place: _Place) -> Question:
    """Enabling a scheme puts its matrix in a section of its own at the end: move it here."""
    question = next((q for s in campaign.sections for q in s.questions if q.scheme == key),
                    None)
    if question is None:
        place.fail(_("评分方案“%(name)s”按其配置没有评价项目。", name=key))
    own = question.section
    own.questions.remove(question)
    if not own.questions and own is not section:
        campaign.sections.remove(own)
    question.position = max((q.position for q in section.questions), default=0) + 1
    section.questions.append(question)
    db.session.flush()
    return question


def _import_item(campaign: Campaign, question: Question, raw: dict, place: _Place,
                 user) -> None:
    label = _str(raw.get("label", ""), place).strip()
    scheme = raw.get("scheme") or ""  # none: unscored
    if scheme not in scales.SCHEMES:
        place.fail(_("计分方式须为 %(names)s 之一，或不计分（null）。",
                     names="、".join(s for s in scales.SCHEMES if s)))
    options = [_dict(o, place) for o in _list(raw.get("options"), place)]
    for o in options:
        if o.get("score") is not None and not isinstance(o["score"], int | float):
            place.fail(_("分值须为数字。"))
    with _at(place):
        clean = scales.check_options(options, scheme, satisfied=False)
    with _at(place):
        campaigns.add_item(campaign, label, scales.Scale("", "", clean, scheme, False),
                           bool(raw.get("required", True)), user, question)


def _routes(campaign: Campaign, question: Question, routes: list, place: _Place, user) -> None:
    units = {u.name: u.id for u in campaign.units}
    categories = {u.category for u in campaign.units}
    clean = []
    for raw in routes:
        raw = _dict(raw, place)
        names = [_str(u, place) for u in _list(raw.get("units", []), place)]
        missing = [u for u in names if u not in units]
        if missing:
            place.fail(_("测评关系中的单位“%(names)s”不在本评议活动的被评单位中。",
                         names="、".join(missing)))
        chosen = [_str(c, place) for c in _list(raw.get("categories", []), place)]
        unknown = [c for c in chosen if c not in categories]
        if unknown:
            place.fail(_("测评关系中的序列“%(names)s”在本评议活动的被评单位中没有。",
                         names="、".join(unknown)))
        clean.append({"groups": _groups(campaign, raw.get("groups"), place),
                      "units": [units[u] for u in names], "categories": chosen})
    with _at(place):
        sections.set_routes(question, clean, user)


def _groups(campaign: Campaign, names, place: _Place) -> list[int]:
    ids = {g.name: g.id for g in campaign.groups}
    names = [_str(n, place) for n in _list(names or [], place)]
    missing = [n for n in names if n not in ids]
    if missing:
        place.fail(_("评议主体“%(names)s”不在本评议活动中（本活动的评议主体：%(ours)s）。",
                     names="、".join(missing), ours="、".join(ids) or _("无")))
    return [ids[n] for n in names]


def _weights(campaign: Campaign, weights, user) -> None:
    place = _Place(_("差别权重"))
    by_name = {g.name: g.id for g in campaign.groups}
    clean = {}
    for category, by_group in _dict(weights, place).items():
        row = {}
        for name, weight in _dict(by_group, place).items():
            if name not in by_name:
                place.fail(_("评议主体“%(names)s”不在本评议活动中（本活动的评议主体：%(ours)s）。",
                             names=name, ours="、".join(by_name) or _("无")))
            if not isinstance(weight, int | float) or isinstance(weight, bool):
                place.fail(_("权重须为数字。"))
            row[by_name[name]] = weight
        clean[category] = row
    with _at(place):
        sections.set_category_weights(campaign, clean, user)


def _scheme_configs(raw) -> dict[str, dict]:
    place = _Place(_("schemes（评分方案）"))
    configs = {}
    for entry in _list(raw or [], place):
        entry = _dict(entry, place)
        key = _str(entry.get("key"), place)
        configs[key] = _dict(entry.get("config") or {}, place)
    return configs


@contextmanager
def _at(place: _Place):
    """Name the place in a service's refusal."""
    try:
        yield
    except ServiceError as error:
        place.fail(error.message)


def _list(value, place: _Place) -> list:
    if not isinstance(value, list):
        place.fail(_("应为列表（[…]）。"))
    return value


def _dict(value, place: _Place) -> dict:
    if not isinstance(value, dict):
        place.fail(_("应为对象（{…}）。"))
    return value


def _str(value, place: _Place) -> str:
    if not isinstance(value, str):
        place.fail(_("应为文字。"))
    return value


def _int(value, place: _Place, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        place.fail(_("应为整数。"))
    return value
