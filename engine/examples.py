"""Embedded examples: every rule carries order fragments it must (or must not) fire on.

An example's fragment is merged onto a plain default order (Taobao, paid, created 2024-06-18
12:00 shop time); ``history [...]`` adds earlier orders that history functions count, together
with the example order itself, as a dry-run would; ``at`` sets the clock (default: the example
order's creation time, i.e. evaluation on arrival).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..dsl import nodes as n
from ..dsl.context import EvalContext, MemoryHistory
from ..dsl.lists import ListSet, table_from_rows
from ..errors import SourceError, SourceSpan
from ..model import Order

if TYPE_CHECKING:
    from .ruleset import Rule, RuleSet


def literal_value(node: n.Expr, tz: tzinfo, filename: str, source: str) -> Any:
    """The Python value of a literal fragment (objects, lists, constants)."""
    if isinstance(node, n.ObjectLit):
        return {k: literal_value(v, tz, filename, source) for k, v in node.pairs}
    if isinstance(node, n.ListLit):
        return [literal_value(v, tz, filename, source) for v in node.items]
    if isinstance(node, n.Literal):
        if node.kind == "datetime" and node.value.tzinfo is None:
            return node.value.replace(tzinfo=tz)
        if node.kind == "date":
            return datetime(node.value.year, node.value.month, node.value.day, tzinfo=tz)
        return node.value
    raise SourceError("example values must be written out (text, numbers, dates, lists, {...})",
                      SourceSpan(filename, node.pos.line, node.pos.column), source=source)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def example_order(fragment: dict[str, Any], tz: tzinfo, number: str,
                  default_created: datetime | None = None) -> Order:
    base = {
        "platform": "taobao",
        "platform_order_no": number,
        "status": "paid",
        "created_at": default_created or datetime(2024, 6, 18, 12, 0, tzinfo=tz),
    }
    return Order.model_validate(_merge(base, fragment))


def _fail(ex: n.ExampleNode, rule: Rule, message: str, hint: str | None = None) -> SourceError:
    return SourceError(message, SourceSpan(rule.filename, ex.pos.line, ex.pos.column),
                       source=rule.source, hint=hint)


def run_examples(ruleset: RuleSet) -> list[SourceError]:
    """Run every embedded example; one error per example that does not behave as declared."""
    errors: list[SourceError] = []
    tz = ruleset.tz
    for index, rule in enumerate(ruleset.rules):
        for k, ex in enumerate(rule.node.examples):
            label = f"example {ex.name!r}" if ex.name else f"example {k + 1}"
            try:
                at = literal_value(ex.at, tz, rule.filename, rule.source) if ex.at else None
                fragment = literal_value(ex.order, tz, rule.filename, rule.source)
                order = example_order(fragment, tz, f"EXAMPLE-{k + 1}", at)
                history = [
                    example_order(h, tz, f"EXAMPLE-{k + 1}-H{m + 1}", order.created_at)
                    for m, h in enumerate(literal_value(ex.history, tz, rule.filename,
                                                        rule.source) if ex.history else [])
                ]
                lists = _example_lists(ex, rule, ruleset)
            except SourceError as exc:
                errors.append(exc)
                continue
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                errors.append(_fail(ex, rule, f"{label}: order field {where}: {first['msg']}"))
                continue
            ctx = EvalContext(now=at or order.created_at,
                              history=MemoryHistory([order, *history]), timezone=tz,
                              lists=lists)
            ruleset.prefetch([order], ctx, [index])
            fired = ruleset.test(rule.id, order, ctx)
            if fired != ex.fires:
                why = "; ".join(ruleset.explain(rule.id, order, ctx))
                verb = "fire" if ex.fires else "not fire"
                errors.append(_fail(ex, rule, f"{label} of rule '{rule.id}' should {verb}, "
                                    f"but it {'did' if fired else 'did not'}", why))
    return errors


def _example_lists(ex: n.ExampleNode, rule: Rule, ruleset: RuleSet) -> ListSet:
    """The rule set's lists, with those the example spells out replaced by its contents: an
    example of a blacklist rule must not break when risk control edits the CSV."""
    if ex.lists is None:
        return ruleset.lists
    overrides = {}
    for name, value in ex.lists.pairs:
        base = ruleset.lists.get(name)
        if base is None:
            known = sorted(ruleset.lists.tables)
            raise SourceError(f"example lists: no list '{name}'",
                              SourceSpan(rule.filename, value.pos.line, value.pos.column),
                              source=rule.source, hint="lists: " + ", ".join(known)
                              if known else "add it to the lists/ folder")
        rows = literal_value(value, ruleset.tz, rule.filename, rule.source)
        if not isinstance(rows, list):
            raise SourceError("example lists: give each list as [entries]",
                              SourceSpan(rule.filename, value.pos.line, value.pos.column),
                              source=rule.source)
        overrides[name] = table_from_rows(name, base, rows)
    return ruleset.lists.replaced(overrides)


def probe_order(tz: tzinfo) -> Order:
    """An order with every field filled, for trying templates when they are checked."""
    created = datetime(2024, 6, 18, 12, 0, tzinfo=tz)
    return example_order({
        "id": "01J0000000000000000000PROBE", "platform_status": "WAIT_SELLER_SEND_GOODS",
        "paid_at": created, "modified_at": created, "shipped_at": created,
        "completed_at": created, "buyer_nick": "买家", "tracking_no": "SF0000000000",
        "buyer_message": "请尽快发货", "seller_memo": "备注",
        "receiver": {"name": "张三", "phone": "13800000000", "province": "浙江省",
                     "city": "杭州市", "district": "西湖区", "town": "西溪街道",
                     "address": "文三路 100 号"},
        "items": [{"line_id": "1", "platform_sku_id": "1", "sku": "SKU-1", "outer_item_id": "1",
                   "title": "商品", "properties": "颜色:红", "quantity": 1,
                   "unit_price": "10.00", "paid": "10.00", "attributes": {}}],
        "goods_total": "10.00", "payment": "10.00",
        "refund": {"status": "requested", "requested_at": created, "amount": "10.00"},
    }, tz, "PROBE-1")
