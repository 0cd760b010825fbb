"""SQLite writers queue on a lock shared by the processes of a host (evalplatform.database):
a writer waits for another process's transaction and starts as soon as it ends, a writer
killed mid-transaction blocks nobody, and a writer kept waiting too long is refused with
"database is locked" (which the web pages turn into 'busy, try again')."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from evalplatform import database
from evalplatform.database import SQLiteConnection

HOLDER = """
import sys, time
from evalplatform.database import SQLiteConnection
conn = SQLiteConnection(sys.argv[1], isolation_level=None)
conn.begin_write()
conn.execute("INSERT INTO t VALUES ('other process')")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
conn.commit()
print("committed", flush=True)
time.sleep(30)
"""


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "writers.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (v TEXT)")
    return path


@pytest.fixture
def holder(db_path):
    """Start a process that takes the write lock and holds it for ``seconds``."""
    started = []

    def start(seconds: float) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-c", HOLDER, str(db_path), str(seconds)],
                                   stdout=subprocess.PIPE, text=True)
        started.append(process)
        assert process.stdout.readline().strip() == "holding"
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()
        process.stdout.close()


def rows(db_path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        return [v for (v,) in conn.execute("SELECT v FROM t ORDER BY rowid")]


def write(db_path, value: str) -> float:
    """One write transaction through the queue; seconds spent waiting for it."""
    conn = SQLiteConnection(str(db_path), isolation_level=None, timeout=30)
    try:
        start = time.monotonic()
        conn.begin_write()
        waited = time.monotonic() - start
        conn.execute("INSERT INTO t VALUES (?)", (value,))
        conn.commit()
        return waited
    finally:
        conn.close()


def test_a_writer_waits_for_another_process_and_both_transactions_are_kept(db_path, holder):
    other = holder(1.0)
    waited = write(db_path, "this process")
    assert other.stdout.readline().strip() == "committed"
    assert 0.5 < waited < 5  # it waited for the other's commit, not for a busy timeout
    assert rows(db_path) == ["other process", "this process"]


def test_a_writer_killed_mid_transaction_blocks_nobody(db_path, holder):
    other = holder(60)
    other.send_signal(signal.SIGKILL)
    other.wait()
    waited = write(db_path, "this process")
    assert waited < 2
    assert rows(db_path) == ["this process"]  # the killed writer's insert was never committed


def test_a_writer_kept_waiting_past_the_busy_timeout_is_refused(db_path, holder, monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 300)
    other = holder(60)
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        write(db_path, "refused")
    assert time.monotonic() - start < 5
    # the refused writer left the queue: this process writes once the other is gone
    other.kill()
    other.wait()
    write(db_path, "this process")
    assert rows(db_path) == ["this process"]
