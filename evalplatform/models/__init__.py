"""The data model. Importing this package registers every table on ``db.metadata``."""

from .audit import AuditEvent
from .ballots import Ballot, Comment, SealMark
from .campaigns import Campaign, CampaignScheme, CampaignUnit, Item, RaterGroup, ResultSnapshot
from .codes import AccessCode, CodeBatch
from .reports import Document, Job, ReportSettings
from .units import Unit
from .users import ApiToken, StaffSession, User

__all__ = [
    "AccessCode",
    "ApiToken",
    "AuditEvent",
    "Ballot",
    "Campaign",
    "CampaignScheme",
    "CampaignUnit",
    "CodeBatch",
    "Comment",
    "Document",
    "Item",
    "Job",
    "RaterGroup",
    "ReportSettings",
    "ResultSnapshot",
    "SealMark",
    "StaffSession",
    "Unit",
    "User",
]
