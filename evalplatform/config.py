"""Configuration: defaults, overridden by the environment, then by create_app(config)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: Environment variables read at start-up (see docs/operations.md).
ENV_SETTINGS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "CODE_HASH_KEY",
    "PUBLIC_BASE_URL",
    "EVALPLATFORM_PLUGINS",
    "SESSION_COOKIE_SECURE",
    "CLOSE_GRACE_MINUTES",
    "MAX_CONTENT_LENGTH",
    "TIMEZONE",
    "BABEL_DEFAULT_LOCALE",
    "JOBS_BACKEND",
    "JOB_THREADS",
    "REPORT_PROCESSES",
    "REDIS_URL",
    "RATELIMIT_ENABLED",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_CODE",
    "RATELIMIT_CODE_LOOKUP",
    "RATELIMIT_LOGIN",
    "LOGIN_FREE_ATTEMPTS",
    "LOGIN_BACKOFF_MAX",
    "FORWARDED_ALLOW_IPS",
    "SEAL_INTERVAL",
    "DATABASE_LOCK_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT",
    "STAFF_SESSION_HOURS",
)


class Defaults:
    #: PostgreSQL connections can die behind the pool's back (server restart, idle
    #: timeouts), so they are pinged when taken from the pool; SQLite's cannot.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: Seconds a request waits for a lock held by another (SQLite: the writer lock and its
    #: busy timeout; PostgreSQL: lock_timeout) before it is refused with "busy, try again"
    #: (503) and nothing stored; and, on PostgreSQL, the longest a statement may run.
    #: Both well under a reverse proxy's timeout (often 60 s).
    #: Hours a staff log-in lasts at most (it also ends with the browser session, on
    #: log-out, a password change, a change of role or a deactivation).
    STAFF_SESSION_HOURS = 12.0
    DATABASE_LOCK_TIMEOUT = 10.0
    DATABASE_STATEMENT_TIMEOUT = 30.0
    WTF_CSRF_TIME_LIMIT = None  # a slow respondent must not lose the ballot
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    #: Base URL printed into QR codes on slips; falls back to the request's host.
    PUBLIC_BASE_URL = None
    #: Comma-separated plugin names to load; None loads every installed plugin.
    EVALPLATFORM_PLUGINS = None
    #: Largest batch of codes one request may issue.
    CODES_MAX_BATCH = 20000
    JSON_SORT_KEYS = False
    #: Time zone in which staff pages show times (stored times are UTC).
    TIMEZONE = "Asia/Shanghai"
    #: The interface language for visitors who have not chosen one: "zh" or "en".
    BABEL_DEFAULT_LOCALE = "zh"
    #: Seconds after a ballot arrives until its campaign's storage is sealed, so that no
    #: ballot can be tied to its code (services/seal.py); 0: only at closing and by CLI.
    SEAL_INTERVAL = 60.0
    #: Minutes a respondent who opened the ballot before the close was asked still has to
    #: submit it (结束评议 with the grace period; the admin may also close at once).
    CLOSE_GRACE_MINUTES = 30
    #: How report jobs run: "thread" (a pool in each web process), "rq" (Redis queue at
    #: REDIS_URL, run by `rq worker`), or "inline" (at once, in the caller).
    JOBS_BACKEND = "thread"
    JOB_THREADS = 1
    #: Worker processes laying out the units' reports of one job (1: in the job's own).
    REPORT_PROCESSES = min(4, os.cpu_count() or 1)
    REDIS_URL = None
    #: Name of the RQ queue report jobs go to.
    JOBS_QUEUE = "evalplatform-reports"
    #: Rate limits (docs/security.md). Only refused attempts count, but for code lookups'
    #: own limit. Where the counts are kept: memory (each process its own), or Redis —
    #: this URI, else REDIS_URL.
    RATELIMIT_STORAGE_URI = None
    #: Wrong, used or void access codes tried from one client address (/ and /s/<code>).
    RATELIMIT_CODE = "20 per minute; 100 per hour"
    #: Any code looked up from one client address, used or not (a whole office voting
    #: behind one address must fit; one person polling codes to learn when they are used
    #: is slowed).
    RATELIMIT_CODE_LOOKUP = "60 per minute; 600 per hour"
    #: Failed staff log-ins (and wrong API tokens) from one client address, whatever the
    #: account (guessing many accounts from one place).
    RATELIMIT_LOGIN = "30 per minute; 300 per hour"
    #: Failed log-ins per (account, client address): the first are free, then each next
    #: try waits 1, 2, 4 … seconds, at most this many. A guesser elsewhere never delays the
    #: account's owner.
    LOGIN_FREE_ATTEMPTS = 3
    LOGIN_BACKOFF_MAX = 900
    #: Proxies whose X-Forwarded-For gives the client address (gunicorn reads the same
    #: variable for X-Forwarded-Proto).
    FORWARDED_ALLOW_IPS = "127.0.0.1"


def _instance_secret(instance: Path, name: str) -> str:
    """Read a secret kept in the instance folder, creating it on first use."""
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def _as_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load(app, overrides: dict | None) -> None:
    """Fill app.config from defaults, the environment and explicit overrides."""
    app.config.from_object(Defaults)
    env = {k: os.environ[k] for k in ENV_SETTINGS if os.environ.get(k)}
    for name in ("SESSION_COOKIE_SECURE", "RATELIMIT_ENABLED"):
        if name in env:
            env[name] = _as_bool(env[name])
    for name in ("MAX_CONTENT_LENGTH", "JOB_THREADS", "REPORT_PROCESSES", "LOGIN_FREE_ATTEMPTS",
                 "LOGIN_BACKOFF_MAX", "CLOSE_GRACE_MINUTES"):
        if name in env:
            env[name] = int(env[name])
    for name in ("SEAL_INTERVAL", "DATABASE_LOCK_TIMEOUT", "DATABASE_STATEMENT_TIMEOUT",
                 "STAFF_SESSION_HOURS"):
        if name in env:
            env[name] = float(env[name])
    app.config.update(env)
    app.config.update(overrides or {})
    # Rate limits are on, except in a test app that does not ask for them.
    app.config.setdefault("RATELIMIT_ENABLED", not app.config.get("TESTING"))

    instance = Path(app.instance_path)
    app.config.setdefault("DATABASE_URL", f"sqlite:///{instance / 'evalplatform.db'}")
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    from .database import engine_options

    bounded = engine_options(app.config["DATABASE_URL"],
                             float(app.config["DATABASE_LOCK_TIMEOUT"]),
                             float(app.config["DATABASE_STATEMENT_TIMEOUT"]))
    options = {**bounded, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    options["connect_args"] = {**bounded["connect_args"],
                               **app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance, "secret-key")
    if not app.config.get("CODE_HASH_KEY"):
        app.config["CODE_HASH_KEY"] = _instance_secret(instance, "code-hash-key")
    if app.config["DATABASE_URL"].startswith("sqlite"):
        instance.mkdir(parents=True, exist_ok=True)
    if app.config["JOBS_BACKEND"] not in ("thread", "rq", "inline"):
        raise RuntimeError(f"JOBS_BACKEND must be thread, rq or inline, not {app.config['JOBS_BACKEND']!r}")
    if app.config["JOBS_BACKEND"] == "rq" and not app.config.get("REDIS_URL"):
        raise RuntimeError("JOBS_BACKEND=rq needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
