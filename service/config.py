"""``service:`` in ``orderhub.yaml``: schedules, queue tuning, outbox channels and their secrets.

Secrets (webhook keys, tokens) may be written inline or, better, named by an environment variable
(``key_env: ORDERHUB_WECOM_KEY``).  :func:`secret` resolves them and registers every resolved
value with the log redactor, so a secret never reaches a log line.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

from .logs import register_secret


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShopPull(_Section):
    """One shop's scheduled pull.  Until platform connectors exist, a pull ingests a folder."""

    shop: str = Field(description="shop id given to records that carry none")
    inbox: str | None = Field(None, description="folder of order files; default: service inbox")
    source: str | None = Field(None, description="mapping name; default: told from each file")
    interval_minutes: float = Field(5, gt=0)


class WeComChannel(_Section):
    """A WeCom (企业微信) group robot."""

    base_url: str = "https://qyapi.weixin.qq.com"
    key: str | None = None
    key_env: str | None = "ORDERHUB_WECOM_KEY"
    msgtype: str = Field("markdown", pattern="^(markdown|text)$")
    per_minute: int = Field(20, ge=1, description="messages a robot accepts a minute (WeCom: 20)")
    digest: bool = Field(True, description="merge markdown messages to one robot into digests")


class HttpChannel(_Section):
    """An HTTP JSON endpoint (SMS provider, WMS, logistics callback) with a bearer token."""

    url: str | None = None
    token: str | None = None
    token_env: str | None = None


class Channels(_Section):
    wecom: WeComChannel = WeComChannel()
    sms: HttpChannel = HttpChannel(token_env="ORDERHUB_SMS_TOKEN")
    wms: HttpChannel = HttpChannel(token_env="ORDERHUB_WMS_TOKEN")
    logistics: HttpChannel = HttpChannel(token_env="ORDERHUB_LOGISTICS_TOKEN")


class ServiceConfig(_Section):
    """Everything ``orderhub run`` and ``orderhub worker`` need beyond the workspace itself."""

    consumer: str = Field("main", description="name of the event consumer (its own progress)")
    evaluator: str | None = Field(
        None, description="module:factory or path.py:factory building the evaluator; "
        "default: the rules engine and flows that are installed")
    inbox: str | None = Field(None, description="folder pulled every interval (all shops)")
    pull_interval_minutes: float = Field(5, gt=0)
    shops: list[ShopPull] = Field(default_factory=list)
    settlement_time: str = Field("02:30", pattern=r"^\d{1,2}:\d{2}$",
                                 description="nightly settlement pull, shop timezone")
    check_interval_seconds: float = Field(60, gt=0)
    stock_push_seconds: float = Field(
        60, gt=0, description="how often changed stock is pushed to listings (the debounce)")
    lease_seconds: float = Field(60, gt=0)
    batch_size: int = Field(200, ge=1)
    poll_seconds: float = Field(1.0, gt=0)
    beat_seconds: float = Field(
        2.0, gt=0, description="heartbeat, reload-request and leader-election poll interval")
    max_attempts: int = Field(8, ge=1, description="event and outbox attempts before giving up")
    backoff_seconds: float = Field(5, gt=0, description="first outbox retry delay")
    backoff_max_seconds: float = Field(900, gt=0)
    send_timeout_seconds: float = Field(10, gt=0)
    send_concurrency: int = Field(4, ge=1, description="outbox messages sent at once "
                                  "(one order's messages always go one after another)")
    late_commit_grace_seconds: float = Field(
        600, ge=0, description="how long an ingest transaction may stay open (see docs)")
    watch: bool = Field(True, description="reload when rules/ or flows/ change")
    channels: Channels = Channels()


def secret(value: str | None, env: str | None) -> str | None:
    """The inline value, else the environment variable's; registered for redaction."""
    resolved = value or (os.environ.get(env) if env else None)
    if resolved:
        register_secret(resolved)
    return resolved
