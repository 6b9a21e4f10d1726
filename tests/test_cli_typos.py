"""Typos never create databases: only ``init`` and ``db upgrade`` (and a workspace's own
configured database) make one; everything else says what is missing (exit 4), and a malformed
or unsupported URL is a usage error (exit 2), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from orderhub.cli import main


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder, with no workspace or database named by the environment."""
    monkeypatch.delenv("ORDERHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("ORDERHUB_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def test_a_bare_word_as_db_is_not_found_and_creates_nothing(bare: Path) -> None:
    result = run("--db", "nonsense", "orders", "list")
    assert result.exit_code == 4, result.output
    assert "no database at" in result.output and "nonsense" in result.output
    assert list(bare.iterdir()) == []


def test_a_scheme_without_its_colon_is_a_usage_error_with_the_fix(bare: Path) -> None:
    result = run("--db", "postgresql//nobody@127.0.0.1/x", "orders", "list")
    assert result.exit_code == 2, result.output
    assert "did you mean 'postgresql://nobody@127.0.0.1/x'" in result.output
    assert list(bare.iterdir()) == []


def test_an_unsupported_database_is_a_usage_error_not_a_traceback(bare: Path) -> None:
    result = run("--db", "mysql://root@127.0.0.1/shop", "orders", "list")
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "unsupported database 'mysql'" in result.output and "PostgreSQL" in result.output


def test_a_missing_workspace_folder_is_not_created(bare: Path) -> None:
    missing = bare / "no" / "such" / "dir"
    result = run("-w", str(missing), "orders", "list")
    assert result.exit_code == 4, result.output
    assert "no workspace folder" in result.output
    assert not (bare / "no").exists()


def test_outside_a_workspace_nothing_is_created(bare: Path) -> None:
    for args in (["orders", "list"], ["rejects"], ["db", "status"], ["db", "upgrade"],
                 ["outbox", "list"]):
        result = run(*args)
        assert result.exit_code == 4, (args, result.output)
        assert "not a workspace" in result.output and "orderhub init" in result.output
    assert list(bare.iterdir()) == []
    # commands that need no database still work outside a workspace
    assert run("rules", "check").exit_code == 0


def test_init_creates_the_database_and_db_upgrade_creates_an_explicit_one(bare: Path) -> None:
    made = run("init", "shop", "--no-samples")
    assert made.exit_code == 0, made.output
    assert (bare / "shop" / "orderhub.db").is_file()
    assert run("-w", "shop", "orders", "list").exit_code == 0
    url = f"sqlite:///{bare / 'other.db'}"
    assert run("--db", url, "orders", "list").exit_code == 4
    assert not (bare / "other.db").exists()
    assert run("--db", url, "db", "upgrade").exit_code == 0
    assert (bare / "other.db").is_file()
    assert run("--db", url, "orders", "list").exit_code == 0
