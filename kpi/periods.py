"""Periods in shop time: an ISO week (``2026-W48``), a day range, or ``FROM..TO``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from ..connectors.transforms import zone


@dataclass(frozen=True)
class KpiPeriod:
    """Local days ``first``..``last`` (inclusive) in ``tz``; ``start``/``end`` are the UTC
    bounds ``[start, end)``."""

    first: date
    last: date
    tz_name: str
    label: str

    @property
    def tz(self) -> tzinfo:
        return zone(self.tz_name)

    @property
    def start(self) -> datetime:
        return _midnight(self.first, self.tz)

    @property
    def end(self) -> datetime:
        return _midnight(self.last + timedelta(days=1), self.tz)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def as_json(self) -> dict[str, str]:
        return {"label": self.label, "from": self.first.isoformat(),
                "to": self.last.isoformat(), "timezone": self.tz_name}


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def week(spec: str, tz: str) -> KpiPeriod:
    found = re.fullmatch(r"\s*(\d{4})-?W(\d{1,2})\s*", spec, re.IGNORECASE)
    if not found:
        raise ValueError(f"not a week: {spec!r} (use YYYY-Www, e.g. 2026-W48)")
    year, num = int(found[1]), int(found[2])
    try:
        first = date.fromisocalendar(year, num, 1)
    except ValueError:
        raise ValueError(f"{year} has no week {num}") from None
    return KpiPeriod(first, first + timedelta(days=6), tz, f"{year}-W{num:02d}")


def days(first: str | date, last: str | date, tz: str) -> KpiPeriod:
    a, b = _day(first, "--from"), _day(last, "--to")
    if b < a:
        raise ValueError(f"--to {b} is before --from {a}")
    return KpiPeriod(a, b, tz, f"{a}..{b}")


def _day(value: str | date, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{what}: not a date: {value!r} (use YYYY-MM-DD)") from None


def parse_period(spec: str, tz: str) -> KpiPeriod:
    """``2026-W48``, ``2026-11-23..2026-11-29`` or one day ``2026-11-23``."""
    if "W" in spec.upper():
        return week(spec, tz)
    first, sep, last = spec.partition("..")
    return days(first, last if sep else first, tz)


def last_week(now: datetime, tz: str) -> KpiPeriod:
    """The full ISO week before the one ``now`` falls in (shop time)."""
    today = now.astimezone(zone(tz)).date()
    year, num, _ = (today - timedelta(days=7)).isocalendar()
    return week(f"{year}-W{num:02d}", tz)


def previous(period: KpiPeriod) -> KpiPeriod:
    """The period just before ``period``: the week before a week, else as many days just
    before (the dashboard's and the digest's default comparison)."""
    if re.fullmatch(r"\d{4}-W\d{2}", period.label):
        year, num, _ = (period.first - timedelta(days=7)).isocalendar()
        return week(f"{year}-W{num:02d}", period.tz_name)
    last = period.first - timedelta(days=1)
    return days(last - (period.last - period.first), last, period.tz_name)
