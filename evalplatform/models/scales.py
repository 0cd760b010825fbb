from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class AnswerScale(db.Model):
    """An answer scale of the library items are built from (services.scales).

    ``options``: ``{"label", "score" (None: unscored), "abstain" (不了解: counts towards
    response, never the score), "satisfied" (counts as satisfied)}`` in display order.
    ``scheme``: the built-in scheme that scores items on it ("satisfaction",
    "appraisal"), None for an unscored scale. Items copy the options when made, so
    editing a scale changes no campaign.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The built-in scale it was seeded from (None: made by an admin).
    key: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    options: Mapped[list] = mapped_column(JSON)
    scheme: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
