"""Pure rules of the dossier lifecycle: regime, codes, which state allows which command."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["REFORM_DAY", "regime_on", "dossier_code", "CODE_PATTERN", "ALLOWED", "check_state",
           "SUPPLEMENT_WINDOW_DAYS"]

# NĐ 118/2025/NĐ-CP replaced NĐ 61/2018/NĐ-CP on 1 July 2025 (shared/domain.md §0).
REFORM_DAY = dt.date(2025, 7, 1)
# NĐ 61/2018 Điều 19 khoản 4: a supplement after appraisal is asked within 3 working days of receipt.
SUPPLEMENT_WINDOW_DAYS = 3

# Any QĐ 20/2020 identifier, then the reception date and a daily sequence of at least 4 digits.
CODE_PATTERN = re.compile(r"^[0-9A-Z]{1,10}(\.[0-9A-Z]{1,10})*-\d{6}-\d{4,}$")


def regime_on(day: dt.date) -> str:
    return "ND61" if day < REFORM_DAY else "ND118"


def dossier_code(identifier: str, day: dt.date, sequence: int) -> str:
    """``<unit identifier>-YYMMDD-NNNN``; the sequence grows past 4 digits when a day needs it."""
    return f"{identifier}-{day:%y%m%d}-{sequence:04d}"


# command → the states it may run in
ALLOWED: dict[str, tuple[str, ...]] = {
    "accept": ("submitted",),
    "request_intake_supplement": ("submitted",),
    "refuse_intake": ("submitted", "intake_supplement"),
    "record_intake_supplement": ("intake_supplement",),
    "claim": ("received", "processing"),
    "assign": ("received", "processing"),
    "forward": ("received", "processing"),
    "send_back": ("processing",),
    "approve": ("processing",),
    "refuse": ("processing",),
    "issue_result": ("processing",),
    "return_result": ("result_ready", "refused"),
    "transfer": ("processing",),
    "consult": ("processing",),
    "complete_task": ("processing", "awaiting_supplement", "awaiting_payment"),
    "request_supplement": ("processing",),
    "record_supplement": ("awaiting_supplement",),
    "request_payment": ("processing",),
    "record_payment": ("submitted", "intake_supplement", "received", "processing", "awaiting_supplement",
                       "awaiting_payment", "result_ready"),
    "apologise": ("received", "processing", "awaiting_supplement", "awaiting_payment"),
    "withdraw": ("submitted", "intake_supplement", "received", "processing", "awaiting_supplement",
                 "awaiting_payment"),
    "stop": ("received", "processing", "awaiting_supplement", "awaiting_payment"),
}

_STATE_WORDS = {
    "submitted": "mới đăng ký, chưa tiếp nhận", "intake_supplement": "đang chờ bổ sung trước khi tiếp nhận",
    "intake_refused": "đã bị từ chối tiếp nhận", "received": "đã tiếp nhận, chờ chuyển xử lý",
    "processing": "đang xử lý", "awaiting_supplement": "đang chờ bổ sung",
    "awaiting_payment": "đang chờ nộp phí, lệ phí", "withdrawn": "đã rút", "stopped": "đã dừng xử lý",
    "refused": "đã bị từ chối giải quyết", "result_ready": "đã có kết quả", "returned": "đã trả kết quả",
}


def check_state(command: str, state: str) -> str | None:
    """None when ``command`` may run in ``state``, else the Vietnamese reason."""
    if state in ALLOWED[command]:
        return None
    return f"Hồ sơ {_STATE_WORDS.get(state, state)}; không thể thực hiện thao tác này."
