"""One-time access codes: generate, hash, issue in batches, redeem, count.

A code is 12 symbols of Crockford's base32 (60 random bits) shown as ``K7QM-2XRP-9TWD``.
Only ``HMAC-SHA256(CODE_HASH_KEY, code)`` is stored; the plaintext exists once, in the
download made when the batch is issued.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import DateTime, bindparam, insert, or_, select, update

from ..database import DriverStatement, write_intent
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from ..models import AccessCode, Campaign, CodeBatch, RaterGroup, User
from ..models.codes import CODE_NEW, CODE_USED, CODE_VOID
from ..util import utcnow
from . import ServiceError, audit

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 12
CODE_BITS = CODE_LENGTH * 5
# What people mistype for what they meant (Crockford's decoding rules).
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_INSERT_CHUNK = 5000


def generate_code() -> str:
    """A fresh random code, grouped for reading: ``XXXX-XXXX-XXXX``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(text: str) -> str | None:
    """The canonical 12-symbol form of what someone typed, or None if it cannot be a code.

    Case, spaces and dashes are ignored; O, I and L are read as 0, 1 and 1.
    """
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_CONFUSABLE)
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def hash_code(code: str) -> bytes:
    """The keyed hash under which a (normalized or formatted) code is stored."""
    canonical = normalize_code(code)
    if canonical is None:
        raise ValueError("not a code")
    key = current_app.config["CODE_HASH_KEY"].encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).digest()


def issue_codes(campaign: Campaign, group: RaterGroup, count: int, user) -> tuple[CodeBatch,
                                                                                  list[str]]:
    """Create a batch of ``count`` new codes for one rater group; return the plaintexts."""
    limit = current_app.config["CODES_MAX_BATCH"]
    if group.campaign_id != campaign.id:
        raise ServiceError(_("评议主体不属于该评议活动。"), field="rater_group")
    if not 1 <= count <= limit:
        raise ServiceError(_("每批可发放 1 至 %(limit)s 个访问码。", limit=limit), field="count")
    if campaign.status == "closed":
        raise ServiceError(_("评议活动已结束，不能再发放访问码。"))
    batch = CodeBatch(campaign_id=campaign.id, rater_group_id=group.id, count=count,
                      created_by=getattr(user, "id", None))
    db.session.add(batch)
    db.session.flush()
    codes = _unique_codes(count)
    rows = [
        {"campaign_id": campaign.id, "rater_group_id": group.id, "batch_id": batch.id,
         "code_hash": hash_code(code), "status": CODE_NEW}
        for code in codes
    ]
    for start in range(0, len(rows), _INSERT_CHUNK):
        db.session.execute(insert(AccessCode), rows[start : start + _INSERT_CHUNK])
    audit(user, "codes.issue", f"campaign:{campaign.id}", group=group.name, count=count,
          batch=batch.id)
    return batch, codes


def _unique_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(generate_code())
    return sorted(codes, key=lambda _: secrets.randbits(32))


def check_revoke(batch: CodeBatch) -> None:
    if batch.revoked_at is not None:
        raise ServiceError(_("该批访问码已作废。"))


def revoke_batch(batch: CodeBatch, user) -> None:
    """Void the unused codes of a batch (e.g. a lost download). How many were unused is
    told nowhere — not to the admin, not in the audit log: for a batch of one code it
    would say whether its holder voted."""
    check_revoke(batch)
    db.session.execute(
        update(AccessCode)
        .where(AccessCode.batch_id == batch.id, AccessCode.status == CODE_NEW)
        .values(status=CODE_VOID)
    )
    batch.revoked_at = utcnow()
    audit(user, "codes.revoke", f"campaign:{batch.campaign_id}", batch=batch.id,
          codes=batch.count)


def issue_batch(campaign: Campaign, group_id: int | None, count: int, *, with_slips: bool,
                user) -> tuple[RaterGroup, CodeBatch, list[str]]:
    """Issue ``count`` codes to one of the campaign's groups, refusing first a slip sheet
    too large to render in a request."""
    from ..reports.slips import check_slip_count

    group = next((g for g in campaign.groups if g.id == group_id), None)
    if group is None:
        raise ServiceError(_("请选择评议主体。"), field="rater_group")
    if with_slips:
        check_slip_count(count)
    batch, plaintext = issue_codes(campaign, group, count, user)
    return group, batch, plaintext


def batches(campaign: Campaign) -> list[tuple[CodeBatch, str | None]]:
    """The campaign's batches, newest first, with who issued each."""
    return db.session.execute(
        select(CodeBatch, User.username)
        .outerjoin(User, User.id == CodeBatch.created_by)
        .where(CodeBatch.campaign_id == campaign.id).order_by(CodeBatch.id.desc())
    ).all()


def batch_download(campaign: Campaign, group: RaterGroup, batch: CodeBatch,
                   plaintext: list[str], base_url: str, *, with_slips: bool,
                   user) -> tuple[bytes, str]:
    """The one download of a batch's plaintext codes — a ZIP of the CSV, with the slips
    PDF when asked — and its file stem; made after the batch is committed.

    Rendering slips takes seconds: call this holding no write lock (respondents submitting
    ballots would wait, then fail). If it fails, nobody will ever see these codes, so the
    batch is voided, in a transaction of its own (the one place a service commits: the
    refusal must not be undone by the caller's rollback), and a ServiceError says so.
    """
    from ..reports.slips import codes_zip

    stem = f"codes-campaign{campaign.id}-batch{batch.id}"
    try:
        archive = codes_zip(campaign, group.name, plaintext, base_url, with_slips=with_slips,
                            stem=stem)
    except Exception:
        current_app.logger.exception("download of code batch %s failed", batch.id)
        db.session.rollback()
        with write_intent():
            revoke_batch(db.session.get(CodeBatch, batch.id), user)
            db.session.commit()
        raise ServiceError(_("生成下载文件失败，该批访问码已作废，请重新发放。")) from None
    return archive, stem


# -- respondents ---------------------------------------------------------------------------

REFUSALS = {
    "malformed": lazy_gettext(
        "访问码格式不正确。访问码由 12 位字母和数字组成，例如 K7QM-2XRP-9TWD，请核对后重新输入。"),
    "unknown": lazy_gettext("未找到该访问码，请核对后重新输入。如仍有问题，请联系发放访问码的工作人员。"),
    "used": lazy_gettext("该访问码已经提交过评议。每个访问码只能使用一次，感谢您的参与。"),
    "void": lazy_gettext("该访问码已作废，请联系发放访问码的工作人员。"),
    "draft": lazy_gettext("该评议活动尚未开始，请在活动开始后再使用访问码。"),
    "closed": lazy_gettext("该评议活动已经结束，感谢您的关注。"),
    "closing": lazy_gettext("该评议活动即将结束，不再接受新的评议，感谢您的关注。"),
    "stale": lazy_gettext("评议表已更新，您的评议未保存。请重新打开访问码链接，按新的评议表填写。"),
}


class CodeRefused(ServiceError):
    """A code that cannot be used now; ``reason`` is a key of REFUSALS."""

    def __init__(self, reason: str):
        super().__init__(str(REFUSALS[reason]))
        self.reason = reason


@dataclass(frozen=True)
class CodeAccess:
    """What a valid code gives access to. Deliberately carries no code id."""

    code_hash: bytes
    campaign_id: int
    rater_group_id: int


def check_code(text: str) -> CodeAccess:
    """Look a typed code up and say whether a ballot can be begun with it now (not while
    the campaign is closing)."""
    canonical = normalize_code(text)
    if canonical is None:
        raise CodeRefused("malformed")
    return check_code_hash(hash_code(canonical), entering=True)


def check_code_hash(code_hash: bytes, entering: bool = False) -> CodeAccess:
    """Like check_code, for a code already hashed (kept in the respondent's session: a
    ballot begun before the close was asked may go on until the campaign closes)."""
    return _access(code_hash, db.session.connection().execute(
        _check_statement(), {"hash": code_hash}).first(), entering)


def _access(code_hash: bytes, row, entering: bool = False) -> CodeAccess:
    """What check_code_hash's row says: the access, or CodeRefused with the reason."""
    if row is None:
        raise CodeRefused("unknown")
    campaign_id, group_id, code_status, campaign_status, closes_at = row
    if isinstance(closes_at, str):  # a driver's row (SQLite stores times as text)
        closes_at = datetime.fromisoformat(closes_at)
    if code_status == CODE_USED:
        raise CodeRefused("used")
    if code_status == CODE_VOID:
        raise CodeRefused("void")
    if campaign_status != "open":
        raise CodeRefused(campaign_status)
    if closes_at is not None:
        if closes_at <= utcnow():
            raise CodeRefused("closed")
        if entering:
            raise CodeRefused("closing")
    return CodeAccess(code_hash, campaign_id, group_id)


@functools.cache
def _check_statement():
    """check_code_hash's SELECT, built once: every code entry and ballot page runs it."""
    codes, campaigns = AccessCode.__table__, Campaign.__table__
    return (select(codes.c.campaign_id, codes.c.rater_group_id, codes.c.status,
                   campaigns.c.status, campaigns.c.closes_at)
            .join(campaigns, campaigns.c.id == codes.c.campaign_id)
            .where(codes.c.code_hash == bindparam("hash")))


def _spend_statement():
    """The conditional UPDATE of spend_code."""
    codes, campaigns = AccessCode.__table__, Campaign.__table__
    # FOR SHARE (PostgreSQL; SQLite has one writer anyway): closing a campaign, which
    # updates its row, waits for ballots being stored, and a ballot stored after the
    # close began sees the campaign closed. Without it a ballot could be accepted while
    # the closing transaction takes the results snapshot, and be missing from it.
    open_campaigns = (select(campaigns.c.id)
                      .where(campaigns.c.status == "open",
                             campaigns.c.rules_sha256 == bindparam("rules"),
                             or_(campaigns.c.closes_at.is_(None),
                                 campaigns.c.closes_at > bindparam("now", type_=DateTime())))
                      .with_for_update(read=True))
    return (update(codes)
            .where(codes.c.code_hash == bindparam("hash"), codes.c.status == CODE_NEW,
                   codes.c.campaign_id == bindparam("campaign"),
                   codes.c.campaign_id.in_(open_campaigns))
            .values(status=CODE_USED)
            .returning(codes.c.rater_group_id))


@functools.lru_cache(maxsize=8)
def _spend_statements(dialect) -> tuple[DriverStatement, DriverStatement]:
    """spend_code's UPDATE and check_code_hash's SELECT, compiled once for a dialect."""
    return DriverStatement(_spend_statement(), dialect), DriverStatement(_check_statement(), dialect)


def spend_code(code_hash: bytes, campaign_id: int, rules_sha256: str, cursor, dialect
               ) -> CodeAccess:
    """Mark a code used, atomically; raise CodeRefused if it cannot be used.

    One conditional UPDATE decides: of any number of concurrent calls with one code,
    exactly one succeeds. Run it with a DB-API ``cursor`` of the transaction that
    stores the ballot. The code is spent only for the campaign the ballot was checked
    against (``campaign_id``), while it is open and its rules have the hash the ballot
    was checked against (``rules_sha256``).
    """
    spend, check = _spend_statements(dialect)
    row = spend.execute(cursor, {"hash": code_hash, "campaign": campaign_id,
                                 "rules": rules_sha256, "now": utcnow()}).fetchone()
    if row is None:
        # raises with the precise reason; if the code is usable, another condition
        # failed: the ballot was checked against another campaign's form, or rules that
        # are not the campaign's any more
        _access(code_hash, check.execute(cursor, {"hash": code_hash}).fetchone())
        raise CodeRefused("stale")
    return CodeAccess(code_hash, campaign_id, row[0])


