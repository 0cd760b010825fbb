"""Engine set-up: SQLite tuned for concurrent writers, and the write-intent switch.

SQLite upgrades a read transaction to a write one without waiting for the busy timeout,
so concurrent read-then-write transactions fail with "database is locked". Transactions
that may write therefore start with ``BEGIN IMMEDIATE``; read-only requests (GET, HEAD)
start with a plain ``BEGIN`` so that they never queue behind writers.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "evalplatform_write_intent", default=True
)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=15000",
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
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
