"""The one-stop-shop forms as PDF, rendered with WeasyPrint from plain data.

API::

    render_form(form, regime, context) -> bytes      # PDF
    render_html(form, regime, context) -> str        # the same document as HTML (preview, debug)
    form_label(form, regime) -> str                  # "Mẫu số 01" ("" when unnumbered)
    form_title(form, regime), legal_basis(form, regime), FORMS, REGIMES, FormError

``form`` is one of ``receipt``, ``supplement_request``, ``refusal``, ``apology``, ``stop_notice``,
``control_sheet``, ``tracking_book``; ``regime`` is ``ND61`` (TT 01/2018/TT-VPCP, Mẫu 01–06) or
``ND118`` (TT 03/2025/TT-VPCP, Mẫu 01–07). See ``registry.py`` for numbers, titles, page sizes.

Context contract
================
The context is plain data (dicts, lists, dataclass instances); it never holds ORM objects. Every
string is NFC-normalised and HTML-escaped when printed. Every datetime must be timezone-aware and
is printed in Asia/Ho_Chi_Minh as "10 giờ 00 phút, ngày 24/01/2025" or "24/01/2025". A missing
required key (None and "" count as missing) or a wrong type raises FormError naming its dotted
path (``dossier.received_at``, ``documents[0].name``). Extra keys are ignored. ``?`` = optional.

Common keys (all forms but tracking_book):
  agency          {name, parent_name?, place}      desk or agency; place feeds "Thanh Hóa, ngày …"
  number?         str | int                        the form's own number ("…/HDHS")
  issued_at       datetime                         the date line
  dossier         {code, reference?, procedure_code?, procedure_name, variant_name?, received_at,
                   due_at, original_due_at, legal_time, delivery, fee_total, sets, lookup_url}
                  only procedure_name is required everywhere; the others as listed per form below
  applicant       {name, id_label?, id_number?, address?, phone?, email?}
  officer         {name, title?}                   the signer (not on control_sheet)

receipt            dossier.{code, received_at, due_at, legal_time (str, "15 ngày làm việc"),
                   delivery (str), fee_total (int VND, printed "50.000 đồng"), sets (int),
                   lookup_url (QR code)}; representative? {name, id_number?, phone?};
                   documents [{name, kind_label?, count?}] (≥ 1); book {volume, number};
                   copy_label? ("Liên 1: Giao người nộp hồ sơ")
supplement_request representative?; missing [{name, kind_label?, count?, note?}] (≥ 1);
                   reason; contact? (who to ask, with a phone number)
refusal            representative?; reasons [str] (≥ 1)
apology            dossier.{code, received_at, original_due_at}; addressee ("Kính gửi");
                   reason; new_due_at (datetime); return_place
stop_notice        dossier.code; requested_at (datetime); reason
control_sheet      dossier.{code, received_at, due_at}; handoffs [{agency, task?, handed_at?,
                   handed_by?, received_by?, due_at?, result_label?, note?}] (may be empty: blank
                   rows are printed for hand-written hand-offs); no officer
tracking_book      agency {name, parent_name?, place?}; year (int); unit_name?; volume;
                   rows [{number, code, procedure_name, sets?, applicant_name, address_phone?,
                   received_at, due_at?, returned_at?, receiver?, area?, note?}]
                   (``number`` is the continuous yearly entry number, assigned by the dossier layer)

Form text is the legal Vietnamese wording and is not translated.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from django.template import Context, Engine

from motcua.documents.contract import CONTEXT_SCHEMAS, prepare
from motcua.documents.errors import FormError
from motcua.documents.pdf import html_to_pdf
from motcua.documents.qr import qr_png_data_uri
from motcua.documents.registry import (
    FORMS, REGIMES, FormSpec, form_label, form_number, form_spec, form_title, legal_basis,
)

__all__ = [
    "FORMS", "REGIMES", "FormError", "FormSpec", "render_form", "render_html", "form_label",
    "form_title", "legal_basis",
]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
if set(CONTEXT_SCHEMAS) != set(FORMS):  # pragma: no cover - a programming error, caught at import
    raise RuntimeError("every form in registry.FORMS needs a schema in contract.CONTEXT_SCHEMAS")


@functools.cache
def _engine() -> Engine:
    # A private engine: the forms are legal documents, not overridable by another app's templates,
    # and autoescaping is on whatever the project settings say.
    return Engine(dirs=[str(TEMPLATE_DIR)], autoescape=True, debug=False, string_if_invalid="")


def render_html(form: str, regime: str, context: Any) -> str:
    """The form as an HTML document (what render_form hands to WeasyPrint)."""
    spec = form_spec(form, regime)
    data = prepare(form, context)
    data["meta"] = {
        "form": form,
        "regime": regime,
        "title": form_title(form, regime),
        "label": form_label(form, regime),
        "number": form_number(form, regime),
        "legal_basis": legal_basis(form, regime),
        "page_size": spec.page_size,
    }
    if form == "receipt":
        data["qr"] = qr_png_data_uri(data["dossier"]["lookup_url"])
    return _engine().get_template(spec.template).render(Context(data, autoescape=True))


def render_form(form: str, regime: str, context: Any) -> bytes:
    """The form as PDF bytes; FormError for an unknown form/regime or a context that breaks the
    contract above."""
    return html_to_pdf(render_html(form, regime, context))
