"""Operations on the model. No Flask request objects here; callers commit once.

A service either succeeds or raises :class:`ServiceError` with a message meant for the
person who asked, having changed nothing it could not roll back.
"""

from __future__ import annotations

from ..extensions import db
from ..models import AuditEvent


class ServiceError(Exception):
    """An operation was refused; ``str(error)`` is a message for the user, in their
    language (services are called in a request; elsewhere, in the default language)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def audit(user, action: str, target: str = "", **detail) -> None:
    """Record a staff action in the audit log (never call this for respondents)."""
    db.session.add(
        AuditEvent(user_id=getattr(user, "id", None), action=action, target=target,
                   detail=detail)
    )
