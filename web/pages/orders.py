"""Orders: search (one box; htmx swaps the results in as you type) and one order's page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ...engine.fields import shown as set_fields
from ...engine.routing.stock import RoutingStore
from ...fulfilment import holds
from ...fulfilment.timeline import timeline
from ..app import is_htmx, render, require
from ..search import search_orders

router = APIRouter()
VIEW = require("orders.view")


@router.get("/orders")
def orders_page(request: Request, q: str = "", session: Any = VIEW) -> Response:
    hits = search_orders(request.app.state.engine, q)
    template = "orders_results.html" if is_htmx(request) else "orders.html"
    return render(request, template, q=q, hits=hits)


@router.get("/orders/{ref:path}")
def order_page(request: Request, ref: str, session: Any = VIEW) -> Response:
    store = request.app.state.store
    order = store.get(ref)
    return render(request, "order.html", order=order,
                  timeline=timeline(request.app.state.ws, order.id),
                  routes=RoutingStore(store.engine).decisions(order.id),
                  holds=holds.list_holds(request.app.state.ws, order=order.id))


@router.get("/api/orders")
def orders_api(request: Request, q: str = "", limit: int = 50,
               session: Any = VIEW) -> list[dict[str, Any]]:
    hits = search_orders(request.app.state.engine, q, limit=min(limit, 500))
    return [{"id": h.id, "order": h.label, "status": h.status,
             "created_at": h.created_at.isoformat(), "receiver": h.receiver_name,
             "city": h.receiver_city, "payment": str(h.payment), "tracking_no": h.tracking_no}
            for h in hits]


@router.get("/api/orders/{ref:path}")
def order_api(request: Request, ref: str, session: Any = VIEW) -> dict[str, Any]:
    store = request.app.state.store
    order = store.get(ref)
    doc = order.model_dump(mode="json", exclude={"raw"})
    doc.update(set_fields(order))  # tags, carrier, attributes: set by rules and flows
    doc["timeline"] = [e.as_json() for e in timeline(request.app.state.ws, order.id)]
    return doc
