"""KPIs: facts resolved when they are written, not found on every run.

- ``kpi_first_parcels.pay_seconds``: payment to the first parcel, in seconds, set by the
  triggers of ``kpi_0002`` (replaced here) whenever the parcel or the order's ``paid_at``
  changes; the rows already stored are filled.
- ``kpi_task_responses``: each task's first human action (earliest ``audit_log`` row on it;
  of several at that instant, the least person), kept by a trigger on ``audit_log`` and filled
  from the entries already stored.
- ``fulfilment_log (kind, at)`` indexed: interceptions read the few holds and intercepts of a
  period instead of every stage row.

Revision ID: kpi_0003
Revises: kpi_0002
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import UTCDateTime

revision = "kpi_0003"
down_revision = "kpi_0002"
branch_labels = None
depends_on = ("fulfilment_0001",)

#: Seconds from ``paid`` to ``shipped``, exactly as the KPIs computed them per run before:
#: PostgreSQL's epoch of the interval; SQLite's julianday difference rounded to the
#: millisecond (its double precision holds no more).
_SECONDS = {
    "postgresql": "CAST(EXTRACT(epoch FROM {shipped} - {paid}) AS FLOAT)",
    "sqlite": "round((julianday({shipped}) - julianday({paid})) * 86400.0, 3)",
}

_FROM_PARCEL = "order_id, shipped_at, warehouse, person, platform, shop, paid_at, pay_seconds"
_UPSERT = """ON CONFLICT (order_id) DO UPDATE SET shipped_at = excluded.shipped_at,
    warehouse = excluded.warehouse, person = excluded.person,
    pay_seconds = excluded.pay_seconds
    WHERE excluded.shipped_at < kpi_first_parcels.shipped_at"""
#: the first action on a task: the earliest, and of several at that instant the least person
_RESPONSE_UPSERT = """ON CONFLICT (target) DO UPDATE SET at = excluded.at,
    person = excluded.person
    WHERE excluded.at < kpi_task_responses.at
       OR (excluded.at = kpi_task_responses.at AND excluded.person < kpi_task_responses.person)"""


def _sqlite(seconds: str) -> list[str]:
    parcel = seconds.format(shipped="NEW.shipped_at", paid="o.paid_at")
    order = seconds.format(shipped="s.shipped_at", paid="NEW.paid_at")
    paid = seconds.format(shipped="shipped_at", paid="NEW.paid_at")
    return [
        f"""CREATE TRIGGER kpi_first_parcel_shipped AFTER INSERT ON shipments BEGIN
        INSERT INTO kpi_first_parcels ({_FROM_PARCEL})
        SELECT NEW.order_id, NEW.shipped_at, NEW.warehouse, NEW.shipped_by, o.platform,
               o.shop_id, o.paid_at, {parcel} FROM orders o WHERE o.id = NEW.order_id
        {_UPSERT};
        END""",
        f"""CREATE TRIGGER kpi_first_parcel_order AFTER INSERT ON orders BEGIN
        INSERT INTO kpi_first_parcels ({_FROM_PARCEL})
        SELECT s.order_id, s.shipped_at, s.warehouse, s.shipped_by, NEW.platform, NEW.shop_id,
               NEW.paid_at, {order} FROM shipments s WHERE s.order_id = NEW.id
        ORDER BY s.shipped_at, s.id LIMIT 1
        {_UPSERT};
        END""",
        f"""CREATE TRIGGER kpi_first_parcel_paid
        AFTER UPDATE OF paid_at, platform, shop_id ON orders BEGIN
        UPDATE kpi_first_parcels SET paid_at = NEW.paid_at, platform = NEW.platform,
               shop = NEW.shop_id, pay_seconds = {paid} WHERE order_id = NEW.id;
        END""",
        f"""CREATE TRIGGER kpi_task_response AFTER INSERT ON audit_log
        WHEN NEW.target_kind = 'task' BEGIN
        INSERT INTO kpi_task_responses (target, at, person)
        VALUES (NEW.target, NEW.at, NEW.person)
        {_RESPONSE_UPSERT};
        END""",
    ]


def _postgres(seconds: str) -> list[str]:
    parcel = seconds.format(shipped="NEW.shipped_at", paid="o.paid_at")
    order = seconds.format(shipped="s.shipped_at", paid="NEW.paid_at")
    paid = seconds.format(shipped="shipped_at", paid="NEW.paid_at")
    return [
        f"""CREATE OR REPLACE FUNCTION kpi_first_parcel_shipped() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
        INSERT INTO kpi_first_parcels ({_FROM_PARCEL})
        SELECT NEW.order_id, NEW.shipped_at, NEW.warehouse, NEW.shipped_by, o.platform,
               o.shop_id, o.paid_at, {parcel} FROM orders o WHERE o.id = NEW.order_id
        {_UPSERT};
        RETURN NULL;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION kpi_first_parcel_order() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
        IF TG_OP = 'UPDATE' THEN
            UPDATE kpi_first_parcels SET paid_at = NEW.paid_at, platform = NEW.platform,
                   shop = NEW.shop_id, pay_seconds = {paid} WHERE order_id = NEW.id;
        ELSE
            INSERT INTO kpi_first_parcels ({_FROM_PARCEL})
            SELECT s.order_id, s.shipped_at, s.warehouse, s.shipped_by, NEW.platform,
                   NEW.shop_id, NEW.paid_at, {order} FROM shipments s WHERE s.order_id = NEW.id
            ORDER BY s.shipped_at, s.id LIMIT 1
            {_UPSERT};
        END IF;
        RETURN NULL;
        END $$""",
        f"""CREATE FUNCTION kpi_task_response() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
        INSERT INTO kpi_task_responses (target, at, person)
        VALUES (NEW.target, NEW.at, NEW.person)
        {_RESPONSE_UPSERT};
        RETURN NULL;
        END $$""",
        """CREATE TRIGGER kpi_task_response AFTER INSERT ON audit_log
        FOR EACH ROW WHEN (NEW.target_kind = 'task') EXECUTE FUNCTION kpi_task_response()""",
    ]


def backfill(dialect: str) -> list[str]:
    """The facts of the rows stored before this migration (also run by the tests)."""
    seconds = _SECONDS[dialect].format(shipped="shipped_at", paid="paid_at")
    return [
        f"UPDATE kpi_first_parcels SET pay_seconds = {seconds}",
        """INSERT INTO kpi_task_responses (target, at, person)
        SELECT a.target, a.at, min(a.person) FROM audit_log a
        JOIN (SELECT target, min(at) AS at FROM audit_log WHERE target_kind = 'task'
              GROUP BY target) f ON f.target = a.target AND f.at = a.at
        WHERE a.target_kind = 'task'
        GROUP BY a.target, a.at""",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    postgres = dialect == "postgresql"
    op.add_column("kpi_first_parcels", sa.Column("pay_seconds", sa.Float))
    op.create_table(
        "kpi_task_responses",
        sa.Column("target", sa.String(64), primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("person", sa.String(128), nullable=False),
    )
    for statement in backfill(dialect):
        op.execute(statement)
    op.create_index("ix_fulfilment_log_kind_at", "fulfilment_log", ["kind", "at"])
    if not postgres:  # SQLite cannot replace a trigger's body: drop and create again
        for name in ("kpi_first_parcel_shipped", "kpi_first_parcel_order",
                     "kpi_first_parcel_paid"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in _postgres(_SECONDS[dialect]) if postgres else _sqlite(_SECONDS[dialect]):
        op.execute(statement)


def downgrade() -> None:
    from orderhub.store.migrations.versions import kpi_0002_first_parcels as before

    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS kpi_task_response ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS kpi_task_response()")
        op.execute("DROP TRIGGER IF EXISTS kpi_first_parcel_shipped ON shipments")
        op.execute("DROP TRIGGER IF EXISTS kpi_first_parcel_order ON orders")
        op.execute("DROP TRIGGER IF EXISTS kpi_first_parcel_paid ON orders")
        op.execute("DROP FUNCTION IF EXISTS kpi_first_parcel_shipped()")
        op.execute("DROP FUNCTION IF EXISTS kpi_first_parcel_order()")
    else:
        for name in ("kpi_task_response", "kpi_first_parcel_shipped", "kpi_first_parcel_order",
                     "kpi_first_parcel_paid"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_fulfilment_log_kind_at", "fulfilment_log")
    op.drop_table("kpi_task_responses")
    with op.batch_alter_table("kpi_first_parcels") as batch:
        batch.drop_column("pay_seconds")
    for statement in before.POSTGRES if postgres else before.SQLITE:
        op.execute(statement)
