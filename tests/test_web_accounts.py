"""Accounts, sessions, throttling, audit and search on the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from orderhub.cli import main
from orderhub.store import OrderStore
from orderhub.web import audit
from orderhub.web.config import WebConfig
from orderhub.web.permissions import NAV, PERMISSIONS, ROLES, allowed
from orderhub.web.search import search_orders
from orderhub.web.sessions import SessionStore, Throttle
from orderhub.web.users import UserError, UserStore

T0 = datetime(2025, 11, 11, 9, 0, tzinfo=UTC)


def test_passwords_are_argon2_and_verified(store: OrderStore) -> None:
    users = UserStore(store.engine)
    users.add("小王", "cs", "密码是八个字符以上")
    from sqlalchemy import select

    from orderhub.web.schema import users as table
    with store.engine.connect() as conn:
        digest = conn.execute(select(table.c.password_hash)).scalar_one()
    assert digest.startswith("$argon2id$") and "密码" not in digest
    assert users.verify("小王", "密码是八个字符以上").role == "cs"  # type: ignore[union-attr]
    assert users.verify("小王", "wrong password") is None
    assert users.verify("nobody", "密码是八个字符以上") is None
    users.set_password("小王", "another password")
    assert users.verify("小王", "密码是八个字符以上") is None
    assert users.verify("小王", "another password") is not None
    users.disable("小王")
    assert users.verify("小王", "another password") is None


def test_bad_users_are_refused_with_a_reason(store: OrderStore) -> None:
    users = UserStore(store.engine)
    users.add("ann", "viewer", "long enough")
    with pytest.raises(UserError, match="exists already"):
        users.add("ann", "viewer", "long enough")
    with pytest.raises(UserError, match="unknown role 'boss'"):
        users.add("bob", "boss", "long enough")
    with pytest.raises(UserError, match="at least 8"):
        users.add("bob", "viewer", "short")
    with pytest.raises(UserError, match="not a user name"):
        users.add("bob smith", "viewer", "long enough")


def test_sessions_expire_after_idle_time_and_lifetime(store: OrderStore) -> None:
    UserStore(store.engine).add("ann", "finance", "long enough")
    sessions = SessionStore(store.engine, WebConfig(session_hours=2, idle_minutes=30))
    token = sessions.create("ann", now=T0)
    assert sessions.get(token, now=T0 + timedelta(minutes=29)).role == "finance"  # type: ignore[union-attr]
    assert sessions.get(token, now=T0 + timedelta(minutes=29 + 31)) is None  # idle too long
    token = sessions.create("ann", now=T0)
    for minutes in range(20, 120, 20):  # kept busy, it still ends after two hours
        assert sessions.get(token, now=T0 + timedelta(minutes=minutes)) is not None
    assert sessions.get(token, now=T0 + timedelta(minutes=121)) is None
    assert sessions.get("forged", now=T0) is None


def test_throttle_counts_failures_in_a_window(store: OrderStore) -> None:
    throttle = Throttle(store.engine, WebConfig(login_max_failures=3, login_window_minutes=10))
    for i in range(2):
        throttle.failed("ann", "127.0.0.1", now=T0 + timedelta(minutes=i))
    assert throttle.blocked_for("ann", now=T0 + timedelta(minutes=2)) is None
    throttle.failed("ann", "127.0.0.1", now=T0 + timedelta(minutes=2))
    wait = throttle.blocked_for("ann", now=T0 + timedelta(minutes=3))
    assert wait == timedelta(minutes=9)
    assert throttle.blocked_for("bob", now=T0 + timedelta(minutes=3)) is None
    assert throttle.blocked_for("ann", now=T0 + timedelta(minutes=12, seconds=1)) is None


def test_audit_entries_keep_before_and_after(store: OrderStore) -> None:
    audit.record(store.engine, "ann", "address.correct", target="taobao:1", order_id="01ABC",
                 before={"address": "旧地址"}, after={"address": "新地址"}, now=T0)
    audit.record(store.engine, "bob", "rules.enable", target="r1", now=T0)
    (entry,) = audit.entries(store.engine, order_id="01ABC")
    assert (entry.person, entry.target_kind, entry.before, entry.after) == (
        "ann", "address", {"address": "旧地址"}, {"address": "新地址"})
    assert [e.person for e in audit.entries(store.engine)] == ["bob", "ann"]


def test_search_uses_exact_keys(store: OrderStore) -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "web_support", Path(__file__).with_name("web_support.py"))
    sup = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(sup)  # type: ignore[union-attr]
    order = sup.xss_order().model_copy(update={"tracking_no": "SF1234567890"})
    store.upsert([order])
    for q in ("XSS0000001", "taobao:XSS0000001", "13912345678", sup.XSS_NAME, "SF1234567890"):
        assert [h.platform_order_no for h in search_orders(store.engine, q)] == ["XSS0000001"]
    assert search_orders(store.engine, "jd:XSS0000001") == []
    assert search_orders(store.engine, "1391234") == []
    assert len(search_orders(store.engine, "")) == 1


def test_cli_users_commands(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = CliRunner().invoke
    base = ["-w", str(tmp_path), "--db", db_url, "users"]
    assert run(main, ["-w", str(tmp_path), "--db", db_url, "db", "upgrade"]).exit_code == 0
    done = run(main, [*base, "add", "ann", "--role", "analyst", "--password-stdin"],
               input="a good password\n")
    assert done.exit_code == 0, done.output
    done = run(main, [*base, "add", "bob", "--role", "cs"], input="pw12345678\npw12345678\n")
    assert done.exit_code == 0, done.output
    assert run(main, [*base, "role", "bob", "finance"]).exit_code == 0
    assert run(main, [*base, "disable", "ann"]).exit_code == 0
    done = run(main, [*base, "list", "--format", "json"])
    rows = [__import__("json").loads(line) for line in done.stdout.splitlines()]
    assert [(r["name"], r["role"], r["disabled"]) for r in rows] == [
        ("ann", "analyst", True), ("bob", "finance", False)]
    assert run(main, [*base, "passwd", "bob", "--password-stdin"],
               input="new password!\n").exit_code == 0
    engine = OrderStore.open(db_url).engine
    assert UserStore(engine).verify("bob", "new password!") is not None
    assert run(main, [*base, "add", "ann", "--role", "viewer", "--password-stdin"],
               input="a good password\n").exit_code == 1
    assert run(main, [*base, "role", "nobody", "cs"]).exit_code == 4


def test_the_permission_table_covers_every_role_and_page() -> None:
    assert set(PERMISSIONS) >= {perm for _, perm, _ in NAV}
    for roles in PERMISSIONS.values():
        assert roles <= set(ROLES)
    assert all(allowed("admin", p) for p in PERMISSIONS)
    viewer = {p for p in PERMISSIONS if allowed("viewer", p)}
    assert all(p.endswith(".view") for p in viewer)
    assert not allowed("warehouse", "rules.view") and not allowed(None, "orders.view")
