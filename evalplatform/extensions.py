"""Flask extensions, created unbound and bound to an app in create_app()."""

import functools
import hashlib
import hmac
import ipaddress
import logging
import math
import time

from flask import current_app, request
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


class RateLimits:
    """Rate limits on views, enforced per application by Flask-Limiter.

    A view declares its limit by the name of the setting that holds it::

        @limiter.limit("RATELIMIT_CODE", methods=["POST"])
        def index(): ...

    The setting (e.g. ``"20 per minute; 100 per hour"``) is read at every request, so a
    change of configuration takes effect without a restart. Only *refused* attempts count
    (answers 400–499 other than 429 itself) unless the view asks for ``every`` answer: a
    respondent whose code works, or a colleague who logs in, never uses up the allowance
    of others behind the same address. Keys are
    keyed hashes of the client address (or of the account name tried), so the limiter's
    storage — memory, or Redis — never holds an address.

    Each app gets its own Flask-Limiter (its own storage and on/off switch), bound by
    :meth:`init_app` once the blueprints are registered; ``RATELIMIT_ENABLED`` is read at
    every request.
    """

    KEYS = ("address", "account")
    #: What counts against a limit: refusals (4xx but 429), every answer, or failed
    #: authentication only (401: a wrong password or API token, not a 404 behind a good one).
    COUNTS = {"refused": lambda r: _refused(r), "every": None,
              "unauthenticated": lambda r: r.status_code == 401}

    def limit(self, setting: str, *, key: str = "address", methods: list[str] | None = None,
              counts: str = "refused"):
        """Declare the limit held by the setting ``setting`` on a view."""
        if key not in self.KEYS or counts not in self.COUNTS:
            raise ValueError(f"rate limit key must be one of {self.KEYS}, counts of {self.COUNTS}")

        def decorate(view):
            marks = getattr(view, "_evalplatform_rate_limits", ())
            view._evalplatform_rate_limits = (*marks, (setting, key, methods, counts))
            return view

        return decorate

    # -- log-in back-off per (account, address) --------------------------------------------

    def backoff_wait(self, *parts: str) -> float:
        """Seconds until ``parts`` (account, address) may try again; 0: now."""
        storage = self._storage()
        if storage is None:
            return 0.0
        key = self._backoff_key("wait", parts)
        try:
            return max(0.0, storage.get_expiry(key) - time.time()) if storage.get(key) else 0.0
        except Exception:  # the storage is unreachable: never lock anyone out for it
            return 0.0

    def backoff_failed(self, *parts: str) -> None:
        """A failed attempt: after LOGIN_FREE_ATTEMPTS, the next waits 1, 2, 4 … seconds
        (at most LOGIN_BACKOFF_MAX); counts are forgotten an hour after the last one."""
        storage = self._storage()
        if storage is None:
            return
        config = current_app.config
        try:
            failures = storage.incr(self._backoff_key("failures", parts), 3600)
            free = int(config["LOGIN_FREE_ATTEMPTS"])
            if failures > free:
                wait = min(2 ** (failures - free - 1), float(config["LOGIN_BACKOFF_MAX"]))
                key = self._backoff_key("wait", parts)
                storage.clear(key)
                storage.incr(key, max(1, int(math.ceil(wait))))
        except Exception:
            _log_storage_failure()

    def backoff_clear(self, *parts: str) -> None:
        storage = self._storage()
        if storage is None:
            return
        try:
            for kind in ("failures", "wait"):
                storage.clear(self._backoff_key(kind, parts))
        except Exception:
            _log_storage_failure()

    def _storage(self):
        if not current_app.config.get("RATELIMIT_ENABLED", True):
            return None
        limiter = current_app.extensions.get("evalplatform.limiter")
        return limiter.storage if limiter is not None else None

    @staticmethod
    def _backoff_key(kind: str, parts: tuple[str, ...]) -> str:
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "evalplatform"
        return f"{prefix}/backoff/{kind}/{pseudonym(chr(31).join(parts))}"

    def init_app(self, app, blueprints: dict[str, tuple[str, str]] | None = None) -> None:
        """Give ``app`` its own Flask-Limiter and put the declared limits on its views, and
        on whole blueprints: ``blueprints`` maps a blueprint's name to (setting, counts)."""
        from flask_limiter import Limiter

        storage = (app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL")
                   or "memory://")
        limiter = Limiter(
            key_func=_address_key, storage_uri=storage,
            key_prefix=app.config.get("RATELIMIT_KEY_PREFIX") or "evalplatform",
            strategy=app.config.get("RATELIMIT_STRATEGY") or "fixed-window",
            headers_enabled=True, on_breach=_log_breach,
            # rate limiting must never take the site down: if Redis is unreachable, each
            # process counts on its own until it is back
            in_memory_fallback_enabled=True, swallow_errors=True,
        )
        # Flask-Limiter reads RATELIMIT_ENABLED once, here, and skips everything when it
        # is off; ours is read at every request (request_filter below), so bind it on.
        enabled = app.config.get("RATELIMIT_ENABLED", True)
        app.config["RATELIMIT_ENABLED"] = True
        try:
            limiter.init_app(app)
        finally:
            app.config["RATELIMIT_ENABLED"] = enabled
        limiter.request_filter(lambda: not current_app.config.get("RATELIMIT_ENABLED", True))
        app.extensions["evalplatform.limiter"] = limiter
        for endpoint, view in list(app.view_functions.items()):
            for setting, key, methods, counts in getattr(view, "_evalplatform_rate_limits", ()):
                # shared: every view limited by one setting draws on one allowance
                view = limiter.shared_limit(
                    functools.partial(_setting, setting), scope=f"{setting}:{key}",
                    key_func=_account_key if key == "account" else _address_key,
                    methods=methods, deduct_when=self.COUNTS[counts],
                )(view)
            app.view_functions[endpoint] = view
        for name, (setting, counts) in (blueprints or {}).items():
            limiter.shared_limit(functools.partial(_setting, setting), scope=f"{setting}:address",
                                 key_func=_address_key,
                                 deduct_when=self.COUNTS[counts])(app.blueprints[name])
        # Flask-Limiter checks blueprint limits in a before_request hook run for every
        # request of the app; views carry their own checks (the wrappers above). No other
        # limits exist, so the hook runs for the limited blueprints only (before their own
        # hooks, as it did): a ballot being submitted does not pay for an empty search.
        app.before_request_funcs[None].remove(limiter._check_request_limit)
        for name in blueprints or {}:
            app.before_request_funcs.setdefault(name, []).insert(0, limiter._check_request_limit)


def _setting(name: str) -> str:
    return current_app.config[name]


def _refused(response) -> bool:
    """Whether an answer counts against the limit: a refusal, but not the 429 itself."""
    return 400 <= response.status_code < 500 and response.status_code != 429


def pseudonym(value: str) -> str:
    """A keyed hash of an address or account name: the same for the same value, but no
    one without SECRET_KEY can tell which value it was."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:20]


def client_address() -> str:
    """The client's address: the peer's, or — when the peer is a trusted proxy (listed in
    FORWARDED_ALLOW_IPS, addresses or networks, like gunicorn's setting) — the last hop
    of X-Forwarded-For, which that proxy appended."""
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _trusted(peer, str(current_app.config.get("FORWARDED_ALLOW_IPS") or "")):
        return forwarded.split(",")[-1].strip() or peer
    return peer


def _trusted(peer: str, allowed: str) -> bool:
    for entry in (e.strip() for e in allowed.split(",")):
        if entry == "*" or entry == peer:
            return True
        try:
            if ipaddress.ip_address(peer) in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:  # not an address or a network (e.g. a unix socket)
            continue
    return False


def _address_key() -> str:
    return "a-" + pseudonym(client_address())


def _account_key() -> str:
    return "u-" + pseudonym((request.form.get("username") or "").strip().lower())


def _log_breach(limit) -> None:
    """Log a refused attempt: which page, which limit, and the client's pseudonym —
    never the address, the path (it may hold a code) or what was typed."""
    who = next((str(arg) for arg in limit.request_args if str(arg)[:2] in ("a-", "u-")), "?")
    current_app.logger.warning(
        "rate limit reached: %s %s refused (limit %s, %s %s)", request.method,
        request.endpoint, limit.limit, "account" if who.startswith("u-") else "client",
        who[2:12])


def _log_storage_failure() -> None:
    logging.getLogger(__name__).warning("rate limit storage unavailable", exc_info=True)


limiter = RateLimits()
