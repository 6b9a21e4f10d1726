"""Compiled flows and the loop that runs them.

A :class:`CompiledFlow` is a dict of node id -> step function plus its trigger; running it is a
loop over those functions.  Node failures are re-raised as :class:`FlowRuntimeError` naming the
flow, the node and its ``file:line`` (the way Hamilton names the failing step).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...dsl import CompiledExpression
from ...errors import SourceError, SourceSpan
from .runtime import FlowRuntimeError, RunState, Step

if TYPE_CHECKING:
    from .warehouses import Network

MAX_STEPS = 1000


def content_version(text: str) -> str:
    """A flow's version: the first 12 hex digits of the SHA-256 of its file."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass
class CompiledFlow:
    name: str
    path: str
    version: str
    start: str
    event: str | None
    when: CompiledExpression | None
    description: str | None
    steps: dict[str, Step] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    spans: dict[str, SourceSpan] = field(default_factory=dict)
    spec: Any = None

    def run(self, rs: RunState) -> None:
        """Run from ``start`` to the end on ``rs`` (a sub-flow runs on its caller's state).

        The loop runs once per node of every routed order, so it does no more than it must:
        the step budget is the loop's range, and the failing node is the one ``node`` still
        names (it is replaced only when a step returns)."""
        steps = self.steps
        add = rs.result.path.append
        prefix = "" if rs.depth == 0 else f"{self.name}/"
        node: str | None = self.start
        try:
            for _ in _BUDGET:
                add(prefix + node)  # type: ignore[operator]
                node = steps[node](rs)  # type: ignore[index]
                if node is None:
                    return
        except FlowRuntimeError:
            raise
        except Exception as exc:  # noqa: BLE001 - any node failure is reported with its place
            raise FlowRuntimeError(f"{type(exc).__name__}: {exc}", flow=self.name,
                                   node=str(node), span=self.spans.get(str(node))) from exc
        add(prefix + node)  # type: ignore[operator]
        raise FlowRuntimeError(f"more than {MAX_STEPS} steps", flow=self.name,
                               node=str(node), span=self.spans.get(str(node)))


_BUDGET = range(MAX_STEPS)


@dataclass
class FlowSet:
    """Every loaded flow, by name, with the warehouse network they were checked against."""

    flows: dict[str, CompiledFlow]
    network: Network
    timezone: str
    warnings: list[SourceError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    lists: Any = None  # the ListSet its expressions read (list(), lookup())

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.flows.values())

    def __len__(self) -> int:
        return len(self.flows)

    def __getitem__(self, name: str) -> CompiledFlow:
        return self.flows[name]

    @property
    def events(self) -> set[str]:
        return {f.event for f in self.flows.values() if f.event}
