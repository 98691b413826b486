"""Fee formulas in words for the procedure page: ``8000 * copies`` → "8.000 đồng × số bản sao".

Pure Python. The formula language is the catalogue's (catalog.rules.FeeFormula): numbers, named
inputs, + - * /, parentheses, min() and max(); anything else is shown as written.
"""

from __future__ import annotations

import ast

__all__ = ["INPUT_NAMES", "money", "formula_in_words"]

# What the catalogue's input names mean to the applicant; unknown names are shown as they are.
INPUT_NAMES = {
    "copies": "số bản sao", "pages": "số trang", "sets": "số bộ hồ sơ", "area": "diện tích (m²)",
    "people": "số người", "items": "số mục", "months": "số tháng", "years": "số năm", "value": "giá trị (đồng)",
}
_OPS = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "÷"}
_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}


def money(amount: int) -> str:
    """12000 → "12.000" (Vietnamese thousands separator)."""
    return f"{amount:,}".replace(",", ".")


def _number(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return str(value).replace(".", ",")
    return money(int(value))


def _words(node: ast.AST, parent: int = 0) -> str:
    if isinstance(node, ast.Constant):
        return _number(node.value)
    if isinstance(node, ast.Name):
        return INPUT_NAMES.get(node.id, node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return "−" + _words(node.operand, 3)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        level = _PRECEDENCE[type(node.op)]
        text = f"{_words(node.left, level)} {_OPS[type(node.op)]} {_words(node.right, level + 1)}"
        return f"({text})" if level < parent else text
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
        args = "; ".join(_words(a) for a in node.args)
        return f"{'số nhỏ nhất' if node.func.id == 'min' else 'số lớn nhất'} trong ({args})"
    raise ValueError(ast.dump(node))


def formula_in_words(source: str) -> str:
    """The formula with Vietnamese operators and input names, amounts in đồng."""
    try:
        return _words(ast.parse(source, mode="eval").body) + " (đồng)"
    except (SyntaxError, ValueError):
        return source
