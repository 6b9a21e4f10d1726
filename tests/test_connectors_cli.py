"""``orderhub pull`` against the simulator, shops in ``orderhub.yaml``, and config mistakes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from orderhub.cli import main
from orderhub.commands.pull import parse_since
from orderhub.connectors.transforms import zone
from orderhub.simulator import Simulator


@pytest.fixture(scope="module")
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=9, orders=40, history_hours=1) as s:
        yield s


def workspace(tmp_path: Path, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    env: dict[str, str] = {}
    shops = sim.shops(env)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    lines = ["timezone: Asia/Shanghai", "shops:"]
    for shop in shops:
        lines += [f"  - name: {shop.name}", f"    platform: {shop.platform}",
                  f'    shop_id: "{shop.shop_id}"', f"    app_key: {shop.app_key}",
                  f"    secret_env: {shop.secret_env}", f"    token_env: {shop.token_env}",
                  f"    base_url: {shop.base_url}", "    window: {initial_hours: 2}"]
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "orderhub.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ws


def test_pull_command_pulls_every_shop_then_nothing_new(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace(tmp_path, sim, monkeypatch)
    runner = CliRunner()
    first = runner.invoke(main, ["-w", str(ws), "pull", "--format", "json"])
    assert first.exit_code == 0, first.output
    rows = json.loads(first.stdout)
    assert [r["shop"] for r in rows] == ["sim-taobao", "sim-jd", "sim-pdd", "sim-douyin"]
    assert all(r["new"] > 0 and r["error"] is None for r in rows)
    again = runner.invoke(main, ["-w", str(ws), "pull", "--shop", "sim-jd", "--format", "json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout)[0]["new"] == 0
    table = runner.invoke(main, ["-w", str(ws), "pull", "--since", "2h"])
    assert table.exit_code == 0 and "sim-douyin" in table.stdout and "unchanged" in table.stdout


def test_pull_command_names_the_failing_shop_and_goes_on(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace(tmp_path, sim, monkeypatch)
    monkeypatch.setenv("SIM_PDD_SECRET", "WRONG-S3CRET-XYZ")
    result = CliRunner().invoke(main, ["-w", str(ws), "pull", "--format", "json"])
    assert result.exit_code == 1
    assert "shop 'sim-pdd'" in result.stderr and "authentication failed" in result.stderr
    assert "WRONG-S3CRET-XYZ" not in result.output
    rows = {r["shop"]: r for r in json.loads(result.stdout)}
    assert rows["sim-pdd"]["error"] and rows["sim-jd"]["new"] > 0


def test_pull_command_explains_unknown_shops_and_missing_config(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    runner = CliRunner()
    none = runner.invoke(main, ["-w", str(empty), "pull"])
    assert none.exit_code == 2 and "no shops configured" in none.stderr
    (empty / "orderhub.yaml").write_text(
        "shops:\n  - {name: a, platform: jd, shop_id: '1', app_key: k, secret_env: X}\n",
        encoding="utf-8")
    unknown = runner.invoke(main, ["-w", str(empty), "pull", "--shop", "b"])
    assert unknown.exit_code == 2 and "no shop named 'b'" in unknown.stderr
    assert "shops: a" in unknown.stderr


def test_a_window_longer_than_pdd_allows_is_a_config_error_with_its_position(
    tmp_path: Path
) -> None:
    (tmp_path / "orderhub.yaml").write_text(
        "shops:\n"
        "  - name: pdd-main\n"
        "    platform: pdd\n"
        "    shop_id: '102345678'\n"
        "    app_key: cid\n"
        "    secret_env: PDD_SECRET\n"
        "    window: {minutes: 45}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(tmp_path), "pull"])
    assert result.exit_code != 0
    assert "orderhub.yaml:2" in result.stderr
    assert "exceeds pdd's limit of 30 minutes" in result.stderr


def test_since_accepts_relative_and_absolute_times() -> None:
    now = datetime(2025, 11, 11, 10, 0, tzinfo=zone("Asia/Shanghai"))
    assert parse_since("90m", "Asia/Shanghai", now) == now - timedelta(minutes=90)
    assert parse_since("1d", "Asia/Shanghai", now) == now - timedelta(days=1)
    local = parse_since("2025-11-11 09:30", "Asia/Shanghai")
    assert local.utcoffset() == timedelta(hours=8) and local.hour == 9
    assert parse_since("2025-11-11T01:30:00+00:00", "Asia/Shanghai").hour == 1
    with pytest.raises(Exception, match="not a time"):
        parse_since("yesterday-ish", "Asia/Shanghai")
