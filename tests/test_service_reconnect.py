"""A worker whose PostgreSQL connections are terminated reconnects with backoff, resumes, and
says so in `orderhub status`: real worker processes, real pg_terminate_backend."""

from __future__ import annotations

import importlib.util
import json
import signal
import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from conftest import PG_BASE  # noqa: E402

from orderhub.cli import main  # noqa: E402
from orderhub.config import Workspace  # noqa: E402
from orderhub.service.schema import decisions, event_claims  # noqa: E402


def terminate(app: str) -> int:
    """pg_terminate_backend on every session of ``app`` (only this test's worker's)."""
    with psycopg.connect(PG_BASE.replace("+psycopg", ""), autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = %s", (app,)).fetchall()
    return len(rows)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_whose_connections_are_terminated_reconnects_and_resumes(
        tmp_path: Path, pg_url: str) -> None:
    app = f"orderhub-reconnect-{uuid.uuid4().hex[:8]}"
    worker_url = f"{pg_url}&application_name={app}"
    ws = sup.write_workspace(tmp_path / "ws", worker_url, rules="tag = x\nslow = 0.002\n",
                             batch_size=50)
    store = Workspace.load(ws, db_url=pg_url).store  # the test's own sessions are not killed
    engine = store.engine
    store.upsert(sup.make_orders(300))  # 600 events
    log = tmp_path / "worker.log"
    worker = sup.spawn(ws, "worker", log=log)
    try:
        sup.wait_until(lambda: sup.count(engine, decisions) >= 100, 60, "the first batches")
        killed = 0
        for _ in range(3):  # mid-run, then again while it is reconnecting
            killed += terminate(app)
            sup.wait_until(lambda: worker.poll() is None, 1, "the worker alive")
        assert killed >= 1
        sup.wait_until(lambda: sup.count(engine, decisions) == 600, 120,
                       "all 600 decisions after the reconnect")
        assert worker.poll() is None, log.read_text(encoding="utf-8")

        def reconnects() -> int:
            out = CliRunner().invoke(main, ["-w", str(ws), "--db", pg_url, "status",
                                            "--format", "json"])
            assert out.exit_code == 0, out.output
            return int(json.loads(out.stdout)["counters"].get("db_reconnects", 0))

        sup.wait_until(lambda: reconnects() >= 1, 30, "the reconnect in status")
        shown = CliRunner().invoke(main, ["-w", str(ws), "--db", pg_url, "status"])
        assert "db_reconnects" in shown.stdout
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=30)
    text = log.read_text(encoding="utf-8")
    assert code == 0, text
    assert "Traceback" not in text, text
    assert "database connection lost" in text and "database connection back" in text
    assert sup.count(engine, event_claims, event_claims.c.status == "done") == 600
    assert sup.duplicates(engine, decisions.c.event_id) == 0
    engine.dispose()
