"""Participation: codes issued and used per rater group, never per code (a query the
results, the dashboards and the API all read)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import AccessCode, Campaign, CodeBatch
from ..models.codes import CODE_USED


@dataclass(frozen=True)
class GroupCodes:
    """A rater group's codes: issued (in batches not voided) and used."""

    group_id: int
    name: str
    issued: int
    used: int

    @property
    def rate(self) -> float | None:
        return self.used / self.issued if self.issued else None


def participation(campaign: Campaign) -> list[GroupCodes]:
    """Codes issued and used per rater group (never per code), in group order.

    Issued counts the codes of batches that were not voided, whatever each code's state:
    voiding a batch then changes the counts the same whether or not its codes were used
    (voiding a one-code batch must not tell whether its holder voted)."""
    counts = db.session.execute(
        select(AccessCode.rater_group_id, CodeBatch.revoked_at.is_(None), AccessCode.status,
               func.count())
        .join(CodeBatch, CodeBatch.id == AccessCode.batch_id)
        .where(AccessCode.campaign_id == campaign.id)
        .group_by(AccessCode.rater_group_id, CodeBatch.revoked_at.is_(None), AccessCode.status)
    ).all()
    issued: dict[int, int] = {}
    used: dict[int, int] = {}
    for group_id, valid_batch, status, n in counts:
        if valid_batch:
            issued[group_id] = issued.get(group_id, 0) + n
        if status == CODE_USED:
            used[group_id] = used.get(group_id, 0) + n
    return [GroupCodes(g.id, g.name, issued.get(g.id, 0), used.get(g.id, 0))
            for g in campaign.groups]
