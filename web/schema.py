"""The console's tables, on the store's metadata (migration ``web_0001``).

Passwords are argon2 hashes; sessions are stored by the SHA-256 of their cookie value, so a
leaked table does not hand out live sessions.  The audit trail is fulfilment's ``audit_log``
(see :mod:`orderhub.web.audit`).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, String, Table, Text

from ..store.schema import BigId, UTCDateTime, metadata, orders

users = Table(
    "web_users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
Index("ix_web_sessions_user", sessions.c.user_name)

login_failures = Table(
    "web_login_failures",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_name", String(64), nullable=False),
    Column("client", String(64)),
    Column("at", UTCDateTime, nullable=False),
)
Index("ix_web_login_failures_user_at", login_failures.c.user_name, login_failures.c.at)

# The order search looks orders up by tracking number, receiver name and bare order number.
Index("ix_orders_tracking_no", orders.c.tracking_no)
Index("ix_orders_receiver_name", orders.c.receiver_name)
Index("ix_orders_platform_order_no", orders.c.platform_order_no)
Index("ix_orders_created_at", orders.c.created_at)
