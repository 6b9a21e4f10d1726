"""Users (用户管理, admins): list, add with a role, disable or enable, change the role, reset
the password.

A thin skin over :class:`orderhub.web.users.UserStore`, the same API ``orderhub users`` uses:
its checks (name, role, password length) and its side effects (a disabled user's or a new
password's sessions end at once) are the CLI's.  Every change is audited under the signed-in
admin; a password never reaches the audit trail.  An admin cannot disable or demote their own
account here, so the console cannot be left without the admin who is using it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from ...errors import NotFound
from ..app import audit, read_only, render, require
from ..permissions import ROLE_HELP, ROLES
from ..users import UserError, UserStore

router = APIRouter()
MANAGE = require("users.manage")


def _page(request: Request, status_code: int = 200, *, done: str | None = None,
          error: str | None = None) -> Response:
    found = UserStore(request.app.state.engine).list()
    return render(request, "users.html", status_code=status_code, users=found, roles=ROLES,
                  role_help=ROLE_HELP, done=done, error=error)


def _act(request: Request, change: Callable[[UserStore], tuple[str, str, Any, Any]]) -> Response:
    """Run one change; audit it, or show its refusal on the page (400) and audit nothing."""
    store = UserStore(request.app.state.engine)
    try:
        action, target, before, after = change(store)
    except (UserError, NotFound) as exc:
        read_only(request)
        return _page(request, 400, error=str(exc))
    audit(request, action, target=target, before=before, after=after)
    return _page(request, done=f"{action}: {target}")


def _not_self(request: Request, name: str, what: str) -> None:
    if name == request.state.session.user:
        raise UserError(f"you cannot {what} your own account")


@router.get("/users")
def users_page(request: Request, session: Any = MANAGE) -> Response:
    return _page(request)


@router.post("/users")
def add_user(request: Request, name: Annotated[str, Form()], role: Annotated[str, Form()],
             password: Annotated[str, Form()], session: Any = MANAGE) -> Response:
    def change(store: UserStore) -> tuple[str, str, Any, Any]:
        user = store.add(name, role, password)
        return "users.add", user.name, None, {"role": user.role}

    return _act(request, change)


@router.post("/users/{name}/role")
def set_role(request: Request, name: str, role: Annotated[str, Form()],
             session: Any = MANAGE) -> Response:
    def change(store: UserStore) -> tuple[str, str, Any, Any]:
        _not_self(request, name, "change the role of")
        before = store.get(name).role
        store.set_role(name, role)
        return "users.role", name, {"role": before}, {"role": role}

    return _act(request, change)


@router.post("/users/{name}/disable")
def disable(request: Request, name: str, session: Any = MANAGE) -> Response:
    def change(store: UserStore) -> tuple[str, str, Any, Any]:
        _not_self(request, name, "disable")
        before = store.get(name).disabled
        store.disable(name)
        return "users.disable", name, {"disabled": before}, {"disabled": True}

    return _act(request, change)


@router.post("/users/{name}/enable")
def enable(request: Request, name: str, session: Any = MANAGE) -> Response:
    def change(store: UserStore) -> tuple[str, str, Any, Any]:
        before = store.get(name).disabled
        store.disable(name, False)
        return "users.enable", name, {"disabled": before}, {"disabled": False}

    return _act(request, change)


@router.post("/users/{name}/password")
def reset_password(request: Request, name: str, password: Annotated[str, Form()],
                   session: Any = MANAGE) -> Response:
    def change(store: UserStore) -> tuple[str, str, Any, Any]:
        store.set_password(name, password)
        return "users.passwd", name, None, {"sessions": "ended"}

    return _act(request, change)
