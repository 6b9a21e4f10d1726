"""The one HTTP client every platform connector uses: timeouts, retries with backoff, redaction.

Platforms answer errors inside a 200 response (``error_response``, ``code != 10000``...), so each
connector passes a ``check`` function that turns a decoded body into one of the exceptions below;
this module decides what to retry.  Rate limits, 5xx answers, timeouts and dropped connections
are retried with exponential backoff and full jitter; authentication errors never are.

Secrets never reach a log line or an exception message: :func:`redact` masks the values of
``app_secret``, ``access_token``, ``sign``, ``session`` (and their kin) wherever they appear.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import httpx

from ..errors import OrderhubError

log = logging.getLogger("orderhub.connectors")

SECRET_KEYS = ("app_secret", "client_secret", "secret", "access_token", "refresh_token", "sign",
               "session", "password")
_KEYS = "|".join(SECRET_KEYS)
_SECRET_RE = re.compile(rf"(?P<k>\b(?:{_KEYS}))(?P<sep>=|\"?\s*:\s*\"?)(?P<v>[^&\s\"',}}]+)")
MASK = "***"


def redact(value: Any) -> Any:
    """``value`` with every secret masked: dicts by key, strings (URLs, bodies) by pattern."""
    if isinstance(value, Mapping):
        return {k: (MASK if str(k).lower() in SECRET_KEYS else redact(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    if isinstance(value, str | httpx.URL):
        return _SECRET_RE.sub(lambda m: f"{m['k']}{m['sep']}{MASK}", str(value))
    return value


class PlatformError(OrderhubError):
    """An error answer from a platform gateway (or the road to it), naming the shop."""

    retryable = False
    what = "error"

    def __init__(self, message: str, *, shop: str | None = None, platform: str | None = None,
                 code: str | None = None, api: str | None = None,
                 hint: str | None = None) -> None:
        self.shop, self.platform, self.code, self.api = shop, platform, code, api
        self.detail = redact(message)
        self.hint = hint
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = f"shop {self.shop!r}" if self.shop else "platform"
        about = ", ".join(x for x in (self.platform, self.api) if x)
        code = f" [code {self.code}]" if self.code else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{where}{f' ({about})' if about else ''}: {self.what}: {self.detail}{code}{hint}"

    def for_shop(self, shop: str, platform: str, hint: str | None = None) -> PlatformError:
        """The same error, now naming the shop it happened for (and what to check)."""
        self.shop, self.platform = self.shop or shop, self.platform or platform
        self.hint = self.hint or hint
        self.args = (self._compose(),)
        return self


class AuthError(PlatformError):
    """Wrong app key, secret or signature, or a revoked authorisation: fix the shop's config."""

    what = "authentication failed"


class TokenExpired(AuthError):
    """The shop's access token expired; a refresh token can get a new one."""


class RateLimited(PlatformError):
    retryable = True
    what = "rate limited"


class ServerError(PlatformError):
    """A 5xx answer, a platform-side ``isp.*`` error, a timeout or a dropped connection."""

    retryable = True
    what = "platform unavailable"


class RequestRejected(PlatformError):
    """The platform refused the request's parameters (a bug or a config error; not retried)."""

    what = "request refused"


class WindowError(RequestRejected):
    """A time window the platform would refuse; raised *before* anything is sent."""

    what = "window not allowed"


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter: sleep U(0, min(cap, base * 2**attempt))."""

    attempts: int = 6
    base: float = 0.2
    cap: float = 8.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap, self.base * (2 ** attempt)))


Check = Callable[[Any], None]


def chain(first: Check | None, then: Check) -> Check:
    """``first`` (when given), then ``then``: a call's own check before the platform's."""
    if first is None:
        return then

    def both(body: Any) -> None:
        first(body)
        then(body)

    return both


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client: loading the CA bundle costs about a second."""
    return ssl.create_default_context()


class HttpClient:
    """An ``httpx.Client`` with retries; thread-safe (detail fetches run in a small pool).

    ``clock_skew`` is the platform's clock minus ours, measured from each answer's ``Date``
    header, so that windows can be kept relative to the *server's* time.
    """

    def __init__(self, *, timeout: float = 20.0, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, seed: int | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self._rng = random.Random(seed)
        self._client = httpx.Client(timeout=timeout, transport=transport, verify=_tls(),
                                    headers={"User-Agent": "orderhub"})
        self._lock = threading.Lock()
        self.clock_skew: float | None = None
        self.retries = 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def request(self, method: str, url: str, *, check: Check, api: str | None = None,
                raw: bool = False, **kwargs: Any) -> Any:
        """Send, decode JSON, ``check`` it; retry what is retryable.  Returns the decoded body
        (with ``raw``: the body's bytes, undecoded)."""
        attempt = 0
        while True:
            try:
                return self._once(method, url, check, api, kwargs, raw)
            except PlatformError as exc:
                if not exc.retryable or attempt + 1 >= self.retry.attempts:
                    raise
                delay = self.retry.delay(attempt, self._rng)
                log.info("retrying %s after %s (%.2fs)", api or redact(url), exc, delay)
                with self._lock:
                    self.retries += 1
                attempt += 1
                self.sleep(delay)

    def download(self, url: str, *, api: str | None = None) -> bytes:
        """GET a file (a bill the platform links to), with the same retries; its bytes."""
        def ok(_: Any) -> None:
            return None
        return self.request("GET", url, check=ok, api=api, raw=True)  # type: ignore[no-any-return]

    def _once(self, method: str, url: str, check: Check, api: str | None,
              kwargs: dict[str, Any], raw: bool = False) -> Any:
        try:
            resp = self._client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise ServerError(f"timed out: {type(exc).__name__}", api=api) from None
        except httpx.TransportError as exc:
            raise ServerError(f"connection failed: {redact(str(exc))}", api=api) from None
        self._note_date(resp)
        if resp.status_code >= 500:
            raise ServerError(f"HTTP {resp.status_code}", api=api, code=str(resp.status_code))
        if resp.status_code == 429:
            raise RateLimited("HTTP 429 Too Many Requests", api=api, code="429")
        if raw:
            if resp.status_code >= 400:
                raise RequestRejected(f"HTTP {resp.status_code}: {redact(resp.text[:200])!r}",
                                      api=api, code=str(resp.status_code))
            return resp.content
        try:
            body = resp.json()
        except ValueError:
            raise RequestRejected(
                f"HTTP {resp.status_code}, not JSON: {redact(resp.text[:200])!r}", api=api
            ) from None
        check(body)
        return body

    def _note_date(self, resp: httpx.Response) -> None:
        date = resp.headers.get("date")
        if not date:
            return
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        # the header has 1 s resolution: take the midpoint of the second it names
        self.clock_skew = server + 0.5 - time.time()

    def server_time(self) -> float:
        """The platform's clock as last measured (ours when nothing was measured yet)."""
        return time.time() + (self.clock_skew or 0.0)


@dataclass(frozen=True)
class ErrorCodes:
    """A platform's error codes, grouped by what a client does about them: back off and retry,
    refresh the token, give up naming the shop's credentials, retry later, or report."""

    rate_limit: frozenset[str]
    token: frozenset[str]
    auth: frozenset[str]
    server: frozenset[str] = frozenset()
    #: where one code covers several causes (Douyin's 40003), the ``sub_code`` decides:
    #: sub_code -> "rate_limit" | "token" | "auth" | "server"
    by_sub: Mapping[str, str] = field(default_factory=dict)

    def raise_for(self, code: str, message: str, *, sub: str = "",
                  extra_rate: Collection[str] = frozenset()) -> NoReturn:
        """Raise the error that ``code`` (and ``sub``, the sub_code) means (``extra_rate``: a
        shop's own rate-limit codes)."""
        kind = self.by_sub.get(sub) or self.kind_of(code, extra_rate)
        error = {"rate_limit": RateLimited, "token": TokenExpired, "auth": AuthError,
                 "server": ServerError}.get(kind, RequestRejected)
        raise error(message, code=code)

    def kind_of(self, code: str, extra_rate: Collection[str] = frozenset()) -> str:
        if code in self.rate_limit or code in extra_rate:
            return "rate_limit"
        for kind in ("token", "auth", "server"):
            if code in getattr(self, kind):
                return kind
        return "rejected"

