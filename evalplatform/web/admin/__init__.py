"""Admin console (管理员), one module per area: the dashboard, units, campaigns (settings,
units, rater groups, questionnaire, letterhead), codes, accounts and the audit log. All
routes are on one blueprint, ``admin``, for admins only."""

from __future__ import annotations

from . import accounts, campaigns, codes, dashboard, questionnaire, scales, units
from .base import bp

__all__ = ["accounts", "bp", "campaigns", "codes", "dashboard", "questionnaire", "scales", "units"]
