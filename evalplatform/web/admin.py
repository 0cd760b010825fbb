"""Admin console (管理员): units, campaigns, rater groups, questionnaire, codes, users."""

from __future__ import annotations

import io
import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import pgettext
from flask_login import current_user
from sqlalchemy import func, select

from ..database import set_write_intent, write_intent
from ..extensions import db
from ..i18n import N_, ngettext
from ..i18n import gettext as _
from ..models import AuditEvent, Campaign, CodeBatch, Item, RaterGroup, Unit, User
from ..reports.letterhead import PLACEHOLDERS
from ..reports.slips import check_slip_count, codes_zip
from ..scoring.participation import participation
from ..services import ServiceError
from ..services import campaigns as campaign_service
from ..services import codes as code_service
from ..services import dashboard as dashboard_service
from ..services import letterheads as letterhead_service
from ..services import units as unit_service
from ..services import users as user_service
from ..services.ballots import questionnaire
from ..services.questionnaires import TEMPLATES
from .common import (
    done,
    get_or_404,
    import_sheet,
    reads_first,
    refusal_shown,
    report_error,
    require_role,
    submitted,
)
from .forms import (
    ActionForm,
    CampaignForm,
    GroupForm,
    ImportForm,
    IssueCodesForm,
    ItemForm,
    LetterheadForm,
    PasswordResetForm,
    TemplateForm,
    UnitForm,
    UserEditForm,
    UserForm,
    choices,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_role("admin"))


def _page_form(cls, prefix: str, **kwargs):
    """One of several forms on a page. It reads the request only when it is the form that
    was posted; the others show their current values, not an empty submission (an
    unticked 启用 box would otherwise disable the account on the next save)."""
    posted = request.method == "POST" and any(key.startswith(f"{prefix}-")
                                              for key in request.form)
    return cls(prefix=prefix, **kwargs) if posted else cls(prefix=prefix, formdata=None,
                                                            **kwargs)


def _button(operation, message, back: str, done: str | None = None):
    """A POST button (CSRF is checked before any view): run the operation and commit,
    then confirm with ``message`` (a string, or a function of the operation's result);
    or roll back and show why it was refused."""
    try:
        result = operation()
    except ServiceError as error:
        db.session.rollback()
        report_error(error)
        return redirect(back, 303)
    db.session.commit()
    flash(message(result) if callable(message) else message, "success")
    return redirect(done or back, 303)


# -- dashboard -----------------------------------------------------------------------------

@bp.get("/")
def dashboard():
    overview = dashboard_service.overview()
    return render_template("admin/dashboard.html", overview=overview,
                           missing=campaign_service.missing_plugins(
                               [p.campaign for p in overview]))


# -- units ---------------------------------------------------------------------------------

@bp.route("/units", methods=["GET", "POST"])
def units():
    form = UnitForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            unit_service.save_unit(None, form.name.data, form.category.data,
                                   form.position.data, current_user)
            return done(_("已添加单位“%(name)s”。", name=form.name.data.strip()), "admin.units")
    all_units = db.session.scalars(select(Unit).order_by(Unit.position, Unit.id)).all()
    categories = sorted({u.category for u in all_units})
    return render_template("admin/units.html", form=form, units=all_units,
                           categories=categories, import_form=ImportForm(), action=ActionForm())


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit_edit(unit_id: int):
    unit = get_or_404(Unit, unit_id)
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        with refusal_shown(form):
            unit_service.save_unit(unit, form.name.data, form.category.data, form.position.data,
                                   current_user)
            return done(_("单位已保存。"), "admin.units")
    return render_template("admin/unit_edit.html", form=form, unit=unit, action=ActionForm())


@bp.post("/units/<int:unit_id>/active")
def unit_toggle(unit_id: int):
    unit = get_or_404(Unit, unit_id)

    return _button(lambda: unit_service.set_unit_active(unit, not unit.active, current_user),
                   lambda _result: (_("单位“%(name)s”已启用。", name=unit.name) if unit.active
                                    else _("单位“%(name)s”已停用。", name=unit.name)),
                   url_for("admin.units"))


@bp.post("/units/<int:unit_id>/delete")
def unit_delete(unit_id: int):
    unit = get_or_404(Unit, unit_id)
    return _button(lambda: unit_service.delete_unit(unit, current_user),
                   _("单位“%(name)s”已删除。", name=unit.name),
                   url_for("admin.unit_edit", unit_id=unit_id), url_for("admin.units"))


@bp.route("/units/import", methods=["GET", "POST"])
@reads_first
def units_import():
    form = ImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        report, refused = import_sheet(
            form.sheet.data, lambda name, rows: unit_service.import_units(name, rows, current_user),
            refused="unit.import_refused", target="units")
        if refused is None and not report.errors:
            flash(_("导入完成：新增 %(created)s 个单位，更新 %(updated)s 个。",
                    created=report.created, updated=report.updated), "success")
            return redirect(url_for("admin.units"), 303)
        if refused is not None:
            form.sheet.errors = [*form.sheet.errors, refused]
        status = 422
    elif form.errors:
        status = 422
    return render_template("admin/units_import.html", form=form, report=report), status


@bp.get("/units/template.csv")
def units_template():
    body = "\ufeff名称,序列,排序\n办公室,综合管理类,1\n建设工程质量监督站,执法监管类,2\n"
    return Response(body.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=units-template.csv"})


# -- campaigns -----------------------------------------------------------------------------

def _campaign_settings(form: CampaignForm) -> dict:
    return {name: (field.data.strip() if isinstance(field.data, str) and name != "intro"
                   else field.data)
            for name, field in form._fields.items()
            if name in campaign_service.SETTINGS}


@bp.route("/campaigns/new", methods=["GET", "POST"])
def campaign_new():
    form = CampaignForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            campaign = campaign_service.create_campaign(current_user, **_campaign_settings(form))
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
            campaign_service.update_campaign(c, current_user, **_campaign_settings(form))
            return done(_("设置已保存。"), "admin.campaign", campaign_id=c.id)
    return render_template("admin/campaign_form.html", form=form, campaign=c)


def _lifecycle(campaign_id: int, operation, message: str):
    """``message`` is a message id, translated here."""
    c = get_or_404(Campaign, campaign_id)
    return _button(lambda: operation(c, current_user), _(message),
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
    return _button(lambda: campaign_service.delete_campaign(c, current_user), _("评议活动已删除。"),
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
    all_units = db.session.scalars(select(Unit).order_by(Unit.position, Unit.id)).all()
    chosen = {cu.unit_id for cu in c.campaign_units}
    if not chosen and c.is_draft and request.method == "GET":
        chosen = {u.id for u in all_units if u.active}
        preselected = True
    else:
        preselected = False
    by_category: dict[str, list[Unit]] = {}
    for unit in all_units:
        if unit.active or unit.id in chosen:
            by_category.setdefault(unit.category, []).append(unit)
    return render_template("admin/campaign_units.html", campaign=c, form=form,
                           by_category=by_category, chosen=chosen, preselected=preselected)


@bp.route("/campaigns/<int:campaign_id>/groups", methods=["GET", "POST"])
def campaign_groups(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    form = GroupForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            campaign_service.add_group(c, form.name.data, form.weight.data, current_user)
            return done(_("已添加评议主体“%(name)s”。", name=form.name.data.strip()),
                         "admin.campaign_groups",
                         campaign_id=c.id)
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
    return _button(lambda: campaign_service.delete_group(group, current_user), _("评议主体已删除。"),
                   url_for("admin.campaign_groups", campaign_id=campaign_id))


def _group(campaign_id: int, group_id: int) -> RaterGroup:
    group = get_or_404(RaterGroup, group_id)
    if group.campaign_id != campaign_id:
        abort(404)
    return group


@bp.route("/campaigns/<int:campaign_id>/questionnaire", methods=["GET", "POST"])
def campaign_questionnaire(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    template_form = _page_form(TemplateForm, "t")
    item_form = _page_form(ItemForm, "i")
    with refusal_shown(template_form if submitted(template_form) else item_form):
        if submitted(template_form) and template_form.validate_on_submit():
            campaign_service.apply_template(c, template_form.template.data, current_user)
            return done(_("已按模板生成评议表。"), "admin.campaign_questionnaire",
                         campaign_id=c.id)
        if submitted(item_form) and item_form.validate_on_submit():
            campaign_service.add_item(c, item_form.label.data, item_form.scale.data,
                                      item_form.required.data, current_user)
            return done(_("已添加评价项目。"), "admin.campaign_questionnaire", campaign_id=c.id)
    return render_template("admin/campaign_questionnaire.html", campaign=c,
                           template_form=template_form, item_form=item_form,
                           templates=TEMPLATES, action=ActionForm())


@bp.post("/campaigns/<int:campaign_id>/items/<int:item_id>/delete")
def campaign_item_delete(campaign_id: int, item_id: int):
    item = get_or_404(Item, item_id)
    if item.campaign_id != campaign_id:
        abort(404)
    return _button(lambda: campaign_service.delete_item(item, current_user), _("评价项目已删除。"),
                   url_for("admin.campaign_questionnaire", campaign_id=campaign_id))


@bp.get("/campaigns/<int:campaign_id>/preview")
def campaign_preview(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    return render_template("respondent/survey.html", q=questionnaire(c), campaign=c,
                           group=None, ballot=None, preview=True)


# -- codes ---------------------------------------------------------------------------------

#: The browser's nonce for "the download has started" (static/codes.js), never the codes.
DOWNLOAD_TOKEN = re.compile(r"[A-Za-z0-9]{8,40}")


def _base_url() -> str:
    return current_app.config.get("PUBLIC_BASE_URL") or request.host_url


@bp.route("/campaigns/<int:campaign_id>/codes", methods=["GET", "POST"])
def campaign_codes(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    form = IssueCodesForm()
    form.rater_group.choices = choices((g.id, g.name) for g in c.groups)
    if form.validate_on_submit():
        group = next((g for g in c.groups if g.id == form.rater_group.data), None)
        try:
            if group is None:
                raise ServiceError(_("请选择评议主体。"), field="rater_group")
            if form.slips.data:
                check_slip_count(form.count.data)
            batch, plaintext = code_service.issue_codes(c, group, form.count.data, current_user)
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            report_error(error, form)
        else:
            return _codes_download(c, group, batch, plaintext, with_slips=form.slips.data)
    batches = db.session.execute(
        select(CodeBatch, User.username)
        .outerjoin(User, User.id == CodeBatch.created_by)
        .where(CodeBatch.campaign_id == c.id).order_by(CodeBatch.id.desc())
    ).all()
    return render_template("admin/campaign_codes.html", campaign=c, form=form, batches=batches,
                           progress=participation(c), action=ActionForm(),
                           base_url=_base_url())


def _codes_download(c: Campaign, group: RaterGroup, batch: CodeBatch, plaintext: list[str], *,
                    with_slips: bool):
    """The one download of a batch's plaintext codes, made after they are committed.

    Rendering slips takes seconds: it must not hold the database's write lock meanwhile
    (respondents submitting ballots would wait, then fail). If it fails, nobody will ever
    see these codes, so the batch is voided.
    """
    set_write_intent(False)  # from here on this request only reads
    stem = f"codes-campaign{c.id}-batch{batch.id}"
    try:
        archive = codes_zip(c, group.name, plaintext, _base_url(), with_slips=with_slips,
                            stem=stem)
    except Exception:
        current_app.logger.exception("download of code batch %s failed", batch.id)
        db.session.rollback()
        with write_intent():
            code_service.revoke_batch(db.session.get(CodeBatch, batch.id), current_user)
            db.session.commit()
        flash(_("生成下载文件失败，该批访问码已作废，请重新发放。"), "error")
        return redirect(url_for("admin.campaign_codes", campaign_id=c.id), 303)
    response = send_file(io.BytesIO(archive), mimetype="application/zip", as_attachment=True,
                         download_name=f"{stem}.zip")
    token = request.form.get("download_token", "")
    if DOWNLOAD_TOKEN.fullmatch(token):
        # tells static/codes.js that the download has started (its progress bar ends)
        response.set_cookie("codes_download", token, max_age=120, path=url_for(
            "admin.campaign_codes", campaign_id=c.id), samesite="Strict",
            secure=request.is_secure)
    return response


@bp.post("/campaigns/<int:campaign_id>/codes/<int:batch_id>/revoke")
def campaign_codes_revoke(campaign_id: int, batch_id: int):
    batch = get_or_404(CodeBatch, batch_id)
    if batch.campaign_id != campaign_id:
        abort(404)
    return _button(lambda: code_service.revoke_batch(batch, current_user),
                   lambda _result: _("第 %(batch)s 批访问码已作废：其中尚未使用的不能再使用，"
                               "已提交的评议票仍然有效。", batch=batch.id),
                   url_for("admin.campaign_codes", campaign_id=campaign_id))


# -- users and audit -----------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
def users():
    form = UserForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            user_service.create_user(form.username.data, form.role.data, form.password.data,
                                     current_user, display_name=form.display_name.data or "")
            return done(_("已创建账号“%(name)s”。", name=form.username.data.strip()), "admin.users")
    accounts = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", form=form, users=accounts)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = get_or_404(User, user_id)
    form = _page_form(UserEditForm, "u", obj=user)
    reset = _page_form(PasswordResetForm, "p")
    token = None
    with refusal_shown(reset if submitted(reset) else form):
        if submitted(form) and form.validate_on_submit():
            user_service.update_user(user, form.role.data, form.active.data,
                                     form.display_name.data or "", current_user)
            return done(_("账号已保存。"), "admin.users")
        if submitted(reset) and reset.validate_on_submit():
            user_service.set_password(user, reset.password.data, current_user)
            return done(_("密码已重置。"), "admin.users")
        if request.method == "POST" and request.form.get("action") == "token" and \
                ActionForm().validate_on_submit():
            token = user_service.create_token(user, current_user)
            db.session.commit()
    return render_template("admin/user_edit.html", user=user, form=form, reset=reset,
                           token=token, action=ActionForm())


def audit_actions() -> dict[str, str]:
    """What the audit log's actions mean, in the reader's language (unknown ones, e.g. a
    plugin's, are shown by their name alone)."""
    return {
        "auth.login": _("登录"), "auth.logout": _("退出"), "auth.login_failed": _("登录失败"),
        "user.create": _("新建账号"), "user.update": _("修改账号"), "user.password": _("设置密码"),
        "user.token": _("生成 API 令牌"),
        "unit.create": _("新增被评单位"), "unit.update": _("修改被评单位"),
        "unit.delete": _("删除被评单位"), "unit.activate": _("启用被评单位"),
        "unit.deactivate": _("停用被评单位"), "unit.import": _("导入被评单位"),
        "unit.import_refused": _("导入被评单位（被拒绝）"),
        "campaign.create": _("新建评议活动"), "campaign.update": _("修改评议活动"),
        "campaign.delete": _("删除评议活动"), "campaign.units": _("选择被评单位"),
        "campaign.open": pgettext("campaign", "开始评议"), "campaign.close": _("结束评议"),
        "group.add": _("新增评议主体"), "group.update": _("修改评议主体"),
        "group.delete": _("删除评议主体"),
        "questionnaire.template": _("套用评议表模板"), "questionnaire.add_item": _("新增评价项目"),
        "questionnaire.delete_item": _("删除评价项目"),
        "scheme.enable": _("启用评分方案"), "scheme.disable": _("停用评分方案"),
        "scheme.configure": _("设置评分方案"),
        "codes.issue": _("发放访问码"), "codes.revoke": _("作废访问码"),
        "bulletin.letterhead": _("修改通报版头"), "document.bulletin": _("生成通报"),
        "document.unit_report": _("生成单位报告"), "document.unit_reports": _("生成各单位报告"),
        "job.bulletin": _("开始生成通报"), "job.unit_reports": _("开始生成各单位报告"),
        "checklist.review": _("记录对照检查"), "rectification.add": _("新增整改事项"),
        "rectification.update": _("更新整改事项"), "rectification.import": _("导入整改台账"),
        "rectification.import_refused": _("导入整改台账（被拒绝）"),
    }


@bp.get("/audit")
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = 100
    rows = db.session.execute(
        select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.user_id)
        .order_by(AuditEvent.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return render_template("admin/audit.html", rows=rows, page=page, actions=audit_actions(),
                           pages=max((total + per_page - 1) // per_page, 1))
