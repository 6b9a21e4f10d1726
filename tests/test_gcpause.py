"""Pausing the cyclic garbage collector: pauses nest, overlap across threads, and may be
closed on another thread than the one that opened them; the collector comes back as it was."""

from __future__ import annotations

import gc
import threading

import pytest

from orderhub import gcpause
from orderhub.gcpause import paused_gc


def test_nested_pauses_turn_it_back_on_at_the_last() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still open
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_on_two_threads() -> None:
    """One thread's pause ending does not turn the collector on under the other's."""
    inside, leave = threading.Event(), threading.Event()
    states: list[bool] = []

    def other() -> None:
        with paused_gc():
            inside.set()
            leave.wait(5)
            states.append(gc.isenabled())

    t = threading.Thread(target=other)
    with paused_gc():
        t.start()
        inside.wait(5)
    assert not gc.isenabled()  # ours closed, the other thread's is open
    leave.set()
    t.join()
    assert states == [False]
    assert gc.isenabled()


def test_a_pause_closed_on_another_thread() -> None:
    gcpause.pause()
    assert not gc.isenabled()
    t = threading.Thread(target=gcpause.resume)
    t.start()
    t.join()
    assert gc.isenabled()


def test_resume_without_a_pause_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="without a pause"):
        gcpause.resume()
    assert gc.isenabled()
