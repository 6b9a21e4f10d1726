"""The cache folder (cachedir.py): where it is, whole writes, pruning what is not used."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from orderhub import cachedir


def test_the_folder_follows_the_environment(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERHUB_CACHE", str(tmp_path))
    assert cachedir.cache_dir("surveys") == tmp_path / "orderhub" / "surveys"
    monkeypatch.delenv("ORDERHUB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cachedir.cache_dir("mappings") == tmp_path / "xdg" / "orderhub" / "mappings"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cachedir.cache_dir("x") == tmp_path / "home" / ".cache" / "orderhub" / "x"
    monkeypatch.setenv("ORDERHUB_CACHE", "off")
    assert cachedir.cache_dir("x") is None


def test_an_entry_is_written_whole_and_read_back(tmp_path: Path) -> None:
    entry = tmp_path / "a" / "b" / "k.json"
    assert cachedir.read(entry) is None
    assert cachedir.keep(entry, "订单".encode())
    assert cachedir.read(entry) == "订单".encode()
    assert [p.name for p in entry.parent.iterdir()] == ["k.json"], "a temporary file was left"
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert not cachedir.keep(blocked / "k.json", b"x"), "an unwritable cache is skipped"


def test_entries_not_used_for_days_are_pruned(tmp_path: Path) -> None:
    old, used, fresh = (tmp_path / n for n in ("old", "used", "fresh"))
    for entry in (old, used, fresh):
        cachedir.keep(entry, b"x")
    month_ago = time.time() - 31 * 86400
    for entry in (old, used):
        os.utime(entry, (month_ago, month_ago))
    cachedir.touch(used)
    assert cachedir.prune(tmp_path, 30) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "used"]
    assert cachedir.prune(tmp_path / "missing", 30) == 0
