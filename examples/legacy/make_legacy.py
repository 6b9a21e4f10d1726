"""Make the messy legacy order export used by the migration walkthrough and tests.

Deterministic (fixed seed): ``python examples/legacy/make_legacy.py`` rewrites
``legacy-orders.csv`` (GBK, as an old ERP writes it) and ``status-map.xlsx`` beside this file.
``generate(n)`` is also used by ``bench/migrate.py`` for large files.

The mess is what real exports from old systems and hand-kept sheets contain: five date forms
and Excel serial numbers, full-width digits, phones with +86/dashes/spaces, amounts with ￥, 元
and thousands commas, stray and full-width spaces, status synonyms, blanks, repeated rows, and
a few rows that are plainly broken.  The special rows sit at fixed places so their row numbers
are stable (the tests assert them).
"""

from __future__ import annotations

import csv
import io
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HEADER = ["订单编号", "平台", "店铺", "下单时间", "付款时间", "买家昵称", "收货人", "手机",
          "收货地址", "商品名称", "商家编码", "单价", "数量", "运费", "实付金额", "订单状态",
          "备注"]
STATUS_TABLE = [
    ("待付款", "pending_payment"), ("未付款", "pending_payment"),
    ("已付款", "paid"), ("支付成功", "paid"), ("交易成立", "paid"), ("待发货", "paid"),
    ("已发货", "shipped"), ("发货完成", "shipped"), ("运输中", "shipped"),
    ("已签收", "completed"), ("交易完成", "completed"), ("已完成", "completed"),
    ("已取消", "cancelled"), ("交易关闭", "cancelled"),
    ("退款中", "refunding"), ("已退款", "refunded"), ("退款成功", "refunded"),
]
_WEIGHTS = {"待付款": 3, "未付款": 2, "已付款": 8, "支付成功": 6, "交易成立": 5, "待发货": 4,
            "已发货": 8, "发货完成": 5, "运输中": 3, "已签收": 4, "交易完成": 12, "已完成": 6,
            "已取消": 3, "交易关闭": 2, "退款中": 2, "已退款": 3, "退款成功": 2}
PLATFORMS = [("淘宝", "家居优选淘宝店"), ("天猫", "家居优选天猫旗舰店"), ("京东", "家居优选京东店"),
             ("拼多多", "家居优选拼多多店"), ("抖音", "家居优选抖音小店"), ("线下", "杭州西湖门店")]
PRODUCTS = [("SKU-A001", "北欧陶瓷马克杯 350ml", "39.90"),
            ("SKU-A002", "竹纤维毛巾三条装", "29.90"),
            ("SKU-B101", "乳胶枕 成人款", "159.00"), ("SKU-B205", "纯棉四件套 1.8m", "299.00"),
            ("SKU-C310", "不锈钢保温杯 500ml", "79.00"), ("SKU-C402", "硅胶厨房铲", "19.90"),
            ("SKU-D018", "香薰蜡烛礼盒", "128.00"), ("SKU-E777", "冷冻水饺 1kg", "45.50")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "明", "超", "秀兰", "霞"]
ADDRESSES = ["浙江省杭州市西湖区文三路{n}号", "上海市浦东新区张江路{n}弄{m}号",
             "广东省深圳市南山区科技园南区{n}栋", "北京市朝阳区建国路{n}号院{m}号楼",
             "江苏省南京市鼓楼区中山北路{n}号", "四川省成都市武侯区天府大道{n}号",
             "湖北省武汉市洪山区珞喻路{n}号", "山东省青岛市市南区香港中路{n}号"]
MEMOS = ["", "", "", "", "请尽快发货", "送礼，不要放发票", "周末送货", "老客户"]
_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def _order_no(rng: random.Random, platform: str, when: datetime) -> str:
    if platform in ("淘宝", "天猫"):
        return str(rng.randrange(10**18, 4 * 10**18))
    if platform == "京东":
        return str(rng.randrange(2 * 10**11, 4 * 10**11))
    if platform == "拼多多":
        return f"{when:%y%m%d}-{rng.randrange(10**14, 10**15)}"
    if platform == "抖音":
        return f"69{rng.randrange(10**16, 10**17)}"
    return f"XS{when:%Y%m%d}{rng.randrange(1000, 10000)}"


def _date(rng: random.Random, when: datetime, form: int) -> str:
    y, m, d, hh, mm, ss = when.year, when.month, when.day, when.hour, when.minute, when.second
    if form == 0:
        return f"{y}/{m}/{d} {hh}:{mm:02d}"
    if form == 1:
        return f"{y}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}"
    if form == 2:
        return f"{y}年{m}月{d}日 {hh}时{mm}分"
    if form == 3:
        return f"{y}{m:02d}{d:02d}"
    if form == 4:  # what Excel leaves behind when a date column is re-saved as a number
        serial = (when.replace(second=0) - datetime(1899, 12, 30)).total_seconds() / 86400
        return f"{serial:.6f}"
    if form == 5:
        return f"{y}/{m}/{d} {hh}:{mm:02d}".translate(_FULL)
    return f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}"


def _phone(rng: random.Random) -> str:
    digits = f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}"
    form = rng.randrange(8)
    if form == 1:
        return f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
    if form == 2:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if form == 3:
        return f"0086-{digits}"
    if form == 4:
        return digits.translate(_FULL)
    if form == 5:
        return f"'{digits}"
    if form == 6 and rng.random() < 0.5:
        return f"0571-{rng.randrange(10**7, 10**8)}"
    return digits


def _money(rng: random.Random, value: float) -> str:
    text = f"{value:,.2f}"
    form = rng.randrange(7)
    if form == 1:
        return f"￥{text}"
    if form == 2:
        return f"{value:.2f}元"
    if form == 3:
        return f"{value:.2f}".translate(_FULL)
    if form == 4:
        return f"RMB {value:.2f}"
    return text if form == 5 else f"{value:.2f}"


def _messy(rng: random.Random, text: str) -> str:
    form = rng.randrange(6)
    if form == 1:
        return f" {text} "
    if form == 2:
        return f"\u3000{text}"
    if form == 3:
        return text.replace("路", "路  ", 1)
    return text


def _row(rng: random.Random, start: datetime, span_days: int) -> list[str]:
    platform, shop = PLATFORMS[rng.randrange(len(PLATFORMS))]
    when = start + timedelta(seconds=rng.randrange(span_days * 86400))
    status = rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()))[0]
    sku, title, price = PRODUCTS[rng.randrange(len(PRODUCTS))]
    qty = rng.choice((1, 1, 1, 2, 2, 3))
    freight = rng.choice((0.0, 0.0, 6.0, 10.0))
    paid = float(price) * qty + freight
    pay_time = "" if status in ("待付款", "未付款") else \
        _date(rng, when + timedelta(seconds=rng.randrange(30, 1800)), rng.randrange(7))
    address = rng.choice(ADDRESSES).format(n=rng.randrange(1, 999), m=rng.randrange(1, 30))
    if rng.random() < 0.15:
        address = address.translate(_FULL)
    return [
        _order_no(rng, platform, when), platform, shop, _date(rng, when, rng.randrange(7)),
        pay_time, f"tb_{rng.randrange(10**5, 10**6)}" if rng.random() < 0.8 else "",
        _messy(rng, rng.choice(SURNAMES) + rng.choice(GIVEN)), _phone(rng),
        _messy(rng, address), title, sku, price, str(qty), _money(rng, freight),
        _money(rng, paid), status, rng.choice(MEMOS),
    ]


def generate(n: int, seed: int = 20250301) -> list[list[str]]:
    """``n`` messy but importable rows (no deliberate errors), for benchmarks."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1)
    return [_row(rng, start, 900) for _ in range(n)]


def example_rows() -> list[list[str] | str]:
    """The walkthrough file: 285 ordinary rows plus the special ones at fixed places.

    A ``str`` item is a raw line written as it is (a broken row).
    """
    rows: list[list[str] | str] = list(generate(285, seed=8))
    c = {h: i for i, h in enumerate(HEADER)}

    def variant(base: int, **changes: str) -> list[str]:
        row = list(rows[base])  # type: ignore[arg-type]
        for name, value in changes.items():
            row[c[name]] = value
        return row

    # Special rows, inserted from the end so the positions below are final data-row indexes
    # (CSV line = index + 2).
    specials: list[tuple[int, list[str] | str]] = [
        (10, variant(3, 订单编号="")),                                  # blank order number
        (25, variant(4, 订单编号="2999000000000000025", 下单时间="")),    # blank created time
        (40, variant(5, 订单编号="2999000000000000040", 下单时间="2024/2/30 10:00")),
        (55, variant(6, 订单编号="2999000000000000055", 手机="12345")),
        (70, variant(7, 订单编号="2999000000000000070", 实付金额="面议")),
        (85, variant(8, 订单编号="2999000000000000085", 订单状态="已发贷")),
        (100, variant(9, 订单编号="2999000000000000100", 订单状态="已发贷")),
        (115, variant(11, 订单编号="2999000000000000115", 订单状态="")),
        (130, variant(12, 订单编号="2999000000000000130", 平台="亚马逊")),
        # the same order number as an earlier row, with another amount: a conflict
        (145, variant(18, 实付金额="1.00")),
        # an address with an unquoted comma: one cell too many
        (160, ",".join(variant(13, 订单编号="2999000000000000160")[:8])
         + ",浙江省杭州市,上城区解放路1号," + ",".join(variant(13)[9:])),
        (175, ",".join(variant(14, 订单编号="2999000000000000175")[:12])),  # cut short
        # repeated rows: identical after cleaning (some in another date form), not rejects
        (190, variant(20, 下单时间=rows[20][c["下单时间"]].translate(_FULL))),
        (205, variant(21)),
        (220, variant(22, 收货人=f" {rows[22][c['收货人']]} ")),
        (235, variant(30)),
        (250, variant(31)),
        (265, variant(32)),
    ]
    for index, row in specials:
        rows.insert(index, row)
    return rows


def write_csv(path: Path, rows: list[list[str] | str], encoding: str = "gbk") -> None:
    """CSV as Excel on a Chinese Windows writes it: GBK, CRLF."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        if isinstance(row, str):
            buf.write(row + "\r\n")
        else:
            writer.writerow(row)
    path.write_bytes(buf.getvalue().encode(encoding))


def write_status_map(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "状态对照"
    sheet.append(["旧系统状态", "新状态"])
    for old, new in STATUS_TABLE:
        sheet.append([old, new])
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 18
    book.properties.created = datetime(2025, 3, 1)
    save_reproducibly(book, path, book.properties.created)


def save_reproducibly(book: Any, path: Path, when: datetime) -> None:
    """Save an openpyxl workbook so that the same content gives the same bytes.

    openpyxl stamps the save time twice: ``dcterms:modified`` in docProps/core.xml and each
    ZIP entry's date.  Both are set to ``when`` here, entries kept in openpyxl's order."""
    import re
    import zipfile

    buf = io.BytesIO()
    book.save(buf)
    stamp = f"{when:%Y-%m-%dT%H:%M:%SZ}".encode()
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, data)
    path.write_bytes(out.getvalue())


def main(out: Path = HERE) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "legacy-orders.csv", example_rows())
    write_status_map(out / "status-map.xlsx")
    print(f"wrote {out / 'legacy-orders.csv'} and {out / 'status-map.xlsx'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
