"""The error every layer may raise: an operation refused, with a message for the person."""

from __future__ import annotations


class ServiceError(Exception):
    """An operation was refused; ``str(error)`` is a message for the user, in their
    language (services are called in a request; elsewhere, in the default language).
    ``field`` names the form field the message belongs on, if any."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
