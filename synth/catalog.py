"""The merchant catalog: ~30 SKUs a home/baby/food shop sells on all four platforms.

Merchant SKU codes (商家编码) are what the hub routes on (cold-chain goods ship
from the Shanghai cold warehouse), so they are stable, readable strings.
Platform-side ids (num_iid, skuId, goods_id, product_id...) are derived from
the code with a hash so every run gives the same ids.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

HOME, BABY, FOOD = "家居日用", "母婴用品", "食品"


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    title: str
    category: str
    cold_chain: bool
    weight_kg: Decimal
    price: Decimal
    spec: tuple[tuple[str, str], ...]

    item_code: str = ""  # merchant item code (商品编码/货号): the SKU code minus its variant
    price_fen: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "item_code", self.sku.rsplit("-", 1)[0])
        object.__setattr__(self, "price_fen", int(self.price * 100))


# sku|title|category|cold|weight|price|spec name:value;...
_TABLE = f"""
HJ-TOWEL-001|纯棉加厚毛巾 3条装|{HOME}|0|0.35|29.90|颜色分类:灰色;规格:3条装
HJ-TOWEL-002|纯棉大浴巾 70x140cm|{HOME}|0|0.55|49.90|颜色分类:米白;尺寸:70x140cm
HJ-PILLOW-001|记忆棉护颈枕头|{HOME}|0|1.20|89.00|颜色分类:白色;款式:护颈款
HJ-QUILT-001|冬季加厚棉被 200x230cm|{HOME}|0|3.20|199.00|尺寸:200x230cm;重量:6斤
HJ-MOP-001|免手洗平板拖把|{HOME}|0|1.50|59.90|套餐:拖把+2块布
HJ-HANGER-020|防滑无痕衣架 20只装|{HOME}|0|0.80|25.90|颜色分类:灰色;规格:20只装
HJ-BOX-003|加厚塑料收纳箱 大号3件套|{HOME}|0|2.50|69.00|规格:大号3件套
HJ-CUP-500|304不锈钢保温杯 500ml|{HOME}|0|0.45|79.00|颜色分类:雾蓝;容量:500ml
HJ-TISSUE-024|原木抽纸 24包整箱|{HOME}|0|4.00|45.90|规格:24包整箱
HJ-SLIPPER-001|居家加绒棉拖鞋|{HOME}|0|0.40|19.90|颜色分类:咖色;尺码:40-41
MY-DIAPER-L|婴儿纸尿裤 L码 54片|{BABY}|0|1.60|99.00|尺码:L;规格:54片
MY-DIAPER-XL|婴儿纸尿裤 XL码 44片|{BABY}|0|1.60|99.00|尺码:XL;规格:44片
MY-WIPES-080|婴儿手口湿巾 80抽x6包|{BABY}|0|2.10|35.90|规格:80抽x6包
MY-BOTTLE-240|PPSU宽口径奶瓶 240ml|{BABY}|0|0.30|128.00|容量:240ml;奶嘴:M号
MY-FORMULA-3|婴幼儿配方奶粉 3段 800g|{BABY}|0|1.00|268.00|段数:3段;规格:800g
MY-BIB-005|婴儿防水围兜 5条装|{BABY}|0|0.20|29.90|规格:5条装
MY-BATH-400|婴儿洗发沐浴露二合一 400ml|{BABY}|0|0.50|45.00|容量:400ml
MY-TEETHER-01|婴儿硅胶牙胶|{BABY}|0|0.05|9.90|颜色分类:小熊款
SP-NUTS-750|每日坚果 750g 30袋|{FOOD}|0|0.85|89.90|规格:750g/30袋
SP-RICE-5KG|东北五常大米 5kg|{FOOD}|0|5.10|69.90|规格:5kg
SP-TEA-250|武夷山大红袍岩茶 250g|{FOOD}|0|0.30|128.00|规格:250g礼盒
SP-NOODLE-12|非油炸方便面 12袋|{FOOD}|0|1.30|32.80|口味:红烧牛肉;规格:12袋
SP-HONEY-500|东北椴树蜂蜜 500g|{FOOD}|0|0.70|58.00|规格:500g
CC-DUMPLING-1KG|手工猪肉白菜水饺 1kg|{FOOD}|1|1.10|39.90|口味:猪肉白菜;规格:1kg
CC-ICECREAM-6|香草冰淇淋 6支装|{FOOD}|1|0.60|49.90|口味:香草;规格:6支装
CC-MILK-1L|低温鲜牛奶 1L|{FOOD}|1|1.05|15.80|规格:1L
CC-YOGURT-6|低温原味酸奶 6杯|{FOOD}|1|0.90|29.90|口味:原味;规格:100gx6杯
CC-SHRIMP-500|冷冻大虾仁 500g|{FOOD}|1|0.60|68.00|规格:500g
CC-SALMON-300|冰鲜三文鱼刺身 300g|{FOOD}|1|0.45|89.00|规格:300g
CC-CRAB-4|鲜活大闸蟹 4只装|{FOOD}|1|1.50|168.00|规格:公3.5两母2.5两 4只
CC-TANGYUAN-500|黑芝麻汤圆 500g|{FOOD}|1|0.55|19.90|口味:黑芝麻;规格:500g
"""


def _parse(table: str) -> tuple[Product, ...]:
    out = []
    for line in table.strip().splitlines():
        sku, title, cat, cold, weight, price, spec = line.split("|")
        pairs = tuple(tuple(p.split(":", 1)) for p in spec.split(";"))
        out.append(Product(sku, title, cat, cold == "1", Decimal(weight), Decimal(price),
                           pairs))  # type: ignore[arg-type]
    return tuple(out)


CATALOG: tuple[Product, ...] = _parse(_TABLE)
BY_SKU: dict[str, Product] = {p.sku: p for p in CATALOG}
COLD_CHAIN: tuple[Product, ...] = tuple(p for p in CATALOG if p.cold_chain)

# Digits of each platform's own ids: (item id digits, sku id digits).
_ID_DIGITS = {"taobao": (12, 13), "jd": (12, 12), "pdd": (11, 12), "douyin": (19, 16)}
_ID_LEAD = {"taobao": ("6", "5"), "jd": ("10", "10"), "pdd": ("5", "1"), "douyin": ("36", "17")}


def _stable_digits(text: str, lead: str, digits: int) -> str:
    h = int.from_bytes(hashlib.sha256(text.encode()).digest()[:12], "big")
    body = digits - len(lead)
    return lead + str(h % 10**body).zfill(body)


def platform_ids(platform: str, product: Product) -> tuple[str, str]:
    """(platform item id, platform sku id) for a product on a platform; stable across runs."""
    item_digits, sku_digits = _ID_DIGITS[platform]
    item_lead, sku_lead = _ID_LEAD[platform]
    return (_stable_digits(f"{platform}:item:{product.item_code}", item_lead, item_digits),
            _stable_digits(f"{platform}:sku:{product.sku}", sku_lead, sku_digits))


PLATFORM_IDS: dict[str, dict[str, tuple[str, str]]] = {
    pf: {p.sku: platform_ids(pf, p) for p in CATALOG} for pf in _ID_DIGITS
}

CATALOG_COLUMNS = ("sku", "title", "category", "cold_chain", "weight_kg", "price", "barcode")


def barcode(index: int) -> str:
    """The EAN-13 of the ``index``-th product (0-based): 69 (a China prefix), ten digits, and
    the check digit; what the warehouse scans to verify a parcel."""
    from ..catalog import ean13_check_digit

    first12 = f"69{index + 1:010d}"
    return first12 + str(ean13_check_digit(first12))


def write_catalog_csv(path: str | Path) -> Path:
    """Write the catalog as UTF-8 CSV (sku,title,category,cold_chain,weight_kg,price,barcode)."""
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CATALOG_COLUMNS)
        for i, p in enumerate(CATALOG):
            w.writerow([p.sku, p.title, p.category, "true" if p.cold_chain else "false",
                        f"{p.weight_kg:.2f}", f"{p.price:.2f}", barcode(i)])
    return path
