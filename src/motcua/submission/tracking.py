"""What the applicant may read about their own dossier: status in words, the current step, the due
instant and why, supplement requests, messages sent, result files. Read only; nothing here changes
a dossier (answering a supplement request is ``answer_supplement``, which calls the service)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Q
from django.utils import timezone

from motcua.calendar import CalendarError
from motcua.calendar.explain import explain
from motcua.dossiers import services
from motcua.dossiers.errors import DossierError, NotFound
from motcua.dossiers.files import Upload
from motcua.dossiers.models import (
    Dossier, DocumentStage, Extension, State, SupplementRequest, SupplementStage,
)
from motcua.dossiers.progress import standing
from motcua.notify.models import Channel, OutboxMessage
from motcua.submission.drafts import file_name

__all__ = ["NATIONAL_WORDS", "my_dossier", "explanation", "open_supplement", "sent_messages", "answer_supplement",
           "status_words", "FORMS_FOR_APPLICANT"]

# The national status words (shared/domain.md §1.11), what the national portal shows for the same code.
NATIONAL_WORDS = {1: "Mới đăng ký", 2: "Được tiếp nhận", 3: "Không được tiếp nhận", 4: "Đang xử lý",
                  5: "Yêu cầu bổ sung giấy tờ", 6: "Yêu cầu thực hiện nghĩa vụ tài chính",
                  7: "Công dân yêu cầu rút hồ sơ", 8: "Dừng xử lý", 9: "Đã xử lý xong", 10: "Đã trả kết quả"}

# What happens now, in the applicant's words, per state.
NEXT = {
    State.SUBMITTED: "Bộ phận một cửa đang kiểm tra hồ sơ. Khi hồ sơ đầy đủ, hồ sơ được tiếp nhận, cấp mã số hồ sơ "
                     "và hẹn ngày trả kết quả; bạn sẽ nhận thông báo qua thư điện tử hoặc tin nhắn.",
    State.INTAKE_SUPPLEMENT: "Hồ sơ chưa đầy đủ: hãy bổ sung các giấy tờ được yêu cầu bên dưới. Hồ sơ chưa được "
                             "tiếp nhận nên thời hạn giải quyết chưa bắt đầu.",
    State.INTAKE_REFUSED: "Hồ sơ không được tiếp nhận; lý do có trong phiếu từ chối.",
    State.RECEIVED: "Hồ sơ đã được tiếp nhận và đang được chuyển đến cơ quan giải quyết.",
    State.PROCESSING: "Hồ sơ đang được giải quyết.",
    State.AWAITING_SUPPLEMENT: "Cơ quan giải quyết yêu cầu bổ sung hồ sơ: hãy tải lên các giấy tờ được yêu cầu "
                               "bên dưới. Thời hạn giải quyết đang tạm dừng chờ bạn bổ sung.",
    State.AWAITING_PAYMENT: "Hồ sơ đang chờ bạn nộp phí, lệ phí.",
    State.WITHDRAWN: "Hồ sơ đã được rút theo yêu cầu.",
    State.STOPPED: "Hồ sơ đã dừng giải quyết.",
    State.REFUSED: "Cơ quan giải quyết từ chối giải quyết hồ sơ; lý do có trong văn bản trả lời.",
    State.RESULT_READY: "Đã có kết quả giải quyết.",
    State.RETURNED: "Kết quả đã được trả.",
}

# The forms the applicant may download, once the dossier has reached them.
FORMS_FOR_APPLICANT = ("receipt", "supplement_request", "refusal", "apology", "stop_notice")


RESTART_NEXT = ("Cơ quan giải quyết yêu cầu bổ sung hồ sơ: hãy tải lên các giấy tờ được yêu cầu bên dưới. Khi "
                "nhận đủ hồ sơ bổ sung, thời hạn giải quyết được tính lại từ đầu (NĐ 61/2018 Điều 19 khoản 4).")


def status_words(d: Dossier) -> dict:
    following = NEXT.get(d.state, "")
    if d.state == State.AWAITING_SUPPLEMENT and d.supplement_rule == "restart":
        following = RESTART_NEXT
    return {"label": State(d.state).label, "national": NATIONAL_WORDS[d.national_status], "next": following}


def my_dossier(applicant, key: str) -> Dossier:
    """The applicant's dossier by its code (or its reference before it has one); NotFound otherwise."""
    query = Q(code=key)
    try:
        query |= Q(reference=uuid.UUID(str(key)))
    except ValueError:
        pass
    d = (Dossier.objects.select_related("procedure_version__procedure", "variant", "resolving_unit",
                                        "receiving_desk", "current_step__unit")
         .filter(query, applicant=applicant).first())
    if d is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    return d


def _when(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%H:%M %d/%m/%Y}" if moment else ""


def explanation(d: Dossier) -> list[str]:
    """The calendar's reasoning for the due instant, line by line (empty before reception)."""
    if d.clock_start is None:
        return []
    try:
        deadline = services.deadline_of(d)
        result = explain(deadline.calendar, deadline.start, deadline.duration,
                         [(p.start, p.end) for p in deadline.pauses], deadline.cutoff,
                         reasons=[p.reason for p in deadline.pauses])
    except (CalendarError, DossierError) as exc:
        return [f"Không giải thích được hạn: {exc}"]
    lines = list(result.lines)
    if d.supplement_rule == "restart" and d.clock_start != d.received_at:
        lines.insert(0, f"Hồ sơ đã được bổ sung; thời hạn tính lại từ đầu kể từ {_when(d.clock_start)} "
                        "(NĐ 61/2018 Điều 19 khoản 4).")
    extension = Extension.objects.filter(dossier=d).first()
    if extension is not None:
        lines.append(f"Cơ quan giải quyết đã xin lỗi và hẹn lại: hạn trả kết quả mới {_when(extension.new_due_at)}.")
    return lines


def clock(d: Dossier, now: dt.datetime) -> dict:
    """Due instant and standing, and the current step with its expected completion."""
    step = d.current_step if d.current_step_id and d.finished_at is None else None
    return {"due_at": d.due_at, "standing": standing(d, now), "step": step,
            "paused": d.state == State.AWAITING_SUPPLEMENT and d.supplement_rule == "pause"}


def open_supplement(d: Dossier) -> SupplementRequest | None:
    """The request the applicant has to answer now, if the dossier waits for one."""
    stage = {State.INTAKE_SUPPLEMENT: SupplementStage.INTAKE,
             State.AWAITING_SUPPLEMENT: SupplementStage.PROCESSING}.get(d.state)
    if stage is None:
        return None
    return d.supplements.filter(stage=stage, completed_at__isnull=True).first()


def sent_messages(d: Dossier) -> list[OutboxMessage]:
    """What was sent to the applicant about this dossier (e-mail and SMS), newest first."""
    return list(OutboxMessage.objects.filter(dossier_reference=str(d.reference),
                                             channel__in=[Channel.EMAIL, Channel.SMS])
                .order_by("-created_at", "-id")[:50])


def results(d: Dossier):
    return d.documents.filter(stage=DocumentStage.RESULT).exclude(file="").order_by("pk")


def answer_supplement(d: Dossier, actor, *, version: int, files: dict[int, list]) -> tuple[Dossier, str]:
    """Upload what the request listed (``{item index: [files]}``) through the dossier's own command.

    Returns the dossier and what now happens to the clock, in words."""
    request = open_supplement(d)
    if request is None:
        raise DossierError("Hồ sơ không có yêu cầu bổ sung đang chờ.", code="no_supplement")
    missing = [item["name"] for i, item in enumerate(request.items) if not files.get(i)]
    if missing:
        raise DossierError("Tải lên tệp cho từng giấy tờ cần bổ sung; còn thiếu: " + "; ".join(missing) + ".",
                           code="supplement_files")
    known = {doc.name: doc.pk for doc in d.variant.documents.all()}
    uploads = [Upload(name=item["name"], kind=item.get("kind") or "original", count=int(item.get("count") or 1),
                      required_id=known.get(item["name"]), file_name=file_name(f.name), content=f)
               for i, item in enumerate(request.items) for f in files.get(i, [])]
    if request.stage == SupplementStage.INTAKE:
        d = services.record_intake_supplement(d, actor, documents=uploads, version=version)
        return d, "Đã gửi hồ sơ bổ sung. Bộ phận một cửa sẽ xem xét để tiếp nhận hồ sơ."
    d = services.record_supplement(d, actor, documents=uploads, version=version)
    if d.supplement_rule == "restart":
        return d, (f"Đã gửi hồ sơ bổ sung. Thời hạn giải quyết được tính lại từ đầu; hạn trả kết quả mới: "
                   f"{_when(d.due_at)}.")
    return d, f"Đã gửi hồ sơ bổ sung. Thời hạn giải quyết tiếp tục được tính; hạn trả kết quả: {_when(d.due_at)}."
