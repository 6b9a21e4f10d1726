"""Checks on the shape of flows: references, defaults, cycles, reachability, sub-flow calls.

Cycles are found with :class:`graphlib.TopologicalSorter`, whose ``CycleError`` carries the
cycle itself, so the message can name every node on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from graphlib import CycleError, TopologicalSorter
from typing import Any

from ...dsl import yamlfile
from ...errors import SourceError
from .compiler import FileDoc


def check_flow(doc: FileDoc, name: str, spec: Any) -> tuple[list[SourceError], list[SourceError]]:
    """(errors, warnings) for one validated flow."""
    errors: list[SourceError] = []
    warnings: list[SourceError] = []
    nodes: dict[str, Any] = spec.nodes
    broken: set[str] = getattr(spec, "broken", set())
    ids = list(nodes) + sorted(broken)

    def err(loc: tuple, message: str, hint: str | None = None) -> SourceError:
        return SourceError(message, doc.span(loc), source=doc.text, hint=hint)

    if spec.start not in nodes and spec.start not in broken:
        errors.append(err(("start",), f"start node {spec.start!r} does not exist",
                          yamlfile.suggest(spec.start, ids)))
    graph: dict[str, set[str]] = {}
    for node_id, node in nodes.items():
        targets: set[str] = set()
        for sub, target in node.edges():
            if target in broken:
                continue
            if target not in nodes:
                errors.append(err(("nodes", node_id, *sub),
                                  f"node {node_id!r} goes to {target!r}, which does not exist",
                                  yamlfile.suggest(target, ids)
                                  or f"nodes of flow {name!r}: {', '.join(ids)}"))
            else:
                targets.add(target)
        if node.needs_default and getattr(node, "default", None) is None:
            errors.append(err(("nodes", node_id),
                              f"{node.type} {node_id!r} has no default branch",
                              "add `default: NODE` for orders that match no case"))
        graph[node_id] = targets
    errors.extend(_cycles(doc, name, graph))
    if spec.start in nodes and not broken:
        seen = _reachable(spec.start, graph)
        for node_id in ids:
            if node_id not in seen:
                warnings.append(err(("nodes", node_id),
                                    f"node {node_id!r} is never reached from {spec.start!r}"))
    return errors, warnings


def _cycles(doc: FileDoc, name: str, graph: dict[str, set[str]]) -> list[SourceError]:
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = exc.args[1]
        first = cycle[0]
        return [SourceError(f"flow {name!r} has a cycle: {' -> '.join(reversed(cycle))}",
                            doc.span(("nodes", first)), source=doc.text,
                            hint="flows run each order once from start to end; "
                                 "remove the edge that goes back")]
    return []


def _reachable(start: str, graph: dict[str, set[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def check_calls(calls: dict[str, Iterable[tuple[FileDoc, tuple, str]]],
                known: Iterable[str]) -> list[SourceError]:
    """Sub-flow calls: every called flow exists, and no flow calls itself through others."""
    names = set(known)
    errors: list[SourceError] = []
    graph: dict[str, set[str]] = {n: set() for n in names}
    where: dict[tuple[str, str], tuple[FileDoc, tuple]] = {}
    for caller, items in calls.items():
        for doc, loc, callee in items:
            if callee not in names:
                errors.append(SourceError(f"sub-flow {callee!r} does not exist", doc.span(loc),
                                          source=doc.text,
                                          hint=yamlfile.suggest(callee, names)
                                          or f"flows: {', '.join(sorted(names))}"))
                continue
            graph[caller].add(callee)
            where[(caller, callee)] = (doc, loc)
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        cycle = list(reversed(exc.args[1]))
        doc, loc = where.get((cycle[0], cycle[1]), next(iter(where.values())))
        errors.append(SourceError(f"sub-flows call each other in a cycle: {' -> '.join(cycle)}",
                                  doc.span(loc), source=doc.text))
    return errors
