"""Which forms exist under which regime, their official number, title, template and page size.

Regimes (shared/domain.md §0, §2.1):

- ``ND61``  — NĐ 61/2018/NĐ-CP; forms of Thông tư 01/2018/TT-VPCP, Art 9 [C]: Mẫu 01–06.
- ``ND118`` — NĐ 118/2025/NĐ-CP, from 01/7/2025; forms of Thông tư 03/2025/TT-VPCP, Phụ lục I [S]:
  Mẫu 01–07, with the new Mẫu 05 "Thông báo dừng giải quyết hồ sơ".

The titles are the legal Vietnamese wording and are deliberately not run through gettext: an
official form has one wording, whatever the language of the interface.

Page sizes: TT 01/2018 Art 9 prescribes A5 for the forms and A4 for the register [C]. The process
control sheet is printed on A4 portrait: its hand-off table (agency, time, two signatures, due
instant, result, note) is unreadable at A5 width. The tracking book is A4 landscape (13 columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from motcua.documents.errors import FormError

__all__ = [
    "REGIMES", "FORMS", "FormEdition", "FormSpec", "form_spec", "form_number", "form_label",
    "form_title", "legal_basis",
]

# regime -> the circular whose annex holds the forms
REGIMES: Mapping[str, str] = {
    "ND61": "01/2018/TT-VPCP",
    "ND118": "03/2025/TT-VPCP",
}

A5 = "A5 portrait"
A4 = "A4 portrait"
A4_LANDSCAPE = "A4 landscape"


@dataclass(frozen=True)
class FormEdition:
    """A form as one regime issues it: its number in the annex (None: no official template)."""

    number: int | None
    title: str


@dataclass(frozen=True)
class FormSpec:
    key: str
    template: str
    page_size: str  # a CSS @page size
    editions: Mapping[str, FormEdition]


def _same(title: str, nd61: int | None, nd118: int) -> dict[str, FormEdition]:
    return {"ND61": FormEdition(nd61, title), "ND118": FormEdition(nd118, title)}


FORMS: Mapping[str, FormSpec] = {
    spec.key: spec
    for spec in (
        FormSpec("receipt", "documents/receipt.html", A5,
                 _same("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", 1, 1)),
        FormSpec("supplement_request", "documents/supplement_request.html", A5,
                 _same("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", 2, 2)),
        FormSpec("refusal", "documents/refusal.html", A5,
                 _same("Phiếu từ chối tiếp nhận giải quyết hồ sơ", 3, 3)),
        FormSpec("apology", "documents/apology.html", A5, {
            "ND61": FormEdition(4, "Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
            "ND118": FormEdition(4, "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"),
        }),
        # TT 01/2018 has no stop notice: under ND61 the notice is printed with the TT 03/2025
        # title but without a Mẫu number and without a legal-basis line (domain.md §1.8).
        FormSpec("stop_notice", "documents/stop_notice.html", A5,
                 _same("Thông báo dừng giải quyết hồ sơ", None, 5)),
        FormSpec("control_sheet", "documents/control_sheet.html", A4,
                 _same("Phiếu kiểm soát quá trình giải quyết hồ sơ", 5, 6)),
        FormSpec("tracking_book", "documents/tracking_book.html", A4_LANDSCAPE,
                 _same("Sổ theo dõi hồ sơ", 6, 7)),
    )
}


def form_spec(form: str, regime: str) -> FormSpec:
    """The spec of ``form``; FormError for an unknown form or regime."""
    if regime not in REGIMES:
        raise FormError(f"unknown regime {regime!r}; expected one of {', '.join(REGIMES)}")
    try:
        return FORMS[form]
    except KeyError:
        raise FormError(f"unknown form {form!r}; expected one of {', '.join(FORMS)}") from None


def form_number(form: str, regime: str) -> int | None:
    """The official number of the form under ``regime``; None when the regime has no template."""
    return form_spec(form, regime).editions[regime].number


def form_title(form: str, regime: str) -> str:
    return form_spec(form, regime).editions[regime].title


def form_label(form: str, regime: str) -> str:
    """``Mẫu số 01``; an empty string when the regime issued no template (stop notice, ND61)."""
    number = form_number(form, regime)
    return "" if number is None else f"Mẫu số {number:02d}"


def legal_basis(form: str, regime: str) -> str:
    """``Mẫu số 01 (Ban hành kèm theo Thông tư số 01/2018/TT-VPCP)``; empty when unnumbered."""
    label = form_label(form, regime)
    return f"{label} (Ban hành kèm theo Thông tư số {REGIMES[regime]})" if label else ""
