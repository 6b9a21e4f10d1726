"""Encrypted receivers, decrypted on demand: the simulator (real HTTP) encrypts receivers as the
four platforms do and serves their decrypt APIs with quotas; the service decrypts each batch in
memory.  The rules hit exactly what they hit on clear data, no clear phone, name or address is
left in the database, the outbox or the logs, and a quota error delays orders, never drops them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, select

from orderhub.cli import main
from orderhub.config import Workspace, init_workspace
from orderhub.connectors.pull import pull_all
from orderhub.service.runner import Service
from orderhub.service.schema import decisions, event_claims, order_actions
from orderhub.simulator import Simulator
from orderhub.simulator.privacy import PrivacySettings
from orderhub.store.schema import order_events, orders

RULES = {"vague_address", "purchase_limit"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _plant(sim: Simulator) -> None:
    """On every platform: three paid orders of one receiver on one shop day, two vague addresses.

    The simulator's orders span the last three hours, which cross midnight in Shanghai for three
    hours of every day: the three are taken from one local day, or "orders today" would not see
    the first two from the third."""
    for platform in ("taobao", "jd", "pdd", "douyin"):
        paid = sorted((o for o in sim.world.orders[platform].values()
                       if o.status == "paid"), key=lambda o: o.created_ts)
        days: dict[date, list[Any]] = defaultdict(list)
        for o in paid:
            days[datetime.fromtimestamp(o.created_ts, SHANGHAI).date()].append(o)
        same_day = max(days.values(), key=len)[:3]
        assert len(same_day) == 3, "the simulator placed too few paid orders on one day"
        for o in same_day[1:]:
            o.receiver = same_day[0].receiver
        for o in [o for o in paid if o not in same_day][:2]:
            o.receiver = dataclasses.replace(o.receiver, detail=o.receiver.detail + "地铁站附近",
                                             vague=True)


def _workspace(root: Path, db: str, shops: list[Any], **pii: Any) -> Workspace:
    init_workspace(root, samples=False)
    config = {"database": db,
              "shops": [s.model_dump(mode="json", exclude_defaults=True)
                        | {"platform": s.platform, **({"pii": pii} if pii else {})}
                        for s in shops],
              "service": {"watch": False, "batch_size": 500}}
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write("\n" + "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}"
                                 for k, v in config.items()) + "\n")
    return Workspace.load(root)


def _decide(ws: Workspace) -> Service:
    pull_all(ws)
    svc = Service(ws, dispatch=False, schedules=False)
    svc.start()
    while svc.step():
        pass
    return svc


def _hits(ws: Workspace) -> set[tuple[str, str, str]]:
    with ws.store.engine.connect() as conn:
        rows = conn.execute(select(orders.c.platform, orders.c.platform_order_no,
                                   order_actions.c.params)
                            .join(orders, orders.c.id == order_actions.c.order_id)).all()
    return {(r.platform, r.platform_order_no, r.params.get("rule")) for r in rows
            if r.params.get("rule") in RULES}


def _clear_values(sim: Simulator) -> set[str]:
    out: set[str] = set()
    for platform in sim.world.orders.values():
        for o in platform.values():
            r = o.receiver
            out |= {r.phone, r.detail, r.full_address}
            if len(r.name) >= 3:
                out.add(r.name)
    return out


def _dump(ws: Workspace) -> str:
    meta = MetaData()
    meta.reflect(ws.store.engine)
    parts = []
    with ws.store.engine.connect() as conn:
        for table in meta.sorted_tables:
            parts += [str(tuple(row)) for row in conn.execute(select(table))]
    return "\n".join(parts)


def _found(text: str, values: set[str]) -> set[str]:
    return {v for v in values if v and v in text}


def test_encrypted_receivers_give_the_same_hits_and_leave_no_clear_text(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with Simulator(port=0, seed=11, orders=40, history_hours=3) as sim:
        _plant(sim)
        env: dict[str, str] = {}
        shops = sim.shops(env, all={"window": {"initial_hours": 4}})
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        clear = _workspace(tmp_path / "clear", f"sqlite:///{tmp_path / 'clear.db'}", shops)
        _decide(clear)
        expected = _hits(clear)
        assert {h[2] for h in expected} == RULES
        assert {h[0] for h in expected} == {"taobao", "jd", "pdd", "douyin"}
        values = _clear_values(sim)
        assert _found(_dump(clear), values)  # the scan finds clear text where there is some

        caplog.clear()
        sim.privacy.settings.encrypt_receivers = True
        sealed = _workspace(tmp_path / "sealed", db_url, shops)
        svc = _decide(sealed)
        assert _hits(sealed) == expected
        assert svc.counters["decrypt_calls"] > 0 and sim.privacy.decrypted > 0
        apis = {c["api"] for c in sim.calls()}
        assert {"taobao.top.oaid.decrypt", "pdd.open.decrypt.batch", "order.batchDecrypt",
                "jingdong.jos.master.key.get"} <= apis

        dump = _dump(sealed)
        assert _found(dump, values) == set()
        logs = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
        assert _found(logs, values) == set()
        # what a person sees is masked; the SMS to the receiver carries the masked number
        with sealed.store.engine.connect() as conn:
            sms = conn.execute(select(order_actions.c.params)
                               .where(order_actions.c.kind == "sms")).scalars().all()
        assert sms and all("****" in str(p.get("phone")) for p in sms)

        # a dry-run over the store decrypts in memory too: same hits, masked output
        result = CliRunner().invoke(main, ["-w", str(sealed.root), "dry-run", "--store",
                                           "--at", "2030-01-01 00:00", "--format", "json"],
                                    catch_exceptions=False)
        fired = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        dry = {(d["platform"], d["platform_order_no"], f["rule"]) for d in fired
               for f in d["fired"] if f["rule"] == "vague_address"}
        assert dry == {h for h in expected if h[2] == "vague_address"}
        assert _found(result.output, values) == set()


def test_a_decrypt_quota_error_delays_orders_and_never_drops_them(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    privacy = PrivacySettings(encrypt_receivers=True, quota_per_day={"pdd": 1})
    with Simulator(port=0, seed=12, orders=80, history_hours=3, privacy=privacy) as sim:
        env: dict[str, str] = {}
        shops = [s for s in sim.shops(env, all={"window": {"initial_hours": 4}})
                 if s.platform == "pdd"]
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        ws = _workspace(tmp_path / "ws", db_url, shops, delay_seconds=0.5)
        svc = _decide(ws)
        engine = ws.store.engine
        with engine.connect() as conn:
            events = conn.execute(select(order_events.c.id)).scalars().all()
            delayed = conn.execute(select(event_claims).where(
                event_claims.c.token == "delayed")).all()
            failed = conn.execute(select(event_claims).where(
                event_claims.c.status == "failed")).all()
            decided = conn.execute(select(decisions.c.event_id)).scalars().all()
        assert delayed and not failed
        assert len(decided) + len(delayed) <= len(events) and len(decided) < len(events)
        assert all(r.attempts == 0 for r in delayed)  # a delay is not an attempt
        assert any(c.get("error") == "rate_limit" for c in sim.calls(api="pdd.open.decrypt.batch"))

        sim.privacy.settings.quota_per_day = {}  # the quota is raised (or the day is over)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            svc.step()
            with engine.connect() as conn:
                if len(conn.execute(select(decisions.c.event_id)).all()) == len(events):
                    break
            time.sleep(0.2)
        with engine.connect() as conn:
            decided = conn.execute(select(decisions.c.outcome)).scalars().all()
            failed = conn.execute(select(event_claims).where(
                event_claims.c.status == "failed")).all()
        assert len(decided) == len(events) and set(decided) == {"ok"} and not failed
