"""Helpers shared by the blueprints."""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..database import write_intent
from ..extensions import client_address, db, pseudonym
from ..i18n import gettext as _
from ..services import ServiceError, audit
from ..services.sheets import read_sheet


def require_role(*roles: str):
    """A before_request hook admitting only logged-in staff with one of these roles."""
    from ..extensions import login_manager

    def check():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in roles:
            abort(403)
        return None

    return check


def get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


@contextmanager
def refusal_shown(form=None):
    """Run a view's operation: a ServiceError rolls the transaction back and shows its
    message on ``form`` (on the field it names, else as a flash message), and the view
    goes on after the block to render the page again. The one place views roll back::

        with refusal_shown(form):
            unit_service.save_unit(...)
            return done(_("单位已保存。"), "admin.units")
        return render_template(...)
    """
    try:
        yield
    except ServiceError as error:
        db.session.rollback()
        report_error(error, form)


def done(message: str, endpoint: str, **values):
    """Commit what the view did, confirm it, and go on with a fresh GET (303)."""
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values), 303)


def report_error(error: ServiceError, form=None) -> None:
    """Show a refused operation's message on its form field, or as a flash message."""
    field = getattr(form, error.field, None) if (form is not None and error.field) else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def submitted(form) -> bool:
    """Whether this (prefixed) form is the one posted, when a page holds several."""
    prefix = form._prefix
    return request.method == "POST" and any(key.startswith(prefix) for key in request.form)


def safe_next(target: str | None) -> str | None:
    """A ``next=`` to follow, or None: only a path on this site. Refused: anything with a
    scheme or a host, ``//host`` and ``///host``, backslashes (``/\\host``), and control
    characters anywhere — browsers drop a tab or a line break, so ``/%09/host`` would
    become ``//host``, and CR/LF would split the Location header."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def browser_binding() -> str:
    """A keyed hash of the browser a staff session belongs to: its address (as the
    trusted proxies report it) and its user agent."""
    return pseudonym(f"{client_address()}\n{request.headers.get('User-Agent', '')}")


def reads_first(view):
    """Mark a view whose POST reads, and parses an upload, before it writes: its
    transactions start read-only (no write lock is held while a sheet is parsed); it
    writes in ``write_intent()`` when it is ready (see :func:`import_sheet`)."""
    view.reads_first = True
    return view


def import_sheet(upload, apply, *, refused: str, target: str):
    """Import an uploaded sheet: parsed (within limits) outside any write transaction,
    then ``apply(filename, rows)`` → a report with ``errors`` in one short write
    transaction, committed unless it found errors. A refused import — an unreadable or
    oversized file, wrong rows — changes nothing and is recorded in the audit log as
    ``refused``. Returns (report, message): the report (None if the file was refused) and
    the refusal's message (None if imported or rows were wrong)."""
    filename = upload.filename or ""
    data = upload.read()
    report = message = None
    try:
        rows = read_sheet(filename, data)
        db.session.commit()  # the reading transaction ends before the writing one begins
        with write_intent():
            report = apply(filename, rows)
            if not report.errors:
                db.session.commit()
                return report, None
            db.session.rollback()
    except ServiceError as error:
        db.session.rollback()
        message = error.message
    with write_intent():
        audit(current_user, refused, target, file=filename[:200],
              reason=(message or _("%(count)s 行有误", count=len(report.errors)))[:200])
        db.session.commit()
    return report, message
