"""Each shop's pull position: the modified-time high-water mark of what is safely stored.

The position moves only *after* the batch it covers has been committed (:func:`.pull.pull_shop`
stores, then advances), so a crash between the two re-reads that batch on restart and the
store's deduplication absorbs the repeat: no gap, no duplicate.  Positions only move forward
unless :meth:`CursorStore.reset` is asked to move one back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Engine, String, Table, select

from ..store.bulk import insert_on_conflict
from ..store.schema import UTCDateTime, metadata

pull_cursors = Table(
    "pull_cursors",
    metadata,
    Column("shop", String(128), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("position", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


class CursorStore:
    """Read and advance pull positions on the store's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, shop: str) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(  # type: ignore[no-any-return]
                select(pull_cursors.c.position).where(pull_cursors.c.shop == shop)
            ).scalar_one_or_none()

    def all(self) -> dict[str, tuple[str, datetime, datetime]]:
        """shop -> (platform, position, updated_at)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(pull_cursors)).all()
        return {r.shop: (r.platform, r.position, r.updated_at) for r in rows}

    def advance(self, shop: str, platform: str, position: datetime) -> datetime:
        """Move ``shop``'s position up to ``position`` (never back); returns the stored one."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            stmt = insert_on_conflict(conn.dialect.name, pull_cursors).values(
                shop=shop, platform=platform, position=position, updated_at=now)
            stmt = stmt.on_conflict_do_update(
                index_elements=["shop"],
                set_={"position": stmt.excluded.position, "updated_at": now},
                where=pull_cursors.c.position < stmt.excluded.position,
            ).returning(pull_cursors.c.position)
            moved = conn.execute(stmt).scalar_one_or_none()
            if moved is not None:
                return moved  # type: ignore[no-any-return]
            return conn.execute(  # type: ignore[no-any-return]
                select(pull_cursors.c.position).where(pull_cursors.c.shop == shop)
            ).scalar_one()

    def reset(self, shop: str, platform: str, position: datetime) -> None:
        """Set ``shop``'s position, also backwards (``orderhub pull --since``)."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            stmt = insert_on_conflict(conn.dialect.name, pull_cursors).values(
                shop=shop, platform=platform, position=position, updated_at=now)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["shop"], set_={"position": position, "updated_at": now}))
