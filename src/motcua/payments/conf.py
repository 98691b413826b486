"""The payment settings, each read from Django settings when set there (tests override them so),
else from the environment, with its default. Documented in README ("Paying fees online").

They live here rather than in motcua/settings.py so the payments app stays self-contained; they are
read on every use, never cached, so a changed setting takes effect at once.
"""

from __future__ import annotations

from motcua.appconf import setting

__all__ = ["get", "provider_name", "provider_options", "expire_minutes"]

DEFAULTS = {
    # MOTCUA_PAYMENT_PROVIDER: "vnpay" (VNPay's protocol 2.1.0), or "" to switch online payment off.
    "MOTCUA_PAYMENT_PROVIDER": "vnpay",
    # MOTCUA_VNPAY_URL: the gateway's payment page; the default is the local fake gateway (motcua fake-gateway).
    "MOTCUA_VNPAY_URL": "http://127.0.0.1:8765/paymentv2/vpcpay.html",
    # MOTCUA_VNPAY_TMN_CODE: the merchant (website) code the gateway gave the agency.
    "MOTCUA_VNPAY_TMN_CODE": "MOTCUA01",
    # MOTCUA_VNPAY_HASH_SECRET: the shared signing secret; empty = online payment not configured.
    "MOTCUA_VNPAY_HASH_SECRET": "",
    # MOTCUA_PAYMENT_EXPIRE_MINUTES: how long the gateway accepts a payment after it was started.
    "MOTCUA_PAYMENT_EXPIRE_MINUTES": "15",
}


def get(name: str) -> str:
    return setting(name, DEFAULTS)


def provider_name() -> str:
    return get("MOTCUA_PAYMENT_PROVIDER").lower()


def provider_options(name: str) -> dict[str, str]:
    """Every MOTCUA_<PROVIDER>_* setting, keyed by the rest of its name in lower case (url, tmn_code, ...)."""
    prefix = f"MOTCUA_{name.upper()}_"
    return {key[len(prefix):].lower(): get(key) for key in DEFAULTS if key.startswith(prefix)}


def expire_minutes() -> int:
    return max(1, int(get("MOTCUA_PAYMENT_EXPIRE_MINUTES")))
