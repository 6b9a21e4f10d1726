"""The WMS contract: what orderhub POSTs to a warehouse system, and what it expects back.

Two documents, both POSTed as the JSON body (no envelope) to the warehouse's ``wms_url`` (or
``service.channels.wms.url``), with ``Idempotency-Key`` and ``Authorization: Bearer`` headers:

* ``{"type": "order", ...}``: release this order to the warehouse (pick, pack, ship it);
* ``{"type": "intercept", ...}``: stop it (a refund, a hold after release).

The reply is ``{"ok": true}``; ``{"ok": false, "code": ..., "message": ...}`` refuses it, and
``code: "ALREADY_PACKED"`` / ``"ALREADY_SHIPPED"`` to an intercept means too late: orderhub
opens a warehouse task.  :data:`SCHEMA` is the JSON Schema of both (docs/wms.md prints it;
``orderhub schema wms`` too); :func:`validate` checks a document against it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Order

VERSION = 1
TOO_LATE = frozenset({"ALREADY_PACKED", "ALREADY_SHIPPED"})

_TEXT = {"type": ["string", "null"]}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://orderhub.dev/schemas/wms.json",
    "title": "orderhub WMS documents",
    "oneOf": [{"$ref": "#/$defs/order"}, {"$ref": "#/$defs/intercept"}],
    "$defs": {
        "order": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "version", "order_id", "platform", "platform_order_no",
                         "shop_id", "warehouse", "receiver", "items"],
            "properties": {
                "type": {"const": "order"},
                "version": {"const": VERSION},
                "order_id": {"type": "string", "minLength": 1},
                "platform": {"enum": ["taobao", "jd", "pdd", "douyin"]},
                "platform_order_no": {"type": "string", "minLength": 1},
                "shop_id": {"type": "string"},
                "warehouse": {"type": "string", "minLength": 1},
                "paid_at": {"type": ["string", "null"], "format": "date-time"},
                "receiver": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "phone", "province", "city", "district", "address"],
                    "properties": {k: _TEXT for k in ("name", "phone", "province", "city",
                                                      "district", "address")},
                },
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["line_id", "sku", "title", "quantity"],
                        "properties": {
                            "line_id": _TEXT, "sku": _TEXT, "title": {"type": "string"},
                            "properties": _TEXT,
                            "quantity": {"type": "integer", "minimum": 1},
                        },
                    },
                },
                "buyer_message": _TEXT,
                "seller_memo": _TEXT,
                "carrier": _TEXT,
                "tags": {"type": "array", "items": {"type": "string"}},
                "attributes": {"type": "object"},
            },
        },
        "intercept": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "version", "order_id", "platform", "platform_order_no",
                         "warehouse", "reason", "requested_at"],
            "properties": {
                "type": {"const": "intercept"},
                "version": {"const": VERSION},
                "order_id": {"type": "string", "minLength": 1},
                "platform": {"enum": ["taobao", "jd", "pdd", "douyin"]},
                "platform_order_no": {"type": "string", "minLength": 1},
                "warehouse": {"type": ["string", "null"]},
                "reason": {"type": "string", "minLength": 1},
                "requested_at": {"type": "string", "format": "date-time"},
            },
        },
        "reply": {
            "type": "object",
            "required": ["ok"],
            "properties": {
                "ok": {"type": "boolean"},
                "code": {"enum": ["ALREADY_PACKED", "ALREADY_SHIPPED", "UNKNOWN_ORDER",
                                  "INVALID"]},
                "message": {"type": "string"},
            },
        },
    },
}


def order_document(o: Order, warehouse: str) -> dict[str, Any]:
    """The order as its warehouse needs it (the ``order`` document)."""
    r = o.receiver
    return {
        "type": "order", "version": VERSION,
        "order_id": o.id or o.label, "platform": o.platform.value,
        "platform_order_no": o.platform_order_no, "shop_id": o.shop_id, "warehouse": warehouse,
        "paid_at": o.paid_at.isoformat() if o.paid_at else None,
        "receiver": {"name": r.name, "phone": r.phone, "province": r.province, "city": r.city,
                     "district": r.district, "address": r.address},
        "items": [{"line_id": i.line_id, "sku": i.sku, "title": i.title,
                   "properties": i.properties, "quantity": i.quantity}
                  for i in o.items if i.quantity > 0],
        "buyer_message": o.buyer_message, "seller_memo": o.seller_memo,
        # what rules and flows set (docs/rules.md, "Fields rules and flows set")
        "carrier": o.carrier, "tags": list(o.tags), "attributes": dict(o.attributes),
    }


def intercept_document(order_id: str, platform: str, platform_order_no: str,
                       warehouse: str | None, reason: str, at: datetime) -> dict[str, Any]:
    return {"type": "intercept", "version": VERSION, "order_id": order_id,
            "platform": platform, "platform_order_no": platform_order_no,
            "warehouse": warehouse, "reason": reason, "requested_at": at.isoformat()}


def message(document: dict[str, Any], to: str | None) -> dict[str, Any]:
    """The outbox payload of a WMS message: where to (None: the channel's URL) and what."""
    return {"to": to, "document": document}


def validate(document: Any) -> list[str]:
    """Every way ``document`` breaks the contract (empty: it keeps it)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"
            for e in sorted(validator.iter_errors(document), key=lambda e: list(e.path))]
