"""扫描发货: the warehouse phone's pages and their JSON API.

The page (``scan.html`` + ``static/scan.js``) reads scans from a keyboard-wedge scanner or the
camera, checks items against the order and keeps a queue of scans made offline; every call here
is one function of :mod:`orderhub.fulfilment.scan`, :mod:`~orderhub.fulfilment.exceptions` or
:mod:`~orderhub.fulfilment.approvals`, as the signed-in user.  Each JSON answer carries a
``Server-Timing`` header (``app;dur=ms``) that bench/scan.py reads.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...fulfilment import approvals, exceptions, scan
from ...fulfilment.media import media_of
from ..app import audited_by_api, read_only, render, require

router = APIRouter()
USE = require("scan.use")
MEDIA = require("media.view")
REQUEST = require("approvals.request")


class LookupIn(BaseModel):
    code: str = Field(min_length=1, max_length=128)


class ItemIn(BaseModel):
    order: str = Field(min_length=1, max_length=128)
    code: str = Field(min_length=1, max_length=128)
    seen: list[str] = Field(default_factory=list, max_length=1000)


class ShipIn(BaseModel):
    key: str = Field(min_length=1, max_length=64)
    order: str = Field(min_length=1, max_length=128)
    scans: list[str] = Field(max_length=1000)
    carrier: str | None = Field(default=None, max_length=16)
    tracking_no: str | None = Field(default=None, max_length=64)
    weight_kg: float | None = Field(default=None, ge=0, le=1000)
    warehouse: str | None = Field(default=None, max_length=32)


class ApprovalIn(BaseModel):
    order: str = Field(min_length=1, max_length=128)
    kind: str = Field(min_length=1, max_length=16)
    reason: str = Field(min_length=1, max_length=500)


def _timed(started: float, body: dict[str, Any], status: int = 200) -> JSONResponse:
    ms = (time.perf_counter() - started) * 1000
    return JSONResponse(body, status_code=status, headers={"Server-Timing": f"app;dur={ms:.1f}"})


@router.get("/scan")
def scan_page(request: Request, session: Any = USE) -> Response:
    return render(request, "scan.html", kinds=exceptions.KINDS)


@router.post("/api/scan/lookup")
def lookup(request: Request, body: LookupIn, session: Any = USE) -> Response:
    started = time.perf_counter()
    found = scan.lookup(request.app.state.ws, body.code, session.user)
    audited_by_api(request)
    return _timed(started, found.as_json())


@router.post("/api/scan/item")
def item(request: Request, body: ItemIn, session: Any = USE) -> Response:
    started = time.perf_counter()
    check = scan.check_item(request.app.state.ws, body.order, body.code, body.seen,
                            session.user)
    audited_by_api(request)
    return _timed(started, check.as_json())


@router.post("/api/scan/ship")
def ship(request: Request, body: ShipIn, session: Any = USE) -> Response:
    started = time.perf_counter()
    result = scan.ship_scanned(request.app.state.ws, body.key, body.order, body.scans,
                               session.user, carrier=body.carrier or None,
                               tracking_no=body.tracking_no or None, weight_kg=body.weight_kg,
                               warehouse=body.warehouse or None)
    audited_by_api(request)
    return _timed(started, result)


@router.get("/api/scan/recent")
def recent(request: Request, session: Any = USE) -> list[dict[str, Any]]:
    return scan.recent(request.app.state.ws, session.user)


@router.get("/scan/exception")
def exception_page(request: Request, order: str, session: Any = USE) -> Response:
    o = request.app.state.store.get(order)
    return render(request, "scan_exception.html", order=o, kinds=exceptions.KINDS)


@router.post("/scan/exception")
async def exception_report(request: Request, order: Annotated[str, Form()],
                           kind: Annotated[str, Form()], note: Annotated[str, Form()] = "",
                           photos: Annotated[list[UploadFile] | None, File()] = None,
                           session: Any = USE) -> Response:
    files = [(f.filename or "photo", await f.read()) for f in photos or []]
    done = exceptions.report(request.app.state.ws, order, kind, session.user,
                             note=note.strip(), photos=files)
    audited_by_api(request)
    o = request.app.state.store.get(done.order_id)
    return render(request, "scan_exception.html", order=o, kinds=exceptions.KINDS,
                  reported=done)


@router.post("/api/approvals")
def ask(request: Request, body: ApprovalIn, session: Any = REQUEST) -> dict[str, Any]:
    a = approvals.request(request.app.state.ws, body.order, body.kind, body.reason,
                          session.user)
    audited_by_api(request)
    return a.as_json()


@router.get("/media/{name}")
def media(request: Request, name: str, session: Any = MEDIA) -> Response:
    read_only(request)
    data = media_of(request.app.state.ws).get(name)
    return Response(data, media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})
