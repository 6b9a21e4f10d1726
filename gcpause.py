"""Pausing Python's cyclic garbage collector around bulk work, and giving back what it freed.

Ingesting, routing and generating orders each allocate tens of thousands of objects per batch
that all survive until the batch is stored, and make no reference cycles.  The collector would
re-scan those young survivors over and over: a fifth to a third of the time, for nothing.
Reference counting still frees everything; the collector is on again between batches, so any
cycle a library makes is collected there.

Pauses nest and may overlap across threads: the collector is off while any pause is open, and
on again (if it was on when the first one opened) when the last one closes.  A pause may be
closed on another thread than the one that opened it (:func:`pause`, :func:`resume`): a batch
handed to a writer thread keeps the collector off until it is stored.
"""

from __future__ import annotations

import ctypes
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_open = 0  # pauses open, in every thread
_was_enabled = False  # whether the collector was on when the first of them opened


def pause() -> None:
    """Open a pause: no cyclic garbage collection until it is closed by :func:`resume`."""
    global _open, _was_enabled
    with _lock:
        if _open == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _open += 1


def resume() -> None:
    """Close a pause opened by :func:`pause` (on any thread)."""
    global _open
    with _lock:
        if _open == 0:
            raise RuntimeError("gcpause.resume() without a pause open")
        _open -= 1
        if _open == 0 and _was_enabled:
            gc.enable()


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block (restored as it was afterwards)."""
    pause()
    try:
        yield
    finally:
        resume()


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (AttributeError, OSError):  # not glibc: nothing to call
        return None


_trim = _malloc_trim()


def give_back() -> None:
    """Return the memory bulk work freed to the system (glibc's ``malloc_trim``).  A file's
    parsed records and batches are freed in scattered pieces that the C library otherwise
    keeps mapped, so each file's peak sits on what the files before it left behind.  Nothing
    where the C library has no such call."""
    if _trim is not None:
        _trim(0)
