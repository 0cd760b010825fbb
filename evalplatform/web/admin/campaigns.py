"""Campaigns (评议活动): settings and phase, appraised units, rater groups, the bulletin's
letterhead (the questionnaire: admin.questionnaire)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...i18n import N_, ngettext
from ...i18n import gettext as _
from ...models import Campaign, RaterGroup
from ...reports.letterhead import PLACEHOLDERS
from ...scoring.participation import participation
from ...services import campaigns as campaign_service
from ...services import letterheads as letterhead_service
from ..common import done, get_or_404, refusal_shown
from ..forms import ActionForm, CampaignForm, GroupForm, LetterheadForm
from .base import bp, button


def _settings(form: CampaignForm) -> dict:
    return {name: (field.data.strip() if isinstance(field.data, str) and name != "intro"
                   else field.data)
            for name, field in form._fields.items()
            if name in campaign_service.SETTINGS}


@bp.route("/campaigns/new", methods=["GET", "POST"])
def campaign_new():
    form = CampaignForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            campaign = campaign_service.create_campaign(current_user, **_settings(form))
            return done(_("评议活动已创建。下一步：选择被评单位。"), "admin.campaign_units",
                        campaign_id=campaign.id)
    return render_template("admin/campaign_form.html", form=form, campaign=None)


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    return render_template("admin/campaign.html", campaign=c, action=ActionForm(),
                           problems=campaign_service.open_problems(c),
                           progress=participation(c))


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def campaign_edit(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    form = CampaignForm(obj=c)
    if form.validate_on_submit():
        with refusal_shown(form):
            campaign_service.update_campaign(c, current_user, **_settings(form))
            return done(_("设置已保存。"), "admin.campaign", campaign_id=c.id)
    return render_template("admin/campaign_form.html", form=form, campaign=c)


def _lifecycle(campaign_id: int, operation, message: str):
    """``message`` is a message id, translated here."""
    c = get_or_404(Campaign, campaign_id)
    return button(lambda: operation(c, current_user), _(message),
                  url_for("admin.campaign", campaign_id=c.id))


@bp.post("/campaigns/<int:campaign_id>/open")
def campaign_open(campaign_id: int):
    return _lifecycle(campaign_id, campaign_service.open_campaign,
                      N_("评议活动已开始，访问码即可使用。"))


@bp.post("/campaigns/<int:campaign_id>/close")
def campaign_close(campaign_id: int):
    return _lifecycle(campaign_id, campaign_service.close_campaign,
                      N_("评议活动已结束，不再接受评议。"))


@bp.post("/campaigns/<int:campaign_id>/delete")
def campaign_delete(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    return button(lambda: campaign_service.delete_campaign(c, current_user), _("评议活动已删除。"),
                  url_for("admin.campaign", campaign_id=campaign_id),
                  url_for("admin.dashboard"))


@bp.route("/campaigns/<int:campaign_id>/bulletin", methods=["GET", "POST"])
def letterhead(campaign_id: int):
    """The bulletin's letterhead and closing words (empty fields use the default text)."""
    c = get_or_404(Campaign, campaign_id)
    settings = letterhead_service.settings_for(c)
    form = LetterheadForm(obj=settings)
    if request.method == "GET":
        form.issuer.data, form.doc_number.data = c.issuer, c.doc_number
    if form.validate_on_submit():
        with refusal_shown(form):
            letterhead_service.save(c, current_user, **{
                name: form[name].data for name in ("issuer", "doc_number",
                                                   *letterhead_service.FIELDS)})
            return done(_("通报的红头和落款已保存。生成通报即可看到效果。"), "reports.index",
                        campaign_id=c.id)
    return render_template("admin/letterhead.html", form=form, campaign=c,
                           placeholders=PLACEHOLDERS)


@bp.route("/campaigns/<int:campaign_id>/units", methods=["GET", "POST"])
def campaign_units(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    form = ActionForm()
    if form.validate_on_submit():
        with refusal_shown():
            ids = [int(v) for v in request.form.getlist("unit") if v.isascii() and v.isdigit()]
            campaign_service.set_units(c, ids, current_user)
            return done(ngettext("已选择 %(num)s 个被评单位。", "已选择 %(num)s 个被评单位。", len(ids)),
                        "admin.campaign_units", campaign_id=c.id)
    choice = campaign_service.unit_choice(c, suggest=request.method == "GET")
    return render_template("admin/campaign_units.html", campaign=c, form=form,
                           by_category=choice.by_category, chosen=choice.chosen,
                           preselected=choice.suggested)


@bp.route("/campaigns/<int:campaign_id>/groups", methods=["GET", "POST"])
def campaign_groups(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    form = GroupForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            campaign_service.add_group(c, form.name.data, form.weight.data, current_user)
            return done(_("已添加评议主体“%(name)s”。", name=form.name.data.strip()),
                        "admin.campaign_groups", campaign_id=c.id)
    total = sum(g.weight for g in c.groups)
    return render_template("admin/campaign_groups.html", campaign=c, form=form, total=total,
                           action=ActionForm())


@bp.post("/campaigns/<int:campaign_id>/groups/<int:group_id>")
def campaign_group_update(campaign_id: int, group_id: int):
    group = _group(campaign_id, group_id)
    form = GroupForm()
    if form.validate_on_submit():
        with refusal_shown():
            campaign_service.update_group(group, form.name.data, form.weight.data, current_user)
            return done(_("评议主体已保存。"), "admin.campaign_groups", campaign_id=campaign_id)
    else:
        for errors in form.errors.values():
            flash(_("；").join(map(str, errors)), "error")
    return redirect(url_for("admin.campaign_groups", campaign_id=campaign_id), 303)


@bp.post("/campaigns/<int:campaign_id>/groups/<int:group_id>/delete")
def campaign_group_delete(campaign_id: int, group_id: int):
    group = _group(campaign_id, group_id)
    return button(lambda: campaign_service.delete_group(group, current_user), _("评议主体已删除。"),
                  url_for("admin.campaign_groups", campaign_id=campaign_id))


def _group(campaign_id: int, group_id: int) -> RaterGroup:
    group = get_or_404(RaterGroup, group_id)
    if group.campaign_id != campaign_id:
        abort(404)
    return group
