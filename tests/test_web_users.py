"""The users admin page (用户管理) over HTTP against a real ``orderhub web`` process: only an
admin opens it; users it adds can sign in with their role, disabled ones cannot, a reset
password replaces the old one; every change is audited without the password."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

_spec = importlib.util.spec_from_file_location(
    "web_support", Path(__file__).with_name("web_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.store import OrderStore  # noqa: E402
from orderhub.web import audit  # noqa: E402
from orderhub.web.permissions import ROLES  # noqa: E402

NEW_PASSWORD = "新来的仓库主管 pw"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("users") / "shop"
    db_url = f"sqlite:///{root.parent / 'orderhub.db'}"
    sup.make_workspace(root, db_url)
    with sup.console(root, db_url) as base:
        yield base, db_url


def sign_in(base: str, name: str, password: str) -> httpx.Client | None:
    """A client signed in as ``name``, or None when the sign-in is refused."""
    client = httpx.Client(base_url=base, timeout=30)
    token = sup.csrf_of(client.get("/login").text)
    done = client.post("/login", data={"username": name, "password": password,
                                       "csrf_token": token})
    return client if done.status_code == 303 else None


def row_of(html: str, name: str) -> str:
    start = html.index(f'id="user-{name}"')
    return html[start:html.index("</tr>", start)]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_an_admin_opens_or_changes_users(site, role: str) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    client, token = sup.login(base, role)
    assert client.get("/users").status_code == 403
    added = client.post("/users", data={"name": f"by-{role}", "role": "admin",
                                        "password": "long enough", "csrf_token": token})
    assert added.status_code == 403
    assert client.post(f"/users/{sup.USERS['viewer']}/disable",
                       data={"csrf_token": token}).status_code == 403
    assert sign_in(base, f"by-{role}", "long enough") is None


def test_admin_adds_a_user_who_signs_in_with_that_role(site) -> None:  # type: ignore[no-untyped-def]
    base, db_url = site
    admin, token = sup.login(base, "admin")
    page = admin.get("/users")
    assert page.status_code == 200 and "用户管理" in page.text
    assert all(f'id="user-{name}"' in page.text for name in sup.USERS.values())
    added = admin.post("/users", data={"name": "老周", "role": "supervisor",
                                       "password": NEW_PASSWORD, "csrf_token": token})
    assert added.status_code == 200, added.text
    assert "supervisor\" selected" in row_of(added.text, "老周")
    zhou = sign_in(base, "老周", NEW_PASSWORD)
    assert zhou is not None and zhou.get("/api/me").json()["role"] == "supervisor"
    assert zhou.get("/approvals").status_code == 200
    entry = next(e for e in audit.entries(OrderStore.open(db_url).engine)
                 if e.action == "users.add" and e.target == "老周")
    assert entry.person == sup.USERS["admin"] and entry.after == {"role": "supervisor"}
    assert NEW_PASSWORD not in json.dumps([entry.before, entry.after, entry.reason])


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(site) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    admin, token = sup.login(base, "admin")
    admin.post("/users", data={"name": "temp", "role": "cs", "password": "long enough",
                               "csrf_token": token})
    temp = sign_in(base, "temp", "long enough")
    assert temp is not None and temp.get("/queue").status_code == 200
    done = admin.post("/users/temp/disable", data={"csrf_token": token})
    assert done.status_code == 200 and "已停用" in row_of(done.text, "temp")
    assert temp.get("/api/me").status_code == 401  # the live session ended at once
    assert sign_in(base, "temp", "long enough") is None
    admin.post("/users/temp/enable", data={"csrf_token": token})
    assert sign_in(base, "temp", "long enough") is not None


def test_role_change_and_password_reset_take_effect(site) -> None:  # type: ignore[no-untyped-def]
    base, db_url = site
    admin, token = sup.login(base, "admin")
    admin.post("/users", data={"name": "ann", "role": "viewer", "password": "first password",
                               "csrf_token": token})
    ann = sign_in(base, "ann", "first password")
    assert ann is not None and ann.get("/finance").status_code == 403
    admin.post("/users/ann/role", data={"role": "finance", "csrf_token": token})
    assert ann.get("/finance").status_code == 200  # on her next request
    reset = admin.post("/users/ann/password", data={"password": "second password",
                                                    "csrf_token": token})
    assert reset.status_code == 200
    assert ann.get("/api/me").status_code == 401  # a new password ends her sessions
    assert sign_in(base, "ann", "first password") is None
    assert sign_in(base, "ann", "second password") is not None
    actions = {(e.action, e.target): e for e in audit.entries(OrderStore.open(db_url).engine)}
    assert actions[("users.role", "ann")].before == {"role": "viewer"}
    assert actions[("users.role", "ann")].after == {"role": "finance"}
    assert "second password" not in json.dumps(actions[("users.passwd", "ann")].after)


def test_refusals_show_why_and_change_nothing(site) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    admin, token = sup.login(base, "admin")
    short = admin.post("/users", data={"name": "bob", "role": "cs", "password": "short",
                                       "csrf_token": token})
    assert short.status_code == 400 and "at least 8" in short.text
    assert 'id="user-bob"' not in short.text
    me = sup.USERS["admin"]
    self_off = admin.post(f"/users/{me}/disable", data={"csrf_token": token})
    assert self_off.status_code == 400 and "your own account" in self_off.text
    assert admin.get("/api/me").status_code == 200
    forged = admin.post("/users", data={"name": "bob", "role": "admin",
                                        "password": "long enough"})
    assert forged.status_code == 403  # no CSRF token
    assert sign_in(base, "bob", "long enough") is None
    assert admin.post("/users/nobody/role", data={"role": "cs", "csrf_token": token}
                      ).status_code == 400
