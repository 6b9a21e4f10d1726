"""`orderhub run` pulls every configured shop from the platform simulator (a real HTTP server)
on its schedule, decides the orders with the real rules and flows, and stops cleanly."""

from __future__ import annotations

import importlib.util
import json
import signal
from collections import Counter
from pathlib import Path

from sqlalchemy import select

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.config import Workspace, init_workspace  # noqa: E402
from orderhub.service.schema import decisions  # noqa: E402
from orderhub.simulator import Simulator  # noqa: E402
from orderhub.store.schema import order_events, orders  # noqa: E402


def test_run_pulls_each_shop_from_the_platforms_and_decides_the_orders(tmp_path: Path) -> None:
    with Simulator(port=0, seed=5, orders=24, history_hours=1) as sim:
        env: dict[str, str] = {}
        shops = sim.shops(env, all={"window": {"initial_hours": 2}})
        root = tmp_path / "ws"
        init_workspace(root, samples=False)
        config = {"database": f"sqlite:///{tmp_path / 'o.db'}",
                  "shops": [s.model_dump(mode="json", exclude_defaults=True) | {
                      "platform": s.platform, "interval_minutes": 5} for s in shops],
                  "service": {"watch": False, "poll_seconds": 0.1}}
        with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}"
                                     for k, v in config.items()) + "\n")
        engine = Workspace.load(root).store.engine
        proc = sup.spawn(root, "run", log=tmp_path / "run.log", env=env)
        try:
            # every shop pulled once at start: each platform's orders arrive and are decided
            sup.wait_until(lambda: _platforms(engine) == {"taobao", "jd", "pdd", "douyin"},
                           60, "orders from all four platforms")
            sup.wait_until(lambda: sup.count(engine, decisions) > 0 and sup.count(
                engine, decisions) == sup.count(engine, order_events), 60, "every event decided")
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
        log = (tmp_path / "run.log").read_text(encoding="utf-8")
        assert code == 0, log
        assert "pull sim-jd:" in log and "stopped" in log
        for shop_env in env.values():  # app secrets and tokens never reach the log
            assert shop_env not in log
        with engine.connect() as conn:
            rows = conn.execute(select(decisions.c.outcome, decisions.c.rules_version,
                                       decisions.c.flows_version)).all()
        assert Counter(r.outcome for r in rows) == {"ok": len(rows)}
        assert all(r.rules_version and r.flows_version for r in rows)
        assert {c["api"] for c in sim.calls()} >= {"taobao.trades.sold.increment.get",
                                                   "pdd.order.number.list.increment.get"}


def _platforms(engine) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return set(conn.execute(select(orders.c.platform).distinct()).scalars())


def test_the_nightly_settlement_job_reconciles_yesterday(tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    from orderhub.connectors.transforms import zone
    from orderhub.service.jobs import settlement

    root = tmp_path / "ws"
    init_workspace(root, samples=False)
    ws = Workspace.load(root)
    settlement(ws)
    yesterday = (datetime.now(zone(ws.config.timezone)) - timedelta(days=1)).date()
    folder = ws.path(ws.config.finance.reports) / yesterday.isoformat()
    assert (folder / f"reconcile-{yesterday}.html").is_file()
    assert (folder / f"reconcile-{yesterday}.xlsx").is_file()
