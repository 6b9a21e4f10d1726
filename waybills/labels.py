"""Labels, pick lists and packing slips rendered by orderhub as PDF (reportlab).

For carriers whose print data is not encrypted, for tests, and for the wave's paperwork.  A
label (100x180 mm 一联单, or 76x130 mm) carries the 大头笔 and 三段码 large, the waybill number
as a Code128 barcode with its digits, 集包地, receiver and sender, and an item summary.
Encrypted print data is never rendered here: only the platform's component may (reference
fulfilment.md §0).
"""

from __future__ import annotations

import csv
import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ..connectors.files import decode
from ..model import Order
from .config import Sender
from .fonts import cjk_font
from .store import WaybillRow

SIZES = {"100x180": (100 * mm, 180 * mm), "76x130": (76 * mm, 130 * mm)}
UNASSIGNED = "未分配"


@dataclass(frozen=True)
class LabelData:
    """What one label shows (from a waybill row, its order and the sender)."""

    waybill_code: str
    carrier: str
    sort_code: str
    short_address: str
    package_center: str
    receiver: str
    receiver_address: str
    sender: str
    sender_address: str
    items: str
    order: str

    @classmethod
    def of(cls, row: WaybillRow, order: Order, sender: Sender) -> LabelData:
        r = order.receiver
        place = "".join(x or "" for x in (r.province, r.city, r.district, r.town, r.address))
        items = "；".join(f"{i.title or i.sku} ×{i.quantity}" for i in order.items)
        return cls(row.waybill_code or "", row.carrier, row.sort_code or "",
                   row.short_address or "", row.package_center or "",
                   f"{r.name or ''} {r.phone or ''}".strip(), place,
                   f"{sender.name} {sender.mobile or sender.phone or ''}".strip(),
                   f"{sender.province}{sender.city}{sender.district or ''}{sender.town or ''}"
                   f"{sender.address}", items, order.label)


def render_labels(labels: Sequence[LabelData], path: Path, size: str = "100x180") -> Path:
    """One page per label."""
    width, height = SIZES[size]
    canvas = Canvas(str(path), pagesize=(width, height), pageCompression=1)
    canvas.setTitle("orderhub waybills")
    font = cjk_font()
    for label in labels:
        _label(canvas, label, width, height, font)
        canvas.showPage()
    canvas.save()
    return path


def _label(c: Canvas, d: LabelData, w: float, h: float, font: str) -> None:
    m = 3 * mm
    small = h < 150 * mm
    y = h - m
    c.setLineWidth(0.6)
    c.setFont(font, 9)
    c.drawString(m, y - 9, f"{d.carrier}  电子面单")
    c.drawRightString(w - m, y - 9, d.order)
    y -= 13
    c.line(m, y, w - m, y)
    c.setFont(font, 20 if small else 26)
    y -= 24 if small else 30
    c.drawString(m, y, d.short_address or "—")
    c.setFont(font, 14 if small else 18)
    c.drawRightString(w - m, y, d.sort_code)
    y -= 6
    c.line(m, y, w - m, y)
    y = _barcode(c, d.waybill_code, m, y, w - 2 * m, 16 * mm if small else 20 * mm, font)
    c.setFont(font, 9)
    c.drawString(m, y - 10, f"集包地：{d.package_center}")
    y -= 14
    c.line(m, y, w - m, y)
    y = _block(c, "收", d.receiver, d.receiver_address, m, y, w, font, 11 if small else 12)
    c.line(m, y, w - m, y)
    y = _block(c, "寄", d.sender, d.sender_address, m, y, w, font, 8)
    c.line(m, y, w - m, y)
    c.setFont(font, 8)
    for line in _wrap(f"物品：{d.items}", int((w - 2 * m) / 8))[:4]:
        y -= 10
        c.drawString(m, y, line)
    if y > 50 * mm:
        _stub(c, d, m, w, 42 * mm, font)


def _stub(c: Canvas, d: LabelData, m: float, w: float, top: float, font: str) -> None:
    """The lower part (收件人联): number again, receiver, items, cut along the dashes."""
    c.setDash(3, 2)
    c.line(0, top, w, top)
    c.setDash()
    y = _barcode(c, d.waybill_code, m, top - 2, w - 2 * m, 10 * mm, font)
    c.setFont(font, 8)
    c.drawString(m, y - 8, f"收：{d.receiver}  {d.order}")
    for line in _wrap(f"物品：{d.items}", int((w - 2 * m) / 8))[:2]:
        y -= 10
        c.drawString(m, y - 8, line)


def _barcode(c: Canvas, code: str, x: float, top: float, width: float, height: float,
             font: str) -> float:
    """Code128 across the label, as wide as fits (wider bars scan better), digits below.

    The bars come from reportlab's Code128 encoder and go out as one filled path (a thousand
    labels draw in a fraction of the time reportlab's per-bar rectangles take)."""
    modules = _code128_modules(code)
    total = sum(w for _, w in modules) or 1
    bar = max(0.6, min(1.6, width / total))
    at = x + (width - total * bar) / 2
    bottom = top - height - 4
    path = c.beginPath()
    for is_bar, w in modules:
        if is_bar:
            path.rect(at, bottom, w * bar, height)
        at += w * bar
    c.drawPath(path, stroke=0, fill=1)
    c.setFont(font, 11)
    c.drawCentredString(x + width / 2, top - height - 16, code)
    return top - height - 20


def _code128_modules(code: str) -> list[tuple[bool, int]]:
    """(is a bar, width in modules) for ``code``: reportlab's encoding, decomposed."""
    barcode = Code128(code, barWidth=1, quiet=0)
    barcode.validate()
    barcode.encode()
    barcode.decompose()
    return [(ch.isupper(), ord(ch.lower()) - ord("a") + 1) for ch in barcode.decomposed]


def _block(c: Canvas, tag: str, who: str, where: str, m: float, y: float, w: float,
           font: str, size: int) -> float:
    c.setFont(font, size + 2)
    c.drawString(m, y - size - 3, tag)
    c.setFont(font, size)
    c.drawString(m + size + 8, y - size - 3, who)
    lines = _wrap(where, int((w - 2 * m - size - 8) / size))
    for i, line in enumerate(lines[:3]):
        c.drawString(m + size + 8, y - (size + 3) * (i + 2), line)
    return y - (size + 3) * (min(len(lines), 3) + 1) - 6


def _wrap(text: str, width: int) -> list[str]:
    """Cut text into lines of about ``width`` full-width characters (ASCII counts half)."""
    lines, line, used = [], "", 0.0
    for ch in text:
        step = 0.55 if ch.isascii() else 1.0
        if used + step > width and line:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += step
    if line:
        lines.append(line)
    return lines


# -- pick lists and packing slips ----------------------------------------------------------


def load_locations(path: Path | None) -> dict[str, str]:
    """``sku,location`` CSV (UTF-8 or GBK) -> {sku: location}; none -> empty."""
    if path is None or not path.is_file():
        return {}
    text, _ = decode(path.read_bytes())
    return {row["sku"].strip(): (row.get("location") or "").strip()
            for row in csv.DictReader(text.splitlines()) if (row.get("sku") or "").strip()}


@dataclass(frozen=True)
class PickLine:
    location: str
    sku: str
    title: str
    quantity: int
    orders: int


def pick_lines(orders: Sequence[Order], locations: dict[str, str]) -> list[PickLine]:
    """The wave's items by SKU, sorted by location then SKU (unlocated SKUs last)."""
    qty: dict[str, int] = defaultdict(int)
    count: dict[str, set[str]] = defaultdict(set)
    titles: dict[str, str] = {}
    for o in orders:
        for i in o.items:
            sku = i.sku or i.platform_sku_id or "?"
            qty[sku] += i.quantity
            count[sku].add(o.label)
            titles.setdefault(sku, i.title)
    lines = [PickLine(locations.get(s) or UNASSIGNED, s, titles[s], qty[s], len(count[s]))
             for s in qty]
    return sorted(lines, key=lambda p: (p.location == UNASSIGNED, p.location, p.sku))


def render_pick_list(wave: str, warehouse: str, lines: Sequence[PickLine], path: Path) -> Path:
    font = cjk_font()
    c = Canvas(str(path), pagesize=A4)
    c.setTitle(f"拣货单 {wave}")
    w, h = A4
    cols = [(15 * mm, "库位"), (45 * mm, "SKU"), (85 * mm, "商品"), (165 * mm, "数量"),
            (182 * mm, "单数")]
    y = 0.0

    def header() -> float:
        c.setFont(font, 14)
        c.drawString(15 * mm, h - 18 * mm, f"拣货单  波次 {wave}  仓库 {warehouse}")
        c.setFont(font, 9)
        c.drawRightString(w - 15 * mm, h - 18 * mm,
                          datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
        for x, title in cols:
            c.drawString(x, h - 28 * mm, title)
        c.line(15 * mm, h - 30 * mm, w - 15 * mm, h - 30 * mm)
        return h - 36 * mm

    y = header()
    for line in lines:
        if y < 15 * mm:
            c.showPage()
            y = header()
        c.setFont(font, 9)
        values = [line.location, line.sku, line.title[:22], str(line.quantity),
                  str(line.orders)]
        for (x, _), value in zip(cols, values, strict=True):
            c.drawString(x, y, value)
        y -= 6 * mm
    c.setFont(font, 10)
    c.drawString(15 * mm, max(y - 4 * mm, 10 * mm),
                 f"合计 {sum(p.quantity for p in lines)} 件，{len(lines)} 个 SKU")
    c.save()
    return path


def render_slips(pairs: Sequence[tuple[WaybillRow, Order]], path: Path,
                 size: str = "100x180") -> Path:
    """Packing slips (发货清单): one page per order, its waybill barcode for the scan."""
    width, height = SIZES[size]
    font = cjk_font()
    c = Canvas(str(path), pagesize=(width, height))
    c.setTitle("发货清单")
    m = 4 * mm
    for row, order in pairs:
        y = height - m - 12
        c.setFont(font, 12)
        c.drawString(m, y, f"发货清单  {order.label}")
        y = _barcode(c, row.waybill_code or "", m, y - 4, width - 2 * m, 12 * mm, font)
        c.setFont(font, 9)
        for item in order.items:
            for line in _wrap(f"{item.sku or ''}  {item.title}  ×{item.quantity}",
                              int((width - 2 * m) / 9)):
                y -= 12
                c.drawString(m, y, line)
        if order.buyer_message:
            y -= 16
            c.drawString(m, y, f"买家留言：{order.buyer_message[:40]}")
        c.showPage()
    c.save()
    return path


def render_wave(rows: Sequence[WaybillRow], orders: dict[str, Order], sender: Sender,
                out: Path, *, wave: str, warehouse: str, locations: dict[str, str],
                size: str = "100x180") -> dict[str, Any]:
    """Labels at ``out``, the pick list and packing slips beside it; returns the paths."""
    from ..connectors.carriers import CarrierTable
    from .scan import carrier_code

    table = CarrierTable.load()
    names = {(r.platform, r.carrier): table.rows[code].name if (code := carrier_code(
        table, r.platform, r.carrier)) in table.rows else r.carrier for r in rows}
    labels = [dataclasses.replace(LabelData.of(r, orders[r.order_id], sender),
                                  carrier=names[(r.platform, r.carrier)]) for r in rows]
    pick = out.with_name(f"{out.stem}-picklist.pdf")
    slips = out.with_name(f"{out.stem}-slips.pdf")
    render_labels(labels, out, size)
    render_pick_list(wave, warehouse, pick_lines([orders[r.order_id] for r in rows], locations),
                     pick)
    render_slips([(r, orders[r.order_id]) for r in rows], slips, size)
    return {"labels": str(out), "pick_list": str(pick), "packing_slips": str(slips),
            "count": len(labels)}
