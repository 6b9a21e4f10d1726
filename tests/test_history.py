"""History without side effects: orders brought in by ``migrate run`` or ``ingest --history``
are stored and visible, but the service (running over the store meanwhile) fires no rule,
flow, message or reservation for them, and ``flows route`` never routes them.  The same
service does act on live orders ingested next (so the test can fail)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from orderhub.cli import main
from orderhub.config import Workspace, init_workspace
from orderhub.connectors.ingest import ingest
from orderhub.connectors.mapping import mappings
from orderhub.engine.routing.ledger import stock_ledger
from orderhub.engine.routing.stock import RoutingStore, route_decisions
from orderhub.migrate import load_migration_mapping
from orderhub.migrate import run as migrate_run
from orderhub.service import Service
from orderhub.service.schema import decisions, outbox
from orderhub.store.history import historical_orders

LEGACY = Path(__file__).resolve().parent.parent / "examples" / "legacy"


def _workspace(tmp_path: Path, db_url: str) -> Workspace:
    root = tmp_path / "ws"
    init_workspace(root)
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write(f"database: {db_url}\nservice: {{watch: false, batch_size: 50}}\n")
    ws = Workspace.load(root)
    RoutingStore(ws.store.engine).import_stock(root / "stock.csv")
    return ws


def _count(engine: Engine, table, *where) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def _side_effects(engine: Engine) -> dict[str, int]:
    return {"outbox": _count(engine, outbox), "decisions": _count(engine, decisions),
            "routes": _count(engine, route_decisions),
            "reserve rows": _count(engine, stock_ledger, stock_ledger.c.kind == "reserve"),
            "reserved": sum(r for *_, r in RoutingStore(engine).load_stock().rows())}


class Running:
    """The service stepping in a thread over the store, as `orderhub run` would."""

    def __init__(self, ws: Workspace) -> None:
        self.svc = Service(ws, dispatch=False, schedules=False)
        self.svc.start()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            if not self.svc.step():
                self.stop.wait(0.05)

    def drain(self) -> None:
        self.stop.set()
        self.thread.join(timeout=120)
        while self.svc.step():
            pass

    def close(self) -> None:
        self.drain()
        self.svc.shutdown()


def test_migrating_the_legacy_example_has_no_side_effects(tmp_path: Path, db_url: str) -> None:
    ws = _workspace(tmp_path, db_url)
    for name in ("legacy-orders.csv", "status-map.xlsx", "mapping.yaml"):
        shutil.copy(LEGACY / name, tmp_path / name)
    engine = ws.store.engine
    service = Running(ws)
    try:
        report = migrate_run(ws.store, tmp_path / "legacy-orders.csv",
                             load_migration_mapping(tmp_path / "mapping.yaml"))
        service.drain()
        assert report.new == 285 and ws.store.count(status="paid") > 0
        assert _count(engine, historical_orders) == 285
        assert _side_effects(engine) == {"outbox": 0, "decisions": 0, "routes": 0,
                                         "reserve rows": 0, "reserved": 0}
        # the same running service does act on live orders
        service = Running(ws)
        summary = ingest(ws.store, sorted((ws.root / "samples" / "orders").iterdir()),
                         catalog=ws.catalog, mappings=mappings(ws.mapping_dirs))
        assert summary.new > 0
        service.drain()
        live = _side_effects(engine)
        assert live["outbox"] > 0 and live["routes"] > 0 and live["reserved"] > 0
    finally:
        service.close()
    # and `flows route` leaves the migrated orders alone too
    out = CliRunner().invoke(main, ["-w", str(ws.root), "flows", "route", "--after", "0"])
    assert out.exit_code == 0 and "0 order(s) routed" in out.stdout
    assert _side_effects(engine) == live


def test_ingest_history_stores_orders_that_nothing_acts_on(tmp_path: Path, db_url: str) -> None:
    ws = _workspace(tmp_path, db_url)
    engine = ws.store.engine
    files = sorted((ws.root / "samples" / "orders").iterdir())
    out = CliRunner().invoke(main, ["-w", str(ws.root), "ingest", "--history",
                                    *(str(f) for f in files)])
    assert out.exit_code in (0, 10), out.output
    assert ws.store.count() > 0 and _count(engine, historical_orders) == ws.store.count()
    service = Running(ws)
    service.close()
    routed = CliRunner().invoke(main, ["-w", str(ws.root), "flows", "route"])
    assert "0 order(s) routed" in routed.stdout
    assert _side_effects(engine) == {"outbox": 0, "decisions": 0, "routes": 0,
                                     "reserve rows": 0, "reserved": 0}
    shown = CliRunner().invoke(main, ["-w", str(ws.root), "orders", "list"])
    assert shown.exit_code == 0 and "paid" in shown.stdout  # stored and visible


def test_a_history_import_marks_only_the_orders_it_brings_in(store) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "service_support", Path(__file__).with_name("service_support.py"))
    sup = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(sup)  # type: ignore[union-attr]
    live, old = sup.make_orders(2)
    store.upsert([live])
    changed = live.model_copy(update={"buyer_nick": "老客户",
                                      "modified_at": live.modified_at.replace(hour=5)})
    result = store.upsert([changed, old], history="ingest --history")
    assert (result.new, result.updated) == (1, 1)
    with store.engine.connect() as conn:
        marked = set(conn.execute(select(historical_orders.c.order_id)).scalars())
    assert marked == {store.get(old.label).id}  # the live order stays live
