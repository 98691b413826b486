"""What the sender of feedback is told, by e-mail and SMS through the outbox (``notify.messages``).

The feedback app registers its topics in the notify app's table when Django starts (``apps.py``),
so the outbox stores the rendered texts like every other message.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from motcua.notify import messages

__all__ = ["register"]


def _greeting(p) -> str:
    return _("Kính gửi %(name)s,") % {"name": p["sender_name"]} if p.get("sender_name") else _("Kính gửi Ông/Bà,")


def _footer(p) -> list[str]:
    return ["", _("Xem tình trạng xử lý và nội dung trả lời: %(url)s") % {"url": p["status_url"]},
            _("Đây là thư tự động của hệ thống một cửa điện tử, xin vui lòng không trả lời thư này.")]


def _received(p):
    values = {"number": p["number"], "subject": p["subject"], "unit": p["unit_name"],
              "due": messages.format_instant(p["answer_due_at"], "answer_due_at"), "url": p["status_url"]}
    subject = _("Đã nhận phản ánh, kiến nghị %(number)s") % values
    body = [_greeting(p), "",
            _("Phản ánh, kiến nghị “%(subject)s” đã được chuyển đến %(unit)s.") % values,
            _("Số: %(number)s") % values,
            _("Hạn xử lý: %(due)s") % values, *_footer(p)]
    sms = _("Đã nhận phản ánh %(number)s, hạn xử lý %(due)s. Theo dõi: %(url)s") % values
    return subject, body, sms


def _answered(p):
    values = {"number": p["number"], "subject": p["subject"], "unit": p["unit_name"], "answer": p["answer"],
              "url": p["status_url"]}
    subject = _("Trả lời phản ánh, kiến nghị %(number)s") % values
    body = [_greeting(p), "",
            _("%(unit)s trả lời phản ánh, kiến nghị “%(subject)s” (số %(number)s) như sau:") % values, "",
            p["answer"], *_footer(p)]
    sms = _("Phản ánh %(number)s đã được %(unit)s trả lời. Xem: %(url)s") % values
    return subject, body, sms


def _declined(p):
    values = {"number": p["number"], "subject": p["subject"], "unit": p["unit_name"], "url": p["status_url"]}
    subject = _("Phản ánh, kiến nghị %(number)s không được thụ lý") % values
    body = [_greeting(p), "",
            _("%(unit)s không thụ lý phản ánh, kiến nghị “%(subject)s” (số %(number)s).") % values,
            _("Lý do: %(reason)s") % {"reason": p["answer"]}, *_footer(p)]
    sms = _("Phản ánh %(number)s không được thụ lý. Xem lý do: %(url)s") % values
    return subject, body, sms


def register() -> None:
    common = ("number", "subject", "unit_name", "status_url")
    messages.register("feedback.received", _received, required=(*common, "answer_due_at"))
    messages.register("feedback.answered", _answered, required=(*common, "answer"))
    messages.register("feedback.declined", _declined, required=(*common, "answer"))
