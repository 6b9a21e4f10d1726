"""Mapping on a worker process (connectors/parallel.py) stores exactly what one process stores:
the recorded store of tests/data/ingest_expected.json, on both databases, with batches small
enough that an order recurs in the batch after the one that holds it (the worker maps the next
batch before this one is written)."""

from __future__ import annotations

import json
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from orderhub.connectors import parallel, surveys
from orderhub.store import OrderStore
from orderhub.tests.ingest_snapshot import EXPECTED, run
from orderhub.tests.test_ingest_equivalence import _compare


@pytest.mark.parametrize("batch_size", [2, 7])
def test_worker_stores_the_same(store: OrderStore, tmp_path: Path, batch_size: int,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_RECORDS", 1)
    sent = []
    submit = parallel.Mapper.submit

    def counted(self: parallel.Mapper, path: Path, positions: list[tuple[int, str | None]]
                ) -> object:
        future = submit(self, path, positions)
        sent.append(len(positions) if future is not None else 0)
        return future

    monkeypatch.setattr(parallel.Mapper, "submit", counted)
    want = json.loads(EXPECTED.read_text(encoding="utf-8"))
    _compare(run(store, tmp_path / "files", workers=1, batch_size=batch_size), want)
    assert sum(sent) > 20, "the worker mapped next to nothing"


def test_small_inputs_stay_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.ENV, raising=False)
    small = tmp_path / "a.json"
    small.write_text("[]", encoding="utf-8")
    assert not parallel.wanted([small], None)
    assert parallel.wanted([small], 1)
    big = tmp_path / "b.json"
    big.write_bytes(b" " * parallel.MIN_BYTES)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (0.3, 0.3, 0.3))
    assert parallel.wanted([big], None)
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (1.5, 0.3, 0.3))
    assert not parallel.wanted([big], None), "no core to spare"
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (0.3, 0.3, 0.3))
    assert not parallel.wanted([big], 0)
    monkeypatch.setenv(parallel.ENV, "0")
    assert not parallel.wanted([big], None)
    monkeypatch.delenv(parallel.ENV)
    assert not parallel.wanted([big], None, server_here=True), "the server needs the core"
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 4)
    assert parallel.wanted([big], None, server_here=True)
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (2.5, 0.3, 0.3))
    assert not parallel.wanted([big], None, server_here=True)


@pytest.mark.parametrize(("url", "here"), [
    ("sqlite:///x.db", False),
    ("postgresql+psycopg://postgres@127.0.0.1:5432/test", True),
    ("postgresql+psycopg://postgres@localhost/test", True),
    ("postgresql+psycopg:///test?host=/var/run/postgresql", True),
    ("postgresql+psycopg://app@db.internal:5432/orders", False),
])
def test_a_database_server_on_this_machine_is_told_apart(url: str, here: bool) -> None:
    from sqlalchemy import create_engine

    from orderhub.connectors.ingest import server_here

    class Store:
        engine = create_engine(url)

    assert server_here(Store()) is here  # type: ignore[arg-type]


def test_a_dead_worker_leaves_the_mapping_to_the_ingest() -> None:
    mapper = parallel.Mapper.__new__(parallel.Mapper)
    mapper._pool, mapper._started, mapper.share = None, None, 0.7
    dead: Future[list[parallel.Mapped]] = Future()
    dead.set_exception(BrokenProcessPool("gone"))
    assert mapper.result(dead) is None
    assert mapper.submit(Path("x.json"), [(0, None)]) is None


def test_spawned_worker_stores_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the ingest has other threads the worker is a fresh interpreter (spawn)."""
    monkeypatch.setattr(parallel, "MIN_RECORDS", 1)
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 2)
    assert parallel._context().get_start_method() == "spawn"
    store = OrderStore.open(f"sqlite:///{tmp_path / 's.db'}")
    want = json.loads(EXPECTED.read_text(encoding="utf-8"))
    _compare(run(store, tmp_path / "files", workers=1, batch_size=5), want)


# -- an unchanged re-ingest: the worker reads and fingerprints files ahead (Lookahead) ----------

_PLATFORMS = ("taobao", "jd", "pdd", "douyin")
_MODIFIED = {"taobao": "modified", "jd": "modified", "pdd": "updated_at",
             "douyin": "update_time"}


def _write_files(folder: Path, files: int = 8, per_file: int = 25) -> list[Path]:
    """``files`` native API responses, the platforms in turn, ``per_file`` orders each."""
    from datetime import datetime, timedelta

    from orderhub.synth import SHANGHAI, envelope, generate_orders, render

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(files):
        platform = _PLATFORMS[k % len(_PLATFORMS)]
        orders = [render(o, platform) for o in generate_orders(
            per_file, seed=f"survey-{k}", platform=platform,
            start=datetime(2025, 11, 1, tzinfo=SHANGHAI) + timedelta(days=k))]
        path = folder / f"{k:02d}-{platform}.json"
        path.write_text(json.dumps(envelope(platform, orders), ensure_ascii=False),
                        encoding="utf-8")
        paths.append(path)
    return paths


def _records(path: Path) -> list[dict[str, object]]:
    """The order list inside a file written by :func:`_write_files` (and the document)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    found: object = doc
    while not isinstance(found, list):  # the one list in each envelope is the orders
        found = next(v for v in found.values() if isinstance(v, dict | list))  # type: ignore[attr-defined]
    return found


def _edit(path: Path, change: object) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    found: object = doc
    while not isinstance(found, list):
        found = next(v for v in found.values() if isinstance(v, dict | list))  # type: ignore[attr-defined]
    change(found)  # type: ignore[operator]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _later(platform: str, record: dict[str, object]) -> None:
    """A later version of an order: modified an hour later, with a seller memo."""
    key = _MODIFIED[platform]
    value = record[key]
    record[key] = value + 3600 if isinstance(value, int) else f"{str(value)[:11]}23:59:59"
    record["seller_memo" if platform == "taobao" else "remark"] = "已备注：加急"


@pytest.fixture
def unkept(monkeypatch: pytest.MonkeyPatch) -> None:
    """No kept surveys (connectors/surveys.py): every file is surveyed or read afresh."""
    monkeypatch.setenv("ORDERHUB_CACHE", "off")


def _surveys(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records of each file the worker surveyed and the store held exactly."""
    seen: list[int] = []
    surveyed = parallel.Mapper.surveyed

    def counted(self: parallel.Mapper, future: Future[parallel.Survey | None]
                ) -> parallel.Survey | None:
        got = surveyed(self, future)
        if got is not None:
            seen.append(got.records)
        return got

    monkeypatch.setattr(parallel.Mapper, "surveyed", counted)
    return seen


def test_unchanged_files_are_counted_from_the_workers_survey(
        store: OrderStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unkept: None) -> None:
    """Files the worker read ahead are counted unchanged exactly as one process counts them:
    the same figures per source, every file reported, progress to the end of each file."""
    from orderhub.connectors.ingest import ingest

    paths = _write_files(tmp_path / "files")
    first = ingest(store, paths, workers=0)
    assert first.counts() == {"new": 200, "updated": 0, "unchanged": 0, "rejected": 0}
    alone = ingest(store, paths, workers=0)
    seen = _surveys(monkeypatch)
    files: list[tuple[str, int]] = []
    progress: list[int] = []
    again = ingest(store, paths, workers=1, batch_size=10, progress=progress.append,
                   on_file=lambda p, n: files.append((p.name, n)))
    assert again.counts() == alone.counts() == {"new": 0, "updated": 0, "unchanged": 200,
                                                "rejected": 0}
    assert again.by_source == alone.by_source
    assert again.files == 8 and files == [(p.name, 25) for p in paths]
    assert again.surveyed >= 3 and len(seen) == again.surveyed, "the worker surveyed little"
    assert progress.count(25) == 8 and progress.count(10) == 8  # each file, batch by batch


def test_a_changed_file_after_a_survey_is_read_and_stored_as_by_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str, unkept: None) -> None:
    """A changed order, a bad record and a repeated order in files the worker surveys: each
    file is judged on the store as the files before it left it, and the store ends up what
    one process makes of the same files."""
    from orderhub.connectors.ingest import ingest
    from orderhub.tests.ingest_snapshot import snapshot

    paths = _write_files(tmp_path / "files")
    ours = OrderStore.open(db_url)
    alone = OrderStore.open(f"sqlite:///{tmp_path / 'alone.db'}")
    for s in (ours, alone):
        ingest(s, paths, workers=0)
    copied = _records(paths[0])[0]
    _edit(paths[3], lambda rows: _later("douyin", rows[3]))  # surveyed after file 1's turn
    _edit(paths[5], lambda rows: _later("jd", rows[0]))
    _edit(paths[6], lambda rows: rows[5].update(remark="坏\u0000字"))
    _edit(paths[4], lambda rows: rows.append(copied))  # taobao's first order, unchanged
    seen = _surveys(monkeypatch)
    got = ingest(ours, paths, workers=1, keep_going=True)
    want = ingest(alone, paths, workers=0, keep_going=True)
    assert got.counts() == want.counts() == {"new": 0, "updated": 2, "unchanged": 198,
                                             "rejected": 1}
    assert [r.reason for r in got.rejects] == [r.reason for r in want.rejects]
    assert snapshot(ours, tmp_path) == snapshot(alone, tmp_path)
    assert got.surveyed >= 1, "no unchanged file was counted from its survey"
    assert len(seen) > got.surveyed, "no changed file was surveyed"
    ours.engine.dispose()


def test_one_process_surveys_its_files_in_a_re_ingest_and_stores_as_reading_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str, unkept: None) -> None:
    """With no worker, a file after an all-unchanged one is surveyed in the ingest's own
    process (read and fingerprinted, one lookup): unchanged files are counted from it, and a
    changed order, a bad record or a repeated order sends the file to the batch path, so the
    store ends up as reading every file in batches leaves it."""
    from orderhub.connectors.ingest import ingest
    from orderhub.tests.ingest_snapshot import snapshot

    paths = _write_files(tmp_path / "files")
    ours = OrderStore.open(db_url)
    batches = OrderStore.open(f"sqlite:///{tmp_path / 'batches.db'}")
    for s in (ours, batches):
        ingest(s, paths, workers=0)
    _edit(paths[2], lambda rows: _later("pdd", rows[3]))
    _edit(paths[4], lambda rows: rows.append(_records(paths[0])[0]))  # unchanged, again
    _edit(paths[6], lambda rows: rows[5].update(remark="坏\u0000字"))
    surveyed: list[Path] = []
    read = surveys.read

    def counted(norm: object, path: Path) -> object:
        surveyed.append(path)
        return read(norm, path)  # type: ignore[arg-type]

    monkeypatch.setattr(surveys, "read", counted)
    got = ingest(ours, paths, workers=0, keep_going=True)
    monkeypatch.setattr(surveys, "read", lambda norm, path: None)
    want = ingest(batches, paths, workers=0, keep_going=True)
    assert got.counts() == want.counts() == {"new": 0, "updated": 1, "unchanged": 199,
                                             "rejected": 1}
    assert got.by_source == want.by_source
    assert [r.reason for r in got.rejects] == [r.reason for r in want.rejects]
    assert snapshot(ours, tmp_path) == snapshot(batches, tmp_path)
    # file 0 is read (nothing before it); 3 and 7 follow a changed file; 2 and 6 are read
    # after their surveys
    assert surveyed == [paths[i] for i in (1, 2, 4, 5, 6)]
    ours.engine.dispose()


def test_a_dead_worker_leaves_the_survey_to_the_ingest() -> None:
    mapper = parallel.Mapper.__new__(parallel.Mapper)
    mapper._pool, mapper._started = None, None
    dead: Future[parallel.Survey | None] = Future()
    dead.set_exception(BrokenProcessPool("gone"))
    assert mapper.surveyed(dead) is None
    assert mapper.survey(Path("x.json")) is None


def test_a_failed_write_stops_the_ingest_with_its_error(
        store: OrderStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches are stored on the ingest's writer thread: a batch that cannot be stored stops
    the ingest with the store's error, and what was stored before it stays stored."""
    from orderhub.connectors.ingest import ingest
    from orderhub.errors import StoreError

    paths = _write_files(tmp_path / "files", files=2)
    upsert = OrderStore.upsert
    calls: list[int] = []

    def third_fails(self: OrderStore, batch: object, **kw: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise StoreError("the database went away")
        return upsert(self, batch, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(OrderStore, "upsert", third_fails)
    with pytest.raises(StoreError, match="went away"):
        ingest(store, paths, workers=0, batch_size=10)
    monkeypatch.setattr(OrderStore, "upsert", upsert)
    assert len(store.fingerprints("taobao", [
        str(r["tid"]) for r in _records(paths[0])])) == 20  # the first two batches
    assert len(calls) == 3, "a batch after the failed one was written"


def test_a_record_whose_order_is_still_being_written_is_looked_up_again(
        store: OrderStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer thread stores batch 1 while batch 2 is looked up: an order both hold is
    judged on the store as batch 1 leaves it.  Here the same order comes back as it was, after
    a version with the same modified time: one process stores it back, and so must we."""
    import time

    from orderhub.connectors.ingest import ingest

    (path,) = _write_files(tmp_path / "first", files=1, per_file=1)
    record = _records(path)[0]
    ingest(store, [path], workers=0)
    number = str(record["tid"])
    before = store.fingerprints("taobao", [number])
    memo = dict(record, seller_memo="改过")  # same modified time: not older, so it applies
    again = tmp_path / "again.json"
    again.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")

    def versions(rows: list[object]) -> None:
        rows[:] = [memo, record]

    _edit(again, versions)
    upsert = OrderStore.upsert

    def slow(self: OrderStore, batch: object, **kw: object) -> object:
        time.sleep(0.3)  # batch 2 is read and looked up meanwhile
        return upsert(self, batch, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(OrderStore, "upsert", slow)
    got = ingest(store, [again], workers=0, batch_size=1)
    assert got.counts() == {"new": 0, "updated": 2, "unchanged": 0, "rejected": 0}
    assert store.fingerprints("taobao", [number]) == before


def test_the_worker_is_forked_before_the_writer_thread_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unkept: None) -> None:
    """Forking is cheap (nothing imported again) but only safe from a single-threaded
    process: the ingest's writer thread starts with the first batch it stores, after the
    worker is forked for the first batch it maps or file it surveys."""
    from orderhub.connectors.ingest import ingest

    monkeypatch.setattr(parallel, "MIN_RECORDS", 1)
    chosen: list[str] = []
    context = parallel._context

    def recorded() -> object:
        got = context()
        chosen.append(got.get_start_method())
        return got

    monkeypatch.setattr(parallel, "_context", recorded)
    paths = _write_files(tmp_path / "files", files=3)
    store = OrderStore.open(f"sqlite:///{tmp_path / 's.db'}")
    ingest(store, paths, workers=1, batch_size=10)  # maps on the worker
    ingest(store, paths, workers=1)  # surveys on the worker
    assert chosen == ["fork", "fork"]


def test_a_few_changed_records_do_not_stop_the_surveys(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unkept: None) -> None:
    """One changed order early in a re-ingest sends its own file to the ingest; the files
    after it are still surveyed (only a file most of which needs writing, a first ingest,
    turns the surveys off)."""
    from orderhub.connectors.ingest import ingest

    paths = _write_files(tmp_path / "files")
    store = OrderStore.open(f"sqlite:///{tmp_path / 's.db'}")
    ingest(store, paths, workers=0)
    _edit(paths[1], lambda rows: _later("jd", rows[3]))
    got = ingest(store, paths, workers=1)
    assert got.counts() == {"new": 0, "updated": 1, "unchanged": 199, "rejected": 0}
    assert got.surveyed >= 3, "the surveys stopped at the first changed record"
