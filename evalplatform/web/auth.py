"""Staff log-in, log-out and password change."""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..extensions import client_address, db, limiter
from ..i18n import gettext as _
from ..models import User
from ..services import ServiceError, audit
from ..services import users as user_service
from ..services.users import authenticate, set_password
from .common import browser_binding, report_error, safe_next
from .forms import LoginForm, PasswordChangeForm

bp = Blueprint("auth", __name__)


def home_for(user) -> str:
    return url_for("admin.dashboard" if user.role == "admin" else "evaluator.dashboard")




@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("RATELIMIT_LOGIN", methods=["POST"], counts="unauthenticated")
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        # failures back off per (account, address): a guesser elsewhere never locks the
        # account's owner out
        attempt = ((form.username.data or "").strip().lower(), client_address())
        wait = limiter.backoff_wait(*attempt)
        if wait:
            return _too_soon(wait)
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            limiter.backoff_failed(*attempt)
        else:
            limiter.backoff_clear(*attempt)
        if user is not None:
            session.clear()  # no respondent state or fixation carried into a staff session
            user_service.start_session(user, browser_binding())
            login_user(user)
            audit(user, "auth.login", f"user:{user.id}")
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or home_for(user))
        _audit_failed_login(form.username.data)
        form.password.errors = [_("用户名或密码错误，或账号已停用。")]
        status = 401
    return render_template("auth/login.html", form=form), status


def _too_soon(wait: float):
    """The answer to a log-in tried again too soon after failures (429, Retry-After)."""
    seconds = max(1, math.ceil(wait))
    response = current_app.make_response(render_template(
        "error.html", title=_("尝试次数过多"),
        message=_("该账号从本机登录失败次数过多，为防止密码被猜测，请 %(seconds)s 秒后再试。"
                  "如忘记密码，请联系系统管理员重置。", seconds=seconds)))
    response.status_code = 429
    g.retry_after = seconds  # (not the limiter's: web._own_retry_after)
    return response


def _audit_failed_login(username: str) -> None:
    """Record a failed log-in against an existing account (so admins see guessing in the
    audit log). What was typed as a user name is not recorded when it names no account:
    it might be a password typed into the wrong field."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is not None:
        audit(None, "auth.login_failed", f"user:{user.id}", username=user.username)
        db.session.commit()


@bp.post("/logout")
@login_required
def logout():
    audit(current_user, "auth.logout", f"user:{current_user.id}")
    user_service.end_session(current_user.session_token)  # the cookie signs nobody in again
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if authenticate(current_user.username, form.current.data) is None:
            form.current.errors = [_("当前密码不正确。")]
        else:
            try:
                user = current_user._get_current_object()
                set_password(user, form.password.data, user)  # ends every session …
                user_service.start_session(user, browser_binding())  # … but this one's
                login_user(user)
                db.session.commit()
                flash(_("密码已修改。"), "success")
                return redirect(home_for(current_user))
            except ServiceError as error:
                report_error(error, form)
    return render_template("auth/password.html", form=form)
