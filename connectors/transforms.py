"""Named value transforms that mapping files apply to raw fields (``as: yuan`` and so on).

Each transform takes the raw value and the mapping's timezone and returns the normalized value,
``None`` for "no value", or raises :class:`ValueError` with a reason a person can act on.
The quirks handled here are real: Taobao exports wrap order numbers as ``="123"`` and prefix
phones with ``'``; JD writes ``0001-01-01 00:00:00`` for "never"; Douyin counts money in fen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

Transform = Callable[[Any, tzinfo], Any]

_EMPTY = ("", "null", "None", "NULL", "-")
_MONEY_JUNK = re.compile(r"[\s,元¥￥]|RMB|CNY")
_NO_JUNK = re.compile(r'^[="\'\s]+|["\s]+$')
_NEVER = ("0001-01-01", "1970-01-01", "0000-00-00")
_DT_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d",
)
_TZ_CACHE: dict[str, tzinfo] = {}


def zone(name: str) -> tzinfo:
    """A cached ``ZoneInfo``; raises ValueError for an unknown zone name."""
    tz = _TZ_CACHE.get(name)
    if tz is None:
        try:
            tz = _TZ_CACHE[name] = ZoneInfo(name)
        except Exception as exc:  # noqa: BLE001 - zoneinfo raises several kinds
            raise ValueError(f"unknown timezone {name!r}") from exc
    return tz


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in _EMPTY)


def as_str(value: Any, tz: tzinfo) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip().strip("\t")
    return text or None


def as_order_no(value: Any, tz: tzinfo) -> str | None:
    """Order numbers as strings, without the ``="..."``, ``'`` and tab wrappers of exports."""
    if _blank(value):
        return None
    if isinstance(value, float):
        raise ValueError(f"order number {value!r} was stored as a float and lost digits")
    text = _NO_JUNK.sub("", str(value).strip())
    return text or None


def as_phone(value: Any, tz: tzinfo) -> str | None:
    """Phones as delivered (plain, masked or ciphertext), minus export quirks."""
    if _blank(value):
        return None
    return str(value).strip().lstrip("'").strip() or None


def as_yuan(value: Any, tz: tzinfo) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, int):
        return Decimal(value).quantize(Decimal("0.01"))
    text = _MONEY_JUNK.sub("", str(value))
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def as_fen(value: Any, tz: tzinfo) -> Decimal | None:
    """Integer fen (Douyin) to Decimal yuan."""
    if _blank(value):
        return None
    try:
        return Decimal(int(value)).scaleb(-2)
    except (TypeError, ValueError):
        raise ValueError(f"not an amount in fen: {value!r}") from None


def as_int(value: Any, tz: tzinfo) -> int | None:
    if _blank(value):
        return None
    try:
        return int(str(value).strip().rstrip("件").strip())
    except ValueError:
        raise ValueError(f"not a whole number: {value!r}") from None


def as_bool(value: Any, tz: tzinfo) -> bool | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "是", "t"):
        return True
    if text in ("0", "false", "no", "n", "否", "f"):
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def as_datetime(value: Any, tz: tzinfo) -> datetime | None:
    """Platform date-time text in the shop's timezone (ISO with an offset is honoured)."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    text = str(value).strip()
    if text.startswith(_NEVER):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
        for fmt in _DT_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            raise ValueError(f"not a date-time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def as_unix(value: Any, tz: tzinfo) -> datetime | None:
    """Unix seconds (Douyin, PDD increments); 0 means "never"."""
    if _blank(value):
        return None
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"not a unix time: {value!r}") from None
    if seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, tz)


def as_raw(value: Any, tz: tzinfo) -> Any:
    return value


TRANSFORMS: dict[str, Transform] = {
    "str": as_str,
    "order_no": as_order_no,
    "phone": as_phone,
    "yuan": as_yuan,
    "fen": as_fen,
    "int": as_int,
    "bool": as_bool,
    "datetime": as_datetime,
    "unix": as_unix,
    "raw": as_raw,
}
