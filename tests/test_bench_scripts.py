"""Benchmark scripts in a clone that lacks what they plug into say so, not a traceback."""

from __future__ import annotations

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
