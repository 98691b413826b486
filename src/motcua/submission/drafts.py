"""Draft commands: start or resume a draft, save what was typed and uploaded, submit it.

The draft is the applicant's workspace before a dossier exists. Submitting hands everything to
``dossiers.services.submit_online`` with the draft's own idempotency key, so a double click or a
retried request returns the first dossier. A refusal raises ``DraftRefused`` with a Vietnamese
message per field and leaves nothing half-written: no file kept from a refused save, no dossier
from a refused submit, the draft as it was.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.accounts.models import Applicant
from motcua.catalog.models import FeeItem, OnlineMode, ProcedureVariant, RequiredDocument, VersionStatus
from motcua.catalog.rules import FeeFormula, RuleError
from motcua.dossiers import services
from motcua.dossiers.errors import DossierError, NotFound
from motcua.dossiers.files import StoredFiles, Upload, check
from motcua.dossiers.models import Delivery, Dossier
from motcua.org.models import OrgUnit, UnitKind
from motcua.submission.models import Draft, DraftFile
from motcua.text import nfc

__all__ = ["DraftRefused", "DraftInput", "online_variant", "start", "get_draft", "save", "remove_file",
           "checklist", "fee_preview", "resolving_choices", "submit", "file_name", "MAX_FILES_PER_DOCUMENT"]

MAX_FILES_PER_DOCUMENT = 10  # a scan of many pages is one PDF; ten files per document is generous


class DraftRefused(DossierError):
    """The draft cannot be saved or submitted as posted: one or more messages per field."""

    def __init__(self, errors: dict[str, list[str]]):
        first = next(iter(errors.values()))[0]
        super().__init__(first, code="draft_invalid")
        self.errors = errors


@dataclass
class DraftInput:
    """What the guided form posts, as text (a draft may be incomplete; ``submit`` checks it)."""

    contact_email: str = ""
    contact_phone: str = ""
    representative_name: str = ""
    representative_id_number: str = ""
    representative_phone: str = ""
    delivery: str = Delivery.ONLINE
    delivery_address: str = ""
    resolving_unit: str = ""
    fee_inputs: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_post(cls, post, variables: list[str]) -> "DraftInput":
        def text(name: str, limit: int) -> str:
            return _clean(post.get(name, ""))[:limit]
        return cls(contact_email=text("contact_email", 254), contact_phone=text("contact_phone", 20),
                   representative_name=text("representative_name", 255),
                   representative_id_number=text("representative_id_number", 20),
                   representative_phone=text("representative_phone", 20),
                   delivery=text("delivery", 10), delivery_address=text("delivery_address", 255),
                   resolving_unit=text("resolving_unit", 20),
                   fee_inputs={v: text(f"fee_{v}", 30) for v in variables})


def _clean(value: str) -> str:
    """NFC, trimmed, without control characters (a pasted tab or NUL is not an address)."""
    return "".join(ch for ch in nfc(str(value)) if unicodedata.category(ch)[0] != "C").strip()


# --- which variants take online dossiers ---------------------------------------------------------------


def online_variant(pk, on: dt.date | None = None) -> ProcedureVariant:
    """The variant if it is published, in force today and open online; NotFound or DossierError otherwise."""
    try:
        variant = (ProcedureVariant.objects.select_related("version__procedure__competent_unit")
                   .get(pk=int(pk)))
    except (ProcedureVariant.DoesNotExist, ValueError, TypeError):
        raise NotFound("Không tìm thấy thủ tục hành chính này.") from None
    version, on = variant.version, on or timezone.localdate()
    if version.status != VersionStatus.PUBLISHED or version.valid_from > on or (version.valid_to and version.valid_to < on):
        raise DossierError(f"Thủ tục “{version.procedure.name}” hiện không áp dụng.", code="procedure_not_in_force")
    if version.online_mode == OnlineMode.NONE:
        raise DossierError(f"Thủ tục “{version.procedure.name}” không tiếp nhận hồ sơ trực tuyến; vui lòng nộp "
                           "trực tiếp hoặc qua bưu chính công ích.", code="channel")
    return variant


def start(applicant: Applicant, variant: ProcedureVariant) -> Draft:
    """The applicant's open draft for this variant, made now if there is none (contact prefilled)."""
    services.check_applicant_kind(variant, applicant)
    existing = Draft.objects.filter(applicant=applicant, variant=variant, submitted_at__isnull=True).first()
    if existing is not None:
        return existing
    user = applicant.user
    data = {"contact_email": applicant.email or getattr(user, "email", "") or "",
            "contact_phone": applicant.phone or getattr(user, "phone", "") or ""}
    try:
        with transaction.atomic():
            return Draft.objects.create(applicant=applicant, variant=variant, data=data)
    except IntegrityError:  # the same click twice: the other request made it
        return Draft.objects.get(applicant=applicant, variant=variant, submitted_at__isnull=True)


def get_draft(applicant: Applicant, ident) -> Draft:
    """The applicant's own draft by its link; another applicant's draft does not exist for them."""
    draft = (Draft.objects.select_related("variant__version__procedure__competent_unit", "dossier")
             .filter(applicant=applicant, uuid=ident).first())
    if draft is None:
        raise NotFound("Không tìm thấy bản nháp.")
    return draft


# --- what the page shows ---------------------------------------------------------------------------------


def checklist(draft: Draft) -> list[dict]:
    """Each required document with its counts and the files uploaded for it so far."""
    files: dict[int, list[DraftFile]] = {}
    for f in draft.files.order_by("pk"):
        files.setdefault(f.required_id, []).append(f)
    return [{"doc": doc, "files": files.get(doc.pk, [])}
            for doc in RequiredDocument.objects.filter(variant_id=draft.variant_id).order_by("order")]


def fee_variables(variant: ProcedureVariant) -> list[str]:
    names: set[str] = set()
    for item in FeeItem.objects.filter(variant=variant).exclude(formula=""):
        try:
            names |= FeeFormula(item.formula).variables
        except RuleError:
            continue
    return sorted(names)


def fee_preview(variant: ProcedureVariant, inputs: dict[str, str]) -> dict:
    """The catalogue's fees for this variant; formulas computed once their inputs are typed."""
    lines, total, complete = [], 0, True
    values = {}
    for name, raw in (inputs or {}).items():
        try:
            value = Decimal(str(raw).replace(",", "."))
            if value.is_finite() and value >= 0:
                values[name] = value
        except InvalidOperation:
            pass
    for item in FeeItem.objects.filter(variant=variant).order_by("order"):
        amount, note = item.amount, ""
        if item.formula:
            try:
                amount = FeeFormula(item.formula).evaluate(**values)
            except RuleError as exc:
                amount, note, complete = None, str(exc), False
        if amount is not None:
            total += amount
        lines.append({"item": item, "amount": amount, "note": note})
    return {"lines": lines, "total": total, "complete": complete}


def needs_resolving_unit(variant: ProcedureVariant) -> bool:
    """Commune-level procedures have no single competent unit: the applicant picks the commune."""
    return variant.version.procedure.competent_unit_id is None


def resolving_choices(variant: ProcedureVariant) -> list[OrgUnit]:
    if not needs_resolving_unit(variant):
        return []
    return list(OrgUnit.objects.filter(kind=UnitKind.COMMUNE).order_by("name"))


# --- save --------------------------------------------------------------------------------------------------


def file_name(name: str) -> str:
    """An uploaded file's name as we keep it: NFC, no control characters, at most 255 characters."""
    return _clean(name or "")[:255] or "tep"


def save(draft: Draft, form: DraftInput, uploads: dict[int, list] | None = None,
         remove: list[int] | None = None) -> Draft:
    """Keep what was typed and add the uploaded files (``{required document id: [files]}``).

    Every file is checked by content (PDF, JPEG, PNG), size and emptiness first: one bad file refuses
    the whole save and nothing of it is kept."""
    if draft.submitted_at is not None:
        raise DossierError("Bản nháp này đã được nộp thành hồ sơ; không sửa được nữa.", code="draft_submitted")
    documents = {d.pk: d for d in RequiredDocument.objects.filter(variant_id=draft.variant_id)}
    errors: dict[str, list[str]] = {}
    checked: list[tuple[RequiredDocument, str, bytes, str]] = []
    counts = dict.fromkeys(documents, 0)
    for f in draft.files.exclude(pk__in=remove or []):
        counts[f.required_id] = counts.get(f.required_id, 0) + 1
    for required_id, files in (uploads or {}).items():
        doc = documents.get(required_id)
        if doc is None:
            errors.setdefault("__all__", []).append("Tệp gửi lên không thuộc thành phần hồ sơ của thủ tục này.")
            continue
        for upload in files:
            name = file_name(upload.name)
            try:
                data, content_type = check(Upload(name=doc.name, file_name=name, content=upload))
            except DossierError as exc:
                errors.setdefault(f"doc-{doc.pk}", []).append(exc.message)
                continue
            checked.append((doc, name, data, content_type))
            counts[doc.pk] += 1
        if counts[doc.pk] > MAX_FILES_PER_DOCUMENT:
            errors.setdefault(f"doc-{doc.pk}", []).append(
                f"“{doc.name}”: tối đa {MAX_FILES_PER_DOCUMENT} tệp; hãy gộp các trang vào một tệp PDF.")
    if errors:
        raise DraftRefused(errors)
    stored = StoredFiles()
    try:
        with transaction.atomic():
            locked = Draft.objects.select_for_update().get(pk=draft.pk)
            if locked.submitted_at is not None:
                raise DossierError("Bản nháp này đã được nộp thành hồ sơ; không sửa được nữa.",
                                   code="draft_submitted")
            gone = list(locked.files.filter(pk__in=remove or []))
            for doc, name, data, content_type in checked:
                row = stored.save(f"drafts/{locked.uuid}", Upload(name=doc.name, file_name=name), data, content_type)
                DraftFile.objects.create(draft=locked, required=doc, file=row["file"], file_name=row["file_name"],
                                         sha256=row["sha256"], content_type=content_type, size=row["size"])
            DraftFile.objects.filter(pk__in=[f.pk for f in gone]).delete()
            locked.data = {**locked.data, **_data(form)}
            locked.delivery = form.delivery if form.delivery in Delivery.values else Delivery.ONLINE
            locked.delivery_address = form.delivery_address
            locked.save()
            names = [f.file.name for f in gone]
            transaction.on_commit(lambda: _delete(names))
    except BaseException:
        stored.discard()
        raise
    return locked


def _data(form: DraftInput) -> dict:
    return {"contact_email": form.contact_email, "contact_phone": form.contact_phone,
            "representative_name": form.representative_name,
            "representative_id_number": form.representative_id_number,
            "representative_phone": form.representative_phone, "resolving_unit": form.resolving_unit,
            "fee_inputs": form.fee_inputs}


def _delete(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # already gone: nothing to undo
            pass


def remove_file(draft: Draft, file_id: int) -> None:
    """Take one uploaded file out of the draft."""
    if draft.submitted_at is not None:
        raise DossierError("Bản nháp này đã được nộp thành hồ sơ; không sửa được nữa.", code="draft_submitted")
    with transaction.atomic():
        row = DraftFile.objects.filter(draft=draft, pk=file_id).first()
        if row is None:
            raise NotFound("Không tìm thấy tệp này trong bản nháp.")
        name = row.file.name
        row.delete()
        transaction.on_commit(lambda: _delete([name]))


# --- submit ------------------------------------------------------------------------------------------------


def problems(draft: Draft) -> dict[str, list[str]]:
    """What still stops the draft from being submitted, per field (empty: ready)."""
    errors: dict[str, list[str]] = {}
    variant, data = draft.variant, draft.data or {}
    for row in checklist(draft):
        doc = row["doc"]
        if doc.mandatory and not row["files"]:
            errors.setdefault(f"doc-{doc.pk}", []).append(f"Chưa tải lên tệp cho giấy tờ bắt buộc “{doc.name}”.")
    if draft.delivery == Delivery.POST:
        if not variant.version.postal_return:
            errors.setdefault("delivery", []).append("Thủ tục này không trả kết quả qua bưu chính công ích.")
        elif not draft.delivery_address:
            errors.setdefault("delivery_address", []).append("Nhập địa chỉ nhận kết quả qua bưu chính.")
    if needs_resolving_unit(variant):
        if not _resolving_unit(draft):
            errors.setdefault("resolving_unit", []).append("Chọn cơ quan giải quyết hồ sơ (UBND xã, phường).")
    if not (data.get("contact_email") or data.get("contact_phone")):
        errors.setdefault("contact_phone", []).append(
            "Nhập số điện thoại hoặc thư điện tử để nhận thông báo về hồ sơ.")
    inputs = data.get("fee_inputs") or {}
    for name in fee_variables(variant):
        raw = str(inputs.get(name, "")).replace(",", ".")
        try:
            ok = Decimal(raw).is_finite() and Decimal(raw) >= 0
        except InvalidOperation:
            ok = False
        if not ok:
            errors.setdefault(f"fee_{name}", []).append(f"Nhập “{name}” (một số không âm) để tính phí, lệ phí.")
    if draft.data.get("representative_phone") or draft.data.get("representative_id_number"):
        if not draft.data.get("representative_name"):
            errors.setdefault("representative_name", []).append("Nhập họ tên người được ủy quyền.")
    return errors


def _resolving_unit(draft: Draft) -> OrgUnit | None:
    raw = str((draft.data or {}).get("resolving_unit", ""))
    if not raw.isdigit():
        return None
    return OrgUnit.objects.filter(pk=int(raw), kind=UnitKind.COMMUNE).first()


def _documents(draft: Draft) -> list[Upload]:
    uploads = []
    for f in draft.files.select_related("required").order_by("required__order", "pk"):
        with default_storage.open(f.file.name, "rb") as handle:
            content = handle.read()
        uploads.append(Upload(name=f.required.name, kind=f.required.kind, count=f.required.count,
                              required_id=f.required_id, file_name=f.file_name, content=content))
    return uploads


# service refusals that belong to one field of the form
_FIELDS = {"contact_email": "contact_email", "contact_phone": "contact_phone", "delivery": "delivery",
           "delivery_address": "delivery_address", "resolving_unit": "resolving_unit", "fee_inputs": "__all__"}


def submit(draft: Draft, actor) -> Dossier:
    """Lodge the draft as an online dossier (status 1), once: a repeat returns the same dossier."""
    stored_names: list[str] = []
    with transaction.atomic():
        # Lock the draft: a second click waits here, then finds the dossier the first one made.
        locked = (Draft.objects.select_for_update().select_related("variant__version__procedure", "applicant")
                  .get(pk=draft.pk))
        if locked.dossier_id is not None:
            return locked.dossier
        if locked.submitted_at is not None:  # submitted, then the dossier was deleted by an administrator
            raise DossierError("Bản nháp này đã được nộp.", code="draft_submitted")
        online_variant(locked.variant_id)
        errors = problems(locked)
        if errors:
            raise DraftRefused(errors)
        data = locked.data
        rep = services.Representative(data.get("representative_name", ""), data.get("representative_id_number", ""),
                                      data.get("representative_phone", ""))
        inputs = {k: Decimal(str(v).replace(",", ".")) for k, v in (data.get("fee_inputs") or {}).items()}
        try:
            dossier = services.submit_online(
                locked.applicant, locked.variant, actor=actor, resolving_unit=_resolving_unit(locked),
                delivery=locked.delivery, delivery_address=locked.delivery_address, documents=_documents(locked),
                representative=rep if rep.name else None, contact_email=data.get("contact_email", ""),
                contact_phone=data.get("contact_phone", ""), fee_inputs=inputs or None,
                idempotency_key=locked.idempotency_key)
        except DraftRefused:
            raise
        except DossierError as exc:
            if exc.field in _FIELDS or exc.code in ("delivery", "delivery_address", "resolving_unit"):
                key = _FIELDS.get(exc.field or "", exc.code if exc.code in _FIELDS else "__all__")
                raise DraftRefused({key: [exc.message]}) from exc
            raise
        locked.dossier, locked.submitted_at = dossier, timezone.now()
        locked.save(update_fields=["dossier", "submitted_at", "updated_at"])
        # The dossier holds its own copies now; the draft's files go once this commits.
        stored_names = [f.file.name for f in locked.files.all()]
        locked.files.all().delete()
        transaction.on_commit(lambda: _delete(stored_names))
    return dossier
