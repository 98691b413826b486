"""Rows to response data. Plain reading — no rule is decided here. Instants are shown in
Asia/Ho_Chi_Minh (+07:00)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.utils import timezone

from motcua.dossiers.models import OPEN_STATES, Dossier, State


def local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def duration(value: Decimal | None, unit: str) -> dict | None:
    if value is None:
        return None
    value = Decimal(value)
    text = format(value.normalize(), "f") if value == value.to_integral() else str(value.normalize())
    return {"value": text, "unit": unit}


def unit(u) -> dict | None:
    return {"identifier": u.identifier, "name": u.name} if u is not None else None


def person(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.username, "name": getattr(user, "full_name", "") or user.get_full_name() or user.username}


# --- catalogue -------------------------------------------------------------------------------------


def procedure_summary(p) -> dict:
    return {"code": p.code, "name": p.name, "sector": {"code": p.sector.code, "name": p.sector.name},
            "level": p.level, "competent_unit": unit(p.competent_unit)}


def procedure_detail(p, version) -> dict:
    variants = (version.variants.order_by("order")
                .prefetch_related("documents", "fees", "steps__unit"))
    return {
        **procedure_summary(p),
        "version": {
            "number": version.number, "status": version.status, "valid_from": version.valid_from,
            "valid_to": version.valid_to, "publication_decision": version.publication_decision,
            "for_citizens": version.for_citizens, "for_organisations": version.for_organisations,
            "result_name": version.result_name, "result_type": version.result_type,
            "online_mode": version.online_mode, "postal_intake": version.postal_intake,
            "postal_return": version.postal_return, "boundary_independent": version.boundary_independent,
            "legal_bases": [{"order": b.order, "number": b.number, "title": b.title, "issued_on": b.issued_on}
                            for b in version.legal_bases.order_by("order")],
            "variants": [{
                "id": v.pk, "code": v.code, "name": v.name,
                "time_limit": duration(v.time_limit_value, v.time_limit_unit),
                "online_time_limit": duration(v.online_time_limit_value, v.online_time_limit_unit),
                "supplement_rule": v.supplement_rule, "paper_cutoff": v.paper_cutoff,
                "documents": [{"id": d.pk, "order": d.order, "name": d.name, "kind": d.kind, "count": d.count,
                               "mandatory": d.mandatory} for d in sorted(v.documents.all(), key=lambda d: d.order)],
                "fees": [{"order": f.order, "kind": f.kind, "name": f.name, "amount": f.amount,
                          "formula": f.formula, "description": f.description}
                         for f in sorted(v.fees.all(), key=lambda f: f.order)],
                "steps": [{"order": s.order, "name": s.name, "role": s.role, "unit": unit(s.unit),
                           "budget": duration(s.budget_value, s.budget_unit)}
                          for s in sorted(v.steps.all(), key=lambda s: s.order)],
            } for v in variants],
        },
    }


# --- dossiers ----------------------------------------------------------------------------------------


def is_overdue(d: Dossier, now: dt.datetime) -> bool:
    return d.due_at is not None and d.due_at < now and d.state in OPEN_STATES


def dossier_summary(d: Dossier, now: dt.datetime) -> dict:
    version = d.procedure_version
    return {
        "reference": d.reference, "code": d.code, "state": d.state, "state_label": str(State(d.state).label),
        "national_status": d.national_status, "channel": d.channel, "national_channel": d.national_channel,
        "procedure": {"code": version.procedure.code, "name": version.procedure.name, "version": version.number},
        "applicant_name": d.applicant.full_name, "resolving_unit": unit(d.resolving_unit),
        "submitted_at": local(d.submitted_at), "received_at": local(d.received_at), "due_at": local(d.due_at),
        "finished_at": local(d.finished_at), "overdue": is_overdue(d, now), "version": d.version,
    }


def _step(s) -> dict:
    on_time = None
    if s.finished_at is not None and s.due_at is not None:
        on_time = s.finished_at <= s.due_at
    return {"seq": s.seq, "order": s.order, "name": s.name, "role": s.role, "unit": unit(s.unit),
            "assignee": person(s.assignee), "started_at": local(s.started_at), "due_at": local(s.due_at),
            "finished_at": local(s.finished_at), "finished_by": person(s.finished_by), "outcome": s.outcome,
            "note": s.note, "on_time": on_time}


def dossier_detail(d: Dossier, now: dt.datetime) -> dict:
    try:
        extension = d.extension
    except Dossier.extension.RelatedObjectDoesNotExist:
        extension = None
    steps = list(d.steps.all())
    current = next((s.seq for s in steps if s.pk == d.current_step_id), None)
    return {
        **dossier_summary(d, now),
        "regime": d.regime,
        "variant": {"id": d.variant_id, "code": d.variant.code, "name": d.variant.name},
        "applicant": {"id": d.applicant_id, "kind": d.applicant.kind, "full_name": d.applicant.full_name},
        "representative_name": d.representative_name,
        "receiving_desk": d.receiving_desk.name, "receiving_unit": unit(d.receiving_unit),
        "returning_unit": unit(d.returning_unit), "delivery": d.delivery, "delivery_address": d.delivery_address,
        "sets": d.sets, "clock_start": local(d.clock_start), "time_limit": duration(d.limit_value, d.limit_unit),
        "supplement_rule": d.supplement_rule, "original_due_at": local(d.original_due_at),
        "transfer_due_at": local(d.transfer_due_at), "returned_at": local(d.returned_at), "current_step": current,
        "outcome": d.outcome, "result_number": d.result_number, "result_issued_at": local(d.result_issued_at),
        "return_method": d.return_method, "originals_returned": d.originals_returned,
        "book_year": d.book_year, "book_number": d.book_number, "fee_total": d.fee_total, "fee_paid": d.fee_paid,
        "steps": [_step(s) for s in steps],
        "tasks": [{"id": t.pk, "kind": t.kind, "mode": t.mode, "batch": t.batch, "sequence_no": t.sequence_no,
                   "unit": unit(t.unit), "task": t.task, "state": t.state, "due_at": local(t.due_at),
                   "created_at": local(t.created_at), "started_at": local(t.started_at),
                   "completed_at": local(t.completed_at), "answer": t.answer} for t in d.tasks.all()],
        "supplements": [{"stage": s.stage, "number": s.number, "requested_at": local(s.requested_at),
                         "items": s.items, "reason": s.reason, "completed_at": local(s.completed_at)}
                        for s in sorted(d.supplements.all(), key=lambda s: (s.requested_at, s.pk))],
        "extension": None if extension is None else {
            "number": extension.number, "requested_at": local(extension.requested_at), "reason": extension.reason,
            "by": duration(extension.by_value, extension.by_unit),
            "previous_due_at": local(extension.previous_due_at), "new_due_at": local(extension.new_due_at)},
        "documents": [{"id": x.pk, "stage": x.stage, "name": x.name, "kind": x.kind, "count": x.count,
                       "required_id": x.required_id, "has_file": bool(x.file), "file_name": x.file_name,
                       "content_type": x.content_type, "size": x.size, "sha256": x.sha256,
                       "added_at": local(x.added_at)} for x in sorted(d.documents.all(), key=lambda x: x.pk)],
        "fees": [{"order": f.order, "kind": f.kind, "name": f.name, "amount": f.amount}
                 for f in sorted(d.fees.all(), key=lambda f: f.order)],
        "payments": [{"amount": p.amount, "method": p.method, "reference": p.reference, "paid_at": local(p.paid_at)}
                     for p in sorted(d.payments.all(), key=lambda p: (p.paid_at, p.pk))],
    }


def event(e) -> dict:
    """A ledger event; its before/after are stored as canonical JSON text and shown as JSON objects."""
    return {"seq": e.seq, "type": e.type, "actor_name": e.actor_name, "at": local(e.at),
            "before": json.loads(e.before), "after": json.loads(e.after), "reason": e.reason, "hash": e.hash,
            "prev_hash": e.prev_hash}
