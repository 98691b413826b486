"""Biểu 06 from the ledger events alone: each dossier's history replayed up to the period's end.

The second reading of the numbers (issue 7: "the same numbers two ways"). Nothing of the dossier
tables is read: every dossier's events before the period's end are replayed with the ledger's own
``replay`` (the same code that rebuilds the tables in ``verify-ledger``), and the snapshot at that
instant gives the facts ``bieu06.classify`` needs — the reception instant and channel, the due
instant in force then, whether and when processing ended and how (withdrawn, stopped), whether a
supplement was awaited, the online payments made by then. Only the small reference tables (units,
procedures, sectors) are read, to name the rows and apply the scope.

Events are applied in their chain order up to the first one at or after the period's end; the
services refuse an event dated before the previous one (``time_order``), so that is "the state of
the dossier as it stood when the period closed". The chain's hashes are ``verify-ledger``'s job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from motcua.catalog.models import ProcedureVersion
from motcua.dossiers.ledger import replay
from motcua.dossiers.models import LedgerEvent, PaymentMethod, State, SupplementStage
from motcua.org.models import OrgUnit
from motcua.reports.bieu06 import Facts, Period, Policy, Report, ReportError, build
from motcua.reports.queries import GROUPINGS, Scope

__all__ = ["dossier_facts", "facts", "bieu06", "facts_of"]

_WITHDRAWN = {State.WITHDRAWN.value, State.STOPPED.value}


@dataclass(frozen=True)
class _Event:  # what ledger.replay reads of an event
    after: str


def _instant(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def facts_of(state: dict, ends: dt.datetime, group=()) -> Facts | None:
    """The report's facts of one replayed snapshot (None when the dossier was not yet received)."""
    d = state["dossier"]
    received = _instant(d.get("received_at"))
    if received is None or received >= ends:
        return None
    waiting = any(s["stage"] == SupplementStage.PROCESSING and s["completed_at"] is None
                  for s in state["supplements"])
    paid = [_instant(p["paid_at"]) for p in state["payments"] if p["method"] == PaymentMethod.ONLINE]
    return Facts(received_at=received, channel=d["channel"], finished_at=_instant(d.get("finished_at")),
                 due_at=_instant(d.get("due_at")), original_due_at=_instant(d.get("original_due_at")),
                 withdrawn=d.get("state") in _WITHDRAWN, awaiting_supplement=waiting,
                 paid_online_at=min(paid) if paid else None, group=group)


def _snapshots(ends: dt.datetime) -> Iterator[tuple[int, dict]]:
    """(dossier id, snapshot at ``ends``) for every dossier with an event before ``ends``."""
    events = (LedgerEvent.objects.filter(at__lt=ends).order_by("dossier_id", "seq")
              .values_list("dossier_id", "after").iterator(chunk_size=10000))
    for dossier_id, chain in groupby(events, key=lambda e: e[0]):
        yield dossier_id, replay(_Event(after) for _, after in chain)


class _Reference:
    """Units and procedure versions by id: the scope test and the row key of a replayed dossier."""

    def __init__(self, scope: Scope, by: str):
        self.by, self.scope = by, scope
        self.units = {pk: (identifier, name, path) for pk, identifier, name, path in
                      OrgUnit.objects.values_list("pk", "identifier", "name", "path")}
        self.versions = {row[0]: row[1:] for row in ProcedureVersion.objects.values_list(
            "pk", "procedure_id", "procedure__code", "procedure__name", "procedure__level", "procedure__sector_id",
            "procedure__sector__code", "procedure__sector__name")}

    def key(self, d: dict):
        """The row key of a snapshot's dossier, or None when the scope leaves it out."""
        unit = self.units.get(d.get("resolving_unit_id"), (None, None, ""))
        version = self.versions.get(d.get("procedure_version_id"), (None,) * 7)
        procedure_id, code, name, level, sector_id, sector_code, sector_name = version
        s = self.scope
        if ((s.unit is not None and not unit[2].startswith(s.unit.path))
                or (s.sector is not None and sector_id != s.sector.pk)
                or (s.procedure is not None and procedure_id != s.procedure.pk)
                or (s.level and level != s.level)):
            return None
        if self.by == "unit":
            return unit[0], unit[1]
        if self.by == "sector":
            return sector_code, sector_name
        return code, name


def dossier_facts(period: Period, scope: Scope = Scope(), by: str = "sector") -> list[tuple[int, str | None, Facts]]:
    """(dossier id, code, facts at the period's end) of every dossier the replayed ledger counts."""
    if by not in GROUPINGS:
        raise ReportError(f"Cách nhóm “{by}” không hợp lệ ({', '.join(GROUPINGS)}).")
    reference = _Reference(scope, by)
    found = []
    for dossier_id, state in _snapshots(period.ends):
        key = reference.key(state["dossier"])
        if key is None:
            continue
        f = facts_of(state, period.ends, key)
        if f is not None and (f.finished_at is None or f.finished_at >= period.starts):
            found.append((dossier_id, state["dossier"].get("code"), f))
    return found


def facts(period: Period, scope: Scope = Scope(), by: str = "sector") -> list[Facts]:
    return [f for _, _, f in dossier_facts(period, scope, by)]


def bieu06(period: Period, policy: Policy, scope: Scope = Scope(), by: str = "sector") -> Report:
    return build(facts(period, scope, by), period, policy)
