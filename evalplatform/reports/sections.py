"""The sections scheme plugins add to pages and reports (the ``report_sections`` hook)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from ..models import Campaign
from ..plugins import hook
from ..scoring.results import CampaignResults


@dataclass(frozen=True)
class Section:
    """A plugin's section, its HTML marked safe (the hook promises escaped markup)."""

    title: str
    html: Markup


def plugin_sections(campaign: Campaign, results: CampaignResults, scheme_key: str,
                    place: str = "page", unit_id: int | None = None) -> list[Section]:
    """Sections the ``report_sections`` hook adds to a scheme's part of ``place``: the
    campaign's (``unit_id`` None) or one unit's."""
    found = []
    for batch in hook().report_sections(campaign=campaign, results=results,
                                        scheme_key=scheme_key, unit_id=unit_id):
        for section in batch or []:
            if place in section.places:
                found.append(Section(section.title, Markup(section.html)))  # noqa: S704
    return found
