"""Service throughput and reload latency.  Prints figures; asserts nothing.

    python bench/service.py [--events 4000] [--pg postgresql+psycopg://postgres@127.0.0.1/test]

* events/s in one process on SQLite (`Service.step` loop, the tiny test evaluator);
* events/s with 1 and 2 `orderhub worker` processes on PostgreSQL (wall time until every event
  has a decision, process start included);
* reload latency: from saving a rule file to the new version being live (watchfiles).
"""

from __future__ import annotations

import argparse
import importlib.util
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


def sqlite_one_process(tmp: Path, events: int) -> float:
    ws = Workspace.load(sup.write_workspace(tmp / "sq", f"sqlite:///{tmp / 'sq.db'}",
                                            batch_size=200))
    ws.store.upsert(sup.make_orders(events // 2))
    svc = Service(ws, dispatch=False, schedules=False)
    svc.start()
    start = time.perf_counter()
    done = 0
    while n := svc.step():
        done += n
    elapsed = time.perf_counter() - start
    svc.shutdown()
    return done / elapsed


def pg_workers(tmp: Path, pg: str, events: int, workers: int) -> float:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    plain = pg.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        url = f"{pg}?options=-csearch_path%3D{schema}"
        ws_dir = sup.write_workspace(tmp / f"pg{workers}", url, batch_size=200)
        ws = Workspace.load(ws_dir)
        ws.store.upsert(sup.make_orders(events // 2))
        start = time.perf_counter()
        procs = [sup.spawn(ws_dir, "worker", "--no-schedules") for _ in range(workers)]
        sup.wait_until(lambda: sup.count(ws.store.engine, decisions) >= events, 600,
                       "all decisions", every=0.05)
        elapsed = time.perf_counter() - start
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
        ws.store.engine.dispose()
        return events / elapsed
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print(f"SQLite, one process:      {sqlite_one_process(tmp, args.events):8.0f} events/s")
        for n in (1, 2):
            rate = pg_workers(tmp, args.pg, args.events, n)
            print(f"PostgreSQL, {n} worker(s):  {rate:8.0f} events/s (process start included)")
        lat = sorted(reload_latency(tmp))
        print(f"reload, save to live:     median {lat[len(lat) // 2] * 1000:.0f} ms, "
              f"max {lat[-1] * 1000:.0f} ms (watchfiles debounce 150 ms)")


if __name__ == "__main__":
    main()
