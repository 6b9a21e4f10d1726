"""Addressed notifications (issue 20 item 6): recipients named in orderhub.yaml, used by rules
(``notify wecom to "店长" ...``) and flows (``to: 店长``); the outbox message carries them;
unknown channels and recipients are positioned errors when checked."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from orderhub.cli import main
from orderhub.config import Workspace, WorkspaceConfig, init_workspace, workspace_schema

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

HOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SHOP-KEY"
RECIPIENTS = f"""\
recipients:
  店长: {{wecom: zhang.dian, phone: "13800000009"}}
  风控: {{wecom: [li.feng, wang.kong]}}
  值班: {{members: [店长, 风控], webhook: "{HOOK}"}}
"""
RULE = """\
rule big_refund "大额退款"
  when payment > 0
  then
    notify wecom to "值班" "退款 {{ order.platform_order_no }}"
    notify sms to "店长" "退款 {{ order.platform_order_no }}"
end
"""


def workspace(tmp_path: Path, rule: str = RULE, flows: str | None = None) -> Path:
    (tmp_path / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n" + RECIPIENTS,
                                            encoding="utf-8")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.rules").write_text(rule, encoding="utf-8")
    if flows is not None:
        (tmp_path / "flows").mkdir()
        (tmp_path / "flows" / "f.yaml").write_text(flows, encoding="utf-8")
    return tmp_path


def invoke(ws: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["-w", str(ws), *args])


def test_recipients_are_part_of_the_workspace_config_and_its_schema() -> None:
    from ruamel.yaml import YAML

    cfg = WorkspaceConfig.model_validate(YAML(typ="safe").load(RECIPIENTS))
    assert cfg.recipients["值班"].members == ["店长", "风控"]
    props = workspace_schema()["properties"]
    assert "recipients" in props
    bad = {"recipients": {"值班": {"members": ["店长"]}}}
    try:
        WorkspaceConfig.model_validate(bad)
    except ValueError as exc:
        assert "member '店长' is not a recipient" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a group of unknown members was accepted")


def test_unknown_channel_and_recipient_are_errors_at_rules_check(tmp_path: Path) -> None:
    ws = workspace(tmp_path, RULE.replace("notify wecom", "notify wecomm")
                   .replace('to "店长"', 'to "店张"'))
    out = invoke(ws, "rules", "check")
    assert out.exit_code == 1
    assert "r.rules:4:12: error: unknown notify channel 'wecomm'" in out.output
    assert "did you mean 'wecom'?" in out.output
    assert "r.rules:5:19: error: unknown recipient '店张'" in out.output
    assert "did you mean '店长'?" in out.output


def test_a_rule_notifies_a_named_group_and_the_dry_run_shows_whom(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    assert invoke(ws, "rules", "check").exit_code == 0
    orders = Path(__file__).resolve().parent.parent / "examples" / "orders" / "taobao.json"
    out = invoke(ws, "dry-run", "--orders", str(orders), "--format", "json")
    first = json.loads(out.stdout.splitlines()[0])
    wecom, sms = first["fired"][0]["actions"]
    assert wecom["params"]["to"] == "值班" and wecom["params"]["webhook"] == HOOK
    assert wecom["params"]["mention"] == ["zhang.dian", "li.feng", "wang.kong"]
    assert sms["params"]["phones"] == ["13800000009"]


FLOW = """\
name: tell
trigger: {event: paid}
start: gz
nodes:
  gz:
    type: assign
    warehouse: GZ
    next: tell
  tell:
    type: notify
    channel: wecom
    to: 店长
    template: "新单 {{ order.platform_order_no }}"
"""


def test_unknown_recipient_and_channel_are_errors_at_flows_check(tmp_path: Path) -> None:
    ws = workspace(tmp_path, flows=FLOW.replace("to: 店长", "to: 店张"))
    out = invoke(ws, "flows", "check")
    assert out.exit_code == 1
    assert "f.yaml:12:5: error: unknown recipient '店张'" in out.output
    assert "did you mean '店长'?" in out.output
    (ws / "flows" / "f.yaml").write_text(FLOW.replace("channel: wecom", "channel: wecomm"),
                                         encoding="utf-8")
    out = invoke(ws, "flows", "check")
    assert "f.yaml:11:14: error: nodes.tell.channel: 'wecomm' is not one of wecom, sms" \
        in out.output and "did you mean 'wecom'?" in out.output


def test_the_outbox_carries_the_recipient_of_rules_and_flows(tmp_path: Path) -> None:
    from orderhub.service import Service
    from orderhub.service.schema import outbox

    root = tmp_path / "ws"
    init_workspace(root, samples=False)
    (root / "orderhub.yaml").write_text(
        (root / "orderhub.yaml").read_text(encoding="utf-8") + RECIPIENTS
        + f"database: sqlite:///{tmp_path / 'r.db'}\nservice:\n  watch: false\n",
        encoding="utf-8")
    for old in (root / "rules").glob("*.rules"):
        old.unlink()
    (root / "rules" / "r.rules").write_text(RULE, encoding="utf-8")
    for old in (root / "flows").glob("*.yaml"):
        old.unlink()
    (root / "flows" / "f.yaml").write_text(FLOW, encoding="utf-8")
    ws = Workspace.load(root)
    svc = Service(ws, dispatch=False, schedules=False)
    svc.start()
    ws.store.upsert(sup.make_orders(1))
    while svc.step():
        pass
    with ws.store.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.kind, outbox.c.payload)).all()
    wecom = [p for k, p in rows if k == "wecom"]
    by_robot = {p.get("to"): p for p in wecom}
    rule_msg = by_robot[HOOK]  # the group's own robot, everyone @-mentioned
    assert rule_msg["recipient"] == "值班"
    assert rule_msg["markdown"]["content"].endswith("<@zhang.dian> <@li.feng> <@wang.kong>")
    flow_msg = next(p for p in wecom if p.get("recipient") == "店长" and p is not rule_msg)
    assert flow_msg["markdown"]["content"].endswith("\n<@zhang.dian>")
    assert [p["phone"] for k, p in rows if k == "sms"] == ["13800000009"]
