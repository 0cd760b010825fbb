"""The data model. Importing this package registers every table on ``db.metadata``."""

from .audit import AuditEvent
from .ballots import Answer, Ballot, Comment
from .campaigns import Campaign, CampaignUnit, Item, RaterGroup
from .codes import AccessCode, CodeBatch
from .units import Unit
from .users import ApiToken, User

__all__ = [
    "AccessCode",
    "Answer",
    "ApiToken",
    "AuditEvent",
    "Ballot",
    "Campaign",
    "CampaignUnit",
    "CodeBatch",
    "Comment",
    "Item",
    "RaterGroup",
    "Unit",
    "User",
]
