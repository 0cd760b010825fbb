"""Baseline for bench/submit.py: the least a server can do to store a ballot.

A bare Flask app on sqlite3, no ORM, no sessions, no CSRF, no code check. ``POST /ballot``
takes the same form fields the project's ballot form posts (``a-<unit>-<item>=<option>``)
and stores one ballot row holding its answers packed one byte a cell (as the project
stores them) in one transaction, with the project's
SQLite settings (WAL, synchronous=NORMAL, busy_timeout, BEGIN IMMEDIATE). Served by
gunicorn with the project's gunicorn.conf.py::

    BARE_DB=/tmp/bare.db gunicorn -c gunicorn.conf.py --pythonpath bench bare_app:app

``floor`` is the same endpoint behind what docs/design.md asks of every form: Flask's signed
session cookie and Flask-WTF's CSRF token (``GET /s/<code>`` starts a session, ``GET
/survey`` gives the token, ``POST /survey`` stores the ballot and leaves a receipt in the
session), and nothing else: no code check, no validation, no security headers. What it
serves is the most any implementation on that stack could serve.

The database file is created (schema included) by whichever worker opens it first.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from datetime import date

from flask import Flask, redirect, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf

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


def _store(form) -> bool:
    """One ballot row from the form's answers, in one transaction; False if it has none."""
    cells = bytearray()
    for name, value in form.items():
        if name.startswith("a-"):
            cells.append(int(value))
    if not cells:
        return False
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
    return True


@app.post("/ballot")
def ballot():
    if not _store(request.form):
        return "empty ballot", 422
    return "", 303, {"Location": "/done"}


floor = Flask("floor")
floor.secret_key = "bench-floor"
floor.config["WTF_CSRF_TIME_LIMIT"] = None  # as the project's
CSRFProtect(floor)


floor.get("/healthz")(healthz)


@floor.get("/s/<code>")
def floor_enter(code: str):
    session["code"] = code
    return redirect("/survey", 303)


@floor.get("/survey")
def floor_form():
    return f'<form method="post"><input name="csrf_token" value="{generate_csrf()}"></form>'


@floor.post("/survey")
def floor_submit():
    if "code" not in session or not _store(request.form):
        return "no ballot", 422
    session.pop("code")
    session["receipt"] = {"title": "评议活动", "date": date.today().isoformat()}
    return redirect("/done", 303)
