"""The user's cache folder: what orderhub keeps between runs so as not to redo work it has
done (the checked specs of mapping files, the surveys of files already ingested).

Everything kept there is filed under a hash of all it was made from, so an entry is found only
for the very same input, and a stale one is never found.  It is only ever a shortcut: a cache
that cannot be read or written is skipped, and ``ORDERHUB_CACHE=off`` turns it off.  The
folder is ``$ORDERHUB_CACHE/orderhub``, else ``$XDG_CACHE_HOME/orderhub``, else
``~/.cache/orderhub``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def cache_dir(kind: str) -> Path | None:
    """The folder for one kind of entry (not created here); None when the cache is off."""
    if os.environ.get("ORDERHUB_CACHE") == "off":
        return None
    base = os.environ.get("ORDERHUB_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "orderhub" / kind


def read(file: Path) -> bytes | None:
    """An entry's bytes, or None when there is none (or it cannot be read)."""
    try:
        return file.read_bytes()
    except OSError:
        return None


def keep(file: Path, body: bytes) -> bool:
    """Write an entry whole or not at all (another process may be reading or writing the
    same one: it sees the old file or the new, never half of one).  False if it could not."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(body)
            os.replace(tmp, file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def touch(file: Path) -> None:
    """Mark an entry as used now (:func:`prune` keeps what is in use)."""
    try:
        os.utime(file)
    except OSError:
        pass


def prune(folder: Path, days: float) -> int:
    """Delete the entries of ``folder`` not used for ``days`` days; how many went."""
    cutoff = time.time() - days * 86400
    gone = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                gone += 1
        except OSError:
            continue
    return gone
