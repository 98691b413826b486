"""A stored dossier file as an HTTP response: the same headers wherever it is served (the staff
workspace, the applicant's pages, the API)."""

from __future__ import annotations

import base64
import hashlib

from django.http import HttpResponse

__all__ = ["document_response"]


def document_response(document, data: bytes, *, attachment: bool = False) -> HttpResponse:
    """``data`` (already checked by ``dossiers.files.read_checked``) with its SHA-256 in ``Digest``,
    shown in the browser or, with ``attachment``, saved; never sniffed or cached by the way."""
    response = HttpResponse(data, content_type=document.content_type)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{document.file.name.rsplit("/", 1)[-1]}"'
    response["Digest"] = "sha-256=" + base64.b64encode(hashlib.sha256(data).digest()).decode()
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
