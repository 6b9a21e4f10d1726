"""Kept surveys (connectors/surveys.py): a re-ingest of files whose very bytes were read before
hashes them instead of reading them, and stores exactly what reading them stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderhub.connectors import surveys
from orderhub.connectors.ingest import IngestSummary, Normalizer, ingest
from orderhub.store import OrderStore
from orderhub.tests.ingest_snapshot import snapshot
from orderhub.tests.test_ingest_parallel import _edit, _later, _records, _write_files


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ORDERHUB_CACHE", str(folder))
    return folder / "orderhub" / "surveys"


def _twins(tmp_path: Path, db_url: str, paths: list[Path]) -> tuple[OrderStore, OrderStore]:
    """Our store on ``db_url`` and one on SQLite, both after a first ingest of ``paths``."""
    ours = OrderStore.open(db_url)
    other = OrderStore.open(f"sqlite:///{tmp_path / 'other.db'}")
    for s in (ours, other):
        ingest(s, paths, workers=0)
    return ours, other


def _unkept(store: OrderStore, paths: list[Path], monkeypatch: pytest.MonkeyPatch
            ) -> IngestSummary:
    """An ingest that keeps and finds no survey, as before there were kept surveys."""
    with monkeypatch.context() as m:
        m.setenv("ORDERHUB_CACHE", "off")
        return ingest(store, paths, workers=0, keep_going=True)


def test_a_first_ingest_keeps_each_files_survey_and_a_re_ingest_only_hashes_them(
        tmp_path: Path, db_url: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _write_files(tmp_path / "files")
    ours, other = _twins(tmp_path, db_url, paths)
    assert len(list(cache.glob("*.json"))) == len(paths), "one survey kept per file"
    read: list[Path] = []
    opened = Normalizer.open

    def counted(self: Normalizer, path: Path) -> object:
        read.append(path)
        return opened(self, path)

    monkeypatch.setattr(Normalizer, "open", counted)
    files: list[tuple[str, int]] = []
    progress: list[int] = []
    got = ingest(ours, paths, workers=0, batch_size=10, progress=progress.append,
                 on_file=lambda p, n: files.append((p.name, n)))
    assert read == [], "a file with a kept survey was read"
    monkeypatch.setattr(Normalizer, "open", opened)
    want = _unkept(other, paths, monkeypatch)
    assert got.counts() == want.counts() == {"new": 0, "updated": 0, "unchanged": 200,
                                             "rejected": 0}
    assert got.kept == 8 and got.by_source == want.by_source
    assert files == [(p.name, 25) for p in paths]
    assert progress.count(25) == 8 and progress.count(10) == 8  # each file, batch by batch
    ours.engine.dispose()


def test_changed_bytes_or_a_changed_store_send_the_file_to_be_read(
        tmp_path: Path, db_url: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A later version in a file (other bytes: no kept survey), a bad record, an order stored
    since from another file (the kept survey no longer matches the store): each such file is
    read, and the store ends up as reading every file leaves it."""
    paths = _write_files(tmp_path / "files")
    ours, other = _twins(tmp_path, db_url, paths)
    _edit(paths[2], lambda rows: _later("pdd", rows[3]))
    _edit(paths[6], lambda rows: rows[5].update(remark="坏\u0000字"))
    later = tmp_path / "later" / "05-jd.json"
    later.parent.mkdir()
    later.write_bytes(paths[5].read_bytes())
    _edit(later, lambda rows: _later("jd", rows[0]))
    for s in (ours, other):
        assert ingest(s, [later], workers=0).counts()["updated"] == 1
    got = ingest(ours, paths, workers=0, keep_going=True)
    want = _unkept(other, paths, monkeypatch)
    # file 5's first order is older than the stored one: unchanged, as when it is read
    assert got.counts() == want.counts() == {"new": 0, "updated": 1, "unchanged": 198,
                                             "rejected": 1}
    assert [r.reason for r in got.rejects] == [r.reason for r in want.rejects]
    assert got.by_source == want.by_source
    assert snapshot(ours, tmp_path) == snapshot(other, tmp_path)
    assert got.kept == 5, "files 0, 1, 3, 4 and 7 only hashed"
    ours.engine.dispose()


def test_a_kept_survey_is_only_found_for_the_same_fingerprints(
        tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another batch (or shop, catalog, mapping) gives each record another fingerprint: the
    survey kept for the same bytes under the old one is not found."""
    paths = _write_files(tmp_path / "files", files=2)
    ours, other = _twins(tmp_path, f"sqlite:///{tmp_path / 'ours.db'}", paths)
    got = ingest(ours, paths, workers=0, batch="b-2")
    with monkeypatch.context() as m:
        m.setenv("ORDERHUB_CACHE", "off")
        want = ingest(other, paths, workers=0, batch="b-2")
    assert got.counts() == want.counts() and got.kept == 0
    assert got.counts()["unchanged"] < 50, "the new batch changed nothing"
    assert snapshot(ours, tmp_path) == snapshot(other, tmp_path)
    assert ingest(ours, paths, workers=0, batch="b-2").kept == 2


def test_a_damaged_kept_survey_is_ignored_and_written_again(
        tmp_path: Path, cache: Path) -> None:
    paths = _write_files(tmp_path / "files", files=2)
    store = OrderStore.open(f"sqlite:///{tmp_path / 's.db'}")
    ingest(store, paths, workers=0)
    kept = sorted(cache.glob("*.json"))
    good = kept[0].read_bytes()
    kept[0].write_bytes(good[: len(good) // 2])
    kept[1].write_bytes(good.replace(b'"records":25', b'"records":24'))
    got = ingest(store, paths, workers=0)
    assert got.counts() == {"new": 0, "updated": 0, "unchanged": 50, "rejected": 0}
    assert got.kept == 0
    assert ingest(store, paths, workers=0).kept == 2, "the damaged surveys were not replaced"


def test_a_file_rewritten_while_read_keeps_no_survey(tmp_path: Path, cache: Path) -> None:
    """The survey is kept under the hash of the bytes before the file was read: if the file
    changed meanwhile, what was read may be other bytes, and nothing is kept."""
    paths = _write_files(tmp_path / "files", files=1)
    norm = Normalizer()
    kept = surveys.Kept(norm, paths[0])
    _edit(paths[0], lambda rows: _later("taobao", rows[0]))
    assert kept.survey() is not None
    assert not cache.exists() or not list(cache.glob("*.json"))
    again = surveys.Kept(norm, paths[0])
    assert again.load() is None and again.survey() is not None and again.found
    assert surveys.Kept(norm, paths[0]).load() is not None


def test_nothing_is_kept_with_the_cache_off(tmp_path: Path, cache: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _write_files(tmp_path / "files", files=2)
    store = OrderStore.open(f"sqlite:///{tmp_path / 's.db'}")
    _unkept(store, paths, monkeypatch)
    assert not cache.exists()
    monkeypatch.setenv("ORDERHUB_CACHE", "off")
    assert ingest(store, paths, workers=0).kept == 0 and not cache.exists()


def test_a_survey_reads_back_as_written_and_refuses_anything_else() -> None:
    survey = surveys.Survey(3, {"taobao": (["1", "2"], ["a", "b"]), "jd": (["9"], ["c"])},
                            {"taobao-api": 2, "jd-api": 1})
    assert surveys.Survey.loads(survey.dumps()) == survey
    for bad in (b"", b"[]", b'{"records": 3}', survey.dumps().replace(b'"9"]', b'"9","8"]'),
                survey.dumps().replace(b'"records":3', b'"records":4')):
        assert surveys.Survey.loads(bad) is None, bad


def test_the_orders_of_a_kept_survey_are_those_of_the_file(tmp_path: Path,
                                                           cache: Path) -> None:
    paths = _write_files(tmp_path / "files", files=1, per_file=3)
    store = OrderStore.open(f"sqlite:///{tmp_path / 's.db'}")
    ingest(store, paths, workers=0)
    kept = surveys.Kept(Normalizer(), paths[0]).load()
    assert kept is not None
    assert kept.keys["taobao"][0] == [str(r["tid"]) for r in _records(paths[0])]
    assert store.fingerprints("taobao", kept.keys["taobao"][0]) == dict(
        zip(*kept.keys["taobao"], strict=True))
