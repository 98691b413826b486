"""Precompiled ledger-event templates for the history generator's bulk path.

``generate._Sim.event`` finds what a command changed by comparing every field it set and every child
row it touched, then sorts and prints the pieces as ``ledger._canonical`` would. Across dossiers the
*structure* of an event repeats: for the same outline (the dossier fields the command set, the child
rows it touched, by position) the same fields change and the same rows are added or replaced, in the
same order. ``TemplateSim`` therefore compiles, the first time it meets a structure, a small
straight-line function that prints the event's before/after text from the simulation's state directly:
the constant JSON (keys, braces, commas, and values that are constants there: ``null``, flags, states)
in one ``%`` format, a slot per other value. Rows are printed by one compiled format per table.

Each compiled function first checks, cheaply, that the structure really is the compiled one (every
field it prints as changed did change, every field it leaves out did not, each constant is the
compiled one, the same rows were touched, and the rows' keys sort the same way as text: "100" sorts
before "99"). When a check fails it returns None and the next compiled variant, or finally the general
``_Sim.event``, prints the event, so the text is always exactly the general path's
(tests/test_generate.py compares both printers with each other and with the services).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from motcua.dossiers import generate as g

__all__ = ["TemplateSim"]


def _structure(sim: g._Sim, first: bool) -> tuple:
    """The event's structure as ``_Sim.event`` would find it: the dossier part (``("first",)``, or the
    changed fields with the values a template may print as constants, and the unchanged ones), and per
    touched collection the rows (position, new / changed / same) and the printed ones in key order."""
    d, old = sim.d, sim.old
    if first:
        dossier = ("first",)
    else:
        changed = sorted(k for k, value in old.items() if value != d[k])
        same = sorted(k for k, value in old.items() if value == d[k])
        dossier = ("diff", tuple((k, _fixed(k, old[k]), _fixed(k, d[k])) for k in changed), tuple(same))
    parts = []
    for key, changes in sim.log.items():
        col = sim.cols[key]
        rows = []
        for i, was in changes.items():
            row = col[i]
            row_key = f'"{row["id"]:d}":'
            if was is None:
                rows.append((row_key, i, "new"))
            elif was is not row and was != row:
                rows.append((row_key, i, "changed"))
            else:
                rows.append((row_key, i, "same"))
        live = sorted(r for r in rows if r[2] != "same")
        parts.append((key, tuple((i, kind) for _, i, kind in rows), tuple(i for _, i, _ in live)))
    return dossier, tuple(parts)


# Dossier fields whose few values are printed into a template as constants (guarded like the rest).
_ENUMS = {"state", "outcome", "return_method", "regime", "cutoff", "limit_unit", "supplement_rule", "delivery",
          "channel"}


def _fixed(key: str, value) -> tuple | None:
    """(value,) where a template may print ``value`` as a constant: None, a flag, a few known texts."""
    if value is None or value is True or value is False or (key in _ENUMS and type(value) is str):
        return (value,)
    return None


def _guard(name: str, fixed: tuple) -> str:
    value = fixed[0]
    if value is None or value is True or value is False:
        return f"{name} is not {value!r}"
    return f"{name} != {value!r}"


def _compile(structure: tuple, all_null: str) -> Callable:
    """Straight-line Python for one event structure: ``f(old, d, cols, log) -> (before, after) | None``."""
    dossier, parts = structure
    lines = ["def f(old, d, cols, log):"]
    add = lines.append
    pieces: list[tuple[str, list[str], list[str]]] = []  # (part key, before expressions, after expressions)
    if dossier[0] == "first":
        pieces.append(('"dossier":', ["A"], ["S(d)"]))
    else:
        _, changed, same = dossier
        add(f"    if len(old) != {len(changed) + len(same)}: return None")
        for n, k in enumerate(same):
            add(f"    if old[{k!r}] != d[{k!r}]: return None")
        before, after = [], []
        for n, (k, was, now) in enumerate(changed):
            add(f"    o{n} = old[{k!r}]; n{n} = d[{k!r}]")
            add(f"    if o{n} == n{n}: return None")
            for name, fixed, side in ((f"o{n}", was, before), (f"n{n}", now, after)):
                side.append(repr(("," if n else "") + g._encode_str(k) + ":"))
                if fixed is None:
                    side.append(f"T({name})")
                else:  # printed as a constant, where the value is the compiled one
                    add(f"    if {_guard(name, fixed)}: return None")
                    side.append(repr(g._value_text(fixed[0])))
        if changed:
            pieces.append(('"dossier":', [repr("{")] + before + [repr("}")], [repr("{")] + after + [repr("}")]))
    add(f"    if len(log) != {len(parts)}: return None")
    for p, (key, touched, live) in enumerate(parts):
        add(f"    c{p} = log[{key!r}]; col{p} = cols[{key!r}]")
        add(f"    if len(c{p}) != {len(touched)}: return None")
        for i, kind in touched:
            add(f"    w{p}_{i} = c{p}[{i}]; r{p}_{i} = col{p}[{i}]")
            if kind == "new":
                add(f"    if w{p}_{i} is not None: return None")
            elif kind == "changed":
                add(f"    if w{p}_{i} is None or w{p}_{i} is r{p}_{i} or w{p}_{i} == r{p}_{i}: return None")
            else:
                add(f"    if w{p}_{i} is None or not (w{p}_{i} is r{p}_{i} or w{p}_{i} == r{p}_{i}): return None")
        if not live:
            continue
        for i in live:
            add(f"    k{p}_{i} = '\"%d\":' % r{p}_{i}['id']")
        if len(live) > 1:  # canonical JSON sorts the row keys as text
            add("    if not (" + " < ".join(f"k{p}_{i}" for i in live) + "): return None")
        kinds = dict(touched)
        before, after = [repr("{")], [repr("{")]
        for n, i in enumerate(live):
            if n:
                before.append(repr(","))
                after.append(repr(","))
            before += [f"k{p}_{i}", repr("null") if kinds[i] == "new" else f"R(w{p}_{i})"]
            after += [f"k{p}_{i}", f"R(r{p}_{i})"]
        before.append(repr("}"))
        after.append(repr("}"))
        pieces.append((g._KEY_PREFIX[key], before, after))
    pieces.sort(key=lambda piece: piece[0])  # the part keys are distinct: ledger order is their text order
    if not pieces:
        add("    return '{}', '{}'")
    else:
        for side, name in ((1, "b"), (2, "a")):
            expressions = [repr("{")]
            for n, piece in enumerate(pieces):
                expressions.append(repr(("," if n else "") + piece[0]))
                expressions += piece[side]
            expressions.append(repr("}"))
            add(f"    {name} = " + _format(expressions))
        add("    return b, a")
    namespace: dict[str, Any] = {"T": g._value_text, "R": _row_text, "S": _dossier_text, "A": all_null}
    exec("\n".join(lines), namespace)  # noqa: S102 - code generated above from field names only
    return namespace["f"]


def _format(expressions: list[str]) -> str:
    """One ``%`` format of the pieces (a single allocation, where ``+`` would copy the growing text
    once per piece): the constant pieces in the format, the others as its arguments."""
    fmt, args = [], []
    for expression in _merge(expressions):
        if expression[:1] in "'\"":
            fmt.append(eval(expression).replace("%", "%%"))  # our own literals
        else:
            fmt.append("%s")
            args.append(expression)
    if not args:
        return repr("".join(fmt).replace("%%", "%"))
    return f"{''.join(fmt)!r} % ({', '.join(args)},)"


def _merge(expressions: list[str]) -> list[str]:
    """Adjacent constant pieces joined into one literal."""
    merged: list[str] = []
    for expression in expressions:
        if merged and expression[:1] in "'\"" and merged[-1][:1] in "'\"":
            merged[-1] = repr(eval(merged[-1]) + eval(expression))  # our own literals
        else:
            merged.append(expression)
    return merged


# --- row texts: one compiled printer per table ---------------------------------------------------------


def _printer(model, keys: list[str]) -> Callable[[dict], str] | None:
    """``_sorted_canon`` of a row of ``model`` with exactly ``keys`` (sorted), as one ``%`` format: its keys
    pre-printed, integers with ``%d``, text through the C string encoder. A value of another type than
    the field's makes it raise TypeError or KeyError (the caller then prints the row the general way)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    if sorted(keys) != keys or not set(keys) <= set(fields):
        return None
    slots, values, lines = [], [], ["def p(r):", f"    if len(r) != {len(keys)}: raise TypeError"]
    for n, key in enumerate(keys):
        f = fields[key]
        slots.append(g._encode_str(key).replace("%", "%%") + ":")
        if isinstance(f, models.JSONField):
            return None  # nested values: printed with sorted keys by the general encoder
        if isinstance(f, models.BooleanField):
            lines.append(f"    v{n} = B[r[{key!r}]]")  # KeyError for a non-bool (the replay sets bools)
        elif isinstance(f, (models.IntegerField, models.AutoField, models.ForeignKey)):
            if not f.null:  # None raises TypeError; the replay never puts a bool in an integer field
                slots[-1] += "%d"
                values.append(f"r[{key!r}]")
                continue
            lines.append(f"    v{n} = r[{key!r}]")
            lines.append(f"    v{n} = 'null' if v{n} is None else '%d' % v{n}")
        elif isinstance(f, (models.CharField, models.TextField, models.DateTimeField, models.DateField,
                            models.TimeField, models.UUIDField, models.DecimalField, models.FileField)):
            lines.append(f"    v{n} = r[{key!r}]")
            lines.append(f"    v{n} = 'null' if v{n} is None else E(v{n})")
        else:
            return None
        slots[-1] += "%s"
        values.append(f"v{n}")
    fmt = "{" + ",".join(slots) + "}"
    lines.append(f"    return {fmt!r} % ({', '.join(values)},)")
    namespace: dict[str, Any] = {"E": g._encode_str, "B": {True: "true", False: "false"}}
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from the model's field names only
    return namespace["p"]


_PRINTERS: dict[str, Callable | None] = {}


def _printers() -> None:
    if _PRINTERS:
        return
    g._setup()
    for key, template in g._TEMPLATES.items():
        _PRINTERS[key] = _printer(g._MODELS[key], list(template))


def _row_text(row) -> str:
    """``generate._row_text`` through the row's table printer."""
    text = row.text
    if text is None:
        printer = _PRINTERS.get(row.table)
        if printer is not None:
            try:
                text = row.text = printer(row)
                return text
            except (TypeError, KeyError):
                pass
        text = g._row_text(row)
    return text


def _dossier_text(d: dict) -> str:
    """``generate._sorted_canon`` of the dossier row through its printer."""
    printer = _PRINTERS.get("dossier")
    if printer is not None:
        try:
            return printer(d)
        except (TypeError, KeyError):
            pass
    return g._sorted_canon(d)


class TemplateSim(g._Sim):
    """``generate._Sim`` printing each ledger event through a compiled function, found by the event's
    outline: the dossier fields the command set and the child rows it touched (by position). The same
    outline can still print differently (a value set to what it was, values printed as constants, rows
    whose ids sort differently as text), so an outline keeps every variant met so far (``_ALTERNATIVES``
    at most), and the general ``_Sim.event`` prints what none of them fits. Where a life shape (the
    variant, channel and commands) has been seen before, its event at the same position reuses the list
    of the outline met there, without working the outline out again."""

    def __init__(self, world, numbers, vendor):
        super().__init__(world, numbers, vendor)
        _printers()
        self.by_outline: dict[tuple, list[Callable]] = {}
        self.by_place: dict[int, list[Callable]] = {}  # shape number × 256 + event position → functions
        self.shapes: dict[tuple, int] = {}
        self.hits = self.misses = 0

    def run(self, p: g.Plan) -> None:
        shape = (p.variant.pk, p.channel, *[c.name for c in p.commands])
        number = self.shapes.get(shape)
        if number is None:
            number = self.shapes[shape] = len(self.shapes)
        self.place = number * 256
        super().run(p)

    def event(self, type_: str, actor: int | None, at: int, reason: str = "", first: bool = False) -> None:
        old, d, cols, log = self.old, self.d, self.cols, self.log
        events = self.events
        place = self.place + len(events)
        functions = self.by_place.get(place)
        if functions is None:
            outline = (first, tuple(old), tuple([(k, tuple(v)) for k, v in log.items()]))
            functions = self.by_outline.get(outline)
            if functions is None:
                functions = self.by_outline[outline] = []
            if len(events) < 256:
                self.by_place[place] = functions
        texts = None
        for n, function in enumerate(functions):
            try:
                texts = function(old, d, cols, log)
            except (KeyError, IndexError):
                texts = None
            if texts is not None:
                if n:  # the most recently fitting first
                    functions[0], functions[n] = function, functions[0]
                break
        else:
            if len(functions) < _ALTERNATIVES:
                function = _compile(_structure(self, first), self.all_null)
                functions.append(function)
                texts = function(old, d, cols, log)
        if texts is None:
            self.misses += 1
            return super().event(type_, actor, at, reason, first)
        self.hits += 1
        before, after = texts
        ids = self.numbers.ids
        event_id = ids["events"]
        ids["events"] = event_id + 1
        events.append((event_id, d["id"], len(events) + 1, type_, actor,
                       self.usernames[actor] if actor is not None else "", g._iso(at), before, after, reason, None,
                       None))


_ALTERNATIVES = 16
