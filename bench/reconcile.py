"""Benchmark: 100,000 orders against 100,000 settlement lines on SQLite, to a finished report.

Setup (not timed in the headline figure): 100,000 orders stored through ``OrderStore.upsert``,
and two bills written as files (an Alipay 账务明细 CSV in GBK with its ``#`` lines, and a PDD
daily bill) holding 100,000 lines with a few planted differences.  Timed: importing the bills,
and ``reconcile`` + ``write_reports`` (HTML, XLSX, CSV).  Goal: report in under 10 s.

    python bench/reconcile.py [--orders 100000] [--db PATH]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from orderhub.finance import Period, import_settlements, reconcile, write_reports
from orderhub.model import Order, OrderStatus, Platform
from orderhub.store import OrderStore

TZ = ZoneInfo("Asia/Shanghai")
ALIPAY_COLS = ["账务流水号", "业务流水号", "商户订单号", "商品名称", "发生时间", "对方账号",
               "收入金额（+元）", "支出金额（-元）", "账户余额（元）", "交易渠道", "业务类型",
               "备注"]
PDD_COLS = ["商户订单号", "发生时间", "收入金额（+元）", "支出金额（-元）", "账务类型", "备注",
            "业务描述"]


def make_orders(n: int, rng: random.Random) -> list[Order]:
    out = []
    base = datetime(2025, 10, 25, tzinfo=TZ)
    for i in range(n):
        taobao = i % 2 == 0
        # 1 in 6 orders completes at the end of November: not due, no settlement line yet
        created = base + timedelta(minutes=i % 20000) if i % 6 != 5 else \
            datetime(2025, 11, 20, tzinfo=TZ)
        payment = Decimal(rng.randint(990, 49900)).scaleb(-2)
        out.append(Order(
            platform=Platform.taobao if taobao else Platform.pdd,
            platform_order_no=f"39{i:017d}" if taobao else f"251101-{i:015d}",
            status=OrderStatus.completed, created_at=created, paid_at=created,
            modified_at=created + timedelta(days=8), shipped_at=created + timedelta(days=1),
            completed_at=created + timedelta(days=8), goods_total=payment, payment=payment,
        ))
    return out


def write_bills(orders: list[Order], folder: Path, rng: random.Random) -> tuple[Path, Path, int]:
    """A goods line for 5 orders in 6, a fee line for 1 in 5 of those (so lines ~= orders),
    and planted faults: amount mismatches, orphans, fee rates out of band, double payments."""
    alipay, pdd = [], []
    lines = 0
    for i, order in enumerate(orders):
        if i % 6 == 5:
            continue
        when = (order.completed_at or order.created_at).strftime("%Y-%m-%d %H:%M:%S")
        amount = order.payment
        if i % 997 == 0:
            amount -= Decimal("3.00")  # amount mismatch
        number = order.platform_order_no if i % 1999 else order.platform_order_no + "9"  # orphan
        fee = (amount * Decimal("0.006")).quantize(Decimal("0.01")) if i % 5 == 0 else None
        if i % 4000 == 0:
            fee = (amount * Decimal("0.2")).quantize(Decimal("0.01"))  # fee rate out of band
        if i % 3001 == 0 and order.platform == Platform.pdd:  # paid twice
            pdd.append([number, when, str(amount), "", "交易收入", "", "订单收入"])
            lines += 1
        if order.platform == Platform.taobao:
            alipay.append([f"2025{i:024d}", f"B{i}", f"T200P{number}", "商品", when, "buyer",
                           str(amount), "", "0", "支付宝", "交易付款", "商品"])
            if fee is not None:
                alipay.append([f"2025{i:024d}F", f"B{i}F", "", "", when, "tmall", "", str(fee),
                               "0", "支付宝", "收费", f"技术服务费 订单号{number}"])
        else:
            pdd.append([number, when, str(amount), "", "交易收入", "", "订单收入"])
            if fee is not None:
                pdd.append([number, when, "", f"-{fee}", "技术服务费", "", "技术服务费"])
        lines += 1 + (fee is not None)
    a_path, p_path = folder / "alipay.csv", folder / "pdd.csv"
    buf = io.StringIO()
    buf.write("#支付宝账务明细查询\r\n#账号：[20880000000000000000]\r\n")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c + "\t" for c in ALIPAY_COLS])
    w.writerows([[c + "\t" for c in row] for row in alipay])
    buf.write("#导出时间：[2025年12月01日 09:00:00]\r\n")
    a_path.write_bytes(buf.getvalue().encode("gbk"))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(PDD_COLS)
    w.writerows(pdd)
    p_path.write_text(buf.getvalue(), encoding="utf-8")
    return a_path, p_path, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary folder)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="orderhub-bench-"))
    db = args.db or folder / "bench.db"
    rng = random.Random(7)
    store = OrderStore.open(f"sqlite:///{db}")

    t0 = time.perf_counter()
    orders = make_orders(args.orders, rng)
    for i in range(0, len(orders), 5000):
        store.upsert(orders[i : i + 5000])
    t_orders = time.perf_counter() - t0
    a_path, p_path, lines = write_bills(orders, folder, rng)
    print(f"setup: {len(orders):,} orders stored in {t_orders:.1f} s; {lines:,} settlement lines "
          f"in 2 files ({a_path.stat().st_size / 1e6:.1f} MB GBK + "
          f"{p_path.stat().st_size / 1e6:.1f} MB UTF-8)")

    t0, c0 = time.perf_counter(), time.process_time()
    summary = import_settlements(store, [a_path, p_path])
    t_import = time.perf_counter() - t0
    print(f"import: {summary.new:,} lines in {t_import:.2f} s "
          f"(CPU {time.process_time() - c0:.2f} s) "
          f"({summary.new / t_import:,.0f} lines/s), {summary.rejected} rejected")

    t0, c0 = time.perf_counter(), time.process_time()
    rec = reconcile(store, Period.month("2025-11"))
    t_rec = time.perf_counter() - t0
    files = write_reports(rec, folder / "report")
    t_total = time.perf_counter() - t0
    cpu_total = time.process_time() - c0
    s = rec.summary()
    print(f"reconcile: {t_rec:.2f} s; reports written: {t_total - t_rec:.2f} s")
    print(f"orders matched {s['orders']:,}, lines {s['lines']:,}, differences "
          f"{s['differences']:,} {s['by_kind']}")
    print(f"sizes: html {files.html.stat().st_size / 1e6:.1f} MB, "
          f"xlsx {files.xlsx.stat().st_size / 1e6:.1f} MB")
    print(f"RESULT: {args.orders:,} orders vs {lines:,} settlement lines -> finished report in "
          f"{t_total:.2f} s wall, {cpu_total:.2f} s CPU (goal < 10 s; on a shared machine read "
          f"the CPU figure); with import {t_total + t_import:.2f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
