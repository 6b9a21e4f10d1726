"""``output``: hand the order to the warehouse, as a WMS push (HTTP JSON) or pick-list lines.

Both are queued on the result as outgoing messages; :mod:`orderhub.engine.flows.outputs`
writes pick lists (CSV and printable HTML per warehouse) and the outbox sends WMS pushes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ...engine.flows.compiler import NodeCompiler
from ...engine.flows.model import LinearNode
from ...engine.flows.runtime import OutgoingMessage, RunState, Step
from . import register


def order_document(rs: RunState, code: str) -> dict[str, Any]:
    """The order as a warehouse needs it (WMS push body)."""
    o, r = rs.order, rs.order.receiver
    return {
        "order_id": o.id, "platform": o.platform.value, "platform_order_no": o.platform_order_no,
        "shop_id": o.shop_id, "warehouse": code,
        "paid_at": o.paid_at.isoformat() if o.paid_at else None,
        "receiver": {"name": r.name, "phone": r.phone, "province": r.province, "city": r.city,
                     "district": r.district, "address": r.address},
        "items": [{"sku": i.sku, "title": i.title, "properties": i.properties,
                   "quantity": i.quantity} for i in o.items],
        "buyer_message": o.buyer_message, "seller_memo": o.seller_memo,
    }


@register
class OutputNode(LinearNode):
    """``kind: wms`` queues a POST of the order to the warehouse's WMS (``url`` or the
    warehouse's ``wms_url``); ``kind: pick_list`` adds the order's lines to its pick list."""

    type: Literal["output"]
    kind: Literal["wms", "pick_list"]
    url: str | None = Field(None, description="WMS endpoint; default: the warehouse's wms_url")

    def compile(self, c: NodeCompiler) -> Step:
        node, nxt, kind, url = c.node, self.next, self.kind, self.url

        def output(rs: RunState) -> str | None:
            code = rs.vars.get("warehouse")
            if code is None:
                raise c.runtime_error("no warehouse assigned before output")
            if kind == "wms":
                w = rs.network.warehouses[code]
                target = url or w.config.wms_url
                body = {"method": "POST", "json": order_document(rs, code)}
                rs.result.messages.append(OutgoingMessage("wms", target, code, body, rs.order.id))
            else:
                o = rs.order
                lines = [{"sku": i.sku, "title": i.title, "properties": i.properties,
                          "quantity": i.quantity} for i in o.items]
                body = {"order": o.label, "receiver": o.receiver.name,
                        "city": o.receiver.city, "lines": lines}
                rs.result.messages.append(OutgoingMessage("pick_list", code, code, body, o.id))
            rs.step(node, "output", f"{kind} for {code} queued")
            return nxt

        return output
