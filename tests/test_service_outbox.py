"""The outbox: delivery through misbehaving local HTTP peers, dead letters, the CLI, secrets."""

from __future__ import annotations

import importlib.util
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.cli import main  # noqa: E402
from orderhub.config import Workspace  # noqa: E402
from orderhub.service.logs import RedactingFilter, register_secret  # noqa: E402
from orderhub.service.outbox import Outbox  # noqa: E402

NEVER = "T0000007"  # the peer refuses this order's message forever


def test_flaky_peer_gets_every_message_exactly_once_and_a_hopeless_one_goes_dead(
        tmp_path: Path) -> None:
    def plan(n: int, key: str, body: dict) -> str:
        if body.get("order") == NEVER:
            return "500"
        if n < 12:
            return "500" if n % 3 else "timeout"
        return "ok"

    with sup.Peer(plan, timeout_sleep=0.6) as peer:
        ws = sup.write_workspace(
            tmp_path / "ws", f"sqlite:///{tmp_path / 'o.db'}", send_timeout_seconds=0.3,
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
