"""Errors of fulfilment: each says what was refused and why, in words a person acts on."""

from __future__ import annotations

from ..errors import OrderhubError


class FulfilmentError(OrderhubError):
    """A fulfilment operation that does not apply to the order as it stands."""


class IllegalTransition(FulfilmentError):
    """A stage change the state machine does not allow (shipped -> routed, ...)."""


class ShipRefused(FulfilmentError):
    """The order may not ship: an open blocking hold, a refund, a cancellation."""


class TaskStateError(FulfilmentError):
    """A task action that does not apply (closing a task already done, ...)."""
