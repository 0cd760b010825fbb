"""The library of answer scales (评价档次): the built-in ones, editable, and the admins'
own. Items copy a scale when they are added: editing one changes no campaign."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user

from ...i18n import gettext as _
from ...i18n import lazy_gettext
from ...services import scales as scale_service
from ..common import done, refusal_shown
from ..forms import ActionForm
from ..routing import number
from .base import bp, button

SCHEME_LABELS = {"satisfaction": lazy_gettext("满意度测评（计分，按勾选的档次计算满意率）"),
                 "appraisal": lazy_gettext("民主测评（优秀、称职、基本称职、不称职四档）"),
                 "": lazy_gettext("不计分（只统计各档次的比例，如任职建议）")}

#: The form's value for an unscored scale (an empty value is no choice at all).
UNSCORED = "none"
FORM_SCHEMES = {**{k: k for k in scale_service.SCHEMES if k}, UNSCORED: ""}


@bp.get("/scales")
def scales():
    return render_template("admin/scales.html", scales=scale_service.library(),
                           action=ActionForm())


@bp.route("/scales/new", methods=["GET", "POST"], defaults={"ref": None})
@bp.route("/scales/<ref>", methods=["GET", "POST"])
def scale_edit(ref: str | None):
    scale = None
    if ref is not None:
        scale = next((s for s in scale_service.library() if s.ref == ref), None) or abort(404)
    form = ActionForm()
    posted = None
    if form.validate_on_submit():
        posted = _posted()
        with refusal_shown():
            scale_service.save_scale(ref, posted["name"], _options(),
                                     FORM_SCHEMES.get(posted["scheme"], "?"), current_user)
            return done(_("评价档次已保存。新加的评价项目将使用它，已有的项目不变。"), "admin.scales")
    return render_template("admin/scale_edit.html", scale=scale, form=form, posted=posted,
                           rows=scale_service.MAX_SCALE_OPTIONS,
                           scheme_labels={k or UNSCORED: SCHEME_LABELS[k]
                                          for k in scale_service.SCHEMES})


@bp.post("/scales/<ref>/delete")
def scale_delete(ref: str):
    return button(lambda: scale_service.delete_scale(ref, current_user), _("评价档次已删除。"),
                  url_for("admin.scale_edit", ref=ref), url_for("admin.scales"))


def _posted() -> dict:
    """What was typed, shown again when the scale is refused."""
    form = request.form
    return {"name": form.get("name", ""), "scheme": form.get("scheme", ""),
            "options": [{"label": form.get(f"label-{k}", ""), "score": form.get(f"score-{k}", ""),
                         "abstain": bool(form.get(f"abstain-{k}")),
                         "satisfied": bool(form.get(f"satisfied-{k}"))}
                        for k in range(scale_service.MAX_SCALE_OPTIONS)]}


def _options() -> list[dict]:
    form = request.form
    return [{"label": form.get(f"label-{k}", ""),
             "score": number(form.get(f"score-{k}", ""), _("第 %(n)s 个档次的分值", n=k + 1)),
             "abstain": bool(form.get(f"abstain-{k}")),
             "satisfied": bool(form.get(f"satisfied-{k}"))}
            for k in range(scale_service.MAX_SCALE_OPTIONS)]
