"""Flows: each flow as a diagram, and the threshold what-if over a day's stored orders."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from .. import flows_api
from ..app import read_only, render, require
from ..flowchart import svg
from ..rules_api import InputError

router = APIRouter()
VIEW = require("flows.view")
WHATIF = require("flows.whatif")


@router.get("/flows")
def flows_page(request: Request, session: Any = VIEW) -> Response:
    state = request.app.state
    ws = state.ws
    charts = [(d, svg(d)) for d in flows_api.diagrams(ws)]
    day = flows_api.latest_day(state.store, ZoneInfo(ws.config.timezone))
    return render(request, "flows.html", charts=charts, warehouses=flows_api.thresholds(ws),
                  day=day)


@router.post("/flows/what-if")
async def what_if(request: Request, session: Any = WHATIF) -> Response:
    read_only(request)
    state = request.app.state
    form = await request.form()
    configured = flows_api.thresholds(state.ws)
    changed: dict[str, int] = {}
    try:
        for code, (_, current) in configured.items():
            value = str(form.get(f"threshold_{code}") or "").strip()
            if value and (current is None or int(value) != current):
                changed[code] = int(value)
        day = date.fromisoformat(str(form.get("day") or date.today().isoformat()))
    except ValueError as exc:
        raise InputError(f"not a threshold or a day: {exc}") from None
    report = flows_api.what_if(state.ws, state.store, changed, day)
    return render(request, "what_if.html", report=report, changed=changed, day=day)


@router.get("/api/flows")
def flows_api_list(request: Request, session: Any = VIEW) -> list[dict[str, Any]]:
    return [{"name": d.name, "trigger": d.trigger, "nodes": d.nodes,
             "edges": [{"from": a, "to": b, "label": label} for a, b, label in d.edges]}
            for d in flows_api.diagrams(request.app.state.ws)]
