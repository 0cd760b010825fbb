"""The evaluator's page: a campaign's inspection notes, and a form to add one."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired

from evalplatform.formkit import choices
from evalplatform.i18n import gettext as _
from evalplatform.i18n import lazy_gettext
from evalplatform.models import Campaign
from evalplatform.web.common import done, get_or_404, refusal_shown, require_role

from . import notes

bp = Blueprint("example", __name__, url_prefix="/example", template_folder="templates")
bp.before_request(require_role("evaluator", "admin"))


class NoteForm(FlaskForm):
    unit = SelectField(lazy_gettext("单位"), coerce=int)
    text = TextAreaField(lazy_gettext("督查记录"),
                         validators=[InputRequired(lazy_gettext("请填写督查记录。"))])


@bp.route("/campaigns/<int:campaign_id>/notes", methods=["GET", "POST"])
def campaign_notes(campaign_id: int):
    campaign = get_or_404(Campaign, campaign_id)
    form = NoteForm()
    form.unit.choices = choices((u.id, u.name) for u in campaign.units)
    if form.validate_on_submit():
        with refusal_shown(form):
            notes.add_note(campaign, form.unit.data, form.text.data, current_user)
            return done(_("督查记录已保存。"), "example.campaign_notes", campaign_id=campaign.id)
    return render_template("example/notes.html", campaign=campaign, form=form,
                           notes=notes.notes_of(campaign))
