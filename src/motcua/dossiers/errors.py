"""Refusals of dossier commands. Each carries a Vietnamese message for people and a stable code for
programs; the API maps them to HTTP statuses (``status``)."""

from __future__ import annotations

__all__ = ["DossierError", "NotAllowed", "Conflict", "NotFound"]


class DossierError(Exception):
    """The command cannot run: wrong state, bad input, a rule of law. HTTP 422."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotAllowed(DossierError):
    """The actor's roles or units do not allow the command. HTTP 403."""

    status = 403
    code = "forbidden"


class Conflict(DossierError):
    """Someone else changed the dossier first (stale version, step already taken). HTTP 409."""

    status = 409
    code = "conflict"


class NotFound(DossierError):
    status = 404
    code = "not_found"
