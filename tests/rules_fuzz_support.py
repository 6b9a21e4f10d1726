"""Mutating the shipped rule files and flows, and judging what orderhub makes of the result.

Shared by ``tests/test_rules_fuzz.py`` (a few seconds, hypothesis) and ``bench/fuzz_rules.py``
(a long random run that prints counts).  An input is judged by :func:`judge_rules` or
:func:`judge_flow`:

* ``error``: every reported mistake has a file, line and column (a clean, positioned error);
* ``ok``: the rules (flows) load, and judge (route) every sample order without raising;
* ``unpositioned``: an error without line or column;
* ``runtime``: loaded, but a sample order got a rule error (the checker let through something
  that fails at run time);
* ``traceback``: any other exception.

The goal is that only the first two ever happen.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from orderhub.dsl import MemoryHistory
from orderhub.engine.examples import example_order
from orderhub.engine.routing import load_flow_text
from orderhub.engine.routing.router import route_orders
from orderhub.engine.ruleset import build_ruleset
from orderhub.errors import OrderhubError, SourceErrors
from orderhub.model import Order

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = {p.name: p.read_text(encoding="utf-8")
              for p in sorted((ROOT / "rules").glob("*.rules"))}
FLOW_FILES = {p.name: p.read_text(encoding="utf-8")
              for p in sorted((ROOT / "flows").glob("*.yaml"))}
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 26, 9, 0, tzinfo=TZ)

#: What a mutation inserts: the language's words, impossible literals, hostile templates and
#: patterns, and YAML punctuation.
VOCABULARY = [
    # rule language
    "rule", "end", "when", "then", "let", "and", "or", "not", "in", "not in", "is null",
    "contains", "contains any", "contains all", "starts with", "matches", "any item in items:",
    "count item in items:", "sum item in items: item.quantity", "priority", "tags", "enabled no",
    "enabled yes until 2024-01-01", "active from 2024-11-11 until 2024-11-12", "mode shadow",
    "example fires order {}", "example does not fire order { payment: 1 }", "hold waybill",
    "flag x", "freeze shipment", "task queue \"q\" title \"t\"", "notify wecom \"x\"",
    "sms receiver.phone \"x\"", "set seller_memo = \"x\"", "at most once per receiver.phone per 1d",
    "payment", "receiver.address", "receiver.phone", "created_at", "paid_at", "items",
    "refund.requested_at", "item_count", "platform", "status", "item.cold_chain",
    "orders_today(receiver.phone)", "orders_by_phone(receiver.phone, within=36500d)", "now()",
    "length(", "minutes(", "hours(", "coalesce(", "lower(", "abs(", "today()",
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "=", "(", ")", "[", "]", "{", "}",
    ",", ":", ".", "\"", "'", "#", "\n", " ",
    # literals, possible and not
    "0", "1", "-1", "3.5", "¥10", "10元", "1d", "10m", "36500d", "99999999999d", "1h30m",
    "2024-11-11", "2024-13-45", "2024-02-30 10:00", "25:99", "09:30", "true", "null",
    "\"附近\"", "\"\\x4\"", "\"\\N{foo}\"", "\"\\u12\"", "9" * 40, "[1, 2]", "[\"a\", 1]",
    "{a: 1}", "not " * 60, " and payment > 1" * 50,
    # templates and patterns
    "{{ order.payment }}", "{{ 9 ** (9 ** 8) }}", "{{ 'a' * 300000000 }}", "{{ 1/0 }}",
    "{% include '/etc/passwd' %}", "{{ range(10**9)|list }}", "{{ x|nosuch }}", "{{", "}}",
    "{%", "%}", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "{{ order.__class__.__mro__ }}",
    "\"^(a+)+$\"", "\"(?=a)\"", "\"[\"", "matches \"(a|aa)*b\"",
    # YAML
    ": ", "- ", "  ", "    ", "|", ">", "&a ", "*a", "!!python/object:os.system ", "---",
    "type: notify", "type: assign", "when: ", "template: ", "goto: ", "next: ", "default: ",
    "warehouse: SH", "warehouse: NOPE", "event: payed", "when: any item in items: item.cold_chain",
]

# one edit: (operation, where, length, vocabulary index)
Edit = tuple[int, int, int, int]
OPERATIONS = 5


def mutate(text: str, edits: list[Edit]) -> str:
    """``text`` after ``edits``; positions fall on word boundaries, so most edits change
    tokens rather than the middle of a comment."""
    for op, where, length, word in edits:
        bounds = sorted({0, len(text), *(m.start() for m in re.finditer(r"\S+", text)),
                         *(m.end() for m in re.finditer(r"\S+", text))})
        at = bounds[where % len(bounds)]
        end = min(len(text), at + length)
        token = VOCABULARY[word % len(VOCABULARY)]
        if op == 0:
            text = text[:at] + text[end:]
        elif op == 1:
            text = text[:at] + token + text[at:]
        elif op == 2:
            text = text[:at] + token + text[end:]
        elif op == 3:
            text = text[:end] + text[at:end] + text[end:]
        elif end - at >= 2:
            text = text[:at] + text[at + 1] + text[at] + text[at + 2:]
    return text


def sample_orders() -> list[Order]:
    """Orders that reach every kind of field: empty ones, refunds, cold chain, repeat phones."""
    phone = "13800000000"
    rich = {
        "paid_at": datetime(2025, 11, 26, 8, 0, tzinfo=TZ), "payment": "388.00",
        "buyer_message": "尽快", "receiver": {"name": "张三", "phone": phone, "province": "广东省",
                                            "city": "广州市", "address": "体育西路地铁站附近"},
        "items": [{"sku": "CRAB", "title": "大闸蟹", "quantity": 2, "unit_price": "194.00",
                   "attributes": {"cold_chain": True}},
                  {"sku": "TOWEL", "title": "毛巾", "quantity": 1, "unit_price": "0.00"}],
    }
    refund = {**rich, "refund": {"status": "requested",
                                 "requested_at": datetime(2025, 11, 26, 7, 5, tzinfo=TZ)}}
    created = datetime(2025, 11, 26, 7, 0, tzinfo=TZ)
    return [example_order(rich, TZ, "F1", created), example_order(refund, TZ, "F2", created),
            example_order({"receiver": {"phone": phone}}, TZ, "F3", created),
            example_order({}, TZ, "F4", datetime(2024, 11, 11, 0, 0, tzinfo=TZ)),
            example_order({"status": "shipped", "payment": "0.01", "receiver": {}}, TZ, "F5",
                          created)]


@dataclass
class Verdict:
    kind: str  # error | ok | unpositioned | runtime | traceback
    detail: str = ""


def _errors_verdict(exc: SourceErrors) -> Verdict:
    for e in exc.errors:
        if e.span is None or e.span.line is None or e.span.column is None:
            return Verdict("unpositioned", e.render())
    return Verdict("error")


def judge_rules(sources: dict[str, str]) -> Verdict:
    """Load ``sources`` as a rule set and judge the sample orders with it."""
    try:
        ruleset = build_ruleset(dict(sources))
    except SourceErrors as exc:
        return _errors_verdict(exc)
    except Exception:  # noqa: BLE001 - what the fuzz test looks for
        return Verdict("traceback", traceback.format_exc())
    orders = sample_orders()
    try:
        decisions = ruleset.evaluate_batch(orders, now=NOW, history=MemoryHistory(orders))
        for rule in ruleset:
            ruleset.explain(rule.id, orders[0], ruleset.context(now=NOW))
    except Exception:  # noqa: BLE001
        return Verdict("traceback", traceback.format_exc())
    problems = [e for d in decisions for e in d.errors]
    return Verdict("runtime", "; ".join(problems)) if problems else Verdict("ok")


def judge_flow(name: str, text: str) -> Verdict:
    """Load one flow file's text and route the sample orders through it."""
    try:
        flows = load_flow_text(text, name)
    except SourceErrors as exc:
        return _errors_verdict(exc)
    except Exception:  # noqa: BLE001
        return Verdict("traceback", traceback.format_exc())
    stock = {(w, s): 5 for w in flows.network.codes for s in ("CRAB", "TOWEL")}
    try:
        for result in route_orders(sample_orders(), flows, stock, now=NOW):
            for message in result.messages:
                try:
                    message.payload  # noqa: B018 - renders the template
                except OrderhubError:
                    pass  # a template failing on this order's data is reported, by name
    except Exception:  # noqa: BLE001
        return Verdict("traceback", traceback.format_exc())
    return Verdict("ok")
