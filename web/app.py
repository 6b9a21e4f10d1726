"""The console's application: sessions, CSRF, permissions, audit and the page modules.

Security in one place:

- every request passes :func:`_context`: the session (server-side, :mod:`.sessions`), the
  language and the CSRF token (a random per-browser cookie, keyed with the workspace's secret);
- every non-GET request must carry that token, in the ``X-CSRF-Token`` header (htmx sends it,
  see ``base.html``) or the ``csrf_token`` form field, else 403 (:func:`csrf_protect`, an
  app-wide dependency, so no route can forget it);
- every route names its permission with :func:`require` (the table is :mod:`.permissions`);
- every successful state-changing request is audited: routes record what they changed with
  :func:`audit`; one that records nothing still gets an entry from the middleware.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from ..errors import NotFound, OrderhubError
from . import audit as audit_log
from . import views
from .config import WebConfig
from .i18n import DEFAULT, LANGUAGES, translator
from .permissions import NAV, allowed
from .sessions import Session, SessionStore, Throttle

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "oh_session"
CSRF_COOKIE = "oh_csrf"
LANG_COOKIE = "oh_lang"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: One route module per page, in the order of the navigation; a module that is not there
#: (the review queue comes with the fulfilment work) is skipped, and so is its nav entry.
PAGE_MODULES = ("auth", "home", "scan", "approvals", "queue", "orders", "rules", "flows",
                "finance", "service", "kpi", "board", "audit", "users")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; media-src 'self' blob:; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")


class Forbidden(Exception):
    """The user may not do this (403); raised by :func:`require`."""


class NotSignedIn(Exception):
    """No live session (the login page, or 401 for the API)."""


class CsrfFailed(Exception):
    """A state-changing request without its CSRF token (403)."""


def secret_key(ws: Any) -> bytes:
    """The workspace's console secret (``.console/secret``, made on first use, mode 600)."""
    path = Path(ws.root) / ".console" / "secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32), encoding="ascii")
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text(encoding="ascii").strip().encode()


def create_app(ws: Any, config: WebConfig | None = None) -> FastAPI:
    """The console for workspace ``ws`` (its store is opened, and migrated, here)."""
    config = config or getattr(ws.config, "web", None) or WebConfig()
    app = FastAPI(title="orderhub console", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf_protect)])
    store = ws.store
    app.state.ws = ws
    app.state.store = store
    app.state.engine = store.engine
    app.state.config = config
    app.state.sessions = SessionStore(store.engine, config)
    app.state.throttle = Throttle(store.engine, config)
    app.state.secret = secret_key(ws)
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    views.install(app.state.templates.env)
    app.state.pages = []
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for name in PAGE_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.pages.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.pages.{name}":
                raise
            continue
        app.include_router(module.router)
        app.state.pages.append(name)
    app.middleware("http")(_context)
    _handlers(app)
    return app


# ---- per request --------------------------------------------------------------------------


def _csrf_token(secret: bytes, cookie: str) -> str:
    return hmac.new(secret, cookie.encode(), hashlib.sha256).hexdigest()


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def secure_cookie(request: Request) -> bool:
    mode = request.app.state.config.secure_cookies
    return mode == "always" or (mode == "auto" and is_https(request))


def set_cookie(request: Request, response: Response, name: str, value: str, *,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=secure_cookie(request))


async def _context(request: Request,
                   call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    state = request.app.state
    csrf_cookie = request.cookies.get(CSRF_COOKIE)
    new_cookie = None
    if not csrf_cookie or len(csrf_cookie) > 128:
        csrf_cookie = new_cookie = secrets.token_urlsafe(32)
    request.state.csrf_cookie = csrf_cookie
    request.state.csrf = _csrf_token(state.secret, csrf_cookie)
    request.state.session = None
    if not request.url.path.startswith("/static/"):
        # a database read: on a worker thread, so the event loop keeps serving other requests
        request.state.session = await run_in_threadpool(
            state.sessions.get, request.cookies.get(SESSION_COOKIE))
    lang = request.cookies.get(LANG_COOKIE, DEFAULT)
    request.state.lang = lang if lang in LANGUAGES else DEFAULT
    request.state.audited = False
    response = await call_next(request)
    if (request.method not in SAFE_METHODS and response.status_code < 400
            and not request.state.audited and request.state.session is not None):
        audit(request, f"{request.method} {request.url.path}")
    if new_cookie:
        set_cookie(request, response, CSRF_COOKIE, new_cookie)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if not request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request whose CSRF token is missing or wrong."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, request.state.csrf):
        raise CsrfFailed()


def require(permission: str) -> Any:
    """A dependency: the signed-in session, when its role has ``permission``."""

    def check(request: Request) -> Session:
        session: Session | None = request.state.session
        if session is None:
            raise NotSignedIn()
        if not allowed(session.role, permission):
            raise Forbidden()
        return session

    return Depends(check)


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def audit(request: Request, action: str, *, target: str | None = None,
          order_id: str | None = None, before: Any = None, after: Any = None,
          reason: str | None = None, who: str | None = None) -> None:
    """Record what this request changed (who: the signed-in user)."""
    session = request.state.session
    name = who or (session.user if session else "anonymous")
    audit_log.record(request.app.state.engine, name, action, target=target, order_id=order_id,
                     before=before, after=after, reason=reason)
    request.state.audited = True


def audited_by_api(request: Request) -> None:
    """The API called (fulfilment's) wrote its own audit entry, in its own transaction."""
    request.state.audited = True


def read_only(request: Request) -> None:
    """Mark a POST that changes nothing (a check, a dry run): no audit entry."""
    request.state.audited = True


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def nav(request: Request) -> list[tuple[str, str]]:
    """(path, title) of the pages this user may open and this install has."""
    session = request.state.session
    pages = set(request.app.state.pages)
    t = translator(request.state.lang)
    return [(path, t(key)) for path, perm, key in NAV
            if path.strip("/") in pages and session is not None and allowed(session.role, perm)]


def render(request: Request, template: str, status_code: int = 200,
           **values: Any) -> HTMLResponse:
    session = request.state.session
    context = {"t": translator(request.state.lang), "lang": request.state.lang,
               "csrf": request.state.csrf, "session": session, "nav": nav(request),
               "path": request.url.path,
               "can": lambda p: session is not None and allowed(session.role, p), **values}
    return request.app.state.templates.TemplateResponse(request, template, context,
                                                        status_code=status_code)


def now_utc() -> datetime:
    return datetime.now(UTC)


# ---- errors -------------------------------------------------------------------------------


def _handlers(app: FastAPI) -> None:
    def page_error(request: Request, status: int, key: str, detail: str = "") -> Response:
        if wants_json(request):
            return JSONResponse({"error": translator("en")(key), "detail": detail},
                                status_code=status)
        return render(request, "error.html", status_code=status, key=key, detail=detail)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if wants_json(request):
            return JSONResponse({"error": "not signed in"}, status_code=401)
        target = "/login?next=" + request.url.path if request.method == "GET" else "/login"
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return page_error(request, 403, "error.forbidden")

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return page_error(request, 403, "error.csrf")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return page_error(request, 404, "error.notfound", str(exc))

    @app.exception_handler(OrderhubError)
    async def bad(request: Request, exc: OrderhubError) -> Response:
        text = exc.render() if hasattr(exc, "render") else str(exc)
        return page_error(request, 400, "error.bad", text)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        key = {403: "error.forbidden", 404: "error.notfound"}.get(exc.status_code, "error.bad")
        return page_error(request, exc.status_code, key, str(exc.detail or ""))
