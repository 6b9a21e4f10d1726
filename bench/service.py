"""Service throughput and reload latency.  Prints figures; asserts nothing.

    python bench/service.py [--events 4000] [--pg postgresql+psycopg://postgres@127.0.0.1/test]

* events/s in one process on SQLite (`Service.step` loop, the tiny test evaluator);
* events/s with 1 and 2 `orderhub worker` processes on PostgreSQL: wall time until every event
  has a decision (process start included), the steady rate (first to last decision), and CPU
  time per 1,000 events of the workers, of their PostgreSQL backends, and of the whole machine
  (other jobs included: on a shared machine the first two are the figures to compare);
* reload latency: from saving a rule file to the new version being live (watchfiles).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import signal
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("service_support",
                                               ROOT / "tests" / "service_support.py")
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.config import Workspace  # noqa: E402
from orderhub.service import Service  # noqa: E402
from orderhub.service.reload import Watcher  # noqa: E402
from orderhub.service.schema import decisions  # noqa: E402

#: The service's default timings (the test helpers' are shortened for speed).
PRODUCTION = {"batch_size": 200, "poll_seconds": 1.0, "beat_seconds": 2.0, "lease_seconds": 60}


def _drain(ws: Workspace, orders: list) -> tuple[Service, float, int]:
    """Store ``orders``, start a service (no dispatch, no schedules) and step it until every
    event is processed: the running service, events/s and how many events."""
    ws.store.upsert(orders)
    svc = Service(ws, dispatch=False, schedules=False)
    svc.start()
    start = time.perf_counter()
    done = 0
    while n := svc.step():
        done += n
    return svc, done / (time.perf_counter() - start), done


def sqlite_one_process(tmp: Path, events: int) -> float:
    ws = Workspace.load(sup.write_workspace(tmp / "sq", f"sqlite:///{tmp / 'sq.db'}",
                                            batch_size=200))
    svc, rate, _ = _drain(ws, sup.make_orders(events // 2))
    svc.shutdown()
    return rate


def pg_one_process(tmp: Path, pg: str, events: int) -> dict[str, float]:
    """One consumer in this process on PostgreSQL (no process start): events/s, and CPU per
    1,000 events of this process and of its PostgreSQL backends."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    plain = pg.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        app = f"orderhub_{schema}"
        url = f"{pg}?options=-csearch_path%3D{schema}&application_name={app}"
        ws = Workspace.load(sup.write_workspace(tmp / "pg0", url, **PRODUCTION))
        ws.store.upsert(sup.make_orders(events // 2))
        svc = Service(ws, dispatch=False, schedules=False)
        svc.start()
        pg0 = _backend_cpu(ws.store.engine, app)
        start, cpu0 = time.perf_counter(), time.process_time()
        done = 0
        while n := svc.step():
            done += n
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
        pg_cpu = _backend_cpu(ws.store.engine, app) - pg0
        svc.shutdown()
        ws.store.engine.dispose()
        return {"rate": done / elapsed, "cpu_per_k": cpu / done * 1000,
                "pg_per_k": pg_cpu / done * 1000}
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy so far (all processes, /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _backend_cpu(engine: object, app: str) -> float:
    """CPU seconds of the PostgreSQL backends serving the workers (their connections carry
    ``application_name``), read from /proc while they are still open."""
    from sqlalchemy import text

    with engine.connect() as conn:  # type: ignore[attr-defined]
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"),
                            {"a": app}).scalars().all()
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pg_workers(tmp: Path, pg: str, events: int, workers: int) -> dict[str, float]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    plain = pg.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        app = f"orderhub_{schema}"
        url = f"{pg}?options=-csearch_path%3D{schema}&application_name={app}"
        ws_dir = sup.write_workspace(tmp / f"pg{workers}", url, **PRODUCTION)
        ws = Workspace.load(ws_dir)
        ws.store.upsert(sup.make_orders(events // 2))
        engine = ws.store.engine
        cpu0, busy0 = _children_cpu(), _machine_busy()
        start = time.perf_counter()
        procs = [sup.spawn(ws_dir, "worker", "--no-schedules") for _ in range(workers)]
        sup.wait_until(lambda: sup.count(engine, decisions) > 0, 120, "a decision",
                       every=0.01)
        first = time.perf_counter()
        sup.wait_until(lambda: sup.count(engine, decisions) >= events, 600,
                       "all decisions", every=0.05)
        elapsed = time.perf_counter() - start
        steady = time.perf_counter() - first
        busy = _machine_busy() - busy0
        pg_cpu = _backend_cpu(engine, app)
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
        cpu = _children_cpu() - cpu0
        engine.dispose()
        return {"rate": events / elapsed, "steady": events / steady, "wall": elapsed,
                "cpu_per_k": cpu / events * 1000, "pg_per_k": pg_cpu / events * 1000,
                "busy_per_k": busy / events * 1000}
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def reload_latency(tmp: Path, rounds: int = 5) -> list[float]:
    ws = Workspace.load(sup.write_workspace(tmp / "rl", f"sqlite:///{tmp / 'rl.db'}"))
    svc = Service(ws, dispatch=False, schedules=False)
    svc.start()
    watcher = Watcher(svc.reloader, [ws.root / "rules"])
    watcher.start()
    time.sleep(0.5)
    out = []
    for i in range(rounds):
        before = svc.reloader.live.versions
        start = time.perf_counter()
        (ws.root / "rules" / "tiny.tiny").write_text(f"tag = t{i}\n", encoding="utf-8")
        sup.wait_until(lambda b=before: svc.reloader.live.versions != b, 10, "reload",
                       every=0.002)
        out.append(time.perf_counter() - start)
        time.sleep(0.3)
    watcher.stop()
    svc.shutdown()
    return out


#: An evaluator that routes every paid order to SH with a WMS push and a pick-list line, and
#: holds every ``hold_every``-th order (rule action ``hold waybill``): fulfilment's gate then
#: keeps those outputs back until the hold is released.
_ROUTING_EVALUATOR = """
from orderhub.service.evaluator import OrderAction, Evaluation, Message, Versions

HOLD_EVERY = {hold_every}


class RoutingEvaluator:
    versions = Versions(rules="bench", flows="bench")

    def evaluate(self, order, event, ctx):
        out = Evaluation(versions=self.versions)
        if event.type != "paid":
            return out
        no = int(order.platform_order_no[1:])
        if HOLD_EVERY and no % HOLD_EVERY == 0:
            out.actions.append(OrderAction("hold", f"bench#0:{{order.id}}",
                                      {{"target": "waybill", "rule": "bench"}}))
        out.actions.append(OrderAction("route", f"route:{{order.id}}:bench",
                                  {{"warehouse": "SH", "flow": "bench"}}))
        doc = {{"type": "order", "order_id": order.id, "warehouse": "SH"}}
        out.messages.append(Message("wms", f"flow:bench:{{order.id}}:wms:0",
                                    {{"to": None, "document": doc}}))
        out.actions.append(OrderAction("pick_list", f"flow:bench:{{order.id}}:pick_list:1",
                                  {{"order": order.platform_order_no}}))
        return out


def load(workspace):
    return RoutingEvaluator()
"""


def sqlite_holds(tmp: Path, events: int, hold_every: int) -> tuple[float, int, float]:
    """Events/s through fulfilment's gate on SQLite with every ``hold_every``-th order held
    (0: none), then how many held orders and the releases per second by a person."""
    from orderhub.fulfilment import holds

    name = f"h{hold_every}"
    tmp.mkdir(parents=True, exist_ok=True)
    evaluator = tmp / f"{name}_eval.py"
    evaluator.write_text(_ROUTING_EVALUATOR.format(hold_every=hold_every), encoding="utf-8")
    ws = Workspace.load(sup.write_workspace(tmp / name, f"sqlite:///{tmp / name}.db",
                                            batch_size=200, evaluator=f"{evaluator}:load"))
    svc, rate, _ = _drain(ws, sup.make_orders(events // 2))
    held = sorted({h.order_id for h in holds.list_holds(ws, limit=10**6)})
    start = time.perf_counter()
    for order_id in held:
        holds.release(ws, order_id, "bench: checked", "bench")
    per_s = len(held) / (time.perf_counter() - start) if held else 0.0
    svc.shutdown()
    from orderhub.service.schema import outbox

    pushes = sup.count(ws.store.engine, outbox, outbox.c.kind == "wms")
    if pushes != events // 2:
        print(f"  !! {pushes} WMS pushes for {events // 2} orders")
    return rate, len(held), per_s


def sqlite_rules(tmp: Path) -> tuple[float, int]:
    """Events/s on SQLite through the default evaluator with the shipped rules (``rules/``)
    over the bundled examples and synthetic orders of four platforms (refunds, vague
    addresses, same-phone bursts: the rules fire and plan SMS, tasks and holds)."""
    import json
    import shutil

    spec = importlib.util.spec_from_file_location("rules_golden_support",
                                                  ROOT / "tests" / "rules_golden_support.py")
    golden = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(golden)  # type: ignore[union-attr]
    tmp.mkdir(parents=True, exist_ok=True)
    orders = golden.example_orders(tmp)
    root = tmp / "rules_ws"
    (root / "rules").mkdir(parents=True)
    for f in (ROOT / "rules").glob("*.rules"):
        shutil.copy(f, root / "rules" / f.name)
    config = {"database": f"sqlite:///{tmp / 'rules.db'}",
              "service": {**PRODUCTION, "watch": False}}
    (root / "orderhub.yaml").write_text(json.dumps(config), encoding="utf-8")
    svc, rate, done = _drain(Workspace.load(root), orders)
    svc.shutdown()
    return rate, done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--holds-only", action="store_true",
                        help="only the fulfilment runs (10%% of orders held, and none)")
    parser.add_argument("--rules-only", action="store_true",
                        help="only the shipped rules through the default evaluator, SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rate, done = sqlite_rules(tmp / "rules")
        print(f"SQLite, shipped rules:    {rate:8.0f} events/s ({done} events of the examples "
              "and synthetic orders, the default evaluator)")
        if args.rules_only:
            return
        # interleaved rounds, medians: on a shared machine one run's figure swings +-40 %
        bases, helds = [], []
        for i in range(3):
            bases.append(sqlite_holds(tmp / f"r{i}", args.events, 0)[0])
            rate, n, per_s = sqlite_holds(tmp / f"r{i}", args.events, 10)
            helds.append(rate)
        base, held = sorted(bases)[1], sorted(helds)[1]
        print(f"SQLite, routed, no holds: {base:8.0f} events/s (median of 3)")
        print(f"SQLite, routed, 10% held: {held:8.0f} events/s ({held / base - 1:+.0%}); "
              f"{n} held orders released by a person at {per_s:.0f}/s; "
              "one WMS push per order (checked)")
        if args.holds_only:
            return
        print(f"SQLite, one process:      {sqlite_one_process(tmp, args.events):8.0f} events/s")
        r = pg_one_process(tmp, args.pg, args.events)
        print(f"PostgreSQL, one process:  {r['rate']:8.0f} events/s; CPU per 1,000 events: "
              f"consumer {r['cpu_per_k']:.2f} s, its PostgreSQL backends {r['pg_per_k']:.2f} s")
        for n in (1, 2):
            r = pg_workers(tmp, args.pg, args.events, n)
            print(f"PostgreSQL, {n} worker(s):  {r['rate']:8.0f} events/s in {r['wall']:.2f} s "
                  f"(process start included), steady {r['steady']:.0f} events/s; CPU per "
                  f"1,000 events: workers {r['cpu_per_k']:.2f} s, their PostgreSQL backends "
                  f"{r['pg_per_k']:.2f} s, whole machine {r['busy_per_k']:.2f} s")
        lat = sorted(reload_latency(tmp))
        print(f"reload, save to live:     median {lat[len(lat) // 2] * 1000:.0f} ms, "
              f"max {lat[-1] * 1000:.0f} ms (watchfiles debounce 150 ms)")


if __name__ == "__main__":
    main()
