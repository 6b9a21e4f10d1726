"""Fetching the day's settlement bills from the platforms, before the nightly reconciliation.

Where a platform has a bill API, each configured shop's bill for the day is saved as a file
under ``settlements/fetched/<day>/`` in the workspace (kept: finance can open what was
reconciled) and imported like a file someone dropped in.  The files are the same records as
the platforms' exports, so importing the same lines from an export later adds nothing (lines
are deduplicated on their own ids):

* Douyin: ``order.getSettleBillDetailV3`` by settle time, cursor-paged
  (``start_index`` -> ``next_start_index`` until ``is_end`` = 1);
* PDD: ``pdd.finance.balance.daily.bill.url.get`` gives a download URL for the day's 货款账单.

Taobao's ``taobao.bill.bills.get`` serves self-developed apps only and most sellers reconcile
from the Alipay 账务明细 export, and JD publishes no settlement API to ISVs: those stay files.
One shop's failure is logged and the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from ..connectors.base import PlatformClient
from ..connectors.pull import make_client
from ..connectors.shops import ShopConfig
from ..errors import OrderhubError

log = logging.getLogger("orderhub.finance")

DOUYIN_SETTLE_API = "order.getSettleBillDetailV3"
PDD_BILL_API = "pdd.finance.balance.daily.bill.url.get"
MAX_PAGES = 10_000  # a day's bill of a million lines at 100 a page; a runaway cursor stops here

Fetcher = Callable[[PlatformClient, date, Path], Path]


def _douyin(client: PlatformClient, day: date, folder: Path) -> Path:
    rows: list[Any] = []
    cursor: dict[str, Any] = {}
    for _ in range(MAX_PAGES):
        body = client.call(DOUYIN_SETTLE_API, {
            "start_time": f"{day} 00:00:00", "end_time": f"{day} 23:59:59", "time_type": "0",
            "size": 100, **cursor})
        data = body.get("data") or {}
        rows.extend(data.get("data") or [])
        if str(data.get("is_end", 1)) == "1" or not data.get("next_start_index"):
            break
        cursor = {"start_index": data["next_start_index"],
                  "start_time": data.get("next_start_time") or f"{day} 00:00:00"}
    path = folder / f"douyin-{client.shop.name}-{day}.json"
    path.write_bytes(orjson.dumps({"code": 10000, "data": {"is_end": 1, "data": rows}}))
    return path


def _pdd(client: PlatformClient, day: date, folder: Path) -> Path:
    body = client.call(PDD_BILL_API, {"bill_date": day.isoformat()})
    url = body["finance_balance_daily_bill_url_get_response"]["download_url"]
    path = folder / f"pdd-{client.shop.name}-{day}.csv"
    path.write_bytes(client.http.download(url, api="bill download"))
    return path


FETCHERS: dict[str, Fetcher] = {"douyin": _douyin, "pdd": _pdd}


def fetch_bills(workspace: Any, day: date) -> list[Path]:
    """Save each shop's bill for ``day`` where its platform has a bill API; the paths saved."""
    folder = workspace.path("settlements") / "fetched" / day.isoformat()
    saved: list[Path] = []
    for shop in workspace.config.shops:
        fetch = FETCHERS.get(shop.platform)
        if fetch is None:
            continue
        try:
            saved.append(_fetch_one(fetch, shop, day, folder))
        except OrderhubError as exc:
            log.error("bill of shop %s for %s not fetched: %s", shop.name, day, exc,
                      extra={"event": "bill_fetch_failed", "shop": shop.name})
    return saved


def _fetch_one(fetch: Fetcher, shop: ShopConfig, day: date, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    client = make_client(shop)
    try:
        path = fetch(client, day, folder)
    finally:
        client.close()
    log.info("bill of shop %s for %s saved to %s", shop.name, day, path)
    return path
