"""What a flow run did: every node passed, the values it saw, why it went where it went.

Steps are recorded cheaply (a tuple per node) and turned into JSON or text only when someone
looks: the router records a trace for every order, most are never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Why a step went where it did: text, or lazily ``(format, *args)``, formatted only when a
#: trace is read (most never are).
Why = str | tuple[Any, ...]


def text(why: Why) -> str:
    """A reason as text: nodes on the hot path record ``(format, *args)`` and format late."""
    return why if isinstance(why, str) else why[0].format(*why[1:])


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

    def __post_init__(self) -> None:
        self.why = text(self.why)
        if self.considered:
            self.considered = [(w, ok, text(why)) for w, ok, why in self.considered]

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


class Trace:
    """The steps of one order's run through a flow (and the sub-flows it called).

    Nodes append plain tuples to ``raw`` (cheap: most traces are never read); ``steps`` turns
    them into :class:`TraceStep` objects on first use."""

    __slots__ = ("flow", "version", "raw", "_steps")

    def __init__(self, flow: str, version: str, steps: list[TraceStep] | None = None) -> None:
        self.flow = flow
        self.version = version
        self.raw: list[tuple[Any, ...]] = []
        self._steps: list[TraceStep] | None = steps

    @property
    def steps(self) -> list[TraceStep]:
        if self._steps is None or len(self._steps) != len(self.raw) and self.raw:
            self._steps = [TraceStep(*t) for t in self.raw]
        return self._steps

    def __repr__(self) -> str:
        return f"Trace({self.flow!r}, {self.version!r}, {len(self.raw)} steps)"

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

    def compact(self) -> dict[str, Any]:
        """What the store keeps: the raw step tuples (formatted when read back)."""
        return {"flow": self.flow, "version": self.version, "raw": self.raw}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Trace:
        if "raw" in doc:
            trace = cls(doc.get("flow", ""), doc.get("version", ""))
            trace.raw = [tuple(step) for step in doc["raw"]]
            return trace
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
