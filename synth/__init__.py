"""Deterministic synthetic orders for Taobao/Tmall, JD, Pinduoduo and Douyin.

    orders = generate_orders(1000, seed=7, start=datetime(2025, 11, 25, tzinfo=SHANGHAI),
                             platform="jd")
    payloads = [render(o) for o in orders]        # native jingdong.pop.order.search shape
    response = envelope("jd", payloads)           # the list-API response around them

Used by the bundled examples (`python -m orderhub.synth.examples OUTDIR`), the
ingestion benchmark, tests and the platform simulator.
"""

from .catalog import CATALOG, Product, write_catalog_csv
from .export import EXPORT_HEADERS, render_export_items, render_export_row
from .logical import (
    DEFAULT_SHOPS,
    PLATFORMS,
    SHANGHAI,
    STATUSES,
    LogicalItem,
    LogicalOrder,
    Plan,
    Shop,
    generate_orders,
)
from .people import Receiver
from .render import ORDER_NO_FIELD, envelope, order_list, render, render_many

__all__ = [
    "CATALOG", "DEFAULT_SHOPS", "EXPORT_HEADERS", "ORDER_NO_FIELD", "PLATFORMS", "SHANGHAI",
    "STATUSES", "LogicalItem", "LogicalOrder", "Plan", "Product", "Receiver", "Shop", "envelope",
    "generate_orders", "order_list", "render", "render_export_items", "render_export_row",
    "render_many", "write_catalog_csv",
]
