"""What every platform client shares: calling with token refresh, windows, backward paging.

A client answers one question, :meth:`PlatformClient.pages`: "the orders modified in
``[start, end]``", as a stream of pages in *ascending* modified order.  Platforms list newest
first and orders keep changing while we page; a changed order leaves the window and everything
behind it moves up one place.  Walking from the last page back to the first means such a move
can only show us an order twice (the store deduplicates), never skip one.  A window with more
pages than ``max_pages`` is split in two instead of paged deeply (JD's advice, good everywhere).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .http import AuthError, Check, HttpClient, PlatformError, RetryPolicy, TokenExpired
from .shops import ShopConfig

if TYPE_CHECKING:
    from .shipping import ShipFailure, ShipRequest

log = logging.getLogger("orderhub.connectors")

Record = dict[str, Any]
#: Beijing time (no DST), how TOP, JOS and PDD write times.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class Decryptor(Protocol):
    """Turns a record's encrypted PII into clear text (e.g. via TOP OAID, ``pdd.open.decrypt``,
    ``order.batchDecrypt``).  The default keeps every field exactly as the platform sent it."""

    def decrypt(self, shop: ShopConfig, record: Record) -> Record: ...


class KeepAsDelivered:
    """The default :class:`Decryptor`: ciphertext and masks stay what they are."""

    def decrypt(self, shop: ShopConfig, record: Record) -> Record:
        return record


@dataclass
class Page:
    """One page of a window: raw orders (full detail) and the modified time the list showed
    for the newest of them (the cursor may move up to it once the page is stored)."""

    records: list[Record]
    high_water: datetime | None
    window: tuple[datetime, datetime]
    number: int


@dataclass
class Listing:
    """A list-API answer: the orders on the page, and the total (None when unknown)."""

    records: list[Record]
    total: int | None


class PlatformClient(ABC):
    """Base of the four platform clients.  Subclasses implement signing and the APIs."""

    platform: ClassVar[str]
    first_page: ClassVar[int] = 1

    def __init__(self, shop: ShopConfig, http: HttpClient | None = None, *,
                 decryptor: Decryptor | None = None,
                 on_token: Callable[[ShopConfig, str], None] | None = None) -> None:
        if shop.platform != self.platform:
            raise ValueError(f"shop {shop.name!r} is a {shop.platform} shop, not {self.platform}")
        self.shop = shop
        self.secret = shop.secret()
        self.token = shop.token()
        self.http = http or HttpClient(timeout=shop.timeout_seconds,
                                       retry=RetryPolicy(attempts=shop.retries))
        self.decryptor = decryptor or KeepAsDelivered()
        self.on_token = on_token
        #: a refresh token kept by orderhub (connectors/tokens.py), preferred to the env's
        self.stored_refresh: str | None = None
        self._refresh_lock = threading.Lock()
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    # -- calling ---------------------------------------------------------------------------

    def call(self, api: str, params: dict[str, Any], *, precheck: Check | None = None) -> Any:
        """Call ``api``; on an expired token refresh it once and call again.  ``precheck``
        looks at the answer before the platform's usual check (ship calls classify their own
        error codes with it)."""
        token = self.token
        try:
            return self._call(api, params, precheck)
        except TokenExpired as exc:
            with self._refresh_lock:
                if self.token == token:  # another thread may have refreshed already
                    self._refresh_token(exc)
            try:
                return self._call(api, params, precheck)
            except PlatformError as again:
                raise self._named(again) from None
        except PlatformError as exc:
            raise self._named(exc) from None

    def _named(self, exc: PlatformError) -> PlatformError:
        hint = None
        if isinstance(exc, AuthError) and not isinstance(exc, TokenExpired):
            hint = (f"check the shop's app_key ({self.shop.app_key}) and the secret in "
                    f"${self.shop.secret_env}")
        return exc.for_shop(self.shop.name, self.platform, hint)

    def _call(self, api: str, params: dict[str, Any], precheck: Check | None = None) -> Any:
        self.requests += 1
        return self.send(api, params, precheck=precheck)

    def _refresh_token(self, cause: TokenExpired) -> None:
        refresh = self.stored_refresh or self.shop.refresh_token()
        if not refresh:
            raise AuthError(
                "the access token expired and no refresh_token_env is configured; "
                "re-authorise the shop", shop=self.shop.name, platform=self.platform,
                code=cause.code) from None
        try:
            self.token = self.refresh(refresh)
        except PlatformError as exc:
            raise AuthError(f"refreshing the access token failed: {exc.detail}",
                            shop=self.shop.name, platform=self.platform, code=exc.code) from None
        log.info("shop %s: access token refreshed", self.shop.name)
        if self.on_token:
            self.on_token(self.shop, self.token)

    @abstractmethod
    def send(self, api: str, params: dict[str, Any], *, precheck: Check | None = None) -> Any:
        """Sign and send one call with the current token; return the decoded success body."""

    @abstractmethod
    def refresh(self, refresh_token: str) -> str:
        """Get a new access token; return it."""

    # -- the platform's orders -------------------------------------------------------------

    @abstractmethod
    def list_page(self, start: datetime, end: datetime, page: int, *, probe: bool) -> Listing:
        """One page of the orders modified in [start, end], newest first.  ``probe`` asks for
        the total (Taobao: ``use_has_next=false``)."""

    @abstractmethod
    def detail(self, order_no: str) -> Record:
        """One order in full."""

    @abstractmethod
    def modified(self, record: Record) -> datetime | None:
        """The record's modified time, as the list shows it."""

    @abstractmethod
    def order_no(self, record: Record) -> str:
        ...

    def is_partial(self, record: Record) -> bool:
        """Whether a list record lacks what the mapping needs (then it is fetched in full)."""
        return False

    # -- shipping write-back (connectors/shipping.py drives these) ---------------------------

    def ship(self, request: ShipRequest, company: str | int, precheck: Check) -> Any:
        """Call the platform's ship API for ``request`` with the platform's carrier code."""
        raise NotImplementedError(f"{self.platform}: no ship write-back")

    def ship_failure(self, body: Any) -> ShipFailure | None:
        """The error in a ship call's answer (None: no error)."""
        return None

    def tracking_numbers(self, record: Record) -> set[str]:
        """Every tracking number a full order record shows (order and lines)."""
        return set()

    def server_now(self) -> datetime:
        """The platform's clock (measured from its answers), for windows it checks."""
        return datetime.fromtimestamp(self.http.server_time(), UTC)

    def check_window(self, start: datetime, end: datetime) -> None:
        """Raise :class:`~.http.WindowError` for a window the platform would refuse."""
        return None

    # -- paging ----------------------------------------------------------------------------

    def pages(self, start: datetime, end: datetime) -> Iterator[Page]:
        """The orders modified in [start, end], a page at a time, oldest pages first."""
        self.check_window(start, end)
        size = self.shop.page_size
        probe = self.list_page(start, end, self.first_page, probe=True)
        total = probe.total
        if total is None:
            total = len(probe.records)
        count = max(1, -(-total // size))
        if count > self.shop.window.max_pages and end - start > timedelta(seconds=2):
            middle = start + (end - start) / 2
            middle = middle.replace(microsecond=0)
            yield from self.pages(start, middle)
            yield from self.pages(middle, end)
            return
        if count == 1:
            yield self._page(probe.records, start, end, self.first_page)
            return
        # last page first; the first page is read again at the end (orders may have moved up)
        for number in range(self.first_page + count - 1, self.first_page - 1, -1):
            listing = self.list_page(start, end, number, probe=False)
            yield self._page(listing.records, start, end, number)

    def _page(self, records: list[Record], start: datetime, end: datetime, number: int) -> Page:
        times = [t for t in map(self.modified, records) if t is not None]
        high = min(max(times), end) if times else None
        full = self.complete(list(reversed(records)))
        return Page([self.decryptor.decrypt(self.shop, r) for r in full], high, (start, end),
                    number)

    def complete(self, records: list[Record]) -> list[Record]:
        """Replace partial list records by full ones, a few requests at a time."""
        wanted = [i for i, r in enumerate(records) if self.shop.detail or self.is_partial(r)]
        if not wanted:
            return records
        out = list(records)
        numbers = [self.order_no(records[i]) for i in wanted]
        workers = min(self.shop.detail_concurrency, len(numbers))
        if workers <= 1:
            details = [self.detail(n) for n in numbers]
        else:
            with ThreadPoolExecutor(workers) as pool:
                details = list(pool.map(self.detail, numbers))
        for i, full in zip(wanted, details, strict=True):
            out[i] = full
        return out


def beijing(dt: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in Beijing time, how TOP, JOS and PDD write times."""
    return dt.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def parse_beijing(text: str | None) -> datetime | None:
    if not text or text.startswith(("0001-", "1970-")):
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())

