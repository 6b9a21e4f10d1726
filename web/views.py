"""Template helpers: times as the shop sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..model import DEFAULT_TZ


def localtime(value: datetime | None, tz: str | None = None) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz or DEFAULT_TZ)).strftime("%Y-%m-%d %H:%M:%S")


def install(env: Any) -> None:
    env.filters["localtime"] = localtime
