"""Engine set-up: SQLite tuned for concurrent writers, and the write-intent switch.

SQLite upgrades a read transaction to a write one without waiting for the busy timeout,
so concurrent read-then-write transactions fail with "database is locked". Transactions
that may write therefore start with ``BEGIN IMMEDIATE``; read-only requests (GET, HEAD)
start with a plain ``BEGIN`` so that they never queue behind writers.

SQLite lets one connection write at a time, and one waiting for the lock polls it with
sleeps of 1, 2, 5, 10 … ms. Within a process, write transactions therefore queue on a
lock of their own first: the next one starts the moment the last one ends, instead of
after its next sleep, and a thread holding the database lock is not kept from finishing
by threads of its own process polling for it. (Measured with gunicorn's threaded
workers: twice the ballots per second; ``bench/submit.py``.)
"""

from __future__ import annotations

import contextvars
import os
import sqlite3
import threading
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "evalplatform_write_intent", default=True
)

BUSY_TIMEOUT_MS = 15000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


def set_write_intent(may_write: bool) -> None:
    """Declare whether transactions started from now on in this context may write."""
    _write_intent.set(may_write)


@contextmanager
def write_intent(may_write: bool = True):
    """Run a block whose transactions start with BEGIN IMMEDIATE on SQLite (or, with
    ``may_write=False``, with a plain BEGIN that never waits for writers)."""
    token = _write_intent.set(may_write)
    try:
        yield
    finally:
        _write_intent.reset(token)


class SQLiteConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions first queue on a lock shared by the
    process's connections to the same database file, held until COMMIT or ROLLBACK."""

    _locks: dict = {}
    _locks_guard = threading.Lock()

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        name = os.fspath(database)
        key = os.path.realpath(name) if name and not name.startswith((":", "file:")) else id(self)
        with self._locks_guard:
            self._writers = self._locks.setdefault(key, threading.Lock())
        self._writing = False

    def begin_write(self) -> None:
        if not self._writers.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError("database is locked")
        self._writing = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._end_write()
            raise

    def _end_write(self) -> None:
        if self._writing:
            self._writing = False
            self._writers.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_write()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_write()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_write()


def configure_engine(engine: Engine) -> None:
    """Install the SQLite connection and transaction hooks (no-op for other databases)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        raw = connection.connection.dbapi_connection
        if _write_intent.get() and isinstance(raw, SQLiteConnection):
            raw.begin_write()
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
