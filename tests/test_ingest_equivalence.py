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
