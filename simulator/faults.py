"""Faults the simulator injects on demand: what real gateways do on a bad day.

Counters (``rate_limit``, ``server_error``, ``slow``) are spent one per API call; ``every_nth``
rate-limits every n-th call for as long as it is set; ``churn`` changes that many orders of the
listed window each time a list page is served (orders modified while a client pages);
``expire_token`` lists platforms whose current access token expires at their next call.
``platforms`` limits the other faults to some platforms (default: all).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Faults:
    rate_limit: int = 0
    server_error: int = 0
    slow: int = 0
    slow_seconds: float = 2.0
    every_nth: int = 0
    churn: int = 0
    churn_new: int = 0
    expire_token: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultBox:
    """Thread-safe holder: handlers ask it what to do with each call."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self._lock = threading.Lock()
        self._calls = 0

    def set(self, **changes: Any) -> Faults:
        known = {f.name for f in fields(Faults)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {sorted(known)}")
        with self._lock:
            for key, value in changes.items():
                setattr(self.faults, key, value)
            return Faults(**self.faults.to_dict())

    def applies(self, platform: str) -> bool:
        return not self.faults.platforms or platform in self.faults.platforms

    def take(self, platform: str) -> str | None:
        """The fault for this call, if any: 'rate_limit', 'server_error' or 'slow'."""
        if not self.applies(platform):
            return None
        with self._lock:
            f = self.faults
            self._calls += 1
            if f.server_error > 0:
                f.server_error -= 1
                return "server_error"
            if f.rate_limit > 0:
                f.rate_limit -= 1
                return "rate_limit"
            if f.every_nth and self._calls % f.every_nth == 0:
                return "rate_limit"
            if f.slow > 0:
                f.slow -= 1
                return "slow"
        return None

    def token_expiry(self, platform: str) -> bool:
        """Whether the platform's current token must expire now (once per request to)."""
        with self._lock:
            if platform in self.faults.expire_token:
                self.faults.expire_token.remove(platform)
                return True
        return False
