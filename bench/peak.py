"""A Double 11 day: a peak of orders from the four platforms through the whole service.

    python bench/peak.py [--orders 20000] [--workers 1,2] [--day-seconds 120] [--format json]

What runs, all of it real:

* the platform simulator (``orderhub.simulator``) on a loopback port, a whole day's orders
  played in ``--day-seconds`` of wall time (the platforms' clock stays the real one: see
  :class:`Day`).  New orders follow a Double 11 curve (a fifth of the day in its first hour,
  half of that in the first ten minutes, an evening rise) across Taobao, JD, PDD and Douyin;
  buyers pay late, ask for refunds, refunds complete, buyers change their address and sellers
  their memo;
* ``orderhub worker`` processes (1, then 2) on PostgreSQL (a throw-away schema of
  ``--pg``), with the shipped ``rules/`` and ``flows/`` and the example warehouses.  The
  leader pulls each shop every ``--pull-seconds`` through the real connectors (signed HTTP,
  paging, Taobao's full-detail fetches, the after-sales feeds); every worker consumes events
  (risk rules, then routing with stock reservations) and delivers the outbox;
* a loopback WMS that validates every push against the WMS contract, and a loopback SMS
  gateway.  WeCom is left unconfigured: its messages (diverted orders) wait, untried.

Reported per run: orders/s end to end (from the day's start until the last order is decided
and its messages delivered: PDD's 3-minute window lag is a floor under it), orders/s while a
backlog waited (the workers' capacity), event lag p50/p99 (an event stored -> its decision, from the
store's timestamps), order lag p50/p99 (placed on the platform -> first decision, pull
included), outbox delay p99 (queued -> delivered), CPU seconds per 1,000 orders of our
processes (the workers, the leader's pulls included, process start excluded) and of their
PostgreSQL backends, the peak RSS of a worker, how often busy backends waited on routing's
SKU locks, and the machine's load.
"""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import importlib.util
import json
import math
import os
import random
import resource
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from figures import percentile

ROOT = Path(__file__).resolve().parent.parent
DAY = 86_400
PLATFORM_SHARE = {"taobao": 0.4, "jd": 0.2, "pdd": 0.2, "douyin": 0.2}
#: Share of a Double 11 day's orders per hour (Beijing time): the midnight rush, a quiet
#: night, a working day and the evening rise.  Sums to 1.
HOUR_SHARE = (0.20, 0.06, 0.025, 0.012, 0.008, 0.008, 0.01, 0.015, 0.025, 0.03, 0.035, 0.035,
              0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.035, 0.04, 0.065, 0.07, 0.065, 0.082)
#: Of the first hour, the part placed in its first ten minutes.
FIRST_TEN_MINUTES = 0.5
REFUND_SHARE = 0.06        # of paid orders, a refund request
QUICK_REFUND_SHARE = 0.3   # of those, within ten minutes of ordering (high_risk_refund fires)
REFUND_DONE_SHARE = 0.6    # of requests, refunded later the same day
CHANGE_SHARE = 0.08        # of orders, an address or memo change
#: The service's production timings (not the tests' short ones).
PRODUCTION = {"batch_size": 200, "poll_seconds": 1.0, "beat_seconds": 2.0, "lease_seconds": 60,
              "watch": False}


# -- pure helpers (tests/test_bench_peak.py) --------------------------------------------------

def arrivals_per_minute(n: int) -> list[int]:
    """New orders in each of the day's 1,440 minutes, following :data:`HOUR_SHARE`, summing to
    exactly ``n`` (cumulative rounding, so no minute drifts)."""
    weights = []
    for minute in range(1440):
        hour, m = divmod(minute, 60)
        share = HOUR_SHARE[hour] / 60
        if hour == 0:
            share = HOUR_SHARE[0] * (FIRST_TEN_MINUTES / 10 if m < 10
                                     else (1 - FIRST_TEN_MINUTES) / 50)
        weights.append(share)
    total = sum(weights)
    out, placed, cumulative = [], 0, 0.0
    for w in weights:
        cumulative += w / total * n
        now = round(cumulative)
        out.append(now - placed)
        placed = now
    return out


def busy_rate(series: Sequence[tuple[float, int, int]], backlog: int = 200) -> float:
    """Events decided per second while a backlog waited: ``series`` is (time, events stored,
    events decided) samples; only the intervals that start with more than ``backlog`` events
    waiting count, so the rate is the workers' capacity, not the arrival rate."""
    done = took = 0.0
    for (t0, stored, decided), (t1, _, decided1) in zip(series, series[1:], strict=False):
        if stored - decided > backlog:
            done += decided1 - decided
            took += t1 - t0
    return done / took if took else 0.0


def cpu_seconds(stat: str) -> float:
    """utime + stime + cutime + cstime of a ``/proc/PID/stat`` line, in seconds."""
    fields = stat.rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


# -- the day --------------------------------------------------------------------------------

class Day(threading.Thread):
    """Plays the day on the simulator: the new orders of each simulated minute, at the wall
    time that minute maps to, and the follow-ups (payments, refunds, changes) when they fall
    due, their delays compressed like the day.

    The platforms' clock is the wall clock: the pull measures it from the platforms' answers,
    and the service's "now" is the wall clock too, so a day whose timestamps ran faster would
    not be pulled as a real one is.  The orders' timestamps are therefore real and close
    together: every refund request is "within ten minutes" of its order for the rules."""

    def __init__(self, sim: Any, n: int, day_seconds: float, seed: int = 11) -> None:
        super().__init__(name="peak-day", daemon=True)
        self.sim, self.world = sim, sim.world
        self.per_minute = arrivals_per_minute(n)
        self.scale = day_seconds / DAY   # wall seconds per simulated second
        self.day_seconds = day_seconds
        self.rng = random.Random(seed)
        self.placed: dict[tuple[str, str], float] = {}   # (platform, order no) -> wall time
        self.counts = {"orders": 0, "paid_later": 0, "refunds": 0, "refunds_done": 0,
                       "changes": 0}
        self._due: list[tuple[float, int, str, str, str]] = []
        self._seq = 0
        self.started = self.ended = 0.0

    def run(self) -> None:
        self.started = time.time()
        minute = 0
        while True:
            now = time.time()
            elapsed = now - self.started
            while minute < 1440 and minute * 60 * self.scale <= elapsed:
                self._place(self.per_minute[minute])
                minute += 1
            while self._due and self._due[0][0] <= now:
                _, _, kind, platform, no = heapq.heappop(self._due)
                self._follow_up(kind, platform, no)
            if elapsed >= self.day_seconds and minute >= 1440:
                break
            time.sleep(0.02)
        self.ended = time.time()

    def _place(self, count: int) -> None:
        platforms = list(PLATFORM_SHARE)
        weights = list(PLATFORM_SHARE.values())
        wall = time.time()
        for platform in self.rng.choices(platforms, weights, k=count):
            [o] = self.world.add(platform)
            self.placed[(platform, o.order_no)] = wall
            self.counts["orders"] += 1
            if o.status == "pending_payment":
                self._later(wall, self.rng.uniform(30, 900), "pay", platform, o.order_no)
                continue
            self._plan(wall, platform, o.order_no)

    def _plan(self, wall: float, platform: str, no: str) -> None:
        roll = self.rng.random()
        if roll < REFUND_SHARE:
            quick = self.rng.random() < QUICK_REFUND_SHARE
            after = self.rng.uniform(60, 590) if quick else self.rng.uniform(900, 6 * 3600)
            self._later(wall, after, "refund", platform, no)
        elif roll < REFUND_SHARE + CHANGE_SHARE:
            self._later(wall, self.rng.uniform(60, 2 * 3600), "change", platform, no)

    def _later(self, wall: float, after: float, kind: str, platform: str, no: str) -> None:
        """A follow-up ``after`` simulated seconds from ``wall``, if it falls in the day."""
        due = wall + after * self.scale
        if due < self.started + self.day_seconds:
            self._seq += 1
            heapq.heappush(self._due, (due, self._seq, kind, platform, no))

    def _follow_up(self, kind: str, platform: str, no: str) -> None:
        world = self.world
        now = world.clock.now_int()
        wall = time.time()
        with world.lock:
            o = world.orders[platform][no]
            if kind == "pay":
                world.modify(platform, [o])  # 70 % pay, 30 % are cancelled unpaid
                if o.status == "paid":
                    self.counts["paid_later"] += 1
                    self._plan(wall, platform, no)
            elif kind == "refund" and o.status in ("paid", "shipped"):
                world.request_refund(platform, no, now)
                self.counts["refunds"] += 1
                if self.rng.random() < REFUND_DONE_SHARE:
                    self._later(wall, self.rng.uniform(1800, 4 * 3600), "refunded",
                                platform, no)
            elif kind == "refunded" and o.status == "refunding":
                o.status, o.closed_ts, o.modified_ts = "refunded", now, max(now, o.modified_ts)
                world.changes += 1
                self.counts["refunds_done"] += 1
            elif kind == "change" and o.status in ("paid", "pending_payment"):
                if self.rng.random() < 0.5:
                    vague = "小区门口快递柜附近" if self.rng.random() < 0.3 else "（改）3号楼"
                    o.receiver = dataclasses.replace(o.receiver,
                                                     detail=o.receiver.detail + vague)
                else:
                    o.seller_memo = "买家要求改派顺丰"
                o.modified_ts = max(now, o.modified_ts)
                world.changes += 1
                self.counts["changes"] += 1


# -- sampling /proc ---------------------------------------------------------------------------

class Sampler(threading.Thread):
    """Every second: the CPU of each PostgreSQL backend serving our workers (found by their
    ``application_name``; the largest reading per pid is kept, since backends exit with their
    connection) and the peak RSS of each worker."""

    def __init__(self, plain_pg: str, schema: str, app: str, pids: list[int]) -> None:
        super().__init__(name="peak-sampler", daemon=True)
        import psycopg

        self.conn = psycopg.connect(plain_pg, autocommit=True, application_name="peak_bench",
                                    options=f"-csearch_path={schema}")
        self.app, self.pids = app, pids
        #: (time, events stored, events decided), for the busy rate and the backlog
        self.series: list[tuple[float, int, int]] = []
        #: backends seen running a query, and of those waiting on a lock (advisory: the SKU
        #: locks routing batches hold to their commit)
        self.waits: Counter[str] = Counter()
        self.backend_cpu: dict[int, float] = {}
        self.rss_peak: dict[int, int] = {}
        self.backend_base: dict[int, float] = {}
        self.stop_event = threading.Event()

    def sample(self) -> None:
        stored, decided = self.conn.execute(
            "SELECT (SELECT count(*) FROM order_events), (SELECT count(*) FROM decisions)"
        ).fetchone()  # type: ignore[misc]
        self.series.append((time.time(), stored, decided))
        rows = self.conn.execute(
            "SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE application_name = %s", (self.app,)).fetchall()
        for _, state, wait_type, wait in rows:
            if state == "active":
                self.waits["active"] += 1
                if wait_type == "Lock":
                    self.waits["advisory" if wait == "advisory" else "row or table"] += 1
        for pid, *_ in rows:
            try:
                cpu = cpu_seconds(Path(f"/proc/{pid}/stat").read_text())
            except OSError:
                continue
            self.backend_cpu[pid] = max(cpu, self.backend_cpu.get(pid, 0.0))
        for pid in self.pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    self.rss_peak[pid] = max(int(line.split()[1]) * 1024,
                                             self.rss_peak.get(pid, 0))

    def mark(self) -> None:
        """Backends' CPU so far (worker start, schema checks): subtracted from the run."""
        self.sample()
        self.backend_base = dict(self.backend_cpu)

    def run(self) -> None:
        while not self.stop_event.wait(1.0):
            self.sample()

    def backends(self) -> float:
        return sum(cpu - self.backend_base.get(pid, 0.0) for pid, cpu in self.backend_cpu.items())

    def close(self) -> None:
        self.stop_event.set()
        self.join(timeout=5)
        self.sample()
        self.conn.close()


def _machine_busy() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


# -- one run ----------------------------------------------------------------------------------

def _workspace(root: Path, url: str, sim: Any, env: dict[str, str], wms_url: str,
               sms_url: str, pull_seconds: float) -> Any:
    from orderhub.config import Workspace, init_workspace

    init_workspace(root, samples=False)
    shops = [s.model_dump(mode="json", exclude_defaults=True)
             | {"platform": s.platform, "interval_minutes": pull_seconds / 60}
             for s in sim.shops(env)]
    service = {**PRODUCTION, "channels": {"wms": {"url": wms_url}, "sms": {"url": sms_url},
                                          "logistics": {"url": sms_url}}}
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write(f"\ndatabase: {json.dumps(url)}\nshops: {json.dumps(shops, ensure_ascii=False)}"
                f"\nservice: {json.dumps(service)}\n")
    return Workspace.load(root)


def _stock(ws: Any, orders: int) -> None:
    """The workspace's sample stock (stock.csv), scaled so a day's orders mostly find stock."""
    import csv

    from orderhub.engine.routing.stock import RoutingStore

    scale = max(1, math.ceil(orders / 20_000))
    with (ws.root / "stock.csv").open(encoding="utf-8") as f:
        rows = [(r["warehouse"], r["sku"], int(r["on_hand"]) * scale, 0)
                for r in csv.DictReader(f)]
    RoutingStore(ws.store.engine).put_stock(rows)


def _done(engine: Any, day_end: datetime, shops: int) -> bool:
    """Every shop (orders and after-sales) pulled past the day's end, every event decided,
    nothing left to deliver (WeCom, unconfigured, aside)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        cursors, behind = conn.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE position < :e) FROM pull_cursors"),
            {"e": day_end.astimezone(UTC).replace(tzinfo=None)}).one()
        if cursors < shops or behind:
            return False
        events = conn.execute(text("SELECT count(*) FROM order_events")).scalar()
        decided = conn.execute(text("SELECT count(*) FROM decisions")).scalar()
        waiting = conn.execute(text("SELECT count(*) FROM outbox WHERE kind <> 'wecom' "
                                    "AND status IN ('pending', 'sending')")).scalar()
    return bool(events and decided >= events and waiting == 0)


def _figures(engine: Any, day: Day, started: float) -> dict[str, Any]:
    """Lags and delays from the store's timestamps; the end of the run (last decision or
    delivery)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        lags = [r[0] for r in conn.execute(text(
            "SELECT extract(epoch FROM d.at - e.at) FROM decisions d "
            "JOIN order_events e ON e.id = d.event_id"))]
        outbox = [r[0] for r in conn.execute(text(
            "SELECT extract(epoch FROM sent_at - created_at) FROM outbox "
            "WHERE status = 'sent'"))]
        by_kind = [dict(r._mapping) for r in conn.execute(text(
            "SELECT kind, status, count(*) AS n FROM outbox GROUP BY kind, status "
            "ORDER BY kind, status"))]
        first = {(r.platform, r.platform_order_no): _epoch(r.at)
                 for r in conn.execute(text(
                     "SELECT o.platform, o.platform_order_no, min(d.at) AS at FROM orders o "
                     "JOIN decisions d ON d.order_id = o.id GROUP BY 1, 2"))}
        last = conn.execute(text("SELECT greatest((SELECT max(at) FROM decisions), "
                                 "(SELECT max(sent_at) FROM outbox))")).scalar()
        by_platform = dict(conn.execute(text(
            "SELECT platform, count(*) FROM orders GROUP BY 1")).all())
        counts = dict(conn.execute(text(
            "SELECT (SELECT count(*) FROM orders) AS stored, "
            "(SELECT count(*) FROM order_events) AS events, "
            "(SELECT count(*) FROM decisions WHERE outcome <> 'ok') AS not_ok, "
            "(SELECT count(*) FROM route_decisions) AS routed")).one()._mapping)
    order_lags = [at - day.placed[key] for key, at in first.items() if key in day.placed]
    per_platform = {p: [at - day.placed[(pf, no)] for (pf, no), at in first.items()
                        if pf == p and (pf, no) in day.placed] for p in PLATFORM_SHARE}
    ended = _epoch(last)
    stored, events, not_ok, routed = counts.values()
    return {
        "orders_stored": stored, "events": events, "decisions_not_ok": not_ok,
        "routed": routed, "outbox": by_kind, "stored_by_platform": by_platform,
        "wall_seconds": ended - started,
        "orders_per_s": stored / (ended - started),
        "event_lag_p50": percentile(lags, 50), "event_lag_p99": percentile(lags, 99),
        "order_lag_p50": percentile(order_lags, 50), "order_lag_p99": percentile(order_lags, 99),
        "order_lag_by_platform": {p: {"p50": percentile(v, 50), "p99": percentile(v, 99)}
                                  for p, v in per_platform.items()},
        "outbox_delay_p50": percentile(outbox, 50), "outbox_delay_p99": percentile(outbox, 99),
        "outbox_sent": len(outbox),
    }


def _epoch(at: datetime) -> float:
    """A timestamp read with plain SQL (naive UTC in the store) as epoch seconds."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def run(workers: int, args: argparse.Namespace) -> dict[str, Any]:
    from pgschema import scratch_schema

    from orderhub.simulator import Simulator

    sup = _load("service_support")
    fs = _load("fulfilment_support")
    with tempfile.TemporaryDirectory() as tmp, scratch_schema(args.pg) as url:
        if url is None:
            raise SystemExit("PostgreSQL is needed (--pg)")
        schema = url.rsplit("%3D", 1)[1]
        app = f"peak_{schema}"
        url = f"{url}&application_name={app}"
        env: dict[str, str] = {}
        with Simulator(seed=args.seed, orders=0, history_hours=1) as sim, \
                fs.WmsStandIn() as wms, sup.Peer() as sms:
            ws = _workspace(Path(tmp) / "ws", url, sim, env, wms.url, sms.url,
                            args.pull_seconds)
            _stock(ws, args.orders)
            engine = ws.store.engine
            cpu0 = _children_cpu()
            procs = [sup.spawn(ws.root, "worker", log=Path(tmp) / f"worker{i}.log", env=env)
                     for i in range(workers)]
            try:
                sup.wait_until(lambda: _nodes(engine) >= workers, 120, "the workers' start")
                sampler = Sampler(args.pg.replace("+psycopg", ""), schema, app,
                                  [p.pid for p in procs])
                sampler.mark()
                start_cpu = sum(cpu_seconds(Path(f"/proc/{p.pid}/stat").read_text())
                                for p in procs)
                busy0, self0, load0 = _machine_busy(), _self_cpu(), os.getloadavg()
                sampler.start()
                day = Day(sim, args.orders, args.day_seconds, seed=args.seed)
                day.start()
                day.join()
                day_end = datetime.fromtimestamp(day.ended, UTC)
                sup.wait_until(lambda: _done(engine, day_end, 4), args.timeout,
                               "every order decided and delivered", every=0.5)
                machine, self_cpu = _machine_busy() - busy0, _self_cpu() - self0
                load = os.getloadavg()
                sampler.close()
            finally:
                for p in procs:
                    p.send_signal(signal.SIGTERM)
                for p in procs:
                    p.wait(timeout=60)
            ours = _children_cpu() - cpu0 - start_cpu
            figures = _figures(engine, day, day.started)
            engine.dispose()
            logs = "".join((Path(tmp) / f"worker{i}.log").read_text(errors="replace")
                           for i in range(workers))
            invalid = len(wms.invalid)
            world = {p: sim.world.count(p) for p in sim.world.platforms}
            if os.environ.get("PEAK_KEEP_LOGS"):
                Path(os.environ["PEAK_KEEP_LOGS"]).write_text(logs, encoding="utf-8")
    per_k = 1000 / max(figures["orders_stored"], 1)
    busy = busy_rate(sampler.series)
    return {
        "workers": workers, "orders": args.orders, "day_seconds": args.day_seconds,
        **figures, "placed": day.counts,
        "busy_events_per_s": busy,
        "busy_orders_per_s": busy * figures["orders_stored"] / max(figures["events"], 1),
        "backend_samples": dict(sampler.waits),
        "backlog_peak": max((st - de for _, st, de in sampler.series), default=0),
        "day_wall_seconds": day.ended - day.started,
        "cpu_ours_per_k": ours * per_k, "cpu_pg_per_k": sampler.backends() * per_k,
        "cpu_machine_per_k": machine * per_k, "cpu_load_generator_per_k": self_cpu * per_k,
        "rss_peak_mb": max(sampler.rss_peak.values(), default=0) / 2**20,
        "load_start": load0, "load_end": load, "wms_invalid": invalid,
        "errors_logged": logs.count(" ERROR ") + logs.count("Traceback"),
        "world": world,
    }


def _nodes(engine: Any) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM service_state WHERE key LIKE 'node:%'")).scalar() or 0)


# -- output -----------------------------------------------------------------------------------

ROWS = (
    ("orders (stored)", "orders_stored", "{:,.0f}"),
    ("events", "events", "{:,.0f}"),
    ("wall, day start to last delivery", "wall_seconds", "{:.0f} s"),
    ("orders/s end to end", "orders_per_s", "{:.1f}"),
    ("orders/s while a backlog waited", "busy_orders_per_s", "{:.1f}"),
    ("largest backlog (events)", "backlog_peak", "{:,.0f}"),
    ("event lag p50 / p99", ("event_lag_p50", "event_lag_p99"), "{:.1f} / {:.1f} s"),
    ("order lag p50 / p99 (placed -> decided)", ("order_lag_p50", "order_lag_p99"),
     "{:.1f} / {:.1f} s"),
    ("outbox delay p50 / p99", ("outbox_delay_p50", "outbox_delay_p99"), "{:.2f} / {:.2f} s"),
    ("CPU / 1,000 orders: workers", "cpu_ours_per_k", "{:.2f} s"),
    ("CPU / 1,000 orders: PostgreSQL", "cpu_pg_per_k", "{:.2f} s"),
    ("CPU / 1,000 orders: load generator", "cpu_load_generator_per_k", "{:.2f} s"),
    ("CPU / 1,000 orders: whole machine", "cpu_machine_per_k", "{:.2f} s"),
    ("peak RSS of a worker", "rss_peak_mb", "{:.0f} MB"),
    ("decisions not ok", "decisions_not_ok", "{:,.0f}"),
    ("WMS pushes refused by the contract", "wms_invalid", "{:,.0f}"),
    ("errors in the workers' logs", "errors_logged", "{:,.0f}"),
)


def _lock_waits(r: dict[str, Any]) -> str:
    """Of the samples that found one of our backends running a query, how many found it
    waiting on an advisory (SKU) lock; reports saved before the sampling show "-"."""
    samples = r.get("backend_samples")
    if samples is None:
        return "-"
    return f"{samples.get('advisory', 0):,} of {samples.get('active', 0):,} samples"


def table(results: list[dict[str, Any]]) -> str:
    head = ["", *(f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}" for r in results)]
    lines = [head]
    for label, key, fmt in ROWS:
        cells = [fmt.format(*(r[k] for k in key)) if isinstance(key, tuple)
                 else fmt.format(r[key]) for r in results]
        lines.append([label, *cells])
    lines.append(["busy backends waiting on SKU locks", *(_lock_waits(r) for r in results)])
    lines.append(["load (1 min) at start / end",
                  *(f"{r['load_start'][0]:.1f} / {r['load_end'][0]:.1f}" for r in results)])
    width = [max(len(row[i]) for row in lines) for i in range(len(head))]
    out = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(row, width, strict=True)))
           for row in lines]
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


def report(doc: dict[str, Any]) -> str:
    """The readable form of a ``--format json`` document: the command, the table, and what the
    day placed and the service delivered in each run."""
    lines = [f"{doc['command']}  ({doc['date']}, {doc['cores']} cores)", table(doc["runs"])]
    for r in doc["runs"]:
        p = r["placed"]
        lines.append(
            f"{r['workers']} worker(s): placed {p['orders']:,} orders ({p['paid_later']:,} paid "
            f"later), {p['refunds']:,} refund requests ({p['refunds_done']:,} refunded), "
            f"{p['changes']:,} address/memo changes; routed {r['routed']:,}; outbox "
            + ", ".join(f"{o['kind']} {o['status']} {o['n']:,}" for o in r["outbox"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=20_000, help="new orders in the day")
    ap.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    ap.add_argument("--day-seconds", type=float, default=120,
                    help="wall seconds the simulated day lasts")
    ap.add_argument("--pull-seconds", type=float, default=2.0,
                    help="the leader pulls each shop this often (wall seconds)")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--timeout", type=float, default=3600,
                    help="give up when the backlog is not cleared this long after the day")
    ap.add_argument("--format", choices=("table", "json"), default="table")
    ap.add_argument("--table", metavar="JSON", type=Path,
                    help="run nothing: print the table of a saved --format json report")
    args = ap.parse_args(argv)
    if args.table:
        print(report(json.loads(args.table.read_text(encoding="utf-8"))))
        return
    results = []
    for n in (int(x) for x in args.workers.split(",")):
        if args.format == "table":
            print(f"{n} worker(s): {args.orders:,} orders over a {args.day_seconds:.0f} s day "
                  f"...", file=sys.stderr, flush=True)
        results.append(run(n, args))
    doc = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
           "command": " ".join(["python bench/peak.py", *(argv or sys.argv[1:])]),
           "cores": os.cpu_count(), "runs": results}
    if args.format == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=1, default=str))
    else:
        print(report(doc))

if __name__ == "__main__":
    main()
