"""Identity providers behind one small interface; ``MOTCUA_IDENTITY_PROVIDERS`` lists the ones the
login page offers, by name.

Add one (VNeID's own protocol, a ministry's SSO) by subclassing ``IdentityProvider`` and decorating
it with ``@register_identity_provider("name")``; the login page shows its button, and its verified
identity is signed in by ``applicants.identities.sign_in_with_identity``.
"""

from __future__ import annotations

from motcua.applicants import conf
from motcua.applicants.providers.base import (
    PROVIDERS, IdentityProvider, ProviderError, VerifiedIdentity, register_identity_provider,
)
from motcua.applicants.providers import oidc  # noqa: F401  (registers "oidc")

__all__ = ["IdentityProvider", "ProviderError", "VerifiedIdentity", "register_identity_provider", "PROVIDERS",
           "enabled_providers", "get_provider"]


def enabled_providers() -> list[IdentityProvider]:
    return [PROVIDERS[name](name) for name in conf.get_list("MOTCUA_IDENTITY_PROVIDERS") if name in PROVIDERS]


def get_provider(name: str) -> IdentityProvider | None:
    """The provider called ``name`` when it is enabled, else None (its pages answer 404)."""
    return next((provider for provider in enabled_providers() if provider.name == name), None)
