"""orderhub: a declarative rules and workflow engine for e-commerce order operations.

The repository root is this package (see pyproject's ``package-dir``), so ``engine/``, ``dsl/``,
``connectors/`` and ``store/`` import as ``orderhub.engine`` and so on (docs/architecture.md).
"""

from .errors import OrderhubError, RecordError, SourceError, SourceErrors, SourceSpan
from .model import LineItem, Order, OrderStatus, Platform, Receiver, Refund, RefundStatus

__version__ = "0.1.0"

__all__ = [
    "LineItem",
    "Order",
    "OrderStatus",
    "OrderhubError",
    "Platform",
    "Receiver",
    "RecordError",
    "Refund",
    "RefundStatus",
    "SourceError",
    "SourceErrors",
    "SourceSpan",
]
