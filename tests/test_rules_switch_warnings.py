"""``rules enable/disable --until``: relative times, and a warning when the switch will not do
what it says (an --until already past, a window that has ended)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from orderhub.cli import main

REPO = Path(__file__).resolve().parent.parent


def workspace(tmp_path: Path, window: str) -> Path:
    (tmp_path / "rules").mkdir()
    shutil.copy(REPO / "rules" / "promo.rules", tmp_path / "rules" / "promo.rules")
    path = tmp_path / "rules" / "promo.rules"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("active from 2024-11-10 20:00 until 2024-11-12 00:00", window),
                    encoding="utf-8")
    return tmp_path


def run(ws: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["-w", str(ws), *args])


def test_an_until_already_past_warns_that_the_rule_stays_off(tmp_path: Path) -> None:
    ws = workspace(tmp_path, "active from 2020-01-01 00:00 until 2099-01-01 00:00")
    result = run(ws, "rules", "enable", "promo_big_cold_order", "--until", "2024-11-12 00:00")
    assert result.exit_code == 0, result.output
    assert "--until 2024-11-12 00:00 is already past" in result.output
    assert "stays off" in result.output
    off = run(ws, "rules", "disable", "promo_big_cold_order", "--until", "2024-11-12 00:00")
    assert "stays on" in off.output


def test_a_relative_until_is_from_now_and_quiet(tmp_path: Path) -> None:
    ws = workspace(tmp_path, "active from 2020-01-01 00:00 until 2099-01-01 00:00")
    result = run(ws, "rules", "enable", "promo_big_cold_order", "--until", "+3d")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    listed = run(ws, "rules", "list", "--format", "json")
    rows = {r["id"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert rows["promo_big_cold_order"]["enabled"] and rows["promo_big_cold_order"]["active"]
    text = (ws / "rules" / "promo.rules").read_text(encoding="utf-8")
    assert "enabled yes until 20" in text


def test_switching_on_a_rule_whose_window_ended_warns(tmp_path: Path) -> None:
    ws = workspace(tmp_path, "active from 2024-11-10 20:00 until 2024-11-12 00:00")
    result = run(ws, "rules", "enable", "promo_big_cold_order")
    assert result.exit_code == 0, result.output
    assert "window ended 2024-11-12 00:00" in result.output
