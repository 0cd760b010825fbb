"""The evaluator's pages: reviews unit by unit, the rectification ledger, evidence files.

Views load what the URL names, hand the form to a service, commit once and redirect; a
refused operation rolls back (and removes any file it wrote) and shows why.
"""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from evalplatform.extensions import db
from evalplatform.formkit import choices
from evalplatform.i18n import gettext as _
from evalplatform.i18n import ngettext
from evalplatform.models import Campaign
from evalplatform.services import ServiceError
from evalplatform.web.common import get_or_404, import_sheet, reads_first, report_error, require_role

from . import evidence, forms, ledger, reviews
from .labels import shown
from .models import OVERDUE, STATUSES, ChecklistEntry, RectificationItem

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bp = Blueprint("checklist", __name__, url_prefix="/checklist", template_folder="templates",
               static_folder="static")
bp.before_request(require_role("evaluator", "admin"))
bp.add_app_template_filter(shown, "checklist_label")


def _load(campaign_id: int) -> tuple[Campaign, dict]:
    """The campaign and its checklist configuration; a page saying so when the campaign
    does not use the checklist scheme."""
    campaign = get_or_404(Campaign, campaign_id)
    config = reviews.campaign_config(campaign)
    if config is None:
        abort(make_response(render_template("checklist/not_enabled.html", campaign=campaign), 404))
    return campaign, config


def _number(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _unit_param(campaign: Campaign):
    raw = request.args.get("unit_id", "")
    if not raw:
        return None
    number = _number(raw)
    unit = reviews.check_unit(campaign, number) if number is not None else None
    if unit is None:
        abort(404)
    return unit


# -- reviews -------------------------------------------------------------------------------

@bp.get("/campaigns/<int:campaign_id>/reviews", endpoint="reviews")
def reviews_index(campaign_id: int):
    campaign, config = _load(campaign_id)
    return render_template("checklist/reviews.html", campaign=campaign, config=config,
                           progress=reviews.progress(campaign, config, reviews.local_today()),
                           locked=reviews.locked_reason(campaign))


@bp.route("/campaigns/<int:campaign_id>/reviews/<int:unit_id>", methods=["GET", "POST"])
def review_unit(campaign_id: int, unit_id: int):
    campaign, config = _load(campaign_id)
    unit = reviews.check_unit(campaign, unit_id) or abort(404)
    form_class = forms.review_form(config)
    entries = reviews.unit_entries(campaign, unit)
    form = form_class() if request.method == "POST" else \
        form_class(data=forms.review_data(config, entries))
    errors: dict[str, list[str]] = {}
    status = 200
    if form.validate_on_submit():
        files = evidence.FileBatch()
        try:
            outcome = reviews.record_reviews(campaign, unit, forms.review_inputs(form, config),
                                             current_user, files)
        except ServiceError as error:
            db.session.rollback()
            files.rolled_back()
            errors = getattr(error, "errors", {})
            flash(error.message, "error")
            status = 422
        else:
            db.session.commit()
            files.committed()
            flash(_saved_message(unit.name, outcome), "success")
            return redirect(url_for(".review_unit", campaign_id=campaign.id, unit_id=unit.id), 303)
    units = campaign.units
    position = next(k for k, u in enumerate(units) if u.id == unit.id)
    return render_template(
        "checklist/review.html", campaign=campaign, config=config, unit=unit, form=form,
        entries=entries, errors=errors, field_id=forms.field_id,
        previous=units[position - 1] if position else None,
        next=units[position + 1] if position + 1 < len(units) else None,
        locked=reviews.locked_reason(campaign), today=reviews.local_today(),
        limit=evidence.size_text(evidence.max_bytes()),
        progress=reviews.progress(campaign, config, reviews.local_today())), status


def _saved_message(name: str, outcome: reviews.ReviewOutcome) -> str:
    parts = [ngettext("已保存“%(unit)s”的 %(num)s 项检查结果", "已保存“%(unit)s”的 %(num)s 项检查结果",
                      outcome.saved, unit=name) if outcome.saved
             else _("“%(unit)s”的检查结果没有变化", unit=name)]
    if outcome.problems_added:
        parts.append(ngettext("%(num)s 个不符合项已列入整改台账", "%(num)s 个不符合项已列入整改台账",
                              outcome.problems_added))
    if outcome.problems_removed:
        parts.append(ngettext("%(num)s 个整改事项因检查结果改为符合而撤销",
                              "%(num)s 个整改事项因检查结果改为符合而撤销", outcome.problems_removed))
    if outcome.problems_kept:
        parts.append(ngettext("%(num)s 个整改事项已有整改记录，予以保留",
                              "%(num)s 个整改事项已有整改记录，予以保留", len(outcome.problems_kept)))
    return _("，").join(parts) + _("。")


@bp.get("/campaigns/<int:campaign_id>/entries/<int:entry_id>/evidence")
def entry_evidence(campaign_id: int, entry_id: int):
    entry = db.session.get(ChecklistEntry, entry_id)
    if entry is None or entry.campaign_id != campaign_id:
        abort(404)
    return _send_evidence(entry)


def _send_evidence(holder):
    path = evidence.path_for(holder.evidence_file)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=holder.evidence_type or "application/octet-stream",
                         as_attachment=True, download_name=holder.evidence_name or path.name,
                         max_age=0, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# -- the rectification ledger --------------------------------------------------------------

@bp.get("/campaigns/<int:campaign_id>/ledger", endpoint="ledger")
def ledger_page(campaign_id: int):
    campaign, config = _load(campaign_id)
    unit = _unit_param(campaign)
    wanted = request.args.get("status", "")
    today = reviews.local_today()
    items = reviews.ledger_items(campaign, unit.id if unit else None)
    counts = {s: 0 for s in (*STATUSES, OVERDUE)}
    for item in items:
        counts[item.display_status(today)] += 1
    if wanted in counts:
        items = [i for i in items if i.display_status(today) == wanted]
    new_form = forms.NewItemForm(prefix="new-")
    new_form.unit_id.choices = choices([("", _("请选择"))] + [(str(u.id), u.name) for u in campaign.units])
    if unit is not None:
        new_form.unit_id.data = str(unit.id)
    return render_template("checklist/ledger.html", campaign=campaign, config=config, unit=unit,
                           items=items, counts=counts, wanted=wanted, today=today,
                           new_form=new_form)


@bp.post("/campaigns/<int:campaign_id>/ledger/new")
def ledger_new(campaign_id: int):
    campaign = _load(campaign_id)[0]
    form = forms.NewItemForm(prefix="new-")
    form.unit_id.choices = choices((str(u.id), u.name) for u in campaign.units)
    raw = form.unit_id.data or ""
    if form.validate_on_submit():
        try:
            item = ledger.add_item(campaign, _number(raw),
                                   form.problem.data or "", current_user)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("整改事项已添加，请填写整改措施、责任人和整改时限。"), "success")
            return redirect(url_for(".rectification", campaign_id=campaign.id, rect_id=item.id), 303)
    return redirect(url_for(".ledger", campaign_id=campaign.id), 303)


@bp.route("/campaigns/<int:campaign_id>/rectifications/<int:rect_id>", methods=["GET", "POST"])
def rectification(campaign_id: int, rect_id: int):
    campaign = _load(campaign_id)[0]
    item = db.session.get(RectificationItem, rect_id)
    if item is None or item.campaign_id != campaign.id:
        abort(404)
    manual = item.entry_id is None
    form = forms.RectificationForm() if request.method == "POST" else forms.RectificationForm(data={
        "problem": item.problem, "measure": item.measure, "responsible": item.responsible,
        "deadline": item.deadline.isoformat() if item.deadline else "",
        "status": item.status,
        "completed_on": item.completed_on.isoformat() if item.completed_on else ""})
    status = 200
    if form.validate_on_submit():
        files = evidence.FileBatch()
        today = reviews.local_today()
        try:
            changed = ledger.update_item(item, forms.rectification_changes(form, manual),
                                         current_user, today, forms.upload_of(form.evidence.data),
                                         files)
        except ServiceError as error:
            db.session.rollback()
            files.rolled_back()
            report_error(error, form)
            if error.field == "evidence":
                form.evidence.errors = [error.message]
            status = 422
        else:
            db.session.commit()
            files.committed()
            flash(_("整改事项已更新。") if changed else _("整改事项没有变化。"), "success")
            return redirect(url_for(".ledger", campaign_id=campaign.id,
                                    unit_id=item.unit_id) + f"#item-{item.id}", 303)
    return render_template("checklist/rectification.html", campaign=campaign, item=item,
                           form=form, manual=manual, today=reviews.local_today(),
                           limit=evidence.size_text(evidence.max_bytes())), status


@bp.get("/campaigns/<int:campaign_id>/rectifications/<int:rect_id>/evidence")
def rectification_evidence(campaign_id: int, rect_id: int):
    item = db.session.get(RectificationItem, rect_id)
    if item is None or item.campaign_id != campaign_id:
        abort(404)
    return _send_evidence(item)


@bp.get("/campaigns/<int:campaign_id>/ledger.xlsx")
def ledger_xlsx(campaign_id: int):
    campaign = _load(campaign_id)[0]
    unit = _unit_param(campaign)
    data = ledger.export_workbook(campaign, reviews.local_today(), unit)
    response = send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=ledger.export_filename(campaign, unit))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/campaigns/<int:campaign_id>/ledger/import", methods=["GET", "POST"])
@reads_first
def ledger_import(campaign_id: int):
    campaign = _load(campaign_id)[0]
    form = forms.LedgerImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        today = reviews.local_today()
        report, refused = import_sheet(
            form.sheet.data,
            lambda name, rows: ledger.import_ledger(campaign, name, rows, current_user, today),
            refused="rectification.import_refused", target=f"campaign:{campaign.id}")
        if refused is None and not report.errors:
            flash(_("导入完成：更新 %(updated)s 项，%(unchanged)s 项没有变化。",
                    updated=report.updated, unchanged=report.unchanged), "success")
            return redirect(url_for(".ledger", campaign_id=campaign.id), 303)
        if refused is not None:
            form.sheet.errors = [refused]
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template("checklist/import.html", campaign=campaign, form=form,
                           report=report), status
