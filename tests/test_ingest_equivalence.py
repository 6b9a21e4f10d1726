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


_ODD_FILES: dict[str, bytes] = {
    "big-ints.json": b'[{"tid": 12345678901234567890123, "n": -9223372036854775809}, {"a": 1.5}]',
    "int64-edge.json": (b'[{"tid": 9223372036854775807}, {"tid": 18446744073709551615}, '
                     b'{"t": 9300000000000000000, "u": -9223372036854775808}]'),
    "bom.json": b'\xef\xbb\xbf[{"a": "\xe4\xb8\xad"}]',
    "envelope-object.json": b'{"trade_fullinfo_get_response": {"trade": {"tid": 1}}}',
    "scalar.json": b"42",
    "broken.json": b'[{"a": 1}, {"a": ',
    "bad-utf8.json": b'[{"a": "\xff\xfe"}, {"b": 2}]',
    "nul.json": b'[{"a": "x\\u0000y"}, {"b": 2}]',
    "surrogate.json": b'[{"a": "\\ud800"}, {"b": "\\ud83d\\ude00"}]',
    "deep.json": b'[' + b'{"a": ' * 70 + b'1' + b'}' * 70 + b', {"b": 1}]',
    "lines.jsonl": (b'{"a": 1}\r\n\r\n{"a": "\xe2\x80\xa8"}\n{"a": 2}\r{"a": 3}\n'
                    b'\xe3\x80\x80\n not json\n{"a": "\xff"}\n[{"x": 1}, {"x": 2}]\n'
                    b'{"n": 123456789012345678901234}\n{"z": "\\u0000"}'),
    "bom.jsonl": b'\xef\xbb\xbf{"a": 1}\n{"a": 2}\n',
    "blank.jsonl": b"  \n\n",
}


@pytest.mark.parametrize("name", sorted(_ODD_FILES))
def test_streamed_reading_yields_the_same_records(name: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a file holds, reading it record by record gives what reading it whole gives
    (a JSON file broken part-way aside: its records before the break come first)."""
    from orderhub.connectors import files
    from orderhub.connectors.mapping import mappings

    path = tmp_path / name
    path.write_bytes(_ODD_FILES[name])

    def read() -> list[tuple[Any, ...]]:
        return [(type(i).__name__, getattr(i, "record", None), getattr(i, "number", None),
                 getattr(i, "reason", None), getattr(i, "field", None))
                for i in files.read_records(path, mappings())]

    whole = read()
    monkeypatch.setattr(files, "STREAM_BYTES", 0)
    streamed = read()
    if name == "broken.json":
        assert streamed[0][0] == "SourceRecord" and streamed[-1][0] == "UnreadableFile"
        assert whole[0][0] == "UnreadableFile"
    else:
        assert streamed == whole
