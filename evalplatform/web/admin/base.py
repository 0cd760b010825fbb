"""The admin blueprint and the helpers its pages share."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, flash, redirect, render_template, request

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


@dataclass(frozen=True)
class Choice:
    """A button of a confirmation page: its label, style and the fields it posts."""

    label: str
    style: str = "danger"
    fields: dict = field(default_factory=dict)


def confirmed() -> bool:
    """Whether an irreversible action's POST comes from its confirmation page. Every
    button for one posts without it first and gets the page (works without JavaScript)."""
    return request.form.get("confirm") == "yes"


def confirmation(campaign, title: str, consequences: list[str], choices: list[Choice],
                 back: str, check=None):
    """The page that states what an irreversible action will do before it is done; or,
    when ``check()`` refuses it already, back with the reason."""
    from ..forms import ActionForm

    if check is not None:
        try:
            check()
        except ServiceError as error:
            db.session.rollback()
            report_error(error)
            return redirect(back, 303)
    return render_template("admin/confirm.html", campaign=campaign, title=title,
                           consequences=consequences, choices=choices, back=back,
                           action=request.path, form=ActionForm())
