"""Print how long ``orderhub migrate`` takes: check plus run over 10,000 and 100,000 legacy rows.

Run: python bench/migrate.py [ROWS ...]  (default 10000 100000; goal: 10,000 rows < 5 s for
check + run on SQLite).  Rows come from examples/legacy/make_legacy.py (GBK, mixed date forms,
full-width digits, status synonyms), imported with the walkthrough's mapping and status map.
``--pg URL`` also times a run against PostgreSQL.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import tempfile
import time
from pathlib import Path

from orderhub.migrate import check, load_migration_mapping, run
from orderhub.store import OrderStore

LEGACY = Path(__file__).resolve().parent.parent / "examples" / "legacy"


def _maker():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_legacy", LEGACY / "make_legacy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench(rows: int, url: str | None, tmp: Path) -> None:
    maker = _maker()
    path = tmp / f"legacy-{rows}.csv"
    maker.write_csv(path, maker.generate(rows, seed=rows))
    for name in ("mapping.yaml", "status-map.xlsx"):
        shutil.copy(LEGACY / name, tmp / name)
    mapping = load_migration_mapping(tmp / "mapping.yaml")
    store = OrderStore.open(url or f"sqlite:///{tmp / f'bench-{rows}.db'}")
    t0, c0 = time.perf_counter(), time.process_time()
    # check then run in one process: the run imports the rows the check converted
    report = check(path, mapping, store, keep=True)
    t1 = time.perf_counter()
    done = run(store, path, mapping, checked=report)
    t2, c2 = time.perf_counter(), time.process_time()
    report.converted = None  # let them go before the re-run
    again = run(store, path, mapping)
    t3 = time.perf_counter()
    backend = "postgresql" if url else "sqlite"
    # CPU seconds of this process too: on a shared machine wall time includes waiting for a core
    print(f"{rows:>7,} rows {backend:<10}  check {t1 - t0:6.2f} s  run {t2 - t1:6.2f} s  "
          f"check+run {t2 - t0:6.2f} s wall, {c2 - c0:6.2f} s CPU "
          f"({rows / (t2 - t0):,.0f} rows/s)  re-run {t3 - t2:6.2f} s  "
          f"[new {done.new}, repeated {len(report.duplicates)}, rejected {done.rejected}, "
          f"re-run new {again.new}]  load {os.getloadavg()[0]:.1f}")
    store.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--pg", metavar="URL", help="also run against this PostgreSQL URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="migrate-bench-", dir=Path.home()) as tmp:
        for rows in args.rows:
            bench(rows, None, Path(tmp))
            if args.pg:
                bench(rows, args.pg, Path(tmp))


if __name__ == "__main__":
    main()
