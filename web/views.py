"""Template helpers: local times, and one timeline of an order's events and staff actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..model import DEFAULT_TZ


def localtime(value: datetime | None, tz: str | None = None) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz or DEFAULT_TZ)).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    type: str
    who: str | None
    data: Any


def timeline(events: list[Any], audit: list[Any]) -> list[TimelineEntry]:
    """The order's events and the audited staff actions on it, oldest first."""
    out = [TimelineEntry(e.at, e.type, None, e.data) for e in events]
    out += [TimelineEntry(a.at, a.action, a.who,
                          {k: v for k, v in (("target", a.target), ("before", a.before),
                                             ("after", a.after)) if v is not None})
            for a in audit]
    return sorted(out, key=lambda e: e.at)


def install(env: Any) -> None:
    env.filters["localtime"] = localtime
    env.globals["timeline"] = timeline
