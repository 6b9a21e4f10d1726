"""The console over HTTP, as a real ``orderhub web`` process serves it: roles, CSRF,
throttling, cookies, audit, escaping."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

_spec = importlib.util.spec_from_file_location(
    "web_support", Path(__file__).with_name("web_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.cli import main  # noqa: E402
from orderhub.store import OrderStore  # noqa: E402
from orderhub.web import audit  # noqa: E402
from orderhub.web.permissions import NAV, ROLES, allowed  # noqa: E402

PAGE_PERMISSION = {path: perm for path, perm, _ in NAV}
API_PERMISSION = {"/api/rules": "rules.view", "/api/flows": "flows.view",
                  "/api/orders": "orders.view", "/api/service/status": "service.view",
                  "/api/queue": "queue.view"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    root = tmp_path_factory.mktemp("console") / "shop"
    db_url = f"sqlite:///{root.parent / 'orderhub.db'}"
    sup.make_workspace(root, db_url)
    with sup.console(root, db_url) as base:
        yield base, root, db_url


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_pages_and_api(site, role: str) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    client, _ = sup.login(base, role)
    me = client.get("/api/me").json()
    assert me["role"] == role
    for path, perm in PAGE_PERMISSION.items():
        status = client.get(path).status_code
        assert status == (200 if allowed(role, perm) else 403), (role, path, status)
        assert (path in me["pages"]) == allowed(role, perm)
    for path, perm in API_PERMISSION.items():
        status = client.get(path).status_code
        assert status == (200 if allowed(role, perm) else 403), (role, path, status)


def test_warehouse_gets_403_on_rules_page_and_api(site) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    client, token = sup.login(base, "warehouse")
    assert client.get("/rules").status_code == 403
    assert client.get("/api/rules").status_code == 403
    switched = client.post("/api/rules/promo_big_cold_order/switch", json={"enabled": True},
                           headers={"X-CSRF-Token": token})
    assert switched.status_code == 403


def test_viewer_can_read_but_change_nothing(site) -> None:  # type: ignore[no-untyped-def]
    base, root, _ = site
    client, token = sup.login(base, "viewer")
    rules_before = (root / "rules" / "promo.rules").read_text(encoding="utf-8")
    page = client.get("/rules")
    assert page.status_code == 200 and "promo_big_cold_order" in page.text
    assert "/switch" not in page.text  # no switch forms are offered
    h = {"X-CSRF-Token": token}
    attempts = [
        client.post("/rules/promo_big_cold_order/switch", data={"enabled": "yes"}, headers=h),
        client.post("/api/rules/promo_big_cold_order/switch", json={"enabled": True}, headers=h),
        client.post("/rules/files/promo.rules", data={"text": "broken"}, headers=h),
        client.post("/flows/what-if", data={"day": "2025-11-11"}, headers=h),
        client.post("/finance/reconcile", data={"period": "2025-11"}, headers=h),
        client.post("/service/outbox/1/retry", headers=h),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert (root / "rules" / "promo.rules").read_text(encoding="utf-8") == rules_before


def test_post_without_csrf_token_is_refused(site) -> None:  # type: ignore[no-untyped-def]
    base, root, _ = site
    client, token = sup.login(base, "analyst")
    before = (root / "rules" / "risk.rules").read_text(encoding="utf-8")
    for data in ({"enabled": "no"}, {"enabled": "no", "csrf_token": "forged"}):
        refused = client.post("/rules/vague_address/switch", data=data)
        assert refused.status_code == 403
        assert "CSRF" in refused.text
    refused = client.post("/api/rules/vague_address/switch", json={"enabled": False})
    assert refused.status_code == 403
    assert (root / "rules" / "risk.rules").read_text(encoding="utf-8") == before
    # a token from another browser does not work either
    other = httpx.Client(base_url=base)
    foreign = sup.csrf_of(other.get("/login").text)
    assert foreign != token
    assert client.post("/rules/vague_address/switch", data={"enabled": "no"},
                       headers={"X-CSRF-Token": foreign}).status_code == 403
    # and the login form needs it too
    anon = httpx.Client(base_url=base)
    anon.get("/login")
    assert anon.post("/login", data={"username": sup.USERS["admin"],
                                     "password": sup.PASSWORD}).status_code == 403


def test_repeated_wrong_passwords_are_throttled(site) -> None:  # type: ignore[no-untyped-def]
    base, _, db_url = site
    client = httpx.Client(base_url=base)
    token = sup.csrf_of(client.get("/login").text)
    name = sup.USERS["finance"]
    statuses = [client.post("/login", data={"username": name, "password": f"wrong{i}",
                                            "csrf_token": token}).status_code
                for i in range(6)]
    assert statuses == [401] * 5 + [429]
    # while throttled even the right password is refused, with a message saying so
    blocked = client.post("/login", data={"username": name, "password": sup.PASSWORD,
                                          "csrf_token": token})
    assert blocked.status_code == 429 and "分钟后再试" in blocked.text
    assert "oh_session" not in blocked.cookies
    # other users are not affected
    sup.login(base, "cs")
    store = OrderStore.open(db_url)
    actions = [e.action for e in audit.entries(store.engine) if e.target == name]
    assert actions.count("login.failed") == 5 and "login.throttled" in actions


def test_cookies_are_httponly_samesite_and_secure_behind_https(site) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    client = httpx.Client(base_url=base)
    plain = client.get("/login").headers["set-cookie"].lower()
    assert "httponly" in plain and "samesite=lax" in plain and "secure" not in plain
    proxied = httpx.get(base + "/login", headers={"X-Forwarded-Proto": "https"})
    cookie = proxied.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "; secure" in cookie
    assert "default-src 'self'" in proxied.headers["content-security-policy"]


def test_session_ends_at_logout_and_when_the_user_is_disabled(site) -> None:  # type: ignore[no-untyped-def]
    base, root, db_url = site
    client, token = sup.login(base, "viewer")
    assert client.get("/api/me").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/api/me").status_code == 401
    assert client.get("/orders").status_code == 303  # to the login page
    client, _ = sup.login(base, "warehouse")
    done = CliRunner().invoke(main, ["-w", str(root), "--db", db_url, "users", "disable",
                                     sup.USERS["warehouse"]])
    assert done.exit_code == 0, done.output
    assert client.get("/api/me").status_code == 401
    CliRunner().invoke(main, ["-w", str(root), "--db", db_url, "users", "enable",
                              sup.USERS["warehouse"]])


def test_state_changes_are_audited_with_before_and_after(site) -> None:  # type: ignore[no-untyped-def]
    base, root, db_url = site
    client, token = sup.login(base, "analyst")
    done = client.post("/api/rules/vague_address/switch", json={"enabled": False,
                                                              "until": "2030-01-01 00:00"},
                       headers={"X-CSRF-Token": token})
    assert done.status_code == 200, done.text
    client.post("/api/rules/vague_address/switch", json={"enabled": True},
                headers={"X-CSRF-Token": token})
    store = OrderStore.open(db_url)
    entry = next(e for e in audit.entries(store.engine) if e.action == "rules.disable")
    assert entry.person == sup.USERS["analyst"] and entry.target == "vague_address"
    assert entry.after == "enabled no until 2030-01-01 00:00"
    # the rules folder's own log (the CLI's) names the console user too
    log = [json.loads(line) for line in
           (root / "rules" / ".audit.log").read_text(encoding="utf-8").splitlines()]
    assert any(e["who"] == sup.USERS["analyst"] and e["rule"] == "vague_address" for e in log)
    admin, _ = sup.login(base, "admin")
    page = admin.get("/audit")
    assert "rules.disable" in page.text and sup.USERS["analyst"] in page.text


def test_order_data_is_escaped_in_pages_and_search(site) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    client, _ = sup.login(base, "cs")
    found = client.get("/orders", params={"q": sup.XSS_ORDER_NO})
    assert found.status_code == 200
    assert "<script>alert" not in found.text and "&lt;script&gt;" in found.text
    order = client.get(f"/orders/taobao:{sup.XSS_ORDER_NO}")
    assert order.status_code == 200
    for raw in (sup.XSS_NAME, sup.XSS_ADDRESS, sup.XSS_MESSAGE, "<b>bold</b>"):
        assert raw not in order.text
    assert "&lt;img src=x onerror=alert(&#39;addr&#39;)&gt;" in order.text


def test_search_finds_by_number_phone_name_and_tracking(site) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    client, _ = sup.login(base, "viewer")
    for q in (sup.XSS_ORDER_NO, f"taobao:{sup.XSS_ORDER_NO}", "13912345678", sup.XSS_NAME):
        hits = client.get("/api/orders", params={"q": q}).json()
        assert [h["order"] for h in hits] == [f"taobao:{sup.XSS_ORDER_NO}"], q
    assert client.get("/api/orders", params={"q": "no-such-thing"}).json() == []


def test_broken_rule_file_is_not_saved_and_shows_line_and_column(site) -> None:  # type: ignore[no-untyped-def]
    base, root, _ = site
    client, token = sup.login(base, "analyst")
    path = root / "rules" / "promo.rules"
    before = path.read_text(encoding="utf-8")
    broken = before.replace("when payment > 2000", "when payment >> 2000")
    done = client.post("/rules/files/promo.rules", data={"text": broken},
                       headers={"X-CSRF-Token": token})
    assert done.status_code == 422
    assert "promo.rules:11:" in done.text
    assert path.read_text(encoding="utf-8") == before
    # a failing embedded example is what the hot reload refuses too
    wrong = before.replace("payment > 2000", "payment > 3000")
    done = client.post("/rules/files/promo.rules", data={"text": wrong},
                       headers={"X-CSRF-Token": token})
    assert done.status_code == 422 and "冷链大单" in done.text
    assert path.read_text(encoding="utf-8") == before


def test_unknown_pages_and_orders_are_404(site) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    client, _ = sup.login(base, "admin")
    assert client.get("/orders/taobao:nope").status_code == 404
    assert client.get("/rules/files/..%2F..%2Forderhub.yaml").status_code == 404
    assert client.get("/finance/files/..%2Forderhub.yaml").status_code == 404


def test_run_web_serves_the_console_beside_the_service(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    root = tmp_path / "shop"
    db_url = f"sqlite:///{tmp_path / 'orderhub.db'}"
    sup.make_workspace(root, db_url)
    port = sup.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "orderhub", "-w", str(root), "--db", db_url,
                             "run", "--no-schedules", "--web", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "no console came up"
            time.sleep(0.3)
        client, _ = sup.login(f"http://127.0.0.1:{port}", "viewer")
        assert client.get("/api/me").json()["role"] == "viewer"
    finally:
        proc.terminate()
        proc.wait(20)


def test_bad_form_values_are_refused_with_a_reason_and_change_nothing(site) -> None:  # type: ignore[no-untyped-def]
    base, root, _ = site
    client, token = sup.login(base, "analyst")
    before = (root / "rules" / "promo.rules").read_text(encoding="utf-8")
    h = {"X-CSRF-Token": token}
    bad = client.post("/rules/promo_big_cold_order/switch",
                      data={"enabled": "yes", "until": "next tuesday"}, headers=h)
    assert bad.status_code == 400 and "not a time" in bad.text
    assert (root / "rules" / "promo.rules").read_text(encoding="utf-8") == before
    bad = client.post("/flows/what-if", data={"day": "2025-13-45"}, headers=h)
    assert bad.status_code == 400 and "not a threshold or a day" in bad.text
    bad = client.post("/rules/dry-run", data={"at": "soon"}, headers=h)
    assert bad.status_code == 400


def test_order_page_shows_what_rules_and_flows_set(site) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from orderhub.store import OrderStore
    from orderhub.store.fields import record

    base, _, db_url = site
    store = OrderStore.open(db_url)
    order_id = store.get(f"taobao:{sup.XSS_ORDER_NO}").id
    with store.engine.begin() as conn:
        record(conn, order_id, "carrier", "SF", "flow pickup/carrier", datetime.now(UTC))
        record(conn, order_id, "tags", ["自提点", "<i>vip</i>"], "rule pickup", datetime.now(UTC))
    client, _ = sup.login(base, "cs")
    page = client.get(f"/orders/taobao:{sup.XSS_ORDER_NO}").text
    assert '<td class="order-carrier">SF</td>' in page
    assert "自提点" in page and "&lt;i&gt;vip&lt;/i&gt;" in page and "<i>vip</i>" not in page
    doc = client.get(f"/api/orders/taobao:{sup.XSS_ORDER_NO}").json()
    assert doc["carrier"] == "SF" and doc["tags"] == ["自提点", "<i>vip</i>"]
