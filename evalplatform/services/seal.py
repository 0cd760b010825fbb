"""Sealing: what the database keeps beyond its columns must not tie a ballot to its code.

A ballot is stored in the transaction that marks its code used — the only way to be sure
that a code counts once and a ballot is never lost. The columns never link the two, but
the storage does, for a while:

- **PostgreSQL** stamps every row with the id of the transaction that wrote it (the
  hidden ``xmin`` column, readable by anyone who can read the table) and appends new rows
  to the end of the table, so a dump lists ballots and used codes in submission order.
- **SQLite** keeps ballots in the order of their random ids, but within each page of the
  table (and of its indexes) a row's bytes sit where free space was when it arrived, so
  the layout of a page still follows the order of submission; and its write-ahead log
  holds each transaction's pages together until a checkpoint.

Sealing rewrites all of a campaign's ballots and their comments (and on PostgreSQL its
used codes) in one transaction, each table in random order: afterwards they all carry the
sealing transaction's id and their places are random. Deleted bytes are overwritten
(SQLite's ``secure_delete``, set on every connection) or vacuumed (PostgreSQL), and
SQLite's log is checkpointed and truncated.

A campaign is sealed when it closes (in the closing transaction), within
``SEAL_INTERVAL`` seconds of a ballot while it is open, and on demand
(``flask --app wsgi ballots seal``, e.g. before a backup). The background seal does not
depend on any one process: ``seal_mark`` records how many ballots a campaign had when it
was last sealed, and every web process (a thread started with the worker) looks at each
multiple of the interval for open campaigns with more ballots than that, so a ballot
stored just before its worker was restarted or killed is sealed all the same. The first
process to look in an interval seals; the others find it done. What is left in between is
stated in docs/security.md.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import zlib
from datetime import UTC

from flask import Flask, current_app
from sqlalchemy import func, select, text

from ..database import write_intent
from ..extensions import db
from ..models import Ballot, Campaign, SealMark
from ..util import utcnow

log = logging.getLogger(__name__)

#: The statements of one seal, in order, in one transaction (each temporary table is
#: dropped at the end: SQLite has no ON COMMIT DROP).
_REWRITE = (
    "CREATE TEMP TABLE sealed_ballot AS SELECT * FROM ballot WHERE campaign_id = :campaign",
    "CREATE TEMP TABLE sealed_comment AS "
    "SELECT * FROM comment WHERE ballot_id IN (SELECT id FROM sealed_ballot)",
    "DELETE FROM comment WHERE id IN (SELECT id FROM sealed_comment)",
    "DELETE FROM ballot WHERE id IN (SELECT id FROM sealed_ballot)",
    "INSERT INTO ballot SELECT * FROM sealed_ballot ORDER BY random()",
    "INSERT INTO comment SELECT * FROM sealed_comment ORDER BY random()",
    "DROP TABLE sealed_comment",
    "DROP TABLE sealed_ballot",
)
#: PostgreSQL also rewrites the used codes, whose new versions carry the ballots'
#: transaction id; the advisory lock keeps two processes from sealing one campaign at
#: once (each would re-insert rows the other deleted).
_POSTGRES = (
    "SELECT pg_advisory_xact_lock(:lock)",
    "CREATE TEMP TABLE sealed_code AS "
    "SELECT * FROM access_code WHERE campaign_id = :campaign AND status = 'used'",
    "DELETE FROM access_code WHERE id IN (SELECT id FROM sealed_code)",
    "INSERT INTO access_code SELECT * FROM sealed_code ORDER BY random()",
    "DROP TABLE sealed_code",
)


#: Attempts at truncating SQLite's log while readers come and go, each waiting this long
#: for them (milliseconds) while holding the writers' lock.
CHECKPOINT_TRIES = 3
CHECKPOINT_WAIT_MS = 50


def _lock_key(campaign_id: int) -> int:
    return zlib.crc32(f"evalplatform.seal:{campaign_id}".encode())


def _ballots(campaign_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Ballot.campaign_id == campaign_id))


def needs_seal(campaign_id: int) -> bool:
    """Whether ballots arrived since the campaign was last sealed."""
    mark = db.session.get(SealMark, campaign_id)
    return _ballots(campaign_id) != (mark.ballots if mark else 0)


def rewrite(campaign_id: int) -> None:
    """Seal the campaign's rows in the current (writing) transaction; the caller commits."""
    postgres = db.engine.dialect.name == "postgresql"
    params = {"campaign": campaign_id, "lock": _lock_key(campaign_id)}
    statements = (*_POSTGRES[:1], *_REWRITE, *_POSTGRES[1:]) if postgres else _REWRITE
    for statement in statements:
        db.session.execute(text(statement), params)
    mark = db.session.get(SealMark, campaign_id) or SealMark(campaign_id=campaign_id)
    mark.ballots, mark.sealed_at = _ballots(campaign_id), utcnow()
    db.session.add(mark)


def seal(campaign_id: int, *, not_since: float | None = None) -> bool:
    """Seal one campaign now if ballots arrived since its last seal, in a transaction of
    its own, and clear what the old rows left behind. Returns whether it rewrote rows.

    ``not_since`` (a Unix time): leave it alone if it was sealed since then (another
    process got there first)."""
    db.session.commit()  # an open read would keep the old versions (or the log) alive
    with write_intent():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(_POSTGRES[0]), {"lock": _lock_key(campaign_id)})
        mark = db.session.get(SealMark, campaign_id)
        recent = (mark is not None and mark.sealed_at is not None and not_since is not None
                  and mark.sealed_at.replace(tzinfo=UTC).timestamp() >= not_since)
        due = _ballots(campaign_id) != (mark.ballots if mark else 0) and not recent
        if due:
            rewrite(campaign_id)
        db.session.commit()
    if due:
        _clear_leftovers()
    return due


def _clear_leftovers() -> None:
    """Remove dead row versions (PostgreSQL) or checkpoint the write-ahead log (SQLite),
    outside any transaction. Best effort: an open reader can keep either for a while,
    and the next seal tries again."""
    try:
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ballot, comment, access_code")
        elif db.engine.dialect.name == "sqlite":
            raw = db.engine.raw_connection()  # no BEGIN: a checkpoint runs outside one
            cursor = raw.cursor()
            try:
                # A truncating checkpoint holds the writers' lock while it waits for readers
                # of older snapshots: wait only a moment (ballots must not queue behind it),
                # try a few times, and leave the rest to the next look.
                cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
                for attempt in range(CHECKPOINT_TRIES):
                    busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                    if not busy:
                        break
                    time.sleep(0.05 * (attempt + 1))
            finally:
                timeout = getattr(raw.dbapi_connection, "lock_timeout", None)
                cursor.execute(f"PRAGMA busy_timeout={int((timeout or 15) * 1000)}")
                raw.close()
    except Exception as error:  # a busy log or a missing privilege: the next seal retries
        log.warning("sealing could not clear old row versions: %s", error)


def _log_holds_frames() -> bool:
    """SQLite: whether the write-ahead log holds anything (it is truncated once sealed)."""
    if db.engine.dialect.name != "sqlite" or not db.engine.url.database:
        return False
    wal = f"{db.engine.url.database}-wal"
    return os.path.exists(wal) and os.path.getsize(wal) > 0


def unsealed() -> list[int]:
    """Open campaigns with ballots that arrived since their last seal."""
    counts = (select(Ballot.campaign_id, func.count().label("n"))
              .group_by(Ballot.campaign_id).subquery())
    return list(db.session.scalars(
        select(Campaign.id).join(counts, counts.c.campaign_id == Campaign.id)
        .outerjoin(SealMark, SealMark.campaign_id == Campaign.id)
        .where(Campaign.status == "open", counts.c.n != func.coalesce(SealMark.ballots, 0))
        .order_by(Campaign.id)))


class Sealer:
    """The background seal of one process: at each multiple of ``SEAL_INTERVAL`` (and
    once soon after it starts) it seals the open campaigns with unsealed ballots, unless
    another process sealed them since that multiple."""

    #: How soon after starting a process first looks (seconds, at most the interval).
    FIRST_LOOK = 2.0

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="evalplatform-sealer",
                                               daemon=True)
                self.thread.start()

    def _run(self) -> None:
        interval = float(self.app.config["SEAL_INTERVAL"])
        time.sleep(min(self.FIRST_LOOK, interval))
        self.seal_due(time.time() - interval)
        while interval:
            now = time.time()
            boundary = (now // interval + 1) * interval
            time.sleep(boundary - now)
            interval = float(self.app.config["SEAL_INTERVAL"])  # 0: turned off
            if interval:
                self.seal_due(boundary)
        with self.lock:
            self.thread = None

    def seal_due(self, slot_start: float) -> None:
        with self.app.app_context():
            for look in self.app.extensions.get("evalplatform.sealer_looks", ()):
                try:  # other work due at each look (campaigns whose close is due)
                    look()
                except Exception:
                    db.session.rollback()
                    log.exception("%s failed", getattr(look, "__name__", look))
            try:
                with write_intent(False):
                    due = unsealed()
                    db.session.commit()
                for campaign_id in due:
                    try:
                        seal(campaign_id, not_since=slot_start)
                    except Exception:  # keep sealing the others; retried at the next look
                        db.session.rollback()
                        log.exception("sealing campaign %s failed", campaign_id)
                if _log_holds_frames():  # what a reader kept the last checkpoint from
                    _clear_leftovers()     # truncating, in this process or one now gone
            except Exception:
                db.session.rollback()
                log.exception("looking for campaigns to seal failed")
            finally:
                db.session.remove()


def start_sealer(app: Flask) -> None:
    """Start the process's background seal (off when SEAL_INTERVAL is 0). Gunicorn's
    workers call it as they start (gunicorn.conf.py); a stored ballot calls it too."""
    if not app.config["SEAL_INTERVAL"]:
        return
    sealer = app.extensions.get("evalplatform.sealer")
    if sealer is None:
        sealer = app.extensions.setdefault("evalplatform.sealer", Sealer(app))
    sealer.start()


def also_at_each_look(app: Flask, look) -> None:
    """Run ``look()`` (in an app context) each time a worker's sealer looks."""
    app.extensions.setdefault("evalplatform.sealer_looks", []).append(look)


def ballot_stored(campaign_id: int) -> None:
    """A ballot was stored: make sure this process's background seal runs."""
    start_sealer(current_app._get_current_object())
