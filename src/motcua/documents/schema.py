"""A tiny declarative schema for form contexts: what is required, of which type, at which path.

Kept separate from the per-form contract (``contract.py``) so the contract reads as a table.
Errors name the dotted path of the offending key, e.g. ``dossier.received_at`` or
``documents[2].name``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Union

from motcua.documents.errors import FormError

__all__ = ["Leaf", "Obj", "ListOf", "Spec", "TEXT", "LABEL", "DATETIME", "INT", "opt", "check"]

_KINDS = ("text", "label", "datetime", "int")


@dataclass(frozen=True)
class Leaf:
    """A scalar: ``text`` (str, non-empty when required), ``label`` (str or int, e.g. a book
    number), ``datetime`` (timezone-aware), ``int`` (≥ 0)."""

    kind: str
    required: bool = True

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown leaf kind {self.kind!r}")


@dataclass(frozen=True)
class Obj:
    """A mapping with known keys; keys not listed are allowed and passed to the template as is."""

    fields: Mapping[str, "Spec"] = field(default_factory=dict)
    required: bool = True


@dataclass(frozen=True)
class ListOf:
    """A list whose items all follow ``item``; at least ``min_items`` of them."""

    item: "Spec"
    min_items: int = 0
    required: bool = True


Spec = Union[Leaf, Obj, ListOf]

TEXT = Leaf("text")
LABEL = Leaf("label")
DATETIME = Leaf("datetime")
INT = Leaf("int")


def opt(spec: Spec) -> Spec:
    """The same spec, optional (absent or None allowed)."""
    return replace(spec, required=False)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _type_name(value: Any) -> str:
    return type(value).__name__


def _check_leaf(leaf: Leaf, value: Any, path: str, form: str) -> None:
    if leaf.kind == "text":
        ok = isinstance(value, str)
        expected = "a string"
    elif leaf.kind == "label":
        ok = isinstance(value, (str, int)) and not isinstance(value, bool)
        expected = "a string or an integer"
    elif leaf.kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        expected = "a non-negative integer"
    else:
        ok = isinstance(value, dt.datetime) and value.tzinfo is not None and value.utcoffset() is not None
        expected = "a timezone-aware datetime"
    if not ok:
        raise FormError(f"{form}: {path!r} must be {expected}, got {_type_name(value)} {value!r}")


def check(spec: Spec, value: Any, form: str, path: str = "") -> None:
    """Raise FormError on the first key of ``value`` that breaks ``spec`` (depth first, in the
    order the spec lists its keys). ``value`` is plain data (see ``contract.to_plain``)."""
    if _missing(value):
        if spec.required:
            raise FormError(f"{form}: missing required key {path or '<context>'!r}")
        return
    if isinstance(spec, Leaf):
        _check_leaf(spec, value, path, form)
    elif isinstance(spec, Obj):
        if not isinstance(value, dict):
            raise FormError(f"{form}: {path or '<context>'!r} must be a mapping, got {_type_name(value)}")
        for key, sub in spec.fields.items():
            check(sub, value.get(key), form, f"{path}.{key}" if path else key)
    else:
        if not isinstance(value, list):
            raise FormError(f"{form}: {path!r} must be a list, got {_type_name(value)}")
        if len(value) < spec.min_items:
            raise FormError(f"{form}: {path!r} needs at least {spec.min_items} item(s), got {len(value)}")
        for index, item in enumerate(value):
            check(spec.item, item, form, f"{path}[{index}]")
