"""Shops in ``orderhub.yaml``: which platform, which app, where the secrets are, how to pull.

Secrets are never written in the config nor stored in the database: a shop names the
environment variables that hold them (``secret_env: TB_SHOP1_SECRET``).  Example::

    shops:
      - name: tmall-flagship
        platform: taobao
        shop_id: "57301234"
        app_key: "12345678"
        secret_env: TB_SHOP1_SECRET
        token_env: TB_SHOP1_SESSION
        refresh_token_env: TB_SHOP1_REFRESH     # optional: refresh when the session expires
        interval_minutes: 5
        window: {minutes: 30, overlap_seconds: 120}
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import OrderhubError
from .pii import PiiSettings

#: The real gateways; a shop's ``base_url`` overrides them (the simulator, a sandbox).
GATEWAYS = {
    "taobao": "https://eco.taobao.com",
    "jd": "https://api.jd.com",
    "pdd": "https://gw-api.pinduoduo.com",
    "douyin": "https://openapi-fxg.jinritemai.com",
}

#: Per platform: (largest window the platform allows, default window) in minutes.  Douyin's
#: maximum is undocumented [U]; JD allows a month but asks for small rolling windows.
WINDOW_LIMITS = {
    "taobao": (24 * 60, 30),
    "jd": (31 * 24 * 60, 30),
    "pdd": (30, 30),
    "douyin": (24 * 60, 30),
}
#: How far behind the platform's clock a window must end (PDD: at least 3 minutes).
MIN_LAG_SECONDS = {"taobao": 0, "jd": 0, "pdd": 180, "douyin": 0}
#: ...and by default.  A window that ends at "now" meets orders modified in that very second
#: while it is paged: they land on page 1 and push others onto pages already read.  Ending a
#: minute back keeps the window still [U: the platforms' own indexing delay is undocumented].
DEFAULT_LAG_SECONDS = {"taobao": 60, "jd": 60, "pdd": 180, "douyin": 60}
#: Whether the list API's records are partial, so each order is fetched in full.
DETAIL_DEFAULT = {"taobao": True, "jd": False, "pdd": False, "douyin": False}
PAGE_SIZE_DEFAULT = {"taobao": 50, "jd": 100, "pdd": 100, "douyin": 100}


class StockPushSettings(BaseModel):
    """A shop's ``stock_push:`` section: whether orderhub sets its listings' stock, how much of
    what is available it offers there (``share``), and what it always holds back."""

    enabled: bool = False
    share: float = Field(1.0, gt=0, le=1, description="part of the available stock to offer")
    safety_stock: int = Field(0, ge=0, description="units never offered on this shop")


class ShopConfigError(OrderhubError):
    """A shop whose configuration cannot work (e.g. its secret's variable is not set)."""

    exit_code = 2


class WindowSettings(BaseModel):
    """How a shop's pull splits time.  Defaults depend on the platform (see WINDOW_LIMITS)."""

    model_config = ConfigDict(extra="forbid")

    minutes: int | None = Field(None, ge=1, description="window length; platform default")
    overlap_seconds: int = Field(120, ge=0, description="re-read this much before the cursor")
    lag_seconds: int | None = Field(
        None, ge=0, description="end windows this far behind the platform's clock")
    initial_hours: float = Field(24, gt=0, description="first pull: go back this far")
    page_size: int | None = Field(None, ge=1, le=100)
    max_pages: int = Field(
        20, ge=1, description="split a window rather than page deeper than this (JD advice)")


class ShopConfig(BaseModel):
    """One authorised shop."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="how commands and the cursor table name it")
    platform: Literal["taobao", "jd", "pdd", "douyin"]
    shop_id: str = Field(min_length=1)
    app_key: str = Field(min_length=1, description="TOP app_key / JOS app_key / PDD client_id")
    secret_env: str = Field(min_length=1, description="env var holding the app secret")
    token_env: str | None = Field(None, description="env var holding the access token/session")
    refresh_token_env: str | None = None
    base_url: str | None = Field(None, description="default: the platform's real gateway")
    oauth_url: str | None = Field(
        None, description="the platform's OAuth authorize page (default: the real one)")
    interval_minutes: float = Field(5, gt=0)
    window: WindowSettings = Field(default_factory=WindowSettings)
    sign_method: Literal["md5", "hmac", "hmac-sha256"] = Field(
        "md5", description="TOP only: md5 or hmac (HMAC-MD5); hmac-sha256 [U]")
    fetch_detail: bool | None = Field(None, description="fetch every order in full")
    detail_concurrency: int = Field(8, ge=1, le=32)
    timeout_seconds: float = Field(20, gt=0)
    retries: int = Field(6, ge=1)
    stock_push: StockPushSettings = Field(default_factory=StockPushSettings)
    aftersales: bool = Field(
        True, description="also pull the after-sales feed (true refund request times)")
    extra_rate_limit_codes: list[str] = Field(
        default_factory=list, description="more error codes to treat as rate limiting [U]")
    pii: PiiSettings = Field(
        default_factory=PiiSettings,
        description="receivers' decryption: `pii: store` where the hosting allows clear text")

    @field_validator("base_url")
    @classmethod
    def _strip(cls, v: str | None) -> str | None:
        return v.rstrip("/") if v else v

    @model_validator(mode="after")
    def _window_fits(self) -> ShopConfig:
        most, _ = WINDOW_LIMITS[self.platform]
        if self.window.minutes is not None and self.window.minutes > most:
            raise ValueError(f"window.minutes {self.window.minutes} exceeds {self.platform}'s "
                             f"limit of {most} minutes")
        return self

    # -- derived settings ------------------------------------------------------------------

    @property
    def gateway(self) -> str:
        return self.base_url or GATEWAYS[self.platform]

    @property
    def window_minutes(self) -> int:
        return self.window.minutes or WINDOW_LIMITS[self.platform][1]

    @property
    def lag_seconds(self) -> int:
        least = MIN_LAG_SECONDS[self.platform]
        lag = self.window.lag_seconds
        return max(least, DEFAULT_LAG_SECONDS[self.platform] if lag is None else lag)

    @property
    def page_size(self) -> int:
        return self.window.page_size or PAGE_SIZE_DEFAULT[self.platform]

    @property
    def detail(self) -> bool:
        return DETAIL_DEFAULT[self.platform] if self.fetch_detail is None else self.fetch_detail

    def secret(self) -> str:
        return self._env(self.secret_env, "app secret")

    def token(self) -> str:
        if not self.token_env:
            return ""
        return self._env(self.token_env, "access token")

    def refresh_token(self) -> str | None:
        return self._env(self.refresh_token_env, "refresh token") if self.refresh_token_env \
            else None

    def _env(self, name: str, what: str) -> str:
        value = os.environ.get(name)
        if not value:
            raise ShopConfigError(
                f"shop {self.name!r}: the {what} is read from the environment variable {name}, "
                f"which is not set"
            )
        return value


def find_shop(shops: list[ShopConfig], name: str) -> ShopConfig:
    for shop in shops:
        if shop.name == name:
            return shop
    known = ", ".join(s.name for s in shops) or "none configured"
    raise ShopConfigError(f"no shop named {name!r} in orderhub.yaml (shops: {known})")
