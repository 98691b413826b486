"""The payment-provider registry: ``get_provider()`` is the one configured by MOTCUA_PAYMENT_PROVIDER."""

from __future__ import annotations

from motcua.payments import conf
from motcua.payments.providers import vnpay  # noqa: F401  (registers itself)
from motcua.payments.providers.base import PROVIDERS, NotConfigured, PaymentProvider

__all__ = ["get_provider", "NotConfigured"]


def get_provider() -> PaymentProvider:
    """The configured provider; NotConfigured when payment is off, unknown or missing a setting."""
    name = conf.provider_name()
    if not name or name == "none":
        raise NotConfigured("online payment is switched off (MOTCUA_PAYMENT_PROVIDER is empty)")
    if name not in PROVIDERS:
        raise NotConfigured(f"unknown payment provider {name!r}; known: {', '.join(sorted(PROVIDERS))}")
    provider = PROVIDERS[name](conf.provider_options(name))
    provider.check()
    return provider
