"""KPIs: each shipped order's first parcel, kept by triggers (pay-to-ship without a scan of
every parcel); the audit trail's task entries indexed for each task's first action.

Revision ID: kpi_0002
Revises: kpi_0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import UTCDateTime

revision = "kpi_0002"
down_revision = "kpi_0001"
branch_labels = None
depends_on = ("fulfilment_0001",)

#: the columns a fact takes from the parcel and from its order
_FROM_PARCEL = "order_id, shipped_at, warehouse, person, platform, shop, paid_at"
_UPSERT = """ON CONFLICT (order_id) DO UPDATE SET shipped_at = excluded.shipped_at,
    warehouse = excluded.warehouse, person = excluded.person
    WHERE excluded.shipped_at < kpi_first_parcels.shipped_at"""

SQLITE = [
    f"""CREATE TRIGGER kpi_first_parcel_shipped AFTER INSERT ON shipments BEGIN
    INSERT INTO kpi_first_parcels ({_FROM_PARCEL})
    SELECT NEW.order_id, NEW.shipped_at, NEW.warehouse, NEW.shipped_by, o.platform, o.shop_id,
           o.paid_at FROM orders o WHERE o.id = NEW.order_id
    {_UPSERT};
    END""",
    f"""CREATE TRIGGER kpi_first_parcel_order AFTER INSERT ON orders BEGIN
    INSERT INTO kpi_first_parcels ({_FROM_PARCEL})
    SELECT s.order_id, s.shipped_at, s.warehouse, s.shipped_by, NEW.platform, NEW.shop_id,
           NEW.paid_at FROM shipments s WHERE s.order_id = NEW.id
    ORDER BY s.shipped_at, s.id LIMIT 1
    {_UPSERT};
    END""",
    """CREATE TRIGGER kpi_first_parcel_paid AFTER UPDATE OF paid_at, platform, shop_id ON orders
    BEGIN
    UPDATE kpi_first_parcels SET paid_at = NEW.paid_at, platform = NEW.platform,
           shop = NEW.shop_id WHERE order_id = NEW.id;
    END""",
]

POSTGRES = [
    f"""CREATE FUNCTION kpi_first_parcel_shipped() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
    INSERT INTO kpi_first_parcels ({_FROM_PARCEL})
    SELECT NEW.order_id, NEW.shipped_at, NEW.warehouse, NEW.shipped_by, o.platform, o.shop_id,
           o.paid_at FROM orders o WHERE o.id = NEW.order_id
    {_UPSERT};
    RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION kpi_first_parcel_order() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
    IF TG_OP = 'UPDATE' THEN
        UPDATE kpi_first_parcels SET paid_at = NEW.paid_at, platform = NEW.platform,
               shop = NEW.shop_id WHERE order_id = NEW.id;
    ELSE
        INSERT INTO kpi_first_parcels ({_FROM_PARCEL})
        SELECT s.order_id, s.shipped_at, s.warehouse, s.shipped_by, NEW.platform, NEW.shop_id,
               NEW.paid_at FROM shipments s WHERE s.order_id = NEW.id
        ORDER BY s.shipped_at, s.id LIMIT 1
        {_UPSERT};
    END IF;
    RETURN NULL;
    END $$""",
    """CREATE TRIGGER kpi_first_parcel_shipped AFTER INSERT ON shipments
    FOR EACH ROW EXECUTE FUNCTION kpi_first_parcel_shipped()""",
    """CREATE TRIGGER kpi_first_parcel_order AFTER INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION kpi_first_parcel_order()""",
    """CREATE TRIGGER kpi_first_parcel_paid AFTER UPDATE OF paid_at, platform, shop_id ON orders
    FOR EACH ROW EXECUTE FUNCTION kpi_first_parcel_order()""",
]

#: the facts of the parcels already stored
BACKFILL = f"""INSERT INTO kpi_first_parcels ({_FROM_PARCEL})
SELECT s.order_id, s.shipped_at, s.warehouse, s.shipped_by, o.platform, o.shop_id, o.paid_at
FROM shipments s JOIN orders o ON o.id = s.order_id
WHERE NOT EXISTS (SELECT 1 FROM shipments e WHERE e.order_id = s.order_id
                  AND (e.shipped_at < s.shipped_at
                       OR (e.shipped_at = s.shipped_at AND e.id < s.id)))"""


def upgrade() -> None:
    op.create_table(
        "kpi_first_parcels",
        sa.Column("order_id", sa.String(26), primary_key=True),
        sa.Column("shipped_at", UTCDateTime, nullable=False),
        sa.Column("warehouse", sa.String(32)),
        sa.Column("person", sa.String(128)),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("shop", sa.String(64), nullable=False),
        sa.Column("paid_at", UTCDateTime),
    )
    op.create_index("ix_kpi_first_parcels_at", "kpi_first_parcels", ["shipped_at"])
    op.execute(BACKFILL)
    op.create_index("ix_audit_log_task_first", "audit_log", ["target_kind", "target", "at"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES if postgres else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in ("kpi_first_parcel_shipped", "kpi_first_parcel_order", "kpi_first_parcel_paid"):
        if postgres:
            table = "shipments" if name.endswith("shipped") else "orders"
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS kpi_first_parcel_shipped()")
        op.execute("DROP FUNCTION IF EXISTS kpi_first_parcel_order()")
    op.drop_index("ix_audit_log_task_first", "audit_log")
    op.drop_table("kpi_first_parcels")
