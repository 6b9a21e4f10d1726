"""A flow drawn as a diagram: nodes in layers from ``start``, edges between them, as SVG.

The layout is the simple layered one (a node's layer is its longest distance from the start
over the flow's edges, which are acyclic: ``flows check`` refuses cycles), good enough for the
ten-to-thirty-node flows analysts write.  The SVG is built with Jinja's escaping, so node ids
and descriptions from the file cannot inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 190, 46, 40, 56, 20


@dataclass
class Diagram:
    name: str
    description: str | None
    trigger: str | None
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)


def diagram(flow: Any) -> Diagram:
    """Nodes (id -> type, description, layer, x, y) and edges (from, to, label) of a flow."""
    spec = flow.spec
    nodes = spec.nodes if spec is not None else {}
    trigger = None
    if spec is not None and spec.trigger is not None:
        trigger = spec.trigger.event + (f" · {spec.trigger.when}" if spec.trigger.when else "")
    d = Diagram(flow.name, flow.description, trigger)
    for nid, node in nodes.items():
        d.nodes[nid] = {"type": node.type, "description": node.description or ""}
        for loc, target in node.edges():
            label = ".".join(str(p) for p in loc if not isinstance(p, int) or len(loc) == 1)
            d.edges.append((nid, target, label))
    _layout(d, flow.start)
    return d


def _layout(d: Diagram, start: str) -> None:
    layer = {nid: 0 for nid in d.nodes}
    out: dict[str, list[str]] = {nid: [] for nid in d.nodes}
    for a, b, _ in d.edges:
        if a in out and b in d.nodes:
            out[a].append(b)
    order = [start] if start in d.nodes else []
    seen: set[str] = set()
    for _ in range(len(d.nodes) + 1):  # longest path by relaxation; a DAG settles quickly
        changed = False
        for a, targets in out.items():
            for b in targets:
                if layer[b] < layer[a] + 1 and b != start:
                    layer[b] = layer[a] + 1
                    changed = True
        if not changed:
            break
    order += [n for n in d.nodes if n != start]
    rows: dict[int, list[str]] = {}
    for nid in order:
        if nid not in seen:
            seen.add(nid)
            rows.setdefault(layer[nid], []).append(nid)
    for y, ids in rows.items():
        for x, nid in enumerate(ids):
            d.nodes[nid].update(layer=y, x=PAD + x * (BOX_W + GAP_X),
                                y=PAD + y * (BOX_H + GAP_Y))


def svg(d: Diagram) -> Markup:
    """The diagram as an inline ``<svg>`` element."""
    width = max((n["x"] for n in d.nodes.values()), default=0) + BOX_W + 2 * PAD
    height = max((n["y"] for n in d.nodes.values()), default=0) + BOX_H + 2 * PAD
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="flowchart" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(d.name)}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/>'
             '</marker></defs>']
    for a, b, label in d.edges:
        if a not in d.nodes or b not in d.nodes:
            continue
        na, nb = d.nodes[a], d.nodes[b]
        x1, y1 = na["x"] + BOX_W / 2, na["y"] + BOX_H
        x2, y2 = nb["x"] + BOX_W / 2, nb["y"]
        if nb["y"] <= na["y"]:  # an edge back up (should not happen): draw it on the side
            x1, y1, x2, y2 = na["x"] + BOX_W, na["y"] + BOX_H / 2, nb["x"] + BOX_W, nb["y"]
        parts.append(f'<line class="edge" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
                     f'marker-end="url(#arrow)"><title>{escape(a)} → {escape(b)} '
                     f'({escape(label)})</title></line>')
        parts.append(f'<text class="edge-label" x="{(x1 + x2) / 2 + 4}" '
                     f'y="{(y1 + y2) / 2}">{escape(label)}</text>')
    for nid, n in d.nodes.items():
        parts.append(f'<g class="node node-{escape(n["type"])}" data-node="{escape(nid)}">'
                     f'<title>{escape(n["description"])}</title>'
                     f'<rect x="{n["x"]}" y="{n["y"]}" width="{BOX_W}" height="{BOX_H}" '
                     f'rx="6"/><text x="{n["x"] + 10}" y="{n["y"] + 19}" class="node-id">'
                     f'{escape(nid)}</text><text x="{n["x"] + 10}" y="{n["y"] + 37}" '
                     f'class="node-type">{escape(n["type"])}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
