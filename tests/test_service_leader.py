"""Schedule leader election on PostgreSQL: one leader per deployment, and a deployment is a
schema, so two shops' services sharing one database never steal each other's leader (one of them
would otherwise never pull)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from orderhub.service.leader import LeaderElection

pytestmark = pytest.mark.postgres


@pytest.fixture
def other_pg_url() -> Iterator[str]:
    from conftest import pg_schema_url  # type: ignore[import-not-found]

    yield from pg_schema_url()


def test_each_schema_elects_its_own_single_leader(pg_url: str, other_pg_url: str) -> None:
    first, second = create_engine(pg_url), create_engine(other_pg_url)
    a, b = LeaderElection(first), LeaderElection(first)
    c = LeaderElection(second)
    try:
        assert a.poll() is True
        assert b.poll() is False  # the same deployment: one leader
        assert c.poll() is True  # another deployment in the same database leads its own
        a.resign()
        assert b.poll() is True  # failover within the deployment
        assert c.poll() is True
    finally:
        for node in (a, b, c):
            node.resign()
        first.dispose()
        second.dispose()
