"""Mutated native order payloads, and the check every ingestion of them must pass.

Shared by ``tests/test_ingest_fuzz.py`` (a few seconds in the suite) and
``bench/ingest_fuzz.py`` (as long as wanted, with counts).  Each input is a JSON file of three
records of one platform's native API shape: a good one, a mutated one, another good one.  The
mutations are what careless exports and hostile files hold: wrong types, huge and tiny numbers,
too many decimals, invisible and NUL characters, markup and formulas, absurd dates, deep
nesting, missing keys, broken bytes.  :func:`check` ingests the file into each store given and
asserts the contract of issue 12:

* no exception leaves ``ingest`` (a traceback is a failure);
* the mutated record either lands exactly as its mapping says, or is one reject naming file,
  record 2 and a reason;
* the two good records always land, exactly as their mapping says;
* every store (SQLite, PostgreSQL) ends with the same orders and the same rejects.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from native_orders import NATIVE

from orderhub.connectors.ingest import ingest
from orderhub.connectors.mapping import builtin_mappings
from orderhub.store import OrderStore

PLATFORMS = ("taobao", "jd", "pdd", "douyin")
_NUMBERS = itertools.count(1)


def _pool() -> dict[str, list[dict[str, Any]]]:
    """A few realistic payloads per platform: the hand-written ones and synthesized ones."""
    from orderhub.synth import SHANGHAI, generate_orders, render

    start = datetime(2025, 11, 11, tzinfo=SHANGHAI)
    return {pf: [NATIVE[pf], *(render(o, pf) for o in generate_orders(6, 12, start, pf))]
            for pf in PLATFORMS}


POOL = _pool()


def renumber(platform: str, record: dict[str, Any], number: int) -> dict[str, Any]:
    """``record`` with an order number of its own (examples never collide in a store)."""
    record = copy.deepcopy(record)
    if platform == "taobao":
        record["tid"] = 4_000_000_000_000_000_000 + number
        record["tid_str"] = str(record["tid"])
    elif platform == "jd":
        record["orderId"] = str(300_000_000_000 + number)
    elif platform == "pdd":
        record["order_sn"] = f"251111-{number:015d}"
    else:
        record["order_id"] = str(6_900_000_000_000_000_000 + number)
    return record


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a record (keys and list indexes)."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            out += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            out += paths(inner, (*prefix, i))
    return out


def _deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


HOSTILE_TEXT = [
    "", " ", "null", "-", "12.345", "-5.00", "9.2e16", "1e400", "NaN", "Infinity", "8490.99",
    "0x1F", "１２３", "123\u200b", "\ufeff123", "\u00a0", "a\x00b", "[/]", "[bold red]x[/]",
    "=HYPERLINK(\"http://x\")", "+cmd", "@SUM(A1)", "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:30:00+08:00", "2025-02-30 10:00:00", "25:99", "\ud800", "王" * 300,
    "9" * 70, "n" * 140_000, "1" * 5000,
]
HOSTILE = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=20),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from([_deep(63), _deep(70), _deep(253), _deep(500), [[[]]], {"x": {"y": None}}]),
)


Mutation = tuple[tuple[Any, ...], str, Any]


@st.composite
def mutations(draw: st.DrawFn, platform: str) -> tuple[int, list[Mutation]]:
    """Which pooled payload of ``platform``, and one to three changes to it: a value
    replaced by a hostile one, or a key deleted."""
    index = draw(st.integers(min_value=0, max_value=len(POOL[platform]) - 1))
    where = paths(POOL[platform][index])
    changes = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(where))
        if draw(st.integers(0, 5)) == 0:
            changes.append((path, "delete", None))
        else:
            changes.append((path, "set", draw(HOSTILE)))
    return index, changes


def apply(record: dict[str, Any], changes: list[Mutation]) -> dict[str, Any]:
    record = copy.deepcopy(record)
    for path, action, value in changes:
        parent: Any = record
        try:
            for key in path[:-1]:
                parent = parent[key]
            if action == "delete" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, dict) or (isinstance(parent, list)
                                              and path[-1] < len(parent)):
                parent[path[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced this value's container
    return record


@dataclass
class Input:
    path: Path
    platform: str
    records: list[dict[str, Any]]
    number: str  # the mutated record's order number before its mutations


def write_input(folder: Path, platform: str, index: int, changes: list[Mutation],
                broken_bytes: bytes = b"") -> Input:
    """[good, mutated, good] as a JSON array, each with an order number of its own;
    ``broken_bytes`` (not UTF-8, say) are spliced into the mutated record's first string."""
    base = next(_NUMBERS) * 10
    mapping = builtin_mappings()[platform]
    plain = renumber(platform, POOL[platform][index], base + 2)
    records = [renumber(platform, NATIVE[platform], base + 1), apply(plain, changes),
               renumber(platform, NATIVE[platform], base + 3)]
    path = folder / f"{platform}-{base}.json"
    parts = [_dumps(r) for r in records]
    if broken_bytes:
        parts[1] = parts[1].replace(b'"', b'"' + broken_bytes, 1)
    path.write_bytes(b"[" + b",".join(parts) + b"]")
    return Input(path, platform, records, mapping.order_no(plain) or "")


def _dumps(record: Any) -> bytes:
    try:
        return json.dumps(record, ensure_ascii=False, allow_nan=True).encode(
            "utf-8", "surrogatepass")
    except (RecursionError, ValueError):
        return b'"unserializable"'


@dataclass
class Outcome:
    """What one store made of one input: counts, rejects and the stored orders, comparable."""

    counts: dict[str, int]
    rejects: list[tuple[int | None, str | None, str]]
    orders: dict[str, str | None]


def check(stores: list[OrderStore], given: Input) -> str:
    """Ingest ``given`` into every store and assert the contract (module docstring); returns
    "landed" or "rejected" for the mutated record."""
    mapping = builtin_mappings()[given.platform]
    good = [mapping.apply(r) for r in (given.records[0], given.records[2])]
    number = mapping.order_no(given.records[1])
    labels = [o.label for o in good] + ([f"{given.platform}:{number}"] if number else [])
    outcomes = [_ingest(store, given.path, labels) for store in stores]
    first = outcomes[0]
    for other in outcomes[1:]:
        assert other == first, f"databases disagree on {given.path.name}: {other} != {first}"
    for order in good:
        assert first.orders[order.label] == _doc(order), f"good order {order.label} lost"
    assert first.counts["rejected"] == len(first.rejects) <= 1, first.rejects
    if first.rejects:
        ((record, _field, reason),) = first.rejects
        assert record == 2 and reason, first.rejects
        assert first.counts["new"] == 2, first.counts
        return "rejected"
    assert number, "a record without an order number landed"
    if number == given.number:  # its own number: it must land exactly as mapped
        assert first.counts["new"] == 3, first.counts
        expected = _doc(mapping.apply(given.records[1]))
        assert first.orders[labels[-1]] == expected, \
            f"mutated order {labels[-1]} did not land as its mapping says: " \
            f"{_differences(expected, first.orders[labels[-1]])}"
    else:  # the mutation changed its number: it may meet an earlier example's order
        assert first.orders[labels[-1]] is not None
    return "landed"


def _ingest(store: OrderStore, path: Path, labels: list[str]) -> Outcome:
    from orderhub.errors import NotFound

    summary = ingest(store, [path], keep_going=True)
    rejects = [(r.record, r.field, r.reason) for r in summary.rejects]
    stored: dict[str, str | None] = {}
    for label in labels:
        try:
            stored[label] = _doc(store.get(label))
        except NotFound:
            stored[label] = None
    return Outcome(summary.counts(), rejects, stored)


def _differences(expected: str, stored: str | None) -> list[str]:
    """The fields where two order documents differ (for a readable failure)."""
    out: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key, "<missing>"), b.get(key, "<missing>"), f"{where}.{key}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{where}.{i}")
        elif a != b:
            out.append(f"{where}: expected {a!r:.80} stored {b!r:.80}")

    walk(json.loads(expected), json.loads(stored) if stored else None, "")
    return out[:5]


def _doc(order: Any) -> str:
    return order.model_dump_json(exclude={"id", "fingerprint"})
