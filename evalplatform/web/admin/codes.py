"""Access codes (访问码): issue a batch and download it once, see the batches, void one."""

from __future__ import annotations

import io
import ipaddress
import re
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from ...database import set_write_intent
from ...extensions import db
from ...i18n import gettext as _
from ...i18n import ngettext
from ...models import Campaign, CodeBatch
from ...scoring.participation import participation
from ...services import ServiceError
from ...services import codes as code_service
from ..common import get_or_404, refusal_shown
from ..forms import ActionForm, IssueCodesForm, choices
from .base import Choice, bp, button, confirmation, confirmed

#: The browser's nonce for "the download has started" (static/codes.js), never the codes.
DOWNLOAD_TOKEN = re.compile(r"[A-Za-z0-9]{8,40}")


def _base_url() -> str:
    return current_app.config.get("PUBLIC_BASE_URL") or request.host_url


def loopback(url: str) -> bool:
    """Whether links to ``url`` lead to the device that opens them (127.0.0.1, ::1,
    localhost): a phone scanning a slip would find nothing there."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@bp.route("/campaigns/<int:campaign_id>/codes", methods=["GET", "POST"])
def campaign_codes(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    form = IssueCodesForm()
    form.rater_group.choices = choices((g.id, g.name) for g in c.groups)
    local = loopback(_base_url())
    if form.validate_on_submit() and local and not form.local_ok.data:
        form.local_ok.errors = [_("二维码和链接将指向本机地址 %(url)s，评议人的手机打不开。"
                                  "请按上方说明设置后再发放；只在本机试用时，勾选此项。",
                                  url=_base_url().rstrip("/"))]
    elif form.validate_on_submit():
        with refusal_shown(form):
            group, batch, plaintext = code_service.issue_batch(
                c, form.rater_group.data, form.count.data, with_slips=form.slips.data,
                user=current_user)
            db.session.commit()  # the codes exist before anyone can download them
            return _download(c, group, batch, plaintext, with_slips=form.slips.data)
    return render_template("admin/campaign_codes.html", campaign=c, form=form,
                           batches=code_service.batches(c), progress=participation(c),
                           action=ActionForm(), base_url=_base_url(), local=local)


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
    back = url_for("admin.campaign_codes", campaign_id=campaign_id)
    if not confirmed():
        # (nothing here tells how many of the batch voted: for a batch of one, that would
        # say whether its holder did)
        campaign = db.session.get(Campaign, campaign_id)
        return confirmation(campaign, _("作废第 %(batch)s 批访问码", batch=batch.id), [
            ngettext("这一批共发放 %(num)s 个访问码。其中尚未使用的将不能再使用，不能恢复；"
                     "已提交的评议票仍然有效。",
                     "这一批共发放 %(num)s 个访问码。其中尚未使用的将不能再使用，不能恢复；"
                     "已提交的评议票仍然有效。", batch.count),
            _("如访问码文件遗失或泄露，作废后可重新发放一批。")],
            [Choice(_("确认作废"))], back, lambda: code_service.check_revoke(batch))
    return button(lambda: code_service.revoke_batch(batch, current_user),
                  lambda _result: _("第 %(batch)s 批访问码已作废：其中尚未使用的不能再使用，"
                                    "已提交的评议票仍然有效。", batch=batch.id),
                  url_for("admin.campaign_codes", campaign_id=campaign_id))
