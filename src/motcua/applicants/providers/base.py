"""The identity-provider interface: send the applicant away to prove who they are, and read back a
verified identity when they return."""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

__all__ = ["IdentityProvider", "ProviderError", "VerifiedIdentity", "register_identity_provider", "PROVIDERS"]


class ProviderError(Exception):
    """The provider's answer cannot be trusted or used; the message is for the applicant."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class VerifiedIdentity:
    provider: str
    subject: str  # the provider's stable identifier of the person
    cccd: str  # normalised; how the person is found among applicants
    full_name: str
    date_of_birth: dt.date | None = None
    email: str = ""  # only when the provider says it is verified
    phone: str = ""
    claims: dict[str, Any] = field(default_factory=dict)


class IdentityProvider(abc.ABC):
    label: str = ""

    def __init__(self, name: str):
        self.name = name

    @abc.abstractmethod
    def begin(self, request, redirect_uri: str) -> str:
        """The URL to send the browser to; what the return must match is kept in the session."""

    @abc.abstractmethod
    def complete(self, request, redirect_uri: str) -> VerifiedIdentity:
        """The identity the provider vouches for on this return request, or ProviderError."""


PROVIDERS: dict[str, type[IdentityProvider]] = {}
P = TypeVar("P", bound=type[IdentityProvider])


def register_identity_provider(name: str) -> Callable[[P], P]:
    def decorator(cls: P) -> P:
        PROVIDERS[name] = cls
        return cls
    return decorator
