"""Commands on the procedure catalogue: edit checks, publication, and JSON export/import.

Imports are all-or-nothing: the whole document is checked first (every problem reported with its
JSON path), then written in one transaction.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any, Iterable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from motcua.accounts.models import Role
from motcua.catalog import rules
from motcua.catalog.models import (
    DocumentKind, FeeItem, FeeKind, LegalBasis, Level, OnlineMode, Procedure, ProcedureVariant,
    ProcedureVersion, RequiredDocument, ResultType, Sector, VersionStatus, WorkflowStep,
)
from motcua.org.models import OrgUnit
from motcua.text import fold, nfc

__all__ = [
    "CatalogImportError",
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
STEP_ROLES = (Role.RECEPTIONIST, Role.SPECIALIST, Role.LEADER, Role.CLERK)


class CatalogImportError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


# --- checks shared by the admin, publication and import ------------------------------------

def check_variant(limit: rules.Duration, online_limit: rules.Duration | None,
                  budgets: Iterable[rules.Duration]) -> None:
    """Raise RuleError when the steps' budgets do not add up or the online limit is not shorter."""
    rules.check_budgets(limit, budgets)
    if online_limit is not None and online_limit.unit == limit.unit and online_limit.value > limit.value:
        raise rules.RuleError(f"Thời hạn khi nộp trực tuyến ({online_limit}) không được dài hơn thời hạn {limit}.")


def _variant_durations(variant: ProcedureVariant):
    limit = rules.Duration(variant.time_limit_value, variant.time_limit_unit)
    online = (rules.Duration(variant.online_time_limit_value, variant.online_time_limit_unit)
              if variant.online_time_limit_value is not None else None)
    budgets = [rules.Duration(s.budget_value, s.budget_unit) for s in variant.steps.all()]
    return limit, online, budgets


def check_version_period(version: ProcedureVersion, status: str | None = None) -> None:
    """A published version must not overlap another published version of the same procedure."""
    if (status or version.status) != VersionStatus.PUBLISHED:
        return
    others = (ProcedureVersion.objects.filter(procedure_id=version.procedure_id, status=VersionStatus.PUBLISHED)
              .exclude(pk=version.pk).values_list("number", "valid_from", "valid_to"))
    clash = rules.find_overlap((version.valid_from, version.valid_to), others)
    if clash is not None:
        raise ValidationError(
            {"valid_from": f"Thời gian hiệu lực trùng với phiên bản số {clash} đang công khai của thủ tục này."}
        )


@transaction.atomic
def publish_version(version: ProcedureVersion) -> ProcedureVersion:
    # Lock the procedure so two publications of overlapping versions cannot both pass the check.
    Procedure.objects.select_for_update().get(pk=version.procedure_id)
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
def retire_version(version: ProcedureVersion, last_day: dt.date) -> ProcedureVersion:
    version = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
    if last_day < version.valid_from:
        raise ValidationError({"valid_to": "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."})
    version.status, version.valid_to = VersionStatus.RETIRED, last_day
    version.save(update_fields=["status", "valid_to"])
    return version


def published_version(procedure: Procedure, on: dt.date) -> ProcedureVersion | None:
    from django.db.models import Q

    return (procedure.versions.filter(status=VersionStatus.PUBLISHED, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).first())


def search_procedures(query: str):
    """Procedures whose name or code matches every word of ``query``, ignoring case, accents and đ."""
    qs = Procedure.objects.all()
    for word in fold(query).split():
        qs = qs.filter(search_key__contains=word)
    return qs


def procedure_search_key(code: str, name: str) -> str:
    return f"{code.lower()} {fold(name)}"


def clean_procedure(procedure: Procedure) -> None:
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
    procedure.search_key = procedure_search_key(procedure.code, procedure.name)


@transaction.atomic
def save_procedure(procedure: Procedure) -> Procedure:
    """Create or edit a procedure's own fields (its versions are edited separately)."""
    clean_procedure(procedure)
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
            return rules.Duration.parse(value.get("value"), value.get("unit"))
        except rules.RuleError as exc:
            self.fail(f"{path}.{key}", str(exc))
            return None


def import_catalog(doc: Any) -> dict[str, int]:
    """Create or replace sectors, procedures and the listed versions from a catalogue document.

    A procedure in the file is updated in place; each listed version (by number) is replaced whole;
    versions not listed are kept. Returns counts. Raises CatalogImportError listing every problem.
    """
    reader = _Reader()
    plan = _read_document(reader, doc)
    if reader.errors:
        raise CatalogImportError(reader.errors)
    with transaction.atomic():
        counts = _write(plan, reader)
        if reader.errors:  # problems only visible against the database (e.g. overlapping versions)
            transaction.set_rollback(True)
            raise CatalogImportError(reader.errors)
    return counts


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
        try:
            code = rules.normalize_procedure_code(raw.get("code") or "")
        except rules.RuleError as exc:
            r.fail(f"{path}.code", str(exc))
            code = str(raw.get("code"))
        if code in seen_codes:
            r.fail(f"{path}.code", f"mã thủ tục {code} xuất hiện hai lần.")
        seen_codes.add(code)
        sector = r.text(raw, "sector", path, max_length=30)
        if sector and sector not in known_sectors:
            r.fail(f"{path}.sector", f"lĩnh vực “{sector}” không có trong danh mục.")
        unit_id = raw.get("competent_unit")
        if unit_id is not None and unit_id not in units:
            r.fail(f"{path}.competent_unit", f"không có đơn vị với mã định danh “{unit_id}”.")
        versions = [_read_version(r, v, f"{path}.versions[{j}]", units)
                    for j, v in enumerate(r.items(raw.get("versions"), f"{path}.versions"))]
        numbers = [v["number"] for v in versions]
        if len(numbers) != len(set(numbers)):
            r.fail(f"{path}.versions", "số phiên bản bị trùng.")
        published = [(v["number"], v["valid_from"], v["valid_to"]) for v in versions
                     if v["status"] == VersionStatus.PUBLISHED and v["valid_from"]]
        for k, (number, start, end) in enumerate(published):
            clash = rules.find_overlap((start, end), published[k + 1:])
            if clash is not None:
                r.fail(f"{path}.versions", f"phiên bản {number} và {clash} cùng công khai trong một khoảng thời gian.")
        procedures.append(dict(
            code=code, name=r.text(raw, "name", path), sector=sector,
            level=r.choice(raw, "level", path, Level.values),
            competent_unit=units.get(unit_id) if unit_id else None, versions=versions, path=path,
        ))
    return {"sectors": sectors, "procedures": procedures}


def _read_version(r: _Reader, raw, path: str, units: dict[str, OrgUnit]) -> dict:
    raw = r.obj(raw, path)
    number = raw.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        r.fail(f"{path}.number", "số phiên bản phải là số nguyên dương.")
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
    if status == VersionStatus.PUBLISHED and not variants:
        r.fail(f"{path}.variants", "phiên bản đang công khai phải có ít nhất một trường hợp.")
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


def _read_variant(r: _Reader, raw, path: str, units: dict[str, OrgUnit]) -> dict:
    raw = r.obj(raw, path)
    limit = r.duration(raw, "time_limit", path, required=True)
    online = r.duration(raw, "online_time_limit", path, required=False)
    documents = []
    for j, d in enumerate(r.items(raw.get("documents"), f"{path}.documents")):
        dpath = f"{path}.documents[{j}]"
        d = r.obj(d, dpath)
        count = d.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1000:
            r.fail(f"{dpath}.count", "số lượng phải là số nguyên từ 1 đến 1000.")
        documents.append(dict(order=j + 1, name=r.text(d, "name", dpath, max_length=1000),
                              kind=r.choice(d, "kind", dpath, DocumentKind.values), count=count,
                              mandatory=r.flag(d, "mandatory", dpath, True),
                              template=_read_template(r, d.get("template"), f"{dpath}.template")))
    fees = []
    for j, f in enumerate(r.items(raw.get("fees"), f"{path}.fees")):
        fpath = f"{path}.fees[{j}]"
        f = r.obj(f, fpath)
        amount, formula = f.get("amount"), f.get("formula")
        if (amount is None) == (formula in (None, "")):
            r.fail(fpath, "cần đúng một trong hai: mức thu cố định (amount) hoặc công thức (formula).")
        if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount < 0):
            r.fail(f"{fpath}.amount", "mức thu phải là số nguyên không âm (đồng).")
        if formula:
            try:
                formula = rules.FeeFormula(formula).source
            except rules.RuleError as exc:
                r.fail(f"{fpath}.formula", str(exc))
        fees.append(dict(order=j + 1, kind=r.choice(f, "kind", fpath, FeeKind.values), name=r.text(f, "name", fpath),
                         amount=amount, formula=formula or "",
                         description=r.text(f, "description", fpath, required=False, max_length=1000)))
    steps = []
    for j, s in enumerate(r.items(raw.get("steps"), f"{path}.steps")):
        spath = f"{path}.steps[{j}]"
        s = r.obj(s, spath)
        unit_id = s.get("unit")
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
                limit=limit, online=online, documents=documents, fees=fees, steps=steps)


def _read_template(r: _Reader, raw, path: str) -> tuple[str, bytes] | None:
    if raw is None:
        return None
    raw = r.obj(raw, path)
    name = PurePosixPath(r.text(raw, "name", path, max_length=200)).name
    try:
        content = base64.b64decode(raw.get("content_base64") or "", validate=True)
    except (binascii.Error, TypeError, ValueError):
        r.fail(f"{path}.content_base64", "nội dung tệp mẫu không phải base64 hợp lệ.")
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


def _write(plan: dict, r: _Reader) -> dict[str, int]:
    counts = {"sectors": 0, "procedures": 0, "versions": 0, "variants": 0}
    for code, name in plan["sectors"].items():
        Sector.objects.update_or_create(code=code, defaults={"name": name})
        counts["sectors"] += 1
    sectors = {s.code: s for s in Sector.objects.all()}
    for p in plan["procedures"]:
        procedure, _ = Procedure.objects.update_or_create(code=p["code"], defaults=dict(
            name=p["name"], search_key=procedure_search_key(p["code"], p["name"]), sector=sectors[p["sector"]],
            level=p["level"], competent_unit=p["competent_unit"]))
        Procedure.objects.select_for_update().get(pk=procedure.pk)
        counts["procedures"] += 1
        for v in p["versions"]:
            procedure.versions.filter(number=v["number"]).delete()
            version = ProcedureVersion.objects.create(procedure=procedure, **{
                k: v[k] for k in ("number", "status", "valid_from", "valid_to", "publication_decision", "for_citizens",
                                  "for_organisations", "result_name", "result_type", "online_mode", "postal_intake",
                                  "postal_return", "boundary_independent")})
            try:
                check_version_period(version)
            except ValidationError as exc:
                r.fail(v["path"], " ".join(exc.messages))
            LegalBasis.objects.bulk_create([LegalBasis(version=version, **b) for b in v["legal_bases"]])
            for order, c in enumerate(v["variants"], start=1):
                variant = ProcedureVariant.objects.create(
                    version=version, code=c["code"], order=order, name=c["name"],
                    time_limit_value=c["limit"].value, time_limit_unit=c["limit"].unit,
                    online_time_limit_value=c["online"].value if c["online"] else None,
                    online_time_limit_unit=c["online"].unit if c["online"] else "")
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
