"""The applicant-account settings, each read from Django settings when set there (tests override
them so), else from the environment, with its default. Documented in README ("Applicant accounts").

They live here rather than in motcua/settings.py so the app stays self-contained (as payments/conf.py
does); they are read on every use, so a changed setting takes effect at once.
"""

from __future__ import annotations

from motcua.appconf import setting

__all__ = ["get", "get_int", "get_list"]

DEFAULTS = {
    # MOTCUA_CODE_TTL_MINUTES: how long a verification or password-reset code stays valid.
    "MOTCUA_CODE_TTL_MINUTES": "15",
    # MOTCUA_CODE_MAX_ATTEMPTS: wrong entries that use a code up (a new one must be requested).
    "MOTCUA_CODE_MAX_ATTEMPTS": "5",
    # MOTCUA_CODE_RESEND_SECONDS: the wait before another code may be sent to the same account.
    "MOTCUA_CODE_RESEND_SECONDS": "60",
    # MOTCUA_IDENTITY_PROVIDERS: comma-separated identity providers offered on the login page ("oidc"), or empty.
    "MOTCUA_IDENTITY_PROVIDERS": "",
    # MOTCUA_OIDC_ISSUER: the OpenID provider's issuer URL (its discovery document is ISSUER/.well-known/openid-configuration).
    "MOTCUA_OIDC_ISSUER": "",
    # MOTCUA_OIDC_CLIENT_ID / MOTCUA_OIDC_CLIENT_SECRET: the portal's client registration at the provider.
    "MOTCUA_OIDC_CLIENT_ID": "",
    "MOTCUA_OIDC_CLIENT_SECRET": "",
    # MOTCUA_OIDC_LABEL: the button's text, "Đăng nhập bằng <label>".
    "MOTCUA_OIDC_LABEL": "VNeID",
    # MOTCUA_OIDC_SCOPE: the scopes asked for.
    "MOTCUA_OIDC_SCOPE": "openid profile",
    # MOTCUA_OIDC_CCCD_CLAIM / MOTCUA_OIDC_NAME_CLAIM / MOTCUA_OIDC_BIRTHDATE_CLAIM: where the id_token carries them.
    "MOTCUA_OIDC_CCCD_CLAIM": "cccd",
    "MOTCUA_OIDC_NAME_CLAIM": "name",
    "MOTCUA_OIDC_BIRTHDATE_CLAIM": "birthdate",
    # MOTCUA_OIDC_TIMEOUT: seconds before a call to the provider (discovery, token, keys) gives up.
    "MOTCUA_OIDC_TIMEOUT": "10",
}


def get(name: str) -> str:
    return setting(name, DEFAULTS)


def get_int(name: str) -> int:
    return int(get(name))


def get_list(name: str) -> list[str]:
    return [item.strip() for item in get(name).split(",") if item.strip()]
