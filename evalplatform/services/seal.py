"""Sealing: what the database keeps beyond its columns must not tie a ballot to its code.

A ballot is stored in the transaction that marks its code used — the only way to be sure
that a code counts once and a ballot is never lost. The columns never link the two, but
the storage does, for a while:

- **PostgreSQL** stamps every row with the id of the transaction that wrote it (the
  hidden ``xmin`` column, readable by anyone who can read the table) and appends new rows
  to the end of the table, so a dump lists ballots and used codes in submission order.
  Sealing rewrites all of a campaign's ballots, their comments and its used codes in
  one transaction, each table in random order: afterwards they all carry the sealing
  transaction's id and their order is random. The old row versions are then vacuumed.
- **SQLite** keeps ballots in the order of their random ids and updates a used code in
  place, but its write-ahead log holds each transaction's pages together until a
  checkpoint. Sealing checkpoints the log and truncates it.

A campaign is sealed when it closes (in the closing transaction), a little after
ballots arrive (``SEAL_INTERVAL`` seconds, by a background thread in each web process
that stored one), and on demand (``flask --app wsgi ballots seal``, e.g. before a
backup). What is left in between is stated in docs/security.md.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib

from flask import Flask, current_app
from sqlalchemy import text

from ..extensions import db

log = logging.getLogger(__name__)

#: PostgreSQL statements of one seal, in order, in one transaction. The advisory lock
#: keeps two processes from sealing one campaign at once (each would re-insert rows the
#: other deleted).
_REWRITE = (
    "SELECT pg_advisory_xact_lock(:lock)",
    "CREATE TEMP TABLE sealed_ballot ON COMMIT DROP AS "
    "SELECT * FROM ballot WHERE campaign_id = :campaign",
    "CREATE TEMP TABLE sealed_comment ON COMMIT DROP AS "
    "SELECT * FROM comment WHERE ballot_id IN (SELECT id FROM sealed_ballot)",
    "CREATE TEMP TABLE sealed_code ON COMMIT DROP AS "
    "SELECT * FROM access_code WHERE campaign_id = :campaign AND status = 'used'",
    "DELETE FROM comment WHERE id IN (SELECT id FROM sealed_comment)",
    "DELETE FROM ballot WHERE id IN (SELECT id FROM sealed_ballot)",
    "DELETE FROM access_code WHERE id IN (SELECT id FROM sealed_code)",
    "INSERT INTO ballot SELECT * FROM sealed_ballot ORDER BY random()",
    "INSERT INTO comment SELECT * FROM sealed_comment ORDER BY random()",
    "INSERT INTO access_code SELECT * FROM sealed_code ORDER BY random()",
)
#: How many transactions wrote the rows a seal would rewrite: 1 (or 0) means sealed.
_WRITERS = text(
    "SELECT count(DISTINCT x) FROM ("
    " SELECT xmin::text AS x FROM ballot WHERE campaign_id = :campaign"
    " UNION ALL SELECT xmin::text FROM access_code"
    "  WHERE campaign_id = :campaign AND status = 'used') AS written")


def _lock_key(campaign_id: int) -> int:
    return zlib.crc32(f"evalplatform.seal:{campaign_id}".encode())


def needs_seal(campaign_id: int) -> bool:
    """Whether the stored rows could still tie a ballot to its code (PostgreSQL: they
    were written by more than one transaction). Always False on SQLite."""
    if db.engine.dialect.name != "postgresql":
        return False
    return db.session.scalar(_WRITERS, {"campaign": campaign_id}) > 1


def rewrite(campaign_id: int) -> None:
    """Seal the campaign's rows in the current transaction (PostgreSQL; nothing to do on
    SQLite until the log is checkpointed). The caller commits."""
    if db.engine.dialect.name != "postgresql":
        return
    params = {"campaign": campaign_id, "lock": _lock_key(campaign_id)}
    for statement in _REWRITE:
        db.session.execute(text(statement), params)


def seal(campaign_id: int) -> bool:
    """Seal one campaign now, in a transaction of its own, and clear what it left behind
    (old row versions; SQLite's log). Returns whether anything was rewritten."""
    rewritten = False
    db.session.commit()  # an open read would keep the old versions (or the log) alive
    if db.engine.dialect.name == "postgresql":
        if needs_seal(campaign_id):
            rewrite(campaign_id)
            rewritten = True
        db.session.commit()
    _clear_leftovers()
    return rewritten


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
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                raw.close()
    except Exception as error:  # a busy log or a missing privilege: the next seal retries
        log.warning("sealing could not clear old row versions: %s", error)


class Sealer:
    """Seals, in the background, the campaigns this process stored ballots for."""

    def __init__(self, app: Flask):
        self.app = app
        self.pending: set[int] = set()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def touch(self, campaign_id: int) -> None:
        """A ballot of this campaign was stored: seal it within SEAL_INTERVAL seconds."""
        with self.lock:
            self.pending.add(campaign_id)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="evalplatform-sealer",
                                               daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.app.config["SEAL_INTERVAL"])
            with self.lock:
                campaigns, self.pending = self.pending, set()
                if not campaigns:
                    self.thread = None
                    return
            with self.app.app_context():
                for campaign_id in sorted(campaigns):
                    try:
                        seal(campaign_id)
                    except Exception:  # keep sealing the others; retried on the next ballot
                        db.session.rollback()
                        log.exception("sealing campaign %s failed", campaign_id)
                    finally:
                        db.session.remove()


def ballot_stored(campaign_id: int) -> None:
    """Note a stored ballot for the background sealer (off when SEAL_INTERVAL is 0)."""
    app = current_app._get_current_object()
    if not app.config["SEAL_INTERVAL"]:
        return
    sealer = app.extensions.get("evalplatform.sealer")
    if sealer is None:
        sealer = app.extensions.setdefault("evalplatform.sealer", Sealer(app))
    sealer.touch(campaign_id)
