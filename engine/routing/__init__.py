"""Routing flows: YAML workflows that assign paid orders to warehouses.

Python API::

    flows = load_flows("flows/")                       # SourceErrors with every mistake
    results = route_orders(orders, flows, stock)       # list[RouteResult], nothing changed
    results[0].as_json()                               # {"flow", "warehouse", "path", "reasons"...}

See ``docs/flows.md`` for the file format.
"""

from .flowset import CompiledFlow, FlowSet
from .loader import flow_files, load_flow_text, load_flows
from .model import json_schema
from .router import Router, order_event, route_orders
from .runtime import FlowAction, FlowRuntimeError, OutgoingMessage, RouteResult
from .state import LoadBook, RoutingState, StockLevels
from .trace import Trace, TraceStep
from .warehouses import Network, WarehouseConfig

__all__ = [
    "FlowAction",
    "CompiledFlow",
    "FlowRuntimeError",
    "FlowSet",
    "LoadBook",
    "Network",
    "OutgoingMessage",
    "RouteResult",
    "Router",
    "RoutingState",
    "StockLevels",
    "Trace",
    "TraceStep",
    "WarehouseConfig",
    "flow_files",
    "json_schema",
    "load_flow_text",
    "load_flows",
    "order_event",
    "route_orders",
]
