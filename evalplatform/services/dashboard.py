"""What the staff dashboards show of each campaign's participation: codes issued and used
per rater group (never per code), the totals, and the JSON the pages poll for live counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Campaign
from ..scoring.participation import GroupCodes, participation


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    groups: list[GroupCodes]

    @property
    def issued(self) -> int:
        return sum(g.issued for g in self.groups)

    @property
    def used(self) -> int:
        return sum(g.used for g in self.groups)

    @property
    def rate(self) -> float | None:
        return self.used / self.issued if self.issued else None


def campaigns() -> list[Campaign]:
    """Every campaign, the newest first."""
    return list(db.session.scalars(select(Campaign).order_by(Campaign.id.desc())))


def overview(rows: list[Campaign] | None = None) -> list[CampaignProgress]:
    """Participation of these campaigns (default: all, the newest first)."""
    return [CampaignProgress(c, participation(c)) for c in (campaigns() if rows is None else rows)]


def payload(campaign: Campaign, groups: list[GroupCodes] | None = None) -> dict:
    """One campaign's live participation, as ``static/participation.js`` reads it."""
    groups = participation(campaign) if groups is None else groups
    return {
        "campaign": campaign.id,
        "status": campaign.status,
        "groups": [{"name": g.name, "issued": g.issued, "used": g.used} for g in groups],
    }


def live(rows: list[CampaignProgress] | None = None) -> dict:
    """Every campaign's live participation, for the dashboards."""
    return {"campaigns": [payload(p.campaign, p.groups) for p in (rows or overview())]}
