"""The data model. Importing this package registers every table on ``db.metadata``."""

from .audit import AuditEvent
from .ballots import Ballot, Comment, SealMark
from .campaigns import (
    Campaign,
    CampaignScheme,
    CampaignUnit,
    Item,
    Question,
    RaterGroup,
    ResultSnapshot,
    Section,
)
from .codes import AccessCode, CodeBatch
from .reports import Document, Job, ReportSettings
from .scales import AnswerScale
from .units import Unit
from .users import ApiToken, StaffSession, User

__all__ = [
    "AccessCode",
    "AnswerScale",
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
    "Question",
    "RaterGroup",
    "ReportSettings",
    "ResultSnapshot",
    "Section",
    "SealMark",
    "StaffSession",
    "Unit",
    "User",
]
