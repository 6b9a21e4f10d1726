"""Bills fetched from the platforms before the nightly reconciliation (Douyin and PDD through the
simulator over real HTTP), and the same lines imported again from a file adding nothing."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orderhub.cli import main
from orderhub.config import Workspace
from orderhub.connectors.pull import pull_all
from orderhub.finance.fetch import fetch_bills
from orderhub.finance.importer import import_settlements
from orderhub.finance.nightly import nightly_reconcile
from orderhub.simulator import Simulator

BEIJING_HOURS = timedelta(hours=8)


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=21, orders=160, history_hours=40) as s:
        yield s


def _workspace(tmp_path: Path, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    env: dict[str, str] = {}
    lines = ["timezone: Asia/Shanghai", "shops:"]
    for shop in sim.shops(env):
        if shop.platform not in ("douyin", "pdd"):
            continue
        lines += [f"  - name: {shop.name}", f"    platform: {shop.platform}",
                  f'    shop_id: "{shop.shop_id}"', f"    app_key: {shop.app_key}",
                  f"    secret_env: {shop.secret_env}", f"    token_env: {shop.token_env}",
                  f"    base_url: {shop.base_url}", "    window: {initial_hours: 48}"]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "orderhub.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Workspace.load(tmp_path)


def _busiest_day(sim: Simulator) -> date:
    """The Beijing day on which most Douyin and PDD orders completed."""
    days: dict[date, int] = {}
    for platform in ("douyin", "pdd"):
        for o in sim.world.orders[platform].values():
            if o.completed_ts is not None:
                day = (datetime.fromtimestamp(o.completed_ts, UTC) + BEIJING_HOURS).date()
                days[day] = days.get(day, 0) + 1
    assert days, "the simulated world completed no orders"
    return max(days, key=lambda d: days[d])


def test_bills_are_fetched_saved_and_imported_once(
        sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _workspace(tmp_path, sim, monkeypatch)
    day = _busiest_day(sim)
    files = fetch_bills(ws, day)
    assert sorted(p.name.split("-")[0] for p in files) == ["douyin", "pdd"]
    assert all(p.parent == tmp_path / "settlements" / "fetched" / day.isoformat() for p in files)
    first = import_settlements(ws.store, files)
    assert first.rejected == 0 and first.new > 0
    again = import_settlements(ws.store, fetch_bills(ws, day))
    assert again.new == 0 and again.duplicate == first.new
    api_calls = [e for e in sim.calls("douyin") if e["api"] == "order.getSettleBillDetailV3"]
    assert api_calls and all(e["error"] is None for e in api_calls)


def test_the_douyin_export_of_fetched_lines_adds_nothing(
        sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _workspace(tmp_path, sim, monkeypatch)
    day = _busiest_day(sim)
    fetched = [p for p in fetch_bills(ws, day) if p.name.startswith("douyin")]
    first = import_settlements(ws.store, fetched)
    rows = json.loads(fetched[0].read_text("utf-8"))["data"]["data"]
    assert rows, "no Douyin settlement that day"
    export = tmp_path / "结算账单.csv"
    _write_douyin_export(export, rows)
    from_file = import_settlements(ws.store, [export])
    assert from_file.rejected == 0
    assert from_file.new == 0 and from_file.duplicate == first.new


def test_nightly_job_fetches_then_reconciles(
        sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _workspace(tmp_path, sim, monkeypatch)
    assert all(s.error is None for s in pull_all(ws))
    day = _busiest_day(sim)
    result = nightly_reconcile(ws, day, pull=fetch_bills)
    assert result.imported is not None and result.imported.new > 0
    assert result.reconciliation.totals["net"] > 0
    assert result.reports.html.exists()


def test_settlements_fetch_command(sim: Simulator, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _workspace(tmp_path, sim, monkeypatch)
    day = _busiest_day(sim)
    out = CliRunner().invoke(main, ["-w", str(tmp_path), "settlements", "fetch",
                                    "--date", day.isoformat(), "--format", "json"])
    assert out.exit_code == 0, out.output
    counts = json.loads(out.stdout)
    assert counts["new"] > 0 and counts["rejected"] == 0


def _write_douyin_export(path: Path, rows: list[dict[str, Any]]) -> None:
    """The rows as the 结算账单 export shows them (yuan, the export mapping's headers)."""
    def yuan(v: Any) -> str:
        return f"{int(v or 0) / 100:.2f}"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["结算单号", "订单号", "子订单号", "结算时间", "动账摘要", "备注", "结算类型",
                    "订单实付应结", "运费", "结算前退款金额", "平台补贴", "达人补贴", "平台服务费",
                    "其他分成", "佣金", "招商服务费", "渠道分成", "结算金额"])
        for r in rows:
            w.writerow([r["request_no"], r["shop_order_id"], r["order_id"], r["settle_time"],
                        r["flow_type_desc"], r.get("remark") or "", "结算",
                        yuan(r["real_pay_amount"]), yuan(r["post_amount"]),
                        yuan(r["refund_before_settle"]), yuan(r["platform_coupon"]),
                        yuan(r["author_coupon"]), yuan(r["platform_service_fee"]),
                        yuan(r.get("other_sharing_amount")), yuan(r["commission"]),
                        yuan(r.get("colonel_service_fee")), yuan(r.get("channel_promotion_fee")),
                        yuan(r["settle_amount"])])
