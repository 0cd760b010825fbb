"""The library of answer scales items are built from (评价档次).

The built-in scales (services.questionnaires.SCALES) are in the library until an admin
edits one, which stores it (by its key) as an ``AnswerScale`` row; scales an admin makes
are rows without a key. An item copies its scale's options when it is added, so editing
a scale never changes a campaign's questionnaire, let alone frozen rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..i18n import gettext as _
from ..models import AnswerScale
from ..scoring.appraisal import BASIC, COMPETENT, EXCELLENT, INCOMPETENT
from ..scoring.satisfaction import SATISFIED
from . import ServiceError, audit
from .questionnaires import SCALES

NAME_MAX = 100
LABEL_MAX = 20
MAX_SCALE_OPTIONS = 10
#: The schemes a scale may be scored by ("": none, its options' shares are reported).
SCHEMES = ("satisfaction", "appraisal", "")
APPRAISAL_LABELS = (EXCELLENT, COMPETENT, BASIC, INCOMPETENT)


@dataclass(frozen=True)
class Scale:
    """A scale of the library: ``ref`` is a built-in's key or a stored scale's id."""

    ref: str
    name: str
    options: list[dict]  # {"label", "score", "abstain", "satisfied"}
    scheme: str
    builtin: bool

    @property
    def satisfied(self) -> list[str]:
        return [o["label"] for o in self.options if o.get("satisfied")]

    @property
    def item_scheme(self) -> str | None:
        """The scheme an item on this scale is scored by (None: unscored)."""
        return self.scheme or None

    def item_options(self) -> list[dict]:
        """The options an item copies (what the rules freeze)."""
        return [{"label": o["label"], "score": o["score"], "abstain": bool(o["abstain"])}
                for o in self.options]


def _builtin(key: str) -> Scale:
    scale = SCALES[key]
    options = [{**o, "satisfied": scale.scheme == "satisfaction" and o["label"] in SATISFIED}
               for o in scale.options]
    return Scale(key, str(scale.title), options, scale.scheme, True)


def _stored(row: AnswerScale) -> Scale:
    return Scale(row.key or str(row.id), row.name, list(row.options), row.scheme or "",
                 row.key is not None)


def library() -> list[Scale]:
    """Every scale: the built-in ones first (as edited, if they were), then the admins'."""
    rows = db.session.scalars(select(AnswerScale).order_by(AnswerScale.position,
                                                           AnswerScale.id)).all()
    by_key = {row.key: row for row in rows if row.key}
    return ([_stored(by_key[k]) if k in by_key else _builtin(k) for k in SCALES]
            + [_stored(row) for row in rows if not row.key])


def find(ref: str) -> Scale:
    for scale in library():
        if scale.ref == str(ref):
            return scale
    raise ServiceError(_("请选择评价档次。"), field="scale")


def _row(ref: str) -> AnswerScale | None:
    if ref in SCALES:
        return db.session.scalar(select(AnswerScale).where(AnswerScale.key == ref))
    return db.session.get(AnswerScale, int(ref)) if ref.isdigit() else None


def save_scale(ref: str | None, name: str, options: list[dict], scheme: str, user) -> Scale:
    """Store a scale (``ref`` None: a new one). ``options``: ``{"label", "score" (None:
    no score), "abstain", "satisfied"}`` in order; rows with an empty label are dropped."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("请填写评价档次的名称。"), field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_("名称不超过 %(max)s 字。", max=NAME_MAX), field="name")
    if scheme not in SCHEMES:
        raise ServiceError(_("请选择计分方式。"), field="scheme")
    clean = check_options(options, scheme)
    if any(s.name == name and s.ref != ref for s in library()):
        raise ServiceError(_("评价档次“%(name)s”已存在。", name=name), field="name")
    row = _row(ref) if ref is not None else None
    if ref is not None and row is None:
        if ref not in SCALES:
            raise ServiceError(_("该评价档次不存在或已删除，请刷新页面后重试。"))
        row = AnswerScale(key=ref, position=list(SCALES).index(ref) + 1)
        db.session.add(row)
    elif row is None:
        row = AnswerScale(key=None, position=len(SCALES) + 1)
        db.session.add(row)
    row.name, row.options, row.scheme = name, clean, scheme
    db.session.flush()
    audit(user, "scale.save", f"scale:{row.key or row.id}", name=name)
    return _stored(row)


def check_options(options: list[dict], scheme: str, satisfied: bool = True) -> list[dict]:
    """The options of a scale (or an imported item) checked and cleaned; ``satisfied``:
    whether a satisfaction scale must mark options that count as satisfied."""
    clean = []
    for n, option in enumerate(options, start=1):
        label = str(option.get("label") or "").strip()
        if not label:
            continue
        if len(label) > LABEL_MAX:
            raise ServiceError(_("第 %(n)s 个档次：名称不超过 %(max)s 字。", n=n, max=LABEL_MAX),
                               field="options")
        abstain = bool(option.get("abstain"))
        score = option.get("score")
        if abstain or not scheme:
            score = None
        elif score is None or not math.isfinite(score) or not 0 <= score <= 100:
            raise ServiceError(_("第 %(n)s 个档次“%(label)s”：请填写 0–100 的分值"
                                 "（“不了解”一类不计分的档次请勾选“不计入有效票”）。",
                                 n=n, label=label), field="options")
        clean.append({"label": label, "score": score, "abstain": abstain,
                      "satisfied": scheme == "satisfaction" and not abstain
                      and bool(option.get("satisfied"))})
    labels = [o["label"] for o in clean]
    if len(set(labels)) != len(labels):
        raise ServiceError(_("档次名称不能重复。"), field="options")
    scored = [o for o in clean if not o["abstain"]]
    if len(scored) < 2:
        raise ServiceError(_("至少要有两个计分的档次。") if scheme else
                           _("至少要有两个可选的档次。"), field="options")
    if len(clean) > MAX_SCALE_OPTIONS:
        raise ServiceError(_("档次不超过 %(max)s 个。", max=MAX_SCALE_OPTIONS), field="options")
    if scheme == "appraisal" and sorted(o["label"] for o in scored) != sorted(APPRAISAL_LABELS):
        raise ServiceError(_("民主测评按“%(labels)s”四档计票（优秀率、⅔ 和 ⅓ 的规则依此而定），"
                             "档次名称须为这四档，分值可以修改。",
                             labels="、".join(APPRAISAL_LABELS)), field="options")
    if satisfied and scheme == "satisfaction" and not any(o["satisfied"] for o in clean):
        raise ServiceError(_("请至少勾选一个计入满意率的档次。"), field="options")
    return clean


def delete_scale(ref: str, user) -> None:
    if ref in SCALES:
        raise ServiceError(_("内置的评价档次不能删除，可以修改。"))
    row = _row(ref)
    if row is None:
        raise ServiceError(_("该评价档次不存在或已删除，请刷新页面后重试。"))
    db.session.delete(row)
    audit(user, "scale.delete", f"scale:{ref}", name=row.name)
