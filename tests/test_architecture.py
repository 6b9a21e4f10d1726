"""The import contract (.importlinter, docs/architecture.md): dependencies run one way.

import-linter reads the package's imports (inside functions too) and checks them against the
layers.  The second test proves the check can fail: it adds one backwards import to a copy of the
package and expects the contract to break, naming the import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / ".importlinter"
SKIP = shutil.ignore_patterns(".git", "tests", "bench", "examples", "docs", "build", "__pycache__",
                              "*.egg-info", ".mypy_cache", ".ruff_cache", ".venv")


def _lint(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the ``orderhub`` package found in ``package_parent``."""
    pytest.importorskip("importlinter", reason="import-linter is in the test extra")
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    code = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run([sys.executable, "-c", code, "--no-cache", str(CONFIG)], env=env,
                          cwd=package_parent, capture_output=True, text=True, timeout=300)


def _package_copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO, tmp_path / "orderhub", ignore=SKIP)
    return tmp_path


def test_the_layers_hold(tmp_path: Path) -> None:
    run = _lint(_package_copy(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 kept, 0 broken" in run.stdout


def test_a_backwards_import_breaks_the_contract(tmp_path: Path) -> None:
    parent = _package_copy(tmp_path)
    low = parent / "orderhub" / "dsl" / "types.py"
    low.write_text(low.read_text(encoding="utf-8")
                   + "\nfrom ..config import Workspace  # noqa: E402,F401 - backwards\n",
                   encoding="utf-8")
    run = _lint(parent)
    assert run.returncode != 0
    assert "BROKEN" in run.stdout
    assert "orderhub.dsl.types -> orderhub.config" in run.stdout
