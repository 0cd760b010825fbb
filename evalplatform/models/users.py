from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext
from ..util import utcnow

ROLES = ("admin", "evaluator")
ROLE_LABELS = {"admin": lazy_gettext("管理员"), "evaluator": lazy_gettext("考评人员")}


class User(UserMixin, db.Model):
    """A staff account: an admin (管理员) or an evaluator (考评人员). Respondents have none."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    #: The signed-in browser's session token (set when a session is started or found):
    #: what Flask-Login keeps in the cookie instead of the account's id.
    session_token: ClassVar[str | None] = None  # (an instance attribute once set)

    def get_id(self) -> str:
        if not self.session_token:
            raise RuntimeError("a staff session is started with services.users.start_session")
        return self.session_token

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS.get(self.role, self.role))


class ApiToken(db.Model):
    """A bearer token for the JSON API, stored as its SHA-256."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="tokens")


class StaffSession(db.Model):
    """A signed-in staff browser, kept on the server so that it can be ended: on log-out,
    a password change, a change of role and a deactivation. The cookie holds a random
    token; only its SHA-256 is stored, with a keyed hash of the browser (user agent and
    address) it was started from."""

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    binding: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
