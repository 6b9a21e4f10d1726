"""Authorizing a shop: the platform's OAuth page, the code on a local callback, the exchange.

``orderhub shops authorize SHOP`` prints (and opens) the platform's authorize URL with a random
``state``; the seller consents in the browser; the platform redirects to ``redirect_uri`` (by
default ``http://127.0.0.1:8719/callback``, which must be the redirect URI registered for the
app), where a one-shot local server takes the ``code``; the code is exchanged for tokens, which
are stored encrypted (:mod:`.tokens`).

=========  ===============================================  ==================================
platform   authorize page                                   code exchange
=========  ===============================================  ==================================
taobao     ``oauth.taobao.com/authorize``                   ``taobao.top.auth.token.create``
jd         ``open-oauth.jd.com/oauth2/to_login``            ``/oauth2/access_token``
pdd        ``fuwu.pinduoduo.com/service-market/auth``       ``pdd.pop.auth.token.create``
douyin     ``fuwu.jinritemai.com/authorize`` [U]            ``token.create`` (authorization_code)
=========  ===============================================  ==================================
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..errors import OrderhubError
from .base import PlatformClient
from .http import AuthError
from .jd import OAUTH_GATEWAY
from .shops import ShopConfig

AUTHORIZE_URLS = {
    "taobao": "https://oauth.taobao.com/authorize",
    "jd": "https://open-oauth.jd.com/oauth2/to_login",
    "pdd": "https://fuwu.pinduoduo.com/service-market/auth",
    "douyin": "https://fuwu.jinritemai.com/authorize",
}
DEFAULT_REDIRECT = "http://127.0.0.1:8719/callback"
OK_PAGE = "授权成功，可以关闭此页面。 Authorized: you may close this page."


class OAuthError(OrderhubError):
    """The authorization did not complete (refused, timed out, a forged state)."""

    exit_code = 1


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None


def authorize_url(shop: ShopConfig, redirect_uri: str, state: str) -> str:
    base = shop.oauth_url or AUTHORIZE_URLS[shop.platform]
    key = {"taobao": "client_id", "pdd": "client_id"}.get(shop.platform, "app_key")
    query = {"response_type": "code", key: shop.app_key, "redirect_uri": redirect_uri,
             "state": state}
    if shop.platform == "taobao":
        query["view"] = "web"
    if shop.platform == "jd":
        query["scope"] = "snsapi_base"
    return f"{base}?{urlencode(query)}"


def exchange(client: PlatformClient, code: str, redirect_uri: str) -> Grant:
    """Trade an authorization code for the shop's tokens."""
    platform = client.platform
    if platform == "taobao":
        body = client.call("taobao.top.auth.token.create", {"code": code})
        result = json.loads(body["top_auth_token_create_response"]["token_result"])
        expires = result.get("expire_time")
        return Grant(result["access_token"], result.get("refresh_token"),
                     datetime.fromtimestamp(int(expires) / 1000, UTC) if expires else None)
    if platform == "pdd":
        body = client.call("pdd.pop.auth.token.create", {"code": code})
        got = body["pop_auth_token_create_response"]
        at = got.get("expires_at")
        return Grant(got["access_token"], got.get("refresh_token"),
                     datetime.fromtimestamp(int(at), UTC) if at else None)
    if platform == "douyin":
        data = client.call("token.create", {"code": code, "grant_type": "authorization_code"})
        got = data["data"]
        return Grant(got["access_token"], got.get("refresh_token"), _after(got))
    return _jd_exchange(client, code, redirect_uri)


def _jd_exchange(client: PlatformClient, code: str, redirect_uri: str) -> Grant:
    def ok(body: Any) -> None:
        if not isinstance(body, dict) or "access_token" not in body:
            raise AuthError(str(body.get("msg") if isinstance(body, dict) else body))
    query = {"app_key": client.shop.app_key, "app_secret": client.secret,
             "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    base = client.shop.base_url or OAUTH_GATEWAY
    got = client.http.request("GET", base + "/oauth2/access_token", params=query, check=ok,
                              api="oauth2.access_token")
    return Grant(got["access_token"], got.get("refresh_token"), _after(got))


def _after(got: dict[str, Any]) -> datetime | None:
    seconds = got.get("expires_in")
    return datetime.now(UTC) + timedelta(seconds=int(seconds)) if seconds else None


class Callback:
    """A one-shot local HTTP server that waits for the platform's redirect."""

    def __init__(self, redirect_uri: str, state: str) -> None:
        parts = urlsplit(redirect_uri)
        if parts.hostname not in ("127.0.0.1", "localhost") or not parts.port:
            raise OAuthError(f"redirect_uri {redirect_uri!r} must be http://127.0.0.1:PORT/... "
                             "(a local port this command listens on)")
        self.path, self.state = parts.path or "/", state
        self.code: str | None = None
        self.error: str | None = None
        self.done = threading.Event()
        self.server = HTTPServer((parts.hostname, parts.port), self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                if parts.path != outer.path:
                    self.send_error(404)
                    return
                if query.get("state") != outer.state:
                    outer.error = "the answer's state does not match (a forged or stale redirect)"
                elif not query.get("code"):
                    outer.error = query.get("error_description") or query.get("error") \
                        or "the platform sent no code (authorization refused?)"
                else:
                    outer.code = query["code"]
                page = (OK_PAGE if outer.code
                        else f"授权失败 Authorization failed: {outer.error}").encode()
                self.send_response(200 if outer.code else 400)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                outer.done.set()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler

    def wait(self, timeout: float) -> str:
        thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            if not self.done.wait(timeout):
                raise OAuthError(f"no answer from the platform within {timeout:.0f} s")
        finally:
            self.server.shutdown()
            self.server.server_close()
        if self.code is None:
            raise OAuthError(self.error or "authorization failed")
        return self.code


def authorize(client: PlatformClient, *, redirect_uri: str = DEFAULT_REDIRECT,
              timeout: float = 300, show: Callable[[str], None] = print) -> Grant:
    """Run the whole OAuth dance for ``client``'s shop; ``show`` gets the URL to open."""
    state = secrets.token_urlsafe(16)
    callback = Callback(redirect_uri, state)
    show(authorize_url(client.shop, redirect_uri, state))
    code = callback.wait(timeout)
    return exchange(client, code, redirect_uri)
