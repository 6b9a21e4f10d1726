"""Ingest fuzzing (issue 12): mutated native payloads of every platform never raise, never lose
a good record, land exactly as their mapping says or become one named reject, and SQLite and
PostgreSQL agree.  Bounded to a few seconds here; ``python bench/ingest_fuzz.py`` runs longer
and prints the counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_fuzzing import PLATFORMS, check, mutations, write_input

from orderhub.store import OrderStore

FAST = settings(max_examples=12, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture
def stores(tmp_path: Path, pg_url: str) -> Iterator[list[OrderStore]]:
    both = [OrderStore.open(f"sqlite:///{tmp_path / 'fuzz.db'}"), OrderStore.open(pg_url)]
    yield both
    for store in both:
        store.engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("platform", PLATFORMS)
def test_mutated_payloads_land_or_are_named_rejects(stores: list[OrderStore], tmp_path: Path,
                                                   platform: str) -> None:
    @FAST
    @given(mutations(platform))
    def one(drawn: tuple[int, list]) -> None:  # type: ignore[type-arg]
        check(stores, write_input(tmp_path, platform, *drawn))

    one()


@pytest.mark.postgres
def test_bytes_that_are_not_utf8_reject_only_their_record(stores: list[OrderStore],
                                                          tmp_path: Path) -> None:
    @FAST
    @given(st.sampled_from(PLATFORMS), st.lists(st.integers(0x80, 0xFF), min_size=1,
                                                 max_size=6).map(bytes).filter(_not_utf8))
    def one(platform: str, junk: bytes) -> None:
        check(stores, write_input(tmp_path, platform, 0, [], broken_bytes=junk))

    one()


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
