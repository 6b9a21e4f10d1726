"""A dry-run replays time: each order judged at its own time, in arrival order (issue 20 item 4).

Windows, "today", once-per-window keys and flow load follow each order's time; ``--at`` judges
every order at one clock; the output says which actions a dedup window would suppress.
"""

from __future__ import annotations

import json
from pathlib import Path

from test_rules_dryrun import json_lines, run, trade, write_trades

PHONE = "13700000007"


def workspace(tmp_path: Path, rules: str) -> Path:
    (tmp_path / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.rules").write_text(rules, encoding="utf-8")
    return tmp_path


def kinds(result) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Per order number: the kinds of the actions planned (not suppressed)."""
    return {no: [a["kind"] for f in row["fired"] for a in f["actions"]
                 if not a["suppressed_by"]] for no, row in json_lines(result).items()}


def test_three_orders_of_one_phone_across_two_days_hold_only_the_right_one(tmp_path):
    """'The second order of the day so far' (upto_now: up to the judging clock, this order
    included) holds the second order of day one only, though the file lists them backwards."""
    ws = workspace(tmp_path, 'rule second_today "当天第二单"\n'
                   "  when orders_today(receiver.phone, upto_now=true) == 2\n"
                   "  then hold waybill\nend\n")
    sample = write_trades(ws / "sample.json", [
        trade("5012345678900003", "2024-06-18 08:00:00"),
        trade("5012345678900002", "2024-06-17 21:00:00"),
        trade("5012345678900001", "2024-06-17 09:00:00")])
    result = run(ws, "dry-run", "--orders", str(sample), "--format", "json")
    assert result.exit_code == 0, result.output
    assert kinds(result) == {"5012345678900001": [], "5012345678900002": ["hold"],
                             "5012345678900003": []}
    # listed in arrival order
    assert list(json_lines(result)) == ["5012345678900001", "5012345678900002",
                                        "5012345678900003"]
    assert "each order at its own time" in result.stderr


def test_a_promo_window_judges_each_order_at_its_own_time(tmp_path):
    ws = workspace(tmp_path, 'rule double12 "双12两小时"\n'
                   "  active from 2024-12-12 00:00 until 2024-12-12 02:00\n"
                   "  when payment > 0\n  then flag double12\nend\n")
    sample = write_trades(ws / "sample.json", [
        trade("5012345678900001", "2024-12-11 23:50:00"),
        trade("5012345678900002", "2024-12-12 00:30:00"),
        trade("5012345678900003", "2024-12-12 01:59:59"),
        trade("5012345678900004", "2024-12-12 02:00:00")])
    result = run(ws, "dry-run", "--orders", str(sample), "--format", "json")
    assert kinds(result) == {"5012345678900001": [], "5012345678900002": ["flag"],
                             "5012345678900003": ["flag"], "5012345678900004": []}
    # --at: every order judged at that one clock (here inside the window)
    now = run(ws, "dry-run", "--orders", str(sample), "--at", "2024-12-12 00:30",
              "--format", "json")
    assert set(map(tuple, kinds(now).values())) == {("flag",)}
    # --why-not names the window of the order it missed at that order's time
    why = run(ws, "dry-run", "--orders", str(sample), "--why-not", "double12", "--all",
              "--format", "json")
    reasons = {x["platform_order_no"]: x["why_not"][0] for x in map(json.loads,
                                                                   why.stdout.splitlines())}
    assert reasons["5012345678900004"].startswith("rule not active at 2024-12-12 02:00")
    assert reasons["5012345678900001"].startswith("rule not active at 2024-12-11 23:50")


ONCE_A_DAY = ('rule big_buyer "大客户"\n'
              "  when payment > 0\n"
              '  then notify wecom "大客户 {{ order.receiver.phone }}" '
              "at most once per receiver.phone per 1d\nend\n")


def test_orders_on_two_days_get_two_once_a_day_keys_and_the_repeat_is_suppressed(tmp_path):
    ws = workspace(tmp_path, ONCE_A_DAY)
    sample = write_trades(ws / "sample.json", [
        trade("5012345678900001", "2024-06-17 10:00:00"),
        trade("5012345678900002", "2024-06-17 23:59:00"),
        trade("5012345678900003", "2024-06-18 00:01:00")])
    result = run(ws, "dry-run", "--orders", str(sample), "--format", "json")
    actions = {no: row["fired"][0]["actions"][0] for no, row in json_lines(result).items()}
    keys = {no: a["idempotency_key"] for no, a in actions.items()}
    assert keys["5012345678900001"] == keys["5012345678900002"] != keys["5012345678900003"]
    assert [a["suppressed_by"] for a in actions.values()] == [
        None, "taobao:5012345678900001", None]
    table = run(ws, "dry-run", "--orders", str(sample))
    assert "[suppressed:" in table.output  # the would-do cell of the second order
    assert "1 action(s) a dedup window would suppress" in table.output


FLOW = """\
name: gz_first
trigger: {event: paid}
start: stock
nodes:
  stock:
    type: inventory
    candidates: [GZ]
    next: load
  load:
    type: load_threshold
    threshold: 2
    hysteresis: 0
    next: assign
  assign:
    type: assign
"""


def test_flow_load_does_not_build_up_across_days(tmp_path):
    """Two orders a day into a warehouse with a threshold of 2: nothing is diverted when each
    day starts afresh; judged all at one clock (--at), the week piles up and diverts."""
    ws = workspace(tmp_path, ONCE_A_DAY)
    (ws / "flows").mkdir()
    (ws / "flows" / "gz.yaml").write_text(FLOW, encoding="utf-8")
    (ws / "stock.csv").write_text("warehouse,sku,on_hand\nGZ,SK-03,100\nWH,SK-03,100\n",
                                  encoding="utf-8")
    sample = write_trades(ws / "sample.json", [
        trade(f"50123456789000{d}{k}", f"2024-06-1{d} 1{k}:00:00")
        for d in range(1, 4) for k in range(2)])
    replayed = run(ws, "dry-run", "--orders", str(sample), "--format", "json")
    assert [r["route"]["warehouse"] for r in json_lines(replayed).values()] == ["GZ"] * 6
    one_clock = run(ws, "dry-run", "--orders", str(sample), "--at", "2024-06-13 18:00",
                    "--format", "json")
    routes = [r["route"] for r in json_lines(one_clock).values()]
    assert [r["warehouse"] for r in routes][:4] == ["GZ", "GZ", "WH", "WH"]
    assert routes[2]["diverted_from"] == "GZ"


def test_the_documented_double12_limit_holds_the_right_order_of_the_night(tmp_path):
    """docs/rules.md's Double 12 rule (00:00-02:00, two units of X per phone), replayed the
    next morning: only the order that brings the phone to 3 units inside the window."""
    import re

    doc = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text("utf-8")
    (rule,) = [b for b in re.findall(r"```rules\n(.*?)```", doc, re.S)
               if "double12_sku_limit" in b]
    ws = workspace(tmp_path, rule)

    def x_trade(no: str, created: str, units: int) -> dict:
        t = trade(no, created)
        t["orders"]["order"][0].update({"outer_sku_id": "X", "num": units})
        return t

    sample = write_trades(ws / "night.json", [
        x_trade("5012345678900001", "2024-12-12 00:10:00", 2),
        x_trade("5012345678900002", "2024-12-12 00:40:00", 1),
        x_trade("5012345678900003", "2024-12-12 02:30:00", 2)])
    result = run(ws, "dry-run", "--orders", str(sample), "--format", "json")
    assert result.exit_code == 0, result.output
    assert {no for no, k in kinds(result).items() if k} == {"5012345678900002"}
    # 02:30 has 3 units in two hours too, but the window is over: judged at 00:30, it holds
    now = run(ws, "dry-run", "--orders", str(sample), "--at", "2024-12-12 00:30",
              "--format", "json")
    assert {no for no, k in kinds(now).items() if k} == {"5012345678900002",
                                                          "5012345678900003"}
