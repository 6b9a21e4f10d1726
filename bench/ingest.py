"""Ingestion throughput: 100,000 native-shape orders from all four platforms into SQLite.

Prints orders/s for a first ingest, an unchanged re-ingest, and a re-ingest with 10% modified,
plus the floor: a raw SQLAlchemy Core executemany of the same rows.  Mapping, validation,
catalog enrichment, dedup and the event log are all inside the timings.

    python bench/ingest.py [--n 100000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from orderhub.catalog import Catalog
from orderhub.connectors.files import SourceRecord
from orderhub.connectors.ingest import Normalizer
from orderhub.connectors.mapping import builtin_mappings
from orderhub.store import OrderStore
from orderhub.store.orders import _row, serialize
from orderhub.store.schema import orders as orders_table
from orderhub.synth import SHANGHAI, generate_orders, render, write_catalog_csv

PLATFORMS = ("taobao", "jd", "pdd", "douyin")
MODIFIED_FIELD = {"taobao": "modified", "jd": "modified", "pdd": "updated_at",
                  "douyin": "update_time"}
MEMO_FIELD = {"taobao": "seller_memo", "jd": "venderRemark", "pdd": "remark",
              "douyin": "seller_words"}


def payloads(n: int) -> list[tuple[str, dict[str, Any]]]:
    out = []
    per = n // len(PLATFORMS)
    start = datetime(2025, 11, 1, tzinfo=SHANGHAI)
    for platform in PLATFORMS:
        for order in generate_orders(per, seed=f"bench-{platform}", start=start,
                                     platform=platform):
            out.append((platform, render(order, platform)))
    return out


def modify(platform: str, payload: dict[str, Any]) -> dict[str, Any]:
    changed = copy.copy(payload)
    field = MODIFIED_FIELD[platform]
    value = changed[field]
    changed[field] = value + 3600 if isinstance(value, int) else value.replace(" ", " ", 1)[:11] \
        + "23:59:59"
    changed[MEMO_FIELD[platform]] = "已备注：加急"
    return changed


def run(store: OrderStore, batch: list[tuple[str, dict[str, Any]]], size: int,
        norm: Normalizer) -> tuple[float, dict[str, int]]:
    mappings = builtin_mappings()
    totals = {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    started = time.perf_counter()
    for i in range(0, len(batch), size):
        chunk = []
        for platform, payload in batch[i: i + size]:
            out = norm.normalize(SourceRecord(payload, 0, mapping=mappings[platform]), Path("-"))
            if hasattr(out, "platform_order_no") and hasattr(out, "items"):
                chunk.append(out)
            else:
                totals["rejected"] += 1
        result = store.upsert(chunk)
        totals["new"] += result.new
        totals["updated"] += result.updated
        totals["unchanged"] += result.unchanged + result.stale
    return time.perf_counter() - started, totals


def floor(url: str, batch: list[tuple[str, dict[str, Any]]], norm: Normalizer) -> float:
    """Raw Core executemany of the same rows (mapping done beforehand, untimed)."""
    from ulid import ULID

    mappings = builtin_mappings()
    now = datetime.now(SHANGHAI)
    rows = []
    for platform, payload in batch:
        order = norm.normalize(SourceRecord(payload, 0, mapping=mappings[platform]), Path("-"))
        doc, digest = serialize(order)  # type: ignore[arg-type]
        rows.append(_row(order, str(ULID()), doc, digest, now, version=1))  # type: ignore[arg-type]
    store = OrderStore.open(url)
    started = time.perf_counter()
    with store.engine.begin() as conn:
        for i in range(0, len(rows), 2000):
            conn.execute(insert(orders_table), rows[i: i + 2000])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="orderhub-bench-"))
    catalog = Catalog.load(write_catalog_csv(tmp / "catalog.csv"))
    norm = Normalizer(catalog=catalog)
    t = time.perf_counter()
    batch = payloads(args.n)
    print(f"generated {len(batch)} native payloads in {time.perf_counter() - t:.1f} s")
    store = OrderStore.open(f"sqlite:///{tmp / 'bench.db'}")
    n = len(batch)
    first, c1 = run(store, batch, args.batch, norm)
    again, c2 = run(store, batch, args.batch, norm)
    tenth = [(p, modify(p, o)) if i % 10 == 0 else (p, o) for i, (p, o) in enumerate(batch)]
    mixed, c3 = run(store, tenth, args.batch, norm)
    raw = floor(f"sqlite:///{tmp / 'floor.db'}", batch, norm)
    print("\n| run | orders | seconds | orders/s | x floor | counts |")
    print("|---|---:|---:|---:|---:|---|")
    for name, secs, counts in (("first ingest", first, c1), ("unchanged re-ingest", again, c2),
                               ("10% modified", mixed, c3)):
        print(f"| {name} | {n:,} | {secs:.2f} | {n / secs:,.0f} | {secs / raw:.1f} | {counts} |")
    print(f"| floor: Core executemany of the same rows | {n:,} | {raw:.2f} | {n / raw:,.0f} "
          f"| 1.0 | |")


if __name__ == "__main__":
    main()
