"""Commands on the organisation: units in a tree, their code history, desks, the admin-unit list.

Every command is one transaction and raises ``ValidationError`` with Vietnamese messages keyed by
field, so the admin, the CLI and the importers show the same words.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from motcua.org.identifiers import IdentifierError, normalize_identifier
from motcua.org.models import AdminUnit, AdminUnitDataset, AdminUnitKind, OrgUnit, UnitCodeRecord
from motcua.text import nfc

__all__ = [
    "UnitData",
    "clean_unit",
    "create_unit",
    "update_unit",
    "change_unit_codes",
    "unit_by_identifier",
    "subtree",
    "import_admin_units",
    "DEFAULT_ADMIN_UNITS_FILES",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_ADMIN_UNITS_FILES = (DATA_DIR / "provinces_pre2025.json", DATA_DIR / "admin_units_2025.json")
_ADMIN_CODE = re.compile(r"^(\d{2}|\d{5})$")


@dataclass
class UnitData:
    name: str
    kind: str
    identifier: str
    parent: OrgUnit | None = None
    short_name: str = ""
    admin_unit_code: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    calendar: object | None = None  # worktime.WorkCalendarConfig


def clean_unit(data: UnitData, instance: OrgUnit | None = None, actor=None) -> UnitData:
    """Normalise and check a unit's fields; raises ValidationError keyed by field.

    With an ``actor`` (a person editing through the admin), only a superuser may create or leave a
    unit without a parent: a root unit is a whole province."""
    errors: dict[str, str] = {}
    data.name = nfc(data.name or "")
    data.short_name = nfc(data.short_name or "")
    if not data.name:
        errors["name"] = "Tên cơ quan, đơn vị không được để trống."
    try:
        data.identifier = normalize_identifier(data.identifier)
    except IdentifierError as exc:
        errors["identifier"] = str(exc)
    else:
        taken = OrgUnit.objects.filter(identifier=data.identifier)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            errors["identifier"] = f"Mã định danh {data.identifier} đã được dùng cho đơn vị khác."
    data.admin_unit_code = (data.admin_unit_code or "").strip()
    if data.admin_unit_code:
        if not _ADMIN_CODE.match(data.admin_unit_code):
            errors["admin_unit_code"] = "Mã đơn vị hành chính gồm 2 chữ số (tỉnh) hoặc 5 chữ số (xã)."
        elif AdminUnit.objects.exists() and not AdminUnit.objects.filter(code=data.admin_unit_code).exists():
            errors["admin_unit_code"] = (
                f"Mã đơn vị hành chính {data.admin_unit_code} không có trong danh mục đã nạp."
            )
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        errors["valid_to"] = "Ngày kết thúc hoạt động phải sau ngày bắt đầu."
    if data.parent is not None and instance is not None and instance.pk:
        if data.parent.pk == instance.pk or data.parent.path.startswith(instance.path):
            errors["parent"] = "Không thể chọn chính đơn vị này hoặc đơn vị cấp dưới của nó làm cấp trên."
    if data.parent is None and actor is not None and not actor.is_superuser:
        errors["parent"] = "Chọn đơn vị cấp trên: chỉ quản trị cấp cao nhất mới tạo được đơn vị gốc (cấp tỉnh)."
    if instance is not None and instance.pk and "identifier" not in errors \
            and (data.identifier, data.admin_unit_code) != (instance.identifier, instance.admin_unit_code):
        try:
            _check_code_change(instance, timezone.localdate())
        except ValidationError as exc:
            errors.update({"identifier": " ".join(exc.messages)})
    if errors:
        raise ValidationError(errors)
    return data


def _path_of(parent: OrgUnit | None, pk: int) -> tuple[str, int]:
    if parent is None:
        return f"/{pk}/", 0
    return f"{parent.path}{pk}/", parent.depth + 1


@transaction.atomic
def create_unit(data: UnitData, decision: str = "") -> OrgUnit:
    data = clean_unit(data)
    unit = OrgUnit.objects.create(
        name=data.name, short_name=data.short_name, kind=data.kind, parent=data.parent, path="",
        identifier=data.identifier, admin_unit_code=data.admin_unit_code,
        valid_from=data.valid_from, valid_to=data.valid_to, calendar=data.calendar,
    )
    unit.path, unit.depth = _path_of(data.parent, unit.pk)
    unit.save(update_fields=["path", "depth"])
    UnitCodeRecord.objects.create(
        unit=unit, identifier=unit.identifier, admin_unit_code=unit.admin_unit_code,
        valid_from=data.valid_from, decision=decision,
    )
    return unit


@transaction.atomic
def update_unit(unit: OrgUnit, data: UnitData, decision: str = "") -> OrgUnit:
    """Edit a unit. A changed identifier or admin code is recorded as a new period of its history
    starting today; use ``change_unit_codes`` to give another effective date."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    data = clean_unit(data, instance=unit)
    if (data.identifier, data.admin_unit_code) != (unit.identifier, unit.admin_unit_code):
        unit = change_unit_codes(unit, data.identifier, data.admin_unit_code, timezone.localdate(), decision)
    old_path = unit.path
    unit.name, unit.short_name, unit.kind = data.name, data.short_name, data.kind
    unit.valid_from, unit.valid_to, unit.calendar = data.valid_from, data.valid_to, data.calendar
    moved = (data.parent.pk if data.parent else None) != unit.parent_id
    unit.parent = data.parent
    if moved:
        unit.path, unit.depth = _path_of(data.parent, unit.pk)
    unit.save()
    if moved:
        # Re-root the whole subtree in one statement: every descendant's path starts with old_path.
        depth_shift = unit.depth - old_path.count("/") + 2
        OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(unit.path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_shift,
        )
    return unit


@transaction.atomic
def change_unit_codes(
    unit: OrgUnit, identifier: str, admin_unit_code: str, effective_on: dt.date, decision: str = ""
) -> OrgUnit:
    """Give a unit new codes from ``effective_on``; the old ones stay in its history."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    try:
        identifier = normalize_identifier(identifier)
    except IdentifierError as exc:
        raise ValidationError({"identifier": str(exc)}) from exc
    if OrgUnit.objects.filter(identifier=identifier).exclude(pk=unit.pk).exists():
        raise ValidationError({"identifier": f"Mã định danh {identifier} đã được dùng cho đơn vị khác."})
    current = _check_code_change(unit, effective_on)
    if current is not None and current.valid_from is not None and effective_on <= current.valid_from:
        # A correction on the day the codes took effect (or before that period began): amend it in place.
        current.identifier, current.admin_unit_code = identifier, admin_unit_code
        current.decision = nfc(decision) or current.decision
        current.save(update_fields=["identifier", "admin_unit_code", "decision"])
    else:
        if current is not None:
            current.valid_to = effective_on - dt.timedelta(days=1)
            current.save(update_fields=["valid_to"])
        UnitCodeRecord.objects.create(
            unit=unit, identifier=identifier, admin_unit_code=admin_unit_code,
            valid_from=effective_on, decision=nfc(decision),
        )
    unit.identifier, unit.admin_unit_code = identifier, admin_unit_code
    unit.save(update_fields=["identifier", "admin_unit_code"])
    return unit


def _check_code_change(unit: OrgUnit, effective_on: dt.date) -> UnitCodeRecord | None:
    """New codes are recorded when they take effect (today or earlier), never before the current
    period began — unless that period has not begun yet, in which case it is simply corrected."""
    today = timezone.localdate()
    if effective_on > today:
        raise ValidationError({"valid_from": "Chỉ ghi mã mới khi đã có hiệu lực (không ghi ngày trong tương lai)."})
    current = unit.code_history.filter(valid_to__isnull=True).first()
    if current is not None and current.valid_from and effective_on < current.valid_from <= today:
        raise ValidationError(
            {"valid_from": f"Ngày hiệu lực của mã mới không được trước {current.valid_from:%d/%m/%Y}."}
        )
    return current


def unit_by_identifier(identifier: str, on: dt.date | None = None) -> OrgUnit | None:
    """The unit that bore ``identifier`` on date ``on`` (today's holder when ``on`` is None)."""
    identifier = identifier.strip().upper()
    if on is None:
        return OrgUnit.objects.filter(identifier=identifier).first()
    record = (
        UnitCodeRecord.objects.filter(identifier=identifier)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("unit")
        .first()
    )
    return record.unit if record else None


def subtree(unit: OrgUnit) -> QuerySet[OrgUnit]:
    """The unit and every unit under it, at any depth: one prefix predicate."""
    return OrgUnit.objects.filter(path__startswith=unit.path)


# --- national administrative-unit list -------------------------------------------------------

_KINDS = {choice.value for choice in AdminUnitKind}


def _parse_date(value: str | None, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{where}: ngày “{value}” không đúng dạng YYYY-MM-DD.") from exc


def _admin_unit_rows(doc: dict, name: str) -> list[dict]:
    """Validate one data file and turn it into AdminUnit field dicts; raises on the first problem."""
    valid_from = _parse_date(doc.get("valid_from"), name)
    valid_to = _parse_date(doc.get("valid_to"), name)
    rows: list[dict] = []
    seen: set[str] = set()
    province_codes: set[str] = set()
    provinces, communes = doc.get("provinces") or [], doc.get("communes") or []
    if not isinstance(provinces, list) or not isinstance(communes, list):
        raise ValidationError(f"{name}: “provinces” và “communes” phải là danh sách.")
    for i, item in enumerate(provinces):
        where = f"{name}: provinces[{i}]"
        if not isinstance(item, dict):
            raise ValidationError(f"{where}: phải là một đối tượng JSON.")
        code, pname, kind = str(item.get("code", "")), nfc(str(item.get("name", ""))), str(item.get("kind"))
        if not re.fullmatch(r"\d{2}", code):
            raise ValidationError(f"{where}: mã tỉnh “{code}” phải gồm 2 chữ số.")
        if code in seen:
            raise ValidationError(f"{where}: mã tỉnh {code} bị trùng.")
        if not pname or kind not in _KINDS:
            raise ValidationError(f"{where}: thiếu tên hoặc loại đơn vị không hợp lệ (“{kind}”).")
        seen.add(code)
        province_codes.add(code)
        rows.append(dict(code=code, name=pname, kind=kind, province_code=code, valid_from=valid_from,
                         valid_to=valid_to, successor_code=str(item.get("merged_into") or "")))
    for i, item in enumerate(communes):
        where = f"{name}: communes[{i}]"
        if not isinstance(item, dict):
            raise ValidationError(f"{where}: phải là một đối tượng JSON.")
        code, cname, kind = str(item.get("code", "")), nfc(str(item.get("name", ""))), str(item.get("kind"))
        province = str(item.get("province", ""))
        if len(cname) > 200:
            raise ValidationError(f"{where}: tên dài quá 200 ký tự.")
        if not re.fullmatch(r"\d{5}", code):
            raise ValidationError(f"{where}: mã xã “{code}” phải gồm 5 chữ số.")
        if code in seen:
            raise ValidationError(f"{where}: mã xã {code} bị trùng.")
        if province not in province_codes:
            raise ValidationError(f"{where}: mã tỉnh {province} của xã {code} không có trong tệp.")
        if not cname or kind not in _KINDS:
            raise ValidationError(f"{where}: thiếu tên hoặc loại đơn vị không hợp lệ (“{kind}”).")
        seen.add(code)
        rows.append(dict(code=code, name=cname, kind=kind, province_code=province, valid_from=valid_from,
                         valid_to=valid_to, successor_code=""))
    if not rows:
        raise ValidationError(f"{name}: tệp không có đơn vị hành chính nào.")
    return rows


@transaction.atomic
def import_admin_units(path: Path | str) -> tuple[AdminUnitDataset, bool]:
    """Load one administrative-unit file (all or nothing). Returns (dataset, created); a file
    already loaded (same SHA-256) is not loaded twice."""
    path = Path(path)
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    existing = AdminUnitDataset.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing, False
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path.name}: không đọc được JSON ({exc}).") from exc
    if not isinstance(doc, dict):
        raise ValidationError(f"{path.name}: tệp phải là một đối tượng JSON.")
    for key, limit in (("decision", 200), ("source", 500), ("source_licence", 500), ("data_version", 255)):
        if not isinstance(doc.get(key, ""), str):
            raise ValidationError(f"{path.name}: trường “{key}” phải là chuỗi ký tự.")
        if len(doc.get(key, "")) > limit:
            raise ValidationError(f"{path.name}: trường “{key}” dài quá {limit} ký tự.")
    rows = _admin_unit_rows(doc, path.name)
    dataset = AdminUnitDataset.objects.create(
        decision=nfc(doc.get("decision", "")), source=nfc(doc.get("source", path.name)),
        source_licence=nfc(doc.get("source_licence", "")), data_version=nfc(doc.get("data_version", "")),
        sha256=digest, valid_from=rows[0]["valid_from"], valid_to=rows[0]["valid_to"],
    )
    clash = AdminUnit.objects.filter(code__in=[r["code"] for r in rows], valid_from=rows[0]["valid_from"])
    if clash.exists():
        raise ValidationError(
            f"{path.name}: mã {clash.first().code} đã có trong danh mục cùng ngày hiệu lực; "
            "tệp này xung đột với một bộ danh mục đã nạp."
        )
    AdminUnit.objects.bulk_create([AdminUnit(dataset=dataset, **row) for row in rows], batch_size=1000)
    return dataset, True
