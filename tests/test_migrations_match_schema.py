"""The Alembic migrations create exactly the tables the code defines, column for column.

Each area declares its tables in Python (``Table(..., metadata)`` in its schema module) and
creates them in its own Alembic branch (store/migrations/versions).  A table added to the code
without a migration (or a column a migration forgot, or one it still adds after the code dropped
it) fails here by name, on SQLite and on PostgreSQL, before a user's `orderhub db upgrade` does.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Table, inspect

from orderhub.store import OrderStore
from orderhub.store.schema import metadata

ROOT = Path(__file__).resolve().parent.parent
NOT_PACKAGE_CODE = {"tests", "bench", "examples"}


def code_tables() -> dict[str, Table]:
    """Every table the package defines on the store's metadata, found by reading the source
    for ``name = Table(`` (so a module no test imports is not missed)."""
    found: dict[str, Table] = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in NOT_PACKAGE_CODE or "migrations" in rel.parts:
            continue
        if not re.search(r"^\w+ = Table\(", path.read_text(encoding="utf-8"), re.M):
            continue
        module = importlib.import_module("orderhub." + ".".join(rel.with_suffix("").parts))
        found.update({t.name: t for t in vars(module).values()
                      if isinstance(t, Table) and t.metadata is metadata})
    return found


def _describe_db(inspector: Any, table: str) -> dict[str, Any]:
    return {
        "columns": {c["name"]: c["nullable"] for c in inspector.get_columns(table)},
        "primary key": set(inspector.get_pk_constraint(table)["constrained_columns"]),
        "indexes": {tuple(i["column_names"]) for i in inspector.get_indexes(table)},
    }


def _describe_code(table: Table) -> dict[str, Any]:
    return {
        "columns": {c.name: c.nullable for c in table.columns},
        "primary key": {c.name for c in table.primary_key.columns},
        "indexes": {tuple(c.name for c in i.columns) for i in table.indexes},
    }


def test_the_migrations_create_exactly_the_tables_the_code_defines(db_url: str) -> None:
    code = code_tables()
    assert {"orders", "order_events", "outbox", "pull_cursors"} <= set(code)  # the scan works
    store = OrderStore.open(db_url)  # runs every migration branch on a fresh database
    try:
        inspector = inspect(store.engine)
        migrated = set(inspector.get_table_names()) - {"alembic_version"}
        assert sorted(set(code) - migrated) == [], "defined in code, created by no migration"
        assert sorted(migrated - set(code)) == [], "created by a migration, defined nowhere"
        for name, table in sorted(code.items()):
            want, got = _describe_code(table), _describe_db(inspector, name)
            assert got["columns"] == want["columns"], f"{name}: columns (name: nullable)"
            assert got["primary key"] == want["primary key"], f"{name}: primary key"
            assert want["indexes"] <= got["indexes"], f"{name}: indexes the code declares"
    finally:
        store.engine.dispose()
