"""Access codes (访问码): issue a batch and download it once, see the batches, void one."""

from __future__ import annotations

import io
import re

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from ...database import set_write_intent
from ...extensions import db
from ...i18n import gettext as _
from ...models import Campaign, CodeBatch
from ...scoring.participation import participation
from ...services import ServiceError
from ...services import codes as code_service
from ..common import get_or_404, refusal_shown
from ..forms import ActionForm, IssueCodesForm, choices
from .base import bp, button

#: The browser's nonce for "the download has started" (static/codes.js), never the codes.
DOWNLOAD_TOKEN = re.compile(r"[A-Za-z0-9]{8,40}")


def _base_url() -> str:
    return current_app.config.get("PUBLIC_BASE_URL") or request.host_url


@bp.route("/campaigns/<int:campaign_id>/codes", methods=["GET", "POST"])
def campaign_codes(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    form = IssueCodesForm()
    form.rater_group.choices = choices((g.id, g.name) for g in c.groups)
    if form.validate_on_submit():
        with refusal_shown(form):
            group, batch, plaintext = code_service.issue_batch(
                c, form.rater_group.data, form.count.data, with_slips=form.slips.data,
                user=current_user)
            db.session.commit()  # the codes exist before anyone can download them
            return _download(c, group, batch, plaintext, with_slips=form.slips.data)
    return render_template("admin/campaign_codes.html", campaign=c, form=form,
                           batches=code_service.batches(c), progress=participation(c),
                           action=ActionForm(), base_url=_base_url())


def _download(c: Campaign, group, batch: CodeBatch, plaintext: list[str], *, with_slips: bool):
    """The one download of a batch's plaintext codes, made after they are committed and
    holding no write lock (rendering slips takes seconds)."""
    set_write_intent(False)  # from here on this request only reads
    try:
        archive, stem = code_service.batch_download(c, group, batch, plaintext, _base_url(),
                                                    with_slips=with_slips, user=current_user)
    except ServiceError as error:  # the batch was voided: say so on the codes page
        flash(error.message, "error")
        return redirect(url_for("admin.campaign_codes", campaign_id=c.id), 303)
    response = send_file(io.BytesIO(archive), mimetype="application/zip", as_attachment=True,
                         download_name=f"{stem}.zip")
    token = request.form.get("download_token", "")
    if DOWNLOAD_TOKEN.fullmatch(token):
        # tells static/codes.js that the download has started (its progress bar ends)
        response.set_cookie("codes_download", token, max_age=120, path=url_for(
            "admin.campaign_codes", campaign_id=c.id), samesite="Strict",
            secure=request.is_secure)
    return response


@bp.post("/campaigns/<int:campaign_id>/codes/<int:batch_id>/revoke")
def campaign_codes_revoke(campaign_id: int, batch_id: int):
    batch = get_or_404(CodeBatch, batch_id)
    if batch.campaign_id != campaign_id:
        abort(404)
    return button(lambda: code_service.revoke_batch(batch, current_user),
                  lambda _result: _("第 %(batch)s 批访问码已作废：其中尚未使用的不能再使用，"
                                    "已提交的评议票仍然有效。", batch=batch.id),
                  url_for("admin.campaign_codes", campaign_id=campaign_id))
