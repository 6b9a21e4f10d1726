"""What a flow run did: every node passed, the values it saw, why it went where it went.

Steps are recorded cheaply (a tuple per node) and turned into JSON or text only when someone
looks: the router records a trace for every order, most are never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class TraceStep:
    """One node of a run: its id and type, why it continued where it did, the values it saw,
    and (for warehouse choices) each warehouse considered with the reason it was taken or not."""

    node: str
    type: str
    why: str
    values: dict[str, Any] | None = None
    considered: list[tuple[str, bool, str]] | None = None
    flow: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"node": self.node, "type": self.type, "why": self.why}
        if self.flow:
            out["flow"] = self.flow
        if self.values:
            out["values"] = {k: _plain(v) for k, v in self.values.items()}
        if self.considered:
            out["considered"] = [{"warehouse": w, "chosen": ok, "why": why}
                                 for w, ok, why in self.considered]
        return out


@dataclass(slots=True)
class Trace:
    """The steps of one order's run through a flow (and the sub-flows it called)."""

    flow: str
    version: str
    steps: list[TraceStep] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"flow": self.flow, "version": self.version,
                "steps": [s.as_json() for s in self.steps]}

    def lines(self) -> list[str]:
        """The trace as text, one line per step and per warehouse considered."""
        out = []
        for i, s in enumerate(self.steps, 1):
            where = f"{s.flow}/" if s.flow else ""
            vals = ""
            if s.values:
                vals = "  [" + ", ".join(f"{k}={_plain(v)}" for k, v in s.values.items()) + "]"
            out.append(f"{i:>2}. {where}{s.node} ({s.type}): {s.why}{vals}")
            for w, ok, why in s.considered or ():
                out.append(f"      {'✓' if ok else '✗'} {w}: {why}")
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Trace:
        steps = [TraceStep(s["node"], s["type"], s["why"], s.get("values"),
                           [(c["warehouse"], c["chosen"], c["why"]) for c in s["considered"]]
                           if s.get("considered") else None, s.get("flow"))
                 for s in doc.get("steps", [])]
        return cls(doc.get("flow", ""), doc.get("version", ""), steps)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
