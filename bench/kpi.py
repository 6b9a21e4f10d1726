"""Benchmark: every KPI for 90 days of 1,000,000 orders, on SQLite and PostgreSQL.

Setup (timed apart): the facts written in bulk (``executemany`` of ready tuples on SQLite,
``COPY`` on PostgreSQL): orders; a first parcel for 95% of them (a second for 2%); a routing
decision each (8% diverted, 1% out of stock); a ``released`` stage row each; holds by rules on
2%, intercepts at the warehouse on 0.5% and with the carrier on 0.2%; tasks on 5% with one or
two audited actions (10% never answered); after-sales on 1% (a third of them wrong or missing
items); wrong items caught at the scan on 0.3%; a reconciliation report a day.

Timed: :func:`orderhub.kpi.metrics.compute` for the 90 days with totals and every day, and
again grouped by warehouse.  Goal: under 3 s on PostgreSQL, under 10 s on SQLite.  Printed
with the load average and the CPU seconds used (this process, plus the PostgreSQL server
processes of its connections: ``compute`` reads on two at once there): on a shared machine
wall time moves with the load, CPU time hardly.  The stored facts (``kpi_first_parcels``
with each order's pay-to-ship seconds, ``kpi_task_responses``) are kept by the database's
triggers as the shipments and the audit trail load, so their cost is in the load time.

Filling a million orders takes 5 to 13 minutes per database.  With ``--keep`` the filled
databases stay (SQLite: ``--keep-dir``/kpi_<orders>.db, PostgreSQL: schema
``bench_kpi_keep_<orders>``) and the next ``--keep`` run with the same ``--orders`` reuses them:
it opens them (so new migrations run, their backfills included), skips the load and times the
KPIs only.  A kept database whose order count differs is filled again.  Drop them with
``--drop-kept``.

    python bench/kpi.py [--orders 1000000] [--quick] [--db sqlite|postgresql|both] [--pg URL]
                        [--keep [--keep-dir DIR]] [--drop-kept]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pgschema import scratch_schema
from sqlalchemy import Engine, MetaData, Table, create_engine, event, inspect, text

from orderhub.kpi.config import KpiConfig
from orderhub.kpi.metrics import compute
from orderhub.kpi.periods import days
from orderhub.store import OrderStore

START = datetime(2026, 9, 1, tzinfo=UTC) - timedelta(hours=8)  # 2026-09-01 00:00 shop time
DAYS = 90
PLATFORMS = ("taobao", "jd", "pdd", "douyin")
WAREHOUSES = ("SH", "GZ", "BJ", "CD")
PEOPLE = [f"picker{i:02d}" for i in range(40)]
REASONS = ("错发了颜色", "漏发一件", "不想要了", "七天无理由", "少件")


def facts(n: int, seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as tuples in :data:`COLUMNS` order, times as naive UTC."""
    rng = random.Random(seed)
    span = DAYS * 86400
    out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in COLUMNS}
    base = START.replace(tzinfo=None)
    task_id = 0
    for i in range(n):
        oid = f"{i:026d}"
        platform = PLATFORMS[i % 4]
        paid = base + timedelta(seconds=rng.randrange(span))
        wh = WAREHOUSES[rng.randrange(4)]
        out["orders"].append((oid, platform, f"{platform}-{i % 7}", f"N{i}", "paid",
                              "Asia/Shanghai", paid, paid, 0, 0, 0, 0, "{}", "h", 1, paid,
                              paid))
        diverted = WAREHOUSES[(WAREHOUSES.index(wh) + 1) % 4] if rng.random() < 0.08 else None
        stock = '{"stockout": true}' if rng.random() < 0.01 else '{"stockout": false}'
        routed = paid + timedelta(seconds=30)
        out["route_decisions"].append((oid, "routing", "1", wh, diverted, stock, None, routed))
        released = paid + timedelta(minutes=rng.randrange(5, 600))
        out["fulfilment_log"].append((oid, released, "stage", None, "released", "flow", "x",
                                      None, None))
        roll = rng.random()
        if roll < 0.02:
            out["fulfilment_log"].append((oid, paid + timedelta(seconds=10), "hold", None, None,
                                          "rule", "r", None, '{"kind": "review"}'))
        elif roll < 0.025:
            out["fulfilment_log"].append((oid, released + timedelta(minutes=5), "intercept",
                                          None, None, "rule", "r", None, '{"to": "wms"}'))
        if rng.random() < 0.95:
            shipped = released + timedelta(hours=rng.expovariate(1 / 20))
            out["shipments"].append((f"S{i}", oid, wh, "SF", f"SF{i}", shipped,
                                     PEOPLE[rng.randrange(40)]))
            if rng.random() < 0.02:
                out["shipments"].append((f"T{i}", oid, wh, "SF", f"SFB{i}",
                                         shipped + timedelta(hours=5), PEOPLE[0]))
            if rng.random() < 0.002:
                out["fulfilment_log"].append((oid, shipped + timedelta(hours=1), "intercept",
                                              None, None, "platform", "p", None,
                                              '{"to": "carrier"}'))
            if rng.random() < 0.01:
                out["after_sales"].append((platform, f"A{i}", f"{platform}-{i % 7}", f"N{i}",
                                           "refund_only", "open", "1", REASONS[i % 5],
                                           shipped + timedelta(days=2),
                                           shipped + timedelta(days=2), "{}",
                                           shipped + timedelta(days=2)))
            if rng.random() < 0.003:
                out["scan_events"].append((shipped - timedelta(minutes=2), PEOPLE[i % 40], oid,
                                           "X", "wrong_item"))
        if rng.random() < 0.05:
            task_id += 1
            created = paid + timedelta(minutes=1)
            out["tasks"].append((task_id, f"k{task_id}", oid, ("cs", "warehouse")[i % 2],
                                 "审单", 50, "open", "rule", "r", created, None, created, "[]"))
            if rng.random() < 0.9:
                first = created + timedelta(minutes=rng.expovariate(1 / 25))
                out["audit_log"].append((first, PEOPLE[i % 40], "task_claim", "task",
                                         str(task_id), oid))
                out["audit_log"].append((first + timedelta(minutes=9), PEOPLE[i % 40],
                                         "task_done", "task", str(task_id), oid))
    for d in range(DAYS):
        end = base + timedelta(days=d + 1)
        out["reconciliation_reports"].append((f"day{d}", None, end - timedelta(days=1), end,
                                              end + timedelta(hours=2 + d % 3), 3))
    return out


COLUMNS = {
    "orders": ("id", "platform", "shop_id", "platform_order_no", "status", "timezone",
               "created_at", "paid_at", "goods_total", "discount", "post_fee", "payment", "doc",
               "content_hash", "version", "ingested_at", "updated_at"),
    "route_decisions": ("order_id", "flow", "version", "warehouse", "diverted_from", "result",
                        "trace", "at"),
    "fulfilment_log": ("order_id", "at", "kind", "stage_from", "stage_to", "actor_kind",
                       "actor", "why", "data"),
    "shipments": ("id", "order_id", "warehouse", "carrier", "tracking_no", "shipped_at",
                  "shipped_by"),
    "after_sales": ("platform", "aftersale_id", "shop", "platform_order_no", "kind", "status",
                    "raw_status", "reason", "created_at", "modified_at", "raw", "stored_at"),
    "scan_events": ("at", "person", "order_id", "code", "result"),
    "tasks": ("id", "key", "order_id", "queue", "title", "priority", "status", "source_kind",
              "source", "created_at", "due_at", "updated_at", "notes"),
    "audit_log": ("at", "person", "action", "target_kind", "target", "order_id"),
    "reconciliation_reports": ("label", "shop", "period_start", "period_end", "generated_at",
                               "differences"),
}


def load(engine: Engine, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    _scan_table(engine)
    if engine.dialect.name == "postgresql":
        _copy(engine, rows)
        return
    with engine.begin() as conn:
        for name, cols in COLUMNS.items():
            sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            conn.exec_driver_sql(sql, [tuple(_sqlite(v) for v in r) for r in rows[name]])
        conn.exec_driver_sql("ANALYZE")


def _sqlite(value: Any) -> Any:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def _copy(engine: Engine, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for name, cols in COLUMNS.items():
            with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                for r in rows[name]:
                    copy.write_row(r)
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _scan_table(engine: Engine) -> None:
    """The scan pages' table, when their migration has not created it."""
    from sqlalchemy import Column, Integer, String, Text

    from orderhub.store.schema import UTCDateTime

    meta = MetaData()
    Table("scan_events", meta, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("at", UTCDateTime, nullable=False), Column("person", String(128)),
          Column("order_id", String(26)), Column("code", String(128)),
          Column("result", String(16)), Column("sku", String(128)), Column("detail", Text))
    meta.create_all(engine)


Rows = dict[str, list[tuple[Any, ...]]]


def _filled(url: str, n: int) -> bool:
    """Whether the kept database at ``url`` holds the benchmark's ``n`` orders already."""
    engine = create_engine(url)
    try:
        if "orders" not in inspect(engine).get_table_names():
            return False
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM orders")).scalar() == n)
    finally:
        engine.dispose()


def run(url: str, n: int, rows: Callable[[], Rows], *, reuse: bool = False) -> dict[str, float]:
    """Fill the database at ``url`` (unless ``reuse``: it holds the orders already) and time
    the KPIs.  ``rows`` makes the facts on first use, so a run reusing its databases skips it."""
    store = OrderStore.open(url)
    track_backends(store.engine)
    started = time.perf_counter()
    if reuse:
        loaded = None
    else:
        load(store.engine, rows())
        loaded = time.perf_counter() - started
    period = days("2026-09-01", (START + timedelta(days=DAYS - 1, hours=8)).date(),
                  "Asia/Shanghai")
    cfg = KpiConfig(ship_deadline_hours={"jd": 24})
    figures = {"load_s": -1.0 if loaded is None else loaded}
    cpu: dict[str, float] = {}
    for label, by in (("all+days", None), ("by warehouse", "warehouse")):
        compute(store.engine, period, by=by, kpi=cfg, days=by is None)  # warm the cache
        started, used = time.perf_counter(), _cpu(store.engine)
        result = compute(store.engine, period, by=by, kpi=cfg, days=by is None)
        figures[label] = time.perf_counter() - started
        cpu[label] = _cpu(store.engine) - used
    t = result["totals"]
    filled = "reused (kept)" if loaded is None else f"loaded in {loaded:.1f} s"
    print(f"  {store.engine.dialect.name}: {n:,} orders {filled}; "
          f"all KPIs (totals + {DAYS} days) {figures['all+days']:.2f} s "
          f"(CPU {cpu['all+days']:.2f} s), by warehouse {figures['by warehouse']:.2f} s "
          f"(CPU {cpu['by warehouse']:.2f} s); load average {_load()}")
    print(f"    shipped {t['pay_to_ship']['orders']:,}, median "
          f"{t['pay_to_ship']['median_hours']} h, p90 {t['pay_to_ship']['p90_hours']} h, "
          f"on time {t['pay_to_ship']['within_deadline_share']}; tasks "
          f"{t['exception_response']['tasks']:,}, median response "
          f"{t['exception_response']['median_minutes']} min; mis-shipment rate "
          f"{t['mis_shipment']['rate']}; orders/person/day "
          f"{t['throughput']['orders_per_person_day']}")
    store.engine.dispose()
    return figures


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


#: the PostgreSQL server processes of each engine's connections (see track_backends)
_BACKENDS: dict[int, set[int]] = {}


def track_backends(engine: Engine) -> None:
    """Note the server process of every connection ``engine`` opens from now on (its pool is
    emptied, so that is all of them): :func:`_cpu` adds up their CPU time."""
    if engine.dialect.name != "postgresql":
        return
    pids = _BACKENDS.setdefault(id(engine), set())

    def backend(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("SELECT pg_backend_pid()")
        pids.add(cur.fetchone()[0])
        cur.close()

    event.listen(engine, "connect", backend)
    engine.dispose()


def _cpu(engine: Engine) -> float:
    """CPU seconds spent so far by this process and, on PostgreSQL, by the server processes
    of the engine's connections (:func:`track_backends`; read from /proc when the server is
    local; parallel workers are not counted): unlike wall time, this does not move much
    with the load of a shared machine."""
    used = time.process_time()
    if engine.dialect.name != "postgresql":
        return used
    ticks = 0
    for pid in _BACKENDS.get(id(engine), ()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a connection the pool closed: its time is counted no more
        ticks += int(fields[11]) + int(fields[12])
    return used + ticks / os.sysconf("SC_CLK_TCK")


def _schema(pg: str, schema: str, *, drop: bool = False, create: bool = True) -> None:
    """Drop (``drop``) and/or create (``create``, if missing) the kept schema on ``pg``."""
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if drop:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    admin.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 orders")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=os.environ.get(
        "ORDERHUB_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--keep", action="store_true",
                        help="keep the filled databases and reuse them on the next --keep run")
    parser.add_argument("--keep-dir", default=tempfile.gettempdir(),
                        help="where --keep keeps the SQLite database")
    parser.add_argument("--drop-kept", action="store_true",
                        help="delete the kept databases of --orders and exit")
    args = parser.parse_args(argv)
    n = 100_000 if args.quick else args.orders
    kept_file = Path(args.keep_dir) / f"kpi_{n}.db"
    kept_schema = f"bench_kpi_keep_{n}"
    if args.drop_kept:
        kept_file.unlink(missing_ok=True)
        _schema(args.pg, kept_schema, drop=True, create=False)
        return 0
    print(f"load average: {_load()}")
    made: list[Rows] = []

    def rows() -> Rows:
        if not made:
            started = time.perf_counter()
            made.append(facts(n))
            print(f"  facts for {n:,} orders made in {time.perf_counter() - started:.1f} s: "
                  + ", ".join(f"{k} {len(v):,}" for k, v in made[0].items()))
        return made[0]

    if args.db in ("sqlite", "both"):
        if args.keep:
            url = f"sqlite:///{kept_file}"
            reuse = _filled(url, n)
            if not reuse:
                kept_file.unlink(missing_ok=True)
            run(url, n, rows, reuse=reuse)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                run(f"sqlite:///{Path(tmp) / 'kpi.db'}", n, rows)
    if args.db in ("postgresql", "both"):
        if args.keep:
            url = f"{args.pg}?options=-csearch_path%3D{kept_schema}"
            _schema(args.pg, kept_schema)
            reuse = _filled(url, n)
            if not reuse:  # another order count: emptied and filled again
                _schema(args.pg, kept_schema, drop=True)
            run(url, n, rows, reuse=reuse)
        else:
            with scratch_schema(args.pg) as url:
                if url is not None:
                    run(url, n, rows)
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
