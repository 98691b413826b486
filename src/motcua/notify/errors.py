from __future__ import annotations

__all__ = ["DeliveryError"]


class DeliveryError(Exception):
    """A message could not be delivered. ``permanent``: retrying cannot help, the message goes
    straight to the dead-letter list (an administrator may requeue it after fixing the cause)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent
