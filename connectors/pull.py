"""Pulling a shop's orders into the store: windows, pages, normalization, cursor.

:func:`pull_shop` is what ``orderhub pull`` and the service's schedule call.  It reads from the
shop's cursor (minus a small overlap) up to the platform's clock (minus the platform's lag), in
windows the platform accepts, and for each page: normalizes the raw orders with the platform's
mapping, stores them (one transaction), keeps the rejects, and only then advances the cursor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..errors import OrderhubError, RecordError
from ..model import Order
from ..record_checks import record_problem
from ..store import OrderStore, Reject
from .aftersale_store import AfterSalesStore, apply_to_orders
from .aftersales import FEEDS, read_window
from .base import Decryptor, Page, PlatformClient, Record
from .cursors import CursorStore
from .douyin import DouyinClient
from .http import PlatformError
from .ingest import raw_text
from .jd import JdClient
from .mapping import Mapping, builtin_mappings
from .mapping import mappings as all_mappings
from .pdd import PddClient
from .shops import ShopConfig, find_shop
from .taobao import TaobaoClient
from .tokens import TokenVault, load_key

log = logging.getLogger("orderhub.connectors")

CLIENTS: dict[str, type[PlatformClient]] = {
    "taobao": TaobaoClient, "jd": JdClient, "pdd": PddClient, "douyin": DouyinClient,
}


def make_client(shop: ShopConfig, **kwargs: Any) -> PlatformClient:
    """The API client for ``shop``'s platform (reads its secret and token from the env)."""
    return CLIENTS[shop.platform](shop, **kwargs)


@dataclass
class PullProgress:
    """Told after each stored page: how far through the time range the pull is."""

    shop: str
    fraction: float
    orders: int
    page: Page


@dataclass
class PullSummary:
    """What one pull of one shop did."""

    shop: str
    platform: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    fetched: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    start: datetime | None = None
    end: datetime | None = None
    position: datetime | None = None
    error: str | None = None
    rejects: list[Reject] = field(default_factory=list)
    aftersales: int = 0
    refund_times_corrected: int = 0

    def counts(self) -> dict[str, Any]:
        return {"shop": self.shop, "platform": self.platform, "new": self.new,
                "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "fetched": self.fetched, "pages": self.pages,
                "requests": self.requests, "retries": self.retries,
                "aftersales": self.aftersales,
                "refund_times_corrected": self.refund_times_corrected,
                "start": _iso(self.start), "end": _iso(self.end),
                "position": _iso(self.position), "error": self.error}


Progress = Callable[[PullProgress], None]


def pull_shop(
    target: Any,
    shop: ShopConfig | str,
    since: datetime | None = None,
    *,
    until: datetime | None = None,
    client: PlatformClient | None = None,
    decryptor: Decryptor | None = None,
    progress: Progress | None = None,
) -> PullSummary:
    """Pull ``shop``'s orders modified since its cursor (or ``since``) into the store.

    ``target`` is a :class:`~orderhub.config.Workspace` (shops, catalog and mappings from it)
    or an :class:`~orderhub.store.OrderStore` (then ``shop`` must be a :class:`ShopConfig`).
    Raises :class:`~.http.PlatformError` (e.g. :class:`~.http.AuthError` naming the shop);
    whatever was stored before the error stays stored and the cursor says how far it got.
    """
    store, shop, catalog, mapping = _resolve(target, shop)
    own_client = client is None
    client = client or _client_with_stored_token(target, store, shop, decryptor)
    cursors = CursorStore(store.engine)
    summary = PullSummary(shop.name, shop.platform)
    try:
        _pull(client, store, cursors, shop, mapping, catalog, since, until, progress, summary)
        if shop.aftersales:
            _pull_aftersales(client, store, cursors, shop, since, until, summary)
    except PlatformError as exc:
        raise exc.for_shop(shop.name, shop.platform) from None
    finally:
        summary.requests = client.requests
        summary.retries = client.http.retries
        if own_client:
            client.close()
    return summary


def _client_with_stored_token(target: Any, store: OrderStore, shop: ShopConfig,
                              decryptor: Decryptor | None) -> PlatformClient:
    """The shop's client, using the token ``shops authorize`` stored (and storing each refresh)
    when there is one; else the token from the shop's environment variables."""
    vault = token_vault(store, getattr(target, "root", None))
    stored = vault.get(shop.name) if vault else None
    if vault is None or stored is None:
        return make_client(shop, decryptor=decryptor)
    keep = vault

    def on_token(s: ShopConfig, token: str) -> None:
        keep.refreshed(s.name, s.platform, token)

    client = make_client(shop.model_copy(update={"token_env": None, "refresh_token_env": None}),
                         decryptor=decryptor, on_token=on_token)
    client.token, client.stored_refresh = stored.access_token, stored.refresh_token
    return client


def token_vault(store: OrderStore, workspace_dir: Path | None, *,
                create_key: bool = False) -> TokenVault | None:
    """The encrypted token store, when a key is configured (or may be created)."""
    key = load_key(workspace_dir, create=create_key)
    return TokenVault(store.engine, key) if key is not None else None


def _pull(client: PlatformClient, store: OrderStore, cursors: CursorStore, shop: ShopConfig,
          mapping: Mapping, catalog: Catalog | None, since: datetime | None,
          until: datetime | None, progress: Progress | None, summary: PullSummary) -> None:
    position = cursors.get(shop.name)
    start, end = _span(client, shop, position, since, until)
    summary.start, summary.end, summary.position = start, end, position
    if end <= start:
        return
    span = (end - start).total_seconds()
    for w_start, w_end in windows(start, end, timedelta(minutes=shop.window_minutes)):
        stored_any = False
        for page, last in _with_last(client.pages(w_start, w_end)):
            _store_page(store, shop, mapping, catalog, page, summary)
            stored_any = True
            # the window's last page completes it: the cursor may go to the window's end
            mark = w_end if last else page.high_water
            if mark is not None:
                summary.position = cursors.advance(shop.name, shop.platform, mark)
            if progress:
                done = ((page.high_water or w_start) - start).total_seconds()
                progress(PullProgress(shop.name, max(0.0, min(1.0, done / span)),
                                      summary.fetched, page))
        if not stored_any:
            summary.position = cursors.advance(shop.name, shop.platform, w_end)


def _span(client: PlatformClient, shop: ShopConfig, position: datetime | None,
          since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """From ``since``, else the cursor less the overlap, else ``initial_hours`` back; to
    ``until``, else the platform's clock less its lag; whole seconds."""
    if since is not None:
        start = since
    elif position is not None:
        start = position - timedelta(seconds=shop.window.overlap_seconds)
    else:
        start = client.server_now() - timedelta(hours=shop.window.initial_hours)
    end = until or client.server_now() - timedelta(seconds=shop.lag_seconds)
    return start.replace(microsecond=0), end.replace(microsecond=0)


def _pull_aftersales(client: PlatformClient, store: OrderStore, cursors: CursorStore,
                     shop: ShopConfig, since: datetime | None, until: datetime | None,
                     summary: PullSummary) -> None:
    """The shop's after-sales records since their own cursor; each page stored, then the
    orders it names given their true refund request times, then the cursor advanced."""
    key = f"{shop.name}#aftersales"
    start, end = _span(client, shop, cursors.get(key), since, until)
    saved = AfterSalesStore(store.engine)
    for w_start, w_end in windows(start, end, FEEDS[shop.platform].window):
        for result in read_window(client, w_start, w_end):
            saved.save(result.records)
            summary.aftersales += len(result.records)
            numbers = {r.platform_order_no for r in result.records}
            summary.refund_times_corrected += apply_to_orders(store, shop.platform, numbers)
            if result.bad:
                bad = [_aftersale_reject(shop, w_start, r, why) for r, why in result.bad]
                store.add_rejects(bad)
                summary.rejects.extend(bad)
                summary.rejected += len(bad)
        cursors.advance(key, shop.platform, w_end)


def _aftersale_reject(shop: ShopConfig, at: datetime, record: Record, why: str) -> Reject:
    return Reject(reason=f"unreadable after-sales record: {why}",
                  source=f"{shop.platform}-aftersales",
                  file=f"{shop.platform} after-sales API, shop {shop.name}, window {_iso(at)}",
                  record=None, platform_order_no=None, field=None,
                  raw=json.dumps(record, ensure_ascii=False, default=str)[:2000])


def _with_last(pages: Iterator[Page]) -> Iterator[tuple[Page, bool]]:
    """Each page, and whether it is the last one (the next is fetched before this is told)."""
    previous = next(pages, None)
    for page in pages:
        yield previous, False  # type: ignore[misc]
        previous = page
    if previous is not None:
        yield previous, True


def windows(start: datetime, end: datetime, size: timedelta) -> Iterator[tuple[datetime,
                                                                             datetime]]:
    """``[start, end]`` cut into consecutive windows of at most ``size`` (ends shared)."""
    at = start
    while at < end:
        stop = min(at + size, end)
        yield at, stop
        at = stop


def _store_page(store: OrderStore, shop: ShopConfig, mapping: Mapping, catalog: Catalog | None,
                page: Page, summary: PullSummary) -> None:
    orders: list[Order] = []
    rejects: list[Reject] = []
    for record in page.records:
        try:
            found = record_problem(record)  # as for files: NUL, broken text, deep nesting
            if found is not None:
                raise RecordError(found[1], field=found[0] or None)
            order = mapping.apply(record, shop_id=shop.shop_id)
        except RecordError as err:
            rejects.append(_reject(err, mapping, shop, page, record))
            continue
        orders.append(catalog.enrich(order) if catalog else order)
    summary.fetched += len(page.records)
    summary.pages += 1
    if orders:
        result = store.upsert(orders)
        summary.new += result.new
        summary.updated += result.updated
        summary.unchanged += result.unchanged + result.stale
        if shop.aftersales:  # a request stored before its order: give the order its time
            numbers = [o.platform_order_no for o in orders]
            summary.refund_times_corrected += apply_to_orders(store, shop.platform, numbers)
    if rejects:
        store.add_rejects(rejects)
        summary.rejects.extend(rejects)
        summary.rejected += len(rejects)


def _reject(err: RecordError, mapping: Mapping, shop: ShopConfig, page: Page,
            record: Record) -> Reject:
    number = err.order_no
    if number is None and isinstance(record, dict):
        for key in ("tid_str", "tid", "orderId", "order_sn", "order_id"):
            if record.get(key):
                number = str(record[key])
                break
    return Reject(
        reason=err.reason, source=mapping.name,
        file=f"{shop.platform} API, shop {shop.name}, window {_iso(page.window[0])}",
        record=page.number, platform_order_no=number, field=err.field,
        raw=raw_text(record),
    )


def _resolve(target: Any, shop: ShopConfig | str) -> tuple[OrderStore, ShopConfig,
                                                          Catalog | None, Mapping]:
    if isinstance(target, OrderStore):
        if not isinstance(shop, ShopConfig):
            raise OrderhubError("pull_shop(store, ...) needs a ShopConfig, not a shop name")
        return target, shop, None, builtin_mappings()[shop.platform]
    workspace = target
    if isinstance(shop, str):
        shop = find_shop(workspace.config.shops, shop)
    found = all_mappings(workspace.mapping_dirs)
    return workspace.store, shop, workspace.catalog, found[shop.platform]


def pull_all(workspace: Any, names: list[str] | None = None, since: datetime | None = None,
             *, progress: Progress | None = None,
             decryptor: Decryptor | None = None) -> list[PullSummary]:
    """Pull every configured shop (or those named); one shop's failure does not stop the rest:
    its summary carries the error."""
    shops = workspace.config.shops
    chosen = [find_shop(shops, n) for n in names] if names else list(shops)
    out = []
    for shop in chosen:
        try:
            out.append(pull_shop(workspace, shop, since, progress=progress,
                                 decryptor=decryptor))
        except OrderhubError as exc:
            failed = PullSummary(shop.name, shop.platform, error=str(exc))
            out.append(failed)
    return out


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt else None
