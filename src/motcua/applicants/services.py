"""Commands on applicants' portal accounts. Each state change is one transaction; refusals raise
ValidationError ({field: Vietnamese message}), CodeError or LoginRefused and write nothing (except a
counted wrong code or a failed login, which must be remembered).

- ``register``: a pending account (inactive user, identity kept aside) and a code sent to its login;
- ``verify``: the code makes the account usable — its Applicant is created, or the one the desk
  registered earlier (same CCCD / tax code, no account yet) is linked;
- ``resend_code``, ``sign_in`` (with the staff login's lockout), ``request_password_reset`` and
  ``reset_password`` (same answers whether the account exists or not), ``update_contact``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.accounts.identity import IdentityError, normalize_cccd, normalize_tax_code
from motcua.accounts.models import Applicant, ApplicantKind, User
from motcua.accounts.services import ApplicantData, clean_applicant
from motcua.applicants import codes, delivery
from motcua.applicants.codes import CodeError
from motcua.applicants.contact import ContactError, Login, normalize_email, normalize_phone, parse_login
from motcua.applicants.models import Account, CodePurpose
from motcua.notify.errors import DeliveryError
from motcua.text import nfc
from motcua.workspace.login import LoginRefused, locked_until
from motcua.workspace.models import LoginAttempt

__all__ = ["Registration", "Started", "CodeError", "DeliveryError", "LoginRefused", "NotVerified",
           "register", "verify", "resend_code", "sign_in", "request_password_reset", "reset_password",
           "ContactDetails", "update_contact", "pending_account"]

RESET_REFUSED = ("Mã không đúng, đã hết hạn hoặc đã bị nhập sai quá nhiều lần. Kiểm tra lại địa chỉ, mã, "
                 "hoặc yêu cầu gửi mã mới.")


class NotVerified(Exception):
    """The password was right but the account still waits for its code."""

    def __init__(self, account: Account):
        super().__init__("account not verified")
        self.account = account


@dataclass
class Registration:
    kind: str
    login: str
    password: str
    password2: str
    full_name: str = ""  # the citizen, or the organisation's name
    cccd: str = ""
    tax_code: str = ""
    date_of_birth: dt.date | None = None
    address: str = ""
    representative: str = ""  # who acts for an organisation (the account's user)


@dataclass
class Started:
    """A code was issued (or is still valid) for ``account``; ``problem`` says why it may not have arrived."""

    account: Account
    problem: str = ""


# --- helpers ------------------------------------------------------------------------------------

_PASSWORD_MESSAGES = {
    "password_too_short": "Mật khẩu quá ngắn: cần ít nhất {min_length} ký tự.",
    "password_too_common": "Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn mật khẩu khác.",
    "password_entirely_numeric": "Mật khẩu không được chỉ gồm chữ số.",
    "password_too_similar": "Mật khẩu quá giống thông tin tài khoản (tên, thư điện tử, số điện thoại).",
}


def password_problems(password: str, password2: str, user: User) -> list[str]:
    """Django's password validators, said in Vietnamese (some of their translations are missing)."""
    if not password:
        return ["Nhập mật khẩu."]
    if password != password2:
        return ["Hai lần nhập mật khẩu không khớp nhau."]
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return [(_PASSWORD_MESSAGES[e.code].format(**(e.params or {})) if e.code in _PASSWORD_MESSAGES
                 else " ".join(e.messages)) for e in exc.error_list]
    return []


def _login_filter(login: Login) -> dict:
    return {login.kind: login.value}


def pending_account(raw_login: str) -> Account | None:
    try:
        login = parse_login(raw_login)
    except ContactError:
        return None
    return (Account.objects.select_related("user")
            .filter(verified_at__isnull=True, **_login_filter(login)).first())


def _send(account: Account, purpose: str, issued: codes.Issued) -> str:
    try:
        delivery.send_code(account.login, purpose, issued.code, issued.row.pk)
    except DeliveryError as exc:
        return str(exc)
    return ""


def _existing_applicant(kind: str, cccd: str, tax_code: str):
    if kind == ApplicantKind.CITIZEN:
        return Applicant.objects.filter(cccd=cccd)
    return Applicant.objects.filter(kind=ApplicantKind.ORGANISATION, tax_code=tax_code)


def _taken_message(kind: str, value: str) -> str:
    what = f"Số căn cước {value}" if kind == ApplicantKind.CITIZEN else f"Mã số thuế {value}"
    return (f"{what} đã có tài khoản trên cổng dịch vụ công. Hãy đăng nhập, hoặc dùng “Quên mật khẩu” "
            f"nếu không nhớ mật khẩu.")


# --- register -----------------------------------------------------------------------------------

def _clean_registration(data: Registration) -> tuple[Login | None, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    login = None
    try:
        login = parse_login(data.login)
    except ContactError as exc:
        errors["login"] = [str(exc)]
    data.full_name, data.address, data.representative = (nfc(data.full_name or ""), nfc(data.address or ""),
                                                         nfc(data.representative or ""))
    if data.kind == ApplicantKind.CITIZEN:
        if not data.full_name:
            errors["full_name"] = ["Nhập họ và tên."]
        try:
            data.cccd = normalize_cccd(data.cccd)
        except IdentityError as exc:
            errors["cccd"] = [str(exc)]
        if data.date_of_birth is None:
            errors["date_of_birth"] = ["Nhập ngày sinh (ngày/tháng/năm)."]
        elif data.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = ["Ngày sinh không được sau ngày hôm nay."]
        elif data.date_of_birth < dt.date(1900, 1, 1):
            errors["date_of_birth"] = ["Ngày sinh không hợp lệ."]
        data.tax_code, data.representative = "", ""
    elif data.kind == ApplicantKind.ORGANISATION:
        if not data.full_name:
            errors["full_name"] = ["Nhập tên tổ chức, doanh nghiệp."]
        try:
            data.tax_code = normalize_tax_code(data.tax_code)
        except IdentityError as exc:
            errors["tax_code"] = [str(exc)]
        if not data.representative:
            errors["representative"] = ["Nhập họ tên người đại diện."]
        data.cccd, data.date_of_birth = "", None
    else:
        errors["kind"] = ["Chọn đăng ký cho công dân hay cho tổ chức, doanh nghiệp."]
    if not data.address:
        errors["address"] = ["Nhập địa chỉ."]
    if len(data.full_name) > 255 or len(data.address) > 255 or len(data.representative) > 150:
        errors.setdefault("full_name", []).append("Tên hoặc địa chỉ quá dài (tối đa 255 ký tự).")
    probe = User(username=login.value if login else "", email=login.value if login and login.kind == "email" else "",
                 full_name=data.representative or data.full_name)
    problems = password_problems(data.password, data.password2, probe)
    if problems:
        errors["password"] = problems
    return login, errors


def register(data: Registration, now: dt.datetime | None = None) -> Started:
    """Open a pending account and send its code. Registering again with the same login before the
    code is entered updates that pending account (the resend cooldown still holds)."""
    now = now or timezone.now()
    login, errors = _clean_registration(data)
    if errors:
        raise ValidationError(errors)
    identity = data.cccd or data.tax_code
    try:
        with transaction.atomic():
            if _existing_applicant(data.kind, data.cccd, data.tax_code).filter(user__isnull=False).exists():
                raise ValidationError({"cccd" if data.kind == ApplicantKind.CITIZEN else "tax_code":
                                       [_taken_message(data.kind, identity)]})
            account = (Account.objects.select_for_update().select_related("user")
                       .filter(**_login_filter(login)).first())
            if account is not None and account.verified_at is not None:
                raise ValidationError({"login": [f"{login.value} đã được dùng cho một tài khoản khác. Hãy đăng nhập, "
                                                 f"hoặc dùng “Quên mật khẩu”."]})
            others = User.objects.filter(username=login.value)
            if account is not None:
                others = others.exclude(pk=account.user_id)
            if others.exists():  # a staff username, say
                raise ValidationError({"login": [f"{login.value} đã được dùng cho một tài khoản khác."]})
            if account is None:
                user = User(username=login.value, is_active=False)
                account = Account(**_login_filter(login))
            else:
                user = account.user
            user.full_name = data.representative or data.full_name
            user.email = login.value if login.kind == "email" else ""
            user.phone = login.value if login.kind == "phone" else ""
            user.set_password(data.password)
            user.save()
            account.user = user
            account.pending = {
                "kind": data.kind, "full_name": data.full_name, "cccd": data.cccd, "tax_code": data.tax_code,
                "date_of_birth": data.date_of_birth.isoformat() if data.date_of_birth else None,
                "address": data.address,
            }
            account.save()
            try:
                issued = codes.issue(account, CodePurpose.VERIFY, now)
            except CodeError as exc:
                issued, problem = None, exc.message + " Mã đã gửi trước đó vẫn dùng được."
    except IntegrityError:
        # Two registrations with the same login at once: the other one won.
        raise ValidationError({"login": [f"{login.value} đã được dùng cho một tài khoản khác."]}) from None
    if issued is not None:
        problem = _send(account, CodePurpose.VERIFY, issued)
    return Started(account, problem)


# --- verify, resend ------------------------------------------------------------------------------

def _activate(account: Account, now: dt.datetime) -> Applicant:
    """The pending identity becomes the account's Applicant: linked when the desk knows it already."""
    p = account.pending
    user = account.user
    born = dt.date.fromisoformat(p["date_of_birth"]) if p["date_of_birth"] else None
    contact = {"email": account.email or "", "phone": account.phone or ""}
    existing = _existing_applicant(p["kind"], p["cccd"], p["tax_code"]).select_for_update().first()
    if existing is not None:
        if existing.user_id is not None:
            raise ValidationError({"code": [_taken_message(p["kind"], p["cccd"] or p["tax_code"])]})
        # The desk saw the papers: keep what it recorded, fill in only what it left empty.
        for name, value in (("address", p["address"]), ("date_of_birth", born), *contact.items()):
            if value and not getattr(existing, name):
                setattr(existing, name, value)
        existing.user = user
        existing.save()
        applicant = existing
    else:
        data = clean_applicant(ApplicantData(
            kind=p["kind"], full_name=p["full_name"], cccd=p["cccd"], tax_code=p["tax_code"],
            date_of_birth=born, address=p["address"], **contact))
        try:
            with transaction.atomic():
                applicant = Applicant.objects.create(user=user, **vars(data))
        except IntegrityError:
            raise ValidationError({"code": [_taken_message(p["kind"], p["cccd"] or p["tax_code"])]}) from None
    user.is_active = True
    user.save(update_fields=["is_active"])
    account.verified_at = now
    account.pending = {}
    account.save(update_fields=["verified_at", "pending"])
    return applicant


def verify(raw_login: str, code: str, now: dt.datetime | None = None) -> User:
    """The account's user, now active with its Applicant; CodeError (or ValidationError when the CCCD /
    tax code got an account meanwhile) otherwise."""
    now = now or timezone.now()
    account = pending_account(raw_login)
    if account is None:
        raise CodeError("Không có tài khoản nào đang chờ xác thực với địa chỉ này (có thể tài khoản đã được "
                        "xác thực: hãy đăng nhập).")
    with transaction.atomic():
        reason = codes.check(account, CodePurpose.VERIFY, code, now)
        if reason is None:
            _activate(account, now)
    if reason is not None:
        raise CodeError(reason)
    return account.user


def resend_code(raw_login: str, now: dt.datetime | None = None) -> Started:
    now = now or timezone.now()
    account = pending_account(raw_login)
    if account is None:
        raise CodeError("Không có tài khoản nào đang chờ xác thực với địa chỉ này.")
    with transaction.atomic():
        issued = codes.issue(account, CodePurpose.VERIFY, now)
    return Started(account, _send(account, CodePurpose.VERIFY, issued))


# --- sign in ------------------------------------------------------------------------------------

def sign_in(request, raw_login: str, password: str) -> User:
    """The applicant's user, or LoginRefused with the reason; NotVerified when the code is missing.
    Lockout as for staff: MOTCUA_LOGIN_MAX_FAILURES failures lock the login for MOTCUA_LOGIN_LOCK_MINUTES."""
    from django.conf import settings

    now = timezone.now()
    ip = request.META.get("REMOTE_ADDR") or None
    if not (raw_login or "").strip() or not password:
        raise LoginRefused("Nhập thư điện tử hoặc số điện thoại, và mật khẩu.")
    try:
        login = parse_login(raw_login)
    except ContactError as exc:
        raise LoginRefused(str(exc)) from None
    until = locked_until(login.value, now)
    if until is not None:
        raise LoginRefused(f"Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau "
                           f"{timezone.localtime(until):%H:%M}, hoặc đặt lại mật khẩu.")
    account = Account.objects.select_related("user").filter(**_login_filter(login)).first()
    if account is None:
        User().set_password(password)  # the same hashing time as for a real account
        ok = False
    else:
        ok = account.user.check_password(password)
    if ok and account.verified_at is None:
        raise NotVerified(account)
    if ok and not account.user.is_active:
        raise LoginRefused("Tài khoản này đã bị khóa. Vui lòng liên hệ Bộ phận Một cửa.")
    LoginAttempt.objects.create(username=login.value, ip=ip, at=now, success=ok)
    if not ok:
        left = settings.MOTCUA_LOGIN_MAX_FAILURES - LoginAttempt.objects.filter(
            username=login.value, success=False, at__gte=now - dt.timedelta(minutes=settings.MOTCUA_LOGIN_LOCK_MINUTES)
        ).count()
        hint = f" Còn {left} lần thử trước khi tài khoản bị tạm khóa." if 0 < left <= 2 else ""
        raise LoginRefused("Thư điện tử/số điện thoại hoặc mật khẩu không đúng." + hint)
    return account.user


# --- password reset -----------------------------------------------------------------------------

def request_password_reset(raw_login: str, now: dt.datetime | None = None) -> Login:
    """Send a reset code when a verified, active account has this login; say nothing either way.
    Only a malformed address or number is refused (ContactError): that reveals nothing."""
    now = now or timezone.now()
    login = parse_login(raw_login)
    account = (Account.objects.select_related("user")
               .filter(verified_at__isnull=False, user__is_active=True, **_login_filter(login)).first())
    if account is None:
        return login
    try:
        with transaction.atomic():
            issued = codes.issue(account, CodePurpose.RESET, now)
    except CodeError:
        return login  # within the cooldown: the code sent a moment ago still works
    delivery.send_code_later(account.login, CodePurpose.RESET, issued.code, issued.row.pk)
    return login


def reset_password(raw_login: str, code: str, password: str, password2: str,
                   now: dt.datetime | None = None) -> User:
    """Set a new password with the reset code; ValidationError says what is wrong, and the same words
    whether the account exists or not. A successful reset also lifts a login lockout."""
    now = now or timezone.now()
    try:
        login = parse_login(raw_login)
    except ContactError as exc:
        raise ValidationError({"login": [str(exc)]}) from None
    probe = User(username=login.value, email=login.value if login.kind == "email" else "")
    problems = password_problems(password, password2, probe)
    if problems:
        raise ValidationError({"password": problems})
    account = (Account.objects.select_related("user")
               .filter(verified_at__isnull=False, user__is_active=True, **_login_filter(login)).first())
    if account is None:
        raise ValidationError({"code": [RESET_REFUSED]})
    with transaction.atomic():
        reason = codes.check(account, CodePurpose.RESET, code, now)
        if reason is None:
            user = account.user
            user.set_password(password)
            user.save(update_fields=["password"])
            LoginAttempt.objects.create(username=login.value, at=now, success=True)
    if reason is not None:
        raise ValidationError({"code": [RESET_REFUSED]})
    return user


# --- profile ------------------------------------------------------------------------------------

@dataclass
class ContactDetails:
    address: str
    phone: str = ""
    email: str = ""
    representative: str = ""  # organisations only


def update_contact(applicant: Applicant, data: ContactDetails) -> Applicant:
    """Change the contact details online submission starts from. Name and CCCD / tax code stay as
    verified; the login (e-mail or phone) is changed elsewhere, with a new code."""
    errors: dict[str, list[str]] = {}
    address = nfc(data.address or "")
    if not address:
        errors["address"] = ["Nhập địa chỉ."]
    elif len(address) > 255:
        errors["address"] = ["Địa chỉ quá dài (tối đa 255 ký tự)."]
    phone = email = ""
    if (data.phone or "").strip():
        try:
            phone = normalize_phone(data.phone)
        except ContactError as exc:
            errors["phone"] = [str(exc)]
    if (data.email or "").strip():
        try:
            email = normalize_email(data.email)
        except ContactError as exc:
            errors["email"] = [str(exc)]
    if not phone and not email and "phone" not in errors and "email" not in errors:
        errors["phone"] = ["Cần ít nhất một cách liên lạc: số điện thoại hoặc thư điện tử."]
    representative = nfc(data.representative or "")
    if applicant.kind == ApplicantKind.ORGANISATION and not representative:
        errors["representative"] = ["Nhập họ tên người đại diện."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
        applicant.address, applicant.phone, applicant.email = address, phone, email
        applicant.save(update_fields=["address", "phone", "email"])
        if applicant.kind == ApplicantKind.ORGANISATION and applicant.user_id:
            User.objects.filter(pk=applicant.user_id).update(full_name=representative[:150])
    return applicant
