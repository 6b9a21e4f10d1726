"""100 diverted orders do not post 100 WeCom messages: the dispatcher sends digests per robot
and never more than the robot's per-minute limit; a real robot peer on loopback."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

from orderhub.config import Workspace
from orderhub.service.dispatcher import Dispatcher
from orderhub.service.outbox import Outbox
from orderhub.service.schema import outbox

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]


def diverted(ws: Path, n: int) -> Outbox:
    """``n`` pending WeCom messages, as the routing flow's ``tell_lead`` queues them."""
    store = Workspace.load(ws).store
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(outbox.insert(), [
            {"kind": "wecom", "idempotency_key": f"flow:tell_lead:{i}", "order_id": f"O{i:04d}",
             "payload": {"msgtype": "markdown", "markdown": {
                 "content": f"### 分流订单 T{i:04d}\n> SH 当日待发已超阈值，转由 **武汉仓** 发货"}},
             "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
            for i in range(n)])
    return Outbox(store.engine)


def drain(dispatcher: Dispatcher) -> None:
    """Step until nothing due is left (postponed messages are not due)."""
    while dispatcher.step():
        pass


def test_a_hundred_messages_go_as_digests_within_the_robots_limit(tmp_path: Path) -> None:
    with sup.Peer() as peer:
        ws = sup.write_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'd.db'}",
                                 channels={"wecom": {"base_url": peer.url, "key": "wk-test"}})
        box = diverted(ws, 100)
        config = Workspace.load(ws).config.service
        drain(Dispatcher(box, config))
        posts = [body["markdown"]["content"] for _, _, body, _ in peer.requests]
        assert 1 < len(posts) <= 20  # within one minute's limit, and not 100
        assert all(len(p.encode()) <= 4096 for p in posts)
        text = "\n".join(posts)
        assert all(text.count(f"分流订单 T{i:04d}\n") == 1 for i in range(100))
        assert box.backlog()["sent"] == 100


def test_past_the_limit_messages_wait_untried(tmp_path: Path) -> None:
    with sup.Peer() as peer:
        ws = sup.write_workspace(
            tmp_path / "ws", f"sqlite:///{tmp_path / 'd.db'}",
            channels={"wecom": {"base_url": peer.url, "key": "wk-test", "per_minute": 2}})
        box = diverted(ws, 100)
        drain(Dispatcher(box, Workspace.load(ws).config.service))
        assert len(peer.requests) == 2
        waiting = box.list(status="pending", limit=200)
        assert len(waiting) == 100 - sum(p[2]["markdown"]["content"].count("分流订单")
                                         for p in peer.requests)
        now = datetime.now(UTC)
        assert waiting and all(m.attempts == 0 and m.next_attempt_at > now for m in waiting)
