"""Intercept hooks: other parts of orderhub act when an order is stopped after release.

The waybill module registers one that cancels the order's e-waybill; a hook receives the
decision's connection (its writes commit with the intercept, or not at all), the order id,
the reason and the time::

    from orderhub.fulfilment import hooks

    @hooks.on_intercept
    def cancel_waybill(conn, order_id, reason, now): ...

Hooks run in registration order; one that raises fails the transaction (the event is retried),
so a hook must be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

InterceptHook = Callable[[Connection, str, str, datetime], None]

_intercept: list[InterceptHook] = []


def on_intercept(hook: InterceptHook) -> InterceptHook:
    """Register ``hook`` (usable as a decorator); registering twice keeps one."""
    if hook not in _intercept:
        _intercept.append(hook)
    return hook


def remove(hook: InterceptHook) -> None:
    if hook in _intercept:
        _intercept.remove(hook)


def run_intercept(conn: Connection, order_id: str, reason: str, now: datetime) -> None:
    for hook in list(_intercept):
        hook(conn, order_id, reason, now)
