"""A reconciliation period: one day or one month in the shops' timezone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from ..connectors.transforms import zone


@dataclass(frozen=True)
class Period:
    """``[start, end)`` as aware datetimes, and the label people use (``2025-11`` or a date)."""

    start: datetime
    end: datetime
    label: str
    kind: str  # "day" or "month"

    @classmethod
    def day(cls, day: date | str, tz: tzinfo | str = "Asia/Shanghai") -> Period:
        tz = zone(tz) if isinstance(tz, str) else tz
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day.strip())
            except ValueError:
                raise ValueError(f"not a date: {day!r} (use YYYY-MM-DD)") from None
        start = datetime(day.year, day.month, day.day, tzinfo=tz)
        return cls(start, _add_days(start, 1, tz), day.isoformat(), "day")

    @classmethod
    def month(cls, month: str, tz: tzinfo | str = "Asia/Shanghai") -> Period:
        tz = zone(tz) if isinstance(tz, str) else tz
        found = re.fullmatch(r"\s*(\d{4})-?(\d{1,2})\s*", month)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise ValueError(f"not a month: {month!r} (use YYYY-MM)")
        year, mon = int(found.group(1)), int(found.group(2))
        start = datetime(year, mon, 1, tzinfo=tz)
        end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=tz)
        return cls(start, end, f"{year:04d}-{mon:02d}", "month")

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()


def _add_days(start: datetime, days: int, tz: tzinfo) -> datetime:
    nxt = start.date() + timedelta(days=days)
    return datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
