"""Benchmark scripts in a clone that lacks what they plug into say so, not a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_peer_adapter_without_shared_says_what_is_missing(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    (clone / "bench").mkdir(parents=True)
    shutil.copy(REPO / "bench" / "peer_adapter.py", clone / "bench" / "peer_adapter.py")
    done = subprocess.run([sys.executable, str(clone / "bench" / "peer_adapter.py")],
                          capture_output=True, text=True, cwd=clone)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "rules_bench.py" in done.stderr and "../shared" in done.stderr


def test_the_rules_benchmark_reports_the_matcher_and_the_full_decision_path() -> None:
    """bench/rules.py, small: the shipped rules' matcher and full decision path, per order."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(REPO / "bench" / "rules.py"), "--orders", "50",
                           "--stored", "0", "--shipped", "300"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "shipped rules (4), 300 orders" in done.stdout
    for label in ("matcher (with the batch's history fetch)",
                  "evaluate_batch, actions + why (read)", "evaluate_batch, actions, explain=False"):
        assert label in done.stdout and "orders/s" in done.stdout


def test_scan_bench_smoke_run_ships_every_order() -> None:
    """bench/scan.py at its smallest (2 phones, one order each, SQLite): it runs end to end
    against a real ``orderhub web`` and prints its figures."""
    done = subprocess.run([sys.executable, str(REPO / "bench" / "scan.py"), "--phones", "2",
                           "--orders-per-phone", "1", "--pace", "0", "--sqlite", "--pg", ""],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "shipped 2 of 2 orders" in done.stdout, done.stdout
    assert "every scan server p50" in done.stdout and "load " in done.stdout


def test_routing_adapter_assigns_what_the_hand_written_router_does() -> None:
    """The peer routing benchmark checks every engine's warehouse per order against its
    hand-written router (and exits non-zero on any difference)."""
    import pytest

    bench = REPO.parent / "shared" / "bench" / "peers" / "routing_bench.py"
    if not bench.exists():
        pytest.skip(f"no {bench} beside this checkout")
    done = subprocess.run([sys.executable, str(bench), "--n", "3000", "--reps", "1",
                           "--only", "orderhub", "--engine",
                           f"{REPO / 'bench' / 'routing_adapter.py'}:OrderhubRouter"],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "| orderhub (flow YAML, compiled) |" in done.stdout
    row = next(line for line in done.stdout.splitlines() if line.startswith("| orderhub"))
    assert "| yes |" in row
