"""The smallest value a checked number expression can take, when the language knows it.

A decision table's gap and overlap checks probe each input over its domain.  A weight, an
amount or a quantity is never negative, so probing ``weight = -1`` and reporting "no row
matches weight < 0" would be a false alarm: the checks start each input at its lower bound.
The bounds come from the same tables the checker uses: a field's ``minimum`` (the order
model's ``ge`` constraints: money and quantities are >= 0), the functions below, and the
numbers of a lookup table's column.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import nodes as n

ZERO = Decimal(0)

#: Functions whose result is never below this (counts, lengths, hours...).
FUNCTION_MINIMUM: dict[str, Decimal] = {
    "length": ZERO, "abs": ZERO, "hour": ZERO, "weekday": Decimal(1),
    "orders_today": ZERO, "orders_by_phone": ZERO,
}


def lower_bound(node: n.Expr, lists: Any = None) -> Decimal | None:
    """The least value of ``node`` (checked), or None when it may be any number.

    ``lists``: the :class:`~orderhub.dsl.lists.ListSet` a ``lookup()`` reads; a column whose
    numbers are all >= 0 bounds the lookup at its least number."""
    if isinstance(node, n.Literal):
        return Decimal(str(node.value)) if node.kind in ("number", "money") else None
    if isinstance(node, n.Name):
        kind, target = getattr(node, "ref", (None, None))
        if kind == "field":
            return getattr(target, "minimum", None)
        return lower_bound(target, lists) if kind == "let" and target is not None else None
    if isinstance(node, n.Member):
        return getattr(getattr(node, "spec", None), "minimum", None)
    if isinstance(node, n.Arith):
        return _arith(node, lists)
    if isinstance(node, n.Quantifier):
        if node.kind == "count":
            return ZERO
        body = lower_bound(node.body, lists) if node.kind == "sum" else None
        return ZERO if body is not None and body >= 0 else None
    if isinstance(node, n.Call):
        return _call(node, lists)
    return None


def _arith(node: n.Arith, lists: Any) -> Decimal | None:
    left, right = lower_bound(node.left, lists), lower_bound(node.right, lists)
    if left is None or right is None:
        return None
    if node.op == "+":
        return left + right
    if left < 0 or right < 0:
        return None
    if node.op == "*":
        return left * right
    return ZERO if node.op in ("/", "%") else None


def _call(node: n.Call, lists: Any) -> Decimal | None:
    if node.name in FUNCTION_MINIMUM:
        return FUNCTION_MINIMUM[node.name]
    if node.name == "coalesce" and len(node.args) == 2:
        bounds = [lower_bound(a, lists) for a in node.args]
        return None if None in bounds else min(b for b in bounds if b is not None)
    if node.name == "lookup" and lists is not None:
        column = (getattr(node, "table", None), getattr(node, "column", None))
        values = getattr(lists, "columns", {}).get(column)
        numbers = [Decimal(str(v)) for v in (values or {}).values()
                   if isinstance(v, int | float | Decimal) and not isinstance(v, bool)]
        least = min(numbers, default=None)
        return least if least is not None and least >= 0 else None
    return None
