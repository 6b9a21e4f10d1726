"""The wheel holds every subpackage and its data: the editable install would hide a gap."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOT_PACKAGED = {"tests", "examples", "bench", "docs", "build", "dist", ".venv", ".git", ".dev"}


def source_packages() -> set[str]:
    found = {"orderhub"}
    for init in REPO.rglob("__init__.py"):
        rel = init.parent.relative_to(REPO)
        if rel.parts and (rel.parts[0] in NOT_PACKAGED or rel.parts[0].startswith(".")
                          or any(p.endswith(".egg-info") for p in rel.parts)):
            continue
        if rel.parts:
            found.add("orderhub." + ".".join(rel.parts))
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(out), str(REPO)], check=True)
    (found,) = out.glob("orderhub-*.whl")
    return found


def test_wheel_contains_every_package_and_data_file(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packaged = {n[: -len("/__init__.py")].replace("/", ".") for n in names
                if n.endswith("/__init__.py")}
    assert source_packages() <= packaged
    for data in ("orderhub/connectors/mappings/taobao.yaml", "orderhub/store/migrations/env.py",
                 "orderhub/geo/china.json", "orderhub/web/templates/base.html",
                 "orderhub/web/static/htmx.min.js", "orderhub/web/static/console.css",
                 "orderhub/web/static/echarts.min.js", "orderhub/web/static/echarts.LICENSE",
                 "orderhub/web/static/kpi.js", "orderhub/web/templates/kpi.html",
                 "orderhub/web/templates/board.html"):
        assert data in names
    assert not any(n.startswith(("tests/", "orderhub/tests/", "examples/")) for n in names)


def nested_venv(env: Path) -> Path:
    """A venv that sees the dependencies of the interpreter running the tests, wherever they
    are installed, and its own orderhub only.

    ``system_site_packages`` reaches the *base* interpreter's site-packages: right on a bare
    machine, but from inside a virtualenv it skips that virtualenv, where the dependencies are.
    So the running interpreter's own site directories are added by a ``.pth`` file (plain
    path lines: the editable install's import hooks there are not run)."""
    venv.create(env, system_site_packages=True, with_pip=False)
    python = env / "bin" / "python"
    if sys.prefix != sys.base_prefix:
        inner = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                                "get_paths()['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip()
        outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        Path(inner, "outer-venv.pth").write_text("\n".join(sorted(outer)) + "\n")
    return python


def clean_env() -> dict[str, str]:
    """The environment without PYTHONPATH, so the checkout cannot shadow the wheel."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_every_subpackage_imports_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    env = tmp_path / "venv"
    python = nested_venv(env)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", str(wheel)], check=True)
    code = ("import importlib, orderhub, sys\n"
            f"assert orderhub.__file__.startswith({str(env)!r}), orderhub.__file__\n"
            f"for name in {sorted(source_packages())!r}: importlib.import_module(name)\n"
            "from orderhub.connectors.mapping import builtin_mappings\n"
            "print(len(builtin_mappings()))\n")
    done = subprocess.run([str(python), "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, env=clean_env())
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 8
    cli = subprocess.run([str(python), "-m", "orderhub", "--help"], cwd=tmp_path,
                         capture_output=True, text=True, env=clean_env())
    assert cli.returncode == 0 and "ingest" in cli.stdout
