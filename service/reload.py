"""Hot reload: build a new evaluator off to the side and swap it in only if it is all good.

:class:`Reloader` holds the live :class:`LiveSet` behind a single reference.  ``reload()`` calls
the evaluator factory, which compiles and checks every rule and flow file and runs their
embedded examples; any error leaves the previous set live and is logged with file:line:col.
The consumer reads :attr:`Reloader.live` once per batch, so a batch never mixes versions.

Triggers: :class:`Watcher` (watchfiles on ``rules/``, ``flows/`` and ``lists/``), SIGHUP and
``orderhub reload`` (both handled by the service loop).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import OrderhubError
from .evaluator import Evaluator, EvaluatorFactory, Versions

log = logging.getLogger("orderhub.service.reload")


@dataclass(frozen=True, slots=True)
class LiveSet:
    evaluator: Evaluator
    versions: Versions
    since: datetime


@dataclass(slots=True)
class ReloadResult:
    ok: bool
    reason: str
    at: datetime
    seconds: float
    versions: Versions | None = None
    errors: list[str] = field(default_factory=list)
    changed: bool = False

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out


class Reloader:
    def __init__(self, factory: EvaluatorFactory, workspace: Any) -> None:
        self.factory = factory
        self.workspace = workspace
        self._live: LiveSet | None = None
        self._lock = threading.Lock()
        self.last: ReloadResult | None = None
        self.ok_count = 0
        self.failed_count = 0

    @property
    def live(self) -> LiveSet:
        live = self._live
        if live is None:
            raise RuntimeError("no evaluator is live yet: call reload() first")
        return live

    def reload(self, reason: str) -> ReloadResult:
        """Build, check and (if all is well) swap.  Never raises for bad rule files."""
        with self._lock:
            started = time.perf_counter()
            at = datetime.now(UTC)
            try:
                evaluator = self.factory(self.workspace)
            except OrderhubError as exc:
                errors = [exc.render() if hasattr(exc, "render") else str(exc)]
                return self._failed(reason, at, started, errors)
            except Exception as exc:  # noqa: BLE001 - a broken plug-in must not stop the service
                log.exception("building the evaluator crashed")
                return self._failed(reason, at, started, [f"{type(exc).__name__}: {exc}"])
            versions = evaluator.versions
            previous = self._live
            changed = previous is None or previous.versions != versions
            if changed:
                self._live = LiveSet(evaluator, versions, at)  # the one atomic swap
            self.ok_count += 1
            result = ReloadResult(True, reason, at, time.perf_counter() - started, versions,
                                  changed=changed)
            self.last = result
            log.info("reload (%s): %s %s", reason, "live now" if changed else "unchanged",
                     versions.label(), extra={"event": "reload", "ok": True,
                                              "rules_version": versions.rules,
                                              "flows_version": versions.flows})
            return result

    def _failed(self, reason: str, at: datetime, started: float,
                errors: list[str]) -> ReloadResult:
        self.failed_count += 1
        result = ReloadResult(False, reason, at, time.perf_counter() - started, None, errors)
        self.last = result
        keep = self._live.versions.label() if self._live else "nothing"
        log.error("reload (%s) failed; keeping %s live:\n%s", reason, keep, "\n".join(errors),
                  extra={"event": "reload", "ok": False})
        return result


class Watcher(threading.Thread):
    """Reloads when files under the watched folders change (debounced)."""

    def __init__(self, reloader: Reloader, folders: list[Path], *, debounce_ms: int = 150) -> None:
        super().__init__(name="orderhub-watch", daemon=True)
        self.reloader = reloader
        self.folders = [f for f in folders if f.is_dir()]
        self.debounce_ms = debounce_ms
        self.stop_event = threading.Event()

    def run(self) -> None:
        from watchfiles import watch

        if not self.folders:
            return
        try:
            for changes in watch(*self.folders, stop_event=self.stop_event,
                                 debounce=self.debounce_ms, step=30, rust_timeout=500,
                                 yield_on_timeout=False, raise_interrupt=False):
                names = sorted({Path(p).name for _, p in changes})
                self.reloader.reload(f"files changed: {', '.join(names)}")
        except Exception:  # noqa: BLE001 - keep serving; SIGHUP and `orderhub reload` still work
            log.exception("file watcher stopped")

    def stop(self) -> None:
        self.stop_event.set()
