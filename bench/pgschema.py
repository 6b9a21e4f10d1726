"""A throw-away PostgreSQL schema for a benchmark run, shared by the bench scripts (they run as
``python3 bench/NAME.py``, so this folder is on their import path)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def scratch_schema(pg: str) -> Iterator[str | None]:
    """The SQLAlchemy URL of a new schema on ``pg`` (dropped afterwards), or None when the
    server cannot be reached (the caller prints that PostgreSQL was skipped)."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plain = pg.replace("+psycopg", "")
    try:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.Error as exc:
        print(f"PostgreSQL: skipped ({exc})")
        yield None
        return
    try:
        yield f"{pg}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
