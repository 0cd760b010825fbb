"""Evaluator pages (考评人员); admins see them too. Later issues add scheme configuration."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import select

from ..extensions import db
from ..models import Campaign
from ..services.codes import participation
from .common import get_or_404, require_role

bp = Blueprint("evaluator", __name__, url_prefix="/evaluator")
bp.before_request(require_role("evaluator", "admin"))


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


def participation_payload(c: Campaign) -> dict:
    return {
        "campaign": c.id,
        "status": c.status,
        "groups": [{"name": g.name, "issued": g.issued, "used": g.used}
                   for g in participation(c)],
    }
