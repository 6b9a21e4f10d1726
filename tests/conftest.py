"""Shared fixtures: databases (SQLite and PostgreSQL), workspaces, the CLI runner.

PostgreSQL tests run against ORDERHUB_TEST_PG (default: the server at 127.0.0.1:5432, database
``test``), each in a fresh schema that is dropped afterwards.  Where no server answers they are
skipped with a loud reason, never silently.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

# What orderhub keeps between runs (checked mappings, surveys of ingested files) goes to a
# folder of this run's own, not the user's cache; subprocesses inherit it.
os.environ["ORDERHUB_CACHE"] = tempfile.mkdtemp(prefix="orderhub-test-cache-")
atexit.register(shutil.rmtree, os.environ["ORDERHUB_CACHE"], True)

PG_BASE = os.environ.get("ORDERHUB_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def _pg_available() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_BASE.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"PostgreSQL not reachable at {PG_BASE}: {exc}"


_PG_PROBLEM = _pg_available()


def pg_schema_url() -> Iterator[str]:
    """A URL whose search_path is a brand-new schema; the schema is dropped afterwards."""
    import psycopg

    if _PG_PROBLEM:
        pytest.skip(f"SKIPPING POSTGRESQL TEST: {_PG_PROBLEM}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = PG_BASE.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from pg_schema_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every store test runs twice: on a SQLite file and on a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'orderhub.db'}"
    else:
        yield from pg_schema_url()


@pytest.fixture
def store(db_url: str):  # type: ignore[no-untyped-def]
    from orderhub.store import OrderStore

    s = OrderStore.open(db_url)
    yield s
    s.engine.dispose()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def pytest_report_header(config: pytest.Config) -> str:
    return f"postgresql: {'SKIPPED - ' + _PG_PROBLEM if _PG_PROBLEM else PG_BASE}"
