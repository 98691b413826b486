"""Dossier lookup without login (TT 01/2018 Art 16 k2): the dossier code plus a secret only the
applicant knows — the last 4 digits of their phone or of their CCCD / tax code.

Right → the public status (national status in words, procedure, received and due instants, the unit
of the current step, within/over deadline) and nothing else: no name, address, document or fee.
Wrong → None, whichever part was wrong, after the same query and the same comparisons.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import uuid
from dataclasses import dataclass

from django.conf import settings

from motcua.dossiers.models import OPEN_STATES, Dossier
from motcua.dossiers.progress import standing
from motcua.portal import throttle

__all__ = ["NATIONAL_STATUS_WORDS", "PublicStatus", "LookupRequest", "LookupInvalid", "find", "find_by_reference", "limits_for",
           "normalise_code", "SECRET_LENGTH"]

SECRET_LENGTH = 4
MAX_CODE_LENGTH = 60

# The national portal's ten statuses (shared/domain.md §1.11), as the applicant reads them.
NATIONAL_STATUS_WORDS = {
    1: "Mới đăng ký", 2: "Được tiếp nhận", 3: "Không được tiếp nhận", 4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ", 6: "Yêu cầu thực hiện nghĩa vụ tài chính", 7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý", 9: "Đã xử lý xong", 10: "Đã trả kết quả",
}
# Compared against when the code matches no dossier, so a wrong code costs what a wrong secret does.
_DUMMY = ("\x00" * SECRET_LENGTH,) * 4


class LookupInvalid(ValueError):
    """The form itself is unusable (empty code, secret not four digits): said per field."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


@dataclass(frozen=True)
class LookupRequest:
    code: str
    secret: str

    @classmethod
    def parse(cls, code: str, secret: str) -> "LookupRequest":
        errors = {}
        code = normalise_code(code)
        secret = (secret or "").strip()
        if not code:
            errors["ma"] = "Nhập mã hồ sơ in trên giấy tiếp nhận."
        elif len(code) > MAX_CODE_LENGTH:
            errors["ma"] = f"Mã hồ sơ dài tối đa {MAX_CODE_LENGTH} ký tự."
        if not re.fullmatch(r"\d{%d}" % SECRET_LENGTH, secret):
            errors["so"] = "Nhập đúng 4 chữ số cuối của số điện thoại hoặc số CCCD / mã số thuế."
        if errors:
            raise LookupInvalid(errors)
        return cls(code, secret)


@dataclass(frozen=True)
class PublicStatus:
    code: str
    status_code: int
    status: str
    procedure: str
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    current_unit: str
    timeliness: str          # trong hạn / quá hạn / trước hạn / đúng hạn / ""
    overdue: bool


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).upper()


def _last_digits(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    return digits[-SECRET_LENGTH:] if len(digits) >= SECRET_LENGTH else "\x00" * SECRET_LENGTH


def _secrets(d: Dossier | None) -> tuple[str, ...]:
    if d is None:
        return _DUMMY
    a = d.applicant
    return (_last_digits(a.phone), _last_digits(d.contact_phone), _last_digits(a.cccd), _last_digits(a.tax_code))


def find(request: LookupRequest, now: dt.datetime) -> PublicStatus | None:
    dossier = (Dossier.objects.select_related("applicant", "procedure_version__procedure", "current_step__unit",
                                              "resolving_unit")
               .filter(code=request.code).first())
    matched = False
    for candidate in _secrets(dossier):  # every candidate compared, in constant time, whatever matches
        matched |= hmac.compare_digest(candidate.encode(), request.secret.encode())
    if dossier is None or not matched:
        return None
    return _public(dossier, now)


def find_by_reference(reference: str, now: dt.datetime) -> PublicStatus | None:
    """The link sent to the applicant before reception, when the dossier has no code yet
    (dossiers.services.lookup_url): its random UUID is itself the secret, as unguessable as a password."""
    try:
        key = uuid.UUID((reference or "").strip())
    except ValueError:
        return None
    dossier = (Dossier.objects.select_related("procedure_version__procedure", "current_step__unit", "resolving_unit")
               .filter(reference=key).first())
    return _public(dossier, now) if dossier is not None else None


def _public(d: Dossier, now: dt.datetime) -> PublicStatus:
    national = d.national_status
    step = d.current_step if d.state in OPEN_STATES else None
    where = standing(d, now)
    timeliness = "trong hạn" if where.status == "at_risk" else where.label
    return PublicStatus(
        code=d.code or "", status_code=national, status=NATIONAL_STATUS_WORDS[national],
        procedure=d.procedure_version.procedure.name, received_at=d.received_at, due_at=d.due_at,
        finished_at=d.finished_at, current_unit=step.unit.name if step is not None else "",
        timeliness=timeliness, overdue=where.status in ("over", "late"),
    )


def limits_for(client: str, code: str) -> list[throttle.Limit]:
    return [
        throttle.Limit(throttle.digest("ip", client), settings.MOTCUA_LOOKUP_PER_IP),
        throttle.Limit(throttle.digest("code", code), settings.MOTCUA_LOOKUP_PER_CODE),
    ]
