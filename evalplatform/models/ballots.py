from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Ballot(db.Model):
    """A submitted ballot. Its id is random and it stores the day, never the time.

    Nothing here (or anywhere) refers to the access code that was used.
    """

    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    rater_group_id: Mapped[int] = mapped_column(ForeignKey("rater_group.id", ondelete="CASCADE"))
    submitted_on: Mapped[date]
    #: The answers, packed as the frozen rules lay out a ballot of its rater group
    #: (scoring.layout: a byte per matrix cell asked, then choices and numbers). The
    #: rules are frozen when the campaign opens and never change after, so this is the
    #: complete record; one row per ballot is what a submission writes and scoring reads.
    cells: Mapped[bytes] = mapped_column(LargeBinary)

    comments: Mapped[list[Comment]] = relationship(cascade="all, delete-orphan",
                                                   passive_deletes=True)


class Comment(db.Model):
    """Free text left on a ballot, about one unit or (unit_id None) the campaign."""

    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ballot_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ballot.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    #: The open question answered (scoring.layout), None for a comment.
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"))


class SealMark(db.Model):
    """How many ballots a campaign had when it was last sealed (services.seal): a campaign
    with more has ballots whose storage may still tie them to their codes. Written only
    by the seal itself, never by a ballot's transaction."""

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    ballots: Mapped[int] = mapped_column(default=0)
    sealed_at: Mapped[datetime | None]
