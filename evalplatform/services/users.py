"""Staff accounts, passwords and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..i18n import gettext as _
from ..models import ApiToken, StaffSession, User
from ..models.users import ROLES
from ..util import utcnow
from . import ServiceError, audit

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
PASSWORD_MIN = 10
# A hash to check against when the user does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not a password")


def all_users() -> list[User]:
    return db.session.scalars(select(User).order_by(User.username)).all()


def create_user(username: str, role: str, password: str, actor=None,
                display_name: str = "") -> User:
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise ServiceError(_("用户名为 2–64 位字母、数字、点、下划线或连字符。"), field="username")
    if role not in ROLES:
        raise ServiceError(_("角色只能是管理员或考评人员。"), field="role")
    if db.session.scalar(select(User).where(User.username == username)):
        raise ServiceError(_("用户名“%(name)s”已存在。", name=username), field="username")
    user = User(username=username, role=role, display_name=display_name.strip(),
                password_hash=_hash(password))
    db.session.add(user)
    db.session.flush()
    audit(actor, "user.create", f"user:{user.id}", username=username, role=role)
    return user


def set_password(user: User, password: str, actor=None) -> None:
    """A new password; every session of the account ends (the caller starts a fresh one
    for the browser that changed it)."""
    user.password_hash = _hash(password)
    end_sessions(user)
    audit(actor, "user.password", f"user:{user.id}")


def update_user(user: User, role: str, active: bool, display_name: str, actor) -> None:
    if role not in ROLES:
        raise ServiceError(_("角色只能是管理员或考评人员。"), field="role")
    if user.id == getattr(actor, "id", None) and (role != "admin" or not active):
        raise ServiceError(_("不能取消自己的管理员权限或停用自己的账号。"))
    if (role, active) != (user.role, user.active):
        end_sessions(user)  # signed in as what it no longer is
    user.role, user.active, user.display_name = role, active, display_name.strip()
    audit(actor, "user.update", f"user:{user.id}", role=role, active=active)


# -- signed-in browsers --------------------------------------------------------------------

def start_session(user: User, binding: str) -> str:
    """Sign a browser in: a new random token (set on ``user.session_token``, which the
    cookie keeps), stored as its SHA-256 with the browser's ``binding``."""
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, binding=binding))
    user.session_token = token
    return token


def user_for_session(token: str, binding: str, lifetime: timedelta) -> User | None:
    """The active account a session token signs in, from the browser it was started in and
    within its lifetime; None otherwise (from another browser, the cookie was copied)."""
    if not token:
        return None
    row = db.session.get(StaffSession, _token_hash(token))
    if row is None or row.binding != binding or row.created_at < utcnow() - lifetime:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    user.session_token = token
    return user


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def end_sessions(user: User) -> None:
    """End every session of the account."""
    db.session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def _hash(password: str) -> str:
    if len(password or "") < PASSWORD_MIN:
        raise ServiceError(_("密码至少 %(min)s 位。", min=PASSWORD_MIN), field="password")
    return generate_password_hash(password)


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (in constant-ish time)."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, actor=None) -> str:
    """A new API token for the user; the plaintext is returned once and not stored."""
    token = "ep_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token)))
    audit(actor or user, "user.token", f"user:{user.id}")
    return token


def user_for_token(token: str) -> User | None:
    if not token:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or not row.user.active:
        return None
    return row.user
