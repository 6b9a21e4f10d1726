"""The store's SQL plumbing: the one dialect-switched ``INSERT ... ON CONFLICT``, and batch
statements fast enough for the tables written once per order.

* :func:`insert_on_conflict` is the only place the PostgreSQL/SQLite switch for an upsert or an
  insert-if-absent is written; every module that needs one builds on it.
* :func:`insert_rows`: SQLAlchemy's ``conn.execute(table.insert(), rows)`` processes every value
  of every row in Python (type processors, parameter dicts): at tens of thousands of rows a
  second that costs more than producing them.  It compiles the INSERT once per dialect and hands
  plain tuples to the driver's ``executemany``; callers pass values already in their stored form
  (JSON as text) and one time for the whole batch, converted once by its column type.
* :func:`insert_ignore` and :func:`one_of`: the consumer writes and reads a few hundred rows per
  batch.  With one bound parameter per row and column, every batch size is a new statement for
  SQLAlchemy to compile and for psycopg to parse, and an ``executemany`` is one statement per
  row on the server.  On PostgreSQL these pass a whole batch as ONE parameter instead: an array
  for ``IN`` lists, a JSON array of rows for inserts (``jsonb_to_recordset``).  SQLite keeps the
  plain forms (it is in-process, and its ``executemany`` is already fast).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Table, any_, literal, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement


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
    ``engine/routing/writer.py``) waits for the GIL at each of them, up to the interpreter's
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
        result = conn.execute(insert_on_conflict("sqlite", table).on_conflict_do_nothing(), rows)
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


def copy_rows(conn: Connection, table: Table | str, columns: Sequence[str],
              rows: Iterable[tuple[Any, ...]], *, quoted: bool = False) -> None:
    """PostgreSQL only: ``COPY table (columns) FROM STDIN`` of ready tuples (stored forms:
    naive UTC times, JSON as text), the driver's fastest way in, in this transaction."""
    prep = conn.dialect.identifier_preparer
    name = prep.format_table(table) if isinstance(table, Table) else \
        table if quoted else prep.quote(table)
    cols = ", ".join(prep.quote(c) for c in columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def copy_insert_ignore(conn: Connection, table: Table, columns: Sequence[str],
                       rows: Sequence[tuple[Any, ...]], conflict: Sequence[str],
                       returning: str) -> list[Any]:
    """PostgreSQL only: insert ``rows`` but those whose ``conflict`` key is taken; the
    ``returning`` column of the rows inserted (rows another writer inserted first are not:
    the caller compares against those).

    The caller has just looked for these keys and not found them, so they are nearly always
    still free: the rows are COPYed straight into ``table``, in a savepoint.  If another
    writer took a key meanwhile (a unique violation), the savepoint is rolled back and the
    rows go the long way: COPYed into a temporary staging table shaped like ``table``, then
    one ``INSERT ... SELECT ... ON CONFLICT (conflict) DO NOTHING``, which sends every row
    through the server twice (40,000 orders, one process, twice each: this insert took 2.6 and
    3.4 s direct against 3.3 and 3.6 staged).  Either beats an executemany, and the conflict
    rule stays the database's."""
    if not rows:
        return []
    from psycopg.errors import UniqueViolation

    try:
        with conn.begin_nested():
            copy_rows(conn, table, columns, rows)
    except UniqueViolation:
        pass
    else:
        at = list(columns).index(returning)
        return [row[at] for row in rows]
    prep = conn.dialect.identifier_preparer
    stage = _stage(conn, table, columns, rows)
    cols = ", ".join(prep.quote(c) for c in columns)
    keys = ", ".join(prep.quote(c) for c in conflict)
    done = conn.exec_driver_sql(
        f"INSERT INTO {prep.format_table(table)} ({cols}) SELECT {cols} FROM {stage} "
        f"ON CONFLICT ({keys}) DO NOTHING RETURNING {prep.quote(returning)}")
    out = [r[0] for r in done]
    conn.exec_driver_sql(f"DELETE FROM {stage}")
    return out


def update_rows(conn: Connection, table: Table, columns: Sequence[str],
                rows: Sequence[tuple[Any, ...]], *, key: str, keep: Sequence[str] = ()) -> None:
    """UPDATE the rows of ``table`` whose ``key`` column matches, from ready tuples in
    ``columns`` order, setting every column but ``key`` and ``keep``: an executemany on
    SQLite; on PostgreSQL a COPY into the staging table and one ``UPDATE ... FROM`` it."""
    if not rows:
        return
    prep = conn.dialect.identifier_preparer
    sets = [c for c in columns if c != key and c not in keep]
    name = prep.format_table(table)
    if conn.dialect.name != "postgresql":
        where = [columns.index(c) for c in sets] + [columns.index(key)]
        conn.exec_driver_sql(
            f"UPDATE {name} SET {', '.join(f'{prep.quote(c)} = ?' for c in sets)} "
            f"WHERE {prep.quote(key)} = ?", [tuple(r[i] for i in where) for r in rows])
        return
    stage = _stage(conn, table, columns, rows)
    assign = ", ".join(f"{prep.quote(c)} = s.{prep.quote(c)}" for c in sets)
    conn.exec_driver_sql(f"UPDATE {name} AS t SET {assign} FROM {stage} AS s "
                         f"WHERE t.{prep.quote(key)} = s.{prep.quote(key)}")
    conn.exec_driver_sql(f"DELETE FROM {stage}")


def _stage(conn: Connection, table: Table, columns: Sequence[str],
           rows: Sequence[tuple[Any, ...]]) -> str:
    """A temporary table shaped like ``table`` (made once per connection, emptied at each
    commit) holding ``rows`` COPYed in; its quoted name.  The caller empties it after use,
    since one transaction may stage several batches."""
    prep = conn.dialect.identifier_preparer
    stage = prep.quote(f"orderhub_stage_{table.name}")
    made = conn.connection.info.setdefault("orderhub_stages", set())
    if stage not in made:
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} "
            f"(LIKE {prep.format_table(table)} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        made.add(stage)
    copy_rows(conn, stage, columns, rows, quoted=True)
    return stage
