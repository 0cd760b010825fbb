"""Small helpers shared across layers."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current time in UTC, naive (as stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    return date.today()
