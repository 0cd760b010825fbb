"""Evaluator pages (考评人员); admins see them too: progress, results, the Excel export."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask_login import current_user

from ..extensions import db
from ..i18n import gettext as _
from ..models import Campaign, Question
from ..scoring.engine import registered_schemes
from ..scoring.participation import participation
from ..services import ServiceError
from ..services import campaigns as campaign_service
from ..services import dashboard as dashboard_service
from ..services import sections as section_service
from . import results as results_view
from .common import get_or_404, refusal_shown, report_error, require_role
from .forms import ActionForm
from .routing import group_routes

bp = Blueprint("evaluator", __name__, url_prefix="/evaluator")
bp.before_request(require_role("evaluator", "admin"))
for _name, _filter in results_view.FILTERS.items():
    bp.add_app_template_filter(_filter, _name)


@bp.get("/")
def dashboard():
    return render_template("evaluator/dashboard.html", overview=dashboard_service.overview())


@bp.get("/participation.json")
def participation_all_json():
    """Live participation of every campaign, for the dashboards' progress bars (polled by
    static/participation.js)."""
    return jsonify(dashboard_service.live())


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    return render_template("evaluator/campaign.html", campaign=c, progress=participation(c),
                           pages=scheme_pages(c))


def scheme_pages(c: Campaign) -> list[tuple[str, str]]:
    """(label, URL) of the pages the campaign's enabled schemes bring (``Scheme.pages``)."""
    installed = registered_schemes()
    return [(label, url_for(endpoint, campaign_id=c.id)) for row in c.schemes
            if row.scheme in installed for label, endpoint in installed[row.scheme].pages]


@bp.get("/campaigns/<int:campaign_id>/participation.json")
def participation_json(campaign_id: int):
    """Live participation for the progress bars (polled by static/participation.js)."""
    c = get_or_404(Campaign, campaign_id)
    return jsonify(participation_payload(c))


def participation_payload(c: Campaign) -> dict:
    """One campaign's live participation (also the API's participation resource)."""
    return dashboard_service.payload(c)


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


# -- scoring schemes -----------------------------------------------------------------------

@bp.get("/campaigns/<int:campaign_id>/schemes")
def schemes(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    installed = registered_schemes()
    enabled = {row.scheme: row for row in c.schemes}
    return render_template("evaluator/schemes.html", campaign=c, installed=installed,
                           enabled=enabled, action=ActionForm(),
                           built_in={k for k, s in installed.items() if not s.contributes_items()})


@bp.route("/campaigns/<int:campaign_id>/schemes/<key>", methods=["GET", "POST"])
def scheme_config(campaign_id: int, key: str):
    c = get_or_404(Campaign, campaign_id)
    row = next((r for r in c.schemes if r.scheme == key), None)
    scheme = registered_schemes().get(key)
    if row is None or scheme is None:
        abort(404)
    labels = campaign_service.scheme_labels(c, key)
    config = (c.rules["schemes"][key]["config"] if c.rules and key in c.rules["schemes"]
              else scheme.normalize_config(row.config))
    form_class = scheme.config_form(labels)
    form = form_class(data=scheme.form_data(config, labels)) if form_class else None
    if form is not None and c.is_draft and form.validate_on_submit():
        with refusal_shown(form):
            campaign_service.configure_scheme(c, key, scheme.config_from_form(form, labels),
                                              current_user)
            db.session.commit()
            flash(_("“%(scheme)s”的配置已保存。", scheme=scheme.title), "success")
            return redirect(url_for("evaluator.schemes", campaign_id=c.id), 303)
    matrix = _scheme_matrix(c, key)
    return render_template(scheme.config_template or "evaluator/scheme_config.html",
                           campaign=c, scheme=scheme, form=form, config=config, labels=labels,
                           matrix=matrix, action=ActionForm(),
                           routing=matrix and section_service.routing(matrix, every_group=True),
                           unit_names={u.id: u.name for u in c.units})


def _scheme_matrix(c: Campaign, key: str) -> Question | None:
    """The unit matrix holding a scheme's own items (their section is the scheme's)."""
    return next((q for s in c.sections for q in s.questions if q.scheme == key), None)


@bp.post("/campaigns/<int:campaign_id>/schemes/<key>/routing")
def scheme_routing(campaign_id: int, key: str):
    """Which rater groups are asked a scheme's items, about which units (测评关系)."""
    c = get_or_404(Campaign, campaign_id)
    matrix = _scheme_matrix(c, key) or abort(404)
    return _scheme_action(c, lambda: section_service.route_matrix(
        matrix, group_routes(matrix, every_group=True), current_user),
        _("测评关系已保存。"), url_for("evaluator.scheme_config", campaign_id=c.id, key=key))


@bp.post("/campaigns/<int:campaign_id>/schemes/<key>/enable")
def scheme_enable(campaign_id: int, key: str):
    c = get_or_404(Campaign, campaign_id)
    return _scheme_action(c, lambda: campaign_service.enable_scheme(c, key, current_user),
                          _("评分方案已启用，其评价项目已加入评议表。"))


@bp.post("/campaigns/<int:campaign_id>/schemes/<key>/disable")
def scheme_disable(campaign_id: int, key: str):
    c = get_or_404(Campaign, campaign_id)
    return _scheme_action(c, lambda: campaign_service.disable_scheme(c, key, current_user),
                          _("评分方案已停用，其评价项目已从评议表移除。"))


def _scheme_action(c: Campaign, operation, message: str, back: str | None = None):
    try:
        operation()
    except ServiceError as error:
        db.session.rollback()
        report_error(error)
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(back or url_for("evaluator.schemes", campaign_id=c.id), 303)
