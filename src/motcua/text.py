"""Text rules shared by every layer: NFC on the way in, accent folding for search. Pure Python."""

from __future__ import annotations

import unicodedata

__all__ = ["nfc", "fold"]

# đ/Đ are letters of their own, not d + a combining mark, so NFD does not strip them.
_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(value: str) -> str:
    """The canonical form stored everywhere: NFC with surrounding whitespace removed."""
    return unicodedata.normalize("NFC", value).strip()


def fold(value: str) -> str:
    """Case-, diacritic- and đ-insensitive key: "Đăng ký khai sinh" -> "dang ky khai sinh"."""
    decomposed = unicodedata.normalize("NFD", value.translate(_FOLD_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())
