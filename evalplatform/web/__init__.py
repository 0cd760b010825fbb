"""Web layer: one blueprint per audience, plus shared security headers and errors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text

from ..extensions import db
from ..models import User
from . import admin, api, auth, evaluator, reports, respondent

API_ERRORS = {403: "forbidden", 404: "not found", 405: "method not allowed",
              413: "request too large", 500: "internal error"}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def register_web(app: Flask) -> None:
    from ..extensions import login_manager

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str):
        return db.session.get(User, int(user_id))

    for module in (respondent, auth, admin, evaluator, reports, api):
        app.register_blueprint(module.bp)

    zone = ZoneInfo(app.config["TIMEZONE"])

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
            "error.html", title="页面已过期",
            message="表单已失效或来源不明，请返回上一页刷新后重新提交。",
        ), 400

    for code, title, message in (
        (403, "无权访问", "您的账号没有访问此页面的权限。"),
        (404, "页面不存在", "您访问的页面不存在，请检查地址是否正确。"),
        (405, "请求方式不正确", "此页面不支持该操作。"),
        (413, "上传内容过大", "提交的内容超过了允许的大小，请缩小文件后重试。"),
        (500, "系统繁忙", "服务器暂时无法完成请求，请稍后重试。您提交的内容未被保存。"),
    ):
        app.register_error_handler(code, _error_page(code, title, message))


def _error_page(code: int, title: str, message: str):
    def handler(error):
        if request.path.startswith("/api/"):
            return jsonify(error=API_ERRORS.get(code, "error")), code
        return render_template("error.html", title=title, message=message), code

    return handler
