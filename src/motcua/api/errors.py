"""One error body for every refusal of the API, and the handlers that produce it.

    {"error": {"code": "wrong_state", "message": "Hồ sơ …", "field": null, "details": []}}

``code`` is stable for programs, ``message`` is Vietnamese for people, ``field`` names the input
at fault when there is one, and ``details`` lists every problem of a request that failed
validation (each with its own field, code and message).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from motcua.calendar import CalendarError
from motcua.dossiers.errors import DossierError

__all__ = ["ErrorItem", "ErrorInfo", "ErrorOut", "ApiError", "errors", "install", "STATUS_TEXT"]

logger = logging.getLogger(__name__)


class ErrorItem(Schema):
    """One problem of a request that failed validation."""

    field: str = Field(..., description="Đường dẫn tới giá trị sai, ví dụ `extension.unit` hoặc `documents.0.name`.")
    code: str = Field(..., description="Loại lỗi (theo pydantic), ví dụ `missing`, `string_too_long`.")
    message: str = Field(..., description="Thông báo tiếng Việt.")


class ErrorInfo(Schema):
    code: str = Field(..., description="Mã ổn định cho chương trình: `validation`, `wrong_state`, `conflict`, "
                                       "`forbidden`, `not_found`, `unauthenticated`, `csrf`, …")
    message: str = Field(..., description="Thông báo tiếng Việt cho người dùng.")
    field: str | None = Field(..., description="Trường dữ liệu gây lỗi, nếu xác định được.")
    details: list[ErrorItem] = Field(..., description="Mọi lỗi kiểm tra dữ liệu (rỗng với lỗi nghiệp vụ).")


class ErrorOut(Schema):
    """The body of every error response (4xx) of the API."""

    error: ErrorInfo


STATUS_TEXT = {
    400: "Yêu cầu không đúng định dạng (multipart hoặc JSON hỏng).",
    401: "Chưa xác thực: thiếu, sai hoặc đã thu hồi mã truy cập; hoặc phiên đăng nhập đã hết.",
    403: "Không có quyền thực hiện thao tác này (vai trò, đơn vị) hoặc thiếu mã CSRF khi dùng phiên đăng nhập.",
    404: "Không tìm thấy, hoặc bạn không có quyền xem.",
    409: "Xung đột: hồ sơ đã được người khác cập nhật (phiên bản cũ) hoặc bước đang do người khác xử lý.",
    422: "Không thực hiện được: dữ liệu không hợp lệ (code \"validation\") hoặc vi phạm quy định nghiệp vụ.",
}


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    """``response=`` entries for the error statuses an operation can answer (401 always)."""
    return {code: ErrorOut for code in sorted({401, *codes})}


class ApiError(Exception):
    """A refusal raised by the API layer itself (authentication, CSRF, malformed input)."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 details: list[dict] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.details = status, code, message, field, details or []


def body(code: str, message: str, field: str | None = None, details: list[dict] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field, "details": details or []}}


# --- pydantic's validation errors, in Vietnamese -------------------------------------------------

_MESSAGES = {
    "missing": "Thiếu giá trị bắt buộc.",
    "extra_forbidden": "Trường này không được phép.",
    "string_type": "Phải là chuỗi ký tự.",
    "string_too_short": "Quá ngắn: tối thiểu {min_length} ký tự.",
    "string_too_long": "Quá dài: tối đa {max_length} ký tự.",
    "string_pattern_mismatch": "Không đúng định dạng.",
    "int_type": "Phải là số nguyên.",
    "int_parsing": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "bool_type": "Phải là true hoặc false.",
    "bool_parsing": "Phải là true hoặc false.",
    "decimal_parsing": "Phải là số.",
    "decimal_type": "Phải là số.",
    "decimal_max_places": "Tối đa {decimal_places} chữ số thập phân.",
    "decimal_max_digits": "Tối đa {max_digits} chữ số.",
    "float_parsing": "Phải là số.",
    "greater_than": "Phải lớn hơn {gt}.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "enum": "Chỉ nhận một trong các giá trị: {expected}.",
    "literal_error": "Chỉ nhận một trong các giá trị: {expected}.",
    "list_type": "Phải là danh sách.",
    "too_short": "Danh sách quá ngắn: tối thiểu {min_length} phần tử.",
    "too_long": "Danh sách quá dài: tối đa {max_length} phần tử.",
    "dict_type": "Phải là đối tượng JSON.",
    "model_type": "Phải là đối tượng JSON.",
    "model_attributes_type": "Phải là đối tượng JSON.",
    "json_invalid": "JSON không hợp lệ.",
    "json_type": "Phải là chuỗi JSON.",
    "date_parsing": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "date_from_datetime_parsing": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "date_type": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "datetime_parsing": "Thời điểm không hợp lệ (định dạng ISO 8601, ví dụ 2025-09-15T09:30:00+07:00).",
    "datetime_from_date_parsing": "Thời điểm không hợp lệ (định dạng ISO 8601).",
    "datetime_type": "Thời điểm không hợp lệ (định dạng ISO 8601).",
    "uuid_parsing": "Mã không hợp lệ.",
    "value_error": "{error}",
    "assertion_error": "{error}",
}


def _field(loc) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "form", "file") and len(parts) > 2:
        parts = parts[2:]  # ("body", <param name>, field, …) → field, …
    elif parts and parts[0] in ("body", "form", "file", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "body"


def _message(item: dict) -> str:
    template = _MESSAGES.get(item.get("type", ""))
    ctx = dict(item.get("ctx") or {})
    if "error" in ctx:
        text = str(ctx["error"])
        ctx["error"] = text[len("Value error, "):] if text.startswith("Value error, ") else text
    if "expected" in ctx:
        ctx["expected"] = str(ctx["expected"]).replace(" or ", " hoặc ")
    if template is None:
        return "Giá trị không hợp lệ."
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return "Giá trị không hợp lệ."


def validation_details(items: list[dict]) -> list[dict]:
    return [{"field": _field(i.get("loc", ())), "code": str(i.get("type", "invalid")), "message": _message(i)}
            for i in items]


def validation_body(items: list[dict]) -> dict:
    details = validation_details(items)
    first = details[0] if details else {"field": None, "message": "Dữ liệu không hợp lệ."}
    return body("validation", f"Dữ liệu gửi lên không hợp lệ: {first['field']}: {first['message']}",
                first["field"], details)


def _django_validation_details(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [{"field": field, "code": e.code or "invalid", "message": " ".join(e.messages)}
                for field, errs in exc.error_dict.items() for e in errs]
    return [{"field": "", "code": e.code or "invalid", "message": " ".join(e.messages)} for e in exc.error_list]


# --- handlers ---------------------------------------------------------------------------------------


def install(api) -> None:
    def respond(request, status: int, payload: dict, headers: dict | None = None):
        response = api.create_response(request, payload, status=status)
        for key, value in (headers or {}).items():
            response[key] = value
        return response

    def on_dossier_error(request, exc: DossierError):
        return respond(request, exc.status, body(exc.code, exc.message, exc.field))

    def on_api_error(request, exc: ApiError):
        headers = {"WWW-Authenticate": 'Bearer realm="motcua"'} if exc.status == 401 else None
        return respond(request, exc.status, body(exc.code, exc.message, exc.field, exc.details), headers)

    def on_validation(request, exc: NinjaValidationError):
        return respond(request, 422, validation_body(exc.errors))

    def on_django_validation(request, exc: DjangoValidationError):
        details = _django_validation_details(exc)
        first = details[0] if details else {"field": None, "message": "Dữ liệu không hợp lệ."}
        return respond(request, 422, body("validation", first["message"], first["field"] or None, details))

    def on_calendar(request, exc: CalendarError):
        return respond(request, 422, body("calendar", str(exc)))

    def on_authentication(request, exc: AuthenticationError):
        return on_api_error(request, ApiError(401, "unauthenticated", "Chưa đăng nhập hoặc thiếu mã truy cập API "
                                                                       "(Authorization: Bearer …)."))

    def on_http_error(request, exc: HttpError):
        if exc.status_code == 400:
            return respond(request, 400, body("bad_request", "Không đọc được nội dung yêu cầu (JSON hoặc multipart)."))
        if exc.status_code == 403:
            return respond(request, 403, body("forbidden", "Không có quyền thực hiện thao tác này."))
        return respond(request, exc.status_code, body("http_error", str(exc)))

    def on_404(request, exc):
        return respond(request, 404, body("not_found", "Không tìm thấy."))

    def on_403(request, exc):
        return respond(request, 403, body("forbidden", "Không có quyền thực hiện thao tác này."))

    def on_bad_request(request, exc):
        return respond(request, 400, body("bad_request", "Không đọc được nội dung yêu cầu (JSON hoặc multipart)."))

    api.add_exception_handler(DossierError, on_dossier_error)
    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(NinjaValidationError, on_validation)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(CalendarError, on_calendar)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(PermissionDenied, on_403)
    for kind in (BadRequest, SuspiciousOperation, MultiPartParserError):
        api.add_exception_handler(kind, on_bad_request)
