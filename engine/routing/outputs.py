"""Batch outputs of routing: the simulation's per-warehouse summary and pick-list files."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment

from ...sheets import safe_row
from .runtime import RouteResult
from .state import RoutingState
from .warehouses import Network


@dataclass
class WarehouseDay:
    code: str
    name: str
    assigned: int = 0
    diverted_in: int = 0
    diverted_out: int = 0
    stockouts: int = 0
    start_load: int = 0
    end_load: int = 0
    threshold: int | None = None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SimulationReport:
    """What a batch would do: per warehouse, and orders left without a warehouse."""

    warehouses: list[WarehouseDay]
    orders: int
    unassigned: int
    errors: int
    results: list[RouteResult] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"orders": self.orders, "unassigned": self.unassigned, "errors": self.errors,
                "warehouses": [w.as_json() for w in self.warehouses]}


def summarize(results: Sequence[RouteResult], network: Network, before: RoutingState,
              after: RoutingState) -> SimulationReport:
    days = {code: WarehouseDay(code, w.name, start_load=before.load.load(code),
                               end_load=after.load.load(code), threshold=w.threshold)
            for code, w in network.warehouses.items()}
    unassigned = errors = 0
    for r in results:
        if r.error:
            errors += 1
        if r.warehouse is None:
            unassigned += 1
        elif r.warehouse in days:
            days[r.warehouse].assigned += 1
            if r.diverted_from:
                days[r.warehouse].diverted_in += 1
                if r.diverted_from in days:
                    days[r.diverted_from].diverted_out += 1
        for step in r.trace.steps if r.trace else ():
            if step.type == "inventory":
                for code, ok, why in step.considered or ():
                    if not ok and why.startswith("out of stock") and code in days:
                        days[code].stockouts += 1
    return SimulationReport(list(days.values()), len(results), unassigned, errors, list(results))


PICK_LIST_HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>拣货单 {{ code }} {{ name }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #999;padding:4px 8px;text-align:left}th{background:#eee}
@media print{.noprint{display:none}}</style></head><body>
<h1>拣货单 · {{ name }} ({{ code }})</h1>
<p>{{ orders|length }} 单 · {{ total }} 件</p>
<table><thead><tr><th>订单</th><th>收货人</th><th>城市</th><th>商家编码</th><th>商品</th>
<th>规格</th><th>数量</th></tr></thead><tbody>
{% for o in orders %}{% for l in o.lines %}<tr><td>{{ o.order }}</td><td>{{ o.receiver or "" }}</td>
<td>{{ o.city or "" }}</td><td>{{ l.sku or "" }}</td><td>{{ l.title }}</td>
<td>{{ l.properties or "" }}</td><td>{{ l.quantity }}</td></tr>
{% endfor %}{% endfor %}</tbody></table>
<button class="noprint" onclick="window.print()">打印</button></body></html>
"""


def pick_lists(results: Sequence[RouteResult]) -> dict[str, list[dict[str, Any]]]:
    """Pick-list entries per warehouse, from the results' queued pick_list messages."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        for m in r.messages:
            if m.channel == "pick_list" and m.warehouse:
                out.setdefault(m.warehouse, []).append(m.payload)
    return out


def write_pick_lists(results: Sequence[RouteResult], folder: Path,
                     network: Network) -> list[Path]:
    """``pick-<CODE>.csv`` (UTF-8 with BOM, opens in Excel) and ``pick-<CODE>.html`` per
    warehouse.  Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    html = Environment(autoescape=True).from_string(PICK_LIST_HTML)
    written = []
    for code, orders in sorted(pick_lists(results).items()):
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["order", "receiver", "city", "sku", "title", "properties", "quantity"])
        for o in orders:
            for line in o["lines"]:
                w.writerow(safe_row([o["order"], o["receiver"], o["city"], line["sku"],
                                     line["title"], line["properties"], line["quantity"]]))
        csv_path = folder / f"pick-{code}.csv"
        csv_path.write_text(buf.getvalue(), encoding="utf-8-sig")
        name = network.warehouses[code].name if code in network.warehouses else code
        total = sum(line["quantity"] for o in orders for line in o["lines"])
        html_path = folder / f"pick-{code}.html"
        html_path.write_text(html.render(code=code, name=name, orders=orders, total=total),
                             encoding="utf-8")
        written += [csv_path, html_path]
    return written
