"""Commands on accounts: staff and their roles, applicants. One transaction each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from motcua.accounts.identity import IdentityError, normalize_cccd, normalize_tax_code
from motcua.accounts.models import Applicant, ApplicantKind, Role, StaffMembership, User
from motcua.accounts.scope import editable_users, may_grant
from motcua.org.models import OrgUnit
from motcua.text import nfc

__all__ = [
    "create_staff",
    "grant_role",
    "check_may_grant",
    "revoke_role",
    "ApplicantData",
    "clean_applicant",
    "register_applicant",
    "find_applicant",
]


@transaction.atomic
def create_staff(
    username: str, full_name: str, password: str | None, roles: list[tuple[OrgUnit, str]] = (),
    *, email: str = "", check_password: bool = True, superuser: bool = False,
) -> User:
    username = nfc(username)
    if not username:
        raise ValidationError({"username": "Tên đăng nhập không được để trống."})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"Tên đăng nhập “{username}” đã tồn tại."})
    user = User(username=username, full_name=nfc(full_name), email=email, is_staff=True, is_superuser=superuser)
    if password is None:
        user.set_unusable_password()
    else:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    user.save()
    for unit, role in roles:
        grant_role(user, unit, role)
    return user


@transaction.atomic
def grant_role(user: User, unit: OrgUnit, role: str, actor: User | None = None) -> StaffMembership:
    """Give ``user`` a role in ``unit``; with an ``actor``, only a role the actor may hand out there."""
    if role not in Role.values:
        raise ValidationError({"role": f"Vai trò “{role}” không tồn tại."})
    if actor is not None:
        check_may_grant(actor, user, unit, role)
    membership, _ = StaffMembership.objects.update_or_create(
        user=user, unit=unit, role=role, defaults={"is_active": True}
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


def check_may_grant(actor: User, user: User | None, unit: OrgUnit, role: str) -> None:
    """Raise ValidationError unless ``actor`` may give ``role`` in ``unit`` to ``user``."""
    if not may_grant(actor, unit, role):
        raise ValidationError({"role": f"Bạn không có quyền giao vai trò “{Role(role).label}” tại {unit.name}."})
    if user is None or not user.pk or actor.is_superuser:
        return
    # A new account with no role yet may be staffed; anyone else only if they are wholly the actor's.
    fresh = not user.is_superuser and not user.memberships.filter(is_active=True).exists()
    if not fresh and not editable_users(actor).filter(pk=user.pk).exists():
        raise ValidationError({"user": "Cán bộ này đang giữ vai trò ở đơn vị ngoài phạm vi quản lý của bạn."})


@transaction.atomic
def revoke_role(user: User, unit: OrgUnit, role: str) -> None:
    StaffMembership.objects.filter(user=user, unit=unit, role=role).update(is_active=False)


@dataclass
class ApplicantData:
    kind: str
    full_name: str
    cccd: str = ""
    tax_code: str = ""
    date_of_birth: dt.date | None = None
    address: str = ""
    phone: str = ""
    email: str = ""


def clean_applicant(data: ApplicantData, instance: Applicant | None = None) -> ApplicantData:
    errors: dict[str, str] = {}
    data.full_name = nfc(data.full_name or "")
    data.address = nfc(data.address or "")
    if not data.full_name:
        errors["full_name"] = "Họ tên hoặc tên tổ chức không được để trống."
    if data.kind == ApplicantKind.CITIZEN:
        try:
            data.cccd = normalize_cccd(data.cccd)
        except IdentityError as exc:
            errors["cccd"] = str(exc)
        if data.tax_code:
            try:
                data.tax_code = normalize_tax_code(data.tax_code)
            except IdentityError as exc:
                errors["tax_code"] = str(exc)
    elif data.kind == ApplicantKind.ORGANISATION:
        try:
            data.tax_code = normalize_tax_code(data.tax_code)
        except IdentityError as exc:
            errors["tax_code"] = str(exc)
        data.cccd = ""
    else:
        errors["kind"] = "Loại người nộp hồ sơ phải là công dân hoặc tổ chức."
    if data.date_of_birth and data.date_of_birth > timezone.localdate():
        errors["date_of_birth"] = "Ngày sinh không được sau ngày hôm nay."
    if not errors:
        others = Applicant.objects.exclude(pk=instance.pk) if instance and instance.pk else Applicant.objects.all()
        if data.kind == ApplicantKind.CITIZEN and others.filter(cccd=data.cccd).exists():
            errors["cccd"] = f"Đã có người nộp hồ sơ với số căn cước {data.cccd}."
        if data.kind == ApplicantKind.ORGANISATION and others.filter(kind=data.kind, tax_code=data.tax_code).exists():
            errors["tax_code"] = f"Đã có tổ chức với mã số thuế {data.tax_code}."
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def register_applicant(data: ApplicantData) -> Applicant:
    data = clean_applicant(data)
    return Applicant.objects.create(**vars(data))


def find_applicant(identity: str) -> Applicant | None:
    """Earlier applicant by CCCD or tax code, as typed at the desk."""
    for normalize, field in ((normalize_cccd, "cccd"), (normalize_tax_code, "tax_code")):
        try:
            value = normalize(identity)
        except IdentityError:
            continue
        found = Applicant.objects.filter(**{field: value}).first()
        if found:
            return found
    return None
