"""审批: decisions a supervisor makes on the phone (reship, refund, write-off, ship despite a
hold), each with a comment; :func:`orderhub.fulfilment.approvals.decide` acts on the order and
audits it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from ...fulfilment import approvals
from ...store.schema import orders
from ..app import audited_by_api, render, require

router = APIRouter()
VIEW = require("approvals.view")
DECIDE = require("approvals.decide")


def _labels(engine: Any, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(orders.c.id, orders.c.platform, orders.c.platform_order_no)
                            .where(orders.c.id.in_(sorted(ids))))
        return {r.id: f"{r.platform}:{r.platform_order_no}" for r in rows}


@router.get("/approvals")
def approvals_page(request: Request, session: Any = VIEW) -> Response:
    ws = request.app.state.ws
    waiting = approvals.pending(ws)
    decided = approvals.decided(ws)
    labels = _labels(ws.store.engine, {a.order_id for a in waiting + decided})
    return render(request, "approvals.html", waiting=waiting, decided=decided, labels=labels)


@router.post("/approvals/{approval_id}/decide")
def decide(request: Request, approval_id: int, decision: Annotated[str, Form()],
           comment: Annotated[str, Form()] = "", session: Any = DECIDE) -> Response:
    approvals.decide(request.app.state.ws, approval_id, decision == "approve", session.user,
                     comment)
    audited_by_api(request)
    return RedirectResponse("/approvals", status_code=303)


@router.get("/api/approvals")
def approvals_api(request: Request, session: Any = VIEW) -> list[dict[str, Any]]:
    return [a.as_json() for a in approvals.pending(request.app.state.ws)]
