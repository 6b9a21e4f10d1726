"""Batch statements whose SQL does not depend on the batch size.

The consumer writes and reads a few hundred rows per batch.  With one bound parameter per row
and column, every batch size is a new statement for SQLAlchemy to compile and for psycopg to
parse, and an ``executemany`` is one statement per row on the server.  On PostgreSQL these
helpers pass a whole batch as ONE parameter instead: an array for ``IN`` lists, a JSON array
of rows for inserts (``jsonb_to_recordset``).  SQLite keeps the plain forms (it is in-process,
and its ``executemany`` is already fast).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Table, any_, literal, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

_INSERTS: dict[tuple[str, tuple[str, ...]], Any] = {}


def one_of(column: Any, values: Iterable[Any], dialect: str) -> ColumnElement[bool]:
    """``column IN (values)``: one array parameter on PostgreSQL."""
    values = list(values)
    if dialect == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)  # type: ignore[no-any-return]


def insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert rows, skipping any that collide with a unique constraint; returns rows added."""
    if not rows:
        return 0
    if conn.dialect.name != "postgresql":
        from sqlalchemy.dialects.sqlite import insert

        result = conn.execute(insert(table).on_conflict_do_nothing(), rows)
        return max(result.rowcount or 0, 0)
    names = tuple(rows[0])
    stmt = _INSERTS.get((table.name, names))
    if stmt is None:
        stmt = _INSERTS[(table.name, names)] = _recordset_insert(conn, table, names)
    dates = [n for n in names if _is_datetime(table.c[n].type)]
    if dates:
        rows = [{**r, **{n: _naive_utc(r[n]) for n in dates}} for r in rows]
    payload = json.dumps(rows, ensure_ascii=False, default=str, separators=(",", ":"))
    return max(conn.execute(stmt, {"rows": payload}).rowcount or 0, 0)


def _recordset_insert(conn: Connection, table: Table, names: tuple[str, ...]) -> Any:
    quote = conn.dialect.identifier_preparer.quote
    cols = ", ".join(quote(n) for n in names)
    defs = ", ".join(f"{quote(n)} {table.c[n].type.compile(dialect=conn.dialect)}"
                     for n in names)
    return text(f"INSERT INTO {quote(table.name)} ({cols}) SELECT {cols} "
                f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x({defs}) "
                "ON CONFLICT DO NOTHING")


def _is_datetime(type_: Any) -> bool:
    return isinstance(getattr(type_, "impl", type_), DateTime) or isinstance(type_, DateTime)


def _naive_utc(value: datetime | None) -> str | None:
    """What :class:`~orderhub.store.schema.UTCDateTime` stores: naive UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat()
