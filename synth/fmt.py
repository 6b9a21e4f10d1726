"""Value formatting shared by the platform renderers (times, yuan, fen).

Orders keep times as unix seconds and money as integer fen (see `logical`);
these helpers turn them into the platforms' text forms with table lookups,
because rendering 100k orders formats about a million values.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# China has used UTC+8 without DST since 1991, so Beijing wall time = epoch + 8 h.
BEIJING_OFFSET_S = 8 * 3600
JD_NO_TIME = "0001-01-01 00:00:00"  # JD's "no such time" (unpaid / not finished)

_EPOCH_DAY = date(1970, 1, 1)
_DAYS: dict[int, str] = {}
_HOURS = tuple(f" {h:02d}:" for h in range(24))
_MIN_SEC = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))
_YUAN: dict[int, str] = {}


def _day(day_no: int) -> str:
    text = _DAYS.get(day_no)
    if text is None:
        text = _DAYS[day_no] = (_EPOCH_DAY + timedelta(days=day_no)).isoformat()
    return text


def ts(epoch: int) -> str:
    """Unix seconds -> 'yyyy-MM-dd HH:mm:ss' Beijing time."""
    day_no, sec = divmod(epoch + BEIJING_OFFSET_S, 86_400)
    hour, rest = divmod(sec, 3600)
    return _day(day_no) + _HOURS[hour] + _MIN_SEC[rest]


def ts_or(epoch: int | None, missing: str | None) -> str | None:
    return missing if epoch is None else ts(epoch)


def yymmdd(epoch: int) -> str:
    """Beijing calendar date as yymmdd (the prefix of PDD order numbers)."""
    d = _day((epoch + BEIJING_OFFSET_S) // 86_400)
    return d[2:4] + d[5:7] + d[8:10]


def to_datetime(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, SHANGHAI)


def to_epoch(dt: datetime | None) -> int | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: give an aware one (Asia/Shanghai)")
    return int(dt.timestamp())


def yuan(fen: int) -> str:
    """Integer fen -> yuan string with 2 dp as TOP/JOS send them ('29.90')."""
    text = _YUAN.get(fen)
    if text is None:
        sign = "-" if fen < 0 else ""
        text = f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
        if len(_YUAN) < 200_000:
            _YUAN[fen] = text
    return text


def fen_to_decimal(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def decimal_to_fen(amount: Decimal) -> int:
    """Yuan -> fen, refusing amounts finer than a fen."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"amount {amount} has more than 2 decimal places")
    return int(fen)
