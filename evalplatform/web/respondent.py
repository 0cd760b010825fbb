"""The respondent's pages: enter a code, fill the ballot, see the receipt.

The code appears in a URL only on the first request (``/s/<code>``, what QR codes point
to); it is then kept, hashed, in the session and the browser is sent to ``/survey``.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from markupsafe import Markup

from ..database import driver_transaction, write_intent
from ..extensions import db, limiter
from ..models import Campaign, RaterGroup
from ..services import seal
from ..services.ballots import (
    Questionnaire,
    check_ballot_rules,
    current_questionnaire,
    forget_questionnaire,
    last_questionnaire,
    parse_ballot,
    submit_ballot,
)
from ..services.codes import CodeRefused, check_code, check_code_hash
from .forms import CodeForm

bp = Blueprint("respondent", __name__)

REFUSAL_STATUS = {"malformed": 404, "unknown": 404, "used": 410, "void": 410,
                  "draft": 403, "closed": 403, "closing": 403, "stale": 409}


def _refused(error: CodeRefused):
    for key in ("code", "campaign", "group"):
        session.pop(key, None)
    return render_template("respondent/refused.html", error=error), REFUSAL_STATUS[error.reason]


def _grid(q: Questionnaire, grids: dict | None) -> Markup | None:
    """A fresh ballot's units and items, rendered once per language (for a long ballot
    this is most of the page's work, and it is the same for every respondent)."""
    if grids is None:
        return None
    language = str(get_locale())
    grid = grids.get(language)
    if grid is None:
        html = render_template("respondent/_sections.html", q=q, ballot=None, preview=False)
        grid = grids[language] = Markup(html)  # noqa: S704 (a rendered, escaped template)
    return grid


def _start(access):
    session["code"] = access.code_hash.hex()
    session["campaign"] = access.campaign_id
    session["group"] = access.rater_group_id
    session.pop("receipt", None)
    return redirect(url_for("respondent.survey"), 303)


@bp.route("/", methods=["GET", "POST"])
@limiter.limit("RATELIMIT_CODE", methods=["POST"])
@limiter.limit("RATELIMIT_CODE_LOOKUP", methods=["POST"], counts="every")
def index():
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            return _start(check_code(form.code.data))
        except CodeRefused as error:
            form.code.errors = [error.message]
            status = REFUSAL_STATUS[error.reason]
    elif form.errors:
        status = 400
    return render_template("respondent/index.html", form=form), status


@bp.get("/s/<code>")
@limiter.limit("RATELIMIT_CODE")
@limiter.limit("RATELIMIT_CODE_LOOKUP", counts="every")
def enter(code: str):
    try:
        return _start(check_code(code))
    except CodeRefused as error:
        return _refused(error)


@bp.route("/survey", methods=["GET", "POST"])
def survey():
    stored = session.get("code")
    if not stored:
        if "receipt" in session:
            return redirect(url_for("respondent.done"), 303)
        return redirect(url_for("respondent.index"), 303)
    try:
        code_hash = bytes.fromhex(stored)
    except ValueError:
        return _refused(CodeRefused("unknown"))
    if request.method == "POST":
        # The usual case reads nothing before it writes: the questionnaire this process
        # built for the campaign (frozen while it is open) checks the ballot, then one
        # short write transaction spends the code, which also proves that the code is
        # still usable and the campaign's rules still those the ballot was checked against.
        q = last_questionnaire(session.get("campaign"), session.get("group"))
        if q is not None:
            with write_intent(False):
                ballot = parse_ballot(q, request.form)
                check_ballot_rules(q, ballot)
                if db.session.registry.has() and db.session().in_transaction():
                    db.session.commit()  # ends a read a plugin's rule may have made
            if ballot.valid:
                return _submit(code_hash, q, ballot)
    # A page to show (the form, or the ballot back with its errors): read in a plain
    # transaction, which on SQLite never waits for writers.
    ballot, status = None, 200
    with write_intent(False):
        try:
            access = check_code_hash(code_hash)
        except CodeRefused as error:
            return _refused(error)
        campaign = db.session.get(Campaign, access.campaign_id)
        q, grids = current_questionnaire(campaign, access.rater_group_id)
        if request.method == "POST":
            ballot = parse_ballot(q, request.form)
            check_ballot_rules(q, ballot)
            if ballot.valid:  # this process had not built the questionnaire yet
                db.session.commit()
                return _submit(code_hash, q, ballot)
            status = 422
        group = db.session.get(RaterGroup, access.rater_group_id)
        return render_template("respondent/survey.html", q=q, group=group, campaign=campaign,
                               ballot=ballot, grid=_grid(q, grids) if ballot is None else None
                               ), status


def _submit(code_hash: bytes, q, ballot):
    """Spend the code and store the ballot in one short write transaction (on a driver
    connection of its own: nothing for the ORM session to track)."""
    try:
        with driver_transaction(db.engine) as connection:
            receipt = submit_ballot(code_hash, q, ballot, connection)
        seal.ballot_stored(q.campaign_id)
    except CodeRefused as error:
        if error.reason == "stale":
            forget_questionnaire(q.campaign_id)
        return _refused(error)
    for key in ("code", "campaign", "group"):
        session.pop(key, None)
    session["receipt"] = {"title": receipt.campaign_title,
                          "date": receipt.submitted_on.isoformat(),
                          "units": receipt.units_rated}
    return redirect(url_for("respondent.done"), 303)


@bp.get("/done")
def done():
    receipt = session.get("receipt")
    if not receipt:
        return redirect(url_for("respondent.index"), 303)
    return render_template("respondent/done.html", receipt=receipt,
                           submitted_on=date.fromisoformat(receipt["date"]))
