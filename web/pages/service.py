"""Service: what ``orderhub status`` and ``orderhub outbox`` show; dead letters can be retried."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ...service import state as service_state
from ...service.outbox import Outbox
from ..app import audit, render, require

router = APIRouter()
VIEW = require("service.view")
RETRY = require("service.retry")


def _status(request: Request) -> dict[str, Any]:
    ws = request.app.state.ws
    return service_state.status(request.app.state.engine, ws.config.service.consumer)


@router.get("/service")
def service_page(request: Request, session: Any = VIEW) -> Response:
    engine = request.app.state.engine
    return render(request, "service.html", info=_status(request),
                  dead=Outbox(engine).list(status="dead", limit=100))


@router.post("/service/outbox/{message_id}/retry")
def retry(request: Request, message_id: int, session: Any = RETRY) -> Response:
    outbox = Outbox(request.app.state.engine)
    before = outbox.get(message_id)
    after = outbox.retry(message_id)
    audit(request, "outbox.retry", target=f"outbox {message_id} ({before.kind})",
          order_id=before.order_id, before={"status": before.status,
                                            "attempts": before.attempts},
          after={"status": after.status, "attempts": after.attempts})
    return render(request, "service.html", info=_status(request),
                  dead=outbox.list(status="dead", limit=100), retried=message_id)


@router.get("/api/service/status")
def status_api(request: Request, session: Any = VIEW) -> dict[str, Any]:
    return _status(request)
