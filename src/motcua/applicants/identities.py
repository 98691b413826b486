"""Signing in with an identity a provider vouched for: the same person is found by the provider's
subject, else by CCCD among the applicants (linking the record the desk made earlier, or the account
registered with a password), else a new applicant and account are created — one transaction."""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.accounts.models import Applicant, ApplicantKind, User
from motcua.applicants.contact import ContactError, normalize_email, normalize_phone
from motcua.applicants.models import Account, ExternalIdentity
from motcua.applicants.providers.base import ProviderError, VerifiedIdentity

__all__ = ["sign_in_with_identity"]

_LOCKED = "Tài khoản này đã bị khóa. Vui lòng liên hệ Bộ phận Một cửa."


def _contact(identity: VerifiedIdentity) -> dict[str, str]:
    out = {"email": "", "phone": ""}
    for key, normalize in (("email", normalize_email), ("phone", normalize_phone)):
        try:
            out[key] = normalize(getattr(identity, key)) if getattr(identity, key) else ""
        except ContactError:
            pass  # a provider's odd format is no reason to refuse the login; the profile can fix it
    return out


def _new_user(identity: VerifiedIdentity, now) -> User:
    digest = hashlib.sha256(f"{identity.provider}:{identity.subject}".encode()).hexdigest()[:40]
    user = User(username=f"{identity.provider}-{digest}", full_name=identity.full_name[:150], is_active=True)
    user.set_unusable_password()  # signs in at the provider, never with a password here
    user.save()
    Account.objects.create(user=user, verified_at=now)
    return user


def _sign_in(identity: VerifiedIdentity) -> User:
    now = timezone.now()
    link = (ExternalIdentity.objects.select_for_update().select_related("user")
            .filter(provider=identity.provider, subject=identity.subject).first())
    if link is not None:
        user = link.user
        if not user.is_active:
            raise ProviderError(_LOCKED)
        link.last_login_at, link.claims = now, identity.claims
        link.save(update_fields=["last_login_at", "claims"])
        return user
    applicant = (Applicant.objects.select_for_update(of=("self",)).select_related("user")
                 .filter(cccd=identity.cccd).first())
    contact = _contact(identity)
    if applicant is not None and applicant.user_id is not None:
        user = applicant.user
        if not user.is_active:
            raise ProviderError(_LOCKED)
    elif applicant is not None:
        # Known at the desk, no account yet: the provider's check stands for the code we would send.
        user = _new_user(identity, now)
        applicant.user = user
        for name, value in (("date_of_birth", identity.date_of_birth), *contact.items()):
            if value and not getattr(applicant, name):
                setattr(applicant, name, value)
        applicant.save()
    else:
        user = _new_user(identity, now)
        Applicant.objects.create(kind=ApplicantKind.CITIZEN, full_name=identity.full_name, cccd=identity.cccd,
                                 date_of_birth=identity.date_of_birth, user=user, **contact)
    ExternalIdentity.objects.create(provider=identity.provider, subject=identity.subject, user=user,
                                    claims=identity.claims, last_login_at=now)
    return user


def sign_in_with_identity(identity: VerifiedIdentity) -> User:
    """The user to log in as; ProviderError when the account is locked."""
    try:
        with transaction.atomic():
            return _sign_in(identity)
    except IntegrityError:
        # The same person arriving twice at once: the other request created the records; read them.
        with transaction.atomic():
            return _sign_in(identity)
