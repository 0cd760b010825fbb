"""Editing a campaign's bulletin letterhead (see reports.letterhead for how it is used)."""

from __future__ import annotations

from ..extensions import db
from ..models import Campaign, ReportSettings
from ..reports.letterhead import DEFAULTS, LetterheadError, check_text
from . import ServiceError, audit

#: Fields kept on ReportSettings; the issuing body and document number are the campaign's.
TEXT_FIELDS = ("title", "recipients", "opening", "closing", "signature", "copy_to")
FIELDS = (*TEXT_FIELDS, "issued_on", "unit_comments")


def settings_for(campaign: Campaign) -> ReportSettings:
    """The campaign's settings, or unsaved ones holding the default texts (to edit)."""
    found = db.session.get(ReportSettings, campaign.id)
    if found is not None:
        return found
    return ReportSettings(campaign_id=campaign.id, unit_comments=True,
                          **{f: DEFAULTS.get(f, "") for f in TEXT_FIELDS})


def save(campaign: Campaign, user, *, issuer: str | None, doc_number: str | None, **values
         ) -> ReportSettings:
    for name in TEXT_FIELDS:
        text = (values.get(name) or "").strip()
        try:
            check_text(text)
        except LetterheadError as error:
            raise ServiceError(str(error), field=name) from None
        values[name] = text
    settings = settings_for(campaign)
    for name in FIELDS:
        setattr(settings, name, values.get(name))
    settings.unit_comments = bool(values.get("unit_comments"))
    campaign.issuer, campaign.doc_number = (issuer or "").strip(), (doc_number or "").strip()
    db.session.add(settings)
    audit(user, "bulletin.letterhead", f"campaign:{campaign.id}")
    return settings
