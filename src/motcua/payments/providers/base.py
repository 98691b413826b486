"""What a payment provider is: it turns an attempt into the gateway's signed redirect, reads the
gateway's signed callbacks, and answers the server-to-server notification in the gateway's format.

Providers are chosen by name (MOTCUA_PAYMENT_PROVIDER) from a registry; adding a gateway is one
module with one ``@register``-ed class.
"""

from __future__ import annotations

import datetime as dt
import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Mapping

__all__ = ["PaymentProvider", "GatewayResult", "Outcome", "BadCallback", "NotConfigured", "register", "PROVIDERS"]


class Outcome(enum.Enum):
    """How a callback ended, whatever the gateway: the provider turns it into the gateway's answer."""

    CONFIRMED = "confirmed"  # recorded now (paid, cancelled or failed)
    ALREADY_CONFIRMED = "already_confirmed"  # the attempt was finished by an earlier callback
    NOT_FOUND = "not_found"  # no attempt with that reference
    WRONG_AMOUNT = "wrong_amount"  # the amount differs from what the attempt asked for
    BAD_SIGNATURE = "bad_signature"  # not signed with our secret: maybe forged, never trusted
    MALFORMED = "malformed"  # signed, but missing or unreadable fields


class BadCallback(Exception):
    """The callback cannot be trusted or read; ``outcome`` says which (bad signature or malformed)."""

    def __init__(self, outcome: Outcome, detail: str = ""):
        super().__init__(detail or outcome.value)
        self.outcome = outcome


class NotConfigured(Exception):
    """The provider lacks a setting it needs (its secret, its URL)."""


@dataclass(frozen=True)
class GatewayResult:
    """A verified callback, in our terms."""

    reference: str  # our attempt's reference (VNPay: vnp_TxnRef)
    amount: int  # đồng
    paid: bool
    cancelled: bool  # the applicant pressed cancel: not an error, just not paid
    transaction_no: str  # the gateway's own number for the transaction
    response_code: str
    params: dict = field(default_factory=dict)  # everything the gateway signed, kept as evidence


class PaymentProvider(ABC):
    name: ClassVar[str]
    label: ClassVar[str]  # what the applicant reads ("Cổng thanh toán VNPAY")

    def __init__(self, options: Mapping[str, str]):
        self.options = dict(options)

    def check(self) -> None:
        """NotConfigured when a setting the provider needs is missing (asked before showing a pay button)."""

    @abstractmethod
    def redirect_url(self, *, reference: str, amount: int, description: str, return_url: str, client_ip: str,
                     now: dt.datetime) -> str:
        """The gateway's page for this payment, signed."""

    @abstractmethod
    def read_callback(self, params: Mapping[str, str]) -> GatewayResult:
        """Verify and read a callback (return or notification); ``BadCallback`` otherwise."""

    @abstractmethod
    def answer(self, outcome: Outcome) -> dict:
        """The body of the answer to the server-to-server notification (sent as JSON)."""


PROVIDERS: dict[str, type[PaymentProvider]] = {}


def register(cls: type[PaymentProvider]) -> type[PaymentProvider]:
    PROVIDERS[cls.name] = cls
    return cls
