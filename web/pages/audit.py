"""The audit log: every state-changing request, newest first (admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from .. import audit as audit_log
from ..app import render, require

router = APIRouter()
VIEW = require("audit.view")


@router.get("/audit")
def audit_page(request: Request, session: Any = VIEW) -> Response:
    return render(request, "audit.html", entries=audit_log.entries(request.app.state.engine))
