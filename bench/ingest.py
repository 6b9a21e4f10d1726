"""Ingestion throughput: 100,000 native-shape orders from all four platforms into SQLite.

The orders are written as the platforms' list-API responses (one JSON file per platform and
5,000 orders), then `orderhub.connectors.ingest.ingest` runs on them exactly as `orderhub
ingest` does: JSON parsing, mapping, validation, catalog enrichment, dedup, the event log and
the rejects are all inside the timings.  Prints orders/s for a first ingest, an unchanged
re-ingest and a re-ingest with 10% modified, plus the floor: a raw SQLAlchemy Core executemany
of the same rows.

    python bench/ingest.py [--n 100000]
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from ulid import ULID

from orderhub.catalog import Catalog
from orderhub.connectors.ingest import IngestSummary, ingest
from orderhub.connectors.mapping import builtin_mappings
from orderhub.store import OrderStore
from orderhub.store.orders import _row, serialize
from orderhub.store.schema import orders as orders_table
from orderhub.synth import SHANGHAI, envelope, generate_orders, render, write_catalog_csv

PLATFORMS = ("taobao", "jd", "pdd", "douyin")
MODIFIED = {"taobao": "modified", "jd": "modified", "pdd": "updated_at", "douyin": "update_time"}
MEMO = {"taobao": "seller_memo", "jd": "venderRemark", "pdd": "remark", "douyin": "seller_words"}
PER_FILE = 5000


def payloads(n: int) -> dict[str, list[dict[str, Any]]]:
    start = datetime(2025, 11, 1, tzinfo=SHANGHAI)
    return {p: [render(o, p) for o in generate_orders(n // len(PLATFORMS), seed=f"bench-{p}",
                                                       start=start, platform=p)]
            for p in PLATFORMS}


def modify(platform: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A later version: modified an hour later, with a seller memo."""
    changed = copy.copy(payload)
    value = changed[MODIFIED[platform]]
    changed[MODIFIED[platform]] = value + 3600 if isinstance(value, int) else \
        value[:11] + "23:59:59"
    changed[MEMO[platform]] = "已备注：加急"
    return changed


def write(folder: Path, data: dict[str, list[dict[str, Any]]]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for platform, orders in data.items():
        for i in range(0, len(orders), PER_FILE):
            path = folder / f"{platform}-{i // PER_FILE:03d}.json"
            path.write_text(json.dumps(envelope(platform, orders[i:i + PER_FILE]),
                                       ensure_ascii=False), encoding="utf-8")
            files.append(path)
    return files


def timed(store: OrderStore, files: list[Path], catalog: Catalog) -> tuple[float, IngestSummary]:
    started = time.perf_counter()
    summary = ingest(store, files, catalog=catalog)
    return time.perf_counter() - started, summary


def floor(url: str, data: dict[str, list[dict[str, Any]]], catalog: Catalog) -> float:
    """Raw Core executemany of the same rows (mapping done beforehand, untimed)."""
    mappings = builtin_mappings()
    now = datetime.now(SHANGHAI)
    rows = []
    for platform, payload_list in data.items():
        for payload in payload_list:
            order = catalog.enrich(mappings[platform].apply(payload))
            doc, digest = serialize(order)
            rows.append(_row(order, str(ULID()), doc, digest, now, version=1))
    store = OrderStore.open(url)
    started = time.perf_counter()
    with store.engine.begin() as conn:
        for i in range(0, len(rows), 2000):
            conn.execute(insert(orders_table), rows[i: i + 2000])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="orderhub-bench-"))
    catalog = Catalog.load(write_catalog_csv(tmp / "catalog.csv"))
    t = time.perf_counter()
    data = payloads(args.n)
    first_files = write(tmp / "first", data)
    tenth = {p: [modify(p, o) if i % 10 == 0 else o for i, o in enumerate(orders)]
             for p, orders in data.items()}
    later_files = write(tmp / "later", tenth)
    n = sum(len(v) for v in data.values())
    print(f"generated and wrote {n:,} native payloads in {time.perf_counter() - t:.1f} s")
    store = OrderStore.open(f"sqlite:///{tmp / 'bench.db'}")
    runs = [("first ingest", *timed(store, first_files, catalog)),
            ("unchanged re-ingest", *timed(store, first_files, catalog)),
            ("10% modified", *timed(store, later_files, catalog))]
    raw = floor(f"sqlite:///{tmp / 'floor.db'}", data, catalog)
    print("\n| run | orders | seconds | orders/s | x floor | new/updated/unchanged/rejected |")
    print("|---|---:|---:|---:|---:|---|")
    for name, secs, s in runs:
        print(f"| {name} | {n:,} | {secs:.2f} | {n / secs:,.0f} | {secs / raw:.2f} | "
              f"{s.new} / {s.updated} / {s.unchanged} / {s.rejected} |")
    print(f"| floor: Core executemany of the same rows | {n:,} | {raw:.2f} | {n / raw:,.0f} "
          "| 1.00 | |")


if __name__ == "__main__":
    main()
