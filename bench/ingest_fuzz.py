"""Ingest fuzzing at length: mutated native payloads of the four platforms into SQLite and
PostgreSQL, counting what happened to each input.

The suite runs the same check (tests/ingest_fuzzing.py) a dozen inputs per platform; this runs
as many as asked and never stops at the first problem: it prints the inputs tried, how many
mutated records landed exactly as mapped, how many became clean named rejects, and how many
ended in a traceback (an exception out of ``ingest``) or broke the contract (a good record lost,
the databases disagreeing), with the first few shown.  The goal for the last two is 0.

    python bench/ingest_fuzz.py [--examples 500] [--no-postgres] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from ingest_fuzzing import PLATFORMS, check, mutations, write_input  # noqa: E402

from orderhub.store import OrderStore  # noqa: E402

PG = os.environ.get("ORDERHUB_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_store() -> tuple[OrderStore, str]:
    import psycopg

    schema = f"fuzz_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return OrderStore.open(f"{PG}?options=-csearch_path%3D{schema}"), schema


def drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _one(attempt: Callable[..., None], platform: str) -> Callable[..., None]:
    def one(drawn: tuple[int, list]) -> None:  # type: ignore[type-arg]
        attempt(platform, drawn)

    return one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500, help="inputs per platform")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ingest-fuzz-"))
    stores = [OrderStore.open(f"sqlite:///{tmp / 'fuzz.db'}")]
    schema = None
    if not args.no_postgres:
        store, schema = pg_store()
        stores.append(store)
    counts: Counter[str] = Counter()
    shown: list[str] = []

    def attempt(platform: str, drawn: tuple[int, list], junk: bytes = b"") -> None:  # type: ignore[type-arg]
        counts["inputs"] += 1
        given_input = write_input(tmp, platform, *drawn, broken_bytes=junk)
        try:
            counts[check(stores, given_input)] += 1
        except AssertionError as exc:
            counts["contract broken"] += 1
            if len(shown) < 5:
                shown.append(f"{given_input.path}: {exc}")
        except Exception:  # noqa: BLE001 - counting them is the point
            counts["tracebacks"] += 1
            if len(shown) < 5:
                shown.append(f"{given_input.path}:\n{traceback.format_exc(limit=6)}")

    run = settings(max_examples=args.examples, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))
    started = time.perf_counter()
    try:
        for platform in PLATFORMS:
            seed(args.seed)(run(given(mutations(platform))(_one(attempt, platform))))()
        junk = st.lists(st.integers(0x80, 0xFF), min_size=1, max_size=6).map(bytes) \
            .filter(not_utf8)
        seed(args.seed)(run(given(st.sampled_from(PLATFORMS), junk)(
            lambda platform, data: attempt(platform, (0, []), data))))()
    finally:
        for store in stores:
            store.engine.dispose()
        if schema:
            drop(schema)
    took = time.perf_counter() - started
    load = os.getloadavg()[0]
    print(f"databases: {', '.join(s.engine.dialect.name for s in stores)}; "
          f"{took:.1f} s, load {load:.2f}")
    print(f"inputs tried:      {counts['inputs']:,}")
    print(f"landed as mapped:  {counts['landed']:,}")
    print(f"clean rejects:     {counts['rejected']:,}")
    print(f"contract broken:   {counts['contract broken']:,}")
    print(f"tracebacks:        {counts['tracebacks']:,}")
    for text in shown:
        print("\n" + text)


if __name__ == "__main__":
    main()
