"""Delivery channels for outbox messages: WeCom group robot, SMS, WMS push, logistics callback.

Each channel turns a message payload into one HTTP request and raises :class:`DeliveryError`
(retryable or not) when the peer did not accept it.  Every request carries the message's
idempotency key in an ``Idempotency-Key`` header.  URLs and secrets come from
:class:`~orderhub.service.config.Channels`; secrets are registered with the log redactor.

WeCom robot (企业微信群机器人): ``POST {base}/cgi-bin/webhook/send?key=KEY`` with
``{"msgtype": "markdown", "markdown": {"content": ...}}`` (or ``text``); the reply is
``{"errcode": 0, "errmsg": "ok"}``.  A non-zero errcode is a failure: -1 (busy) and 45009
(rate limit, 20 messages a minute per robot) are retried; 93000 (invalid webhook key) and the
rest are permanent.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from .config import Channels, HttpChannel, secret
from .logs import register_secret

WECOM_RETRYABLE = {-1, 45009, 45033}


class DeliveryError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class ShipRejected(DeliveryError):
    """A platform refused a shipment write-back (``platform_ship``); never retried.  ``reason``:
    ``refunding``, ``cancelled``, ``bad_tracking``, ``already_shipped`` (with another tracking
    number), ``not_found``, ``split_unsupported``, ``carrier`` (no code for that platform) or
    ``rejected`` (anything else; the message has the platform's words)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, retryable=False)
        self.reason = reason


class Channel(Protocol):
    def send(self, payload: dict[str, Any], key: str) -> None: ...


def _post(client: httpx.Client, url: str, body: Any, key: str,
          headers: dict[str, str] | None = None) -> httpx.Response:
    try:
        response = client.post(url, json=body, headers={"Idempotency-Key": key, **(headers or {})})
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"timed out: {type(exc).__name__}", retryable=True) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"connection failed: {exc}", retryable=True) from exc
    if response.status_code >= 500 or response.status_code in (408, 425, 429):
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}",
                            retryable=True)
    if response.status_code >= 400:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}",
                            retryable=False)
    return response


class WeComRobot:
    """A WeCom group robot.  Payload: ``{"content": str, "msgtype"?: "markdown"|"text",
    "mentioned_mobile_list"?: [...]}``."""

    def __init__(self, client: httpx.Client, base_url: str, key: str | None,
                 msgtype: str = "markdown") -> None:
        self.client = client
        self.url = base_url.rstrip("/") + "/cgi-bin/webhook/send"
        self.key = key
        self.msgtype = msgtype

    def send(self, payload: dict[str, Any], key: str) -> None:
        """``payload``: ``{"content", "msgtype"?}``, or a ready WeCom body (``{"msgtype":
        "markdown", "markdown": {...}}``) with an optional ``to`` webhook URL (a flow's
        per-warehouse robot)."""
        to = payload.get("to")
        if isinstance(to, str) and to.startswith("http"):
            url = to
            register_secret(to.rpartition("key=")[2])
        elif self.key:
            url = f"{self.url}?key={self.key}"
        else:
            raise DeliveryError("the WeCom robot has no key (service.channels.wecom.key_env)",
                                retryable=True)
        msgtype = payload.get("msgtype", self.msgtype)
        if isinstance(payload.get(msgtype), dict):
            body = {"msgtype": msgtype, msgtype: payload[msgtype]}
        else:
            inner: dict[str, Any] = {"content": payload.get("content", "")}
            if msgtype == "text" and payload.get("mentioned_mobile_list"):
                inner["mentioned_mobile_list"] = payload["mentioned_mobile_list"]
            body = {"msgtype": msgtype, msgtype: inner}
        response = _post(self.client, url, body, key)
        try:
            reply = response.json()
            code = int(reply.get("errcode", -1))
        except (ValueError, AttributeError, TypeError) as exc:
            raise DeliveryError(f"WeCom replied with no errcode: {response.text[:200]}",
                                retryable=True) from exc
        if code != 0:
            raise DeliveryError(f"WeCom errcode {code}: {reply.get('errmsg', '')}",
                                retryable=code in WECOM_RETRYABLE)


class SmsProvider(Protocol):
    """An SMS gateway.  Implement this for Aliyun, Tencent Cloud, ... ."""

    def send_sms(self, phone: str, text: str, key: str, **extra: Any) -> None: ...


class HttpJsonSms:
    """An SMS gateway taking ``POST url {"phone","text",...}`` with a bearer token."""

    def __init__(self, client: httpx.Client, url: str | None, token: str | None) -> None:
        self.client = client
        self.url = url
        self.token = token

    def missing(self) -> str | None:
        """Why nothing can be sent (no gateway configured), else None."""
        return None if self.url else "no SMS gateway configured (service.channels.sms.url)"

    def send_sms(self, phone: str, text: str, key: str, **extra: Any) -> None:
        if not self.url:
            raise DeliveryError("no SMS gateway configured (service.channels.sms.url)",
                                retryable=True)
        response = _post(self.client, self.url, {"phone": phone, "text": text, **extra}, key,
                         _auth(self.token))
        _check_json_code(response)

    def send(self, payload: dict[str, Any], key: str) -> None:
        rest = {k: v for k, v in payload.items() if k not in ("phone", "text")}
        self.send_sms(str(payload.get("phone", "")), str(payload.get("text", "")), key, **rest)


class HttpJsonPush:
    """WMS pushes and logistics callbacks: the payload is POSTed as JSON."""

    def __init__(self, client: httpx.Client, name: str, url: str | None,
                 token: str | None) -> None:
        self.client = client
        self.name = name
        self.url = url
        self.token = token

    def missing(self) -> str | None:
        """Why nothing can be sent (no endpoint configured), else None."""
        return None if self.url else (f"no {self.name} endpoint configured "
                                      f"(service.channels.{self.name}.url)")

    def send(self, payload: dict[str, Any], key: str) -> None:
        if not self.url:
            raise DeliveryError(f"no {self.name} endpoint configured "
                                f"(service.channels.{self.name}.url)", retryable=True)
        _check_json_code(_post(self.client, self.url, payload, key, _auth(self.token)))


class WmsRefused(DeliveryError):
    """The WMS answered ``{"ok": false, "code": ...}`` (docs/wms.md); ``code``
    ``ALREADY_PACKED`` / ``ALREADY_SHIPPED`` to an intercept means it came too late."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"WMS refused ({code}): {message}", retryable=False)
        self.code = code


class WmsPush(HttpJsonPush):
    """The WMS contract (docs/wms.md): the payload ``{"to", "document"}`` POSTs the document
    itself to ``to`` (the warehouse's ``wms_url``) or the channel's URL."""

    def send(self, payload: dict[str, Any], key: str) -> None:
        if "document" not in payload:
            return super().send(payload, key)
        url = payload.get("to") or self.url
        if not url:
            raise DeliveryError("no wms endpoint configured (service.channels.wms.url or the "
                                "warehouse's wms_url)", retryable=True)
        response = _post(self.client, url, payload["document"], key, _auth(self.token))
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict) and body.get("ok") is False:
            raise WmsRefused(str(body.get("code") or "REFUSED"), str(body.get("message", "")))


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _check_json_code(response: httpx.Response) -> None:
    """Accept a 2xx reply; one saying ``{"code": non-zero}`` or ``{"ok": false}`` is refused."""
    try:
        body = response.json()
    except ValueError:
        return
    if isinstance(body, dict):
        code = body.get("code", 0)
        if body.get("ok") is False or (isinstance(code, int) and code != 0):
            raise DeliveryError(f"refused: {response.text[:200]}", retryable=False)


def build_channels(config: Channels, client: httpx.Client,
                   platform_ship: Channel | None = None) -> dict[str, Channel]:
    """The channels by name.  ``platform_ship`` needs the workspace's shops
    (:meth:`~.ship_channel.PlatformShip.for_workspace`); without them it refuses every
    shipment, naming the missing shop."""
    from .ship_channel import PlatformShip

    def http(name: str, section: HttpChannel) -> HttpJsonPush:
        return HttpJsonPush(client, name, section.url, secret(section.token, section.token_env))

    wecom = config.wecom
    sms = config.sms
    return {
        "wecom": WeComRobot(client, wecom.base_url, secret(wecom.key, wecom.key_env),
                            wecom.msgtype),
        "sms": HttpJsonSms(client, sms.url, secret(sms.token, sms.token_env)),
        "wms": WmsPush(client, "wms", config.wms.url,
                       secret(config.wms.token, config.wms.token_env)),
        "logistics": http("logistics", config.logistics),
        "platform_ship": platform_ship or PlatformShip([]),
    }
