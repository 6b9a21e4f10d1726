"""Fields rules and flows set (tags, carrier, custom attributes, the memo): the flows and the
warehouse see the order as the rules left it, the values are stored with the order and shown
on it, and a flow reads the rules' flags and holds."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

_spec = importlib.util.spec_from_file_location(
    "fulfilment_support", Path(__file__).with_name("fulfilment_support.py"))
fs = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(fs)  # type: ignore[union-attr]

from orderhub.cli import main  # noqa: E402
from orderhub.engine.ruleset import load_rules_text  # noqa: E402
from orderhub.errors import SourceErrors  # noqa: E402

RULES = """
rule memo "改备注"
  when buyer_message contains "改地址"
  then
    set seller_memo = "风控：买家要求改地址，请核对"
    set tags = "改地址"
    set attributes.risk_score = 80
    flag address_change
end

rule vip "大客户"
  when payment >= 99
  then set tags = ["vip", "大客户"]
end
"""

FLOW = """
name: by_tags
trigger: {event: paid}
start: pick
nodes:
  pick:
    type: decision
    cases:
      - when: '"vip" in tags and "address_change" in flags'
        goto: sf
    default: assign
  sf:
    type: set
    carrier: SF
    attributes: {insured: "yes"}
    next: assign
  assign:
    type: assign
    warehouse: SH
    next: note
  note:
    type: task
    queue: cs
    title: "核对 {{ order.platform_order_no }} carrier={{ order.carrier }}"
    next: wms
  wms:
    type: output
    kind: wms
"""


def _workspace(tmp_path: Path, db_url: str, wms_url: str):  # type: ignore[no-untyped-def]
    ws = fs.workspace(tmp_path / "ws", db_url, wms_url)
    for old in [*(ws.root / "rules").glob("*.rules"), *(ws.root / "flows").glob("*.yaml")]:
        old.unlink()
    (ws.root / "rules" / "fields.rules").write_text(RULES, encoding="utf-8")
    (ws.root / "flows" / "by_tags.yaml").write_text(FLOW, encoding="utf-8")
    return ws


def test_the_warehouse_gets_the_order_as_the_rules_and_flow_left_it(tmp_path: Path,
                                                                     db_url: str) -> None:
    with fs.WmsStandIn() as wms:
        ws = _workspace(tmp_path, db_url, wms.url)
        order = fs.order("F1").model_copy(update={"buyer_message": "麻烦帮我改地址"})
        ws.store.upsert([order])
        fs.drain(fs.service(ws))
        fs.deliver(ws)
        (pushed,) = wms.orders.values()
    assert pushed["seller_memo"] == "风控：买家要求改地址，请核对"  # after the rule, not before
    assert pushed["carrier"] == "SF"
    assert pushed["tags"] == ["改地址", "vip", "大客户"]
    assert pushed["attributes"] == {"risk_score": 80, "insured": "yes"}
    shown = CliRunner().invoke(main, ["-w", str(ws.root), "orders", "show", "taobao:F1",
                                      "--format", "json"], catch_exceptions=False)
    doc = json.loads(shown.output)
    assert doc["carrier"] == "SF" and doc["tags"] == ["改地址", "vip", "大客户"]
    assert doc["seller_memo"] == "风控：买家要求改地址，请核对"
    sets = [e for e in doc["timeline"] if e["kind"] == "set"]
    assert any("carrier = 'SF'" in e["what"] for e in sets)
    tasks = [e["what"] for e in doc["timeline"] if e["kind"] == "task"]
    assert tasks == ["核对 F1 carrier=SF"]  # the flow's task title, rendered
    table = CliRunner().invoke(main, ["-w", str(ws.root), "orders", "show", "taobao:F1"],
                               catch_exceptions=False).output
    assert "carrier" in table and "SF" in table and "vip" in table


def test_a_newer_snapshot_keeps_what_the_rules_set(tmp_path: Path, db_url: str) -> None:
    with fs.WmsStandIn() as wms:
        ws = _workspace(tmp_path, db_url, wms.url)
        ws.store.upsert([fs.order("F2")])
        svc = fs.service(ws)
        fs.drain(svc)
        ws.store.upsert([fs.order("F2", modified=5)])  # the platform's next version
        fs.drain(svc)
    stored = ws.store.get("taobao:F2")
    assert stored.tags == ["vip", "大客户"] and stored.carrier is None


def test_set_refuses_other_fields_and_wrong_values() -> None:
    with pytest.raises(SourceErrors) as err:
        load_rules_text('rule r\n  when payment > 1\n  then set payment = 1\nend\n')
    assert "'set' cannot change payment" in str(err.value)
    assert "carrier" in str(err.value)  # the hint lists what may be set
    with pytest.raises(SourceErrors) as err:
        load_rules_text('rule r\n  when payment > 1\n  then set carrier = 5\nend\n')
    assert "'set carrier' takes text, not number" in str(err.value)
    assert str(err.value).startswith("<rules>:3:8")


def test_rules_read_what_was_set_before() -> None:
    rules = load_rules_text('''
rule vip_sf "大客户走顺丰"
  when "vip" in tags and carrier is null and attributes.level == "gold"
  then set carrier = "SF"
  example fires order { tags: ["vip"], attributes: { level: "gold" } }
  example "已有快递" does not fire order { tags: ["vip"], carrier: "ZTO" }
end
''')
    assert len(rules) == 1
