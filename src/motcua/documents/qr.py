"""QR codes for the forms: a PNG data URI, so the PDF renderer never needs the network or disk."""

from __future__ import annotations

import base64
import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage

from motcua.documents.errors import FormError

__all__ = ["qr_png", "qr_png_data_uri"]


def qr_png(text: str, *, box_size: int = 8, border: int = 2) -> bytes:
    """The QR code of ``text`` as PNG bytes (error correction M: survives a creased receipt)."""
    if not isinstance(text, str) or not text.strip():
        raise FormError("QR code: the text to encode must be a non-empty string")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border,
                         image_factory=PilImage)
    code.add_data(text.strip())
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def qr_png_data_uri(text: str) -> str:
    """``data:image/png;base64,…`` of the QR code of ``text``, ready for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode("ascii")
