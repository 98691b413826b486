"""The ledger: a per-dossier SHA-256 hash chain of events, and the dossier rebuilt from it.

Each event stores what the command changed as ``before``/``after`` fragments of the dossier's
*snapshot* — the dossier row and its child rows as plain JSON. Applying every ``after`` in order
rebuilds the snapshot, so the tables can be recreated from the events alone (``replay`` and
``restore``), and ``verify`` can tell an edited event (its hash no longer matches), a deleted or
reordered one (the chain or the numbering breaks) and a dossier row edited behind the ledger's back
(the replayed snapshot differs from the tables).

Fragment format (version 2): the dossier's own fields field by field
(``{"dossier": {"state": "processing", ...}}``); a child collection row by row, keyed by primary key
(``{"steps": {"41": {...the whole row...}}}``), only the rows that changed, ``null`` for a row that
did not exist (in ``before``) or was deleted (in ``after``). Version 1 events (written before
migration 0002) hold a changed collection as the whole list; ``replay`` reads both.

``before``/``after`` are stored as their canonical JSON text (``_canonical``: sorted keys, no spaces,
UTF-8): the bytes in the table are the bytes the hash covers, so any edit of them — even one that
keeps the same JSON value — breaks the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable

from django.db import models

from motcua.dossiers import report_facts
from motcua.dossiers.models import (
    AgencyTask, Dossier, DossierDocument, DossierFee, DossierStep, Extension, LedgerEvent, Payment, SupplementRequest,
)

__all__ = ["snapshot", "diff", "append", "chain_hash", "link_hash", "fragment", "replay", "restore", "verify",
           "Problem", "GENESIS", "COLLECTIONS"]

GENESIS = "0" * 64
# Ledger bookkeeping on the dossier row itself is not part of what the events describe.
# Report facts derived from the described fields and rows (models.Dossier.timeliness, paid_online_at, the
# QĐ 766 document facts) are not either: they are recomputed, not history, so back-filling them never
# disagrees with the events.
DERIVED = {"timeliness", "paid_online_at", "e_intake_at", "e_result_at", "reused_at", "supplement_at", "supplemented_at",
           "supplement_again_at", "feedback_at", "disliked_at", "elapsed_seconds", "allowed_seconds",
           "settled_at", "facts766"}   # the last two set by the database (triggers, dossiers.settled)
_DOSSIER_META = {"version", "ledger_length", "ledger_head", *DERIVED}
# Child tables in the snapshot: key → (model, the ordering that makes the list canonical).
COLLECTIONS: dict[str, type[models.Model]] = {
    "steps": DossierStep, "tasks": AgencyTask, "supplements": SupplementRequest, "extension": Extension,
    "documents": DossierDocument, "fees": DossierFee, "payments": Payment,
}


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value.normalize())
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "name") and isinstance(getattr(value, "name", None), (str, type(None))) \
            and value.__class__.__name__.endswith("FieldFile"):
        return value.name or ""
    return value


def _from_json(field_: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field_, models.DateTimeField):
        return dt.datetime.fromisoformat(value)
    if isinstance(field_, models.DateField):
        return dt.date.fromisoformat(value)
    if isinstance(field_, models.TimeField):
        return dt.time.fromisoformat(value)
    if isinstance(field_, models.DecimalField):
        return Decimal(value)
    if isinstance(field_, models.UUIDField):
        return uuid.UUID(value)
    return value


def _row(instance: models.Model, skip=frozenset()) -> dict[str, Any]:
    return {f.attname: _to_json(getattr(instance, f.attname))
            for f in instance._meta.concrete_fields if f.attname not in skip}


def snapshot(dossier: Dossier) -> dict[str, Any]:
    """The dossier and its child rows as JSON-ready data, in a canonical order."""
    snap: dict[str, Any] = {"dossier": _row(dossier, _DOSSIER_META)}
    for key, model in COLLECTIONS.items():
        snap[key] = [_row(r) for r in model.objects.filter(dossier_id=dossier.pk).order_by("pk")]
    return snap


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fragments that changed: dossier fields one by one, child collections row by row
    (``{"<pk>": row}``, ``None`` where the row does not exist on that side)."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    b_row, a_row = before.get("dossier", {}), after["dossier"]
    changed = {k: v for k, v in a_row.items() if b_row.get(k, _MISSING) != v}
    if changed:
        old["dossier"] = {k: b_row.get(k) for k in changed}
        new["dossier"] = changed
    for key in COLLECTIONS:
        b_rows, a_rows = before.get(key, []), after[key]
        if b_rows == a_rows:
            continue
        b_by_pk = {row["id"]: row for row in b_rows}
        a_by_pk = {row["id"]: row for row in a_rows}
        o, n = {}, {}
        for pk in sorted(b_by_pk.keys() | a_by_pk.keys()):
            b, a = b_by_pk.get(pk), a_by_pk.get(pk)
            if b != a:
                o[str(pk)], n[str(pk)] = b, a
        if n:
            old[key], new[key] = o, n
    return old, new


_MISSING = object()


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def fragment(data: dict) -> str:
    """A ``before``/``after`` fragment as it is stored and hashed: canonical JSON text."""
    return _canonical(data).decode("utf-8")


def chain_hash(*, reference: str, seq: int, type: str, actor_id: int | None, actor_name: str, at: dt.datetime,
               before: dict, after: dict, reason: str, prev_hash: str) -> str:
    payload = {"dossier": str(reference), "seq": seq, "type": type, "actor_id": actor_id, "actor_name": actor_name,
               "at": _to_json(at), "before": before, "after": after, "reason": reason, "prev": prev_hash}
    return hashlib.sha256(_canonical(payload)).hexdigest()


_encode_str = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) prints a str with


def link_hash(*, reference: str, seq: int, type: str, actor_id: int | None, actor_name: str, at: str,
              before: str, after: str, reason: str, prev_hash: str) -> str:
    """``chain_hash`` from the stored text: ``at`` as ``_to_json`` prints it and the fragments as canonical
    text, spliced into the payload's canonical JSON (its keys in sorted order). Equal to ``chain_hash``
    of the parsed fragments exactly when the stored text is canonical."""
    payload = ('{"actor_id":%s,"actor_name":%s,"after":%s,"at":%s,"before":%s,"dossier":%s,"prev":%s,'
               '"reason":%s,"seq":%d,"type":%s}' % (
                   "null" if actor_id is None else int(actor_id), _encode_str(actor_name), after, _encode_str(at),
                   before, _encode_str(str(reference)), _encode_str(prev_hash), _encode_str(reason), seq,
                   _encode_str(type)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _event_hash(event: LedgerEvent, reference) -> str:
    return link_hash(reference=reference, seq=event.seq, type=event.type, actor_id=event.actor_id_value,
                     actor_name=event.actor_name, at=_to_json(event.at), before=event.before, after=event.after,
                     reason=event.reason, prev_hash=event.prev_hash)


def append(dossier: Dossier, type: str, actor, at: dt.datetime, before: dict, after: dict,
           reason: str = "", *, attached: tuple[dict, dict] | None = None) -> LedgerEvent:
    """Add the next link. The caller holds the dossier's row lock (the command's transaction).

    ``attached`` is a (before, after) pair of fragments about records another app keeps for the
    dossier (the applicant's evaluation, under keys outside ``COLLECTIONS``): hashed with the event,
    skipped by ``replay``; that app rebuilds and checks its own rows from them."""
    old, new = diff(before, after)
    if attached:
        clash = (set(attached[0]) | set(attached[1])) & {"dossier", *COLLECTIONS}
        if clash:
            raise ValueError(f"attached fragments may not use the dossier's own keys: {sorted(clash)}")
        old, new = {**old, **attached[0]}, {**new, **attached[1]}
    seq = dossier.ledger_length + 1
    prev = dossier.ledger_head or GENESIS
    actor_id = getattr(actor, "pk", None)
    actor_name = getattr(actor, "username", "") if actor is not None else ""
    # Stored as the canonical text that the hash covers, byte for byte.
    old, new = fragment(old), fragment(new)
    digest = link_hash(reference=dossier.reference, seq=seq, type=type, actor_id=actor_id, actor_name=actor_name,
                       at=_to_json(at), before=old, after=new, reason=reason, prev_hash=prev)
    event = LedgerEvent.objects.create(dossier=dossier, seq=seq, type=type, actor_id_value=actor_id,
                                       actor_name=actor_name, at=at, before=old, after=new, reason=reason,
                                       prev_hash=prev, hash=digest)
    Dossier.objects.filter(pk=dossier.pk).update(ledger_length=seq, ledger_head=digest)
    dossier.ledger_length, dossier.ledger_head = seq, digest
    return event


def _parsed(value) -> dict:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def replay(events: Iterable[LedgerEvent]) -> dict[str, Any]:
    """The snapshot that the events describe, built from nothing: dossier fields updated, child rows
    upserted or deleted by primary key (a version 1 event replaces the whole collection)."""
    dossier: dict[str, Any] = {}
    rows: dict[str, dict[str, Any]] = {key: {} for key in COLLECTIONS}
    for event in events:
        for key, value in _parsed(event.after).items():
            if key == "dossier":
                dossier.update(value)
            elif key not in rows:  # attached: a record another app keeps (see ``append``)
                continue
            elif isinstance(value, list):  # format 1: the whole collection
                rows[key] = {str(row["id"]): row for row in value}
            else:
                target = rows[key]
                for pk, row in value.items():
                    if row is None:
                        target.pop(pk, None)
                    else:
                        target[pk] = row
    return {"dossier": dossier, **{key: [found[pk] for pk in sorted(found, key=int)] for key, found in rows.items()}}


def restore(state: dict[str, Any], events: list[LedgerEvent]) -> Dossier:
    """Recreate the dossier's rows from a replayed snapshot (the tables must not hold it)."""
    fields = {f.attname: f for f in Dossier._meta.concrete_fields}
    values = {k: _from_json(fields[k], v) for k, v in state["dossier"].items()}
    current_step = values.pop("current_step_id", None)
    dossier = Dossier(**values, version=len(events), ledger_length=len(events),
                      ledger_head=events[-1].hash if events else "")
    dossier.save(force_insert=True)
    for key, model in COLLECTIONS.items():
        mfields = {f.attname: f for f in model._meta.concrete_fields}
        model.objects.bulk_create([model(**{k: _from_json(mfields[k], v) for k, v in row.items()})
                                   for row in state[key]])
    if current_step is not None:
        Dossier.objects.filter(pk=dossier.pk).update(current_step_id=current_step)
        dossier.current_step_id = current_step
    report_facts.refresh(dossier)
    return dossier


@dataclass
class Problem:
    dossier_id: int
    reference: str
    code: str | None
    messages: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code or self.reference}: " + "; ".join(self.messages)


def verify(dossiers=None) -> list[Problem]:
    """Check every chain (or those of ``dossiers``, a queryset): hashes, links, numbering, the
    dossier's recorded head, and that replaying the events gives the rows in the tables."""
    problems = []
    queryset = Dossier.objects.all() if dossiers is None else dossiers
    for dossier in queryset.order_by("pk").iterator(chunk_size=500):
        messages = _verify_one(dossier)
        if messages:
            problems.append(Problem(dossier.pk, str(dossier.reference), dossier.code, messages))
    # Events whose dossier row was deleted outright cannot hide either (the FK protects it on both
    # databases, but a raw DELETE with foreign keys off would leave them orphaned).
    orphaned = (LedgerEvent.objects.exclude(dossier_id__in=Dossier.objects.values("pk"))
                .values_list("dossier_id", flat=True).distinct())
    for dossier_id in orphaned:
        problems.append(Problem(dossier_id, "?", None, ["hồ sơ đã bị xóa nhưng sổ cái vẫn còn sự kiện"]))
    return problems


def _verify_one(dossier: Dossier) -> list[str]:
    messages = []
    events = list(LedgerEvent.objects.filter(dossier_id=dossier.pk).order_by("seq"))
    prev = GENESIS
    for position, event in enumerate(events, start=1):
        if event.seq != position:
            messages.append(f"sự kiện số {position} bị thiếu hoặc sai thứ tự (gặp số {event.seq})")
            break
        if event.prev_hash != prev:
            messages.append(f"sự kiện số {event.seq} không nối với sự kiện trước (bị xóa hoặc đổi thứ tự)")
            break
        if _event_hash(event, dossier.reference) != event.hash:
            messages.append(f"sự kiện số {event.seq} ({event.type}) đã bị sửa")
            break
        prev = event.hash
    if not messages:
        if len(events) != dossier.ledger_length or prev != (dossier.ledger_head or GENESIS):
            messages.append(f"hồ sơ ghi {dossier.ledger_length} sự kiện nhưng sổ cái có {len(events)} "
                            "(sự kiện cuối bị xóa hoặc thêm ngoài hệ thống)")
        else:
            expected, actual = replay(events), snapshot(dossier)
            for key in ("dossier", *COLLECTIONS):
                if expected[key] != actual[key]:
                    messages.append(_describe_mismatch(key, expected[key], actual[key]))
    return messages


def _describe_mismatch(key: str, expected, actual) -> str:
    if key == "dossier":
        fields = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
        return f"dữ liệu hồ sơ khác với sổ cái ở trường: {', '.join(fields)}"
    return f"bảng “{key}” khác với sổ cái"
