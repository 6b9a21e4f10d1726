"""Rule files: windows, enable/disable in place, errors across files, examples, lint."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from orderhub.dsl import MemoryHistory
from orderhub.engine.rulefile import lint, set_enabled
from orderhub.engine.ruleset import load_rules, load_rules_text
from orderhub.errors import SourceErrors
from orderhub.model import Order

REPO = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")


def big_cold(created: datetime) -> Order:
    return Order(platform="douyin", platform_order_no="D1", status="paid", created_at=created,
                 payment="2500", items=[{"title": "冰鲜", "attributes": {"cold_chain": True}}])


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    target.mkdir()
    for f in (REPO / "rules").glob("*.rules"):
        shutil.copy(f, target / f.name)
    return target


def test_promo_rule_fires_only_inside_its_window_once_enabled(rules_dir):
    set_enabled(rules_dir, "promo_big_cold_order", True, who="tester")
    rs = load_rules(rules_dir)
    rule = rs.get("promo_big_cold_order")
    for at, inside in [(datetime(2024, 11, 10, 19, 59, tzinfo=TZ), False),
                       (datetime(2024, 11, 10, 20, 0, tzinfo=TZ), True),
                       (datetime(2024, 11, 11, 23, 59, tzinfo=TZ), True),
                       (datetime(2024, 11, 12, 0, 0, tzinfo=TZ), False)]:
        o = big_cold(at)
        d = rs.evaluate(o, now=at, history=MemoryHistory([o]))
        assert ("promo_big_cold_order" in {f.rule for f in d.fired}) is inside, at
        assert rule.active_at(at) is inside
    shadow = rs.evaluate(big_cold(datetime(2024, 11, 11, tzinfo=TZ)),
                         now=datetime(2024, 11, 11, tzinfo=TZ), history=MemoryHistory())
    assert all(a.shadow for a in shadow.actions)  # mode shadow: planned, not to be executed


def test_disabled_rule_never_fires(rules_dir):
    rs = load_rules(rules_dir)
    at = datetime(2024, 11, 11, tzinfo=TZ)
    assert not rs.evaluate(big_cold(at), now=at, history=MemoryHistory()).fired


def test_disable_keeps_comments_and_formatting_and_is_audited(rules_dir):
    path = rules_dir / "risk.rules"
    before = path.read_text(encoding="utf-8")
    change = set_enabled(rules_dir, "vague_address", False, who="analyst-1")
    after = path.read_text(encoding="utf-8")
    assert change.after == "enabled no"
    # exactly one line was added; every comment and line of the file is still there
    assert [ln for ln in after.splitlines() if ln.strip() != "enabled no"] == before.splitlines()
    assert "# 模糊地址词：这个列表是数据，随时可以加词。" in after
    assert load_rules(rules_dir).get("vague_address").enabled is False
    set_enabled(rules_dir, "vague_address", True, who="analyst-2",
                until=datetime(2024, 6, 30, tzinfo=TZ))
    text = path.read_text(encoding="utf-8")
    assert "enabled yes until 2024-06-30 00:00" in text and "enabled no" not in text
    rule = load_rules(rules_dir).get("vague_address")
    assert rule.switched_on(datetime(2024, 6, 29, tzinfo=TZ))
    assert not rule.switched_on(datetime(2024, 6, 30, tzinfo=TZ))
    log = [json.loads(x) for x in (rules_dir / ".audit.log").read_text("utf-8").splitlines()]
    assert [(e["who"], e["rule"], e["after"]) for e in log] == [
        ("analyst-1", "vague_address", "enabled no"),
        ("analyst-2", "vague_address", "enabled yes until 2024-06-30 00:00")]
    assert all(e["at"] for e in log)


def test_enable_rewrites_only_the_enabled_clause(rules_dir):
    path = rules_dir / "promo.rules"
    before = path.read_text(encoding="utf-8")
    set_enabled(rules_dir, "promo_big_cold_order", True)
    after = path.read_text(encoding="utf-8")
    assert before.replace("  enabled no\n", "  enabled yes\n") == after
    assert "# log what it would do before trusting it" in after


def test_all_errors_of_all_files_in_one_run(tmp_path):
    (tmp_path / "a.rules").write_text(
        "# a\nrule a1 \"甲\"\n  when receiver.phon == '1'\n  then flag x\nend\n"
        "rule a2 when payment > 'x' then flag y end\n", encoding="utf-8")
    (tmp_path / "b.rules").write_text(
        "rule b1\n  when payment >\nend\n\nrule b2 when refund.requested_at - created_at <= 10 "
        "then flag z end\n", encoding="utf-8")
    (tmp_path / "c.rules").write_text(
        "rule a1 when payment > 1 then task queue \"q\" title \"{{ order.recevier.name }}\" end\n",
        encoding="utf-8")
    with pytest.raises(SourceErrors) as info:
        load_rules(tmp_path)
    text = info.value.render()
    where = [str(e.span) for e in info.value.errors]
    assert f"{tmp_path / 'a.rules'}:3:17" in where
    assert "did you mean 'phone'?" in text
    assert any(w.startswith(str(tmp_path / "a.rules") + ":6") for w in where)
    assert any(w.startswith(str(tmp_path / "b.rules") + ":3") for w in where)  # syntax
    assert any(w.startswith(str(tmp_path / "b.rules") + ":5") for w in where)  # after it
    assert "duplicate rule id 'a1'" in text
    assert "unknown field 'recevier'" in text and "'receiver'" in text
    assert "    when receiver.phon == '1'\n" in text and "^" in text


def test_failing_example_is_an_error_with_the_values(tmp_path):
    (tmp_path / "x.rules").write_text(
        "rule limit when orders_today(receiver.phone) >= 3 then freeze shipment\n"
        "  example \"two is not enough\" fires order { receiver: { phone: \"1\" } }\nend\n",
        encoding="utf-8")
    with pytest.raises(SourceErrors) as info:
        load_rules(tmp_path)
    (err,) = info.value.errors
    assert "should fire, but it did not" in err.message
    assert err.hint == "orders_today(receiver.phone) = 0, needs >= 3 → no"
    assert str(err.span).endswith("x.rules:2:3")


def test_lint_flags_expired_windows_never_opening_windows_and_twins():
    rs = load_rules_text(
        "rule old active until 2024-01-01 when payment > 1 then flag a end\n"
        "rule never active from 2024-02-01 until 2024-01-01 when payment > 2 then flag b end\n"
        "rule twin when payment > 1 then flag c end\n"
        "rule quiet when payment > 3 end\n", "lint.rules")
    messages = [w.message for w in lint(rs, datetime(2024, 6, 1, tzinfo=TZ))]
    assert any("'old' is enabled but its window ended" in m for m in messages)
    assert any("'never': its window never opens" in m for m in messages)
    assert any("'twin' has the same condition as 'old'" in m for m in messages)
    assert any("'quiet' has no actions" in m for m in messages)


def test_version_is_a_hash_of_the_sources(rules_dir):
    v1 = load_rules(rules_dir).version
    assert load_rules(rules_dir).version == v1
    set_enabled(rules_dir, "vague_address", False)
    assert load_rules(rules_dir).version != v1


def test_set_action_and_notify_render_templates():
    rs = load_rules_text(
        'rule memo when payment > 100\n then set seller_memo = "大单"\n'
        '  notify wecom "大单 {{ order.platform_order_no }} {{ rule.name }}"\nend\n', "m.rules")
    o = Order(platform="pdd", platform_order_no="P9", status="paid", payment="200",
              created_at=datetime(2024, 6, 18, tzinfo=TZ))
    acts = rs.evaluate(o, now=o.created_at, history=MemoryHistory()).actions
    assert acts[0].params == {"field": "seller_memo", "value": "大单"}
    assert acts[1].params == {"channel": "wecom", "text": "大单 P9 memo"}
