"""Gunicorn access logging that cannot identify respondents.

Access logs normally record the client address, user agent and full request line. For a
respondent that would put an IP address next to the access code in ``/s/<code>`` and
next to the time a ballot was posted. This logger keeps only what operators need: time,
method, path with codes masked, status, size and duration.
"""

from __future__ import annotations

import os
import re

from gunicorn.glogging import Logger

CODE_IN_PATH = re.compile(r"^/s/[^/?#]*")


def redact_path(path: str) -> str:
    """The path with any access code replaced by a mask."""
    return CODE_IN_PATH.sub("/s/<code>", path or "")


class AnonymousAccessLogger(Logger):
    """A gunicorn logger class whose access-log atoms carry no client identity."""

    def atoms(self, resp, req, environ, request_time):
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        path = redact_path(environ.get("PATH_INFO", ""))
        sent = getattr(resp, "sent", None)
        return {
            "t": self.now(),
            "r": f"{environ['REQUEST_METHOD']} {path} {environ.get('SERVER_PROTOCOL', '')}",
            "m": environ["REQUEST_METHOD"],
            "U": path,
            "s": status,
            "b": str(sent) if sent is not None else "-",
            "M": request_time.seconds * 1000 + request_time.microseconds // 1000,
            "L": f"{request_time.seconds}.{request_time.microseconds:06d}",
            "p": f"<{os.getpid()}>",
        }
