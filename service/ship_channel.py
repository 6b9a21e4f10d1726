"""The ``platform_ship`` outbox channel: a shipment written back to its platform (发货回传).

Payload (one per shipment)::

    {"shop": "tmall-flagship" | null, "platform": "taobao|jd|pdd|douyin",
     "platform_order_no": "...", "carrier": "ZTO", "tracking_no": "...",
     "lines": null | [{"line_id": "<sub-order id>", "quantity": 1}], "shipment_id": "..."}

The shop's credentials come from ``shops:`` in ``orderhub.yaml`` (as ``orderhub pull`` reads
them; ``shop: null`` means the platform's only shop), the carrier goes through the carrier
table, and :func:`orderhub.connectors.shipping.ship` makes the call.  "Already shipped with this
number" is success, so a message delivered twice changes nothing.  A refusal raises
:class:`~.channels.ShipRejected` (not retried, ``reason`` says why); transient trouble raises a
retryable :class:`~.channels.DeliveryError`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..connectors.base import PlatformClient
from ..connectors.carriers import CarrierTable
from ..connectors.http import PlatformError
from ..connectors.shipping import ShipCodes, ShipRefused, ShipRequest, ShipResult, ship
from ..connectors.shops import ShopConfig, ShopConfigError, find_shop
from ..errors import OrderhubError
from .channels import DeliveryError, ShipRejected

log = logging.getLogger("orderhub.service.outbox")


class PlatformShip:
    """The ``platform_ship`` channel; one API client per shop, made on first use."""

    def __init__(self, shops: list[ShopConfig], carriers: CarrierTable | None = None,
                 codes: ShipCodes | None = None,
                 make_client: Callable[[ShopConfig], PlatformClient] | None = None) -> None:
        self.shops = list(shops)
        self.carriers = carriers or CarrierTable.load()
        self.codes = codes or ShipCodes.load()
        self._make = make_client
        self._clients: dict[str, PlatformClient] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_workspace(cls, workspace: Any) -> PlatformShip:
        """Shops from ``orderhub.yaml``; ``carriers.yaml`` / ``ship_errors.yaml`` in the
        workspace add to the built-in tables."""
        root: Path = workspace.root
        return cls(workspace.config.shops, CarrierTable.for_workspace(root),
                   ShipCodes.for_workspace(root))

    def send(self, payload: dict[str, Any], key: str) -> None:
        request = parse(payload)
        client = self.client(self.shop_for(request))
        try:
            result = ship(client, request, self.carriers, self.codes)
        except ShipRefused as exc:
            raise ShipRejected(str(exc), reason=exc.reason) from None
        except PlatformError as exc:
            raise DeliveryError(str(exc), retryable=exc.retryable) from None
        except OrderhubError as exc:  # e.g. a shop whose secret is not in the environment
            raise DeliveryError(str(exc), retryable=False) from None
        _told(result, request)

    def shop_for(self, request: ShipRequest) -> ShopConfig:
        """The payload's shop, or the platform's only shop when it names none."""
        if request.shop:
            try:
                shop = find_shop(self.shops, request.shop)
            except ShopConfigError as exc:
                raise DeliveryError(str(exc), retryable=False) from None
            if shop.platform != request.platform:
                raise DeliveryError(f"shop {shop.name!r} is a {shop.platform} shop, but the "
                                    f"shipment is for {request.platform}", retryable=False)
            return shop
        mine = [s for s in self.shops if s.platform == request.platform]
        if len(mine) != 1:
            names = ", ".join(s.name for s in mine) or "none"
            raise DeliveryError(f"the shipment names no shop and orderhub.yaml has {len(mine)} "
                                f"{request.platform} shops ({names}); put the shop's name in "
                                "the payload", retryable=False)
        return mine[0]

    def client(self, shop: ShopConfig) -> PlatformClient:
        with self._lock:
            client = self._clients.get(shop.name)
            if client is None:
                try:
                    client = self._new(shop)
                except ShopConfigError as exc:
                    raise DeliveryError(str(exc), retryable=False) from None
                self._clients[shop.name] = client
            return client

    def _new(self, shop: ShopConfig) -> PlatformClient:
        if self._make is not None:
            return self._make(shop)
        from ..connectors.pull import make_client

        return make_client(shop)

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


def parse(payload: dict[str, Any]) -> ShipRequest:
    """The payload as a :class:`ShipRequest`; a malformed one names its fields (not retried)."""
    try:
        return ShipRequest.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}"
                             for e in exc.errors())
        raise DeliveryError(f"bad platform_ship payload: {problems}", retryable=False) from None


def _told(result: ShipResult, request: ShipRequest) -> None:
    log.info("%s %s: %s with %s %s (shipment %s)", result.platform, result.order_no,
             result.status, request.carrier, request.tracking_no, request.shipment_id,
             extra={"event": "platform_ship", "status": result.status})
