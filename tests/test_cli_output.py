"""Output that does not mislead: cut-off lists say so, counts are of orders, --why-not lists
near misses, tables fit the terminal, unconfigured channels are said once, the demo's hint runs.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import struct
import subprocess
import sys
import termios
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from orderhub.cli import main

REPO = Path(__file__).resolve().parent.parent


def trade(n: int, *, phone: str = "13900000000", created: str = "2025-11-25 10:00:00",
          modified: str | None = None, status: str = "WAIT_SELLER_SEND_GOODS") -> dict:
    tid = str(4652335643237370000 + n)
    return {"tid": int(tid), "tid_str": tid, "status": status, "created": created,
            "pay_time": created, "modified": modified or created, "receiver_name": "龚若曦",
            "receiver_mobile": phone, "receiver_state": "上海市", "receiver_city": "上海市",
            "receiver_district": "浦东新区", "receiver_address": "张江路88号",
            "total_fee": "30.00", "discount_fee": "0.00", "post_fee": "0.00",
            "payment": "30.00",
            "orders": {"order": [{"oid": int(tid), "oid_str": tid, "outer_sku_id": "TOWEL",
                                  "title": "毛巾", "num": 1, "price": "30.00",
                                  "total_fee": "30.00", "payment": "30.00"}]}}


def write_trades(path: Path, trades: list[dict]) -> Path:
    doc = {"trades_sold_increment_get_response": {"total_results": len(trades),
                                                  "trades": {"trade": trades}}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    return root


def run(ws: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["-w", str(ws), *args])


def test_a_cut_off_order_list_says_how_many_match(ws: Path, tmp_path: Path) -> None:
    trades = [trade(i, phone=f"139{i:08d}") for i in range(62)]
    assert run(ws, "ingest", str(write_trades(tmp_path / "t.json", trades))).exit_code == 0
    listed = run(ws, "orders", "list")
    assert "showing 50 of 62 order(s); --limit 62 shows all" in listed.stdout
    everything = run(ws, "orders", "list", "--limit", "100")
    assert "62 order(s)" in everything.stdout and "showing" not in everything.stdout
    as_json = run(ws, "orders", "list", "--format", "json")
    assert len(as_json.stdout.splitlines()) == 50
    assert "showing 50 of 62" in as_json.stderr


def test_a_cut_off_outbox_list_says_how_many_match(ws: Path) -> None:
    from orderhub.config import Workspace
    from orderhub.service.schema import outbox

    store = Workspace.load(ws).store
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(outbox.insert(), [
            {"kind": "wecom", "idempotency_key": f"k{i}", "payload": {"content": "x"},
             "status": "sent", "attempts": 1, "next_attempt_at": now, "created_at": now}
            for i in range(7)])
    store.engine.dispose()
    listed = run(ws, "outbox", "list", "--limit", "5")
    assert "showing 5 of 7 message(s); --limit 7 shows all" in listed.stdout


def test_an_order_and_its_later_snapshot_count_once(ws: Path, tmp_path: Path) -> None:
    early = trade(1, created="2025-11-25 10:00:00")
    later = trade(1, created="2025-11-25 10:00:00", modified="2025-11-25 12:00:00",
                  status="WAIT_BUYER_CONFIRM_GOODS")
    path = write_trades(tmp_path / "snapshots.json", [early, later, trade(2)])
    dry = run(ws, "dry-run", "--orders", str(path), "--at", "2025-11-25 13:00", "--format",
              "json")
    assert dry.exit_code == 0, dry.output
    assert len(dry.stdout.splitlines()) == 2
    table = run(ws, "dry-run", "--orders", str(path), "--at", "2025-11-25 13:00")
    assert "\n2 orders, " in table.stdout, table.stdout
    sim = run(ws, "simulate", "--orders", str(path), "--format", "json")
    assert sim.exit_code == 0, sim.output
    report = json.loads(sim.stdout.splitlines()[-1])
    assert report["orders"] == 2


def test_why_not_lists_near_misses_only(ws: Path, tmp_path: Path) -> None:
    # purchase_limit: orders_today(receiver.phone) >= 2 (earlier orders that day).  One earlier
    # order: near; none: not.
    trades = [trade(1, phone="13911111111", created="2025-11-25 09:00:00"),
              trade(2, phone="13911111111", created="2025-11-25 10:00:00"),
              trade(3, phone="13922222222", created="2025-11-25 10:00:00")]
    path = write_trades(tmp_path / "t.json", trades)
    args = ["dry-run", "--orders", str(path), "--at", "2025-11-25 12:00",
            "--why-not", "purchase_limit"]
    near = run(ws, *args, "--format", "json")
    assert near.exit_code == 0, near.output
    assert sorted(json.loads(x)["platform_order_no"] for x in near.stdout.splitlines()) == [
        "4652335643237370002"]
    table = run(ws, *args)
    assert "1 near miss(es)" in table.stdout and "of the 3 order(s) it missed" in table.stdout
    every = run(ws, *args, "--all", "--format", "json")
    assert len(every.stdout.splitlines()) == 3


def test_tables_fit_an_80_column_terminal(ws: Path, tmp_path: Path) -> None:
    trades = [trade(i, phone=f"139{i:08d}") for i in range(3)]
    assert run(ws, "ingest", str(write_trades(tmp_path / "t.json", trades))).exit_code == 0
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen([sys.executable, "-m", "orderhub", "-w", str(ws), "orders", "list"],
                            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    import re

    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert "3 order(s)" in text and text.count("taobao:") == 3, text
    from rich.cells import cell_len

    assert max(cell_len(ln.rstrip()) for ln in lines) <= 80, text


def test_unconfigured_sms_is_said_once_and_does_not_keep_the_service_up(tmp_path: Path) -> None:
    ws = tmp_path / "shop"
    assert CliRunner().invoke(main, ["init", str(ws), "--no-samples"]).exit_code == 0
    from orderhub.config import Workspace
    from orderhub.service.schema import outbox

    store = Workspace.load(ws).store
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(outbox.insert(), [
            {"kind": "sms", "idempotency_key": f"sms-{i}",
             "payload": {"phone": "13900000000", "text": "您的订单已发货"}, "status": "pending",
             "attempts": 0, "next_attempt_at": now, "created_at": now} for i in range(3)])
    store.engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERHUB_")}
    done = subprocess.run([sys.executable, "-m", "orderhub", "-w", str(ws), "run",
                           "--exit-when-idle", "1", "--no-schedules"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("no SMS gateway configured") == 1, done.stderr
    listed = run(ws, "outbox", "list", "--format", "json")
    rows = [json.loads(x) for x in listed.stdout.splitlines()]
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 0)] * 3
    status = run(ws, "status")
    assert "3 sms message(s) waiting: no SMS gateway configured" in status.stdout


def test_the_demo_closing_hint_is_commands_that_run(ws: Path, tmp_path: Path) -> None:
    from orderhub.commands.demo import _closing_hint
    from orderhub.config import Workspace

    assert run(ws, "ingest", str(write_trades(tmp_path / "t.json", [trade(1)]))).exit_code == 0
    workspace = Workspace.load(ws)
    runner = CliRunner()
    with runner.isolation() as (_, _, err):
        _closing_hint(workspace, ws)
        hint = err.getvalue().decode()
    commands = [ln.strip() for ln in hint.splitlines() if ln.strip().startswith("orderhub ")]
    assert len(commands) == 3, hint
    for line in commands:
        assert "|" not in line
        argv = shlex.split(line)[1:]
        result = runner.invoke(main, argv)
        assert result.exit_code == 0, (line, result.output)
