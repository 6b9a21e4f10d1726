"""One Alembic revision per module; each area's tables are created from its ``schema`` module."""
