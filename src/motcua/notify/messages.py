"""What the applicant is told, per topic: an e-mail (subject and body) and a short SMS.

Texts are rendered once, when the message is queued, and stored in the outbox: the outbox is then
the record of what was said. A topic without a template here produces webhooks only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from motcua.text import nfc

__all__ = ["Rendered", "TOPICS", "has_template", "render", "format_instant"]


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    sms: str


@dataclass(frozen=True)
class _Template:
    required: tuple[str, ...]  # keys that must be present and non-empty
    present: tuple[str, ...]  # keys that must be present (None allowed)
    build: Callable[[dict[str, Any]], tuple[str, list[str], str]]  # -> subject, body lines, sms


def format_instant(value: Any, key: str) -> str:
    """An ISO 8601 instant (timezone-aware) as Vietnamese readers write it: "08:00 ngày 24/01/2025"."""
    if isinstance(value, dt.datetime):
        instant = value
    else:
        try:
            instant = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"payload[{key!r}] is not an ISO 8601 instant: {value!r}") from None
    if instant.tzinfo is None:
        raise ValueError(f"payload[{key!r}] has no time zone: {value!r}")
    local = instant.astimezone(ZoneInfo(settings.TIME_ZONE))
    return _("%(time)s ngày %(date)s") % {"time": local.strftime("%H:%M"), "date": local.strftime("%d/%m/%Y")}


def _code(p: dict[str, Any]) -> str:
    return str(p.get("code") or p.get("reference") or "")


def _greeting(p: dict[str, Any]) -> str:
    if p.get("applicant_name"):
        return _("Kính gửi %(name)s,") % {"name": p["applicant_name"]}
    return _("Kính gửi Ông/Bà,")


def _unit(p: dict[str, Any]) -> str:
    return str(p.get("unit_name") or _("Bộ phận Một cửa"))


def _footer(p: dict[str, Any]) -> list[str]:
    lines = [""]
    if p.get("lookup_url"):
        lines.append(_("Tra cứu tình trạng hồ sơ: %(url)s") % {"url": p["lookup_url"]})
    lines.append(_("Đây là thư tự động của hệ thống một cửa điện tử, xin vui lòng không trả lời thư này."))
    return lines


def _sms_link(p: dict[str, Any]) -> str:
    return (" " + _("Tra cứu: %(url)s") % {"url": p["lookup_url"]}) if p.get("lookup_url") else ""


def _received(p):
    due = format_instant(p["due_at"], "due_at") if p["due_at"] else _("không quy định")
    values = {"code": p["code"], "procedure": p["procedure_name"], "due": due, "unit": _unit(p)}
    subject = _("Tiếp nhận hồ sơ %(code)s") % values
    body = [
        _greeting(p), "",
        _("%(unit)s đã tiếp nhận hồ sơ của Ông/Bà.") % values,
        _("Mã hồ sơ: %(code)s") % values,
        _("Thủ tục: %(procedure)s") % values,
        _("Ngày hẹn trả kết quả: %(due)s") % values,
        *_footer(p),
    ]
    sms = _("Hồ sơ %(code)s đã được tiếp nhận, hẹn trả kết quả %(due)s.") % values + _sms_link(p)
    return subject, body, sms


def _submitted(p):
    values = {"procedure": p["procedure_name"], "unit": _unit(p), "reference": p["reference"]}
    subject = _("Đã nhận hồ sơ Ông/Bà nộp trực tuyến")  # a procedure's name can be longer than a subject line
    body = [
        _greeting(p), "",
        _("Hệ thống đã nhận hồ sơ Ông/Bà nộp trực tuyến (thủ tục: %(procedure)s).") % values,
        _("Bộ phận Một cửa sẽ kiểm tra hồ sơ; khi hồ sơ được tiếp nhận, Ông/Bà nhận được mã hồ sơ và ngày hẹn "
          "trả kết quả. Nếu hồ sơ cần bổ sung, Ông/Bà sẽ được báo một lần, đầy đủ những gì còn thiếu."),
        *_footer(p),
    ]
    sms = _("Đã nhận hồ sơ nộp trực tuyến (%(procedure)s), chờ Bộ phận Một cửa tiếp nhận.") % values + _sms_link(p)
    return subject, body, sms


def _supplement(p):
    values = {"code": _code(p), "procedure": p["procedure_name"], "reason": p["reason"], "unit": _unit(p)}
    subject = _("Yêu cầu bổ sung hồ sơ %(code)s") % values
    body = [
        _greeting(p), "",
        _("%(unit)s đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ %(code)s (thủ tục: %(procedure)s).") % values,
        _("Lý do: %(reason)s") % values,
        _("Giấy tờ cần bổ sung:"),
        *[f"  - {item}" for item in p["missing"]],
        _("Thời hạn giải quyết được tính lại từ khi hồ sơ được bổ sung đầy đủ."),
        *_footer(p),
    ]
    sms = _("Hồ sơ %(code)s cần bổ sung: %(missing)s.") % {**values, "missing": "; ".join(p["missing"])} + _sms_link(p)
    return subject, body, sms


def _apology(p):
    values = {"code": p["code"], "procedure": p["procedure_name"], "reason": p["reason"], "unit": _unit(p),
              "due": format_instant(p["new_due_at"], "new_due_at")}
    subject = _("Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ %(code)s") % values
    body = [
        _greeting(p), "",
        _("%(unit)s chân thành xin lỗi Ông/Bà vì hồ sơ %(code)s (thủ tục: %(procedure)s) "
          "chưa được giải quyết đúng hạn.") % values,
        _("Lý do: %(reason)s") % values,
        _("Ngày hẹn trả kết quả mới: %(due)s") % values,
        *_footer(p),
    ]
    sms = _("Xin lỗi Ông/Bà: hồ sơ %(code)s chậm hạn. Hẹn lại trả kết quả %(due)s.") % values + _sms_link(p)
    return subject, body, sms


def _result_ready(p):
    values = {"code": p["code"], "procedure": p["procedure_name"], "unit": p["unit_name"]}
    subject = _("Đã có kết quả hồ sơ %(code)s") % values
    body = [
        _greeting(p), "",
        _("Hồ sơ %(code)s (thủ tục: %(procedure)s) đã có kết quả.") % values,
        _("Nơi nhận kết quả: %(unit)s.") % values,
        _("Khi đến nhận, xin mang theo giấy tiếp nhận hồ sơ và hẹn trả kết quả."),
        *_footer(p),
    ]
    sms = _("Hồ sơ %(code)s đã có kết quả, mời nhận tại %(unit)s.") % values + _sms_link(p)
    return subject, body, sms


def _payment_recorded(p):
    def money(n):
        return f"{int(n):,}".replace(",", ".")

    values = {"code": _code(p), "procedure": p["procedure_name"], "amount": money(p["amount"]),
              "remaining": money(p["remaining"])}
    subject = _("Đã nhận khoản nộp phí, lệ phí cho hồ sơ %(code)s") % values
    body = [
        _greeting(p), "",
        _("Đã ghi nhận %(amount)s đồng phí, lệ phí cho hồ sơ %(code)s (thủ tục: %(procedure)s).") % values,
        (_("Số còn phải nộp: %(remaining)s đồng.") if int(p["remaining"]) else _("Hồ sơ đã nộp đủ phí, lệ phí."))
        % values,
        *_footer(p),
    ]
    sms = _("Đã nhận %(amount)s đồng phí, lệ phí hồ sơ %(code)s.") % values + _sms_link(p)
    return subject, body, sms


def _refused(p):
    values = {"code": _code(p), "procedure": p["procedure_name"], "reason": p["reason"], "unit": _unit(p)}
    subject = _("Thông báo từ chối hồ sơ %(code)s") % values
    body = [
        _greeting(p), "",
        _("%(unit)s thông báo hồ sơ %(code)s (thủ tục: %(procedure)s) không được giải quyết.") % values,
        _("Lý do: %(reason)s") % values,
        *_footer(p),
    ]
    sms = _("Hồ sơ %(code)s không được giải quyết. Lý do: %(reason)s.") % values + _sms_link(p)
    return subject, body, sms


TOPICS: dict[str, _Template] = {
    "dossier.submitted": _Template(("reference", "procedure_name"), (), _submitted),
    "dossier.received": _Template(("code", "procedure_name"), ("due_at",), _received),
    "dossier.supplement_requested": _Template(("procedure_name", "reason", "missing"), (), _supplement),
    "dossier.apology": _Template(("code", "procedure_name", "reason", "new_due_at"), (), _apology),
    "dossier.result_ready": _Template(("code", "procedure_name", "unit_name"), (), _result_ready),
    "dossier.refused": _Template(("procedure_name", "reason"), (), _refused),
    "dossier.payment_recorded": _Template(("procedure_name", "amount", "remaining"), (), _payment_recorded),
}
# Before reception a dossier has no code yet: these topics name it by code or, failing that, reference.
_CODE_OR_REFERENCE = {"dossier.supplement_requested", "dossier.refused", "dossier.payment_recorded"}


def register(topic: str, build: Callable[[dict[str, Any]], tuple[str, list[str], str]], *,
             required: tuple[str, ...] = (), present: tuple[str, ...] = ()) -> None:
    """Another app's topic: ``build(payload)`` gives (subject, body lines, sms); ``required`` keys must be
    present and non-empty, ``present`` keys present (None allowed). Registering a topic twice is a no-op."""
    TOPICS.setdefault(topic, _Template(tuple(required), tuple(present), build))


def has_template(topic: str) -> bool:
    return topic in TOPICS


def _check(topic: str, template: _Template, payload: dict[str, Any]) -> None:
    missing = [key for key in template.required if payload.get(key) in (None, "", [], ())]
    missing += [key for key in template.present if key not in payload]
    if topic in _CODE_OR_REFERENCE and not _code(payload):
        missing.append("code|reference")
    if missing:
        raise ValueError(f"payload for {topic!r} lacks required keys: {', '.join(missing)}")
    if "missing" in template.required:
        items = payload["missing"]
        if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) and item.strip() for item in items):
            raise ValueError(f"payload['missing'] for {topic!r} must be a list of non-empty strings")


def render(topic: str, payload: dict[str, Any]) -> Rendered | None:
    """The applicant's texts for ``topic``, or None when the topic has no template (webhooks only).

    Raises ValueError when a required key is missing or malformed: the caller's programming error.
    """
    template = TOPICS.get(topic)
    if template is None:
        return None
    _check(topic, template, payload)
    subject, lines, sms = template.build(payload)
    return Rendered(subject=nfc(subject), body=nfc("\n".join(lines)) + "\n", sms=nfc(sms))
