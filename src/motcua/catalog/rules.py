"""Catalogue rules as pure Python (no Django import): codes, time limits, budgets, fee formulas,
validity periods. The services, the admin and the importer all call these, so a rule and its
Vietnamese message exist once.
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
import re
from decimal import Decimal, InvalidOperation
from typing import Iterable

from motcua.calendar.core import CalendarError, Unit
from motcua.calendar.core import Duration as _Duration

__all__ = [
    "RuleError",
    "TimeUnit",
    "Duration",
    "duration",
    "working_hours",
    "normalize_procedure_code",
    "check_budgets",
    "FeeFormula",
    "find_overlap",
    "HOURS_PER_WORKING_DAY",
]

HOURS_PER_WORKING_DAY = Decimal(8)
PROCEDURE_CODE = re.compile(r"^[1-3]\.\d{6}(\.[A-Z][0-9A-Z]{2})?$")


class RuleError(ValueError):
    """A catalogue rule is broken; the message is Vietnamese and meant for the user."""


# One Duration type and one list of units in MotCua: the calendar's (motcua.calendar).
TimeUnit = Unit
Duration = _Duration


def duration(value, unit) -> Duration:
    """A catalogue time limit or step budget; RuleError (with the calendar's message) when invalid."""
    try:
        return Duration(value, unit)
    except CalendarError as exc:
        raise RuleError(str(exc)) from exc


def working_hours(d: Duration) -> Decimal:
    """A working-time duration in hours, at the catalogue's nominal 8-hour working day."""
    if d.unit == TimeUnit.WORKING_HOURS:
        return d.value
    if d.unit == TimeUnit.WORKING_DAYS:
        return d.value * HOURS_PER_WORKING_DAY
    raise RuleError(f"Không quy đổi được {d} sang giờ làm việc.")


def normalize_procedure_code(raw: str) -> str:
    code = (raw or "").strip().upper()
    if not PROCEDURE_CODE.match(code):
        raise RuleError(
            f"Mã thủ tục “{(raw or '').strip()}” không đúng định dạng: dạng 1.001234, 2.000123 hoặc "
            "có hậu tố địa phương như 1.001234.H56."
        )
    return code


def check_budgets(limit: Duration, budgets: Iterable[Duration]) -> None:
    """The steps' time budgets must add up exactly to the variant's legal time limit.

    Working hours and working days convert at 8 hours a day; calendar days and months cannot be
    split into working time, so their steps are budgeted in the limit's own unit.
    """
    budgets = list(budgets)
    if not budgets:
        raise RuleError("Quy trình nội bộ phải có ít nhất một bước.")
    if limit.unit in TimeUnit.WORKING:
        for i, budget in enumerate(budgets, start=1):
            if budget.unit not in TimeUnit.WORKING:
                raise RuleError(
                    f"Bước {i}: thời hạn {limit} tính theo thời gian làm việc nên thời gian của bước phải tính "
                    "bằng giờ làm việc hoặc ngày làm việc."
                )
        total = sum((working_hours(b) for b in budgets), Decimal(0))
        expected = working_hours(limit)
        unit_label = "giờ làm việc"
    else:
        for i, budget in enumerate(budgets, start=1):
            if budget.unit != limit.unit:
                raise RuleError(
                    f"Bước {i}: thời hạn tính bằng {TimeUnit.LABELS[limit.unit]} nên thời gian của bước cũng phải "
                    f"tính bằng {TimeUnit.LABELS[limit.unit]}."
                )
        total = sum((b.value for b in budgets), Decimal(0))
        expected = limit.value
        unit_label = TimeUnit.LABELS[limit.unit]
    if total != expected:
        raise RuleError(
            f"Tổng thời gian các bước ({format(total.normalize(), 'f')} {unit_label}) phải bằng thời hạn giải quyết "
            f"theo quy định ({limit} = {format(expected.normalize(), 'f')} {unit_label})."
        )


# --- fee formulas ------------------------------------------------------------------------------

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_FUNCTIONS = {"min": min, "max": max}
_VARIABLE = re.compile(r"^[a-z][a-z0-9_]*$")


class FeeFormula:
    """A fee that depends on inputs, e.g. ``min(2000*min(pages,2) + 1000*max(pages-2,0), 200000) * copies``.

    Only numbers, named inputs, + - * /, parentheses, min() and max(): parsed once, evaluated in
    Decimal, rounded to whole đồng. Nothing else of Python is reachable.
    """

    def __init__(self, source: str):
        self.source = " ".join((source or "").split())
        if not self.source:
            raise RuleError("Công thức tính phí không được để trống.")
        try:
            tree = ast.parse(self.source, mode="eval")
        except SyntaxError as exc:
            raise RuleError(f"Công thức tính phí “{self.source}” viết sai cú pháp.") from exc
        self.variables: set[str] = set()
        self._check(tree.body)
        self._tree = tree.body

    def _check(self, node: ast.AST) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            self._check(node.operand)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            pass
        elif isinstance(node, ast.Name) and _VARIABLE.match(node.id) and node.id not in _FUNCTIONS:
            self.variables.add(node.id)
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
            and node.args and not node.keywords
        ):
            for arg in node.args:
                self._check(arg)
        else:
            raise RuleError(
                f"Công thức tính phí “{self.source}” chỉ được dùng số, tên biến (chữ thường), + - * /, "
                "dấu ngoặc, min() và max()."
            )

    def evaluate(self, **inputs) -> int:
        missing = self.variables - inputs.keys()
        if missing:
            raise RuleError(f"Thiếu giá trị cho: {', '.join(sorted(missing))}.")
        try:
            values = {k: Decimal(str(v)) for k, v in inputs.items()}
            if not all(v.is_finite() for v in values.values()):
                raise InvalidOperation
            result = self._eval(self._tree, values)
            if not result.is_finite():
                raise InvalidOperation
        except (ArithmeticError, ValueError) as exc:  # ZeroDivisionError, InvalidOperation, Overflow
            raise RuleError(f"Không tính được phí theo công thức “{self.source}”.") from exc
        if result < 0:
            raise RuleError(f"Công thức “{self.source}” cho số tiền âm.")
        return int(result.quantize(Decimal(1)))

    def _eval(self, node: ast.AST, values: dict[str, Decimal]) -> Decimal:
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, values), self._eval(node.right, values))
        if isinstance(node, ast.UnaryOp):
            return -self._eval(node.operand, values)
        if isinstance(node, ast.Constant):
            return Decimal(str(node.value))
        if isinstance(node, ast.Name):
            return values[node.id]
        return _FUNCTIONS[node.func.id](self._eval(arg, values) for arg in node.args)


# --- validity periods --------------------------------------------------------------------------

def find_overlap(
    candidate: tuple[dt.date, dt.date | None], others: Iterable[tuple[object, dt.date, dt.date | None]]
):
    """First of ``others`` (key, from, to-inclusive-or-None) whose period meets ``candidate``."""
    start, end = candidate
    for key, other_start, other_end in others:
        if (end is None or other_start <= end) and (other_end is None or start <= other_end):
            return key
    return None
