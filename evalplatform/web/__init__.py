"""Web layer: one blueprint per audience, plus shared security headers and errors."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Flask,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc, text
from werkzeug.exceptions import BadRequest, MethodNotAllowed

from .. import database, i18n
from ..extensions import db, limiter
from ..i18n import N_
from ..i18n import gettext as _
from ..services import campaigns as campaign_service
from ..services import seal
from ..services import users as user_service
from ..services.questionnaires import option_label
from . import admin, api, auth, evaluator, reports, respondent
from .common import browser_binding, safe_next

API_ERRORS = {400: "bad request", 403: "forbidden", 404: "not found",
              405: "method not allowed", 413: "request too large",
              429: "too many requests", 500: "internal error", 503: "service unavailable"}
#: Seconds a client is asked to wait after the database was busy.
BUSY_RETRY_AFTER = 5
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once for a set
    of keys instead of twice a request (it is stateless, so threads may share it)."""

    def __init__(self):
        self._serializers: dict = {}

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer


#: Blueprints of staff pages (the respondent's never wait for a campaign to close).
STAFF_BLUEPRINTS = {"admin", "evaluator", "reports", "checklist", "api"}


def register_web(app: Flask) -> None:
    from ..extensions import login_manager

    app.session_interface = SessionInterface()

    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("请先登录。")
    login_manager.localize_callback = _
    # Sessions are kept on the server, bound to the browser (services.users): Flask-Login's
    # own binding would trust the first X-Forwarded-For entry, which the client writes.
    login_manager.session_protection = None

    @login_manager.user_loader
    def _load_user(token: str):
        return user_service.user_for_session(
            token, browser_binding(), timedelta(hours=float(app.config["STAFF_SESSION_HOURS"])))

    for module in (respondent, auth, admin, evaluator, reports, api):
        app.register_blueprint(module.bp)

    @app.after_request
    def _own_retry_after(response):
        """A view's own Retry-After (``g.retry_after``) over the limiter's, which it sets
        on every limited answer (this hook is registered first, so it runs last)."""
        if "retry_after" in g:
            response.headers["Retry-After"] = str(g.retry_after)
        return response
    # after the blueprints: it wraps their rate-limited views. Wrong API tokens count as
    # failed log-ins (only they: a 404 behind a good token counts for nothing).
    limiter.init_app(app, blueprints={"api": ("RATELIMIT_LOGIN", "unauthenticated")})

    seal.also_at_each_look(app, campaign_service.close_due)

    @app.before_request
    def _close_due_campaigns():
        """A campaign whose grace period is over closes before any staff page shows it
        (each worker's sealer also looks, every SEAL_INTERVAL)."""
        if (request.blueprint or "") in STAFF_BLUEPRINTS:
            campaign_service.close_due()

    @app.before_request
    def _refuse_nul_characters():
        """No text typed into a form contains NUL; PostgreSQL cannot store it and would
        fail the request half-way. Refuse it up front, whatever the page."""
        values = [*request.args.values(), *request.form.values(),
                  *(f.filename or "" for f in request.files.values())]
        if any("\x00" in value for value in values):
            # a Chinese description is shown to the visitor, translated (see _bad_request)
            raise BadRequest(N_("提交的内容含有无效字符（空字符），请删除后重新提交。"))

    zone = ZoneInfo(app.config["TIMEZONE"])

    app.add_template_filter(option_label, "option_label")

    @app.template_filter("local")
    def _local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC time shown in the configured time zone (Beijing time by default)."""
        return value.replace(tzinfo=UTC).astimezone(zone).strftime(fmt) if value else ""

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # the database is unreachable: report, do not raise
            return jsonify(status="error", database="unreachable"), 503
        return jsonify(status="ok")

    @app.get("/lang/<code>")
    def choose_language(code: str):
        """Keep the visitor's language in a cookie and go back to the page they were on."""
        if code not in i18n.LANGUAGES:
            abort(404)
        response = redirect(safe_next(request.args.get("next")) or url_for("respondent.index"))
        response.set_cookie(i18n.COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=app.config["SESSION_COOKIE_SECURE"])
        return response

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_template(
            "error.html", title=_("页面已过期"),
            message=_("表单已失效或来源不明，请返回上一页刷新后重新提交。"),
        ), 400

    @app.errorhandler(429)
    def _too_many(error):
        wait = _retry_after()
        if request.path.startswith("/api/"):
            response = jsonify(error=API_ERRORS[429])
        else:
            minutes = max(1, math.ceil(wait / 60))
            if request.blueprint == "auth":
                message = _("登录失败次数过多，为防止密码被猜测，请 %(minutes)s 分钟后再试。"
                            "如忘记密码，请联系系统管理员重置。", minutes=minutes)
            else:
                message = _("访问码输入错误次数过多，为防止访问码被猜测，请 %(minutes)s 分钟后再试。"
                            "请核对纸条上的访问码；如仍无法进入，请联系发放访问码的工作人员。",
                            minutes=minutes)
            response = current_app.make_response(
                render_template("error.html", title=_("尝试次数过多"), message=message))
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(exc.OperationalError)
    @app.errorhandler(exc.TimeoutError)
    def _database_busy(error):
        """The database is locked, busy, restarting or out of connections: nothing of the
        request was committed (the transaction is rolled back here), so say so and ask
        the person to try again — never a 500."""
        db.session.rollback()
        # The page must not touch the database that just failed: shown as to a visitor
        # (no account menu), and any read would not queue for the writer lock again.
        database.set_write_intent(False)
        g._login_user = current_app.login_manager.anonymous_user()
        current_app.logger.warning("database busy or unavailable: %s %s: %s", request.method,
                                   request.endpoint, type(getattr(error, "orig", error)).__name__)
        if request.path.startswith("/api/"):
            response = jsonify(error=API_ERRORS[503])
        else:
            if request.endpoint == "respondent.survey" and request.method == "POST":
                page = {"message": _("系统繁忙，请稍后重试，您的评议未保存。您的访问码仍然有效，"
                                     "请稍候片刻，返回评议表重新提交。"),
                        "back_url": url_for("respondent.survey"),
                        "back_label": _("返回评议表")}
            elif request.method in ("GET", "HEAD"):
                page = {"message": _("系统繁忙，请稍后刷新页面重试。")}
            else:
                page = {"message": _("系统繁忙，请稍后重试，您提交的内容未保存。")}
            response = current_app.make_response(
                render_template("error.html", title=_("系统繁忙"), **page))
        response.status_code = 503
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response

    @app.errorhandler(exc.DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(error):
        """A value the database cannot hold (a number too large for its column, on
        PostgreSQL also a text too long): the request is refused and nothing is kept.
        Views should catch these first; this is the net under them. In a page's address
        such a number is an id that names nothing: not found."""
        db.session.rollback()
        current_app.logger.warning("value out of range: %s %s", request.method, request.endpoint,
                                   exc_info=error)
        if request.method in ("GET", "HEAD"):
            return _not_found(error)
        if request.path.startswith("/api/"):
            return jsonify(error=API_ERRORS[400]), 400
        return render_template(
            "error.html", title=_("提交的内容有误"),
            message=_("提交的内容超出了允许的范围（数字过大或文字过长），未保存。"
                      "请返回上一页修改后重新提交。")), 400

    @app.errorhandler(BadRequest)
    def _bad_request(error):
        """Malformed requests (CSRFError has its own handler above)."""
        if request.path.startswith("/api/"):
            return jsonify(error=API_ERRORS[400]), 400
        # the app's own refusals are written in Chinese (message ids); werkzeug's are not
        message = _(error.description) if _is_chinese(error.description) else \
            _("提交的内容无法识别，请返回上一页检查后重新提交。")
        return render_template("error.html", title=_("提交的内容有误"), message=message), 400

    _not_found = _error_page(404, *ERROR_PAGES[404])
    for code, (title, message) in ERROR_PAGES.items():
        app.register_error_handler(code, _error_page(code, title, message))


def _retry_after() -> int:
    """Seconds until the rate limit that refused this request lets the client in again."""
    state = current_app.extensions.get("evalplatform.limiter")
    current = state.current_limit if state is not None else None
    if current is None:
        return 60
    try:
        return max(1, math.ceil(current.reset_at - time.time()))
    except Exception:  # the limiter's storage went away meanwhile: a safe guess
        return 60


def _is_chinese(text: str | None) -> bool:
    return bool(text) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


#: The error pages: title and message (message ids, translated when shown).
ERROR_PAGES = {
    403: (N_("无权访问"), N_("您的账号没有访问此页面的权限。")),
    404: (N_("页面不存在"), N_("您访问的页面不存在，请检查地址是否正确。")),
    405: (N_("请求方式不正确"), N_("此页面不支持该操作。")),
    413: (N_("上传内容过大"), N_("提交的内容超过了允许的大小，请缩小文件后重试。")),
    500: (N_("系统繁忙"), N_("服务器暂时无法完成请求，请稍后重试。您提交的内容未被保存。")),
}


def _error_page(code: int, title: str, message: str):
    def handler(error):
        if request.path.startswith("/api/"):
            response = jsonify(error=API_ERRORS.get(code, "error"))
        else:
            response = current_app.make_response(
                render_template("error.html", title=_(title), message=_(message)))
        response.status_code = code
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)  # required with 405
        return response

    return handler
