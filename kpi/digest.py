"""The weekly digest: last week's KPIs beside the week before, and the people who carried it,
as WeCom markdown through the outbox (one message per week: its key is the week).

The service's leader runs :func:`send_weekly_digest` at ``kpi.digest.day`` / ``time`` in the
shops' timezone (service/jobs.py); the outbox's WeCom channel delivers it with retries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..service.schema import outbox
from ..store.bulk import insert_ignore
from .board import ranks
from .periods import KpiPeriod, last_week, previous
from .report import report

#: WeCom refuses markdown over 4096 bytes.
MAX_BYTES = 4096


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and unit == "%":
        return f"{value * 100:.1f}%"
    return f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}"


def _delta(now: Any, before: Any, unit: str = "") -> str:
    if now is None or before is None:
        return ""
    diff = now - before
    if unit == "%":
        return f"（{'+' if diff >= 0 else ''}{diff * 100:.1f} 个百分点）"
    return f"（{'+' if diff >= 0 else ''}{diff:g}{unit}）"


def markdown(result: dict[str, Any], *, top: int = 5) -> str:
    """The digest text for a :func:`~orderhub.kpi.report.report` grouped by person."""
    t = result["totals"]
    before = result.get("compare", {}).get("totals", {})
    p = result["period"]

    def line(label: str, kpi: str, figure: str, unit: str = "") -> str:
        value = t[kpi][figure]
        old = before.get(kpi, {}).get(figure)
        shown = f'<font color="info">{_fmt(value, unit)}</font>'
        return f"> {label}：{shown}{_delta(value, old, unit)}"

    lines = [f"## 运营周报 {p['label']}（{p['from']} ~ {p['to']}）",
             line("发货单量", "pay_to_ship", "orders"),
             line("付款→发货 中位数", "pay_to_ship", "median_hours", " 小时"),
             line("付款→发货 P90", "pay_to_ship", "p90_hours", " 小时"),
             line("按时发货率", "pay_to_ship", "within_deadline_share", "%"),
             line("异常响应 中位数", "exception_response", "median_minutes", " 分钟"),
             line("异常 SLA 内响应率", "exception_response", "within_sla_share", "%"),
             line("超时异常", "exception_response", "breached"),
             line("错发率（售后）", "mis_shipment", "rate", "%"),
             line("扫描拦下错货", "mis_shipment", "caught_at_scan"),
             line("人效（单/人/天）", "throughput", "orders_per_person_day"),
             line("发货前拦截", "interceptions", "before_release"),
             line("分仓改派", "routing", "diverted_in"),
             line("缺货", "routing", "stockouts")]
    ranked = ranks(result, top=top)
    if ranked["shipped"]:
        lines.append("\n**发货榜**")
        lines += [f"{i}. {r['person']}：{r['orders']} 单"
                  for i, r in enumerate(ranked["shipped"], 1)]
    if ranked["handled"]:
        lines.append("\n**异常处理榜**")
        lines += [f"{i}. {r['person']}：{r['exceptions']} 件，中位 "
                  f"{_fmt(r['median_minutes'])} 分钟"
                  for i, r in enumerate(ranked["handled"], 1)]
    text = "\n".join(lines)
    while len(text.encode()) > MAX_BYTES:
        lines.pop()
        text = "\n".join(lines)
    return text


def weekly(ws: Any, period: KpiPeriod, now: datetime | None = None) -> dict[str, Any]:
    """The report the digest is made from: ``period`` by person, beside the week before."""
    return report(ws, period, by="person", compare=previous(period), now=now)


def send_weekly_digest(ws: Any, now: datetime | None = None) -> str:
    """Queue last week's digest on the WeCom channel (once per week); returns the text."""
    now = now or datetime.now(UTC)
    period = last_week(now, ws.config.timezone)
    text = markdown(weekly(ws, period, now))
    with ws.store.engine.begin() as conn:
        insert_ignore(conn, outbox, [{
            "kind": "wecom", "idempotency_key": f"kpi-digest:{period.label}", "order_id": None,
            "payload": {"msgtype": "markdown", "content": text}, "status": "pending",
            "attempts": 0, "next_attempt_at": now, "created_at": now}])
    return text
