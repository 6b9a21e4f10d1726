"""CPU of turning one platform record into a stored row: ``Normalizer.normalize`` (mapping,
validation, catalog) plus ``store.prepare`` (document, hash, row in stored form, events).

Native list-API payloads of the four platforms are generated as ``bench/ingest.py`` writes them
(``orderhub.synth``, 5,000 orders a platform by default), read with ``Normalizer.open`` and
fingerprinted beforehand (as the ingest's lookup does), each run with mappings of its own (their
memos empty, as in an ingest's first file), then only normalize + prepare is timed:
CPU time (``time.process_time``), best of several runs, microseconds per order, per platform
and overall, with the collector paused as the ingest pauses it.

The digest (blake2b) covers every prepared row, document, hash and creation event on both
dialects, plus the rejects of a set of hostile variants of the same records (bad amounts,
times, order numbers, quantities, lines): equal digests before and after a change mean the
same stored result and the same rejects, byte for byte.

    python bench/mapping.py [--orders 5000] [--runs 7] [--platforms taobao,jd,pdd,douyin]
                            [--profile FILE]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import random
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

PLATFORMS = ("taobao", "jd", "pdd", "douyin")
HOSTILE = ("abc", "12.345", "", None, "-1", [1], {"a": 1}, "0001-01-01 00:00:00", "1e999",
           "２０２５", 3.5, True, "x" * 300, "2025-13-45 99:99:99", 10**30, "NaN", " ",
           "1,234.50元")


def write_files(folder: Path, n: int, platforms: list[str]) -> dict[str, Path]:
    """One list-API response file of ``n`` orders per platform."""
    from orderhub.synth import SHANGHAI, envelope, generate_orders, render

    start = datetime(2025, 11, 1, tzinfo=SHANGHAI)
    out = {}
    for p in platforms:
        orders = [render(o, p) for o in generate_orders(n, seed=f"bench-{p}-0", start=start,
                                                        platform=p)]
        path = out[p] = folder / f"{p}.json"
        path.write_bytes(json.dumps(envelope(p, orders), ensure_ascii=False).encode())
    return out


def hostile_file(folder: Path, platform: str, records: list[dict[str, Any]]) -> Path:
    """Copies of the first records, each with one field (or a line's field) made bad."""
    from orderhub.synth import envelope

    rnd = random.Random(f"hostile-{platform}")
    bad = []
    for k, record in enumerate(records[:400]):
        changed = copy.deepcopy(record)
        target = changed
        lines = [v for v in changed.values() if isinstance(v, list) and v and
                 isinstance(v[0], dict)]
        nested = [v for v in changed.values() if isinstance(v, dict)]
        if k % 3 == 1 and lines:
            target = rnd.choice(lines[0])
        elif k % 3 == 2 and nested:
            inner = rnd.choice(nested)
            inner_lines = [v for v in inner.values() if isinstance(v, list) and v and
                           isinstance(v[0], dict)]
            target = rnd.choice(inner_lines[0]) if inner_lines else inner
        key = rnd.choice(sorted(target))
        target[key] = rnd.choice(HOSTILE)
        bad.append(changed)
    path = folder / f"{platform}-hostile.json"
    path.write_bytes(json.dumps(envelope(platform, bad), ensure_ascii=False).encode())
    return path


def fresh(catalog: Any) -> Any:
    """A normalizer with mappings of its own: their memos of values already read start empty,
    as in an ingest that reads each record once (a run over records the memos already hold
    would measure lookups the ingest never gets)."""
    from orderhub.connectors.ingest import Normalizer
    from orderhub.connectors.mapping import Mapping, builtin_mappings

    own = {name: Mapping(m.spec, m.origin) for name, m in builtin_mappings().items()}
    return Normalizer(own, catalog=catalog)


def load(path: Path, norm: Any) -> list[tuple[Any, str | None]]:
    """The file's records and their fingerprints, as the ingest holds them before mapping."""
    from orderhub.connectors.files import SourceRecord

    items, _ = norm.open(path)
    return [(i, norm.fingerprint(i) if isinstance(i, SourceRecord) else None) for i in items]


def run_once(norm: Any, path: Path, items: list[tuple[Any, str | None]]) -> tuple[float, list[Any]]:
    """normalize + prepare of every record: CPU seconds and the results."""
    from orderhub.gcpause import paused_gc
    from orderhub.store import Reject, prepare

    out: list[Any] = []
    with paused_gc():
        cpu = time.process_time()
        for item, fp in items:
            mapped = norm.normalize(item, path, fingerprint=fp)
            out.append(mapped if isinstance(mapped, Reject) else prepare(mapped, "sqlite"))
        cpu = time.process_time() - cpu
    return cpu, out


def feed(h: Any, results: list[Any]) -> None:
    """Add every prepared order (both dialects) and reject to the digest ``h``."""
    from orderhub.store import Reject, prepare

    for r in results:
        if isinstance(r, Reject):
            h.update(repr(("reject", r.reason, r.source, r.record, r.platform_order_no,
                           r.field, r.raw)).encode())
            continue
        pg = prepare(r.mapped, "postgresql")
        for ready in (r, pg):
            h.update(repr((ready.platform, ready.platform_order_no, ready.modified_at,
                           ready.fingerprint, ready.doc, ready.digest, ready.row,
                           ready.created, ready.source)).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000, help="orders per platform")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--platforms", default=",".join(PLATFORMS))
    parser.add_argument("--profile", help="write a cProfile of one run of each platform here")
    args = parser.parse_args()
    from orderhub.catalog import Catalog
    from orderhub.connectors.files import SourceRecord
    from orderhub.synth import write_catalog_csv

    platforms = args.platforms.split(",")
    print(f"orderhub from {Path(__import__('orderhub').__file__).parent}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="orderhub-mapbench-") as name:
        tmp = Path(name)
        catalog = Catalog.load(write_catalog_csv(tmp / "catalog.csv"))
        files = write_files(tmp, args.orders, platforms)
        best = dict.fromkeys(files, float("inf"))
        h = hashlib.blake2b(digest_size=16)
        for run in range(args.runs):  # rounds over the platforms: a burst of load hits one
            for p, path in files.items():
                norm = fresh(catalog)
                cpu, results = run_once(norm, path, load(path, norm))
                best[p] = min(best[p], cpu)
                if run == args.runs - 1:
                    feed(h, results)
        for p, path in files.items():
            if args.profile:
                import cProfile

                prof = cProfile.Profile()
                norm = fresh(catalog)
                items = load(path, norm)
                prof.enable()
                run_once(norm, path, items)
                prof.disable()
                prof.dump_stats(f"{args.profile}.{p}")
        normal = h.hexdigest()
        hostile = hashlib.blake2b(digest_size=16)
        rejected = 0
        for p, path in files.items():
            norm = fresh(catalog)
            records = [i.record for i, _ in load(path, norm) if isinstance(i, SourceRecord)]
            path = hostile_file(tmp, p, records)
            _, results = run_once(norm, path, load(path, norm))
            rejected += sum(1 for r in results if not hasattr(r, "doc"))
            feed(hostile, results)
    n = args.orders
    print(f"normalize + prepare, CPU us per order (best of {args.runs}, {n:,} orders each):")
    for p in platforms:
        print(f"  {p:<8} {best[p] / n * 1e6:7.1f}")
    total = sum(best.values()) / (n * len(platforms)) * 1e6
    print(f"  {'overall':<8} {total:7.1f}")
    print(f"digest {normal}; hostile variants ({rejected} rejected of "
          f"{400 * len(platforms)}) {hostile.hexdigest()}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
