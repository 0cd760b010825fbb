"""Small helpers shared across layers."""

from __future__ import annotations

import re
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


def local_time(value: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in the platform's time zone, for a message."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(current_app.config["TIMEZONE"])
                                                ).strftime(fmt)


def file_name(title: str, suffix: str) -> str:
    """A download's file name from a campaign's title: characters file systems refuse
    are replaced."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", title).strip() or "评议"
    return f"{name}-{suffix}"
