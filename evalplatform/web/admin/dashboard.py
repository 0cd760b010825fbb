"""The admin's home: every campaign with its phase and participation."""

from __future__ import annotations

from flask import render_template

from ...services import campaigns as campaign_service
from ...services import dashboard as dashboard_service
from .base import bp


@bp.get("/")
def dashboard():
    overview = dashboard_service.overview()
    return render_template("admin/dashboard.html", overview=overview,
                           missing=campaign_service.missing_plugins(
                               [p.campaign for p in overview]))
