"""Finance: reconcile a period, see the summary, open the red report, download the XLSX and
the Kingdee/Yonyou vouchers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import FileResponse

from ...finance.vouchers import FORMATS
from .. import finance_api
from ..app import audit, render, require

router = APIRouter()
VIEW = require("finance.view")
RUN = require("finance.run")


@router.get("/finance")
def finance_page(request: Request, session: Any = VIEW) -> Response:
    return render(request, "finance.html", formats=FORMATS, result=None)


@router.post("/finance/reconcile")
def run(request: Request, period: Annotated[str, Form()], shop: Annotated[str, Form()] = "",
        session: Any = RUN) -> Response:
    state = request.app.state
    result = finance_api.run(state.ws, state.store, period, shop or None)
    audit(request, "finance.reconcile", target=result.label + (f" {shop}" if shop else ""),
          after={"files": result.files})
    return render(request, "finance_result.html", result=result)


@router.get("/finance/files/{name}")
def report_file(request: Request, name: str, session: Any = VIEW) -> Response:
    path = finance_api.report_file(request.app.state.ws, name)
    if path.suffix == ".html":  # the red report opens in the browser
        return FileResponse(path, media_type="text/html; charset=utf-8")
    return FileResponse(path, filename=path.name)


@router.get("/finance/vouchers")
def vouchers(request: Request, month: str, format: str, session: Any = RUN) -> Response:
    state = request.app.state
    path = finance_api.vouchers(state.ws, state.store, month, format)
    return FileResponse(path, filename=path.name)
