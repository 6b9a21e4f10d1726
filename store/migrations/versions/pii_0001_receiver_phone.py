"""Receivers' phones as the platforms deliver them: ciphertext is longer than 64 characters.

PDD/Douyin searchable ciphertexts and JD TDE ciphertexts of a mobile number run to 70-100
characters (docs/pii.md); the phone column keeps them whole, so the purchase limit can match
orders by the stored (encrypted) form.  SQLite does not enforce lengths.

Revision ID: pii_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "pii_0001"
down_revision = "0001"
branch_labels = ("pii",)
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("orders", "receiver_phone", type_=sa.String(256),
                    existing_type=sa.String(64))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("orders", "receiver_phone", type_=sa.String(64),
                    existing_type=sa.String(256))
