"""The outbox: delivery through misbehaving local HTTP peers, dead letters, the CLI, secrets.

The outbox has a PostgreSQL-only branch (results committed without waiting for the disk, leases
taken with ``FOR UPDATE SKIP LOCKED``), so what touches the database runs on SQLite and on
PostgreSQL (the ``db_url`` and ``store`` fixtures)."""

from __future__ import annotations

import importlib.util
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.cli import main  # noqa: E402
from orderhub.config import Workspace  # noqa: E402
from orderhub.service.logs import RedactingFilter, register_secret  # noqa: E402
from orderhub.service.outbox import Backoff, Outbox  # noqa: E402
from orderhub.service.schema import outbox as outbox_table  # noqa: E402
from orderhub.store import OrderStore  # noqa: E402
from orderhub.store.bulk import insert_ignore  # noqa: E402

NEVER = "T0000007"  # the peer refuses this order's message forever


def test_flaky_peer_gets_every_message_exactly_once_and_a_hopeless_one_goes_dead(
        tmp_path: Path, db_url: str) -> None:
    def plan(n: int, key: str, body: dict) -> str:
        if body.get("order") == NEVER:
            return "500"
        if n < 12:
            return "500" if n % 3 else "timeout"
        return "ok"

    with sup.Peer(plan, timeout_sleep=0.6) as peer:
        ws = sup.write_workspace(
            tmp_path / "ws", db_url, send_timeout_seconds=0.3,
            rules="tag = x\nmessage_every = 1\nmessage_kind = wms\n",
            channels={"wms": {"url": f"{peer.url}/wms/push", "token_env": "TEST_WMS_TOKEN"}})
        store = Workspace.load(ws).store
        store.upsert(sup.make_orders(15))  # 30 events, 30 messages
        proc = sup.spawn(ws, "run", "--no-schedules", "--exit-when-idle", "0.5",
                         env={"TEST_WMS_TOKEN": "tok-SECRET-123"})
        assert proc.wait(timeout=60) == 0, (ws / "..").resolve()
        outbox = Outbox(store.engine)
        backlog = outbox.backlog()
        assert backlog == {"pending": 0, "sending": 0, "sent": 28, "dead": 2}
        assert len(peer.accepted) == 28
        # a timed-out request may have reached the peer, which drops the copy by its key
        assert all(peer.deliveries[k] <= 2 for k in peer.accepted)
        path, key, body, headers = peer.requests[-1]
        assert path == "/wms/push" and headers["Authorization"] == "Bearer tok-SECRET-123"
        assert body["content"].startswith("订单 T")
        dead = outbox.list(status="dead")
        assert {m.payload["order"] for m in dead} == {NEVER}
        assert all(m.attempts == 5 and "HTTP 500" in (m.last_error or "") for m in dead)
        log_text = b"".join(p.read_bytes() for p in ws.glob("proc-*.log")).decode()
        assert "tok-SECRET-123" not in log_text

    runner = CliRunner()
    out = runner.invoke(main, ["-w", str(ws), "outbox", "list", "--status", "dead",
                               "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert len(rows) == 2 and all(r["status"] == "dead" for r in rows)
    out = runner.invoke(main, ["-w", str(ws), "outbox", "retry", str(rows[0]["id"])])
    assert out.exit_code == 0, out.output
    assert outbox.get(rows[0]["id"]).status == "pending"
    sent = outbox.list(status="sent", limit=1)[0]
    out = runner.invoke(main, ["-w", str(ws), "outbox", "retry", str(sent.id)])
    assert out.exit_code == 1 and "already sent" in out.output
    out = runner.invoke(main, ["-w", str(ws), "outbox", "retry", "999999"])
    assert out.exit_code == 4


def test_wecom_robot_request_shape_rate_limit_retry_and_bad_key_dead(tmp_path: Path) -> None:
    def plan(n: int, key: str, body: dict) -> str:
        if "T0000003" in body["markdown"]["content"]:
            return "errcode:93000"
        return "errcode:45009" if n < 3 else "ok"

    with sup.Peer(plan) as peer:
        ws = sup.write_workspace(
            tmp_path / "ws", f"sqlite:///{tmp_path / 'w.db'}",
            rules="tag = x\nmessage_every = 1\nmessage_kind = wecom\n",
            # one post per message here (digests: tests/test_service_digest.py)
            channels={"wecom": {"base_url": peer.url, "key_env": "TEST_WECOM_KEY",
                                "digest": False}})
        store = Workspace.load(ws).store
        store.upsert(sup.make_orders(4, paid=False))  # 4 "created" events
        proc = sup.spawn(ws, "run", "--no-schedules", "--exit-when-idle", "0.5",
                         "--log-format", "json", env={"TEST_WECOM_KEY": "wk-0123456789"})
        assert proc.wait(timeout=60) == 0
        path, _, body, headers = peer.requests[0]
        assert path == "/cgi-bin/webhook/send?key=wk-0123456789"
        assert body["msgtype"] == "markdown" and "订单 T" in body["markdown"]["content"]
        assert headers["Content-Type"] == "application/json"
        backlog = Outbox(store.engine).backlog()
        assert backlog["sent"] == 3 and backlog["dead"] == 1
        dead = Outbox(store.engine).list(status="dead")[0]
        assert dead.attempts == 1 and "errcode 93000" in (dead.last_error or "")
        lines = [json.loads(x) for p in ws.glob("proc-*.log")
                 for x in p.read_text(encoding="utf-8").splitlines() if x.startswith("{")]
        assert any(x.get("event") == "outbox" and x.get("status") == "dead" for x in lines)
        assert not any("wk-0123456789" in json.dumps(x, ensure_ascii=False) for x in lines)


def test_log_filter_redacts_registered_secrets_and_key_parameters(caplog) -> None:  # type: ignore[no-untyped-def]
    register_secret("s3cr3t-token-value")
    logger = logging.getLogger("orderhub.test.redact")
    handler = logging.Handler()
    seen: list[logging.LogRecord] = []
    handler.emit = seen.append  # type: ignore[method-assign]
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("POST %s failed", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123")
        logger.warning("token is %s", "s3cr3t-token-value", extra={"url": "x?token=zzz9"})
        logger.warning("headers %s", {"Authorization": "Bearer abcdef"})
    finally:
        logger.removeHandler(handler)
    texts = [r.getMessage() for r in seen]
    assert texts[0] == "POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=*** failed"
    assert texts[1] == "token is ***" and seen[1].url == "x?token=***"  # type: ignore[attr-defined]
    assert "abcdef" not in texts[2]


def test_backoff_grows_and_is_capped() -> None:
    from orderhub.service.outbox import Backoff

    b = Backoff(base=2, cap=30, jitter=0.2)
    delays = [b.delay(n).total_seconds() for n in range(1, 8)]
    assert 1.6 <= delays[0] <= 2.4 and 6.4 <= delays[2] <= 9.6
    assert max(delays) <= 36 and delays[-1] >= 24
    assert datetime.now(UTC)  # keeps the import honest


def test_a_gateway_echoing_the_credential_does_not_get_it_stored(tmp_path: Path,
                                                                 db_url: str) -> None:
    with sup.Peer(lambda n, key, body: "echo") as peer:
        ws = sup.write_workspace(
            tmp_path / "ws", db_url, max_attempts=1,
            rules="tag = x\nmessage_every = 1\nmessage_kind = wms\n",
            channels={"wms": {"url": f"{peer.url}/wms/push", "token_env": "TEST_WMS_TOKEN"}})
        store = Workspace.load(ws).store
        store.upsert(sup.make_orders(1, paid=False))
        proc = sup.spawn(ws, "run", "--no-schedules", "--exit-when-idle", "0.5",
                         env={"TEST_WMS_TOKEN": "tok-ECHOED-4567"})
        assert proc.wait(timeout=60) == 0
        assert peer.requests[0][3]["Authorization"] == "Bearer tok-ECHOED-4567"
    (dead,) = Outbox(store.engine).list(status="dead")
    assert "HTTP 401" in (dead.last_error or "") and "tok-ECHOED" not in (dead.last_error or "")
    out = CliRunner().invoke(main, ["-w", str(ws), "outbox", "list", "--format", "json"])
    assert out.exit_code == 0 and "invalid credential" in out.output
    assert "tok-ECHOED" not in out.output


def test_a_lease_is_one_dispatchers_and_only_its_holder_records_the_result(
        store: OrderStore) -> None:
    """Claim, send, fail and give back on each database: a leased message is nobody else's
    until its lease runs out, and a result from an attempt that lost its lease is dropped."""
    now = datetime(2025, 11, 11, 9, 0, tzinfo=UTC)
    with store.engine.begin() as conn:
        insert_ignore(conn, outbox_table, [
            {"kind": "wms", "idempotency_key": f"k{i}", "order_id": None,
             "payload": {"n": i}, "status": "pending", "attempts": 0,
             "next_attempt_at": now, "created_at": now} for i in range(3)])
    box, lease = Outbox(store.engine), timedelta(seconds=30)
    first = box.claim_due(2, now, lease)
    assert [m.idempotency_key for m in first] == ["k0", "k1"]
    assert all(m.status == "sending" and m.attempts == 1 for m in first)
    (third,) = box.claim_due(5, now, lease)  # the other two are leased
    assert third.idempotency_key == "k2" and box.claim_due(5, now, lease) == []

    box.sent(first[0], now)
    assert box.failed(first[1], "HTTP 500", now, retryable=True, max_attempts=3,
                      backoff=Backoff(base=60, jitter=0)) == "pending"
    box.postpone(third, now + timedelta(minutes=5))
    assert box.backlog() == {"pending": 2, "sending": 0, "sent": 1, "dead": 0}
    assert box.get(first[1].id).next_attempt_at == now + timedelta(seconds=60)
    assert box.get(third.id).attempts == 0  # a postponed attempt was never made

    late = now + timedelta(minutes=10)
    (again,) = box.claim_due(5, now + lease * 3, lease)  # k1's backoff is over, k2's is not
    assert again.idempotency_key == "k1" and again.attempts == 2
    retaken = box.claim_due(5, late, lease)  # k1's lease ran out: another dispatcher takes it
    assert {m.idempotency_key: m.attempts for m in retaken} == {"k1": 3, "k2": 1}
    box.sent(again, late)  # the first holder's result comes in late: dropped
    assert box.get(again.id).status == "sending"
    assert box.failed(retaken[0], "HTTP 500", late, retryable=True, max_attempts=3,
                      backoff=Backoff()) == "dead"
    assert box.backlog() == {"pending": 0, "sending": 1, "sent": 1, "dead": 1}
