"""审单 / 异常队列: tasks and holds with filters; claim, release with a reason, cancel, correct
an address, bulk actions; overdue in red; the list refreshes itself every 15 seconds.

Every action is a call into :mod:`orderhub.fulfilment` as the signed-in user, which audits it
(so it shows on the order's timeline with the user and the reason)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from ...fulfilment import actions, holds, tasks
from .. import queue_api
from ..app import audited_by_api, is_htmx, render, require

router = APIRouter()
VIEW = require("queue.view")
ACT = require("queue.act")
ADDRESS = require("orders.address")
#: rows per list on the page: the most urgent tasks and the longest-held orders first
PAGE_ROWS = 100


def _filters(queue: str = "", kind: str = "", platform: str = "", shop: str = "",
             overdue: str = "") -> queue_api.Filters:
    return queue_api.Filters(queue.strip(), kind.strip(), platform.strip(), shop.strip(),
                             overdue in ("1", "on", "true", "yes"))


@router.get("/queue")
def queue_page(request: Request, queue: str = "", kind: str = "", platform: str = "",
               shop: str = "", overdue: str = "", session: Any = VIEW) -> Response:
    f = _filters(queue, kind, platform, shop, overdue)
    template = "queue_list.html" if is_htmx(request) else "queue.html"
    view = queue_api.view(request.app.state.ws, f, limit=PAGE_ROWS)
    return render(request, template, view=view, f=f, rows=PAGE_ROWS)


def _back(request: Request, message: str) -> Response:
    """After an action: the refreshed list for htmx, else back to the queue page."""
    audited_by_api(request)
    if is_htmx(request):
        referer = request.headers.get("hx-current-url", "")
        query = referer.split("?", 1)[1] if "?" in referer else ""
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        f = _filters(**{k: v for k, v in params.items()
                        if k in ("queue", "kind", "platform", "shop", "overdue")})
        view = queue_api.view(request.app.state.ws, f, limit=PAGE_ROWS)
        return render(request, "queue_list.html", view=view, f=f, rows=PAGE_ROWS,
                      message=message)
    return RedirectResponse("/queue", status_code=303)


@router.post("/queue/tasks/{task_id}/claim")
def claim(request: Request, task_id: int, session: Any = ACT) -> Response:
    tasks.claim(request.app.state.ws, task_id, session.user)
    return _back(request, f"task #{task_id} claimed")


@router.post("/queue/tasks/{task_id}/done")
def done(request: Request, task_id: int, note: Annotated[str, Form()] = "",
         session: Any = ACT) -> Response:
    tasks.done(request.app.state.ws, task_id, session.user, note=note or None)
    return _back(request, f"task #{task_id} done")


@router.post("/queue/tasks/{task_id}/cancel")
def cancel_task(request: Request, task_id: int, note: Annotated[str, Form()] = "",
                session: Any = ACT) -> Response:
    tasks.cancel(request.app.state.ws, task_id, session.user, note=note or None)
    return _back(request, f"task #{task_id} cancelled")


@router.post("/queue/orders/{order_id}/release")
def release(request: Request, order_id: str, reason: Annotated[str, Form()],
            session: Any = ACT) -> Response:
    holds.release(request.app.state.ws, order_id, reason, session.user)
    return _back(request, f"{order_id} released")


@router.post("/queue/orders/{order_id}/cancel")
def cancel_order(request: Request, order_id: str, reason: Annotated[str, Form()],
                 session: Any = ACT) -> Response:
    actions.cancel(request.app.state.ws, order_id, reason, session.user)
    return _back(request, f"{order_id} cancelled")


@router.post("/queue/orders/{order_id}/address")
def address(request: Request, order_id: str, reason: Annotated[str, Form()] = "",
            province: Annotated[str, Form()] = "", city: Annotated[str, Form()] = "",
            district: Annotated[str, Form()] = "", detail: Annotated[str, Form()] = "",
            name: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
            session: Any = ADDRESS) -> Response:
    fields = {"province": province, "city": city, "district": district, "address": detail,
              "name": name, "phone": phone}
    receiver: dict[str, str | None] = {k: v.strip() for k, v in fields.items() if v.strip()}
    actions.correct_address(request.app.state.ws, order_id, session.user, reason or None, None,
                            **receiver)
    if is_htmx(request):
        return _back(request, f"{order_id}: address corrected")
    audited_by_api(request)
    return RedirectResponse(f"/orders/{order_id}", status_code=303)


@router.post("/queue/bulk")
async def bulk(request: Request, session: Any = ACT) -> Response:
    """One action on every ticked row: claim tasks, or release / cancel orders (one reason)."""
    form = await request.form()
    action = str(form.get("action") or "")
    reason = str(form.get("reason") or "").strip()
    ws, user = request.app.state.ws, session.user
    task_ids = [int(str(v)) for v in form.getlist("task")]
    order_ids = list(dict.fromkeys(str(v) for v in form.getlist("order")))
    done_n = 0
    for task_id in task_ids if action == "claim" else []:
        tasks.claim(ws, task_id, user)
        done_n += 1
    for order_id in order_ids if action in ("release", "cancel") else []:
        if action == "release":
            holds.release(ws, order_id, reason, user)
        else:
            actions.cancel(ws, order_id, reason, user)
        done_n += 1
    return _back(request, f"{action}: {done_n}")


@router.get("/api/queue")
def queue_api_list(request: Request, queue: str = "", kind: str = "", platform: str = "",
                   shop: str = "", overdue: str = "", session: Any = VIEW) -> dict[str, Any]:
    v = queue_api.view(request.app.state.ws, _filters(queue, kind, platform, shop, overdue))
    return {"tasks": [{**t.as_json(), "order": ref.label if ref else None}
                      for t, ref, _ in v.tasks],
            "holds": [{**h.as_json(), "order": ref.label if ref else None}
                      for h, ref in v.holds]}
