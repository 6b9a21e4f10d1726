"""``/``: the first page the user may open; ``/api/me``: who is signed in, with what."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from ..app import NotSignedIn, nav
from ..permissions import permissions_of

router = APIRouter()


@router.get("/")
def home(request: Request) -> Response:
    if request.state.session is None:
        raise NotSignedIn()
    pages = nav(request)
    return RedirectResponse(pages[0][0] if pages else "/orders", status_code=303)


@router.get("/api/me")
def me(request: Request) -> dict[str, Any]:
    session = request.state.session
    if session is None:
        raise NotSignedIn()
    return {"user": session.user, "role": session.role,
            "permissions": sorted(permissions_of(session.role)),
            "pages": [path for path, _ in nav(request)]}
