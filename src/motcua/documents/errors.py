"""The one error type of the forms package."""

from __future__ import annotations

__all__ = ["FormError"]


class FormError(ValueError):
    """A form cannot be rendered from the given input (unknown form or regime, a missing or
    ill-typed context key, a refused resource). The message is English and names the key: it is
    meant for the developer who builds the context, not for the citizen."""
