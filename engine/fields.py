"""Fields rules and flows set on an order, and what the rules decided, as flows read them.

A rule's ``set carrier = "SF"`` (or a flow's ``set`` node) changes the order that everything
after it sees: the flows routing it, the WMS document pushed to the warehouse, the order page.
The service stores the values in ``order_fields`` (:mod:`orderhub.store.fields`), apart from
the platform's document, so a newer snapshot of the order does not wipe them.

``tags`` only grow (``set tags = "vip"`` adds one; a list adds each), ``attributes.NAME`` sets
one custom attribute, the others are replaced.  ``flags`` and ``holds`` are the rules'
outcomes (``flag heavy``, ``hold address``) for flow conditions such as
``"address" in holds``; nothing sets them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ..dsl.types import ExprType

#: Fields ``set`` may change, and the type of value each takes.
SETTABLE: dict[str, ExprType] = {
    "seller_memo": ExprType.STRING,
    "buyer_message": ExprType.STRING,
    "tracking_no": ExprType.STRING,
    "carrier": ExprType.STRING,
    "tags": ExprType.STRING,  # or a list of texts: each is added
}
#: ``set attributes.NAME = VALUE``: any value.
ATTRIBUTES = "attributes"


def settable_names() -> list[str]:
    return sorted([*SETTABLE, f"{ATTRIBUTES}.NAME"])


def shown(order: Any) -> dict[str, Any]:
    """The set fields as an order's JSON shows them (they are left out of its document)."""
    return {"tags": list(order.tags), "carrier": order.carrier,
            "attributes": dict(order.attributes)}


def check_set(path: list[str], value_type: ExprType | None) -> str | None:
    """Why ``set PATH = VALUE`` is refused (None: it is fine)."""
    name = ".".join(path)
    if len(path) == 2 and path[0] == ATTRIBUTES:
        return None
    if len(path) != 1 or path[0] not in SETTABLE:
        return f"'set' cannot change {name}"
    want = SETTABLE[path[0]]
    if value_type is None or value_type.kind in ("any", "null") or want.accepts(value_type):
        return None
    if path[0] == "tags" and value_type.kind == "list" and (
            value_type.item is None or want.accepts(value_type.item)):
        return None
    return f"'set {name}' takes text, not {value_type}"


def set_value(order: Any, name: str, value: Any) -> Any:
    """A copy of ``order`` with one field set (a pydantic Order, or a dict in examples)."""
    update = changes(order, name, value)
    if isinstance(order, dict):
        return {**order, **update}
    return order.model_copy(update=update)


def changes(order: Any, name: str, value: Any) -> dict[str, Any]:
    """The field values ``set NAME = VALUE`` gives ``order``."""
    get = order.get if isinstance(order, dict) else lambda k, d=None: getattr(order, k, d)
    if name == "tags":
        tags = list(get("tags") or [])
        for tag in value if isinstance(value, list | tuple) else [value]:
            if tag is not None and str(tag) not in tags:
                tags.append(str(tag))
        return {"tags": tags}
    if name.startswith(ATTRIBUTES + "."):
        return {ATTRIBUTES: {**(get(ATTRIBUTES) or {}), name.split(".", 1)[1]: plain(value)}}
    return {name: None if value is None else str(value)}


def plain(value: Any) -> Any:
    """A value as JSON keeps it (an attribute goes to the store and the WMS push): exact
    numbers stay numbers, times become ISO text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time | timedelta):
        return value.isoformat() if not isinstance(value, timedelta) else str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def with_outcomes(order: Any, actions: Iterable[Any],
                  kind_of: Callable[[str, str | None], str] | None = None) -> Any:
    """``order`` as the rules left it: their ``set`` values applied, their flags and holds
    added (a hold by the name the rule gave, ``waybill``, and by ``kind_of`` its kind,
    ``risk_hold``, as stored holds are named).  Shadow actions change nothing.  Returns
    ``order`` itself when nothing changed."""
    update: dict[str, Any] = {}
    current = order
    for a in actions:
        kind = getattr(a, "kind", None)
        params = getattr(a, "params", {}) or {}
        if getattr(a, "shadow", False):
            continue
        if kind == "set":
            update.update(changes(current, str(params.get("field")), params.get("value")))
            current = order.model_copy(update=update)
        elif kind == "flag":
            update["flags"] = _add(update.get("flags", order.flags), params.get("flag"))
        elif kind in ("hold", "freeze"):
            target = params.get("target")
            held = _add(update.get("holds", order.holds), target)
            update["holds"] = _add(held, kind_of(kind, target)) if kind_of else held
    return order.model_copy(update=update) if update else order


def _add(values: list[str], value: Any) -> list[str]:
    return values if value is None or value in values else [*values, str(value)]
