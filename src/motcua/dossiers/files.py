"""Dossier files: checked by content (not by name), stored through Django storage with their SHA-256.

Files are written before the command's transaction commits; ``StoredFiles`` removes them again when
the command fails, so a refused command leaves neither rows nor files behind.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from motcua.dossiers.errors import DossierError

__all__ = ["Upload", "sniff", "check", "read_checked", "StoredFiles", "ALLOWED_TYPES"]

ALLOWED_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"),
               (b"\x89PNG\r\n\x1a\n", "image/png"))


@dataclass
class Upload:
    """One document handed in: what it is (name, kind, count, which required document) and, when
    scanned or uploaded, its file. A paper original checked at the desk has no file."""

    name: str
    kind: str = "original"
    count: int = 1
    required_id: int | None = None
    file_name: str = ""
    content: bytes | BinaryIO | None = None


def sniff(head: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def _read(content: bytes | BinaryIO, limit: int) -> bytes:
    if isinstance(content, (bytes, bytearray)):
        data = bytes(content)
    else:
        data = content.read(limit + 1)
    return data


def check(upload: Upload) -> tuple[bytes, str] | None:
    """The file's bytes and sniffed type, or a clear refusal. None when there is no file."""
    if upload.content is None:
        return None
    limit = settings.MOTCUA_MAX_UPLOAD_MB * 1024 * 1024
    data = _read(upload.content, limit)
    label = upload.file_name or upload.name
    if not data:
        raise DossierError(f"Tệp “{label}” rỗng.", code="empty_file")
    if len(data) > limit:
        raise DossierError(f"Tệp “{label}” vượt quá {settings.MOTCUA_MAX_UPLOAD_MB} MB.", code="file_too_large")
    content_type = sniff(data[:16])
    if content_type is None:
        raise DossierError(f"Tệp “{label}” không phải PDF, JPEG hoặc PNG.", code="file_type")
    return data, content_type


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def read_checked(document) -> bytes | None:
    """A stored document's bytes, or None when they no longer match the SHA-256 recorded when it was
    stored (the file was changed on disk): such a file is never served."""
    with document.file.open("rb") as handle:
        data = handle.read()
    return data if hashlib.sha256(data).hexdigest() == document.sha256 else None


def _safe_name(name: str, content_type: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = ascii_name.encode("ascii", "ignore").decode()
    stem = _UNSAFE.sub("-", ascii_name.rsplit(".", 1)[0]).strip("-.")[:60] or "tep"
    return stem + ALLOWED_TYPES[content_type]


class StoredFiles:
    """Collects the files a command stores; ``discard`` deletes them if the command fails."""

    def __init__(self):
        self.names: list[str] = []

    def save(self, folder: str, upload: Upload, data: bytes, content_type: str) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        path = f"dossiers/{folder}/{digest[:16]}-{_safe_name(upload.file_name or upload.name, content_type)}"
        name = default_storage.save(path, ContentFile(data))
        self.names.append(name)
        return {"file": name, "sha256": digest, "content_type": content_type, "size": len(data),
                "file_name": (upload.file_name or upload.name)[:255]}

    def discard(self) -> None:
        for name in self.names:
            try:
                default_storage.delete(name)
            except OSError:  # already gone: nothing to undo
                pass
        self.names.clear()
