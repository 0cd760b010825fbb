"""Inspection notes: the plugin's service (no Flask request objects; callers commit)."""

from __future__ import annotations

from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.i18n import gettext as _
from evalplatform.models import Campaign, Unit
from evalplatform.services import ServiceError, audit

from .models import MAX_NOTE, ExampleNote


def add_note(campaign: Campaign, unit_id: int | None, text: str, user) -> ExampleNote:
    unit = next((u for u in campaign.units if u.id == unit_id), None)
    if unit is None:
        raise ServiceError(_("请选择本评议活动的被评单位。"), field="unit")
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请填写督查记录。"), field="text")
    if len(text) > MAX_NOTE:
        raise ServiceError(_("督查记录最多 %(max)s 字。", max=MAX_NOTE), field="text")
    note = ExampleNote(campaign_id=campaign.id, unit_id=unit.id, text=text,
                       author_id=getattr(user, "id", None))
    db.session.add(note)
    db.session.flush()
    audit(user, "example.note", f"campaign:{campaign.id}", unit=unit.id, note=note.id)
    return note


def notes_of(campaign: Campaign) -> list[tuple[ExampleNote, str]]:
    """The campaign's notes, oldest first, with their unit's name."""
    return db.session.execute(
        select(ExampleNote, Unit.name).join(Unit, Unit.id == ExampleNote.unit_id)
        .where(ExampleNote.campaign_id == campaign.id).order_by(ExampleNote.id)).all()
