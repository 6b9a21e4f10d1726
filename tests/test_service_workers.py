"""Real processes: three workers on PostgreSQL, kill -9, SIGTERM and resume, hot reload."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.cli import main  # noqa: E402
from orderhub.config import Workspace  # noqa: E402
from orderhub.service import state  # noqa: E402
from orderhub.service.schema import decisions, event_claims, order_actions, outbox  # noqa: E402


def _leader(engine, dead: int | None = None) -> dict | None:  # type: ignore[no-untyped-def]
    """The one live leader (a killed node's row says "leader" until it goes stale)."""
    live = [n for n in state.nodes(engine) if n["alive"] and n.get("leader")
            and n["pid"] != dead]
    assert len(live) <= 1, "two leaders at once"
    return live[0] if live else None


@pytest.mark.slow
@pytest.mark.postgres
def test_three_workers_process_10000_events_exactly_once_through_a_kill_9(
        tmp_path: Path, pg_url: str) -> None:
    with sup.Peer() as peer:
        ws = sup.write_workspace(
            tmp_path / "ws", pg_url, rules="tag = x\nmessage_every = 10\n",
            batch_size=500, lease_seconds=2,
            channels={"wms": {"url": f"{peer.url}/wms"}})
        store = Workspace.load(ws).store
        engine = store.engine
        store.upsert(sup.make_orders(5000))  # 10,000 events
        workers = [sup.spawn(ws, "worker", log=tmp_path / f"w{i}.log") for i in range(3)]
        try:
            leader = sup.wait_until(lambda: _leader(engine), 30, "a schedule leader")
            sup.wait_until(lambda: sup.count(engine, decisions) > 1500, 60, "progress")
            victim = next(w for w in workers if w.pid == leader["pid"])
            victim.send_signal(signal.SIGKILL)  # the leader dies mid-run, leases in hand
            victim.wait(timeout=10)
            new = sup.wait_until(lambda: _leader(engine, dead=victim.pid), 30,
                                 "failover of the leadership")
            assert new["pid"] in {w.pid for w in workers if w is not victim}
            sup.wait_until(lambda: sup.count(engine, decisions) == 10000, 120,
                           "all 10,000 decisions")
            sup.wait_until(lambda: len(peer.accepted) == 1000, 60, "all 1,000 messages")
        finally:
            for w in workers:
                if w.poll() is None:
                    w.send_signal(signal.SIGTERM)
            codes = [w.wait(timeout=30) for w in workers]
        assert codes.count(-signal.SIGKILL) == 1 and codes.count(0) == 2
        assert sup.count(engine, event_claims, event_claims.c.status == "done") == 10000
        assert sup.duplicates(engine, decisions.c.event_id) == 0
        assert sup.count(engine, order_actions) == 10000
        assert sup.count(engine, outbox) == 1000
        assert sup.count(engine, outbox, outbox.c.status == "sent") == 1000
        # no message went out twice, except one the killed worker may have had in flight
        assert sum(peer.deliveries.values()) - 1000 <= 20
        with engine.connect() as conn:
            by_worker = dict(conn.execute(select(decisions.c.worker, decisions.c.id)).all())
        assert len(by_worker) == 3  # all three did work
        info = state.status(engine, "main")
        assert info["queue"]["unprocessed"] == 0
        assert info["counters"]["events"] >= 10000 - 1500


@pytest.mark.slow
def test_sigterm_finishes_the_batch_in_hand_and_the_next_start_resumes(tmp_path: Path) -> None:
    ws = sup.write_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 's.db'}",
                             rules="tag = x\nslow = 0.005\n", batch_size=20)
    store = Workspace.load(ws).store
    engine = store.engine
    store.upsert(sup.make_orders(100))  # 200 events, ~0.1 s per batch
    proc = sup.spawn(ws, "run", "--no-schedules", log=tmp_path / "first.log")
    sup.wait_until(lambda: sup.count(engine, decisions) >= 20, 30, "the first batches")
    time.sleep(0.05)  # mid-batch
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    done = sup.count(engine, decisions)
    assert 20 <= done < 200
    assert done % 20 == 0  # whole batches only
    assert sup.count(engine, event_claims, event_claims.c.status == "leased") == 0
    log = (tmp_path / "first.log").read_text(encoding="utf-8")
    assert "SIGTERM: finishing the batch in hand" in log and "stopped" in log
    proc = sup.spawn(ws, "run", "--no-schedules", "--exit-when-idle", "0.3")
    assert proc.wait(timeout=60) == 0
    assert sup.count(engine, decisions) == 200
    assert sup.duplicates(engine, decisions.c.event_id) == 0


@pytest.mark.slow
def test_hot_reload_keeps_the_last_good_set_and_never_mixes_versions(tmp_path: Path) -> None:
    ws = sup.write_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'r.db'}",
                             rules="tag = one\nslow = 0.002\n", batch_size=20, watch=True)
    rule_file = ws / "rules" / "tiny.tiny"
    store = Workspace.load(ws).store
    engine = store.engine
    proc = sup.spawn(ws, "run", "--no-schedules", log=tmp_path / "run.log")
    runner = CliRunner()
    try:
        def status() -> dict:
            out = runner.invoke(main, ["-w", str(ws), "status", "--format", "json"])
            assert out.exit_code == 0, out.output
            return json.loads(out.output)

        def live() -> dict | None:
            nodes = status()["live"]
            return nodes[0] if nodes else None

        first = sup.wait_until(live, 30, "the service to come up")
        v1 = first["live"]["rules"]
        next_no = 0

        def feed(n: int) -> None:
            nonlocal next_no
            store.upsert(sup.make_orders(n, start=next_no))
            next_no += n

        feed(50)
        # a broken save: the last good set stays live, the error names file:line:col
        rule_file.write_text("tag = two\nmessage_every = lots\n", encoding="utf-8")
        node = sup.wait_until(lambda: (n := live()) and n["last_reload"]
                              and not n["last_reload"]["ok"] and n, 20, "a failed reload")
        assert node["live"]["rules"] == v1
        assert "tiny.tiny:2:17" in node["last_reload"]["errors"][0]
        out = runner.invoke(main, ["-w", str(ws), "status"])
        assert "last reload FAILED" in out.output and "tiny.tiny:2:17" in out.output
        feed(50)
        # a fixed save goes live
        rule_file.write_text("tag = two\nslow = 0.002\n", encoding="utf-8")
        node = sup.wait_until(lambda: (n := live()) and n["live"]["rules"] != v1 and n, 20,
                              "the fixed set to go live")
        v2 = node["live"]["rules"]
        feed(50)
        # `orderhub reload` and SIGHUP reload on demand (nothing changed: same version)
        out = runner.invoke(main, ["-w", str(ws), "reload", "--wait", "10"])
        assert out.exit_code == 0 and "ok, live rules=" + v2 in out.output, out.output
        os.kill(proc.pid, signal.SIGHUP)
        sup.wait_until(lambda: "SIGHUP" in ((live() or {}).get("last_reload") or {})
                       .get("reason", ""), 10, "the SIGHUP reload")
        sup.wait_until(lambda: sup.count(engine, decisions) == 300, 60, "all decisions")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    tag_of = {v1: "one", v2: "two"}
    with engine.connect() as conn:
        rows = conn.execute(select(decisions.c.rules_version, decisions.c.actions,
                                   decisions.c.event_id).order_by(decisions.c.id)).all()
    versions = [r.rules_version for r in rows]
    assert set(versions) == {v1, v2}
    # every decision's actions came from the version it records
    assert all(a["params"]["tag"] == tag_of[r.rules_version] for r in rows for a in r.actions)
    # and the switch happened once: all v1 decisions come before all v2 decisions
    assert versions == sorted(versions, key=lambda v: v == v2)
    info = status()
    assert info["counters"]["reloads_failed"] >= 1 and info["counters"]["reloads_ok"] >= 3
