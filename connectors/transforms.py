"""Named value transforms that mapping files apply to raw fields (``as: yuan`` and so on).

Each transform takes the raw value and the mapping's timezone and returns the normalized value,
``None`` for "no value", or raises :class:`ValueError` with a reason a person can act on.
The quirks handled here are real: Taobao exports wrap order numbers as ``="123"`` and prefix
phones with ``'``; JD writes ``0001-01-01 00:00:00`` for "never"; Douyin counts money in fen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from ..record_checks import shown
from ..text import EMPTY, as_bool
from ..text import blank as _blank

Transform = Callable[[Any, tzinfo], Any]

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


def _scalar(value: Any, what: str) -> None:
    """Refuse an object or a list where one value belongs (never stored as its repr)."""
    if isinstance(value, dict | list | tuple):
        kind = "an object" if isinstance(value, dict) else "a list"
        raise ValueError(f"expected {what}, got {kind}: {shown(value)}")


def as_str(value: Any, tz: tzinfo) -> str | None:
    if type(value) is str:  # most values: what _blank and str() would do, done once
        text = value.strip()
        return None if text in EMPTY else text.strip("\t") or None
    if _blank(value):
        return None
    _scalar(value, "text")
    text = str(value).strip().strip("\t")
    return text or None


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cf", "Cc", "Zs", "Zl", "Zp")


def as_order_no(value: Any, tz: tzinfo) -> str | None:
    """Order numbers as strings, without the ``="..."``, ``'`` and tab wrappers of exports.

    Normalized so one order is one key: full-width digits become ASCII (NFKC) and invisible
    characters anywhere (zero-width spaces, BOMs, no-break spaces, control characters) go; a
    number copied with a trailing U+200B must not become a second order.
    """
    if type(value) is str and value.isdigit() and value.isascii():
        return value  # the common case: plain ASCII digits, nothing to strip or normalize
    if _blank(value):
        return None
    _scalar(value, "an order number (text or digits)")
    if isinstance(value, bool):
        raise ValueError(f"expected an order number, got {value!r}")
    if isinstance(value, float):
        raise ValueError(f"order number {value!r} was stored as a float and lost digits")
    text = str(value)
    if not text.isascii() or not text.isprintable():
        text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not _invisible(ch))
    text = _NO_JUNK.sub("", text.strip())
    return text or None


def as_phone(value: Any, tz: tzinfo) -> str | None:
    """Phones as delivered (plain, masked or ciphertext), minus export quirks."""
    if type(value) is str:  # most values: what _blank and str() would do, done once
        text = value.strip()
        return None if text in EMPTY else text.lstrip("'").strip() or None
    if _blank(value):
        return None
    _scalar(value, "a phone number")
    return str(value).strip().lstrip("'").strip() or None


_CENT = Decimal("0.01")
_ONE = Decimal(1)


def _plain_number(value: Any, point: bool = True) -> bool:
    """Text of ASCII digits (with at most one decimal point if ``point``), short enough for
    :func:`_decimal`: what it takes as it is (nothing to strip, blank or refuse), so
    ``Decimal(value)`` is its number without those checks.  Most amounts are written so."""
    if type(value) is not str or len(value) > 40 or not value.isascii():
        return False
    return (value.replace(".", "", 1) if point else value).isdigit()


def _decimal(value: Any, what: str) -> Decimal:
    """A finite Decimal from an int, a float (its shortest repr) or text; never from a bool."""
    if type(value) is float:  # a JSON number (PDD's amounts): its repr has nothing to strip
        number = Decimal(repr(value))
        if not number.is_finite():
            raise ValueError(f"not {what}: {shown(value)}")
        return number
    if isinstance(value, bool) or isinstance(value, dict | list | tuple):
        raise ValueError(f"not {what}: {shown(value)}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not {what}: {shown(value)}")
        return value
    text = _MONEY_JUNK.sub("", value if isinstance(value, str) else repr(value))
    if len(text) > 40:
        raise ValueError(f"not {what}: {shown(value)}")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not {what}: {shown(value)}") from None
    if not number.is_finite():
        raise ValueError(f"not {what}: {shown(value)}")
    return number


def as_yuan(value: Any, tz: tzinfo) -> Decimal | None:
    """Yuan with at most two decimals: 12.345 is refused, never rounded to 12.34 or 12.35."""
    if _plain_number(value):
        number = Decimal(value)
    elif _blank(value):
        return None
    else:
        number = _decimal(value, "an amount")
    try:
        cents = number.quantize(_CENT)
    except InvalidOperation:
        raise ValueError(f"amount out of range: {shown(value)}") from None
    if cents != number:
        raise ValueError(f"amount {shown(value)} has more than two decimals (fen are the "
                         "smallest unit)")
    return cents


def as_fen(value: Any, tz: tzinfo) -> Decimal | None:
    """Whole fen (Douyin) to Decimal yuan; a fraction of a fen is refused, never dropped."""
    if type(value) is int or _plain_number(value, point=False):  # whole as it is (most values)
        number = Decimal(value)
    elif _blank(value):
        return None
    else:
        number = _decimal(value, "an amount in fen")
        if number != number.to_integral_value():
            raise ValueError(f"amount in fen {shown(value)} is not a whole number of fen")
    try:
        return number.quantize(_ONE).scaleb(-2)
    except InvalidOperation:
        raise ValueError(f"amount in fen out of range: {shown(value)}") from None


def as_int(value: Any, tz: tzinfo) -> int | None:
    """Whole numbers (quantities); 3.7 is refused, never cut to 3."""
    if type(value) is int and -10**17 < value < 10**18:  # its text is 18 characters or fewer
        return value
    if _plain_number(value, point=False) and len(value) <= 18:
        return int(value)
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a whole number: {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip().rstrip("件").strip()
    if len(text) > 18:
        raise ValueError(f"not a whole number (too large): {shown(value)}")
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"not a whole number: {shown(value)}") from None


def as_datetime(value: Any, tz: tzinfo) -> datetime | None:
    """Platform date-time text in the shop's timezone (ISO with an offset is honoured)."""
    if type(value) is str:  # most values: what _blank and str() would do, done once
        text = value.strip()
        if text in EMPTY:
            return None
    elif _blank(value):
        return None
    elif isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    else:
        text = str(value).strip()
    if text.startswith(_NEVER):
        return None
    parsed: datetime | None
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
            raise ValueError(f"not a date-time: {shown(value)}") from None
    # combine() is replace(tzinfo=tz) at a third of its cost (no keyword parsing)
    return parsed if parsed.tzinfo else datetime.combine(parsed, parsed.time(), tz)


def as_unix(value: Any, tz: tzinfo) -> datetime | None:
    """Unix seconds (Douyin, PDD increments); 0 means "never"."""
    if type(value) is int and value > 0:  # most values
        try:
            return datetime.fromtimestamp(value, tz)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"unix time out of range: {shown(value)}") from None
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a unix time: {value!r}")
    try:
        seconds = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"not a unix time: {shown(value)}") from None
    if seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"unix time out of range: {shown(value)}") from None


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


# -- legacy exports (``orderhub migrate``) ---------------------------------------------------
# Old ERPs and hand-kept Excel sheets write the same value many ways; these transforms accept the
# common forms and give a reason a person can act on for the rest.  They apply NFKC first, so
# full-width digits, letters and punctuation (２０２５／３／１, ＋８６, ￥) read like ASCII.

_EXCEL_EPOCH = datetime(1899, 12, 30)
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$")
_LEGACY_DT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:(?:\s+|T|\s*)(\d{1,2})\s*[:时點点]\s*(\d{1,2})\s*分?"
    r"(?:\s*:?\s*(\d{1,2})\s*秒?)?)?"
    r"(?:\.\d+)?$"
)
_PHONE_JUNK = re.compile(r"[\s\-()（）.]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{9,11}$")
_MASKED = re.compile(r"^1\d{2}\*{4}\d{4}$")
_PLATFORM_NAMES = {
    "taobao": ("淘宝", "天猫", "tmall", "taobao", "tb", "淘宝网", "天猫商城"),
    "jd": ("京东", "jd", "jingdong", "京东商城"),
    "pdd": ("拼多多", "pdd", "pinduoduo"),
    "douyin": ("抖音", "抖店", "douyin", "dy", "抖音小店"),
    "other": ("其他", "线下", "门店", "other", "offline", "微店", "自营"),
}
_PLATFORMS = {name.lower(): key for key, names in _PLATFORM_NAMES.items() for name in names}


def nfkc(text: str) -> str:
    """Full-width forms to their ASCII twins (and the ideographic space to a space)."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def excel_serial(days: float, tz: tzinfo) -> datetime:
    """An Excel date serial (days since 1899-12-30, time as the fraction) in ``tz``."""
    if not 1 <= days < 2958466:
        raise ValueError(f"not an Excel date serial: {days!r}")
    seconds = round(days * 86400)
    return (_EXCEL_EPOCH + timedelta(seconds=seconds)).replace(tzinfo=tz)


def as_legacy_datetime(value: Any, tz: tzinfo) -> datetime | None:
    """Dates as legacy exports write them, in the mapping's timezone.

    ``2025/3/1 9:05``, ``2025-03-01T09:05``, ``2025年3月1日 9时5分``, ``2025.3.1``, ``20250301``,
    ``202503010905``, Excel serial numbers (``45717.38``, also as XLSX numbers) and the forms
    ``datetime`` reads.  Impossible dates (2025-02-30) are an error, never rolled over.
    """
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return excel_serial(float(value), tz)
    text = nfkc(str(value)).strip()
    if _blank(text) or text.startswith(_NEVER):
        return None
    found = _LEGACY_DT.match(text) or _COMPACT.match(text)
    if found is None and _SERIAL.match(text):
        return excel_serial(float(text), tz)
    if found:
        parts = [int(p) if p else 0 for p in found.groups()]
        try:
            return datetime(*parts, tzinfo=tz)  # type: ignore[arg-type,misc]  # y, m, d[, h, m, s]
        except ValueError as exc:
            raise ValueError(f"not a valid date: {value!r} ({exc})") from None
    try:
        return as_datetime(text, tz)
    except ValueError:
        raise ValueError(f"not a date-time: {value!r}") from None


def as_clean_phone(value: Any, tz: tzinfo) -> str | None:
    """Chinese phone numbers in one form: ``13812345678`` or ``021-61234567``.

    Drops ``+86``/``0086``/``86`` before a mobile number, spaces, dashes, brackets and the
    export quirks ``phone`` drops; a masked mobile (``138****5678``) is kept as it is.
    """
    if _blank(value):
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, float):
        raise ValueError(f"phone {value!r} was stored as a number; format the column as text")
    text = nfkc(str(value)).strip().lstrip("'").strip()
    if _MASKED.match(text):
        return text
    digits = _PHONE_JUNK.sub("", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and _MOBILE.match(digits[len(prefix):]):
            digits = digits[len(prefix):]
            break
    if _MOBILE.match(digits):
        return digits
    if _LANDLINE.match(digits):
        area = 3 if digits[1] in "12" else 4
        return f"{digits[:area]}-{digits[area:]}"
    raise ValueError(f"not a phone number: {value!r}")


def as_amount(value: Any, tz: tzinfo) -> Decimal | None:
    """Amounts as people type them: ``￥1,299.00``, ``128元``, ``９９.５``, ``RMB 88``."""
    if _blank(value):
        return None
    if isinstance(value, float):
        value = repr(value)
    text = nfkc(str(value)) if isinstance(value, str) else value
    try:
        return as_yuan(text, tz)
    except ValueError:
        raise ValueError(f"not an amount: {value!r}") from None


def as_platform(value: Any, tz: tzinfo) -> str | None:
    """Platform names in Chinese or English (淘宝, 天猫, 京东, 拼多多, 抖音, 线下, ...)."""
    if _blank(value):
        return None
    text = nfkc(str(value)).strip().lower()
    found = _PLATFORMS.get(text)
    if found is None:
        known = ", ".join(n for names in _PLATFORM_NAMES.values() for n in names[:2])
        raise ValueError(f"unknown platform {value!r} (known: {known})")
    return found


TRANSFORMS.update({
    "legacy_datetime": as_legacy_datetime,
    "clean_phone": as_clean_phone,
    "amount": as_amount,
    "platform": as_platform,
})
