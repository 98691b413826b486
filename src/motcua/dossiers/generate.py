"""History generator: realistic dossier lives, written through the services or in bulk.

``motcua generate --dossiers N --months M [--seed S] [--until YYYY-MM-DD] [--path bulk|services]``

Three parts:

- **The planner** (``plan``) is pure and seeded (one ``random.Random(seed)``): from plain facts about
  the province (``World``) it decides every dossier's life as a list of service commands, each with
  its actor and instant — channel, procedure, agency, how long each workflow step takes (drawn per
  procedure), supplements, payments, apologies, refusals, withdrawals and stops. Every instant lies
  inside the office hours of the resolving agency's working calendar and no later than ``until``;
  a life that would run past ``until`` is cut there, so recent dossiers are still open. Dossiers
  come out in the order of their reception instant, so codes and book numbers grow with time.
- **The services executor** (``run_services``) calls the real commands of ``dossiers.services``
  one by one: slow, and the reference. Generated history is not news, so the outbox messages the
  commands queue are dropped with them, and scanned files are checked but not kept (see
  ``_NoFiles``).
- **The bulk executor** (``run_bulk``) replays the same commands on rows held in memory — the same
  primary keys, counters, due instants and ledger events with the same hashes — and writes them in
  large batches, one transaction per batch. tests/test_generate.py proves it identical to the
  services executor: every row, every stored SQL value and type (the ledger's before/after are the
  same canonical text, byte for byte), every event hash. For large runs the plans and the rows are
  made in two forked processes while this one hashes and writes.

The bulk executor assumes nobody else writes dossiers while it runs (it reads the next primary
keys and the counters once, at the start).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import gc
import hashlib
import heapq
import itertools
import json
import math
import os
import random
import sqlite3
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from motcua.calendar import TZ, CalendarError, Duration, WorkCalendar
from motcua.calendar.deadline import _weight
from motcua.dossiers import rules, timeliness

__all__ = [
    "World", "Plan", "Cmd", "Result", "GenerationError", "load_world", "provide_role_holders", "plan", "window",
    "run_services", "run_bulk", "generate",
]

# --- how lives usually go (per dossier unless said otherwise); plan(rates=...) overrides them ---------

RATES: dict[str, float] = {
    "postal": 0.06,               # lodged by public post, where the procedure allows it
    "online_full": 0.55,          # online share of fully online procedures at the window's start (+0.10 by its end)
    "online_partial": 0.35,
    "other_desk": 0.05,           # boundary-independent commune procedure lodged at another commune's desk
    "representative": 0.10,
    "post_return": 0.15,          # result sent by post, where allowed
    "refuse_intake": 0.015,
    "intake_supplement": 0.035,
    "pay_later": 0.12,            # of dossiers with fees: asked to pay during processing
    "never_pays": 0.08,           # of those asked to pay
    "assigned": 0.25,             # the leader assigns instead of the specialist claiming
    "supplement": 0.07,           # supplement after appraisal (within 3 working days of receipt)
    "supplement_withdraw": 0.12,  # of those: the applicant withdraws instead
    "supplement_never": 0.06,     # of those: never supplements (stays waiting)
    "withdraw": 0.012,
    "stop": 0.006,
    "send_back": 0.04,
    "refuse": 0.03,
    "apology": 0.30,              # of dossiers that will be late, when the law still allows the letter
    "optional_document": 0.3,
}

PLACEHOLDER_PDF = b"%PDF-1.4\n% MotCua: generated history; the scanned file is not kept.\n%%EOF\n"
_DAY = 86400

REASONS = {
    "intake_supplement": ["Thiếu giấy tờ theo quy định", "Tờ khai chưa đúng mẫu", "Bản sao chưa được chứng thực"],
    "refuse_intake": ["Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan",
                      "Người nộp không đủ điều kiện theo quy định", "Quá thời hạn bổ sung hồ sơ nhưng không bổ sung"],
    "supplement": ["Cần bổ sung giấy tờ chứng minh thông tin kê khai", "Thông tin trong tờ khai chưa thống nhất",
                   "Thiếu văn bản ý kiến của cơ quan liên quan"],
    "apology": ["Cần xác minh thêm thông tin tại cơ sở", "Chờ ý kiến của cơ quan liên quan",
                "Số lượng hồ sơ tăng đột biến trong kỳ"],
    "withdraw": ["Công dân không còn nhu cầu giải quyết", "Công dân đề nghị rút hồ sơ để nộp lại"],
    "stop": ["Người nộp đề nghị dừng giải quyết hồ sơ", "Người nộp đề nghị dừng để điều chỉnh nội dung đề nghị"],
    "send_back": ["Đề nghị thẩm định lại nội dung", "Dự thảo kết quả còn sai sót"],
    "refuse": ["Không đủ điều kiện theo quy định của pháp luật", "Thông tin kê khai không đúng sự thật"],
}
REPRESENTATIVES = ["Trần Văn Bảo", "Lê Thị Cúc", "Phạm Minh Đức", "Ngô Thị Hằng", "Đỗ Quang Huy", "Vũ Thị Lan"]


class GenerationError(Exception):
    """What the generator cannot do with the data at hand; the message is Vietnamese."""


# --- the world: plain facts read once from the database ---------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    order: int
    name: str
    role: str
    unit_id: int | None
    budget: Duration


@dataclass(frozen=True)
class DocSpec:
    pk: int
    name: str
    kind: str
    count: int
    mandatory: bool


@dataclass(frozen=True)
class FeeSpec:
    order: int
    kind: str
    name: str
    amount: int
    formula: str


@dataclass
class VariantSpec:
    pk: int
    version_pk: int
    label: str
    level: str
    competent_unit_id: int | None
    valid_from: dt.date
    valid_to: dt.date | None
    limit_value: Decimal
    limit_unit: str
    online_limit_value: Decimal | None
    online_limit_unit: str
    supplement_rule: str
    paper_cutoff: dt.time | None
    online_mode: str
    postal_intake: bool
    postal_return: bool
    boundary_independent: bool
    for_citizens: bool
    for_organisations: bool
    steps: tuple[StepSpec, ...]
    documents: tuple[DocSpec, ...]
    fees: tuple[FeeSpec, ...]


@dataclass(frozen=True)
class UnitSpec:
    pk: int
    path: str
    depth: int
    kind: str
    identifier: str
    name: str


@dataclass(frozen=True)
class DeskSpec:
    pk: int
    host_unit_id: int
    serves: tuple[int, ...]


@dataclass(frozen=True)
class ApplicantSpec:
    pk: int
    kind: str
    email: str
    phone: str
    address: str


@dataclass(frozen=True)
class Actor:
    pk: int
    username: str


@dataclass
class World:
    units: dict[int, UnitSpec]
    desks: dict[int, DeskSpec]
    variants: list[VariantSpec]
    applicants: list[ApplicantSpec]
    holders: dict[tuple[int, str], tuple[Actor, ...]]  # (unit, role) → staff who may act there
    calendars: dict[int, WorkCalendar]                 # resolving unit → its working calendar
    online_desk: dict[int, int]                        # resolving unit → the desk of its online dossiers
    home_desks: dict[int, tuple[int, ...]]             # resolving unit → desks serving it, deepest first
    communes: tuple[int, ...]
    actors: dict[int, Actor] = field(default_factory=dict)

    def holder_list(self, unit: int, role: str) -> tuple[Actor, ...]:
        return self.holders.get((unit, role), ())


def _holders(memberships, units: dict[int, UnitSpec]) -> dict[tuple[int, str], tuple[Actor, ...]]:
    """Who holds each role at each unit: members of the unit or of a unit above it, the nearest level first
    (services._roles_at accepts all of them; the nearest are who would really act)."""
    result: dict[tuple[int, str], tuple[Actor, ...]] = {}
    for unit in units.values():
        by_role: dict[str, list[tuple[int, Actor]]] = {}
        for actor, role, path, depth in memberships:
            if unit.path.startswith(path):
                by_role.setdefault(role, []).append((depth, actor))
        for role, found in by_role.items():
            deepest = max(d for d, _ in found)
            result[(unit.pk, role)] = tuple(sorted({a for d, a in found if d == deepest}, key=lambda a: a.pk))
    return result


def load_world(*, only_usable: bool = True) -> World:
    """Read the province, its desks, staff, applicants and published procedures from the database.
    With ``only_usable``, procedures that nobody could carry to a decision are left out."""
    from motcua.accounts.models import Applicant, StaffMembership
    from motcua.catalog.models import ProcedureVariant, VersionStatus
    from motcua.org.models import Desk, OrgUnit, UnitKind
    from motcua.worktime.services import calendar_of_unit

    unit_rows = list(OrgUnit.objects.order_by("pk"))
    desks_qs = Desk.objects.filter(is_active=True).prefetch_related("serves").order_by("pk")
    desks = {d.pk: DeskSpec(d.pk, d.host_unit_id, tuple(sorted(u.pk for u in d.serves.all()))) for d in desks_qs}
    useful: set[int] = set()
    for desk in desks.values():
        useful.add(desk.host_unit_id)
        useful.update(desk.serves)
    # The units that desks host or serve, and every unit below a served one.
    served_paths = [u.path for u in unit_rows if u.pk in useful]
    units = {u.pk: UnitSpec(u.pk, u.path, u.depth, u.kind, u.identifier, u.name) for u in unit_rows
             if any(u.path.startswith(p) for p in served_paths)}
    memberships = [(Actor(m.user_id, m.user.username), m.role, m.unit.path, m.unit.depth)
                   for m in StaffMembership.objects.filter(is_active=True, user__is_active=True)
                   .select_related("user", "unit").order_by("pk")]
    holders = _holders(memberships, units)
    actors = {a.pk: a for a, *_ in memberships}

    def online_desk(unit: UnitSpec) -> int | None:
        ancestors = {int(pk) for pk in unit.path.strip("/").split("/")}
        best = None
        for desk in desks.values():
            depths = [units[u].depth for u in desk.serves if u in ancestors and u in units]
            if depths and (best is None or max(depths) > best[0]):
                best = (max(depths), desk.pk)
        return best[1] if best else None

    communes = tuple(u.pk for u in units.values() if u.kind == UnitKind.COMMUNE)
    variants = []
    for v in (ProcedureVariant.objects.select_related("version__procedure")
              .prefetch_related("steps", "documents", "fees").order_by("pk")):
        version, procedure = v.version, v.version.procedure
        if version.status == VersionStatus.DRAFT:
            continue
        variants.append(VariantSpec(
            pk=v.pk, version_pk=version.pk, label=f"{procedure.code} {v.code}", level=procedure.level,
            competent_unit_id=procedure.competent_unit_id, valid_from=version.valid_from,
            valid_to=version.valid_to, limit_value=v.time_limit_value, limit_unit=v.time_limit_unit,
            online_limit_value=v.online_time_limit_value, online_limit_unit=v.online_time_limit_unit,
            supplement_rule=v.supplement_rule, paper_cutoff=v.paper_cutoff, online_mode=version.online_mode,
            postal_intake=version.postal_intake, postal_return=version.postal_return,
            boundary_independent=version.boundary_independent, for_citizens=version.for_citizens,
            for_organisations=version.for_organisations,
            steps=tuple(StepSpec(s.order, s.name, s.role, s.unit_id, Duration(s.budget_value, s.budget_unit))
                        for s in sorted(v.steps.all(), key=lambda s: s.order)),
            documents=tuple(DocSpec(d.pk, d.name, d.kind, d.count, d.mandatory)
                            for d in sorted(v.documents.all(), key=lambda d: (d.order, d.pk))),
            fees=tuple(FeeSpec(f.order, f.kind, f.name, f.amount or 0, f.formula or "")
                       for f in sorted(v.fees.all(), key=lambda f: f.order)),
        ))
    applicants = [ApplicantSpec(a.pk, a.kind, a.email, a.phone, a.address) for a in Applicant.objects.order_by("pk")
                  if _reachable(a.email, a.phone)]
    resolving = set(communes) | {v.competent_unit_id for v in variants if v.competent_unit_id}
    resolving &= set(units)
    by_pk = {u.pk: u for u in unit_rows}
    calendars = {pk: calendar_of_unit(by_pk[pk]) for pk in sorted(resolving)}
    online = {pk: online_desk(units[pk]) for pk in sorted(resolving)}
    home = {}
    for pk in sorted(resolving):
        unit = units[pk]
        serving = [(max(units[u].depth for u in d.serves if unit.path.startswith(units[u].path)), d.pk)
                   for d in desks.values() if any(u in units and unit.path.startswith(units[u].path) for u in d.serves)]
        home[pk] = tuple(pk_ for _, pk_ in sorted(serving, key=lambda x: (-x[0], x[1])))
    world = World(units=units, desks=desks, variants=variants, applicants=applicants, holders=holders,
                  calendars=calendars, online_desk={k: v for k, v in online.items() if v is not None},
                  home_desks=home, communes=tuple(sorted(c for c in communes if c in calendars)), actors=actors)
    if only_usable:
        world.variants = [v for v in variants if _usable(world, v)]
    if not world.variants:
        raise GenerationError("Không có thủ tục nào có đủ quy trình, bộ phận một cửa và cán bộ để sinh hồ sơ.")
    if not world.applicants:
        raise GenerationError("Chưa có người nộp hồ sơ nào (chạy “motcua load-demo”).")
    return world


def _reachable(email: str, phone: str) -> bool:
    """Whether services would accept these notification contacts at lodging."""
    from motcua.dossiers.errors import DossierError
    from motcua.dossiers.services import _contact

    try:
        _contact(email, phone)
    except DossierError:
        return False
    return True


def _resolving_units(world: World, v: VariantSpec) -> tuple[int, ...]:
    if v.competent_unit_id:
        return (v.competent_unit_id,) if v.competent_unit_id in world.calendars else ()
    return world.communes if v.level == "commune" else ()


def _needed_roles(world: World, v: VariantSpec) -> set[tuple[int, str]]:
    """(unit, role) pairs a life of this procedure needs someone for."""
    needed = set()
    for resolving in _resolving_units(world, v):
        for desk_pk in world.home_desks.get(resolving, ())[:1] + ((world.online_desk[resolving],)
                                                                   if resolving in world.online_desk else ()):
            needed.add((world.desks[desk_pk].host_unit_id, "receptionist"))
        needed.add((resolving, "leader"))
        for s in v.steps:
            if s.unit_id:
                needed.add((s.unit_id, s.role))
            elif s.role != "receptionist":
                needed.add((resolving, s.role))
    return needed


def _usable(world: World, v: VariantSpec) -> bool:
    steps = v.steps
    if not steps or steps[0].role != "receptionist" or not any(s.role == "leader" for s in steps):
        return False
    if not _resolving_units(world, v):
        return False
    if any(r not in world.home_desks or not world.home_desks[r] for r in _resolving_units(world, v)):
        return False
    return all(world.holder_list(u, r) for u, r in _needed_roles(world, v))


def provide_role_holders() -> list[str]:
    """Create a staff account (without a usable password) for each role a procedure's workflow needs
    where nobody holds it — the demo province has no clerk in some departments, so their dossiers
    could never be issued. Returns the usernames created."""
    from django.db import transaction

    from motcua.accounts.models import Role
    from motcua.accounts.services import create_staff
    from motcua.org.models import OrgUnit

    world = load_world(only_usable=False)
    created = []
    with transaction.atomic():
        missing = sorted({pair for v in world.variants if _resolving_units(world, v)
                          for pair in _needed_roles(world, v) if not world.holder_list(*pair)})
        for unit_pk, role in missing:
            unit = OrgUnit.objects.get(pk=unit_pk)
            username = f"sinh.{role}.{unit_pk}"
            create_staff(username, f"{Role(role).label} (dữ liệu sinh) – {unit.name}", None, [(unit, role)],
                         check_password=False)
            created.append(username)
    return created


# --- the plan ----------------------------------------------------------------------------------------


class Cmd(NamedTuple):
    """One service command of a planned life: its name, instant (epoch seconds), actor (user pk or
    None for the applicant without an account / the payment gateway) and arguments."""

    name: str
    at: int
    actor: int | None
    args: dict


class Plan(NamedTuple):
    """One dossier's planned life (a tuple: cheap to hand to the builder process)."""

    reference: str                               # the dossier's UUID
    variant: VariantSpec
    channel: str
    applicant: ApplicantSpec
    desk: int
    resolving: int
    delivery: str
    delivery_address: str
    representative: tuple[str, str, str] | None
    sets: int
    fee_inputs: dict | None
    fees: list[tuple[int, str, str, int]]       # (order, kind, name, amount) as services._fees computes them
    documents: list[tuple[str, str, int, int | None, bool]]  # (name, kind, count, required pk, has file)
    commands: list[Cmd]
    key: int = 0                                 # reception instant (or submission), the order of execution


def window(until: dt.datetime, months: int) -> tuple[dt.datetime, dt.datetime]:
    """[until − months, until] as local instants."""
    local = until.astimezone(TZ)
    total = local.month - 1 - months
    year, month = local.year + total // 12, total % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return local.replace(year=year, month=month, day=min(local.day, last)), local


def _ts(moment: dt.datetime) -> int:
    return WorkCalendar.to_ts(moment)


def _local_date(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, TZ).date()


class _Planner:
    def __init__(self, world: World, seed: int, start: int, until: int, rates: dict[str, float] | None = None):
        self.world, self.rng, self.start, self.until = world, random.Random(seed), start, until
        unknown = set(rates or {}) - set(RATES)
        if unknown:
            raise GenerationError(f"Không có tỉ lệ nào tên {', '.join(sorted(unknown))}.")
        self.rates = {**RATES, **(rates or {})}
        rng = self.rng
        # Each procedure's popularity and pace (the share of the legal time its steps usually take).
        self.weight = {v.pk: (3.0 if v.level == "commune" else 1.0) * rng.lognormvariate(0, 0.8)
                       for v in world.variants}
        self.pace = {v.pk: rng.uniform(0.25, 0.7) for v in world.variants}
        self.commune_weight = {c: rng.uniform(0.6, 1.6) for c in world.communes}
        self.commune_cum = list(itertools.accumulate(self.commune_weight[c] for c in world.communes))
        self._formulas: dict[str, Any] = {}
        self._valid_cache: dict[dt.date, tuple[list[VariantSpec], list[float]]] = {}
        self._pacing: dict[tuple, tuple] = {}

    # -- helpers --

    def pacing(self, v: VariantSpec, cal: WorkCalendar, online: bool):
        """(limit, cut-off, in working time?, legal seconds, each step's share of them) of a procedure
        at an agency, for online or paper dossiers (the same for every dossier: kept)."""
        key = (v.pk, id(cal), online)
        found = self._pacing.get(key)
        if found is None:
            if online and v.online_limit_value is not None:
                limit = Duration(v.online_limit_value, v.online_limit_unit)
            else:
                limit = Duration(v.limit_value, v.limit_unit)
            cutoff = None if online else v.paper_cutoff
            working = limit.unit in ("working_days", "working_hours")
            legal = cal.seconds_of(limit) if working else (limit._milli * _DAY // 1000 if limit.unit == "calendar_days"
                                                            else limit._milli * 30 * _DAY // 1000)
            budgets = [s.budget for s in v.steps]
            same = all((b.unit in ("working_days", "working_hours")) == working for b in budgets)
            weights = [(cal.seconds_of(b) if working else b._milli) if same else 1 for b in budgets]
            whole = sum(weights) or 1
            found = self._pacing[key] = (limit, cutoff, working, legal, [legal * w / whole for w in weights])
        return found

    def _valid(self, day: dt.date):
        cached = self._valid_cache.get(day)
        if cached is None:
            found = [v for v in self.world.variants
                     if v.valid_from <= day and (v.valid_to is None or v.valid_to >= day)]
            cum, total = [], 0.0
            for v in found:
                total += self.weight[v.pk]
                cum.append(total)
            cached = self._valid_cache[day] = (found, cum)
        return cached

    def online_share(self, mode: str, progress: float) -> float:
        base = self.rates.get(f"online_{mode}", 0.0)
        return base + 0.10 * progress if base else 0.0

    def _pick(self, seq):
        return seq[int(self.rng.random() * len(seq))]

    def _fees(self, v: VariantSpec, inputs: dict | None) -> list[tuple[int, str, str, int]]:
        from motcua.catalog.rules import FeeFormula

        lines = []
        for item in v.fees:
            if item.formula:
                formula = self._formulas.get(item.formula)
                if formula is None:
                    formula = self._formulas[item.formula] = FeeFormula(item.formula)
                amount = formula.evaluate(**(inputs or {}))
            else:
                amount = item.amount or 0
            lines.append((item.order, item.kind, item.name, amount))
        return lines

    # -- days --

    def days(self, dossiers: int) -> Iterator[tuple[dt.date, int, int, int]]:
        """(day, count, lo, hi): how many dossiers are lodged each day, and the day's part of the window."""
        rng, start, until = self.rng, self.start, self.until
        reference = self.world.calendars[min(self.world.calendars)]
        day = _local_date(start)
        last = _local_date(until)
        spans = []
        while day <= last:
            lo = max(start, int(dt.datetime.combine(day, dt.time(0), TZ).timestamp()))
            hi = min(until, int(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), TZ).timestamp()))
            seconds = reference._w(hi) - reference._w(lo) if hi > lo else 0
            if seconds > 0:
                factor = (1.25, 1.05, 1.0, 1.0, 0.9, 0.5, 0.5)[day.weekday()] * rng.uniform(0.75, 1.25)
                spans.append((day, lo, hi, seconds * factor))
            day += dt.timedelta(days=1)
        if not spans:
            raise GenerationError("Khoảng thời gian sinh dữ liệu không có ngày làm việc nào.")
        total = sum(s[3] for s in spans)
        running, given = 0.0, 0
        for day, lo, hi, weight in spans:
            running += weight
            upto = round(dossiers * running / total)
            yield day, upto - given, lo, hi
            given = upto

    # -- one life --

    def life(self, day: dt.date, lo: int, hi: int, progress: float) -> Plan | None:
        rng, world, R = self.rng, self.world, self.rates
        variants, cum = self._valid(day)
        if not variants:
            return None
        v = variants[bisect.bisect_left(cum, rng.random() * cum[-1])]
        if v.competent_unit_id:
            resolving = v.competent_unit_id
        else:
            resolving = rng.choices(world.communes, cum_weights=self.commune_cum)[0]
        cal = world.calendars[resolving]
        w_lo, w_hi = cal._w(lo), cal._w(hi)
        if w_hi - w_lo < 2:
            return None  # not a working day for this agency
        t0 = cal._instant(w_lo + 1 + int(rng.random() * (w_hi - w_lo - 1)))
        if t0 > self.until:
            return None

        # channel, desk, applicant, delivery
        p_online = self.online_share(v.online_mode, progress)
        r = rng.random()
        if r < p_online and resolving in world.online_desk:
            channel = "online"
        elif r < p_online + R["postal"] and v.postal_intake:
            channel = "postal"
        else:
            channel = "in_person"
        if channel == "online":
            desk = world.online_desk[resolving]
        else:
            desk = world.home_desks[resolving][0]
            if (v.boundary_independent and v.level == "commune" and len(world.communes) > 1
                    and rng.random() < R["other_desk"]):
                other = self._pick([c for c in world.communes if c != resolving])
                if world.home_desks.get(other) and world.holder_list(
                        world.desks[world.home_desks[other][0]].host_unit_id, "receptionist"):
                    desk = world.home_desks[other][0]
        host = world.desks[desk].host_unit_id
        kinds = [k for k, ok in (("citizen", v.for_citizens), ("organisation", v.for_organisations)) if ok]
        kind = kinds[0] if len(kinds) == 1 else ("citizen" if rng.random() < 0.8 else "organisation")
        candidates = [a for a in world.applicants if a.kind == kind] or [a for a in world.applicants if a.kind in kinds]
        if not candidates:
            return None
        applicant = self._pick(candidates)
        if channel == "online":
            delivery = "online"
        elif channel == "postal":
            delivery = "post" if v.postal_return else "desk"
        else:
            delivery = "desk"
        if v.postal_return and channel != "postal" and rng.random() < R["post_return"]:
            delivery = "post"
        address = (applicant.address or "Địa chỉ nhận kết quả") if delivery == "post" else ""
        representative = None
        if rng.random() < R["representative"]:
            representative = (self._pick(REPRESENTATIVES), f"038{rng.randrange(10 ** 9):09d}",
                              f"09{rng.randrange(10 ** 8):08d}")
        needs_inputs = any(f.formula for f in v.fees)
        inputs = {"copies": self._pick((1, 1, 1, 2, 3)), "pages": rng.randint(1, 12)} if needs_inputs else None
        fees = self._fees(v, inputs)
        fee_total = sum(f[3] for f in fees)
        docs = [(d.name, d.kind, d.count, d.pk, channel == "online") for d in v.documents
                if d.mandatory or rng.random() < R["optional_document"]]
        if channel == "online" and not docs:
            docs = [(d.name, d.kind, d.count, d.pk, True) for d in v.documents[:1]]
            if not docs:
                return None
        plan = Plan(reference=str(uuid.UUID(int=rng.getrandbits(128), version=4)), variant=v, channel=channel,
                    applicant=applicant, desk=desk, resolving=resolving, delivery=delivery,
                    delivery_address=address, representative=representative, sets=2 if rng.random() < 0.05 else 1,
                    fee_inputs=inputs, fees=fees, documents=docs, commands=[], key=t0)
        _Life(self, plan, cal, host, fee_total, t0).run()
        commands = [c for c in plan.commands if c.at <= self.until]
        accepted = next((c.at for c in commands if c.name == "accept"), None)
        return plan._replace(commands=commands, key=accepted if accepted is not None else t0)


class _Life:
    """Decides one dossier's commands, in time order, from its submission instant ``t0``."""

    def __init__(self, planner: _Planner, plan: Plan, cal: WorkCalendar, host: int, fee_total: int, t0: int):
        self.p, self.plan, self.cal, self.host, self.fee_total, self.t = planner, plan, cal, host, fee_total, t0
        self.rng = planner.rng
        self.w, self.instant, self.hpd = cal._w, cal._instant, cal.hours_per_day
        self.cmds = plan.commands

    # time
    def later(self, seconds: float) -> int:
        """Advance by ``seconds`` of working time (at least one second)."""
        self.t = self.instant(self.w(self.t) + max(1, int(seconds)))
        return self.t

    def later_days(self, lo: float, hi: float) -> int:
        return self.later(self.rng.uniform(lo, hi) * self.hpd)

    def later_minutes(self, lo: float, hi: float) -> int:
        return self.later(self.rng.uniform(lo, hi) * 60)

    def do(self, name: str, actor: Actor | None, **args) -> None:
        self.cmds.append(Cmd(name, self.t, actor.pk if actor else None, args))

    def who(self, unit: int, role: str) -> Actor:
        return self.p._pick(self.p.world.holder_list(unit, role))

    def reason(self, kind: str) -> str:
        return self.p._pick(REASONS[kind])

    # the life
    def run(self) -> None:
        plan, rng, v, R = self.plan, self.rng, self.plan.variant, self.p.rates
        desk_clerk = self.who(self.host, "receptionist")
        online = plan.channel == "online"
        if online:
            self.do("submit_online", None)
        else:
            self.do("register_at_desk", desk_clerk)
        paid_at_intake = self.fee_total > 0 and rng.random() >= R["pay_later"]
        if paid_at_intake and online:
            self.later_minutes(1, 20)
            self.do("record_payment", None, amount=self.fee_total, method="online",
                    reference=f"DVCQG-{rng.randrange(10 ** 12):012d}")
        # the desk decides: online within hours, at the desk within minutes
        if online:
            self.later(min(rng.expovariate(1 / (0.4 * self.hpd)), 2 * self.hpd))
        else:
            self.later_minutes(3, 25)
        r = rng.random()
        if r < R["refuse_intake"]:
            self.do("refuse_intake", desk_clerk, reasons=[self.reason("refuse_intake")])
            return
        if r < R["refuse_intake"] + R["intake_supplement"]:
            missing = self.p._pick(v.documents) if v.documents else None
            name = missing.name if missing else "Giấy tờ theo quy định"
            self.do("request_intake_supplement", desk_clerk, items=[{"name": name, "kind": missing.kind if missing
                                                                    else "original"}],
                    reason=self.reason("intake_supplement"))
            r2 = rng.random()
            if r2 < 0.1:
                self.later_days(5, 12)
                self.do("refuse_intake", desk_clerk, reasons=["Quá thời hạn bổ sung hồ sơ nhưng không bổ sung"])
                return
            if r2 < 0.2:
                self.later_days(0.5, 6)
                self.do("withdraw", desk_clerk, reason=self.reason("withdraw"))
                return
            self.later_days(0.3, 6)
            self.do("record_intake_supplement", desk_clerk,
                    documents=[(name, missing.kind if missing else "original", 1, missing.pk if missing else None,
                                False)])
            self.later_minutes(2, 20)
        self.do("accept", desk_clerk)
        received = self.t
        if paid_at_intake and not online:
            self.later_minutes(1, 10)
            self.do("record_payment", desk_clerk, amount=self.fee_total,
                    method="cash" if rng.random() < 0.7 else "transfer", reference=f"BL-{rng.randrange(10 ** 8):08d}")
        self.process(received, desk_clerk, pay_later=self.fee_total > 0 and not paid_at_intake)

    def process(self, received: int, desk_clerk: Actor, pay_later: bool) -> None:
        plan, rng, v, cal, R = self.plan, self.rng, self.plan.variant, self.cal, self.p.rates
        world = self.p.world
        online = plan.channel == "online"
        limit, cutoff, working, legal, shares = self.p.pacing(v, cal, online)
        pace = self.p.pace[v.pk] * rng.lognormvariate(0, 0.4)
        state = {"due": cal.due_ts(received, limit, (), cutoff), "anchor": received}
        returning = world.desks[plan.desk].host_unit_id
        receiving = returning

        def step_time(k: int) -> float:
            return max(60.0, shares[k] * pace * rng.lognormvariate(0, 0.25))

        def wait(k: int, share: float = 1.0) -> int:
            seconds = step_time(k) * share
            if working:
                return self.later(seconds)
            self.t = cal._next_working(self.t + int(seconds))
            return self.t

        def step_unit(k: int) -> int:
            s = v.steps[k]
            if s.unit_id:
                return s.unit_id
            if s.role == "receptionist":
                return receiving if k == 0 else returning
            return plan.resolving

        leader = self.who(plan.resolving, "leader")
        steps = v.steps
        last = len(steps) - 1
        return_step = steps[last].role == "receptionist" and last > 0
        holder: Actor | None = desk_clerk  # who holds the current step
        k = 0
        first_specialist_done = False
        finish_at = None
        while True:
            s = steps[k]
            unit = step_unit(k)
            following = k + 1 if k + 1 <= last else None
            if s.role in ("receptionist", "specialist") and not (k == last and return_step):
                queue = rng.uniform(0.05, 0.3)  # the share of the step spent before someone takes it
                if holder is None:
                    actor = self.who(unit, s.role)
                    wait(k, queue)
                    if s.role == "specialist" and rng.random() < R["assigned"]:
                        self.do("assign", self.who(unit, "leader"), assignee=actor.pk)
                    else:
                        self.do("claim", actor)
                    holder = actor
                if s.role == "specialist" and not first_specialist_done:
                    first_specialist_done = True
                    outcome = self.appraisal(holder, received, desk_clerk, leader, state, limit, cutoff, pay_later)
                    if outcome == "end":
                        return
                if following is None or (following == last and return_step):
                    return  # a workflow that cannot reach a decision: stays where it is
                wait(k, 1 - queue if s.role == "specialist" or k > 0 else 1)
                self.do("forward", holder, note="")
                holder = None
                k = following
                continue
            if s.role == "leader":
                wait(k)
                previous = k - 1
                if (previous > 0 and steps[previous].role in ("specialist", "receptionist")
                        and rng.random() < R["send_back"]):
                    self.do("send_back", self.who(unit, "leader"), reason=self.reason("send_back"))
                    back_actor = self.last_finisher()
                    wait(previous, rng.uniform(0.1, 0.4))
                    self.do("forward", back_actor or self.who(step_unit(previous), steps[previous].role), note="")
                    wait(k, 0.5)
                actor = self.who(unit, "leader")
                if rng.random() < R["refuse"]:
                    self.do("refuse", actor, reasons=[self.reason("refuse")])
                    finish_at = self.t
                    break
                self.do("approve", actor, note="")
                if following is None or (following == last and return_step):
                    finish_at = self.t
                    break
                holder = None
                k = following
                continue
            if s.role == "clerk":
                wait(k)
                self.do("issue_result", self.who(unit, "clerk"),
                        number=f"{rng.randint(1, 9999)}/{_local_date(self.t):%Y}/KQ")
                finish_at = self.t
                break
            return  # a receptionist step in the middle that services cannot pass: leave it open
        self.maybe_apologise(finish_at, state, leader)
        if return_step:
            if plan.delivery == "online":
                self.later_minutes(2, 90)
            elif plan.delivery == "post":
                self.later_days(0.3, 2)
            else:
                self.later(min(rng.lognormvariate(math.log(0.8 * self.hpd), 0.9), 15 * self.hpd))
            self.do("return_result", self.who(returning, "receptionist"), method=plan.delivery,
                    originals_returned=plan.channel != "online" and rng.random() < 0.5, note="")

    def last_finisher(self) -> Actor | None:
        """Who forwarded the dossier to the leader (services.send_back hands the step back to them)."""
        for c in reversed(self.cmds):
            if c.name == "forward" and c.actor is not None:
                return self.p.world.actors[c.actor]
        return None

    def appraisal(self, specialist: Actor, received: int, desk_clerk: Actor, leader: Actor, state: dict,
                  limit: Duration, cutoff, pay_later: bool) -> str | None:
        """What may happen while the specialist holds the dossier: supplement, payment, withdrawal, stop."""
        rng, cal, v, R = self.rng, self.cal, self.plan.variant, self.p.rates
        if rng.random() < R["supplement"]:
            window_w = rules.SUPPLEMENT_WINDOW_DAYS * self.hpd
            room = window_w - (self.w(self.t) - self.w(received))
            if room > 120:
                self.later(rng.uniform(60, min(room - 60, 2 * self.hpd)))
                doc = self.p._pick(v.documents) if v.documents else None
                name = doc.name if doc else "Giấy tờ chứng minh"
                self.do("request_supplement", specialist,
                        items=[{"name": name, "kind": doc.kind if doc else "original"}], reason=self.reason("supplement"))
                requested = self.t
                r = rng.random()
                if r < R["supplement_never"]:
                    return "end"
                if r < R["supplement_never"] + R["supplement_withdraw"]:
                    self.later_days(1, 10)
                    self.do("withdraw", desk_clerk, reason=self.reason("withdraw"))
                    return "end"
                self.later_days(0.5, 8)
                self.do("record_supplement", desk_clerk,
                        documents=[(name, doc.kind if doc else "original", 1, doc.pk if doc else None, False)])
                if v.supplement_rule == "restart":
                    state["due"] = cal.due_ts(self.t, limit, (), None)
                    state["spans"] = ()
                else:
                    spans = state.get("spans", ()) + ((requested, self.t),)
                    state["spans"] = spans
                    state["due"] = cal.due_ts(received, limit, spans, cutoff)
                state["anchor"] = self.t
        if pay_later:
            self.later_minutes(5, 120)
            self.do("request_payment", specialist, reason="")
            if rng.random() < R["never_pays"]:
                return "end"
            self.later_days(0.2, 3)
            if rng.random() < 0.5:
                self.do("record_payment", None, amount=self.fee_total, method="online",
                        reference=f"DVCQG-{rng.randrange(10 ** 12):012d}")
            else:
                self.do("record_payment", desk_clerk, amount=self.fee_total, method="cash",
                        reference=f"BL-{rng.randrange(10 ** 8):08d}")
        r = rng.random()
        if r < R["withdraw"]:
            self.later_days(0.1, 3)
            self.do("withdraw", desk_clerk, reason=self.reason("withdraw"))
            return "end"
        if r < R["withdraw"] + R["stop"]:
            self.later_days(0.1, 3)
            self.do("stop", leader, reason=self.reason("stop"))
            return "end"
        return None

    def maybe_apologise(self, finish_at: int, state: dict, leader: Actor) -> None:
        """A dossier that will be late: the leader apologises and sets a new date — once, and no later than
        one working day before the due instant (services.apologise refuses anything else)."""
        due = state["due"]
        if finish_at <= due or self.rng.random() >= self.p.rates["apology"]:
            return
        last_allowed = self.instant(self.w(due) - self.hpd)
        lo, hi = state["anchor"], min(last_allowed, finish_at - 1)
        if hi <= lo:
            return
        w_lo, w_hi = self.w(lo), self.w(hi)
        if w_hi - w_lo < 2:
            return
        at = self.instant(w_lo + 1 + int(self.rng.random() * (w_hi - w_lo - 1)))
        if not lo <= at <= hi:
            return
        late_days = math.ceil((self.w(finish_at) - self.w(due)) / self.hpd)
        days = max(1, late_days + self.p._pick((-1, 0, 0, 1, 2)))
        position = len(self.cmds)
        while position > 0 and self.cmds[position - 1].at > at:
            position -= 1
        self.cmds.insert(position, Cmd("apologise", at, leader.pk,
                                       {"reason": self.reason("apology"), "extension": Duration(days, "working_days")}))


def plan(world: World, *, dossiers: int, start: dt.datetime, until: dt.datetime, seed: int = 0,
         rates: dict[str, float] | None = None) -> Iterator[Plan]:
    """The lives of ``dossiers`` dossiers lodged between ``start`` and ``until``, in reception order
    (``rates`` overrides some of ``RATES``)."""
    if dossiers <= 0:
        return
    start_ts, until_ts = _ts(start), _ts(until)
    if until_ts <= start_ts:
        raise GenerationError("Thời điểm kết thúc phải sau thời điểm bắt đầu.")
    planner = _Planner(world, seed, start_ts, until_ts, rates)
    heap: list[tuple[int, int, Plan]] = []
    made = 0
    span = max(1, until_ts - start_ts)
    days = list(planner.days(dossiers))
    for index, (day, count, lo, hi) in enumerate(days):
        produced = 0
        attempts = 0
        while produced < count and attempts < count * 20 + 20:
            attempts += 1
            p = planner.life(day, lo, hi, (lo - start_ts) / span)
            if p is None:
                continue
            produced += 1
            made += 1
            heapq.heappush(heap, (p.key, made, p))
        boundary = days[index + 1][2] if index + 1 < len(days) else None
        while heap and (boundary is None or heap[0][0] < boundary):
            yield heapq.heappop(heap)[2]


# --- the services executor ----------------------------------------------------------------------------


class _NoFiles:
    """A storage that keeps nothing: generated documents record their check (SHA-256, type, size) but no file."""

    def save(self, name, content, max_length=None):
        return ""

    def delete(self, name):
        return None


@dataclass
class Result:
    dossiers: int = 0
    events: int = 0
    seconds: float = 0.0
    states: dict[str, int] = field(default_factory=dict)
    write_seconds: float = 0.0   # bulk: time spent inserting
    wait_seconds: float = 0.0    # bulk: time spent waiting for the rows to be built
    cpu_seconds: float = 0.0     # bulk: CPU time of this process (wall time counts other people's work too)
    builder_cpu_seconds: float = 0.0  # bulk with fork: CPU time of the builder process

    @property
    def rate(self) -> float:
        return self.dossiers / self.seconds if self.seconds > 0 else 0.0


def run_services(world: World, plans: Iterable[Plan], *, progress: Callable[[int], None] | None = None) -> Result:
    """Live every planned life through the real service commands, one command at a time."""
    from unittest import mock

    from django.db import transaction

    from motcua.accounts.models import Applicant, User
    from motcua.catalog.models import ProcedureVariant
    from motcua.dossiers import files, services as s
    from motcua.dossiers.files import Upload
    from motcua.dossiers.models import Dossier
    from motcua.notify.models import OutboxMessage
    from motcua.org.models import Desk, OrgUnit

    cache: dict[tuple[type, int], Any] = {}

    def get(model, pk):
        if pk is None:
            return None
        key = (model, pk)
        if key not in cache:
            qs = model.objects
            if model is ProcedureVariant:
                qs = qs.select_related("version__procedure")
            cache[key] = qs.get(pk=pk)
        return cache[key]

    def uploads(docs):
        return [Upload(name, kind=kind, count=count, required_id=required, content=PLACEHOLDER_PDF if with_file else None)
                for name, kind, count, required, with_file in docs]

    result = Result()
    began = time.perf_counter()
    with mock.patch.object(files, "default_storage", _NoFiles()):
        for p in plans:
            with transaction.atomic():
                d = None
                for c in p.commands:
                    at = dt.datetime.fromtimestamp(c.at, TZ)
                    actor = get(User, c.actor)
                    a = c.args
                    if c.name in ("submit_online", "register_at_desk"):
                        common = dict(resolving_unit=get(OrgUnit, p.resolving), delivery=p.delivery,
                                      delivery_address=p.delivery_address, documents=uploads(p.documents),
                                      representative=s.Representative(*p.representative) if p.representative else None,
                                      sets=p.sets, fee_inputs=p.fee_inputs, at=at, reference=uuid.UUID(p.reference))
                        if c.name == "submit_online":
                            d = s.submit_online(get(Applicant, p.applicant.pk), get(ProcedureVariant, p.variant.pk),
                                                actor=actor, **common)
                        else:
                            d = s.register_at_desk(actor, get(Desk, p.desk), get(Applicant, p.applicant.pk),
                                                   get(ProcedureVariant, p.variant.pk), channel=p.channel, **common)
                        continue
                    pk = d.pk
                    if c.name == "assign":
                        s.assign(pk, actor, assignee=get(User, a["assignee"]), at=at)
                    elif c.name in ("record_supplement", "record_intake_supplement", "accept"):
                        getattr(s, c.name)(pk, actor, documents=uploads(a.get("documents", ())), at=at)
                    else:
                        getattr(s, c.name)(pk, actor, at=at, **a)
                OutboxMessage.objects.filter(dossier_reference=p.reference).delete()
                result.dossiers += 1
                result.events += len(p.commands)
                if progress:
                    progress(result.dossiers)
    result.seconds = time.perf_counter() - began
    result.states = _states(Dossier)
    return result


def _states(Dossier) -> dict[str, int]:
    from django.db.models import Count

    return dict(Dossier.objects.values_list("state").annotate(n=Count("id")).order_by("state"))


# --- the bulk executor: the same commands on rows in memory -------------------------------------------
#
# A dossier is held as the ledger sees it: its row and its child rows as JSON values
# (``ledger._row``), and the JSON text of each of them, computed once per version. Every event's
# before/after fragment (format 2: changed dossier fields, changed child rows by primary key) is then
# assembled from those texts, exactly as ``ledger._canonical`` would print it, and hashed as
# ``ledger.link_hash`` does: the same canonical text the services path stores, byte for byte.

_MODELS: dict[str, Any] = {}
_TEMPLATES: dict[str, dict] = {}
COLLECTION_KEYS = ("steps", "tasks", "supplements", "extension", "documents", "fees", "payments")
_TABLE_KEYS = ("dossier", *COLLECTION_KEYS)
_KEY_PREFIX = {key: f'"{key}":' for key in _TABLE_KEYS}
_FIELD_PREFIX: dict[str, str] = {}  # dossier field → '"field":'

try:  # the C encoder behind json.dumps, called without json.dumps's per-call set-up
    from json.encoder import c_encode_basestring as _encode_str, c_make_encoder

    _ENCODER = c_make_encoder(None, None, _encode_str, None, ":", ",", True, False, True)
    # Rows are built from templates whose keys are already in sorted order (and keep it: only
    # existing keys are ever set), so they are printed without sorting them again.
    _ROW_ENCODER = c_make_encoder(None, None, _encode_str, None, ":", ",", False, False, True)

    def _canon(value) -> str:
        """``ledger._canonical(value)``, as text."""
        return "".join(_ENCODER(value, 0))

    def _sorted_canon(value: dict) -> str:
        """``_canon`` of a dict whose keys (at every level) are in sorted order."""
        return _ROW_ENCODER(value, 0)[0]
except (ImportError, TypeError):  # pragma: no cover - CPython always has it
    from json.encoder import py_encode_basestring as _encode_str

    def _canon(value) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    _sorted_canon = _canon


def _value_text(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    return _canon(value)


def _stored(model) -> list:
    """The columns a row is written with: not those the database computes (triggers, dossiers.settled)."""
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.settled import COMPUTED

    return [f for f in model._meta.concrete_fields if not (model is Dossier and f.attname in COMPUTED)]


def _setup() -> None:
    """Row templates: every concrete field with its default, as ``ledger.snapshot`` renders it."""
    if _TEMPLATES:
        return
    from motcua.dossiers import ledger
    from motcua.dossiers.models import Dossier, LedgerEvent

    if tuple(ledger.COLLECTIONS) != COLLECTION_KEYS:
        raise RuntimeError("ledger.COLLECTIONS changed: update dossiers/generate.py")
    _MODELS["dossier"] = Dossier
    _MODELS.update(ledger.COLLECTIONS)
    _MODELS["events"] = LedgerEvent
    _TEMPLATES["dossier"] = dict(sorted(ledger._row(Dossier(), ledger._DOSSIER_META).items()))
    _FIELD_PREFIX.update({k: _encode_str(k) + ":" for k in _TEMPLATES["dossier"]})
    columns = [f.attname for f in _stored(Dossier)]
    if columns[0] != "id":
        raise RuntimeError("Dossier's first column is not its id: update dossiers/generate.py")
    _DOSSIER_COLUMN.update({name: i for i, name in enumerate(columns)})
    _WIDTH.update({key: len(_stored(model)) for key, model in _MODELS.items()})
    for key, model in ledger.COLLECTIONS.items():
        _TEMPLATES[key] = dict(sorted(ledger._row(model()).items()))


class _Row(dict):
    """A child row as ``ledger.snapshot`` renders it (keys in sorted order), with its canonical JSON text
    cached. Never changed once in a collection: a change makes a new row, so the row as it was before
    the command stays intact for the event's ``before``. Each table's rows have their own subclass
    (``_row_type``: ``table`` names it), so that a row's text can be printed by its table's encoder."""

    __slots__ = ("text",)
    nested = False
    table = ""


class _NestedRow(_Row):
    """A row holding JSON objects (a supplement request's items, in the order services wrote them):
    printed with its keys sorted at every level."""

    __slots__ = ()
    nested = True


_NESTED = {"supplements"}
_ROW_TYPES: dict[str, type] = {}


def _row_type(key: str) -> type:
    found = _ROW_TYPES.get(key)
    if found is None:
        base = _NestedRow if key in _NESTED else _Row
        found = _ROW_TYPES[key] = type(f"_Row_{key}", (base,), {"__slots__": (), "table": key})
    return found


def _new_row(key: str, **values) -> _Row:
    row = _row_type(key)(_TEMPLATES[key])
    row.update(values)
    row.text = None
    return row


def _changed(row: _Row, **values) -> _Row:
    new = type(row)(row)
    new.update(values)
    new.text = None
    return new


def _row_text(row: _Row) -> str:
    text = row.text
    if text is None:
        text = row.text = _canon(row) if row.nested else _sorted_canon(row)
    return text


_DAYS: dict[int, str] = {}
_ISO: dict[int, str] = {}
_chained = itertools.chain.from_iterable


def _iso(ts: int | None) -> str | None:
    """``ledger._to_json`` of the instant ``ts`` (UTC, whole seconds)."""
    text = _ISO.get(ts)
    if text is None:
        if ts is None:
            return None
        if len(_ISO) > 500_000:
            _ISO.clear()
        text = _ISO[ts] = _iso_of(ts)
    return text


_CLOCK = [f"T{m // 60:02d}:{m % 60:02d}:" for m in range(1440)]  # minute of the day → "THH:MM:"
_SECONDS = [f"{s:02d}+00:00" for s in range(60)]


def _iso_of(ts: int) -> str:
    day, second = divmod(ts, _DAY)
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = time.strftime("%Y-%m-%d", time.gmtime(day * _DAY))
    minute, second = divmod(second, 60)  # pieces from tables: the builder prints a dozen new instants per dossier
    return text + _CLOCK[minute] + _SECONDS[second]


_DECIMALS: dict[Any, str] = {}  # a handful of time limits and extensions: printed once each


def _decimal_json(value) -> str:
    found = _DECIMALS.get(value)
    if found is None:
        from motcua.dossiers.ledger import _to_json

        found = _DECIMALS[value] = _to_json(Decimal(value))
    return found


class _Numbers:
    """The next primary key of each table and the counters (dossiers_counter), as services would take them."""

    def __init__(self, ids: dict[str, int], counters: dict[str, int]):
        self.ids = dict(ids)
        self.counters = dict(counters)
        self.dirty: dict[str, int] = {}

    def id(self, key: str) -> int:
        value = self.ids[key]
        self.ids[key] = value + 1
        return value

    def count(self, key: str) -> int:
        value = self.counters.get(key, 0) + 1
        self.counters[key] = self.dirty[key] = value
        return value


def _converters(vendor: str) -> dict[str, list[tuple[int, Callable]]]:
    """How each column's JSON value becomes an SQL parameter, as Django's fields would prepare it:
    (position, function) of the columns that need it."""
    from django.db import models

    sqlite = vendor == "sqlite"

    cache: dict[str, str] = {}

    def sqlite_datetime(value):  # DatabaseOperations.adapt_datetimefield_value: naive UTC, no "T"
        found = cache.get(value)
        if found is None:
            if value is None:
                return None
            if len(value) != 25 or not value.endswith("+00:00"):
                raise RuntimeError(f"generate: unexpected instant {value!r}")
            if len(cache) > 500_000:
                cache.clear()
            found = cache[value] = value[:10] + " " + value[11:19]
        return found

    result = {}
    for key in (*_TABLE_KEYS, "events"):
        columns = []
        for position, f in enumerate(_stored(_MODELS[key])):
            convert = None
            if isinstance(f, models.DateTimeField) and sqlite:
                convert = sqlite_datetime
            elif isinstance(f, models.UUIDField) and sqlite:
                convert = lambda v: v and v.replace("-", "")  # noqa: E731  (UUID.hex of str(UUID))
            elif isinstance(f, models.JSONField):
                convert = json.dumps  # JSONField.get_db_prep_value
            if convert is not None:
                columns.append((position, convert))
        result[key] = columns
    return result


class _Sim:
    """Replays planned commands the way ``dossiers.services`` executes them, on rows in memory.

    Each ``c_<command>`` mirrors its service command (same fields, same order of numbering, the same
    calendar functions); tests/test_generate.py proves the outcome identical, row for row."""

    def __init__(self, world: World, numbers: _Numbers, vendor: str):
        _setup()
        from motcua.dossiers import report_facts
        from motcua.dossiers.services import _contact, _items, _reason
        from motcua.text import nfc

        self.world, self.numbers = world, numbers
        self._items, self._reason, self.nfc = _items, _reason, nfc
        self.supplement_facts, self.processing = report_facts.supplement_facts, report_facts.PROCESSING
        self.seconds_between = report_facts.seconds_between
        self.contacts = {a.pk: _contact(a.email, a.phone) for a in world.applicants}  # as services._create
        from operator import itemgetter

        self.columns = {key: itemgetter(*[f.attname for f in _stored(_MODELS[key])])
                        for key in _TABLE_KEYS}
        self.usernames = {pk: a.username for pk, a in world.actors.items()}
        self.all_null = "{" + ",".join(f'"{k}":null' for k in _TEMPLATES["dossier"]) + "}"
        self.out: dict[str, list] = {key: [] for key in (*_TABLE_KEYS, "events")}
        self.dossiers = 0
        self.digest_pdf = hashlib.sha256(PLACEHOLDER_PDF).hexdigest()
        self.limits: dict[tuple, Duration] = {}
        self.weights: dict[tuple, Any] = {}

    # -- one dossier --

    def run(self, p: Plan) -> None:
        self.p, self.v = p, p.variant
        self.cal = self.world.calendars[p.resolving]
        self.ref = p.reference
        self.cols: dict[str, list] = {key: [] for key in COLLECTION_KEYS}
        self.events: list[list] = []
        self.cur: int | None = None           # index of the current step in cols["steps"]
        self.clock_start = self.cutoff = self.ext_due = None
        self.paid_online: str | None = None   # the first online payment (Dossier.paid_online_at)
        self.e_intake: str | None = None      # the first lodged / result file (Dossier.e_intake_at, e_result_at)
        self.e_result: str | None = None
        self.due: int | None = None
        self.spans: tuple = ()
        self.splan: dict[int, str] | None = None
        for c in p.commands:
            getattr(self, "c_" + c.name)(c)
        self.flush_dossier()

    def flush_dossier(self) -> None:
        d = self.d
        d["version"], d["ledger_length"], d["ledger_head"] = len(self.events) - 1, len(self.events), None
        # the report facts services store as they save (ledger.DERIVED: not in the events above)
        finished, parse = d["finished_at"], dt.datetime.fromisoformat
        d["timeliness"] = None if finished is None else timeliness.pack(
            parse(finished), d["due_at"] and parse(d["due_at"]), d["original_due_at"] and parse(d["original_due_at"]),
            d["state"] in timeliness.WITHDRAWN)
        d["paid_online_at"] = self.paid_online
        start = d["clock_start"] or d["received_at"]
        d["elapsed_seconds"], d["allowed_seconds"] = self.seconds_between(
            finished and parse(finished), d["due_at"] and parse(d["due_at"]), start and parse(start))
        # reused_at links the applicant's dossiers: set in SQL once they are all written (run_bulk)
        d["e_intake_at"], d["e_result_at"], d["reused_at"] = self.e_intake, self.e_result, None
        d["supplement_at"], d["supplemented_at"], d["supplement_again_at"] = self.supplement_facts(
            (s["requested_at"], s["completed_at"], s["id"]) for s in self.cols["supplements"]
            if s["stage"] == self.processing)  # instants as ISO text: the same order
        d["feedback_at"] = d["disliked_at"] = None  # the generator writes no feedback or ratings
        out = self.out  # each table's rows end to end in one flat list (cheap to hand between processes)
        columns, cols = self.columns, self.cols
        out["dossier"].extend(columns["dossier"](d))
        for key in COLLECTION_KEYS:
            rows = cols[key]
            if rows:
                out[key].extend(_chained(map(columns[key], rows)))
        out["events"].extend(_chained(self.events))
        self.dossiers += 1

    # -- the dossier row and the ledger --

    def put(self, key: str, value) -> None:
        """Set a dossier field, remembering what it was before the command."""
        if key not in self.old:
            self.old[key] = self.d[key]
        self.d[key] = value

    def begin(self) -> None:
        self.old: dict[str, Any] = {}
        self.log: dict[str, dict[int, _Row | None]] = {}  # collection → {position: the row before (None: new)}

    def add_rows(self, key: str, rows: list[_Row]) -> None:
        col = self.cols[key]
        log = self.log.setdefault(key, {})
        for row in rows:
            log[len(col)] = None
            col.append(row)

    def replace_row(self, key: str, index: int, row: _Row) -> None:
        col = self.cols[key]
        log = self.log.setdefault(key, {})
        if index not in log:
            log[index] = col[index]
        col[index] = row

    def event(self, type_: str, actor: int | None, at: int, reason: str = "", first: bool = False) -> None:
        """ledger.append: the diff as canonical before/after fragments (format 2: the changed dossier
        fields, the changed child rows by primary key); ``_chain`` adds the hashes."""
        d = self.d
        if first:  # every field, from nothing (the template keeps the keys sorted)
            parts = [('"dossier":', self.all_null, _sorted_canon(d))]  # (key, before, after)
        else:
            parts = []
            before = self.old
            changed = [k for k, value in before.items() if value != d[k]]
            if changed:
                if len(changed) > 1:
                    changed.sort()
                prefix, text = _FIELD_PREFIX, _value_text
                parts.append(('"dossier":', "{" + ",".join([prefix[k] + text(before[k]) for k in changed]) + "}",
                              "{" + ",".join([prefix[k] + text(d[k]) for k in changed]) + "}"))
        log = self.log
        if log:
            cols = self.cols
            for key, changes in log.items():
                col = cols[key]
                rows = []
                for i, was in changes.items():
                    row = col[i]
                    if was is None:
                        rows.append(('"%d":' % row["id"], "null", _row_text(row)))
                    elif was is not row and was != row:
                        rows.append(('"%d":' % row["id"], _row_text(was), _row_text(row)))
                if rows:
                    if len(rows) > 1:
                        rows.sort()  # canonical JSON orders the keys as text ("10" before "9")
                    parts.append((_KEY_PREFIX[key], "{" + ",".join([k + t for k, t, _ in rows]) + "}",
                                  "{" + ",".join([k + t for k, _, t in rows]) + "}"))
            if len(parts) > 1:
                parts.sort()
        ids = self.numbers.ids
        event_id = ids["events"]
        ids["events"] = event_id + 1
        events = self.events
        if len(parts) == 1:
            (key, old, new), = parts
            old, new = "{" + key + old + "}", "{" + key + new + "}"
        else:
            old = "{" + ",".join([k + b for k, b, _ in parts]) + "}"
            new = "{" + ",".join([k + a for k, _, a in parts]) + "}"
        events.append((event_id, d["id"], len(events) + 1, type_, actor,
                       self.usernames[actor] if actor is not None else "", _iso(at), old, new, reason, None, None))

    # -- the clock (services.deadline_of, _plan, _refresh_due) --

    def deadline(self) -> tuple[int, int]:
        """(due, computed due) from the clock start, the limit, the pauses and the extension."""
        computed = self.cal.due_ts(self.clock_start, self.limit, self.spans, self.cutoff)
        return (self.ext_due if self.ext_due is not None else computed), computed

    def step_plan(self) -> dict[int, str]:
        """services._plan: each workflow step's due instant (kept until the clock changes)."""
        if self.splan is None:
            steps = self.v.steps
            try:
                dues = [_iso(x) for x in self.step_dues()]
            except CalendarError:
                dues = [_iso(self.deadline()[1])] * len(steps)
            self.splan = {s.order: due for s, due in zip(steps, dues)}
        return self.splan

    def step_dues(self) -> list[int]:
        """``calendar.deadline.step_dues`` on epoch seconds (the same arithmetic, without datetimes;
        tests/test_generate.py holds the two to the same result)."""
        cal, total, spans = self.cal, self.limit, self.spans
        key = (id(cal), self.v.pk, total.unit)
        weights = self.weights.get(key)
        if weights is None:
            try:
                weights = self.weights[key] = [_weight(cal, s.budget, total) for s in self.v.steps]
            except CalendarError as exc:
                weights = self.weights[key] = exc
        if isinstance(weights, CalendarError):
            raise weights
        if not weights:
            raise CalendarError("no steps")
        whole = sum(weights)
        ts = self.clock_start
        cut = None if self.cutoff is None else self.cutoff.hour * 3600 + self.cutoff.minute * 60 + self.cutoff.second
        results, running = [], 0
        if total.unit in ("working_days", "working_hours"):
            w0 = cal._start_w(ts, cut)
            amount = cal._amount(total)
            for weight in weights:
                running += weight
                results.append(cal._instant(cal._paused_target(w0, w0 + amount * running // whole, spans)))
            return results
        begin = cal._start_moment(ts, cut)
        end = cal._due_ts(ts, total, (), cut)
        for weight in weights:
            running += weight
            results.append(cal._next_working(cal._paused_end(begin, begin + (end - begin) * running // whole, spans)))
        results[-1] = cal._due_ts(ts, total, spans, cut)
        return results

    # -- steps (services._open_step, _take, _finish, _close_open_step) --

    def step_unit(self, ws: StepSpec) -> int:
        if ws.unit_id:
            return ws.unit_id
        if ws.role == "receptionist":
            return self.d["receiving_unit_id"] if ws.order == self.v.steps[0].order else self.d["returning_unit_id"]
        return self.d["resolving_unit_id"]

    def open_step(self, ws: StepSpec, at: int, assignee: int | None = None) -> None:
        steps = self.cols["steps"]
        row = _new_row("steps", id=self.numbers.id("steps"), dossier_id=self.d["id"], seq=len(steps) + 1,
                       order=ws.order, name=ws.name, role=ws.role, unit_id=self.step_unit(ws),
                       due_at=self.step_plan().get(ws.order), assignee_id=assignee, started_at=_iso(at))
        self.add_rows("steps", [row])
        self.cur = len(steps) - 1
        self.put("current_step_id", row["id"])

    def current(self) -> _Row:
        if self.cur is None:
            raise RuntimeError("generate: the plan acts on a dossier without a current step")
        return self.cols["steps"][self.cur]

    def set_step(self, **values) -> None:
        self.replace_row("steps", self.cur, _changed(self.cols["steps"][self.cur], **values))

    def take_and_finish(self, actor: int, at: int, outcome: str, note: str = "") -> _Row:
        step = self.current()
        assignee = step["assignee_id"] if step["assignee_id"] is not None else actor
        self.set_step(assignee_id=assignee, finished_at=_iso(at), finished_by_id=actor, outcome=outcome,
                      note=self.nfc(note or ""))
        return step

    def take(self, actor: int) -> None:
        if self.current()["assignee_id"] is None:
            self.set_step(assignee_id=actor)

    def leave_step(self) -> None:
        self.cur = None
        self.put("current_step_id", None)

    def after(self, order: int) -> StepSpec | None:
        return next((s for s in self.v.steps if s.order > order), None)

    def is_return_step(self, ws: StepSpec) -> bool:
        steps = self.v.steps
        return ws.role == "receptionist" and ws.order == steps[-1].order and len(steps) > 1

    def open_return_step(self, at: int) -> None:
        last = self.v.steps[-1]
        if self.is_return_step(last):
            self.open_step(last, at)
        else:
            self.leave_step()

    def result_ready(self, at: int) -> None:
        self.put("state", "result_ready")
        self.put("outcome", "granted")
        self.put("finished_at", _iso(at))
        self.put("result_issued_at", self.d["result_issued_at"] or _iso(at))
        self.open_return_step(at)

    def close_open_step(self, actor: int, at: int) -> None:
        if self.d["current_step_id"]:
            if self.current()["finished_at"] is None:
                self.set_step(finished_at=_iso(at), finished_by_id=actor, outcome="closed", note="")
            self.leave_step()

    # -- documents, supplements --

    def add_documents(self, docs, stage: str, at: int) -> None:
        rows = []
        for raw, kind, count, required, with_file in docs:
            name = self.nfc(raw or "")
            stored = {}
            if with_file:  # checked, hashed, not kept (run_services stores through _NoFiles)
                stored = {"file": "", "sha256": self.digest_pdf, "content_type": "application/pdf",
                          "size": len(PLACEHOLDER_PDF), "file_name": raw[:255]}
            rows.append(_new_row("documents", id=self.numbers.id("documents"), dossier_id=self.d["id"],
                                 required_id=required, stage=stage, name=name[:1000], kind=kind, count=int(count),
                                 added_at=_iso(at), **stored))
        self.add_rows("documents", rows)
        if any(r["sha256"] for r in rows):  # report_facts.documents_added (lives run forward: the first is the least)
            if stage == "result":
                self.e_result = self.e_result or _iso(at)
            else:
                self.e_intake = self.e_intake or _iso(at)

    def supplement(self, stage: str, actor: int, at: int, items, reason: str) -> None:
        listed = self._items(items)
        key = f"form02:{self.d['receiving_unit_id']}:{_local_date(at).year}"
        row = _new_row("supplements", id=self.numbers.id("supplements"), dossier_id=self.d["id"], stage=stage,
                       number=f"{self.numbers.count(key)}/HDHS", requested_at=_iso(at), requested_by_id=actor,
                       items=listed, reason=reason)
        self.add_rows("supplements", [row])

    def close_supplement(self, actor: int, at: int, stage: str | None) -> tuple[int, int] | None:
        sups = self.cols["supplements"]
        for i, s in enumerate(sups):
            if s["completed_at"] is None and (stage is None or s["stage"] == stage):
                self.replace_row("supplements", i, _changed(s, completed_at=_iso(at), completed_by_id=actor))
                return _ts(dt.datetime.fromisoformat(s["requested_at"])), at
        if stage is not None:
            raise RuntimeError("generate: the plan records a supplement nobody asked for")
        return None

    def reasons_text(self, reasons) -> str:
        reasons = [reasons] if isinstance(reasons, str) else list(reasons or [])
        return "\n".join(self.nfc(r).strip() for r in reasons if self.nfc(r or "").strip())

    # -- the commands --

    def create(self, c: Cmd, event: str) -> None:
        p, v = self.p, self.v
        online = p.channel == "online" and v.online_limit_value is not None
        desk = self.world.desks[p.desk]
        rep = p.representative or ("", "", "")
        nfc = self.nfc
        limit_value, limit_unit = (v.online_limit_value, v.online_limit_unit) if online else (v.limit_value,
                                                                                              v.limit_unit)
        d = dict(_TEMPLATES["dossier"])
        d.update(
            id=self.numbers.id("dossier"), reference=self.ref, channel=p.channel, state="submitted",
            procedure_version_id=v.version_pk, variant_id=v.pk, applicant_id=p.applicant.pk,
            representative_name=nfc(rep[0])[:255], representative_id_number=nfc(rep[1])[:20],
            representative_phone=nfc(rep[2])[:20], contact_email=self.contacts[p.applicant.pk][0],
            contact_phone=self.contacts[p.applicant.pk][1], receiving_desk_id=desk.pk,
            receiving_unit_id=desk.host_unit_id, resolving_unit_id=p.resolving, returning_unit_id=desk.host_unit_id,
            delivery=p.delivery, delivery_address=nfc(p.delivery_address or "")[:255], sets=int(p.sets),
            idempotency_key=None, submitted_at=_iso(c.at), limit_value=_decimal_json(limit_value),
            limit_unit=limit_unit, supplement_rule=v.supplement_rule, fee_total=sum(f[3] for f in p.fees),
        )
        key = (limit_value, limit_unit)
        self.limit = self.limits.get(key) or self.limits.setdefault(key, Duration(limit_value, limit_unit))
        self.d = d
        self.begin()
        self.add_rows("fees", [_new_row("fees", id=self.numbers.id("fees"), dossier_id=d["id"], order=order,
                                      kind=kind, name=name, amount=amount) for order, kind, name, amount in p.fees])
        self.add_documents(p.documents, "intake", c.at)
        self.event(event, c.actor, c.at, first=True)

    def c_submit_online(self, c: Cmd) -> None:
        self.create(c, "submitted")

    def c_register_at_desk(self, c: Cmd) -> None:
        self.create(c, "registered")

    def c_accept(self, c: Cmd) -> None:
        self.begin()
        d, v = self.d, self.v
        day = _local_date(c.at)
        identifier = self.world.units[d["receiving_unit_id"]].identifier
        self.put("code", rules.dossier_code(identifier, day, self.numbers.count(f"code:{identifier}:{day:%y%m%d}")))
        self.put("book_year", day.year)
        self.put("book_number", self.numbers.count(f"book:{d['receiving_unit_id']}:{day.year}"))
        self.put("regime", rules.regime_on(day))
        self.put("received_at", _iso(c.at))
        self.put("clock_start", _iso(c.at))
        paper = d["channel"] != "online"
        self.clock_start, self.cutoff, self.splan = c.at, v.paper_cutoff if paper else None, None
        self.put("cutoff", self.cutoff.isoformat() if self.cutoff is not None else None)
        self.due = self.deadline()[0]
        self.put("due_at", _iso(self.due))
        self.put("original_due_at", _iso(self.due))
        self.put("transfer_due_at", _iso(_ts(self.cal.transfer_due(dt.datetime.fromtimestamp(c.at, TZ),
                                                                   v.paper_cutoff))) if paper else None)
        self.put("state", "received")
        self.add_documents(c.args.get("documents", ()), "intake", c.at)
        self.open_step(v.steps[0], c.at, assignee=c.actor)
        self.event("accepted", c.actor, c.at)

    def c_request_intake_supplement(self, c: Cmd) -> None:
        self.begin()
        reason = self._reason(c.args["reason"], "lý do cần bổ sung")
        self.supplement("intake", c.actor, c.at, c.args["items"], reason)
        self.put("state", "intake_supplement")
        self.event("intake_supplement_requested", c.actor, c.at, reason)

    def c_record_intake_supplement(self, c: Cmd) -> None:
        self.begin()
        self.close_supplement(c.actor, c.at, "intake")
        self.add_documents(c.args.get("documents", ()), "supplement", c.at)
        self.put("state", "submitted")
        self.event("intake_supplement_recorded", c.actor, c.at)

    def c_refuse_intake(self, c: Cmd) -> None:
        self.begin()
        reason = self._reason(self.reasons_text(c.args["reasons"]), "lý do từ chối")
        self.put("state", "intake_refused")
        self.put("finished_at", _iso(c.at))
        self.close_supplement(c.actor, c.at, None)
        self.event("intake_refused", c.actor, c.at, reason)

    def c_claim(self, c: Cmd) -> None:
        self.begin()
        self.set_step(assignee_id=c.actor)
        self.event("claimed", c.actor, c.at)

    def c_assign(self, c: Cmd) -> None:
        self.begin()
        assignee = c.args["assignee"]
        self.set_step(assignee_id=assignee)
        self.event("assigned", c.actor, c.at, f"Giao cho {self.world.actors[assignee].username}")

    def c_forward(self, c: Cmd) -> None:
        note = c.args.get("note", "")
        self.begin()
        step = self.take_and_finish(c.actor, c.at, "forwarded", note)
        self.open_step(self.after(step["order"]), c.at)
        self.put("state", "processing")
        self.event("forwarded", c.actor, c.at, self.nfc(note or ""))

    def c_send_back(self, c: Cmd) -> None:
        self.begin()
        reason = self._reason(c.args["reason"], "lý do trả lại")
        step = self.take_and_finish(c.actor, c.at, "sent_back", reason)
        previous = next(s for s in reversed(self.v.steps) if s.order < step["order"])
        earlier = [s for s in self.cols["steps"] if s["order"] == previous.order and s["finished_by_id"] is not None]
        earlier.sort(key=lambda s: -s["seq"])
        self.open_step(previous, c.at, assignee=earlier[0]["finished_by_id"] if earlier else None)
        self.event("sent_back", c.actor, c.at, reason)

    def c_approve(self, c: Cmd) -> None:
        note = c.args.get("note", "")
        self.begin()
        step = self.take_and_finish(c.actor, c.at, "approved", note)
        following = self.after(step["order"])
        if following is None or self.is_return_step(following):
            self.result_ready(c.at)
        else:
            self.open_step(following, c.at)
        self.event("approved", c.actor, c.at, self.nfc(note or ""))

    def c_refuse(self, c: Cmd) -> None:
        self.begin()
        reason = self._reason(self.reasons_text(c.args["reasons"]), "lý do từ chối giải quyết")
        self.take_and_finish(c.actor, c.at, "refused", reason)
        self.put("state", "refused")
        self.put("outcome", "refused")
        self.put("finished_at", _iso(c.at))
        self.open_return_step(c.at)
        self.event("refused", c.actor, c.at, reason)

    def c_issue_result(self, c: Cmd) -> None:
        self.begin()
        number = self.nfc(c.args["number"] or "").strip()
        self.take_and_finish(c.actor, c.at, "issued")
        self.put("result_number", number[:100])
        self.put("result_issued_at", _iso(c.at))
        self.result_ready(c.at)
        self.event("result_issued", c.actor, c.at)

    def c_return_result(self, c: Cmd) -> None:
        a = c.args
        self.begin()
        if self.d["current_step_id"]:
            self.take_and_finish(c.actor, c.at, "returned", a.get("note", ""))
            self.leave_step()
        self.put("returned_at", _iso(c.at))
        self.put("return_method", a["method"])
        self.put("originals_returned", bool(a.get("originals_returned", False)))
        if self.d["state"] == "result_ready":
            self.put("state", "returned")
        self.event("result_returned", c.actor, c.at, self.nfc(a.get("note", "") or ""))

    def c_request_supplement(self, c: Cmd) -> None:
        self.begin()
        self.take(c.actor)
        reason = self._reason(c.args["reason"], "lý do cần bổ sung")
        self.supplement("processing", c.actor, c.at, c.args["items"], reason)
        self.put("state", "awaiting_supplement")
        self.event("supplement_requested", c.actor, c.at, reason)

    def c_record_supplement(self, c: Cmd) -> None:
        self.begin()
        span = self.close_supplement(c.actor, c.at, "processing")
        self.add_documents(c.args.get("documents", ()), "supplement", c.at)
        if self.d["supplement_rule"] == "restart":
            self.clock_start, self.cutoff = c.at, None
            self.put("clock_start", _iso(c.at))
            self.put("cutoff", None)
        elif self.d["supplement_rule"] == "pause":
            self.spans = tuple(sorted(self.spans + (span,)))
        self.splan = None
        self.put("state", "processing")
        self.due = self.deadline()[0]
        self.put("due_at", _iso(self.due))
        if self.d["current_step_id"]:
            self.set_step(due_at=self.step_plan().get(self.current()["order"], self.d["due_at"]))
        self.event("supplement_recorded", c.actor, c.at)

    def c_apologise(self, c: Cmd) -> None:
        self.begin()
        reason = self._reason(c.args["reason"], "lý do chậm trả kết quả")
        extension: Duration = c.args["extension"]
        due = self.due
        if c.at > self.cal._instant(self.cal._w(due) - self.cal.hours_per_day):
            raise RuntimeError("generate: the plan apologises too late")
        new_due = self.cal.due_ts(due, extension)
        key = f"form04:{self.d['resolving_unit_id']}:{_local_date(c.at).year}"
        if self.cols["extension"]:
            raise RuntimeError("generate: the plan apologises twice")
        self.add_rows("extension", [_new_row(
            "extension", id=self.numbers.id("extension"), dossier_id=self.d["id"],
            number=f"{self.numbers.count(key)}/XL", requested_at=_iso(c.at), requested_by_id=c.actor, reason=reason,
            by_value=_decimal_json(extension.value), by_unit=extension.unit, previous_due_at=_iso(due),
            new_due_at=_iso(new_due))])
        self.ext_due = self.due = new_due
        self.put("due_at", _iso(new_due))
        self.event("apologised", c.actor, c.at, reason)

    def c_withdraw(self, c: Cmd) -> None:
        self.finish_early(c, "withdrawn", "lý do rút hồ sơ")

    def c_stop(self, c: Cmd) -> None:
        self.finish_early(c, "stopped", "lý do dừng giải quyết")

    def finish_early(self, c: Cmd, state: str, what: str) -> None:
        self.begin()
        reason = self._reason(c.args["reason"], what)
        self.close_open_step(c.actor, c.at)
        self.put("state", state)
        self.put("finished_at", _iso(c.at))
        self.event(state, c.actor, c.at, reason)

    def c_request_payment(self, c: Cmd) -> None:
        self.begin()
        self.take(c.actor)
        self.put("state", "awaiting_payment")
        self.event("payment_requested", c.actor, c.at, self.nfc(c.args.get("reason", "") or ""))

    def c_record_payment(self, c: Cmd) -> None:
        a = c.args
        reference = self.nfc(a["reference"] or "").strip()
        self.begin()
        row = _new_row("payments", id=self.numbers.id("payments"), dossier_id=self.d["id"], amount=a["amount"],
                       method=a["method"], reference=reference[:100], paid_at=_iso(c.at))
        self.add_rows("payments", [row])
        if a["method"] == "online" and self.paid_online is None:
            self.paid_online = _iso(c.at)
        self.put("fee_paid", self.d["fee_paid"] + a["amount"])
        if self.d["state"] == "awaiting_payment" and self.d["fee_paid"] >= self.d["fee_total"]:
            self.put("state", "processing")
        self.event("payment_recorded", c.actor, c.at, self.nfc(reference))

    # -- batches --

    def take_batch(self) -> dict[str, Any]:
        """The rows built since the last batch (JSON values, each table's rows in one flat list), the
        counters they moved, the next ids."""
        out, self.out = self.out, {key: [] for key in (*_TABLE_KEYS, "events")}
        batch = {"rows": out, "dossiers": self.dossiers, "counters": self.numbers.dirty,
                 "next_ids": dict(self.numbers.ids)}
        self.numbers.dirty = {}
        self.dossiers = 0
        return batch


# --- writing -----------------------------------------------------------------------------------------


def _chain(batch: dict[str, Any]) -> None:
    """ledger.append's hash chain over a built batch: each event's prev_hash and hash (``ledger.link_hash``
    over the canonical fragments, as ``ledger.append`` computes it), and each dossier's ledger_head.
    Before the conversion to SQL parameters: it reads the instants and references as the ledger prints them."""
    from motcua.dossiers.ledger import GENESIS, chain_hash, link_hash

    rows = batch["rows"]
    dossiers, width = rows["dossier"], _WIDTH["dossier"]
    id_at, reference_at, head_at = 0, _DOSSIER_COLUMN["reference"], _DOSSIER_COLUMN["ledger_head"]
    references = dict(zip(dossiers[id_at::width], dossiers[reference_at::width]))
    events, step = rows["events"], _WIDTH["events"]
    heads: dict[int, str] = {}
    for i in range(0, len(events), step):
        _, dossier, seq, type_, actor, actor_name, at, before, after, reason, _, _ = events[i:i + step]
        prev = heads[dossier] if seq > 1 else GENESIS
        digest = heads[dossier] = link_hash(reference=references[dossier], seq=seq, type=type_, actor_id=actor,
                                            actor_name=actor_name, at=at, before=before, after=after, reason=reason,
                                            prev_hash=prev)
        if i == 0:  # a guard against drifting from ledger.chain_hash, once per batch
            expected = chain_hash(reference=references[dossier], seq=seq, type=type_, actor_id=actor,
                                  actor_name=actor_name, at=at, before=json.loads(before), after=json.loads(after),
                                  reason=reason, prev_hash=prev)
            if expected != digest:
                raise RuntimeError("generate: the bulk ledger hash differs from ledger.chain_hash")
        events[i + 10] = prev
        events[i + 11] = digest
    dossiers[head_at::width] = [heads[pk] for pk in dossiers[id_at::width]]


_WIDTH: dict[str, int] = {}            # table key → number of columns
_DOSSIER_COLUMN: dict[str, int] = {}   # dossier field → its column


def _rows(flat: list, width: int) -> Iterator[tuple]:
    """The rows of a flat list, as tuples."""
    return zip(*[iter(flat)] * width)


class _Writer:
    """Inserts the batches: one transaction each, one executemany (SQLite) or COPY (PostgreSQL) per table."""

    def __init__(self, connection):
        _setup()
        self.connection = connection
        qn = connection.ops.quote_name
        self.sql, self.copy = {}, {}
        for key, model in _MODELS.items():
            columns = [f.column for f in _stored(model)]
            if key == "events" and columns != ["id", "dossier_id", "seq", "type", "actor_id_value", "actor_name", "at",
                                               "before", "after", "reason", "prev_hash", "hash"]:
                raise RuntimeError("LedgerEvent changed: update dossiers/generate.py")
            self.sql[key] = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
                             f"VALUES ({', '.join(['%s'] * len(columns))})")
            self.copy[key] = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
            if key == "dossier" and connection.vendor == "sqlite":
                # the settled columns computed here, from the same values, so the trigger does not write the row
                # again (dossiers.settled; PostgreSQL's trigger sets them before the row is written)
                from motcua.dossiers import settled

                computed = ", ".join(settled.expressions_sql(model, connection.schema_editor()))
                self.sql[key] = (f"INSERT INTO {qn(model._meta.db_table)} "
                                 f"({', '.join(qn(c) for c in (*columns, *settled.COMPUTED))}) "
                                 f"SELECT *, {computed} FROM (SELECT "
                                 f"{', '.join(f'%s AS {qn(c)}' for c in columns)})")
        self.upsert = (f'INSERT INTO {qn("dossiers_counter")} ({qn("key")}, {qn("value")}) VALUES (%s, %s) '
                       f'ON CONFLICT ({qn("key")}) DO UPDATE SET {qn("value")} = excluded.{qn("value")}')

    def write(self, batch: dict[str, Any]) -> None:
        """Insert a built batch, chained (``_chain``) and prepared, in one transaction."""
        from django.db import transaction

        rows = batch["rows"]
        connection = self.connection
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            for key in _ORDER:
                if not rows[key]:
                    continue
                if connection.vendor == "postgresql":  # COPY: several times faster than row-by-row INSERTs
                    with cursor.cursor.copy(self.copy[key]) as copy:
                        for row in _rows(rows[key], _WIDTH[key]):
                            copy.write_row(row)
                else:  # the driver's own executemany: Django's wrapper would tee the rows to peek at the first
                    sqlite3.Cursor.executemany(cursor.cursor, self.sql[key].replace("%s", "?"),
                                               _rows(rows[key], _WIDTH[key]))
            if batch["counters"]:
                cursor.executemany(self.upsert, sorted(batch["counters"].items()))
            if connection.vendor == "postgresql":  # SQLite's AUTOINCREMENT follows explicit ids by itself
                for key, model in _MODELS.items():
                    last = batch["next_ids"][key] - 1
                    if last > 0:
                        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, true)",
                                       [model._meta.db_table, last])


_ORDER = (*_TABLE_KEYS, "events")


def _next_ids(connection) -> dict[str, int]:
    """The primary key the database would give next to each table (what the services would get)."""
    _setup()
    result = {}
    with connection.cursor() as cursor:
        for key, model in _MODELS.items():
            table = model._meta.db_table
            cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")
            top = cursor.fetchone()[0] or 0
            if connection.vendor == "sqlite":
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                found = cursor.fetchone()
                result[key] = max(top, found[0] if found else 0) + 1
            elif connection.vendor == "postgresql":
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                last, called = cursor.fetchone()
                result[key] = max(top + 1, last + 1 if called else last)
            else:
                result[key] = top + 1
    return result


# Whether the bulk path prints ledger events through precompiled per-shape templates
# (generate_templates.TemplateSim) rather than diffing every command's rows (_Sim.event).
_USE_TEMPLATES = True


def _simulator(templates: bool | None) -> type[_Sim]:
    if _USE_TEMPLATES if templates is None else templates:
        from motcua.dossiers.generate_templates import TemplateSim

        return TemplateSim
    return _Sim


def _produce(world: World, plans: Iterable[Plan], ids: dict[str, int], counters: dict[str, int], vendor: str,
             batch_size: int, finish: bool = True, templates: bool | None = None) -> Iterator[dict[str, Any]]:
    """The built batches; with ``finish``, chained and prepared (``_finish``), ready to insert."""
    sim = _simulator(templates)(world, _Numbers(ids, counters), vendor)
    conversions = _converters(vendor)
    for p in plans:
        sim.run(p)
        if sim.dossiers >= batch_size:
            batch = sim.take_batch()
            yield _finish(batch, conversions) if finish else batch
    if sim.dossiers:
        batch = sim.take_batch()
        yield _finish(batch, conversions) if finish else batch


def _finish(batch: dict[str, Any], conversions: dict[str, list[tuple[int, Callable]]]) -> dict[str, Any]:
    """A built batch chained (``_chain``), then its JSON values made SQL parameters, column by column."""
    _chain(batch)
    rows = batch["rows"]
    for key, columns in conversions.items():
        flat, width = rows[key], _WIDTH[key]
        for i, convert in columns:
            flat[i::width] = list(map(convert, flat[i::width]))
    return batch


# Which process chains and prepares the batches in a pipelined run: the builder (False) or the writer
# (True), whichever has time to spare (measured with bench/generate_bench.py).
_FINISH_IN_WRITER = True


def _pipelined(world: World, plans: Iterable[Plan], ids: dict[str, int], counters: dict[str, int], vendor: str,
               batch_size: int, stats: dict[str, float], templates: bool | None = None) -> Iterator[dict[str, Any]]:
    """``_produce`` in a forked process, which plans and builds the next batch while this one writes
    the last. Planning in the builder spares handing the plans from one process to another; the
    batches cross as ``marshal`` bytes over a pipe (flat lists: several times cheaper to load than
    pickled rows)."""
    import marshal
    import multiprocessing as mp

    context = mp.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def builder():
        receiver.close()
        gc.disable()  # as in run_bulk (_no_cyclic_gc); this process ends with the run
        try:
            for batch in _produce(world, plans, ids, counters, vendor, batch_size, finish=not _FINISH_IN_WRITER,
                                  templates=templates):
                sender.send_bytes(marshal.dumps(batch))
            sender.send_bytes(marshal.dumps({"cpu": time.process_time()}))  # a forked process starts at 0
        except BaseException as exc:  # handed on to the writer, which raises it
            sender.send_bytes(marshal.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        finally:
            sender.close()

    process = context.Process(target=builder, daemon=True)
    process.start()
    sender.close()
    try:
        while True:
            try:
                batch = marshal.loads(receiver.recv_bytes())
            except EOFError:
                raise GenerationError("Tiến trình dựng dữ liệu dừng đột ngột.") from None
            if "cpu" in batch:
                stats["builder_cpu"] = batch["cpu"]
                break
            if "error" in batch:
                raise GenerationError(f"Lỗi khi lập kế hoạch hoặc dựng dữ liệu: {batch['error']}")
            yield batch  # run_bulk finishes it when _FINISH_IN_WRITER
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()


@contextmanager
def _no_cyclic_gc():
    """Without the cycle collector for the run: the rows it allocates hold no cycles, and its passes over
    millions of young objects cost the builder a tenth of its time and the planner a third."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _fast_sqlite(connection, fresh: bool = False):
    """For the bulk run only: a large page cache and rare checkpoints. Into a database that holds no
    dossier yet (a fresh generation) also: ``synchronous=OFF``; the rollback journal in memory instead
    of the WAL, so each page is written once rather than to the WAL and again at the checkpoint (only
    when no other connection has the file open: SQLite refuses the switch otherwise, and the WAL stays);
    and no foreign-key lookups, the rows being built from keys read from this database (the tests run
    ``PRAGMA foreign_key_check`` on generated data). A failing batch still rolls back; a power cut or a
    killed process during the run can damage the database (load the demo and generate again). At the
    end the settings' level is back (WAL, synchronous=NORMAL, foreign keys on) and the file is synced to
    disk (or, when the WAL stayed, the closing checkpoint puts everything there). Otherwise durability is
    unchanged."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        saved = {}
        for pragma, value in (("cache_size", -262144), ("wal_autocheckpoint", 65536),
                              ("synchronous", 0 if fresh else None), ("foreign_keys", 0 if fresh else None)):
            cursor.execute(f"PRAGMA {pragma}")
            saved[pragma] = int(cursor.fetchone()[0])
            if value is not None:
                cursor.execute(f"PRAGMA {pragma} = {value}")
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        switched = False
        if fresh and journal == "wal":
            cursor.execute("PRAGMA journal_mode = MEMORY")
            switched = cursor.fetchone()[0] == "memory"
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA journal_mode = {journal}")
            for pragma, value in saved.items():
                cursor.execute(f"PRAGMA {pragma} = {value}")
            if switched:
                # the rows went straight into the file, unsynced: sync it. (No checkpoint: the new WAL is empty,
                # and in a process that had migrated and loaded the demo, SQLite answered it "table is locked".)
                _fsync(connection.settings_dict["NAME"])
            else:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _fsync(path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run_bulk(world: World, plans: Iterable[Plan], *, batch_size: int = 2000,
             progress: Callable[[int], None] | None = None, fork: bool = False, using: str = "default",
             templates: bool | None = None) -> Result:
    """Build the rows and events of the planned lives in memory and insert them in batches
    (with ``fork``, planned and built in a child process while this one chains and writes;
    ``templates`` chooses how events are printed, by default ``_USE_TEMPLATES``)."""
    from django.db import connections

    from motcua.dossiers.models import Counter, Dossier

    connection = connections[using]
    writer = _Writer(connection)
    ids = _next_ids(connection)
    first = ids["dossier"]
    counters = dict(Counter.objects.using(using).values_list("key", "value"))
    stats: dict[str, float] = {}
    produce = functools.partial(_pipelined, stats=stats, templates=templates) if fork else functools.partial(
        _produce, templates=templates)
    conversions = _converters(connection.vendor) if fork and _FINISH_IN_WRITER else None
    fresh = not Dossier.objects.using(using).exists()

    result = Result()
    began, cpu = time.perf_counter(), time.process_time()
    with _fast_sqlite(connection, fresh), _no_cyclic_gc():
        batches = iter(produce(world, plans, ids, counters, connection.vendor, batch_size))
        while True:
            waited = time.perf_counter()
            batch = next(batches, None)
            wrote = time.perf_counter()
            result.wait_seconds += wrote - waited
            if batch is None:
                break
            if conversions is not None:
                _finish(batch, conversions)
            writer.write(batch)
            result.write_seconds += time.perf_counter() - wrote
            result.dossiers += batch["dossiers"]
            result.events += len(batch["rows"]["events"]) // _WIDTH["events"]
            if progress:
                progress(result.dossiers)
    # 4.3 reuse (Dossier.reused_at) relates an applicant's dossiers, written in any order across batches:
    # set-based for the applicants of the new dossiers, by the definition services keep as they write
    from motcua.dossiers import report_facts

    if connections[using].vendor == "postgresql":
        # Fresh rows carry no planner statistics yet (autovacuum comes later): without them PostgreSQL
        # may plan the reuse statement's joins as nested loops (the first version ran for many minutes).
        with connections[using].cursor() as cursor:
            cursor.execute(f"ANALYZE {Dossier._meta.db_table}, {_MODELS['documents']._meta.db_table}")
    report_facts.refresh_reused(f"SELECT applicant_id FROM {Dossier._meta.db_table} WHERE id >= {int(first)}",
                                using=using)
    result.seconds = time.perf_counter() - began
    result.cpu_seconds = time.process_time() - cpu
    result.builder_cpu_seconds = stats.get("builder_cpu", 0.0)
    result.states = _states(Dossier)
    return result


# --- one call for the command line ----------------------------------------------------------------------


def generate(*, dossiers: int, months: int, seed: int = 0, until: dt.datetime | None = None, path: str = "bulk",
             progress: Callable[[int], None] | None = None, fork: bool | None = None,
             batch_size: int = 2000) -> tuple[Result, dt.datetime, dt.datetime]:
    """Plan ``dossiers`` lives over the ``months`` before ``until`` and write them by ``path``.
    Returns the result and the window actually used (it starts no earlier than the first procedure
    in force)."""
    from django.utils import timezone

    if dossiers <= 0 or months <= 0:
        raise GenerationError("Số hồ sơ và số tháng phải lớn hơn 0.")
    world = load_world()
    until = until or timezone.now()
    start, end = window(until, months)
    earliest = min(v.valid_from for v in world.variants)
    start = max(start, dt.datetime.combine(earliest, dt.time(0), TZ))
    if start >= end:
        raise GenerationError(f"Không có thủ tục nào có hiệu lực trước {end:%d/%m/%Y}.")

    plans = plan(world, dossiers=dossiers, start=start, until=end, seed=seed)
    if path == "services":
        result = run_services(world, plans, progress=progress)
    elif path == "bulk":
        result = run_bulk(world, plans, progress=progress, batch_size=batch_size,
                          fork=(dossiers >= 5000) if fork is None else fork)
    else:
        raise GenerationError(f"Cách ghi “{path}” không hợp lệ (bulk hoặc services).")
    return result, start, end
