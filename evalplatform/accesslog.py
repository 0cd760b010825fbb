"""Gunicorn logging that cannot identify respondents.

Access logs normally record the client address, user agent and full request line; for a
respondent that would put an IP address next to the access code in ``/s/<code>`` and
next to the time a ballot was posted. This logger keeps only what operators need: time,
method, route, status, size and duration; gunicorn's error log loses addresses and codes
too.

- The path logged is the **route** the app matched, with its values filled in except a
  code (``/s/<code>``), as the app records it in the WSGI environ (``LOG_PATH_KEY``), so
  that ``//s/K7QM…``, ``/./s/…`` or ``/%73/…`` — which the app routes like ``/s/…`` — are
  masked all the same. A request the app did not route (404, 405) is logged as
  ``<no route>``: an address nobody serves may hold a code typed in the wrong place.
- Without the app's record (a request refused before routing), the path is masked
  segment by segment: any segment holding twelve symbols that could be a code.
- No query string, no address, no user agent, no referrer in the access log; in the
  error log (``Invalid request from ip=…``, ``Error handling request /s/…``) addresses
  are replaced by ``<address>`` and codes in paths and request lines masked.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from urllib.parse import unquote

from gunicorn.glogging import Logger

#: The WSGI environ key under which the app leaves the path to log (``log_path``).
LOG_PATH_KEY = "evalplatform.log_path"
CODE_MASK, NO_ROUTE = "<code>", "<no route>"

#: Twelve symbols a code may be typed with (Crockford base32, read forgivingly: O, I, L
#: as well; any case), with separators a code is written or typed with between them.
_CODE_SYMBOLS = "0-9A-TV-Za-tv-z"
_CODE_LIKE = re.compile(rf"(?:[{_CODE_SYMBOLS}][\s\-_.+~]*){{11}}[{_CODE_SYMBOLS}]")
#: In running text: a word of twelve such symbols (dashes allowed) with a digit in it.
_CODE_WORD = re.compile(rf"(?<![{_CODE_SYMBOLS}\-])(?=[{_CODE_SYMBOLS}\-]*\d)"
                        rf"(?:[{_CODE_SYMBOLS}]-?){{11}}[{_CODE_SYMBOLS}](?![{_CODE_SYMBOLS}])")
#: A word of twelve upper-case code symbols, digits or not (codes are printed upper case,
#: and a random code has no digit about once in a hundred): gunicorn names an unknown
#: request method, which may be a code, in its error log.
_CODE_UPPER = re.compile(r"(?<![0-9A-Za-z\-])(?:[0-9A-TV-Z]-?){11}[0-9A-TV-Z](?![0-9A-Za-z])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_PATHS = re.compile(r"(?:https?://[^\s'\"]*)?/[^\s'\"]*")
_RULE_PART = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


def looks_like_code(value: str) -> bool:
    """Whether a path segment or route value might hold an access code."""
    return bool(_CODE_LIKE.search(value))


def normalized(path: str) -> str:
    """The path as a router would read it: percent-decoded (twice-encoded too),
    backslashes as slashes, repeated slashes merged, dot segments resolved."""
    for _ in range(3):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    path = re.sub(r"/+", "/", path.replace("\\", "/"))
    path = posixpath.normpath(path) if path else "/"
    return path if path.startswith("/") else "/" + path


def redact_path(path: str) -> str:
    """A path the app did not describe, with anything that could be a code masked."""
    clean = normalized(path or "")
    if clean.lower() == "/s" or clean.lower().startswith("/s/"):
        return "/s/" + CODE_MASK
    return "/".join(CODE_MASK if looks_like_code(part) else part for part in clean.split("/"))


def _address(match: re.Match) -> str:
    found = match.group(0)
    return "<address>" if found.count(":") >= 3 or "::" in found else found  # not 12:34:56


def _path(match: re.Match) -> str:
    found = match.group(0)
    if "://" in found:  # a URL: its host dropped too (it may be an address)
        found = "/" + found.partition("://")[2].partition("/")[2]
    return redact_path(found)


def redact_text(text: str) -> str:
    """A log message with client addresses, quoted request lines and anything that could
    be a code masked."""
    text = _IPV6.sub(_address, _IPV4.sub("<address>", text))
    text = _QUOTED.sub(lambda m: m.group(0)[0] + "…" + m.group(0)[0], text)
    return _CODE_UPPER.sub(CODE_MASK, _CODE_WORD.sub(CODE_MASK, _PATHS.sub(_path, text)))


def log_path(rule: str | None, values: dict, known=lambda name, value: False) -> str:
    """The path to log for a request the app routed to ``rule`` with ``values``: the
    rule with its values filled in — numbers as they are, a ``code`` masked, any other
    value masked when it might be a code unless ``known(name, value)`` says the app
    serves it (a static file's name, a scheme's key) — and ``<no route>`` without a rule."""
    if rule is None:
        return NO_ROUTE

    def fill(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if name not in values:
            return match.group(0)
        value = str(values[name])
        if name == "code" or (converter not in ("int", "float") and looks_like_code(value)
                              and not known(name, value)):
            return CODE_MASK
        return value

    return _RULE_PART.sub(fill, rule)


class _Redacting(logging.Filter):
    """Masks addresses and codes in every record of gunicorn's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_text(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        return True


class AnonymousAccessLogger(Logger):
    """A gunicorn logger class whose logs carry no client identity and no code."""

    def setup(self, cfg):
        super().setup(cfg)
        if not any(isinstance(f, _Redacting) for f in self.error_log.filters):
            self.error_log.addFilter(_Redacting())

    def atoms(self, resp, req, environ, request_time):
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        path = environ.get(LOG_PATH_KEY) or redact_path(environ.get("PATH_INFO", ""))
        method = redact_text(environ["REQUEST_METHOD"])
        sent = getattr(resp, "sent", None)
        return {
            "t": self.now(),
            "r": f"{method} {path} {environ.get('SERVER_PROTOCOL', '')}",
            "m": method,
            "U": path,
            "s": status,
            "b": str(sent) if sent is not None else "-",
            "M": request_time.seconds * 1000 + request_time.microseconds // 1000,
            "L": f"{request_time.seconds}.{request_time.microseconds:06d}",
            "p": f"<{os.getpid()}>",
        }
