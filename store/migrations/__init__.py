"""Alembic migrations of the database schema: one branch per area (``orderhub db upgrade``)."""
