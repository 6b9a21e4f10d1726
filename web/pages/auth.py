"""Sign in, sign out and the language switch."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from ..app import LANG_COOKIE, SESSION_COOKIE, audit, client_of, render, set_cookie
from ..i18n import LANGUAGES
from ..users import UserStore

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never ``//host`` or ``https://...`` (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=_safe_next(next))


@router.post("/login")
def login(request: Request, username: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    state = request.app.state
    name = username.strip()[:64]
    wait = state.throttle.blocked_for(name)
    if wait is not None:
        audit(request, "login.throttled", target=name, who=name)
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        return render(request, "login.html", status_code=429, next=_safe_next(next),
                      error=("login.throttled", {"minutes": minutes}), username=name)
    user = UserStore(state.engine).verify(name, password)
    if user is None:
        state.throttle.failed(name, client_of(request))
        audit(request, "login.failed", target=name, who=name)
        return render(request, "login.html", status_code=401, next=_safe_next(next),
                      error=("login.failed", {}), username=name)
    state.throttle.succeeded(name)
    old = request.cookies.get(SESSION_COOKIE)
    state.sessions.end(old)
    token = state.sessions.create(user.name)
    audit(request, "login", target=user.name, who=user.name)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token,
               max_age=int(state.config.session_hours * 3600))
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    if request.state.session is not None:
        audit(request, "logout", target=request.state.session.user)
    request.app.state.sessions.end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def language(request: Request, code: str, back: str = "/") -> Response:
    """Switch the language (a preference cookie, nothing on the server changes)."""
    response = RedirectResponse(_safe_next(back), status_code=303)
    if code in LANGUAGES:
        set_cookie(request, response, LANG_COOKIE, code, max_age=365 * 86400)
    return response
