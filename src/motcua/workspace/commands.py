"""The dossier commands as the workspace offers them: a label, the form's fields, and how the posted
form becomes the arguments of the service command.

Nothing here decides whether a command may run — ``services.available_commands`` says so with the
services' own checks, and the command itself checks again when it runs. A form that cannot even be
read (a count that is not a number) is refused here, with a Vietnamese message, before any command.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Callable

from django.contrib.auth import get_user_model

from motcua.accounts.models import Role, StaffMembership
from motcua.calendar import CalendarError, Duration
from motcua.dossiers import services
from motcua.dossiers.errors import Conflict, DossierError
from motcua.dossiers.files import Upload
from motcua.dossiers.models import Delivery, Dossier, PaymentMethod, TaskMode
from motcua.org.models import OrgUnit
from motcua.text import nfc

__all__ = ["COMMANDS", "Command", "run", "text", "lines", "whole_number", "duration", "uploads", "DURATION_UNITS"]

DURATION_UNITS = [("working_days", "ngày làm việc"), ("working_hours", "giờ làm việc")]
KIND_CHOICES = [("original", "Bản chính"), ("certified_copy", "Bản sao có chứng thực"), ("copy", "Bản sao / bản chụp")]


# --- reading a posted form -----------------------------------------------------------------------------


def text(data, name: str, limit: int = 5000) -> str:
    return nfc(data.get(name, "") or "").strip()[:limit]


def lines(data, name: str) -> list[str]:
    return [line.strip() for line in text(data, name, 20000).splitlines() if line.strip()]


def whole_number(data, name: str, label: str, *, minimum: int = 1, maximum: int = 10**12,
                 default: int | None = None) -> int:
    raw = text(data, name).replace(".", "").replace(" ", "")
    if not raw and default is not None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DossierError(f"{label} phải là số nguyên.", code="form", field=name) from None
    if not minimum <= value <= maximum:
        raise DossierError(f"{label} phải từ {minimum:,} đến {maximum:,}.".replace(",", "."), code="form", field=name)
    return value


def duration(data, value_name: str = "extension_value", unit_name: str = "extension_unit") -> Duration:
    unit = data.get(unit_name, "working_days")
    if unit not in dict(DURATION_UNITS):
        raise DossierError("Chọn đơn vị thời gian: ngày làm việc hoặc giờ làm việc.", code="form", field=unit_name)
    try:
        return Duration(text(data, value_name) or "0", unit)
    except CalendarError as exc:
        raise DossierError(str(exc), code="form", field=value_name) from exc


def _file_name(name: str) -> str:
    return nfc("".join(ch for ch in (name or "") if unicodedata.category(ch)[0] != "C"))[:255]


def uploads(files, key: str, *, name: str, kind: str = "original", required_id: int | None = None) -> list[Upload]:
    """Each file posted under ``key`` as one document named ``name``."""
    return [Upload(name=name, kind=kind, required_id=required_id, file_name=_file_name(f.name), content=f)
            for f in files.getlist(key)]


def version(data) -> int:
    try:
        return int(data.get("version", ""))
    except ValueError:
        raise Conflict("Trang đã cũ (thiếu phiên bản hồ sơ). Vui lòng tải lại trang và thao tác lại.") from None


# --- the commands ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    name: str
    label: str                       # the button
    title: str                       # the dialog's heading
    parse: Callable[[Dossier, object, object], dict] = lambda d, data, files: {}
    service: Callable | None = None  # default: services.<name>
    danger: bool = False             # refusals and stops: a red button
    files: bool = False              # the form uploads files (multipart, progress bar)
    done: str = "Đã thực hiện."      # the message after it ran
    show: str = ""                   # the form to show after it ran (receipt, refusal …)
    fields: tuple[str, ...] = field(default=())

    def call(self):
        return self.service or getattr(services, self.name)


def _items(d, data, files) -> dict:
    return {"items": lines(data, "items"), "reason": text(data, "reason")}


def _reasons(d, data, files) -> dict:
    return {"reasons": lines(data, "reasons")}


def _reason(d, data, files) -> dict:
    return {"reason": text(data, "reason")}


def _note(d, data, files) -> dict:
    return {"note": text(data, "note")}


def _documents(d, data, files) -> dict:
    name = text(data, "document_name", 1000) or "Giấy tờ bổ sung"
    return {"documents": uploads(files, "files", name=name, kind=data.get("document_kind", "copy"))}


def _assign(d, data, files) -> dict:
    username = text(data, "assignee", 150)
    user = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
    if user is None:
        raise DossierError("Chọn cán bộ được phân công.", code="form", field="assignee")
    return {"assignee": user}


def _issue(d, data, files) -> dict:
    posted = files.getlist("file")
    upload = None
    if posted:
        upload = Upload(name=d.procedure_version.result_name or "Kết quả giải quyết",
                        file_name=_file_name(posted[0].name), content=posted[0])
    return {"number": text(data, "number", 100), "file": upload}


def _return(d, data, files) -> dict:
    method = data.get("method", "")
    note = text(data, "note")
    if method == Delivery.POST:
        item = text(data, "postal_item", 60)
        if not item:
            raise DossierError("Nhập số hiệu bưu gửi khi trả kết quả qua bưu chính.", code="form", field="postal_item")
        note = f"Số hiệu bưu gửi: {item}" + (f". {note}" if note else "")
    return {"method": method, "originals_returned": data.get("originals_returned") == "on", "note": note}


def _payment(d, data, files) -> dict:
    return {"amount": whole_number(data, "amount", "Số tiền"), "method": data.get("method", ""),
            "reference": text(data, "reference", 100)}


def _unit(data, name: str) -> OrgUnit:
    try:
        unit = OrgUnit.objects.filter(pk=int(data.get(name, ""))).first()
    except ValueError:
        unit = None
    if unit is None:
        raise DossierError("Chọn cơ quan phối hợp.", code="form", field=name)
    return unit


def _transfer(d, data, files) -> dict:
    tasks = []
    for n in (1, 2, 3):
        if not data.get(f"unit_{n}"):
            continue
        tasks.append(services.TaskSpec(_unit(data, f"unit_{n}"), text(data, f"task_{n}"),
                                       duration(data, f"days_{n}", f"days_unit_{n}")))
    mode = data.get("mode", TaskMode.SEQUENTIAL)
    return {"tasks": tasks, "mode": mode}


def _consult(d, data, files) -> dict:
    return {"unit": _unit(data, "unit"), "question": text(data, "question"),
            "duration": duration(data, "days", "days_unit")}


def _apology(d, data, files) -> dict:
    return {"reason": text(data, "reason"), "extension": duration(data)}


COMMANDS: dict[str, Command] = {c.name: c for c in [
    Command("accept", "Tiếp nhận hồ sơ", "Tiếp nhận hồ sơ và hẹn trả kết quả", done="Đã tiếp nhận hồ sơ.",
            show="receipt"),
    Command("request_intake_supplement", "Yêu cầu bổ sung (Mẫu 02)", "Hướng dẫn bổ sung, hoàn thiện hồ sơ",
            _items, done="Đã lập phiếu yêu cầu bổ sung.", show="supplement_request"),
    Command("refuse_intake", "Từ chối tiếp nhận (Mẫu 03)", "Từ chối tiếp nhận hồ sơ", _reasons, danger=True,
            done="Đã từ chối tiếp nhận.", show="refusal"),
    Command("record_intake_supplement", "Ghi nhận đã bổ sung", "Ghi nhận hồ sơ đã bổ sung (trước khi tiếp nhận)",
            _documents, files=True, done="Đã ghi nhận hồ sơ bổ sung."),
    Command("claim", "Nhận xử lý", "Nhận xử lý bước hiện tại", done="Đã nhận xử lý."),
    Command("assign", "Phân công", "Phân công cán bộ xử lý", _assign, done="Đã phân công."),
    Command("forward", "Chuyển bước tiếp theo", "Hoàn thành bước và chuyển bước tiếp theo", _note,
            done="Đã chuyển bước tiếp theo."),
    Command("approve", "Phê duyệt", "Phê duyệt kết quả", _note, done="Đã phê duyệt."),
    Command("refuse", "Từ chối giải quyết", "Từ chối giải quyết hồ sơ", _reasons, danger=True,
            done="Đã từ chối giải quyết.", show="refusal"),
    Command("issue_result", "Ban hành kết quả", "Vào số và ban hành kết quả", _issue, files=True,
            done="Đã ban hành kết quả."),
    Command("send_back", "Trả lại bước trước", "Trả lại bước trước", _reason, done="Đã trả lại bước trước."),
    Command("request_supplement", "Yêu cầu bổ sung (Mẫu 02)", "Yêu cầu bổ sung, hoàn thiện hồ sơ", _items,
            done="Đã lập phiếu yêu cầu bổ sung.", show="supplement_request"),
    Command("record_supplement", "Ghi nhận hồ sơ bổ sung", "Ghi nhận hồ sơ bổ sung", _documents, files=True,
            done="Đã ghi nhận hồ sơ bổ sung."),
    Command("request_payment", "Yêu cầu nộp phí", "Yêu cầu nộp phí, lệ phí", _reason, done="Đã yêu cầu nộp phí."),
    Command("record_payment", "Thu phí, lệ phí", "Ghi nhận khoản nộp phí, lệ phí", _payment,
            done="Đã ghi nhận khoản nộp."),
    Command("transfer", "Chuyển liên thông", "Chuyển xử lý liên thông", _transfer, done="Đã chuyển liên thông."),
    Command("consult", "Lấy ý kiến", "Lấy ý kiến cơ quan khác", _consult, done="Đã gửi lấy ý kiến."),
    Command("complete_task", "Hoàn thành nhiệm vụ", "Hoàn thành nhiệm vụ phối hợp",
            lambda d, data, files: {"answer": text(data, "answer")}, done="Đã hoàn thành nhiệm vụ phối hợp."),
    Command("apologise", "Xin lỗi, hẹn lại (Mẫu 04)", "Xin lỗi và hẹn lại ngày trả kết quả", _apology,
            done="Đã lập văn bản xin lỗi và hẹn lại ngày trả kết quả.", show="apology"),
    Command("return_result", "Trả kết quả", "Trả kết quả cho người nộp", _return, done="Đã trả kết quả."),
    Command("withdraw", "Rút hồ sơ", "Ghi nhận người nộp rút hồ sơ", _reason, danger=True, done="Đã ghi nhận rút hồ sơ."),
    Command("stop", "Dừng giải quyết", "Dừng giải quyết hồ sơ (Mẫu 05)", _reason, danger=True,
            done="Đã dừng giải quyết hồ sơ.", show="stop_notice"),
]}


def run(command: Command, d: Dossier, user, data, files):
    """Read the form, then run the service command with the dossier version the page showed."""
    kwargs = command.parse(d, data, files)
    seen = version(data)
    if command.name == "complete_task":
        task = d.tasks.filter(pk=data.get("task") or 0).first() if str(data.get("task", "")).isdigit() else None
        if task is None:
            raise DossierError("Không tìm thấy nhiệm vụ phối hợp của hồ sơ này.", code="form", field="task")
        return services.complete_task(task.pk, user, version=seen, **kwargs)
    return command.call()(d.pk, user, version=seen, **kwargs)


def assignees(d: Dossier) -> list:
    """Officers who hold the current step's role in its unit or above (the leader's choice)."""
    step = d.current_step
    if step is None:
        return []
    ancestors = [int(pk) for pk in step.unit.path.strip("/").split("/")]
    users = (StaffMembership.objects.filter(unit_id__in=ancestors, role=step.role, is_active=True, user__is_active=True)
             .select_related("user").order_by("user__username"))
    seen, result = set(), []
    for m in users:
        if m.user_id not in seen:
            seen.add(m.user_id)
            result.append(m.user)
    return result


def partner_units(d: Dossier) -> list[OrgUnit]:
    """Agencies of the same province other than the resolving one (inter-agency tasks, consultations)."""
    root = d.resolving_unit.path.split("/")[1]
    return list(OrgUnit.objects.filter(path__startswith=f"/{root}/", valid_to__isnull=True)
                .exclude(pk=d.resolving_unit_id).order_by("path"))


ROLE_LABELS = {r.value: r.label for r in Role}
DELIVERY_CHOICES = Delivery.choices
PAYMENT_CHOICES = [(PaymentMethod.CASH, "Tiền mặt"), (PaymentMethod.TRANSFER, "Chuyển khoản"),
                   (PaymentMethod.POSTAL, "Qua bưu chính công ích")]
MODE_CHOICES = TaskMode.choices
