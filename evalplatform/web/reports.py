"""Reports and exports (evaluators and admins): the bulletin and units' reports as
background jobs with progress, generated documents with their hashes, checking a file,
the Excel and CSV exports."""

from __future__ import annotations

import io
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user

from ..extensions import db
from ..i18n import gettext as _
from ..models import Campaign, Document, Job
from ..reports.ballots_csv import ballots_csv
from ..services import ServiceError
from ..services import documents as document_service
from ..services import jobs as job_service
from ..services import reports as report_service
from .common import get_or_404, report_error, require_role
from .evaluator import scheme_pages
from .forms import ActionForm, VerifyForm

bp = Blueprint("reports", __name__, url_prefix="/evaluator")
bp.before_request(require_role("evaluator", "admin"))

JOB_KINDS = ("bulletin", "unit_reports")


def _download(data: bytes | Path, filename: str, mimetype: str):
    body = io.BytesIO(data) if isinstance(data, bytes) else data
    response = send_file(body, mimetype=mimetype, as_attachment=True, download_name=filename,
                         conditional=False, etag=False)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/campaigns/<int:campaign_id>/reports")
def index(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    return render_template("evaluator/reports.html", campaign=c, action=ActionForm(),
                           verify=VerifyForm(), jobs=job_service.recent(c),
                           job_view=job_service.view,
                           documents=document_service.documents(c),
                           scheme_pages=scheme_pages(c))


@bp.post("/campaigns/<int:campaign_id>/reports/<kind>")
def start(campaign_id: int, kind: str):
    c = get_or_404(Campaign, campaign_id)
    if kind not in JOB_KINDS:
        abort(404)
    try:
        job, new = job_service.start(c, kind, current_user)
    except ServiceError as error:
        db.session.rollback()
        report_error(error)
        return redirect(url_for("reports.index", campaign_id=c.id), 303)
    job_id, label = job.id, job.kind_label  # read before the commit expires them
    db.session.commit()
    if new:
        job_service.dispatch(job_id)
        flash(_("已开始生成%(document)s，完成后可在下方下载。", document=label), "success")
    else:
        flash(_("%(document)s正在生成中，请等候完成。", document=label), "info")
    return redirect(url_for("reports.index", campaign_id=c.id, _anchor=f"job-{job_id}"), 303)


@bp.get("/jobs/<job_id>.json")
def job_status(job_id: str):
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    data = job_service.view(job)
    if job.document_id:
        data["download"] = url_for("reports.document", document_id=job.document_id)
    return jsonify(data)


@bp.get("/documents/<int:document_id>")
def document(document_id: int):
    doc = get_or_404(Document, document_id)
    path = document_service.path_of(doc)
    if path is None:
        abort(410)
    return _download(path, doc.filename, doc.media_type)


@bp.get("/campaigns/<int:campaign_id>/units/<int:unit_id>/report.pdf")
def unit_report(campaign_id: int, unit_id: int):
    """One unit's report, made on the spot (a few pages: well inside a request)."""
    c = get_or_404(Campaign, campaign_id)
    unit = report_service.unit_of(c, unit_id)
    if unit is None:
        abort(404)
    try:
        doc, data = report_service.make_and_store(
            c, lambda: report_service.make_unit_report(c, unit), current_user,
            kind="unit_report", unit_id=unit.id)
    except ServiceError as error:
        db.session.rollback()
        report_error(error)
        return redirect(url_for("reports.index", campaign_id=c.id), 303)
    return _download(data, doc.filename, doc.media_type)


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    """Check a file against the documents the platform made."""
    form = VerifyForm()
    found = None
    if form.validate_on_submit():
        found = document_service.find(form.document.data.read())
    return render_template("evaluator/verify.html", form=form, found=found)


@bp.get("/campaigns/<int:campaign_id>/ballots.csv")
def ballots(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    try:
        export = ballots_csv(c)
    except ServiceError as error:
        report_error(error)
        return redirect(url_for("reports.index", campaign_id=c.id), 303)
    return _download(export.data, export.filename, "text/csv")  # (+ charset=utf-8)
