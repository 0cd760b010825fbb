"""Evaluator pages (考评人员); admins see them too: progress, results, the Excel export."""

from __future__ import annotations

import io

from flask import Blueprint, abort, jsonify, render_template, send_file
from sqlalchemy import select

from ..extensions import db
from ..models import Campaign
from ..services.codes import participation
from . import results as results_view
from .common import get_or_404, require_role

bp = Blueprint("evaluator", __name__, url_prefix="/evaluator")
bp.before_request(require_role("evaluator", "admin"))
for _name, _filter in results_view.FILTERS.items():
    bp.add_app_template_filter(_filter, _name)


@bp.get("/")
def dashboard():
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.id.desc())).all()
    progress = {c.id: participation(c) for c in campaigns}
    return render_template("evaluator/dashboard.html", campaigns=campaigns, progress=progress)


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    return render_template("evaluator/campaign.html", campaign=c, progress=participation(c))


@bp.get("/campaigns/<int:campaign_id>/participation.json")
def participation_json(campaign_id: int):
    """Live participation for the progress bars (polled by static/participation.js)."""
    c = get_or_404(Campaign, campaign_id)
    return jsonify(participation_payload(c))


@bp.get("/campaigns/<int:campaign_id>/results")
def results(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    return render_template("evaluator/results.html", **results_view.results_page(c))


@bp.get("/campaigns/<int:campaign_id>/results/<scheme_key>/units/<int:unit_id>")
def unit_results(campaign_id: int, scheme_key: str, unit_id: int):
    c = get_or_404(Campaign, campaign_id)
    context = results_view.unit_page(c, scheme_key, unit_id)
    if context is None:
        abort(404)
    return render_template("evaluator/unit_results.html", **context)


@bp.get("/campaigns/<int:campaign_id>/results.xlsx")
def results_xlsx(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    data, filename = results_view.workbook(c)
    response = send_file(io.BytesIO(data), mimetype=results_view.XLSX_MIMETYPE,
                         as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def participation_payload(c: Campaign) -> dict:
    return {
        "campaign": c.id,
        "status": c.status,
        "groups": [{"name": g.name, "issued": g.issued, "used": g.used}
                   for g in participation(c)],
    }
