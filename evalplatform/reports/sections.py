"""The sections schemes add to pages and reports (``Scheme.report_sections``)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from ..models import Campaign
from ..scoring.engine import registered_schemes
from ..scoring.results import CampaignResults


@dataclass(frozen=True)
class Section:
    """A plugin's section, its HTML marked safe (the hook promises escaped markup)."""

    title: str
    html: Markup


def plugin_sections(campaign: Campaign, results: CampaignResults, scheme_key: str,
                    place: str = "page", unit_id: int | None = None) -> list[Section]:
    """Sections the scheme ``scheme_key`` adds to its part of ``place``: the campaign's
    (``unit_id`` None) or one unit's; none when its plugin is not installed."""
    scheme = registered_schemes().get(scheme_key)
    if scheme is None:
        return []
    return [Section(section.title, Markup(section.html))  # noqa: S704 (the method promises
            for section in scheme.report_sections(campaign, results, unit_id) or []  # markup)
            if place in section.places]
