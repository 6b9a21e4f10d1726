"""Batched INSERTs straight to the database driver, for the tables written once per order
(order events, routing decisions).

SQLAlchemy's ``conn.execute(table.insert(), rows)`` processes every value of every row in
Python (type processors, parameter dicts): at tens of thousands of rows a second that costs
more than producing them.  :func:`insert_rows` compiles the INSERT once per dialect and hands
plain tuples to the driver's ``executemany``; callers pass values already in their stored form
(JSON as text) and one time for the whole batch, converted once by its column type.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_on_conflict(dialect: str, table: Table) -> Any:
    """``INSERT INTO table`` for ``dialect`` ("postgresql", else SQLite) that takes
    ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (both dialects share that API).
    The one place the dialect switch is written."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


_compiled: dict[tuple[str, str, tuple[str, ...], Any], tuple[str, list[int] | None]] = {}


def insert_rows(conn: Connection, table: Table, columns: Sequence[str],
                rows: Sequence[tuple[Any, ...]], *, at: datetime | None = None,
                statement: Any = None) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order) into ``table``; with ``at``, every row
    also gets that time in the ``at`` column.  ``statement``: the INSERT to run instead of
    ``table.insert()`` (e.g. one with ``on_conflict_do_update``), built once by the caller."""
    if not rows:
        return
    dialect = conn.dialect
    names = (*columns, "at") if at is not None else tuple(columns)
    sql, order = _statement(conn, table, names, statement)
    if at is not None:
        stored = table.c.at.type.dialect_impl(dialect).bind_processor(dialect)
        value = stored(at) if stored else at
        rows = [(*r, value) for r in rows]
    if order is None:  # named parameters (psycopg)
        params: list[Any] = [dict(zip(names, r, strict=True)) for r in rows]
    elif order != list(range(len(names))):
        params = [tuple(r[i] for i in order) for r in rows]
    else:
        params = list(rows)
    if dialect.name == "sqlite":
        _insert_sqlite(conn, sql, len(names), params)
    else:
        conn.exec_driver_sql(sql, params)


#: Rows per INSERT on SQLite (and at most SQLite's 32,766 parameters a statement).
_SQLITE_ROWS = 500


def _insert_sqlite(conn: Connection, sql: str, width: int, rows: list[Any]) -> None:
    """Many rows a statement (``VALUES (...), (...), ...``) rather than ``executemany``.

    The driver lets go of Python's GIL for every statement it steps, and takes it back after:
    one row a step means a hand-over per row, and a thread writing while another routes (see
    ``engine/flows/writer.py``) waits for the GIL at each of them, up to the interpreter's
    switch interval (5 ms).  Five hundred rows a step make that a few waits a batch."""
    head, _, tail = sql.partition(" VALUES ")
    close = tail.index(")") + 1  # the row's placeholders: "(?, ?, ...)"; then ON CONFLICT...
    one, rest = tail[:close], tail[close:]
    per = max(1, min(_SQLITE_ROWS, 32_766 // max(width, 1)))
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        flat = [v for row in chunk for v in row]
        conn.exec_driver_sql(f"{head} VALUES {', '.join([one] * len(chunk))}{rest}",
                             tuple(flat))


def _statement(conn: Connection, table: Table, names: tuple[str, ...], statement: Any = None
               ) -> tuple[str, list[int] | None]:
    """The INSERT's SQL for this dialect, and (positional parameters) where each name goes."""
    key = (conn.dialect.name, table.name, names, statement)
    found = _compiled.get(key)
    if found is None:
        stmt = table.insert() if statement is None else statement
        compiled = stmt.compile(dialect=conn.dialect, column_keys=list(names))
        order = [names.index(n) for n in compiled.positiontup] \
            if compiled.positional and compiled.positiontup else None
        found = _compiled[key] = (str(compiled), order)
    return found
