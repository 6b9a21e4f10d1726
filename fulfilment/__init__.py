"""Fulfilment after routing: the order's stage, holds, the review queue, interception,
shipping and one timeline per order (docs/fulfilment.md).

The API the CLI and the web console call takes the workspace and a person's name:
:mod:`.holds` (list, hold, release), :mod:`.tasks` (list, claim, done, cancel),
:mod:`.actions` (cancel, correct_address, reroute), :func:`ship`, :mod:`.timeline`,
:mod:`.audit`.  The service calls :class:`.gate.Gate` in each decision's transaction.
"""

from __future__ import annotations

from typing import Any


def ship(ws: Any, order: str, carrier: str, tracking_no: str, **kwargs: Any) -> Any:
    """Ship an order (or some of its lines): see :func:`orderhub.fulfilment.shipping.ship`."""
    from .shipping import ship as _ship

    return _ship(ws, order, carrier, tracking_no, **kwargs)
