"""Lists and lookup tables from lists/*.txt|csv, lets shared across rule files, and the
blacklist kept by risk control in a CSV that the running service picks up on its own."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from orderhub.config import Workspace, init_workspace
from orderhub.engine.examples import example_order
from orderhub.engine.ruleset import load_rules
from orderhub.errors import SourceErrors
from orderhub.model import Order
from orderhub.service import Service
from orderhub.service.schema import decisions

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

BLACKLIST_RULE = """\
rule blacklist "黑名单"
  when normalize_phone(receiver.phone) in list("blacklist")
  then hold waybill
  example "名单上" fires order { receiver: { phone: "+86 139-0000-0000" } }
    lists { blacklist: ["13900000000"] }
  example "不在名单" does not fire order { receiver: { phone: "13900000001" } }
    lists { blacklist: ["13900000000"] }
end
"""


def _workspace(root: Path, blacklist: str) -> Path:
    (root / "rules").mkdir(parents=True)
    (root / "lists").mkdir()
    (root / "rules" / "blacklist.rules").write_text(BLACKLIST_RULE, encoding="utf-8")
    (root / "lists" / "blacklist.csv").write_text(blacklist, encoding="utf-8")
    return root / "rules"


def _order(phone: str, no: str = "A1", items: list | None = None) -> Order:
    from zoneinfo import ZoneInfo

    return example_order({"receiver": {"phone": phone}, "items": items or []},
                         ZoneInfo("Asia/Shanghai"), no)


def test_membership_explains_the_entry_and_records_the_lists_version(tmp_path: Path) -> None:
    rules = _workspace(tmp_path, "phone,reason\n13800000001,刷单\n13800000002,欺诈\n")
    rs = load_rules(rules)
    hit = rs.evaluate(_order("13800000002"), now=_order("x").created_at)
    assert [f.rule for f in hit.fired] == ["blacklist"]
    why = hit.fired[0].why[0]
    assert "'13800000002'" in why and "blacklist.csv:3" in why
    assert "13800000001" not in why  # the matched entry, never the list
    assert hit.lists_version == rs.lists.version is not None
    miss = rs.evaluate(_order("13800000009"), now=_order("x").created_at)
    assert miss.fired == []
    # a changed list is a new rule set version; the same files the same version
    assert load_rules(rules).version == rs.version
    (tmp_path / "lists" / "blacklist.csv").write_text("phone\n13800000009\n", encoding="utf-8")
    again = load_rules(rules)
    assert again.version != rs.version
    assert [f.rule for f in again.evaluate(_order("13800000009"),
                                           now=_order("x").created_at).fired] == ["blacklist"]


def test_lookup_tables_give_typed_columns_and_gbk_files_read(tmp_path: Path) -> None:
    rules = _workspace(tmp_path, "phone\n")
    (tmp_path / "lists" / "sku_weights.csv").write_bytes(
        "sku,kg,品类\nSKU-1,12.5,家电\nSKU-2,1,日用\n".encode("gbk"))
    (tmp_path / "lists" / "偏远词.txt").write_text("# 偏远地区\n西藏\n新疆\n", encoding="utf-8")
    (rules / "heavy.rules").write_text("""\
rule heavy "重货"
  when (sum item in items: lookup("sku_weights", item.sku, "kg") * item.quantity) >= 20
       and any item in items: lookup("sku_weights", item.sku, "品类") == "家电"
  then flag heavy
end
rule remote "偏远"
  when receiver.province contains any list("偏远词")
  then flag remote
end
""", encoding="utf-8")
    rs = load_rules(rules)
    items = [{"sku": "SKU-1", "quantity": 2, "title": "冰箱"},
             {"sku": "NOT-LISTED", "quantity": 5, "title": "?"}]
    d = rs.evaluate(_order("1", items=items), now=_order("x").created_at)
    assert [f.rule for f in d.fired] == ["heavy"]
    one = rs.evaluate(_order("1", items=items[:1] + [{"sku": "SKU-2", "quantity": 1,
                                                         "title": "x"}]),
                      now=_order("x").created_at)
    assert [f.rule for f in one.fired] == ["heavy"]
    remote = _order("1")
    remote.receiver.province = "西藏自治区"
    fired = rs.evaluate(remote, now=remote.created_at).fired
    assert [f.rule for f in fired] == ["remote"] and "偏远词.txt:2" in fired[0].why[0]


def test_a_missing_list_or_column_is_an_error_where_it_is_written(tmp_path: Path) -> None:
    rules = _workspace(tmp_path, "phone,reason\n1,x\n")
    (rules / "bad.rules").write_text(
        'rule bad\n  when receiver.phone in list("blacklst")\n'
        '    or lookup("blacklist", receiver.phone, "reasn") == "x"\n  then flag x\nend\n',
        encoding="utf-8")
    with pytest.raises(SourceErrors) as exc:
        load_rules(rules)
    text = exc.value.render()
    assert "bad.rules:2:31: error: no list 'blacklst'" in text and "'blacklist'" in text
    assert "bad.rules:3:44: error: list 'blacklist' has no column 'reasn'" in text
    (rules / "bad.rules").unlink()
    (tmp_path / "lists" / "blacklist.csv").write_text("phone,reason\n1,x\n1,y\n",
                                                      encoding="utf-8")
    with pytest.raises(SourceErrors) as exc:
        load_rules(rules)
    assert "blacklist.csv:3:1: error: list 'blacklist': '1' is listed twice" in exc.value.render()


def test_a_let_is_shared_by_every_rule_file_and_defined_once(tmp_path: Path) -> None:
    rules = _workspace(tmp_path, "phone\n")
    (rules / "00-shared.rules").write_text('let 大额 = 3000\nlet 店长们 = ["店长"]\n',
                                           encoding="utf-8")
    (rules / "big.rules").write_text("rule big\n  when payment > 大额\n  then flag big\n"
                                     "  example fires order { payment: 3000.01 }\nend\n",
                                     encoding="utf-8")
    assert "big" in {r.id for r in load_rules(rules)}
    (rules / "again.rules").write_text("let 大额 = 5000\n", encoding="utf-8")
    with pytest.raises(SourceErrors) as exc:
        load_rules(rules)
    assert "again.rules:1:1: error: '大额' is already defined" in exc.value.render()
    assert "00-shared.rules:1" in exc.value.render()


def _wait(predicate, seconds: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_editing_only_the_csv_changes_what_the_running_service_holds(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root, samples=False)
    (root / "orderhub.yaml").write_text(
        (root / "orderhub.yaml").read_text(encoding="utf-8")
        + f"database: sqlite:///{tmp_path / 'r.db'}\nservice:\n  watch: true\n",
        encoding="utf-8")
    (root / "rules" / "blacklist.rules").write_text(BLACKLIST_RULE, encoding="utf-8")
    (root / "lists").mkdir()
    csv_file = root / "lists" / "blacklist.csv"
    csv_file.write_text("phone,reason\n13800000000,刷单\n", encoding="utf-8")
    ws = Workspace.load(root)
    svc = Service(ws, dispatch=False, schedules=False)
    svc.start()
    try:
        v1 = svc.reloader.live.versions.rules
        first, second = sup.make_orders(2)  # phones 13800000000 and 13800000001

        def holds(order: Order) -> list[str]:
            ws.store.upsert([order])
            while svc.step():
                pass
            with ws.store.engine.connect() as conn:
                rows = conn.execute(select(decisions)).all()
            oid = ws.store.get(f"taobao:{order.platform_order_no}").id
            return sorted({a["params"].get("rule") for r in rows if r.order_id == oid
                           for a in r.actions if a["kind"] == "hold"})

        assert holds(first) == ["blacklist"]
        assert holds(second) == []
        # risk control adds the second phone: only the CSV changes, nobody reloads by hand
        csv_file.write_text("phone,reason\n13800000000,刷单\n13800000001,欺诈\n",
                            encoding="utf-8")
        _wait(lambda: svc.reloader.live.versions.rules != v1, 30, "the new list to go live")
        third = sup.make_orders(1, start=1)[0].model_copy(
            update={"platform_order_no": "T-again", "receiver": second.receiver})
        assert holds(third) == ["blacklist"]
        with ws.store.engine.connect() as conn:
            versions = {r.rules_version for r in conn.execute(select(decisions))}
        assert versions == {v1, svc.reloader.live.versions.rules}
    finally:
        svc.shutdown()


FLOW = """\
name: heavy_first
trigger: {event: paid}
start: weight
nodes:
  weight:
    type: decision
    cases:
      - when: '(sum item in items: lookup("sku_weights", item.sku, "kg") * item.quantity) > 50'
        goto: heavy
        reason: 重货走武汉仓
    default: normal
  heavy:
    type: assign
    warehouse: WH
  normal:
    type: assign
    warehouse: GZ
"""


def test_flows_read_the_same_lists_and_a_missing_one_is_positioned(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from flows_helpers import NOW, full_stock, order

    from orderhub.engine.routing import load_flows, route_orders

    (tmp_path / "flows").mkdir()
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "sku_weights.csv").write_text("sku,kg\nTOWEL,0.5\nPILLOW,30\n",
                                                        encoding="utf-8")
    (tmp_path / "flows" / "heavy.yaml").write_text(FLOW, encoding="utf-8")
    flows = load_flows(tmp_path / "flows")
    light, heavy = route_orders([order("广东省", "广州市", ("TOWEL", 3)),
                                 order("广东省", "广州市", ("PILLOW", 2))], flows,
                                full_stock(), now=NOW)
    assert (light.warehouse, heavy.warehouse) == ("GZ", "WH")
    (tmp_path / "flows" / "heavy.yaml").write_text(FLOW.replace('"sku_weights"', '"sku_weight"'),
                                                   encoding="utf-8")
    with pytest.raises(SourceErrors) as exc:
        load_flows(tmp_path / "flows")
    assert "heavy.yaml:8:" in exc.value.render() and "no list 'sku_weight'" in exc.value.render()
