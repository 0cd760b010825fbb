"""Staff accounts (admins and evaluators), their API tokens, and the audit log."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from ...extensions import db
from ...i18n import gettext as _
from ...models import User
from ...services import auditlog
from ...services import users as user_service
from ..common import done, get_or_404, refusal_shown, submitted
from ..forms import ActionForm, PasswordResetForm, UserEditForm, UserForm
from .base import bp, page_form


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = UserForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            user_service.create_user(form.username.data, form.role.data, form.password.data,
                                     current_user, display_name=form.display_name.data or "")
            return done(_("已创建账号“%(name)s”。", name=form.username.data.strip()), "admin.users")
    return render_template("admin/users.html", form=form, users=user_service.all_users())


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = get_or_404(User, user_id)
    form = page_form(UserEditForm, "u", obj=user)
    reset = page_form(PasswordResetForm, "p")
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


@bp.get("/audit")
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    rows, pages = auditlog.page(page)
    return render_template("admin/audit.html", rows=rows, page=page, pages=pages,
                           actions=auditlog.action_labels())
