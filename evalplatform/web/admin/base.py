"""The admin blueprint and the helpers its pages share."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request

from ...extensions import db
from ...services import ServiceError
from ..common import report_error, require_role

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_role("admin"))


def page_form(cls, prefix: str, **kwargs):
    """One of several forms on a page. It reads the request only when it is the form that
    was posted; the others show their current values, not an empty submission (an
    unticked 启用 box would otherwise disable the account on the next save)."""
    posted = request.method == "POST" and any(key.startswith(f"{prefix}-")
                                              for key in request.form)
    return cls(prefix=prefix, **kwargs) if posted else cls(prefix=prefix, formdata=None,
                                                            **kwargs)


def button(operation, message, back: str, done: str | None = None):
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
