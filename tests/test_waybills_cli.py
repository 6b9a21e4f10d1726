"""``orderhub waybills``: take, list, print, cancel from the command line."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from orderhub.cli import main
from orderhub.simulator import Simulator
from orderhub.store import OrderStore

_spec = importlib.util.spec_from_file_location(
    "waybills_support", Path(__file__).with_name("waybills_support.py"))
support = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(support)  # type: ignore[union-attr]


def _workspace(tmp_path: Path, sim: Simulator) -> list[str]:
    config = {"shops": [s.model_dump(exclude_none=True) for s in sim.shops()],
              "waybills": support.waybills_config().model_dump(exclude_none=True)}
    (tmp_path / "orderhub.yaml").write_text(json.dumps(config, ensure_ascii=False),
                                            encoding="utf-8")  # JSON is YAML
    store = OrderStore.open(f"sqlite:///{tmp_path / 'orderhub.db'}")
    orders = support.make_orders(2)
    orders[0].receiver.address = ""  # taobao:7000000 cannot get a number
    support.store_routed(store, orders)
    store.engine.dispose()
    return ["-w", str(tmp_path)]


def test_take_print_list_cancel(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    with Simulator(orders=1) as sim:
        ws = _workspace(tmp_path, sim)
        took = runner.invoke(main, [*ws, "waybills", "take", "--warehouse", "SH", "--wave",
                                    "W1", "--format", "json"])
        assert took.exit_code == 10, took.output  # one order failed
        result = json.loads(took.stdout)
        assert result["issued"] == 7 and result["wave"] == "W1"
        [failure] = result["failed"]
        assert failure["order"] == "taobao:7000000" and "收件人地址不能为空" in failure["reason"]
        assert "taobao:7000000" in took.stderr

        listed = runner.invoke(main, [*ws, "waybills", "list", "--status", "issued",
                                      "--format", "json"])
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert len(rows) == 7
        # JD and Douyin answer with the sort code; Cainiao and PDD hide it in the ciphertext
        assert all(r["sort_code"] for r in rows if r["platform"] in ("jd", "douyin"))
        assert all(r["encrypted"] for r in rows)

        pdf = tmp_path / "w1.pdf"
        printed = runner.invoke(main, [*ws, "waybills", "print", "W1", "--pdf", str(pdf)])
        assert printed.exit_code == 0, printed.output
        assert pdf.is_file() and (tmp_path / "w1-picklist.pdf").is_file()

        table = runner.invoke(main, [*ws, "waybills", "list", "--wave", "W1"])
        assert "W1" in table.stdout and "failed" in table.stdout

        code = rows[0]["waybill_code"]
        cancelled = runner.invoke(main, [*ws, "waybills", "cancel", rows[0]["order_label"],
                                         "--format", "json"])
        assert json.loads(cancelled.stdout) == {"cancelled": [code]}
        assert sim.waybills.cancels[code] == 1

        waves = runner.invoke(main, [*ws, "waybills", "waves", "--format", "json"])
        [wave] = json.loads(waves.stdout)
        assert wave["counts"] == {"issued": 6, "failed": 1, "cancelled": 1}

        usage = runner.invoke(main, [*ws, "waybills", "print", "W1"])
        assert usage.exit_code == 2 and "--pdf FILE" in usage.output
        missing = runner.invoke(main, [*ws, "waybills", "print", "NOPE", "--pdf", str(pdf)])
        assert missing.exit_code == 4 and "no wave 'NOPE'" in missing.output
        unknown = runner.invoke(main, [*ws, "waybills", "take", "--warehouse", "GZ"])
        assert unknown.exit_code == 1 and "warehouse 'GZ' has no waybills" in unknown.output
