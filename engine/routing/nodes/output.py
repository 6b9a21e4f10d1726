"""``output``: hand the order to the warehouse, as a WMS push (HTTP JSON) or pick-list lines.

Both are queued on the result as outgoing messages; :mod:`orderhub.engine.routing.outputs`
writes pick lists (CSV and printable HTML per warehouse) and the outbox sends WMS pushes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ..compiler import NodeCompiler
from ..model import LinearNode
from ..runtime import OutgoingMessage, RunState, Step
from . import register

if TYPE_CHECKING:
    from ....model import Order


def order_document(o: Order, code: str) -> dict[str, Any]:
    """The order as a warehouse needs it: the WMS contract's ``order`` document
    (:mod:`orderhub.wms`, docs/wms.md)."""
    from ....wms import order_document as document

    return document(o, code)


def wms_body(o: Order, code: str) -> dict[str, Any]:
    """The body POSTed to the WMS: the document itself, no envelope."""
    return order_document(o, code)


def pick_list_body(o: Order) -> dict[str, Any]:
    """The order's lines as its warehouse's pick list shows them."""
    lines = [{"sku": i.sku, "title": i.title, "properties": i.properties,
              "quantity": i.quantity} for i in o.items]
    return {"order": o.label, "receiver": o.receiver.name, "city": o.receiver.city,
            "lines": lines}


def _wms_payload(m: OutgoingMessage) -> dict[str, Any]:
    return wms_body(m.source, m.warehouse or "")


def _pick_payload(m: OutgoingMessage) -> dict[str, Any]:
    return pick_list_body(m.source)


@register
class OutputNode(LinearNode):
    """``kind: wms`` queues a POST of the order to the warehouse's WMS (``url`` or the
    warehouse's ``wms_url``); ``kind: pick_list`` adds the order's lines to its pick list."""

    type: Literal["output"]
    kind: Literal["wms", "pick_list"]
    url: str | None = Field(None, description="WMS endpoint; default: the warehouse's wms_url")

    def compile(self, c: NodeCompiler) -> Step:
        node, nxt, kind, url = c.node, self.next, self.kind, self.url
        wms_urls = {code: w.config.wms_url for code, w in c.network.warehouses.items()}
        why = {code: f"{kind} for {code} queued" for code in wms_urls}

        def output(rs: RunState) -> str | None:
            code = rs.vars.get("warehouse")
            if code is None:
                raise c.runtime_error("no warehouse assigned before output")
            # Bodies are built when read (the outbox, pick-list files), not per routed order:
            # they depend only on the order and the warehouse, both fixed here.
            o = rs.order
            if kind == "wms":
                target = wms_urls[code]  # KeyError for an unknown code, as before
                rs.result.messages.append(OutgoingMessage(
                    "wms", url or target, code, None, o.id, build=_wms_payload, source=o))
            else:
                rs.result.messages.append(OutgoingMessage(
                    "pick_list", code, code, None, o.id, build=_pick_payload, source=o))
            if rs.tracing:
                rs.step(node, "output", why.get(code) or f"{kind} for {code} queued")
            return nxt

        return output
