"""周榜大屏 (the weekly board): a full-screen page for a TV in the warehouse: the people who
shipped the most orders, handled the most exceptions and answered fastest this week.

It refreshes itself (htmx polls the ranks every ``refresh`` seconds, 60 by default); the
figures are :func:`orderhub.kpi.board.board`'s, the same rankings as the weekly digest.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from ...kpi.board import board, this_week
from ...kpi.periods import KpiPeriod, week
from ..app import is_htmx, now_utc, render, require

router = APIRouter()
VIEW = require("board.view")
#: rows per ranking: what a TV across the room can show
TOP = 8


def _period(request: Request, spec: str) -> KpiPeriod:
    tz = request.app.state.ws.config.timezone
    if not spec.strip():
        return this_week(now_utc(), tz)
    try:
        return week(spec, tz)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def _figures(request: Request, week_spec: str) -> dict[str, Any]:
    return board(request.app.state.ws, _period(request, week_spec), top=TOP, now=now_utc())


@router.get("/board")
def board_page(request: Request, week: str = "", refresh: int = 60,
               session: Any = VIEW) -> Response:
    """The whole screen; with htmx (the poll), only the ranks."""
    refresh = min(max(refresh, 5), 3600)
    template = "board_ranks.html" if is_htmx(request) else "board.html"
    return render(request, template, b=_figures(request, week), week=week.strip(),
                  refresh=refresh)


@router.get("/api/board")
def board_api(request: Request, week: str = "", session: Any = VIEW) -> dict[str, Any]:
    return _figures(request, week)
