"""Functions rules may call, registered by name with the signature the checker uses.

The table is the language's (:mod:`orderhub.dsl.functable`): this module registers into it, and
the language never imports this module.

Every function accepts null for any argument and then returns null (or 0 for counts), so rules
stay null-safe without the author writing guards.  Functions that need the evaluation context
(clock, timezone, order history) are declared with ``needs_ctx``; the compiler passes the context
as the first argument, and for ``needs_order`` the order being judged as the second.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from .functable import Param, builtin
from .types import ExprType

T = ExprType


# ---- clock and calendar (shop timezone) ----------------------------------------------------


@builtin("now", [], T.DATETIME, "the evaluation time (the injectable clock), shop timezone",
         needs_ctx=True)
def _now(ctx: Any) -> datetime:
    return ctx.now


@builtin("today", [], T.DATE, "today's date in the shop's timezone", needs_ctx=True)
def _today(ctx: Any) -> date:
    return ctx.now.astimezone(ctx.tz).date()


@builtin("date", [Param("value", T.DATETIME)], T.DATE,
         "the calendar date of a date-time, in the shop's timezone", needs_ctx=True)
def _date(ctx: Any, value: datetime | None) -> date | None:
    return None if value is None else value.astimezone(ctx.tz).date()


@builtin("hour", [Param("value", T.DATETIME)], T.NUMBER,
         "the hour (0-23) of a date-time, in the shop's timezone", needs_ctx=True)
def _hour(ctx: Any, value: datetime | None) -> int | None:
    return None if value is None else value.astimezone(ctx.tz).hour


@builtin("weekday", [Param("value", T.DATETIME)], T.NUMBER,
         "day of the week, 1 = Monday ... 7 = Sunday, in the shop's timezone", needs_ctx=True)
def _weekday(ctx: Any, value: datetime | None) -> int | None:
    return None if value is None else value.astimezone(ctx.tz).isoweekday()


@builtin("time_of", [Param("value", T.DATETIME)], T.TIME,
         "the time of day of a date-time, in the shop's timezone", needs_ctx=True)
def _time_of(ctx: Any, value: datetime | None) -> time | None:
    return None if value is None else value.astimezone(ctx.tz).time()


_MICROSECOND = timedelta(microseconds=1)


def _in_units(value: timedelta | None, unit: timedelta) -> Decimal | None:
    """A duration as an exact number of ``unit`` (Decimal, like every number in rules)."""
    return None if value is None else Decimal(value // _MICROSECOND) / Decimal(unit // _MICROSECOND)


@builtin("minutes", [Param("value", T.DURATION)], T.NUMBER, "a duration in minutes")
def _minutes(value: timedelta | None) -> Decimal | None:
    return _in_units(value, timedelta(minutes=1))


@builtin("hours", [Param("value", T.DURATION)], T.NUMBER, "a duration in hours")
def _hours(value: timedelta | None) -> Decimal | None:
    return _in_units(value, timedelta(hours=1))


# ---- text ----------------------------------------------------------------------------------


@builtin("lower", [Param("text", T.STRING)], T.STRING, "text in lower case")
def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


@builtin("upper", [Param("text", T.STRING)], T.STRING, "text in upper case")
def _upper(text: str | None) -> str | None:
    return None if text is None else text.upper()


@builtin("trim", [Param("text", T.STRING)], T.STRING, "text without surrounding spaces")
def _trim(text: str | None) -> str | None:
    return None if text is None else text.strip()


@builtin("length", [Param("value", T.ANY, kinds=frozenset({"string", "list", "map"}))], T.NUMBER,
         "number of characters or list elements")
def _length(value: Any) -> int | None:
    return None if value is None else len(value)


_NON_DIGITS = re.compile(r"\D")


def normalize_phone(phone: str | None) -> str | None:
    """Mainland mobile numbers in one form: digits only, without +86/0086 prefix.

    Masked (``138****1234``) or encrypted values are returned unchanged: they cannot be
    normalized and must not be mangled into something that looks like a real number.
    """
    if phone is None:
        return None
    text = phone.strip()
    if "*" in text or not text:
        return text
    digits = _NON_DIGITS.sub("", text)
    if len(digits) > 11 and digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits or text


builtin("normalize_phone", [Param("phone", T.STRING)], T.STRING,
        "phone digits only, without +86 (masked numbers unchanged)")(normalize_phone)


@builtin("coalesce", [Param("value", T.ANY), Param("fallback", T.ANY)], T.ANY,
         "the first argument unless it is null, else the second", returns_like_arg=True)
def _coalesce(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


@builtin("abs", [Param("value", T.NUMBER)], T.NUMBER, "absolute value")
def _abs(value: Any) -> Any:
    return None if value is None else abs(value)


# ---- lists and lookup tables (lists/*.txt, lists/*.csv; see dsl/lists.py) ------------------
# The checker resolves the list name and column when the rules load and the compiler reads the
# loaded data straight from the context (``ctx.lists``); these bodies only run if that is
# bypassed.


def _unresolved(*_: Any) -> Any:
    raise RuntimeError("list() and lookup() are resolved when the rules are checked")


builtin("list", [Param("name", T.STRING)], T.list_of(T.STRING),
        "the entries of lists/NAME.txt, or the first column of lists/NAME.csv (text); "
        "`x in list(\"blacklist\")` tests membership", needs_ctx=True)(_unresolved)
builtin("lookup", [Param("name", T.STRING), Param("key", T.STRING),
                   Param("column", T.STRING, None)], T.ANY,
        "the COLUMN of the row of lists/NAME.csv whose first column is KEY (null when absent); "
        "a number column gives numbers; COLUMN may be left out for a two-column table",
        needs_ctx=True)(_unresolved)


# ---- order history (batched) ---------------------------------------------------------------


def _day_start(ctx: Any, at: datetime | None = None) -> datetime:
    local = (at or ctx.now).astimezone(ctx.tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _created_at(order: Any) -> datetime | None:
    """The order's creation time, from a model or a plain dict (datetime or ISO text)."""
    value = order.get("created_at") if isinstance(order, dict) else getattr(order, "created_at",
                                                                             None)
    if type(value) is datetime:  # the usual case, first: every history call plans with it
        return value if value.tzinfo is not None else None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) and value.tzinfo is not None else None


# History windows are half-open, [since, until), like the store's query; "until now, this
# instant included" is therefore now + 1 µs.
_INSTANT = timedelta(microseconds=1)
_NO_TIME = timedelta()


def _anchor(ctx: Any, order: Any, upto_now: bool | None) -> datetime:
    """Where a history window ends: the judged order's creation time (orders strictly before
    it), or with ``upto_now=true`` the clock, this instant included."""
    if upto_now:
        return ctx.now + _INSTANT  # type: ignore[no-any-return]
    created = getattr(order, "created_at", None)  # the usual case: an order model's own time
    if type(created) is not datetime or created.tzinfo is None:
        created = _created_at(order)
    return created if created is not None else ctx.now + _INSTANT


def _plan_today(ctx: Any, order: Any, phone: str | None,
                upto_now: bool | None = False) -> tuple[datetime, datetime | None]:
    """The calendar day the order was placed on (the clock's day when it has no creation time),
    up to the order: the same in a live run, a dry-run of last week's orders and a backfill.

    Every order of a batch is planned twice (the batch's fetch, then the rule), so the day's
    bounds come from a small cache: the same values :func:`_day_start` and :func:`_next_day`
    compute."""
    created = _created_at(order)
    local = (created or ctx.now).astimezone(ctx.tz)
    since, next_day = _day_bounds(local.date(), ctx.tz, local.fold)
    end = created if created is not None and not upto_now else ctx.now + _INSTANT
    return (since, min(next_day, end))


@functools.lru_cache(maxsize=4096)
def _day_bounds(day: date, tz: Any, fold: int) -> tuple[datetime, datetime]:
    """Midnight starting ``day`` in ``tz`` and the midnight after it."""
    since = datetime(day.year, day.month, day.day, tzinfo=tz, fold=fold)
    return since, _next_day(since, tz)


def _next_day(start: datetime, tz: Any) -> datetime:
    """Midnight after ``start`` in ``tz`` (23 or 25 hours later across a DST change)."""
    naive = start.replace(tzinfo=None) + timedelta(days=1)
    return naive.replace(tzinfo=tz)


def _plan_within(ctx: Any, order: Any, phone: str | None, within: timedelta | None,
                 upto_now: bool | None = False) -> tuple[datetime, datetime]:
    """The ``within`` before the order; a window reaching before year 1 starts there."""
    until = _anchor(ctx, order, upto_now)
    if within is None or within < _NO_TIME:
        within = _NO_TIME
    try:
        since = until - within
    except OverflowError:
        since = datetime.min.replace(tzinfo=until.tzinfo)
    return (since, until)


_UPTO_NOW = Param("upto_now", T.BOOL, False)


@builtin("orders_today", [Param("phone", T.STRING), _UPTO_NOW], T.NUMBER,
         "earlier orders by this receiver phone on the day this order was placed (shop "
         "timezone): created strictly before it, this one not counted; upto_now=true: every "
         "order of that day up to the clock, this one included",
         needs_ctx=True, needs_order=True, history=True, plan=_plan_today)
def _orders_today(ctx: Any, order: Any, phone: str | None, upto_now: bool | None = False) -> int:
    if phone is None:
        return 0
    since, until = _plan_today(ctx, order, phone, upto_now)
    return ctx.count_orders_by_phone(phone, since, until)


@builtin("orders_by_phone", [Param("phone", T.STRING), Param("within", T.DURATION,
                                                              timedelta(days=1)), _UPTO_NOW],
         T.NUMBER, "earlier orders by this receiver phone within DURATION (default 1d) before "
         "this order, this one not counted; upto_now=true: the DURATION before the clock",
         needs_ctx=True, needs_order=True, history=True, plan=_plan_within)
def _orders_by_phone(ctx: Any, order: Any, phone: str | None,
                     within: timedelta | None = timedelta(days=1),
                     upto_now: bool | None = False) -> int:
    if phone is None or within is None:
        return 0
    since, until = _plan_within(ctx, order, phone, within, upto_now)
    return ctx.count_orders_by_phone(phone, since, until)


def _order_list() -> ExprType:
    from .types import order_record

    return T.list_of(T.of_record(order_record()))


@builtin("earlier_orders", [Param("phone", T.STRING), Param("within", T.DURATION,
                                                             timedelta(days=1)), _UPTO_NOW],
         _order_list(), "the orders by this receiver phone within DURATION (default 1d) before "
         "this order, this one not included, for counts and sums with a filter: "
         "`sum o in earlier_orders(receiver.phone, within=2h): sum i in o.items where "
         "i.sku == \"X\": i.quantity`",
         needs_ctx=True, needs_order=True, history=True, plan=_plan_within, fetch="orders")
def _earlier_orders(ctx: Any, order: Any, phone: str | None,
                    within: timedelta | None = timedelta(days=1),
                    upto_now: bool | None = False) -> list[Any]:
    if phone is None or within is None:
        return []
    since, until = _plan_within(ctx, order, phone, within, upto_now)
    return ctx.earlier_orders(phone, since, until)  # type: ignore[no-any-return]
