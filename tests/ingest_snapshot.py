"""What an ingest stored, as plain data that does not depend on when or with which ids it ran:
the orders (every column but the id and the two times), their events (order named by platform
and number) and the rejects.  ``tests/test_ingest_equivalence.py`` compares the store after an
ingest of fixed sample files with ``tests/data/ingest_expected.json``, which the ingest before
the fast path (executemany of ready tuples, COPY on PostgreSQL, streamed files) wrote.

    PYTHONPATH=... python3 -m orderhub.tests.ingest_snapshot   # rewrites the expected file
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from orderhub.catalog import Catalog
from orderhub.connectors.ingest import ingest
from orderhub.store import OrderStore
from orderhub.store.schema import order_events, orders, rejects

REPO = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).parent / "data" / "ingest_expected.json"
_SKIP = {"id", "ingested_at", "updated_at"}

#: Records a store must refuse, each naming its reason (one JSON Lines file).
BAD_LINES = [
    '{"tid": 1, "status": "WAIT_SELLER_SEND_GOODS", "orders": {"order": []}}',
    "not json at all",
    '{"order_id": "X1", "order_status": 99}',
    "",
    '{"tid_str": "T\\u0000NUL", "tid": 2, "status": "TRADE_FINISHED", "orders": 3}',
]


def sample_files(folder: Path) -> list[list[Path]]:
    """The runs, in order: every example file (API envelopes, two CSV exports), the same again
    (unchanged), then the later versions plus a JSON Lines file of the taobao records (some
    repeated, some bad)."""
    folder.mkdir(parents=True, exist_ok=True)
    first = [shutil.copy(p, folder / p.name) for p in sorted((REPO / "examples/orders")
                                                              .glob("*.json"))]
    exports = [shutil.copy(p, folder / p.name) for p in sorted((REPO / "examples/exports")
                                                                .glob("*.csv"))]
    later = folder / "later"
    later.mkdir(exist_ok=True)
    updates = [shutil.copy(p, later / p.name) for p in sorted((REPO / "examples/orders/updates")
                                                               .glob("*.json"))]
    taobao = json.loads((REPO / "examples/orders/taobao.json").read_text(encoding="utf-8"))
    trades = taobao["trades_sold_increment_get_response"]["trades"]["trade"]
    lines = [json.dumps(t, ensure_ascii=False) for t in trades[:5]] + BAD_LINES
    jsonl = later / "taobao-lines.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [[Path(p) for p in first + exports], [Path(p) for p in first],
            [Path(p) for p in updates] + [jsonl]]


def run(store: OrderStore, folder: Path, **options: Any) -> dict[str, Any]:
    """Ingest the sample runs into ``store`` (``options`` to :func:`ingest`); the snapshot
    after each, with its counts."""
    catalog = Catalog.load(REPO / "examples" / "catalog.csv")
    out: dict[str, Any] = {"runs": []}
    for paths in sample_files(folder):
        summary = ingest(store, paths, catalog=catalog, keep_going=True, **options)
        out["runs"].append({"counts": summary.counts(), "events": summary.events,
                            "exit": summary.exit_code, "store": snapshot(store, folder)})
    return out


def snapshot(store: OrderStore, folder: Path) -> dict[str, Any]:
    with store.engine.connect() as conn:
        rows = [r._asdict() for r in conn.execute(select(orders).order_by(
            orders.c.platform, orders.c.platform_order_no))]
        names = {r["id"]: f"{r['platform']}:{r['platform_order_no']}" for r in rows}
        events = [[names.get(e.order_id, "?"), e.type, e.data] for e in conn.execute(
            select(order_events).order_by(order_events.c.id))]
        bad = [{k: v for k, v in r._asdict().items() if k not in ("id", "at")}
               for r in conn.execute(select(rejects).order_by(rejects.c.id))]
    for r in bad:
        r["reason"] = r["reason"].replace(f"{folder}/", "")
        if r["file"]:
            r["file"] = Path(r["file"]).relative_to(folder).as_posix()
        if r["raw"] is not None:
            r["raw"] = _digest(r["raw"])
    kept = {f"{r['platform']}:{r['platform_order_no']}": _digest(
        {k: _plain(v) for k, v in r.items() if k not in _SKIP}) for r in rows}
    return {"orders": kept, "events": [[n, t, _digest(d)] for n, t, d in events],
            "rejects": bad}


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _digest(value: Any) -> str:
    """A short hash of ``value`` (rows and documents are kilobytes; a mismatch is named by
    the order it is about)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        got = run(OrderStore.open(f"sqlite:///{tmp}/s.db"), Path(tmp) / "files")
    EXPECTED.write_text(json.dumps(got, ensure_ascii=False, indent=0, sort_keys=True) + "\n",
                        encoding="utf-8")
    print(f"wrote {EXPECTED}")
