"""Template helpers: times as the shop sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..model import DEFAULT_TZ


def localtime(value: datetime | None, tz: str | None = None) -> str:
    """``2025-11-11 10:00:00`` in the shop's zone (by isoformat: a page of hundreds of rows
    calls this twice a row, and strftime costs several times more)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz or DEFAULT_TZ)).isoformat(" ", "seconds")[:19]


def install(env: Any) -> None:
    env.filters["localtime"] = localtime
