"""Hostile or careless rule files, templates and flows: every one is a positioned error when it
is checked, or a rule set that judges every order without raising; nothing hangs.

Each case here was a hang, a traceback or a rule that failed on every order before (issue 12,
items 7, 8, 10 and the rule parts of 17).  Cases that used to hang run in a child process with
a generous time limit, so a regression fails instead of stopping the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from orderhub.cli import main
from orderhub.dsl import MemoryHistory, compile_expression
from orderhub.engine.examples import example_order
from orderhub.engine.routing import load_flow_text
from orderhub.engine.ruleset import load_rules, load_rules_text
from orderhub.errors import SourceError, SourceErrors

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 26, 9, 0, tzinfo=TZ)
FLOW = Path(__file__).resolve().parent.parent / "flows" / "routing.yaml"


def orders() -> list:
    """Three ordinary orders: paid, with a receiver, one and three lines."""
    base = {"paid_at": datetime(2025, 11, 26, 8, 0, tzinfo=TZ), "payment": "88.00",
            "receiver": {"name": "张三", "phone": "13800000000", "province": "浙江省",
                         "city": "杭州市", "address": "文三路 100 号 附近"},
            "items": [{"title": "商品", "quantity": 1, "unit_price": "88.00"}]}
    three = {**base, "items": base["items"] * 3}
    return [example_order(base, TZ, "T1", datetime(2025, 11, 26, 7, 0, tzinfo=TZ)),
            example_order(three, TZ, "T2", datetime(2025, 11, 26, 7, 30, tzinfo=TZ)),
            example_order({}, TZ, "T3", datetime(2025, 11, 25, 7, 30, tzinfo=TZ))]


def errors_of(text: str) -> list[SourceError]:
    with pytest.raises(SourceErrors) as info:
        load_rules_text(text, "t.rules")
    return info.value.errors


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``orderhub ARGS`` in a child process; a hang fails the test after two minutes."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "orderhub", "--workspace", str(cwd), *args],
                          capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


# ---- item 7: templates cannot hang or exhaust memory --------------------------------------


def test_a_power_tower_in_a_template_is_refused_at_check_time_not_a_hang(tmp_path):
    rules = tmp_path / "hang.rules"
    rules.write_text('rule hang "h" when payment >= 0 then notify wecom "{{ 9 ** (9 ** 8) }}" '
                     "end\n", encoding="utf-8")
    result = cli("rules", "check", str(rules), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"{rules}:1:51: error: template: 9 ** 43046721 is over 1024 bits" in result.stderr


def test_a_template_may_not_build_a_huge_text():
    (err,) = errors_of('rule big "b" when payment >= 0 then\n'
                       "  notify wecom \"{{ 'a' * 300000000 }}\"\nend\n")
    assert (err.span.line, err.span.column) == (2, 16)
    assert "over 100000 characters" in err.message


@pytest.mark.parametrize(("template", "words"), [
    ("{{ 1/0 }}", "ZeroDivisionError"),
    ("{% include '/etc/passwd' %}", "'include' is not allowed"),
    ("{% import 'x' as y %}", "'import' is not allowed"),
    ("{% extends '/etc/passwd' %}", "'extends' is not allowed"),
    ("{{ range(10**9)|list }}", "Range too big"),
    ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "recurses without end"),
    ("{{ order.payment|nosuch }}", "No filter named 'nosuch'"),
    ("{% if order is nosuch %}x{% endif %}", "No test named 'nosuch'"),
    ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
     "more than 100000 steps"),
    ("{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
     "template "),  # more than 100000 steps, or longer than 2 s on a busy machine
    ("{{ 'a'|center(999999999) }}", "center() could build over 100000"),
    ("{{ 'a'.ljust(10**9) }}", "ljust() could build"),
    ("{{ lipsum(10**9) }}", "could build over"),
    ("{{ ('a\\n' * 50000)|indent(100000) }}", "indent() could build"),
    ("{{ ('\\t' * 100000).expandtabs(100000) }}", "expandtabs() could build"),
    ("{{ ([[1] * 100000] * 100000)|sum(start=[]) }}", "sum() could build"),
    ("{{ [1]|batch(99999999, 'x')|list }}", "batch() could build"),
    ("{{ '{:{}}'.format(1, 999999999) }}", "a width of 999999999"),
    ("{{ ('a ' * 50000)|wordwrap(1, wrapstring='x' * 1000) }}", "wordwrap() could build"),
    ("{{ '{:>999999999}'.format(1) }}", "field widths"),
    ("{{ '%999999999d' % 1 }}", "field widths"),
    ("{{ ('a' * 50000)|replace('a', 'a' * 50000) }}", "replace() could build"),
    ("{{ ('a' * 50000).replace('a', 'a' * 50000) }}", "replace() could build"),
    ("{{ ('x' * 1000).join(['a'] * 1000) }}", "join() would build"),
    ("{% set x = 'a' * 60000 %}{% set y %}{{ x }}{{ x }}{% endset %}{{ y }}", "longer than"),
    ("{% set x = 'a' * 60000 %}{{ x ~ x }}", "characters or items"),
    ("{{ 10**300 * 10**300 * 10**300 * 10**300 }}", "bits"),
    ("{{ [1] * 10**9 }}", "repeats a text or list"),
])
def test_hostile_templates_are_positioned_errors_at_check_time(template, words):
    errors = errors_of(f'rule r "r"\n  when payment > 0\n  then notify wecom "{template}"\nend\n')
    assert len(errors) == 1
    assert (errors[0].span.filename, errors[0].span.line) == ("t.rules", 3)
    assert errors[0].message.startswith("template: ")
    assert words in errors[0].message


def test_ordinary_templates_still_render():
    ruleset = load_rules_text(
        'rule r "大额"\n  when payment > 0\n  then notify wecom "{{ rule.name }} '
        "{{ order.platform_order_no }} {{ '%.1f' % order.payment }} {{ '{:,}'.format(1234567) }}"
        ' {% for i in order.items %}{{ loop.index }}{% endfor %} {{ order.receiver.name }}"\n'
        "end\n")
    (decision,) = ruleset.evaluate_batch(orders()[1:2], now=NOW)
    assert decision.actions[0].params["text"] == "大额 T2 88.0 1,234,567 123 张三"


def test_a_template_that_fails_on_one_order_does_not_stop_the_batch():
    ruleset = load_rules_text(
        'rule r "r"\n  when payment > 0\n  then flag seen\n'
        '    notify wecom "{% for i in order.items %}{% for j in range(40000) %}x{% endfor %}'
        '{% endfor %}"\n'
        "end\n")
    one, three, _ = ruleset.evaluate_batch(orders(), now=NOW)
    assert [a.kind for a in one.actions] == ["flag", "notify"] and not one.errors
    assert [a.kind for a in three.actions] == ["flag"]
    assert "TemplateLimitError" in three.errors[0]


def test_flow_notify_templates_have_the_same_limits():
    flow = ("name: t\ntrigger:\n  event: paid\nstart: tell\nnodes:\n  tell:\n"
            "    type: notify\n    to: lead\n    template: \"{{ 'a' * 300000000 }}\"\n")
    with pytest.raises(SourceErrors) as info:
        load_flow_text(flow, "t.yaml")
    (err,) = info.value.errors
    assert (err.span.line, err.span.column) == (9, 16)
    assert "over 100000 characters" in err.message


# ---- item 8: regular expressions run in linear time ---------------------------------------


def test_a_catastrophic_pattern_judges_orders_at_once(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "re.rules").write_text('rule evil "e" when receiver.address matches "^(a+)+$" '
                                    "then flag x end\n", encoding="utf-8")
    script = ("import sys; from orderhub.engine.ruleset import load_rules;"
              "from orderhub.engine.examples import example_order; from zoneinfo import ZoneInfo;"
              "rs = load_rules(sys.argv[1]);"
              "o = example_order({'receiver': {'address': 'a' * 60 + 'b'}}, "
              "ZoneInfo('Asia/Shanghai'), 'X');"
              "print(len(rs.evaluate(o).fired), rs.evaluate(o).errors)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run([sys.executable, "-c", script, str(rules)], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.stdout.strip() == "0 []", result.stderr


@pytest.mark.parametrize("pattern", [r"(?<!张)三", r"(?=a)b", r"(a)\\1", "a{1001}"])
def test_patterns_re2_refuses_are_positioned_errors(pattern):
    (err,) = errors_of(f'rule r "r"\n  when receiver.name matches "{pattern}"\n'
                       "  then flag x\nend\n")
    assert (err.span.line, err.span.column) == (2, 30)
    assert err.message.startswith("bad pattern: ")
    assert "RE2" in err.hint


def test_chinese_patterns_match():
    expr = compile_expression('receiver.address matches "附近|旁边\\\\d+号"')
    assert [expr.evaluate(o, None) for o in orders()] == [True, True, False]


# ---- item 10: the checker refuses what fails on every order -------------------------------


@pytest.mark.parametrize(("expr", "words", "column"), [
    ("length(payment) > 1", "length(): 'value' must be a list or a key/value map or text", 8),
    ("receiver.address contains any [1, 2]", "needs a list of text", 31),
    ("receiver.address contains all [1, 2]", "needs a list of text", 31),
    ("created_at + 99999999d > now()", "longer than 36500 days", 14),
    ("orders_by_phone(receiver.phone, within=99999999d) >= 1", "longer than 36500 days", 40),
    ("created_at > 2024-13-45", "impossible date 2024-13-45: month must be in 1..12", 14),
    ("created_at > 2024-02-30 10:00", "impossible date-time 2024-02-30 10:00", 14),
    ("time_of(created_at) < 25:99", "impossible time 25:99", 23),
    ('receiver.name == "\\N{foo}"', "unknown Unicode character name", 18),
    ('receiver.name == "\\x4"', "truncated \\xXX escape", 18),
    ('receiver.name == "\\u12"', "truncated \\uXXXX escape", 18),
    ("created_at + 99999999999d > now()", "longer than 36500 days", 14),
    ("payment > " + "9" * 5000, "more than 28 digits", 11),
    ("not " * 300 + "payment > 1", "nested more than 40 levels", 161),
])
def test_rules_that_would_fail_on_every_order_are_refused(expr, words, column):
    errors = errors_of(f'rule r "r"\n  when {expr}\n  then flag x\nend\n')
    assert words in errors[0].message
    assert (errors[0].span.line, errors[0].span.column) == (2, column + 7)


def test_a_priority_of_5000_digits_is_a_positioned_error():
    (err,) = errors_of(f'rule r "r"\n  priority {"9" * 5000}\n  when payment > 1\nend\n')
    assert (err.span.line, err.span.column) == (2, 12)
    assert "more than 28 digits" in err.message


@pytest.mark.parametrize("expr", [
    "payment + minutes(paid_at - created_at) > 10",
    "1d * payment > 1m",
    "payment * 1h > 1m",
    "(paid_at - created_at) / 1m + payment > 1",
    "(paid_at - created_at) / payment > 1s",
    "hours(paid_at - created_at) + payment / 3 > 1",
    "item_count / 2 + payment > 0",
    "created_at + 36500d * 1000 > now() or payment > 0",
    "orders_by_phone(receiver.phone, within=36500d) >= 1",
    " and ".join(f"payment > {i}" for i in range(-300, 0)),
    " or ".join(f"payment == {i}" for i in range(300)) + " or payment > 0",
])
def test_well_typed_rules_judge_every_order_without_errors(expr):
    ruleset = load_rules_text(f'rule r "r"\n  when {expr}\n  then flag x\nend\n')
    sample = orders()
    decisions = ruleset.evaluate_batch(sample, now=NOW, history=MemoryHistory(sample))
    assert [d.errors for d in decisions] == [[], [], []]
    assert any(d.fired for d in decisions)


def test_dry_run_is_not_aborted_by_a_huge_history_window(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "h.rules").write_text(
        'rule h "h"\n  when orders_by_phone(receiver.phone, within=36500d * 100000) >= 1\n'
        "  then flag x\nend\n", encoding="utf-8")
    orders_file = Path(__file__).resolve().parent / "data" / "rules" / "taobao.json"
    result = CliRunner().invoke(main, ["--workspace", str(tmp_path), "dry-run", "--rules",
                                       str(rules), "--orders", str(orders_file), "--format",
                                       "json", "--at", "2025-11-26 09:00"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert lines and all(not x["errors"] for x in lines)


# ---- item 17: rule files people save, and the check commands scripts read ---------------


def test_a_gbk_rule_file_is_read(tmp_path):
    f = tmp_path / "gbk.rules"
    f.write_bytes('rule a "大额"\n  when receiver.address contains "附近"\n  then flag f\nend\n'
                  .encode("gbk"))
    ruleset = load_rules(f)
    assert ruleset.get("a").name == "大额"
    assert [bool(d.fired) for d in ruleset.evaluate_batch(orders(), now=NOW)] == [True, True,
                                                                                   False]


def test_a_rule_file_that_is_not_text_is_a_positioned_error(tmp_path):
    f = tmp_path / "bin.rules"
    f.write_bytes(b'rule a "x"\n  when payment > 1 \xff\xfe\n')
    with pytest.raises(SourceErrors) as info:
        load_rules(f)
    (err,) = info.value.errors
    assert (err.span.line, err.span.column) == (2, 20)
    assert "neither UTF-8 nor GBK" in err.message


def test_a_rule_without_end_is_reported_at_its_first_line():
    errors = errors_of('# promo\n  rule a "x"\n    when payment > 1\n    then flag f\n'
                       '\nrule b "y"\n  when payment > 2\n  then flag g\nend\n# the end\n')
    (err,) = errors
    assert (err.span.line, err.span.column) == (2, 3)
    assert err.message == "rule 'a' has no 'end'"
    assert "(line 4)" in err.hint


def test_rules_check_format_json(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "a.rules").write_text(
        'rule a "x"\n  when paymnt > 1\n  then flag f\nend\n', encoding="utf-8")
    run = CliRunner().invoke(main, ["--workspace", str(tmp_path), "rules", "check",
                                    "--format", "json"])
    assert run.exit_code == 1
    out = json.loads(run.stdout)
    assert out["ok"] is False
    assert out["errors"] == [{"severity": "error", "file": str(tmp_path / "rules" / "a.rules"),
                              "line": 2, "column": 8, "message": "unknown name 'paymnt'",
                              "hint": "did you mean 'payment'?"}]
    (tmp_path / "rules" / "a.rules").write_text(
        'rule a "x"\n  when payment > 1\n  then flag f\nend\n', encoding="utf-8")
    run = CliRunner().invoke(main, ["--workspace", str(tmp_path), "rules", "check",
                                    "--format", "json"])
    assert run.exit_code == 0
    out = json.loads(run.stdout)
    assert (out["ok"], out["rules"], out["files"], out["errors"]) == (True, 1, 1, [])


def test_flows_check_format_json(tmp_path):
    broken = tmp_path / "flow.yaml"
    broken.write_text(FLOW.read_text(encoding="utf-8").replace("event: paid", "event: payed"),
                      encoding="utf-8")
    run = CliRunner().invoke(main, ["--workspace", str(tmp_path), "flows", "check", str(broken),
                                    "--format", "json"])
    assert run.exit_code == 1
    (err,) = json.loads(run.stdout)["errors"]
    assert err["hint"] == "did you mean 'paid'?"
    assert (err["file"], err["line"]) == (str(broken), 7)
    run = CliRunner().invoke(main, ["--workspace", str(tmp_path), "flows", "check", str(FLOW),
                                    "--format", "json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["flows"][0]["name"] == "routing"


def test_an_unquoted_expression_with_a_colon_gets_the_quoting_hint():
    text = FLOW.read_text(encoding="utf-8")
    at = text.index("event: paid")
    broken = text[:at] + "event: paid\n  when: any item in items: item.cold_chain" + \
        text[at + len("event: paid"):]
    with pytest.raises(SourceErrors) as info:
        load_flow_text(broken, "routing.yaml")
    (err,) = info.value.errors
    assert "YAML syntax" in err.message
    assert err.hint.startswith("quote a value that contains ': ', e.g. when: "
                               "'any item in items: item.cold_chain'")


@pytest.mark.parametrize(("text", "where", "words"), [
    ('timezone " Asia/Shanghai"\nrule a "a" when payment > 1 then flag x end\n', (1, 10),
     "unknown timezone ' Asia/Shanghai'"),
    ('rule a "\\x4" when payment > 1 then flag x end\n', (1, 8), "impossible text"),
    ('rule a "a" when payment > 1 then notify wecom "\\u12" end\n', (1, 47), "impossible text"),
    ('rule a "a" when payment > 1 then flag x at most once per 99999999999d end\n', (1, 58),
     "longer than 36500 days"),
])
def test_settings_and_texts_of_a_rule_are_positioned_errors(text, where, words):
    (err,) = errors_of(text)
    assert (err.span.line, err.span.column) == where
    assert words in err.message


def test_a_gbk_flow_file_is_read(tmp_path):
    from orderhub.engine.routing import load_flows

    f = tmp_path / "gbk.yaml"
    f.write_bytes("name: 冷链\ntrigger:\n  event: paid\nstart: a\nnodes:\n  a:\n    type: notify\n"
                  "    template: \"大单 {{ order.platform_order_no }}\"\n".encode("gbk"))
    assert [flow.name for flow in load_flows(f)] == ["冷链"]
