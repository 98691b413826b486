"""Commands on the procedure catalogue: edit checks, publication, and JSON export/import.

Imports are all-or-nothing: the whole document is checked first (every problem reported with its
JSON path), then written in one transaction.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any, Iterable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from motcua.accounts.models import Role
from motcua.accounts.scope import can
from motcua.catalog import rules
from motcua.catalog.models import (
    DocumentKind, FeeItem, FeeKind, LegalBasis, Level, OnlineMode, Procedure, ProcedureVariant,
    ProcedureVersion, RequiredDocument, ResultType, Sector, SupplementRule, VersionStatus, WorkflowStep,
)
from motcua.org.models import OrgUnit
from motcua.text import fold, nfc

__all__ = [
    "CatalogImportError",
    "check_can_edit",
    "check_draft",
    "clean_version",
    "clean_variant",
    "clean_fee",
    "check_variant",
    "check_version_period",
    "publish_version",
    "retire_version",
    "published_version",
    "search_procedures",
    "clean_procedure",
    "save_procedure",
    "export_catalog",
    "import_catalog",
    "FORMAT",
]

FORMAT = "motcua-catalog"
FORMAT_VERSION = 1
MAX_AMOUNT = 10**15  # đồng; far above any real fee, far below the database's bigint
MAX_VERSION = 10**6
STEP_ROLES = (Role.RECEPTIONIST, Role.SPECIALIST, Role.LEADER, Role.CLERK)


class CatalogImportError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


# --- who may edit, and what ------------------------------------------------------------------

def check_can_edit(actor, unit) -> None:
    """Raise unless ``actor`` may change the catalogue of ``unit`` (None: the shared commune-level list)."""
    if actor is not None and not can(actor, "catalog.change_procedure", unit):
        where = unit.name if unit is not None else "danh mục dùng chung cho cấp xã"
        raise ValidationError(f"Bạn không có quyền sửa danh mục thủ tục của {where}.")


def check_draft(version: ProcedureVersion) -> None:
    """A published or retired version is the law as it was applied: it is never edited, only
    replaced by a new version."""
    if version.pk and ProcedureVersion.objects.filter(pk=version.pk).exclude(status=VersionStatus.DRAFT).exists():
        raise ValidationError("Phiên bản đã công bố hoặc đã bãi bỏ không được sửa; hãy tạo phiên bản mới.")


# --- checks shared by the admin, publication and import ------------------------------------

def check_variant(limit: rules.Duration, online_limit: rules.Duration | None,
                  budgets: Iterable[rules.Duration]) -> None:
    """Raise RuleError when the steps' budgets do not add up or the online limit is not shorter."""
    rules.check_budgets(limit, budgets)
    if online_limit is not None and online_limit.unit == limit.unit and online_limit.value > limit.value:
        raise rules.RuleError(f"Thời hạn khi nộp trực tuyến ({online_limit}) không được dài hơn thời hạn {limit}.")


def _variant_durations(variant: ProcedureVariant):
    limit = rules.duration(variant.time_limit_value, variant.time_limit_unit)
    online = (rules.duration(variant.online_time_limit_value, variant.online_time_limit_unit)
              if variant.online_time_limit_value is not None else None)
    budgets = [rules.duration(s.budget_value, s.budget_unit) for s in variant.steps.all()]
    return limit, online, budgets


IN_FORCE = (VersionStatus.PUBLISHED, VersionStatus.RETIRED)  # versions that were law for their period


def clean_version(version: ProcedureVersion, actor=None) -> None:
    errors = {}
    if version.valid_to and version.valid_from and version.valid_to < version.valid_from:
        errors["valid_to"] = "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."
    if not (version.for_citizens or version.for_organisations):
        errors["for_citizens"] = "Chọn ít nhất một đối tượng thực hiện."
    if errors:
        raise ValidationError(errors)
    check_draft(version)
    if version.procedure_id:
        check_can_edit(actor, version.procedure.competent_unit)


def clean_variant(variant: ProcedureVariant, actor=None) -> None:
    if (variant.online_time_limit_value is None) != (not variant.online_time_limit_unit):
        raise ValidationError("Thời hạn khi nộp trực tuyến cần cả con số và đơn vị (hoặc để trống cả hai).")
    try:
        rules.duration(variant.time_limit_value, variant.time_limit_unit)
        if variant.online_time_limit_value is not None:
            rules.duration(variant.online_time_limit_value, variant.online_time_limit_unit)
    except rules.RuleError as exc:
        raise ValidationError({"time_limit_value": str(exc)}) from exc
    if variant.version_id:
        check_draft(variant.version)


def clean_fee(fee: FeeItem, actor=None) -> None:
    """Exactly one of a fixed amount (0 when exempt) or a formula; the formula must parse."""
    if (fee.amount is None) == (not (fee.formula or "").strip()):
        raise ValidationError("Nhập đúng một trong hai: mức thu cố định hoặc công thức tính (nhập 0 nếu miễn phí).")
    if fee.amount is not None and not 0 <= fee.amount <= MAX_AMOUNT:
        raise ValidationError({"amount": "Mức thu phải từ 0 đến 10^15 đồng."})
    if fee.formula:
        try:
            fee.formula = rules.FeeFormula(fee.formula).source
        except rules.RuleError as exc:
            raise ValidationError({"formula": str(exc)}) from exc


def check_version_period(version: ProcedureVersion, status: str | None = None) -> None:
    """A version in force (published, or retired after being in force) must not overlap another."""
    if (status or version.status) not in IN_FORCE:
        return
    others = (ProcedureVersion.objects.filter(procedure_id=version.procedure_id, status__in=IN_FORCE)
              .exclude(pk=version.pk).values_list("number", "valid_from", "valid_to"))
    clash = rules.find_overlap((version.valid_from, version.valid_to), others)
    if clash is not None:
        raise ValidationError(
            {"valid_from": f"Thời gian hiệu lực trùng với phiên bản số {clash} đang công khai của thủ tục này."}
        )


@transaction.atomic
def publish_version(version: ProcedureVersion, actor=None) -> ProcedureVersion:
    # Lock the procedure so two publications of overlapping versions cannot both pass the check.
    procedure = Procedure.objects.select_for_update(of=("self",)).select_related("competent_unit").get(pk=version.procedure_id)
    check_can_edit(actor, procedure.competent_unit)
    version = ProcedureVersion.objects.get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(f"Chỉ công bố được phiên bản ở trạng thái dự thảo (hiện: {version.get_status_display()}).")
    variants = list(version.variants.prefetch_related("steps", "documents"))
    if not variants:
        raise ValidationError("Phiên bản phải có ít nhất một trường hợp trước khi công bố.")
    for variant in variants:
        try:
            check_variant(*_variant_durations(variant))
        except rules.RuleError as exc:
            raise ValidationError(f"Trường hợp “{variant.name}”: {exc}") from exc
    check_version_period(version, VersionStatus.PUBLISHED)
    version.status = VersionStatus.PUBLISHED
    version.save(update_fields=["status"])
    return version


@transaction.atomic
def retire_version(version: ProcedureVersion, last_day: dt.date, actor=None) -> ProcedureVersion:
    """End a published version: ``last_day`` is the last day it applies (inclusive). Its period
    can only be shortened, so the history of what was in force stays true."""
    procedure = Procedure.objects.select_for_update(of=("self",)).select_related("competent_unit").get(pk=version.procedure_id)
    check_can_edit(actor, procedure.competent_unit)
    version = ProcedureVersion.objects.get(pk=version.pk)
    if version.status != VersionStatus.PUBLISHED:
        raise ValidationError(f"Chỉ bãi bỏ được phiên bản đang công khai (hiện: {version.get_status_display()}).")
    if last_day < version.valid_from or (version.valid_to is not None and last_day > version.valid_to):
        raise ValidationError({"valid_to": "Ngày cuối cùng áp dụng phải nằm trong thời gian hiệu lực của phiên bản."})
    version.status, version.valid_to = VersionStatus.RETIRED, last_day
    version.save(update_fields=["status", "valid_to"])
    return version


def published_version(procedure: Procedure, on: dt.date) -> ProcedureVersion | None:
    """The version that applied on date ``on`` (a retired one too, for dates in its period)."""
    from django.db.models import Q

    return (procedure.versions.filter(status__in=IN_FORCE, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).first())


def search_procedures(query: str):
    """Procedures whose name or code matches every word of ``query``, ignoring case, accents and đ."""
    qs = Procedure.objects.all()
    for word in fold(query).split():
        qs = qs.filter(search_key__contains=word)
    return qs


def procedure_search_key(code: str, name: str) -> str:
    return f"{code.lower()} {fold(name)}"


def clean_procedure(procedure: Procedure, actor=None) -> None:
    """Normalise and check a procedure's own fields; raises ValidationError keyed by field."""
    try:
        procedure.code = rules.normalize_procedure_code(procedure.code)
    except rules.RuleError as exc:
        raise ValidationError({"code": str(exc)}) from exc
    procedure.name = nfc(procedure.name)
    if not procedure.name:
        raise ValidationError({"name": "Tên thủ tục không được để trống."})
    if Procedure.objects.filter(code=procedure.code).exclude(pk=procedure.pk).exists():
        raise ValidationError({"code": f"Mã thủ tục {procedure.code} đã có trong danh mục."})
    if procedure.level != Level.COMMUNE and procedure.competent_unit_id is None:
        raise ValidationError({"competent_unit": "Thủ tục cấp tỉnh, cấp bộ phải có cơ quan có thẩm quyền."})
    if actor is not None:
        if procedure.pk:  # the unit it belongs to now, and the one it moves to
            check_can_edit(actor, Procedure.objects.get(pk=procedure.pk).competent_unit)
        check_can_edit(actor, procedure.competent_unit)
    procedure.search_key = procedure_search_key(procedure.code, procedure.name)


@transaction.atomic
def save_procedure(procedure: Procedure, actor=None) -> Procedure:
    """Create or edit a procedure's own fields (its versions are edited separately)."""
    clean_procedure(procedure, actor)
    procedure.save()
    return procedure


# --- export -----------------------------------------------------------------------------------

def _dec(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _duration(value, unit) -> dict | None:
    return None if value is None else {"value": _dec(value), "unit": unit}


def _template(file) -> dict | None:
    if not file:
        return None
    with file.open("rb") as handle:
        content = handle.read()
    return {"name": PurePosixPath(file.name).name, "content_base64": base64.b64encode(content).decode("ascii")}


def export_catalog() -> dict[str, Any]:
    procedures = (Procedure.objects.select_related("sector", "competent_unit").prefetch_related(
        "versions__legal_bases", "versions__variants__documents", "versions__variants__fees",
        "versions__variants__steps__unit").order_by("code"))
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sectors": [{"code": s.code, "name": s.name} for s in Sector.objects.order_by("code")],
        "procedures": [
            {
                "code": p.code, "name": p.name, "sector": p.sector.code, "level": p.level,
                "competent_unit": p.competent_unit.identifier if p.competent_unit else None,
                "versions": [_export_version(v) for v in sorted(p.versions.all(), key=lambda v: v.number)],
            }
            for p in procedures
        ],
    }


def _export_version(v: ProcedureVersion) -> dict[str, Any]:
    return {
        "number": v.number, "status": v.status,
        "valid_from": v.valid_from.isoformat(), "valid_to": v.valid_to.isoformat() if v.valid_to else None,
        "publication_decision": v.publication_decision,
        "applicant_kinds": [k for k, on in (("citizen", v.for_citizens), ("organisation", v.for_organisations)) if on],
        "result_name": v.result_name, "result_type": v.result_type, "online_mode": v.online_mode,
        "postal_intake": v.postal_intake, "postal_return": v.postal_return,
        "boundary_independent": v.boundary_independent,
        "legal_bases": [
            {"number": b.number, "title": b.title, "issued_on": b.issued_on.isoformat() if b.issued_on else None}
            for b in sorted(v.legal_bases.all(), key=lambda b: b.order)
        ],
        "variants": [
            {
                "code": c.code, "name": c.name,
                "time_limit": _duration(c.time_limit_value, c.time_limit_unit),
                "online_time_limit": _duration(c.online_time_limit_value, c.online_time_limit_unit or None),
                "supplement_rule": c.supplement_rule,
                "paper_cutoff": c.paper_cutoff.strftime("%H:%M") if c.paper_cutoff else None,
                "documents": [
                    {"name": d.name, "kind": d.kind, "count": d.count, "mandatory": d.mandatory,
                     "template": _template(d.template)}
                    for d in sorted(c.documents.all(), key=lambda d: d.order)
                ],
                "fees": [
                    {"kind": f.kind, "name": f.name, "amount": f.amount, "formula": f.formula or None,
                     "description": f.description}
                    for f in sorted(c.fees.all(), key=lambda f: f.order)
                ],
                "steps": [
                    {"order": s.order, "name": s.name, "role": s.role,
                     "unit": s.unit.identifier if s.unit else None,
                     "budget": _duration(s.budget_value, s.budget_unit)}
                    for s in sorted(c.steps.all(), key=lambda s: s.order)
                ],
            }
            for c in sorted(v.variants.all(), key=lambda c: c.order)
        ],
    }


# --- import -----------------------------------------------------------------------------------

@dataclass
class _Reader:
    """Walks the document, collecting every problem with its JSON path instead of stopping at the first."""

    errors: list[str] = field(default_factory=list)

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def obj(self, value, path: str) -> dict:
        if not isinstance(value, dict):
            self.fail(path, "phải là một đối tượng JSON.")
            return {}
        return value

    def items(self, value, path: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, "phải là một danh sách.")
            return []
        return value

    def text(self, d: dict, key: str, path: str, *, required: bool = True, max_length: int = 500) -> str:
        value = d.get(key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(f"{path}.{key}", "phải là chuỗi ký tự.")
            return ""
        value = nfc(value)
        if required and not value:
            self.fail(f"{path}.{key}", "không được để trống.")
        if len(value) > max_length:
            self.fail(f"{path}.{key}", f"dài quá {max_length} ký tự.")
        return value

    def choice(self, d: dict, key: str, path: str, choices, default=None) -> str:
        value = d.get(key, default)
        if value not in choices:
            self.fail(f"{path}.{key}", f"giá trị “{value}” không hợp lệ; chọn một trong: {', '.join(choices)}.")
        return value

    def flag(self, d: dict, key: str, path: str, default: bool = False) -> bool:
        value = d.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{path}.{key}", "phải là true hoặc false.")
            return default
        return value

    def date(self, d: dict, key: str, path: str, *, required: bool) -> dt.date | None:
        value = d.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}", "không được để trống.")
            return None
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(f"{path}.{key}", f"“{value}” không phải ngày dạng YYYY-MM-DD.")
            return None

    def duration(self, d: dict, key: str, path: str, *, required: bool) -> rules.Duration | None:
        value = d.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}", "không được để trống.")
            return None
        value = self.obj(value, f"{path}.{key}")
        try:
            return rules.duration(value.get("value"), value.get("unit"))
        except rules.RuleError as exc:
            self.fail(f"{path}.{key}", str(exc))
            return None


def import_catalog(doc: Any) -> dict[str, int]:
    """Create or replace sectors, procedures and the listed versions from a catalogue document.

    A procedure in the file is updated in place; each listed draft version (by number) is replaced
    whole; a published or retired version is left as it is when the file holds it unchanged, and
    refused otherwise (it is the law as applied: a change is a new version). Versions not listed are
    kept. Every check, including those against the database, runs before anything is written.
    Returns counts; raises CatalogImportError listing every problem with its JSON path.
    """
    reader = _Reader()
    plan = _read_document(reader, doc)
    if not reader.errors:
        _check_against_database(reader, plan)
    if reader.errors:
        raise CatalogImportError(reader.errors)
    with transaction.atomic():
        return _write(plan)


def _plain_str(r: _Reader, value, path: str) -> str | None:
    """An optional reference given as a string (a unit identifier, a code)."""
    if value is None:
        return None
    if not isinstance(value, str):
        r.fail(path, "phải là chuỗi ký tự hoặc null.")
        return None
    return value.strip()


def _read_document(r: _Reader, doc: Any) -> dict:
    doc = r.obj(doc, "$")
    if doc.get("format") != FORMAT:
        r.fail("$.format", f"tệp không phải danh mục MotCua (cần “{FORMAT}”).")
    if doc.get("format_version") != FORMAT_VERSION:
        r.fail("$.format_version", f"phiên bản định dạng {doc.get('format_version')!r} không được hỗ trợ (cần {FORMAT_VERSION}).")
    sectors: dict[str, str] = {}
    for i, raw in enumerate(r.items(doc.get("sectors"), "$.sectors")):
        path = f"$.sectors[{i}]"
        raw = r.obj(raw, path)
        code, name = r.text(raw, "code", path, max_length=30), r.text(raw, "name", path, max_length=255)
        if code in sectors:
            r.fail(f"{path}.code", f"mã lĩnh vực {code} bị trùng.")
        sectors[code] = name
    known_sectors = set(sectors) | set(Sector.objects.values_list("code", flat=True))
    units = {u.identifier: u for u in OrgUnit.objects.all()}
    procedures = []
    seen_codes: set[str] = set()
    for i, raw in enumerate(r.items(doc.get("procedures"), "$.procedures")):
        path = f"$.procedures[{i}]"
        raw = r.obj(raw, path)
        code = r.text(raw, "code", path, max_length=20)
        if code in seen_codes:
            r.fail(f"{path}.code", f"mã thủ tục {code} xuất hiện hai lần.")
        seen_codes.add(code)
        sector = r.text(raw, "sector", path, max_length=30)
        if sector and sector not in known_sectors:
            r.fail(f"{path}.sector", f"lĩnh vực “{sector}” không có trong danh mục.")
        unit_id = _plain_str(r, raw.get("competent_unit"), f"{path}.competent_unit")
        if unit_id is not None and unit_id not in units:
            r.fail(f"{path}.competent_unit", f"không có đơn vị với mã định danh “{unit_id}”.")
        level = r.choice(raw, "level", path, Level.values)
        name = r.text(raw, "name", path)
        existing = Procedure.objects.filter(code=code).first()
        candidate = Procedure(pk=existing.pk if existing else None, code=code, name=name, level=level,
                              competent_unit=units.get(unit_id) if unit_id else None)
        try:
            clean_procedure(candidate)  # the same checks, and messages, as the admin
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                r.fail(f"{path}.{field}", " ".join(messages))
        versions = [_read_version(r, v, f"{path}.versions[{j}]", units)
                    for j, v in enumerate(r.items(raw.get("versions"), f"{path}.versions"))]
        numbers = [v["number"] for v in versions]
        if len(numbers) != len(set(numbers)):
            r.fail(f"{path}.versions", "số phiên bản bị trùng.")
        procedures.append(dict(code=candidate.code, name=candidate.name, sector=sector, level=level,
                               competent_unit=candidate.competent_unit, versions=versions, path=path,
                               existing=existing))
    return {"sectors": sectors, "procedures": procedures}


def _check_against_database(r: _Reader, plan: dict) -> None:
    """Published versions already stored, and periods in force, as the file would leave them."""
    units = {u.identifier: u for u in OrgUnit.objects.all()}
    for p in plan["procedures"]:
        stored = {v.number: v for v in p["existing"].versions.all()} if p["existing"] else {}
        for v in p["versions"]:
            old = stored.get(v["number"])
            if old is None or old.status == VersionStatus.DRAFT:
                continue
            same = _read_version(_Reader(), _export_version(old), v["path"], units)
            if _comparable(same) == _comparable(v):
                v["unchanged"] = True
            else:
                r.fail(v["path"], f"phiên bản số {v['number']} đã {old.get_status_display().lower()} nên không thể "
                                  "thay thế; hãy nhập nội dung mới thành một phiên bản mới.")
        listed = {v["number"] for v in p["versions"]}
        periods = [(n, v.valid_from, v.valid_to) for n, v in stored.items() if n not in listed and v.status in IN_FORCE]
        periods += [(v["number"], v["valid_from"], v["valid_to"]) for v in p["versions"] if v["status"] in IN_FORCE]
        for k, (number, start, end) in enumerate(periods):
            clash = rules.find_overlap((start, end), periods[k + 1:])
            if clash is not None:
                r.fail(f"{p['path']}.versions", f"phiên bản {number} và {clash} cùng có hiệu lực trong một khoảng thời gian.")


def _comparable(version_plan: dict) -> dict:
    return {k: v for k, v in version_plan.items() if k not in ("path", "unchanged")}


def _read_version(r: _Reader, raw, path: str, units: dict[str, OrgUnit]) -> dict:
    raw = r.obj(raw, path)
    number = raw.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= MAX_VERSION:
        r.fail(f"{path}.number", f"số phiên bản phải là số nguyên từ 1 đến {MAX_VERSION}.")
        number = None
    valid_from = r.date(raw, "valid_from", path, required=True)
    valid_to = r.date(raw, "valid_to", path, required=False)
    if valid_from and valid_to and valid_to < valid_from:
        r.fail(f"{path}.valid_to", "ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.")
    kinds = r.items(raw.get("applicant_kinds"), f"{path}.applicant_kinds")
    if not kinds or any(k not in ("citizen", "organisation") for k in kinds):
        r.fail(f"{path}.applicant_kinds", "cần ít nhất một đối tượng: citizen, organisation.")
    bases = []
    for j, b in enumerate(r.items(raw.get("legal_bases"), f"{path}.legal_bases")):
        bpath = f"{path}.legal_bases[{j}]"
        b = r.obj(b, bpath)
        bases.append(dict(order=j + 1, number=r.text(b, "number", bpath, max_length=100),
                          title=r.text(b, "title", bpath), issued_on=r.date(b, "issued_on", bpath, required=False)))
    variants = [_read_variant(r, v, f"{path}.variants[{j}]", units)
                for j, v in enumerate(r.items(raw.get("variants"), f"{path}.variants"))]
    codes = [v["code"] for v in variants]
    if len(codes) != len(set(codes)):
        r.fail(f"{path}.variants", "mã trường hợp bị trùng.")
    status = r.choice(raw, "status", path, VersionStatus.values)
    if status in IN_FORCE and not variants:
        r.fail(f"{path}.variants", "phiên bản đã công bố phải có ít nhất một trường hợp.")
    if status == VersionStatus.RETIRED and valid_to is None:
        r.fail(f"{path}.valid_to", "phiên bản đã bãi bỏ phải có ngày cuối cùng áp dụng.")
    return dict(
        number=number, status=status, valid_from=valid_from, valid_to=valid_to,
        publication_decision=r.text(raw, "publication_decision", path, required=False),
        for_citizens="citizen" in kinds, for_organisations="organisation" in kinds,
        result_name=r.text(raw, "result_name", path),
        result_type=r.choice(raw, "result_type", path, ResultType.values),
        online_mode=r.choice(raw, "online_mode", path, OnlineMode.values),
        postal_intake=r.flag(raw, "postal_intake", path), postal_return=r.flag(raw, "postal_return", path),
        boundary_independent=r.flag(raw, "boundary_independent", path),
        legal_bases=bases, variants=variants, path=path,
    )


def _int(r: _Reader, d: dict, key: str, path: str, low: int, high: int, default=None):
    value = d.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        r.fail(f"{path}.{key}", f"phải là số nguyên từ {low} đến {high}.")
        return None
    return value


def _read_variant(r: _Reader, raw, path: str, units: dict[str, OrgUnit]) -> dict:
    raw = r.obj(raw, path)
    limit = r.duration(raw, "time_limit", path, required=True)
    online = r.duration(raw, "online_time_limit", path, required=False)
    documents = []
    for j, d in enumerate(r.items(raw.get("documents"), f"{path}.documents")):
        dpath = f"{path}.documents[{j}]"
        d = r.obj(d, dpath)
        documents.append(dict(order=j + 1, name=r.text(d, "name", dpath, max_length=1000),
                              kind=r.choice(d, "kind", dpath, DocumentKind.values),
                              count=_int(r, d, "count", dpath, 1, 1000, default=1),
                              mandatory=r.flag(d, "mandatory", dpath, True),
                              template=_read_template(r, d.get("template"), f"{dpath}.template")))
    fees = []
    for j, f in enumerate(r.items(raw.get("fees"), f"{path}.fees")):
        fpath = f"{path}.fees[{j}]"
        f = r.obj(f, fpath)
        fee = FeeItem(order=j + 1, kind=r.choice(f, "kind", fpath, FeeKind.values), name=r.text(f, "name", fpath),
                      amount=_int(r, f, "amount", fpath, 0, MAX_AMOUNT),
                      formula=r.text(f, "formula", fpath, required=False),
                      description=r.text(f, "description", fpath, required=False, max_length=1000))
        if not any(e.startswith(f"{fpath}.amount") or e.startswith(f"{fpath}.formula") for e in r.errors):
            try:
                clean_fee(fee)
            except ValidationError as exc:
                r.fail(fpath, " ".join(exc.messages))
        fees.append(dict(order=fee.order, kind=fee.kind, name=fee.name, amount=fee.amount, formula=fee.formula,
                         description=fee.description))
    steps = []
    for j, s in enumerate(r.items(raw.get("steps"), f"{path}.steps")):
        spath = f"{path}.steps[{j}]"
        s = r.obj(s, spath)
        unit_id = _plain_str(r, s.get("unit"), f"{spath}.unit")
        if unit_id is not None and unit_id not in units:
            r.fail(f"{spath}.unit", f"không có đơn vị với mã định danh “{unit_id}”.")
        if s.get("order") != j + 1:
            r.fail(f"{spath}.order", f"các bước phải đánh số liên tục từ 1 (cần {j + 1}).")
        steps.append(dict(order=j + 1, name=r.text(s, "name", spath),
                          role=r.choice(s, "role", spath, [x.value for x in STEP_ROLES]),
                          unit=units.get(unit_id) if unit_id else None,
                          budget=r.duration(s, "budget", spath, required=True)))
    if limit is not None and all(s["budget"] is not None for s in steps):
        try:
            check_variant(limit, online, [s["budget"] for s in steps])
        except rules.RuleError as exc:
            r.fail(f"{path}.steps", str(exc))
    return dict(code=r.text(raw, "code", path, max_length=30), name=r.text(raw, "name", path),
                limit=limit, online=online, documents=documents, fees=fees, steps=steps,
                supplement_rule=r.choice(raw, "supplement_rule", path, SupplementRule.values, SupplementRule.RESTART),
                paper_cutoff=_read_cutoff(r, raw, path))


def _read_cutoff(r: _Reader, raw: dict, path: str) -> dt.time | None:
    value = raw.get("paper_cutoff", "15:00")
    if value is None:
        return None
    try:
        hour, minute = (int(x) for x in str(value).split(":"))
        return dt.time(hour, minute)
    except (TypeError, ValueError):
        r.fail(f"{path}.paper_cutoff", f"“{value}” không phải giờ dạng HH:MM.")
        return None


_SAFE_FILE_NAME = re.compile(r"^[^/\\\x00]{1,200}$")


def _read_template(r: _Reader, raw, path: str) -> tuple[str, bytes] | None:
    if raw is None:
        return None
    raw = r.obj(raw, path)
    name = r.text(raw, "name", path, max_length=200)
    if not _SAFE_FILE_NAME.match(name) or name in (".", "..") or name.startswith("."):
        r.fail(f"{path}.name", f"tên tệp mẫu “{name}” không hợp lệ.")
        return None
    encoded = raw.get("content_base64")
    try:
        content = base64.b64decode(encoded if isinstance(encoded, str) else "", validate=True)
    except (binascii.Error, ValueError):
        r.fail(f"{path}.content_base64", "nội dung tệp mẫu không phải base64 hợp lệ.")
        return None
    if not content:
        r.fail(f"{path}.content_base64", "tệp mẫu rỗng.")
        return None
    return name, content


def _store_template(name: str, content: bytes) -> str:
    """Content-addressed path, so the same file imported twice is stored once and keeps its name."""
    target = f"catalog/templates/{hashlib.sha256(content).hexdigest()[:16]}/{name}"
    if not default_storage.exists(target):
        stored = default_storage.save(target, ContentFile(content))
        if stored != target:
            raise ValidationError(f"Không lưu được tệp mẫu {name}.")
    return target


def _write(plan: dict) -> dict[str, int]:
    counts = {"sectors": 0, "procedures": 0, "versions": 0, "variants": 0}
    for code, name in plan["sectors"].items():
        Sector.objects.update_or_create(code=code, defaults={"name": name})
        counts["sectors"] += 1
    sectors = {s.code: s for s in Sector.objects.all()}
    for p in plan["procedures"]:
        fields = dict(name=p["name"], search_key=procedure_search_key(p["code"], p["name"]),
                      sector=sectors[p["sector"]], level=p["level"], competent_unit=p["competent_unit"])
        procedure = Procedure.objects.select_for_update().filter(code=p["code"]).first()
        if procedure is None:
            procedure = Procedure.objects.create(code=p["code"], **fields)
        else:
            Procedure.objects.filter(pk=procedure.pk).update(**fields)
        counts["procedures"] += 1
        for v in p["versions"]:
            if v.get("unchanged"):
                continue
            procedure.versions.filter(number=v["number"]).delete()
            version = ProcedureVersion.objects.create(procedure=procedure, **{
                k: v[k] for k in ("number", "status", "valid_from", "valid_to", "publication_decision", "for_citizens",
                                  "for_organisations", "result_name", "result_type", "online_mode", "postal_intake",
                                  "postal_return", "boundary_independent")})
            LegalBasis.objects.bulk_create([LegalBasis(version=version, **b) for b in v["legal_bases"]])
            for order, c in enumerate(v["variants"], start=1):
                variant = ProcedureVariant.objects.create(
                    version=version, code=c["code"], order=order, name=c["name"],
                    time_limit_value=c["limit"].value, time_limit_unit=c["limit"].unit,
                    online_time_limit_value=c["online"].value if c["online"] else None,
                    online_time_limit_unit=c["online"].unit if c["online"] else "",
                    supplement_rule=c["supplement_rule"], paper_cutoff=c["paper_cutoff"])
                RequiredDocument.objects.bulk_create([
                    RequiredDocument(variant=variant, order=d["order"], name=d["name"], kind=d["kind"], count=d["count"],
                                     mandatory=d["mandatory"],
                                     template=_store_template(*d["template"]) if d["template"] else "")
                    for d in c["documents"]])
                FeeItem.objects.bulk_create([FeeItem(variant=variant, **f) for f in c["fees"]])
                WorkflowStep.objects.bulk_create([
                    WorkflowStep(variant=variant, order=s["order"], name=s["name"], role=s["role"], unit=s["unit"],
                                 budget_value=s["budget"].value, budget_unit=s["budget"].unit)
                    for s in c["steps"]])
                counts["variants"] += 1
            counts["versions"] += 1
    return counts
