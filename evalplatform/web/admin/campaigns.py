"""Campaigns (评议活动): settings and phase, appraised units, rater groups, the bulletin's
letterhead (the questionnaire: admin.questionnaire)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...i18n import gettext as _
from ...i18n import ngettext, pgettext
from ...models import Campaign, RaterGroup
from ...reports.letterhead import PLACEHOLDERS
from ...scoring.participation import participation
from ...services import campaigns as campaign_service
from ...services import letterheads as letterhead_service
from ...util import local_time, local_today
from ..common import done, get_or_404, refusal_shown
from ..forms import ActionForm, CampaignForm, GroupForm, LetterheadForm
from .base import Choice, bp, button, confirmation, confirmed


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


@bp.post("/campaigns/<int:campaign_id>/open")
def campaign_open(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    back = url_for("admin.campaign", campaign_id=c.id)
    if not confirmed():
        lines = [_("被评单位、评议主体、评议表和评分方案将冻结为评分规则（记录其 SHA-256），"
                   "此后不能再修改，只能新建评议活动。"),
                 _("访问码即可使用，评议人提交的评议票不能撤回。")]
        if c.period_start and c.period_start > local_today():
            lines.append(_("活动原定 %(date)s 开始，现在开始将提前。", date=c.period_start))
        return confirmation(c, pgettext("campaign", "开始评议"), lines,
                            [Choice(_("确认开始评议"), "primary")], back,
                            lambda: campaign_service.check_open(c))
    return button(lambda: campaign_service.open_campaign(c, current_user),
                  _("评议活动已开始，访问码即可使用。"), back)


@bp.post("/campaigns/<int:campaign_id>/close")
def campaign_close(campaign_id: int):
    """Close at once, or after the grace period (no new code entries meanwhile; ballots
    already begun are accepted until then)."""
    c = get_or_404(Campaign, campaign_id)
    back = url_for("admin.campaign", campaign_id=c.id)
    grace = int(current_app.config["CLOSE_GRACE_MINUTES"])
    if not confirmed():
        return confirmation(c, _("结束评议"), _close_consequences(c, grace), [
            *([Choice(_("%(minutes)s 分钟后结束（推荐）", minutes=grace), "primary",
                      {"when": "grace"})] if grace and c.closes_at is None else []),
            Choice(_("立即结束"), "danger", {"when": "now"})], back,
            lambda: campaign_service.check_close(c))
    if request.form.get("when") == "grace" and grace:
        return button(lambda: campaign_service.schedule_close(c, grace, current_user),
                      lambda when: _("评议活动将于 %(time)s 结束：不再接受新的访问码，"
                                     "已打开评议表的评议人可在此前提交。", time=local_time(when)),
                      back)
    return button(lambda: campaign_service.close_campaign(c, current_user),
                  _("评议活动已结束，不再接受评议。"), back)


def _close_consequences(c: Campaign, grace: int) -> list[str]:
    facts = campaign_service.consequences(c)
    lines = []
    if facts.days_early:
        lines.append(ngettext("评议原定 %(date)s 结束，现在结束将提前 %(num)s 天。",
                              "评议原定 %(date)s 结束，现在结束将提前 %(num)s 天。",
                              facts.days_early, date=c.period_end))
    if facts.unused_codes:
        lines.append(ngettext("还有 %(num)s 个访问码未使用，结束后不能再使用。",
                              "还有 %(num)s 个访问码未使用，结束后不能再使用。",
                              facts.unused_codes))
    lines.append(ngettext("已收到 %(num)s 张评议票。结束后公布评议结果，评议票和评分规则不能再改变。",
                          "已收到 %(num)s 张评议票。结束后公布评议结果，评议票和评分规则不能再改变。",
                          facts.ballots))
    if c.closes_at is not None:
        lines.append(_("评议活动已在结束中，将于 %(time)s 结束；立即结束后，正在填写的评议人将无法提交。",
                       time=local_time(c.closes_at)))
    elif grace:
        lines.append(_("可能有评议人正在填写评议表：选择“%(minutes)s 分钟后结束”，从现在起不再接受"
                       "新的访问码，已打开评议表的评议人仍可在 %(minutes)s 分钟内提交；选择"
                       "“立即结束”，他们的评议将不被接受。", minutes=grace))
    return lines


@bp.post("/campaigns/<int:campaign_id>/close/cancel")
def campaign_close_cancel(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    return button(lambda: campaign_service.cancel_close(c, current_user),
                  _("已取消结束，评议继续进行，访问码可以使用。"),
                  url_for("admin.campaign", campaign_id=c.id))


@bp.post("/campaigns/<int:campaign_id>/delete")
def campaign_delete(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    back = url_for("admin.campaign", campaign_id=campaign_id)
    if not confirmed():
        facts = campaign_service.consequences(c)
        lines = [_("将删除这个评议活动的设置、被评单位的选择、评议主体、评议表和生成的文件，不能恢复。")]
        if facts.unused_codes:
            lines.append(ngettext("已发放的 %(num)s 个访问码将失效。",
                                  "已发放的 %(num)s 个访问码将失效。", facts.unused_codes))
        return confirmation(c, _("删除此评议活动"), lines, [Choice(_("确认删除"))], back,
                            lambda: campaign_service.check_delete(c))
    return button(lambda: campaign_service.delete_campaign(c, current_user), _("评议活动已删除。"),
                  back, url_for("admin.dashboard"))


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
