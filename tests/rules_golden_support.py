"""The orders, rule sets and clock of ``tests/test_rules_golden.py``, and how a decision is
written down for comparison.

Run as a script to (re)write ``tests/data/rules/golden_decisions.json`` from the code checked
out: ``PYTHONPATH=<parent of the checkout> python3 tests/rules_golden_support.py``.  The file
in the repository was written this way from ``main`` at 65d5f24, before the evaluation path was
rebuilt (issue 18 item 2), so the test compares today's decisions with the old engine's.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from orderhub.catalog import Catalog
from orderhub.connectors.ingest import read_orders
from orderhub.dsl import MemoryHistory
from orderhub.engine.ruleset import RuleSet, load_rules_text, rule_files
from orderhub.store.orders import latest_versions
from orderhub.synth import PLATFORMS, SHANGHAI, envelope, generate_orders, render_many

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "data" / "rules" / "golden_decisions.json.gz"
#: the clock every rule set judges at: after the synthetic day, before the examples' updates
NOW = datetime(2025, 11, 26, 9, 0, tzinfo=SHANGHAI)
#: the promo rule's campaign window (its rule says ``active from 2024-11-10 20:00 ...``)
PROMO_NOW = datetime(2024, 11, 11, 10, 0, tzinfo=SHANGHAI)
SYNTH_PER_PLATFORM = 250

#: Extra rules exercising what the shipped ones do not: every explanation shape (a literal, a
#: let, a list, a field on the right, a quantifier, null tests), dedup windows of hours, ``set``
#: values, notify texts with filters, shadow mode.
EXTRA_RULES = """\
let 大额 = 300
rule big_night "夜间大单"
  priority 5
  when hour(created_at) >= 20 and payment >= 大额
  then
    notify wecom "夜间大单 {{ order.platform_order_no }} 金额 {{ order.payment }} {{ order.receiver.province | default('?') }}"
      at most once per receiver.phone per 6h
end
rule many_items "多件"
  priority 4
  mode shadow
  when (sum item in items: item.quantity) >= 3 or (count i in items: i.quantity >= 1) > 2
  then
    set seller_memo = "多件订单 " + platform_order_no
    flag many_items
end
rule post_free "包邮"
  priority 3
  when post_fee == 0 and payment > goods_total - 10 and not (receiver.name is null)
  then
    task queue "复核" title "{{ order.platform }} {{ order.receiver.name }}"
end
rule cold_any "冷链"
  priority 2
  when any item in items: item.cold_chain and item.quantity >= 1
  then
    sms receiver.phone "冷链 {{ order.platform_order_no }}"
      at most once per receiver.phone per 2h
end
rule province_pick "省份"
  priority 1
  when receiver.province in ["广东省", "浙江省", "上海市"] and receiver.address contains "路"
  then
    hold waybill
end
"""  # noqa: E501 - a rule's text is one line


def example_orders(tmp: Path) -> list[Any]:
    """The bundled examples (API responses, updates, back-office exports) and the synthetic
    orders of four platforms (with their planted refunds, vague addresses and same-phone
    bursts), normalized as a dry-run reads them; the same list on every run."""
    files = sorted((ROOT / "examples" / "orders").rglob("*.json"))
    files += sorted((ROOT / "examples" / "exports").glob("ExportOrderList*.csv"))
    start = datetime(2025, 11, 25, tzinfo=SHANGHAI)
    for pf in PLATFORMS:
        made = generate_orders(SYNTH_PER_PLATFORM, 17, start, pf, span=timedelta(hours=20))
        path = tmp / f"synth-{pf}.json"
        path.write_text(json.dumps(envelope(pf, render_many(made, pf)), ensure_ascii=False),
                        encoding="utf-8")
        files.append(path)
    catalog = Catalog.load(ROOT / "examples" / "catalog.csv")
    records, _ = read_orders(files, catalog=catalog)
    return latest_versions(records)


def rulesets() -> dict[str, tuple[RuleSet, datetime]]:
    """The shipped rules; the shipped rules with the promo switched on (and its bound lowered
    to 200 yuan, so that it fires on these orders), at its campaign's time; and the shipped
    rules with :data:`EXTRA_RULES`."""
    shipped = {str(f): f.read_text(encoding="utf-8") for f in rule_files(ROOT / "rules")}
    text = "\n".join(shipped.values())
    promo = text.replace("  enabled no\n", "  enabled yes\n").replace("payment > 2000 and",
                                                                      "payment > 200 and").replace(
        "payment: 2000.00,", "payment: 200.00,")
    return {
        "shipped": (load_rules_text(text, "shipped.rules"), NOW),
        "promo_on": (load_rules_text(promo, "promo.rules"), PROMO_NOW),
        "extra": (load_rules_text(text + "\n" + EXTRA_RULES, "extra.rules"), NOW),
    }


def action_json(a: Any) -> dict[str, Any]:
    return {"kind": a.kind, "rule": a.rule, "index": a.index, "params": _plain(a.params),
            "idempotency_key": a.idempotency_key, "dedup_window": a.dedup_window,
            "shadow": a.shadow}


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def decision_json(d: Any) -> dict[str, Any]:
    return {"platform": d.platform, "platform_order_no": d.platform_order_no,
            "order_id": d.order_id, "errors": list(d.errors), "lists_version": d.lists_version,
            "fired": [{"rule": f.rule, "name": f.name, "priority": f.priority, "mode": f.mode,
                       "why": list(f.why), "actions": [action_json(a) for a in f.actions]}
                      for f in d.fired]}


def outcomes(orders: list[Any]) -> dict[str, Any]:
    """Per rule set: the matcher's hits, the decisions of ``evaluate_batch`` and
    ``explain_tests`` of every rule on the first 40 orders."""
    out: dict[str, Any] = {}
    for name, (rs, now) in rulesets().items():
        ctx = rs.context(now=now, history=MemoryHistory(orders))
        decisions = rs.evaluate_batch(orders, ctx)
        match = rs.matcher(now)
        hits = [list(match(o, ctx)) for o in orders]
        explained = [[[rule.id, [list(t) for t in rs.explain_tests(rule.id, o, ctx)]]
                      for rule in rs] for o in orders[:40]]
        out[name] = {"version": rs.version, "hits": hits,
                     "decisions": [decision_json(d) for d in decisions],
                     "explain_tests": explained}
    return out


def compute() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        orders = example_orders(Path(tmp))
    return {"orders": len(orders), "rulesets": outcomes(orders)}


if __name__ == "__main__":
    data = compute()
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    GOLDEN.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    fired = {k: sum(len(d["fired"]) for d in v["decisions"]) for k, v in data["rulesets"].items()}
    print(f"{GOLDEN}: {data['orders']} orders, rules fired: {fired}")
