"""Small helpers shared across layers."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current time in UTC, naive (as stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    return date.today()


def local_today() -> date:
    """Today in the platform's time zone (TIMEZONE: documents are dated in it)."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()
