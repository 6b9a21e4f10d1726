"""The fast ingest path (ready tuples, COPY on PostgreSQL, files streamed) stores exactly what
the ingest before it stored: the same orders, events and rejects, on both databases, whether
a file is read whole or streamed record by record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orderhub.store import OrderStore
from orderhub.tests.ingest_snapshot import EXPECTED, run


def _compare(got: dict[str, Any], want: dict[str, Any]) -> None:
    for i, (g, w) in enumerate(zip(got["runs"], want["runs"], strict=True), 1):
        assert (g["counts"], g["events"], g["exit"]) == (w["counts"], w["events"], w["exit"]), \
            f"run {i}"
        differ = sorted(k for k in set(g["store"]["orders"]) | set(w["store"]["orders"])
                        if g["store"]["orders"].get(k) != w["store"]["orders"].get(k))
        assert not differ, f"run {i}: stored orders differ: {differ[:10]}"
        assert g["store"]["events"] == w["store"]["events"], f"run {i}: events differ"
        assert g["store"]["rejects"] == w["store"]["rejects"], f"run {i}: rejects differ"


def test_same_store_as_before(store: OrderStore, tmp_path: Path) -> None:
    want = json.loads(EXPECTED.read_text(encoding="utf-8"))
    _compare(run(store, tmp_path / "files"), want)


def test_streamed_files_store_the_same(store: OrderStore, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Files above the streaming threshold are read record by record: same result."""
    from orderhub.connectors import files

    monkeypatch.setattr(files, "STREAM_BYTES", 0)
    want = json.loads(EXPECTED.read_text(encoding="utf-8"))
    _compare(run(store, tmp_path / "files"), want)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_ready_tuples_hold_what_the_column_types_store(dialect: str) -> None:
    """The fast path converts times and money itself: to exactly what the types would."""
    from datetime import UTC, datetime, timedelta, timezone
    from decimal import Decimal

    from sqlalchemy.dialects import postgresql, sqlite

    from orderhub.store.orders import ROW_COLUMNS, _storers
    from orderhub.store.schema import orders

    d = sqlite.dialect() if dialect == "sqlite" else postgresql.psycopg.dialect()  # type: ignore[attr-defined]
    values = {"created_at": [datetime(2025, 11, 11, 0, 0, tzinfo=timezone(timedelta(hours=8))),
                             datetime(1999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
                             datetime(2025, 6, 1, 12, 0, 0, 500000, tzinfo=UTC)],
              "payment": [Decimal("0.01"), Decimal("123456.78"), Decimal("-5"), Decimal("9.999")]}
    for name, samples in values.items():
        ours = dict(_storers(d))[ROW_COLUMNS.index(name)]
        theirs = orders.c[name].type.dialect_impl(d).bind_processor(d)
        for v in samples:
            assert ours(v) == theirs(v) and type(ours(v)) is type(theirs(v))


def test_new_order_ids_are_ulids_of_now() -> None:
    import time

    from ulid import ULID

    from orderhub.store.orders import new_ids

    ids = new_ids(500)
    assert len(set(ids)) == 500
    for i in ids:
        parsed = ULID.from_str(i)
        assert str(parsed) == i and abs(parsed.timestamp - time.time()) < 60
