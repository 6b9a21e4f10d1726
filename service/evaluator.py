"""What the service asks of the rules and flows: the :class:`Evaluator` protocol.

The consumer hands each event and its order to the live evaluator and gets back an
:class:`Evaluation`: actions on the order, outgoing messages, and the versions that made it.
Both actions and messages carry idempotency keys, which is what makes a replay harmless.

An evaluator is built by a factory ``factory(workspace) -> Evaluator`` that compiles and checks
everything (and runs embedded examples) and raises :class:`~orderhub.errors.SourceError` /
:class:`~orderhub.errors.SourceErrors` when anything is wrong; hot reload relies on that.  The
default factory, :func:`rules_and_flows`, uses whichever of the rules engine and the routing
flows are installed; ``service.evaluator`` in ``orderhub.yaml`` names another.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ..errors import ConfigError, SourceSpan
from ..model import Order
from ..store.orders import OrderEvent, OrderStore

#: Outbox channels a message may go to.
MESSAGE_KINDS = ("wecom", "sms", "wms", "logistics")


@dataclass(frozen=True, slots=True)
class OrderAction:
    """Something done to an order (hold shipment, mark for review); once per ``key``."""

    kind: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Message:
    """An outgoing message for the outbox: ``kind`` is one of :data:`MESSAGE_KINDS`."""

    kind: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in MESSAGE_KINDS:
            raise ValueError(f"unknown message kind {self.kind!r}; one of {MESSAGE_KINDS}")


@dataclass(frozen=True, slots=True)
class Versions:
    """The rule set and flow versions live in an evaluator (None: not installed)."""

    rules: str | None = None
    flows: str | None = None

    def label(self) -> str:
        return f"rules={self.rules or '-'} flows={self.flows or '-'}"


@dataclass(slots=True)
class Evaluation:
    actions: list[OrderAction] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    versions: Versions = Versions()
    #: routing results (``engine.flows`` RouteResult): their decision and stock reservations
    #: are written in the same transaction as this evaluation's decision
    routes: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class ServiceContext:
    """What an evaluation may look at besides the order: the store (history), the clock."""

    store: OrderStore
    now: datetime
    workspace: Any = None
    #: orders routed already (committed, or earlier in this batch): their first routing
    #: stands, so a replayed or repeated event never reserves stock twice
    routed: set[str] = field(default_factory=set)
    #: the SKUs whose stock this batch has locked (PostgreSQL), so routing reads only theirs;
    #: None: not locked (SQLite), read every SKU's
    skus: set[str] | None = None


class Evaluator(Protocol):
    """``versions`` and ``evaluate``; optionally ``routes(event_type) -> bool``: whether that
    event may reserve stock (the service then locks the batch's SKUs, so batches sharing one
    run one after the other, and tells the evaluator which orders are routed already, in
    :attr:`ServiceContext.routed`); optionally ``prepare(items, ctx)``, called once per batch
    with every ``(order, event)`` about to be evaluated in that context, so that work shared by
    the batch (the rules' history queries) is done once; ``evaluate`` must still work for an
    order ``prepare`` did not see."""

    versions: Versions

    def evaluate(self, order: Order, event: OrderEvent, ctx: ServiceContext) -> Evaluation: ...


EvaluatorFactory = Callable[[Any], Evaluator]


def load_factory(spec: str | None, root: Path | None = None) -> EvaluatorFactory:
    """The factory named by ``spec`` (``module:attr`` or ``file.py:attr``), default ours."""
    if not spec:
        from .rules_and_flows import rules_and_flows

        return rules_and_flows
    target, _, attr = spec.rpartition(":")
    if not target or not attr:
        raise ConfigError(f"service.evaluator {spec!r} must look like module:factory",
                          SourceSpan("orderhub.yaml"))
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_absolute() and root is not None:
            path = root / path
        name = f"orderhub_evaluator_{abs(hash(str(path)))}"
        module = sys.modules.get(name)
        if module is None:
            spec_obj = importlib.util.spec_from_file_location(name, path)
            if spec_obj is None or spec_obj.loader is None or not path.is_file():
                raise ConfigError(f"service.evaluator: no file {path}",
                                  SourceSpan("orderhub.yaml"))
            module = importlib.util.module_from_spec(spec_obj)
            sys.modules[name] = module
            spec_obj.loader.exec_module(module)
    else:
        if root is not None and str(root) not in sys.path:
            sys.path.insert(0, str(root))
        module = importlib.import_module(target)
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ConfigError(f"service.evaluator: {target} has no callable {attr!r}",
                          SourceSpan("orderhub.yaml"))
    return factory  # type: ignore[no-any-return]
