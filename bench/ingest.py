"""Ingestion throughput against the plain driver's floor, on SQLite and PostgreSQL, with peak
memory (each process's peak RSS; with a mapping worker, also the peak PSS of the two
together, which does not count the pages they share twice).

Native-shape orders from all four platforms are written as the platforms' list-API responses
(one JSON file per platform and 5,000 orders, generated file by file), then
`orderhub.connectors.ingest.ingest` runs on them exactly as `orderhub ingest` does: JSON
parsing, mapping, validation, catalog enrichment, dedup, the event log and the rejects are all
inside the timings.  Each run is a child process, so its peak RSS is the ingest's own.

The floor, measured in the same run: the rows our first ingest stored (same columns, same JSON
documents, same indexes: a fresh store of the same schema) inserted with the plain driver and
nothing else, 2,000 rows a transaction as the ingest commits: `sqlite3` `executemany`, and
psycopg `COPY` (plus psycopg `executemany` for reference).  Only the driver calls are timed.

    python bench/ingest.py [--orders 20000] [--db sqlite,postgresql]
                           [--runs first,same,cold,tenth,client]
                           [--workers auto|0|1|0,1]

PostgreSQL: ORDERHUB_BENCH_PG (default postgresql+psycopg://postgres@127.0.0.1:5432/test); the
run uses a schema of its own and drops it.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

PLATFORMS = ("taobao", "jd", "pdd", "douyin")
MODIFIED = {"taobao": "modified", "jd": "modified", "pdd": "updated_at", "douyin": "update_time"}
MEMO = {"taobao": "seller_memo", "jd": "venderRemark", "pdd": "remark", "douyin": "seller_words"}
PER_FILE = 5000
BATCH = 2000
PG = os.environ.get("ORDERHUB_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RUNS = {"first": "first ingest", "same": "unchanged re-ingest",
        "cold": "unchanged re-ingest, no kept surveys", "tenth": "10% modified",
        "client": "first ingest, nothing stored (the client's own work)"}


def modify(platform: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A later version: modified an hour later, with a seller memo."""
    changed = copy.copy(payload)
    value = changed[MODIFIED[platform]]
    changed[MODIFIED[platform]] = value + 3600 if isinstance(value, int) else \
        value[:11] + "23:59:59"
    changed[MEMO[platform]] = "已备注：加急"
    return changed


def write_files(folder: Path, n: int) -> tuple[list[Path], list[Path]]:
    """The first files and their later versions (every tenth order modified), written one
    file of 5,000 orders at a time so that generating a million does not hold a million."""
    from orderhub.synth import SHANGHAI, envelope, generate_orders, render

    first, later = folder / "first", folder / "later"
    first.mkdir(parents=True)
    later.mkdir(parents=True)
    start = datetime(2025, 11, 1, tzinfo=SHANGHAI)
    out: tuple[list[Path], list[Path]] = ([], [])
    per = n // len(PLATFORMS)
    for p in PLATFORMS:
        for k, i in enumerate(range(0, per, PER_FILE)):
            orders = [render(o, p) for o in generate_orders(
                min(PER_FILE, per - i), seed=f"bench-{p}-{k}", start=start + timedelta(days=k),
                platform=p)]
            name = f"{p}-{k:04d}.json"
            for folder_, rows, paths in ((first, orders, out[0]),
                                         (later, [modify(p, o) if j % 10 == 0 else o
                                                  for j, o in enumerate(orders)], out[1])):
                path = folder_ / name
                path.write_bytes(json.dumps(envelope(p, rows), ensure_ascii=False).encode())
                paths.append(path)
    return out


# -- children: one measured thing each, printing JSON ----------------------------------------


def server_cpu() -> float | None:
    """CPU seconds all PostgreSQL processes on this machine have used (``/proc``), or None
    where none can be seen: with the server here, it shares the two cores with the ingest."""
    total, seen = 0, False
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                head, _, tail = f.read().rpartition(")")
        except OSError:
            continue
        if head.endswith("(postgres"):
            seen = True
            total += sum(int(x) for x in tail.split()[11:15])
    return total / os.sysconf("SC_CLK_TCK") if seen else None


def _server_since(before: float | None) -> float | None:
    after = server_cpu()
    return after - before if after is not None and before is not None else None


def _pss_mb(pid: int) -> float:
    """A process's proportional set size: pages it shares (a forked worker shares the
    ingest's imported code and data) are split between the processes sharing them, so the
    sum over processes is the memory they take together, which a sum of RSS overstates."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class PeakPss(threading.Thread):
    """Samples the PSS of this process and its children (the mapping worker) together, four
    times a second; :attr:`peak` is the highest sum (0 where ``/proc`` cannot tell)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.done = 0.0, threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.done.wait(0.25):
            try:
                kids = Path(f"/proc/{me}/task/{me}/children").read_text().split()
            except OSError:
                kids = []
            self.peak = max(self.peak, _pss_mb(me) + sum(_pss_mb(int(k)) for k in kids))

    def stop(self) -> float:
        self.done.set()
        self.join()
        return self.peak


def child_ingest(url: str, folder: Path, catalog: Path, workers: str,
                 store_nothing: bool = False) -> dict[str, Any]:
    """One ingest; its CPU and peak RSS include its mapping worker's, if it started one.
    ``store_nothing``: every batch is read, looked up, mapped and prepared as in a first
    ingest, and handed to the writer thread, which stores nothing (what the client costs
    without the database: a lower bound on the first ingest in one process, where all of it
    runs under one GIL)."""
    from orderhub.catalog import Catalog
    from orderhub.connectors.ingest import ingest
    from orderhub.store import OrderStore
    from orderhub.store.orders import UpsertResult

    if store_nothing:
        OrderStore.upsert = (  # type: ignore[method-assign]
            lambda self, batch, **_: UpsertResult(new=sum(1 for _ in batch)))
    store = OrderStore.open(url)
    cat = Catalog.load(catalog)
    files = sorted(folder.glob("*.json"))
    server = server_cpu() if url.startswith("postgresql") else None
    pss = PeakPss()
    pss.start()
    started, cpu = time.perf_counter(), time.process_time()
    s = ingest(store, files, catalog=cat, workers=None if workers == "auto" else int(workers))
    secs = time.perf_counter() - started
    together = pss.stop()
    server = _server_since(server)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"secs": secs, "cpu": time.process_time() - cpu + kids.ru_utime + kids.ru_stime,
            "worker_cpu": kids.ru_utime + kids.ru_stime,
            "counts": [s.new, s.updated, s.unchanged, s.rejected],
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_rss_mb": kids.ru_maxrss / 1024, "server_cpu": server,
            "pss_mb": together}


def child_snapshot(url: str) -> dict[str, Any]:
    """What a store holds, as ``tests/ingest_snapshot.py`` digests it (no ids, no times)."""
    from orderhub.store import OrderStore
    from orderhub.tests.ingest_snapshot import snapshot

    got = snapshot(OrderStore.open(url), Path("/"))
    text = json.dumps(got, sort_keys=True)
    return {"digest": hashlib.blake2b(text.encode(), digest_size=12).hexdigest(),
            "orders": len(got["orders"]), "events": len(got["events"])}


def _stored_rows(url: str, dialect: Any) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
    """The orders rows the first ingest stored, in batches, in their stored form for
    ``dialect`` (what the driver is handed: UTC times, money in fen)."""
    from sqlalchemy import create_engine, select

    from orderhub.store.schema import orders

    bind = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in orders.c]
    with create_engine(url).connect() as conn:
        result = conn.execution_options(stream_results=True).execute(select(orders))
        while batch := result.fetchmany(BATCH):
            yield [c.name for c in orders.c], [
                tuple(f(v) if f and v is not None else v for f, v in zip(bind, r, strict=True))
                for r in batch]


def child_floor_sqlite(source: str, target: Path) -> dict[str, Any]:
    """Plain ``sqlite3`` executemany of the stored rows into a fresh store of the schema."""
    from sqlalchemy.dialects import sqlite

    from orderhub.store import OrderStore

    OrderStore.open(f"sqlite:///{target}").engine.dispose()
    conn = sqlite3.connect(target)
    secs, cpu, n = 0.0, 0.0, 0
    for cols, rows in _stored_rows(source, sqlite.dialect()):
        sql = f"INSERT INTO orders ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        started, began = time.perf_counter(), time.process_time()
        conn.executemany(sql, rows)
        conn.commit()
        secs += time.perf_counter() - started
        cpu += time.process_time() - began
        n += len(rows)
    return {"secs": secs, "cpu": cpu, "rows": n}


def child_floor_pg(source: str, target: str, how: str) -> dict[str, Any]:
    """Plain psycopg COPY (or executemany) of the stored rows into a fresh schema's store."""
    import psycopg
    from sqlalchemy.dialects.postgresql import psycopg as dialect

    from orderhub.store import OrderStore

    OrderStore.open(target).engine.dispose()
    schema = target.rsplit("%3D", 1)[1]
    secs, cpu, server, n = 0.0, 0.0, 0.0, 0
    with psycopg.connect(PG.replace("+psycopg", ""), options=f"-csearch_path={schema}") as conn:
        for cols, rows in _stored_rows(source, dialect.dialect()):
            names = ", ".join(cols)
            before = server_cpu()
            started, began = time.perf_counter(), time.process_time()
            with conn.cursor() as cur:
                if how == "copy":
                    with cur.copy(f"COPY orders ({names}) FROM STDIN") as cp:
                        for row in rows:
                            cp.write_row(row)
                else:
                    cur.executemany(f"INSERT INTO orders ({names}) VALUES "
                                    f"({', '.join(['%s'] * len(cols))})", rows)
            conn.commit()
            secs += time.perf_counter() - started
            cpu += time.process_time() - began
            server += _server_since(before) or 0.0
            n += len(rows)
    return {"secs": secs, "cpu": cpu, "server_cpu": server or None, "rows": n}


def _child(args: list[str]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its JSON result."""
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, timeout=7200)
    if done.returncode:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# -- the parent --------------------------------------------------------------------------------


def _pg_schema(action: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"{action} SCHEMA {schema}{' CASCADE' if action == 'DROP' else ''}")


def bench_db(db: str, tmp: Path, n: int, runs: list[str], catalog: Path,
             workers: list[str]) -> list[str]:
    """The table rows for one database: the first ingest once per ``workers`` setting (each
    into a fresh store, which must end up the same), the other runs on the first's store."""
    schemas: list[str] = []

    def url(name: str) -> str:
        if db == "sqlite":
            return f"sqlite:///{tmp / (name + '.db')}"
        schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        _pg_schema("CREATE", schema)
        schemas.append(schema)
        return f"{PG}?options=-csearch_path%3D{schema}"

    same = ""
    try:
        ours = url("ours")
        results = []
        for run in runs:
            folder = tmp / ("later" if run == "tenth" else "first")
            # an unchanged re-ingest leaves the store as it was: each setting runs on it
            every = run in ("first", "same", "cold", "client")
            for w in workers if every else workers[:1]:
                target = url(f"client{w}") if run == "client" else \
                    ours if w == workers[0] or run != "first" else url(f"w{w}")
                name = RUNS[run] + (f" (workers={w})" if every and len(workers) > 1 else "")
                if run == "cold":  # as if the files had never been read before
                    shutil.rmtree(tmp / "cache" / "orderhub" / "surveys", ignore_errors=True)
                results.append((name, _child(["ingest", target, str(folder), str(catalog), w,
                                              *(["nothing"] if run == "client" else [])])))
                if target != ours and run == "first":
                    a, b = _child(["snapshot", ours]), _child(["snapshot", target])
                    same = f"stores of workers={workers[0]} and workers={w} " + (
                        f"identical ({a['orders']:,} orders, {a['events']:,} events, digest "
                        f"{a['digest']})" if a == b else f"DIFFER: {a} vs {b}")
        if db == "sqlite":
            floors = [("sqlite3 executemany", _child(["floor-sqlite", ours,
                                                      str(tmp / "floor.db")]))]
        else:
            floors = [("psycopg COPY", _child(["floor-pg", ours, url("floor"), "copy"])),
                      ("psycopg executemany", _child(["floor-pg", ours, url("floor2"),
                                                      "executemany"]))]
    finally:
        for schema in schemas:
            _pg_schema("DROP", schema)
    floor, floor_cpu = floors[0][1]["secs"], floors[0][1].get("cpu")
    lines = [f"| {db} | {name} | {n:,} | {r['secs']:.2f} | {n / r['secs']:,.0f} | "
             f"{r['secs'] / floor:.2f} | {_cpu(r['cpu'], floor_cpu, r.get('server_cpu'))}"
             f"{_worker(r)} | "
             f"{r['rss_mb']:,.0f}{_worker_rss(r)} | "
             f"{' / '.join(map(str, r['counts']))} |" for name, r in results]
    lines += [f"| {db} | floor: {name} of the same rows | {f['rows']:,} | {f['secs']:.2f} | "
              f"{f['rows'] / f['secs']:,.0f} | {f['secs'] / floor:.2f} | "
              f"{_cpu(f.get('cpu'), floor_cpu, f.get('server_cpu'))} | | |" for name, f in floors]
    if same:
        lines.append(f"| {db} | {same} | | | | | | | |")
    return lines


def _worker(r: dict[str, Any]) -> str:
    return f", worker {r['worker_cpu']:.2f}" if r.get("worker_cpu", 0) > 0.2 else ""


def _worker_rss(r: dict[str, Any]) -> str:
    """The worker's peak RSS, and the peak PSS of the two together (what they take)."""
    if r.get("worker_cpu", 0) <= 0.2:
        return ""
    together = f" (together {r['pss_mb']:,.0f})" if r.get("pss_mb") else ""
    return f" + {r['worker_rss_mb']:,.0f}{together}"


def _cpu(ours: float | None, floor: float | None, server: float | None = None) -> str:
    """CPU seconds, and their ratio to the floor's where the database runs in this process
    (SQLite): far steadier than wall time on a shared machine.  PostgreSQL's: the client's,
    plus the server's where it runs on this machine."""
    if ours is None:
        return ""
    if server is not None:
        return f"{ours:.2f} + server {server:.2f}"
    return f"{ours:.2f} ({ours / floor:.2f}x)" if floor else f"{ours:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", "--n", type=int, default=20_000,
                        help="orders in all (default 20,000; 100,000 and 1,000,000 for RSS)")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--runs", default="first,same,cold,tenth",
                        help="first ingest, then on its store: same (unchanged re-ingest, "
                             "the surveys the first kept), cold (the same with none kept), "
                             "tenth (every tenth order a later version), client (a first "
                             "ingest into a fresh store that stores nothing: the client's own "
                             "work, which one process cannot beat)")
    parser.add_argument("--workers", default="auto",
                        help="first ingest and unchanged re-ingest with each of these: auto "
                             "(the default: a worker process where it pays), 0 (one "
                             "process), 1 (a worker: it maps, or surveys unchanged files); "
                             "e.g. 0,1 runs both and checks that the stores are identical")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        fn = {"ingest": lambda: child_ingest(rest[0], Path(rest[1]), Path(rest[2]), rest[3],
                                             rest[4:] == ["nothing"]),
              "snapshot": lambda: child_snapshot(rest[0]),
              "floor-sqlite": lambda: child_floor_sqlite(rest[0], Path(rest[1])),
              "floor-pg": lambda: child_floor_pg(rest[0], rest[1], rest[2])}[kind]
        print(json.dumps(fn()))
        return
    from orderhub.synth import write_catalog_csv

    runs = [r for r in args.runs.split(",") if r]
    if runs[:1] != ["first"]:
        raise SystemExit("--runs must start with first (the others re-ingest its store)")
    with tempfile.TemporaryDirectory(prefix="orderhub-bench-") as name:
        tmp = Path(name)
        os.environ["ORDERHUB_CACHE"] = str(tmp / "cache")  # the children's; see "cold"
        catalog = write_catalog_csv(tmp / "catalog.csv")
        t = time.perf_counter()
        write_files(tmp, args.orders)
        n = len(PLATFORMS) * (args.orders // len(PLATFORMS))
        print(f"generated and wrote {n:,} native payloads in {time.perf_counter() - t:.1f} s; "
              f"load average {os.getloadavg()[0]:.2f}")
        print("\n| db | run | orders | seconds | orders/s | x floor | CPU s (x floor) | "
              "peak RSS MB | new / updated / unchanged / rejected |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---|")
        for db in args.db.split(","):
            for line in bench_db(db, tmp, n, runs, catalog, args.workers.split(",")):
                print(line, flush=True)
        print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
