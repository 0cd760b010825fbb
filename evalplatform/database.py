"""Engine set-up: SQLite tuned for concurrent writers, and the write-intent switch.

SQLite upgrades a read transaction to a write one without waiting for the busy timeout,
so concurrent read-then-write transactions fail with "database is locked". Transactions
that may write therefore start with ``BEGIN IMMEDIATE``; read-only requests (GET, HEAD)
start with a plain ``BEGIN`` so that they never queue behind writers.

SQLite lets one connection write at a time, and one waiting for the lock polls it with
sleeps of 1, 2, 5, 10 … ms. Write transactions therefore queue on locks of their own
first: within a process on a thread lock (the next one starts the moment the last one
ends, instead of after its next sleep, and a thread holding the database lock is not
kept from finishing by threads of its own process polling for it), and between the
processes of a host (gunicorn's workers, job workers, the CLI) on an advisory lock on a
file next to the database (``<database>-writer.lock``), waited for in steps of a tenth of
a millisecond. Without the second, two workers served fewer ballots than one with all
the threads: each spent its time in SQLite's sleeps while the other held the database.
The kernel drops a dead process's file lock, so a killed worker never blocks the others.
(``bench/submit.py`` measures both.)
"""

from __future__ import annotations

import contextvars
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql import Executable

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "evalplatform_write_intent", default=True
)

#: How long a writer waits for the database before it is refused (milliseconds), unless
#: the app's DATABASE_LOCK_TIMEOUT says otherwise.
BUSY_TIMEOUT_MS = 15000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    # Deleted rows are overwritten with zeros, not left in free space (a sealed ballot's
    # old copy would still sit in submission order: services/seal.py).
    "PRAGMA secure_delete=ON",
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


class WriterLock:
    """The writers' queue of one database file: a thread lock for the process, then an
    exclusive ``flock`` on ``<database>-writer.lock`` for the host. The thread lock also
    makes the process's one file descriptor safe to share between its threads."""

    #: Longest sleep between two tries for the file lock (seconds): short, because a
    #: ballot's transaction holds it for well under a millisecond.
    MAX_STEP = 0.002

    def __init__(self, path: str | None):
        self.threads = threading.Lock()
        self.path = f"{path}-writer.lock" if path else None
        self.fd: int | None = None
        self.pid = 0

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self.threads.acquire(timeout=timeout):
            return False
        try:
            if self.path is None or self._lock_file(deadline):
                return True
        except BaseException:
            self.threads.release()
            raise
        self.threads.release()
        return False

    def release(self) -> None:
        try:
            if self.path is not None and self.fd is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()

    def _lock_file(self, deadline: float) -> bool:
        if self.pid != os.getpid():  # a forked child opens its own (closing the copy of
            if self.fd is not None:   # its parent's leaves the parent's lock alone)
                os.close(self.fd)
            self.fd, self.pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        step = 0.0001
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(step)
                step = min(step * 2, self.MAX_STEP)


class SQLiteConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions first queue on the writer lock of
    its database file (:class:`WriterLock`), held until COMMIT or ROLLBACK."""

    _locks: dict = {}
    _locks_guard = threading.Lock()

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        name = os.fspath(database)
        path = os.path.realpath(name) if name and not name.startswith((":", "file:")) else None
        with self._locks_guard:
            self._writers = self._locks.setdefault(path or id(self), WriterLock(path))
        self._writing = False
        #: Seconds a write waits for the lock (None: BUSY_TIMEOUT_MS).
        self.lock_timeout: float | None = None

    def begin_write(self) -> None:
        if not self._writers.acquire(timeout=self.lock_timeout or BUSY_TIMEOUT_MS / 1000):
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


def engine_options(url: str, lock_timeout: float, statement_timeout: float) -> dict:
    """Engine options bounding every wait (seconds): on PostgreSQL ``lock_timeout`` and
    ``statement_timeout`` for every session (a request behind a held lock fails within
    the bound instead of outliving a proxy's timeout); SQLite's writer lock and busy
    timeout are set by :func:`configure_engine`."""
    if url.startswith("sqlite"):
        return {"connect_args": {"factory": SQLiteConnection}}
    options = f"-c lock_timeout={int(lock_timeout * 1000)}" \
              f" -c statement_timeout={int(statement_timeout * 1000)}"
    return {"pool_pre_ping": True, "connect_args": {"options": options}}


def configure_engine(engine: Engine, lock_timeout: float | None = None) -> None:
    """Install the SQLite connection and transaction hooks (no-op for other databases);
    a writer waits ``lock_timeout`` seconds at most (default BUSY_TIMEOUT_MS)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        timeout = lock_timeout or BUSY_TIMEOUT_MS / 1000
        if isinstance(dbapi_connection, SQLiteConnection):
            dbapi_connection.lock_timeout = timeout
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        raw = connection.connection.dbapi_connection
        if _write_intent.get() and isinstance(raw, SQLiteConnection):
            try:
                raw.begin_write()
            except sqlite3.Error as error:  # busy: as SQLAlchemy raises it everywhere else
                raise exc.DBAPIError.instance("BEGIN IMMEDIATE", None, error,
                                              sqlite3.Error) from error
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


# -- the ballot's path: statements run on the driver's connection ---------------------------

class DriverStatement:
    """A Core statement compiled once for a dialect and run straight on a DB-API cursor.

    For the few statements of a submission, where SQLAlchemy's execution machinery
    (execution context, result objects, events) costs three times what the database
    does. The SQL, the literal values and each value's conversion (e.g. a date as SQLite
    stores it) are SQLAlchemy's own, from the compiled statement; a driver error comes
    out as the SQLAlchemy exception it would have been.
    """

    def __init__(self, statement: Executable, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.defaults = compiled.params  # the literal values (e.g. a status to compare with)
        self.order = compiled.positiontup  # names of positional parameters; None if named
        self.convert = {name: process for name, bind in compiled.binds.items()
                        if (process := bind.type.bind_processor(dialect)) is not None}
        self.driver_error = dialect.loaded_dbapi.Error

    def parameters(self, values: dict[str, Any]):
        params = {**self.defaults, **values}
        for name, process in self.convert.items():
            params[name] = process(params[name])
        return params if self.order is None else tuple(params[name] for name in self.order)

    def execute(self, cursor, values: dict[str, Any]):
        """Run with these values on ``cursor``; the cursor, to fetch from."""
        params = self.parameters(values)
        try:
            cursor.execute(self.sql, params)
        except self.driver_error as error:
            raise exc.DBAPIError.instance(self.sql, params, error, self.driver_error) from error
        return cursor


@contextmanager
def driver_transaction(engine: Engine) -> Iterator[Any]:
    """A write transaction on a DB-API connection from the engine's pool, for
    :class:`DriverStatement`: begun as every write transaction is (on SQLite BEGIN
    IMMEDIATE, behind the writer lock), committed when the block ends, rolled back if
    it raises."""
    pooled = engine.raw_connection()
    connection = pooled.dbapi_connection
    try:
        if isinstance(connection, SQLiteConnection):
            connection.begin_write()
        # (other drivers begin a transaction with the first statement)
        try:
            yield connection
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
    except engine.dialect.loaded_dbapi.Error as error:  # BEGIN or COMMIT failed
        raise exc.DBAPIError.instance(None, None, error, engine.dialect.loaded_dbapi.Error) \
            from error
    finally:
        pooled.close()
