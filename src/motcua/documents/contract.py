"""The data contract of the forms: which context keys each form requires, and how a context is
turned into what the templates see. See ``motcua.documents.forms`` for the contract in prose.

A context is plain data: dicts (any Mapping), lists/tuples and dataclass instances at any depth.
``prepare`` copies it into dicts and lists, NFC-normalises and strips every string (which also
drops any ``SafeString`` marking, so user text is always escaped), checks it against the form's
schema, wraps every datetime in an ``Instant`` and adds the derived keys ``place_date`` and
``dossier.fee_text``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, is_dataclass
from typing import Any, Mapping

from motcua.documents.errors import FormError
from motcua.documents.formatting import Instant, place_date, vn_money
from motcua.documents.schema import DATETIME, INT, LABEL, TEXT, ListOf, Obj, Spec, check, opt
from motcua.text import nfc

__all__ = ["CONTEXT_SCHEMAS", "to_plain", "prepare"]

AGENCY = Obj({"name": TEXT, "parent_name": opt(TEXT), "place": TEXT})
APPLICANT = Obj({
    "name": TEXT, "id_label": opt(TEXT), "id_number": opt(TEXT), "address": opt(TEXT),
    "phone": opt(TEXT), "email": opt(TEXT),
})
REPRESENTATIVE = opt(Obj({"name": TEXT, "id_number": opt(TEXT), "phone": opt(TEXT)}))
OFFICER = Obj({"name": TEXT, "title": opt(TEXT)})

_DOSSIER_FIELDS: dict[str, Spec] = {
    "code": TEXT, "reference": TEXT, "procedure_code": TEXT, "procedure_name": TEXT,
    "variant_name": TEXT, "received_at": DATETIME, "due_at": DATETIME, "original_due_at": DATETIME,
    "legal_time": TEXT, "delivery": TEXT, "fee_total": INT, "sets": INT, "lookup_url": TEXT,
}


def _dossier(*required: str) -> Obj:
    """The dossier mapping with ``procedure_name`` and ``required`` mandatory, the rest optional."""
    wanted = {"procedure_name", *required}
    return Obj({k: (s if k in wanted else opt(s)) for k, s in _DOSSIER_FIELDS.items()})


def _common(dossier: Obj) -> dict[str, Spec]:
    return {"agency": AGENCY, "number": opt(LABEL), "issued_at": DATETIME, "dossier": dossier,
            "applicant": APPLICANT}


DOCUMENT = Obj({"name": TEXT, "kind_label": opt(TEXT), "count": opt(INT)})

CONTEXT_SCHEMAS: Mapping[str, Obj] = {
    "receipt": Obj({
        **_common(_dossier("code", "received_at", "due_at", "legal_time", "delivery", "fee_total",
                           "sets", "lookup_url")),
        "representative": REPRESENTATIVE,
        "documents": ListOf(DOCUMENT, min_items=1),
        "officer": OFFICER,
        "book": Obj({"volume": LABEL, "number": LABEL}),
        "copy_label": opt(TEXT),
    }),
    "supplement_request": Obj({
        **_common(_dossier()),
        "representative": REPRESENTATIVE,
        "missing": ListOf(Obj({**DOCUMENT.fields, "note": opt(TEXT)}), min_items=1),
        "reason": TEXT,
        "contact": opt(TEXT),
        "officer": OFFICER,
    }),
    "refusal": Obj({
        **_common(_dossier()),
        "representative": REPRESENTATIVE,
        "reasons": ListOf(TEXT, min_items=1),
        "officer": OFFICER,
    }),
    "apology": Obj({
        **_common(_dossier("code", "received_at", "original_due_at")),
        "addressee": TEXT,
        "reason": TEXT,
        "new_due_at": DATETIME,
        "return_place": TEXT,
        "officer": OFFICER,
    }),
    "stop_notice": Obj({
        **_common(_dossier("code")),
        "requested_at": DATETIME,
        "reason": TEXT,
        "officer": OFFICER,
    }),
    "control_sheet": Obj({
        **_common(_dossier("code", "received_at", "due_at")),
        "handoffs": ListOf(Obj({
            "agency": TEXT, "task": opt(TEXT), "handed_at": opt(DATETIME), "handed_by": opt(TEXT),
            "received_by": opt(TEXT), "due_at": opt(DATETIME), "result_label": opt(TEXT),
            "note": opt(TEXT),
        })),
    }),
    "tracking_book": Obj({
        "agency": Obj({"name": TEXT, "parent_name": opt(TEXT), "place": opt(TEXT)}),
        "year": INT,
        "unit_name": opt(TEXT),
        "volume": LABEL,
        "rows": ListOf(Obj({
            "number": LABEL, "code": TEXT, "procedure_name": TEXT, "sets": opt(INT),
            "applicant_name": TEXT, "address_phone": opt(TEXT), "received_at": DATETIME,
            "due_at": opt(DATETIME), "returned_at": opt(DATETIME), "receiver": opt(TEXT),
            "area": opt(TEXT), "note": opt(TEXT),
        })),
    }),
}


def to_plain(value: Any) -> Any:
    """A deep copy as dicts, lists and NFC strings; dataclass instances become dicts."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, str):
        return nfc(str(value))
    return value


def _instants(value: Any, path: str, form: str) -> Any:
    """Every datetime wrapped in an Instant, also under keys the schema does not know."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise FormError(f"{form}: {path!r} must be a timezone-aware datetime, got a naive one")
        return Instant(value)
    if isinstance(value, dict):
        return {k: _instants(v, f"{path}.{k}" if path else k, form) for k, v in value.items()}
    if isinstance(value, list):
        return [_instants(v, f"{path}[{i}]", form) for i, v in enumerate(value)]
    return value


def prepare(form: str, context: Any) -> dict[str, Any]:
    """The template context of ``form`` built from ``context``; FormError when it breaks the
    contract. ``form`` must be a key of CONTEXT_SCHEMAS."""
    data = to_plain(context)
    check(CONTEXT_SCHEMAS[form], data, form)
    data = _instants(data, "", form)
    place, issued_at = data["agency"].get("place"), data.get("issued_at")
    data["place_date"] = place_date(place, issued_at.value) if place and isinstance(issued_at, Instant) else ""
    dossier = data.get("dossier")
    if isinstance(dossier, dict) and dossier.get("fee_total") is not None:
        dossier["fee_text"] = vn_money(dossier["fee_total"])
    return data
