"""Persistence: the normalized order store and its schema migrations."""

from .db import connect, normalize_url, redact, upgrade_schema
from .orders import OrderEvent, OrderStore, ReadyOrder, Reject, UpsertResult, content_hash, prepare

__all__ = [
    "OrderEvent",
    "OrderStore",
    "ReadyOrder",
    "Reject",
    "UpsertResult",
    "connect",
    "content_hash",
    "normalize_url",
    "prepare",
    "redact",
    "upgrade_schema",
]
