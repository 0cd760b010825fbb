"""JSON API under /api/v1, bearer-token authenticated, described by /api/v1/openapi.json."""

from __future__ import annotations

import io

from flask import Blueprint, g, jsonify, request, send_file, url_for
from sqlalchemy import select

from ..extensions import csrf, db
from ..models import Campaign
from ..scoring.engine import campaign_results
from ..services import ServiceError, questionnaire_file
from ..services import reports as report_service
from ..services.users import user_for_token
from .evaluator import participation_payload

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies: every request carries its bearer token

PUBLIC = {"api.openapi"}


def _error(status: int, message: str):
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="evalplatform"'
    return response


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        return _error(401, "missing or invalid bearer token")
    g.api_user = user
    return None


#: Ids are database integers: a larger number in the URL names no campaign (and must not
#: reach the database, which cannot compare it).
MAX_ID = 2**31 - 1  # (campaign.id is a 32-bit integer on PostgreSQL)


def _campaign(campaign_id: int) -> Campaign | None:
    if not 0 < campaign_id <= MAX_ID:
        return None
    return db.session.get(Campaign, campaign_id)


@bp.get("/campaigns")
def campaigns():
    rows = db.session.scalars(select(Campaign).order_by(Campaign.id)).all()
    return jsonify([{"id": c.id, "title": c.title, "status": c.status} for c in rows])


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    c = _campaign(campaign_id)
    if c is None:
        return _error(404, "no such campaign")
    return jsonify({
        "id": c.id, "title": c.title, "status": c.status, "issuer": c.issuer,
        "doc_number": c.doc_number, "phase": c.phase,
        "period_start": c.period_start.isoformat() if c.period_start else None,
        "period_end": c.period_end.isoformat() if c.period_end else None,
        "min_group_size": c.min_group_size,
        "units": [{"id": u.id, "name": u.name, "category": u.category} for u in c.units],
        "rater_groups": [{"id": grp.id, "name": grp.name, "weight": grp.weight}
                         for grp in c.groups],
    })


@bp.get("/campaigns/<int:campaign_id>/participation")
def participation(campaign_id: int):
    c = _campaign(campaign_id)
    if c is None:
        return _error(404, "no such campaign")
    payload = participation_payload(c)
    return jsonify({"groups": payload["groups"]})


@bp.get("/campaigns/<int:campaign_id>/results")
def results(campaign_id: int):
    """The campaign's results as on the results page; suppressed values are null."""
    c = _campaign(campaign_id)
    if c is None:
        return _error(404, "no such campaign")
    return jsonify(campaign_results(c).to_json())


@bp.get("/campaigns/<int:campaign_id>/bulletin.pdf")
def bulletin(campaign_id: int):
    """The bulletin, rendered now and kept with its hash like every generated document."""
    c = _campaign(campaign_id)
    if c is None:
        return _error(404, "no such campaign")
    try:
        document, data = report_service.bulletin_now(c, g.api_user)
    except ServiceError as error:
        db.session.rollback()
        return _error(409, error.message)
    response = send_file(io.BytesIO(data), mimetype=document.media_type,
                         download_name=document.filename, as_attachment=True)
    response.headers["X-Content-SHA256"] = document.sha256
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/campaigns/<int:campaign_id>/questionnaire")
def questionnaire(campaign_id: int):
    """The questionnaire as a file (the format the builder exports and imports)."""
    c = _campaign(campaign_id)
    if c is None:
        return _error(404, "no such campaign")
    return jsonify(questionnaire_file.export(c))


@bp.put("/campaigns/<int:campaign_id>/questionnaire")
def questionnaire_put(campaign_id: int):
    """Replace a draft's questionnaire (admins only); nothing changes on any error."""
    c = _campaign(campaign_id)
    if c is None:
        return _error(404, "no such campaign")
    if g.api_user.role != "admin":
        return _error(403, "only an admin's token may change a questionnaire")
    if not c.is_draft:
        return _error(409, "the campaign has opened: its questionnaire is frozen")
    try:
        data = questionnaire_file.loads(request.get_data(cache=False)[
            :questionnaire_file.MAX_BYTES + 1])
        questionnaire_file.import_questionnaire(c, data, g.api_user)
    except ServiceError as error:
        db.session.rollback()
        return _error(422, error.message)
    db.session.commit()
    return jsonify(questionnaire_file.export(c))


@bp.get("/openapi.json")
def openapi():
    from .openapi import spec

    return jsonify(spec(url_for("api.campaigns", _external=False).rsplit("/", 1)[0]))
