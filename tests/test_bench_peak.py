"""bench/peak.py's pure helpers: the percentiles, the Double 11 arrival curve and the busy
rate its figures rest on (the bench itself runs by hand: it prints figures, asserts none)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))  # as `python bench/peak.py` has it: its shared bench/figures.py
_spec = importlib.util.spec_from_file_location("peak_bench", BENCH / "peak.py")
peak = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(peak)  # type: ignore[union-attr]


def test_percentiles_are_nearest_rank_values_of_the_sample() -> None:
    lags = [float(x) for x in range(1, 101)]  # 1..100 s, shuffled order does not matter
    assert peak.percentile(list(reversed(lags)), 50) == 50.0
    assert peak.percentile(lags, 99) == 99.0
    assert peak.percentile(lags, 100) == 100.0
    assert peak.percentile([3.0], 99) == 3.0  # one sample is every percentile
    assert peak.percentile([], 50) == 0.0


def test_the_day_places_every_order_with_the_midnight_rush_first() -> None:
    for n in (1, 999, 20_000, 1_000_000):
        minutes = peak.arrivals_per_minute(n)
        assert len(minutes) == 1440 and sum(minutes) == n and min(minutes) >= 0
    minutes = peak.arrivals_per_minute(1_000_000)
    assert sum(minutes[:10]) == 100_000  # half the first hour's fifth, in ten minutes
    assert sum(minutes[:60]) == 200_000
    assert max(minutes) == minutes[0] > 5 * sum(minutes[60:]) / 1380  # the rush vs the rest


def test_busy_rate_counts_only_the_time_a_backlog_waited() -> None:
    # (time, events stored, events decided): a burst of 1,000 events, worked off at 100/s,
    # then an idle tail that must not dilute the rate
    series = [(0.0, 1000, 0), (1.0, 1000, 100), (2.0, 1000, 200), (9.0, 1000, 900),
              (10.0, 1000, 1000), (60.0, 1000, 1000)]
    assert peak.busy_rate(series, backlog=50) == 100.0
    assert peak.busy_rate(series[-2:], backlog=50) == 0.0  # never backlogged


def _run(workers: int, lag: float, samples: dict[str, int] | None) -> dict[str, object]:
    keys = [k for _, key, _ in peak.ROWS for k in (key if isinstance(key, tuple) else (key,))]
    r: dict[str, object] = dict.fromkeys(keys, 0.0)
    r.update(workers=workers, event_lag_p50=lag, event_lag_p99=2 * lag,
             load_start=(4.5, 1.0, 1.0), load_end=(7.3, 1.0, 1.0))
    if samples is not None:
        r["backend_samples"] = samples
    return r


def test_the_table_has_a_column_per_run_and_every_figure_in_its_row() -> None:
    lines = peak.table([_run(1, 105.25, None),
                        _run(2, 9.5, {"active": 1200, "advisory": 300})]).splitlines()
    assert lines[0].split() == ["1", "worker", "2", "workers"]
    assert set(lines[1]) == {"-"}
    assert len({len(line) for line in lines}) == 1  # aligned columns
    rows = {label: cells for label, *cells in
            (re.split(r"\s{2,}", line.strip()) for line in lines[2:])}
    assert rows["event lag p50 / p99"] == ["105.2 / 210.5 s", "9.5 / 19.0 s"]
    # a report saved before the lock sampling existed says so instead of "0 of 0"
    assert rows["busy backends waiting on SKU locks"] == ["-", "300 of 1,200 samples"]
    assert rows["load (1 min) at start / end"] == ["4.5 / 7.3", "4.5 / 7.3"]
    assert len(rows) == len(peak.ROWS) + 2
