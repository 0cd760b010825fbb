"""Baseline for bench/submit.py: the least a server can do to store a ballot.

A bare Flask app on sqlite3, no ORM, no sessions, no CSRF, no code check. ``POST /ballot``
takes the same form fields the project's ballot form posts (``a-<unit>-<item>=<option>``)
and stores one ballot row holding its answers packed one byte a cell (as the project
stores them) in one transaction, with the project's
SQLite settings (WAL, synchronous=NORMAL, busy_timeout, BEGIN IMMEDIATE). Served by
gunicorn with the project's gunicorn.conf.py::

    BARE_DB=/tmp/bare.db gunicorn -c gunicorn.conf.py --pythonpath bench bare_app:app

The database file is created (schema included) by whichever worker opens it first.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from datetime import date

from flask import Flask, request

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=15000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ballot (id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL, "
    "rater_group_id INTEGER NOT NULL, submitted_on DATE NOT NULL, cells BLOB NOT NULL) "
    "WITHOUT ROWID",
)

app = Flask(__name__)
_local = threading.local()


def connection() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(os.environ["BARE_DB"], isolation_level=None,
                               check_same_thread=False)
        for pragma in PRAGMAS:
            conn.execute(pragma)
        conn.execute("BEGIN IMMEDIATE")
        for statement in SCHEMA:
            conn.execute(statement)
        conn.execute("COMMIT")
        _local.conn = conn
    return conn


@app.get("/healthz")
def healthz():
    connection()
    return "ok"


@app.post("/ballot")
def ballot():
    cells = bytearray()
    for name, value in request.form.items():
        if name.startswith("a-"):
            cells.append(int(value))
    if not cells:
        return "empty ballot", 422
    ballot_id = secrets.randbits(63) or 1
    conn = connection()
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("INSERT INTO ballot VALUES (?, ?, ?, ?, ?)",
                     (ballot_id, 1, 1, date.today().isoformat(), bytes(cells)))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return "", 303, {"Location": "/done"}
