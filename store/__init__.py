"""Persistence: the normalized order store and its schema migrations."""

from .db import connect, normalize_url, redact, upgrade_schema
from .orders import OrderEvent, OrderStore, Reject, UpsertResult, content_hash

__all__ = [
    "OrderEvent",
    "OrderStore",
    "Reject",
    "UpsertResult",
    "connect",
    "content_hash",
    "normalize_url",
    "redact",
    "upgrade_schema",
]
