"""Operations on the model. No Flask request objects here; callers commit once.

A service either succeeds or raises :class:`ServiceError` with a message meant for the
person who asked, having changed nothing it could not roll back.
"""

from __future__ import annotations

from ..errors import ServiceError
from ..extensions import db
from ..models import AuditEvent

__all__ = ["ServiceError", "audit"]


def audit(user, action: str, target: str = "", **detail) -> None:
    """Record a staff action in the audit log (never call this for respondents)."""
    db.session.add(
        AuditEvent(user_id=getattr(user, "id", None), action=action, target=target,
                   detail=detail)
    )
