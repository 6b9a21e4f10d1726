"""Loading flow files: parse with positions, validate, check the graph, compile the nodes.

Everything wrong in every file is collected and raised once as :class:`SourceErrors`: YAML
syntax, unknown keys (with did-you-mean), wrong types, unknown node types, references to nodes,
warehouses or sub-flows that do not exist, cycles, decisions without a default, decision-table
overlaps and gaps, and expressions that do not type-check.  Each error is ``file:line:col`` with
the line and a caret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ...dsl import ExprType, yamlfile
from ...dsl.lists import ListSet, load_lists
from ...errors import SourceError, SourceErrors
from ...model import DEFAULT_TZ
from ..recipients import Recipients, read_recipients
from .compiler import BUILTIN_VARIABLES, CompileEnv, FileDoc, NodeCompiler
from .flowset import CompiledFlow, FlowSet, content_version
from .graph import check_calls, check_flow
from .model import FlowBase, node_adapter, node_types
from .warehouses import Network, WarehouseConfig, default_warehouses


def flow_files(paths: Path | str | Sequence[Path | str]) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files named, or found (sorted) in the folders named."""
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml")))
        else:
            out.append(p)
    return out


def load_flows(
    paths: Path | str | Sequence[Path | str],
    *,
    warehouses: Sequence[WarehouseConfig] | None = None,
    network: Network | None = None,
    timezone: str = DEFAULT_TZ,
    lists: str | Path | ListSet | None = None,
    recipients: Recipients | None = None,
) -> FlowSet:
    """Load, check and compile flow files; raise SourceErrors listing every mistake.

    ``lists``: the folder of lists the expressions may read (default: ``lists/`` beside a
    flows folder), or loaded :class:`ListSet`.  ``recipients``: who a ``notify`` node's
    ``to:`` may name (default: those of the ``orderhub.yaml`` beside a flows folder)."""
    if network is None:
        if warehouses is None:
            warehouses = default_warehouses()
        network = Network(warehouses)
    files = flow_files(paths)
    errors: list[SourceError] = []
    lists = _lists(paths, lists, errors)
    docs: list[tuple[FileDoc, Any]] = []
    for path in files:
        doc, spec = _read(path, errors)
        if spec is not None and doc is not None:
            docs.append((doc, spec))
    if recipients is None:
        first = [paths] if isinstance(paths, str | Path) else list(paths)
        folder = next((Path(p).parent for p in first if Path(p).is_dir()), None)
        recipients = read_recipients(folder)
    return _compile(docs, network, timezone, errors, [str(p) for p in files], lists,
                    recipients)


def _lists(paths: Path | str | Sequence[Path | str], lists: str | Path | ListSet | None,
           errors: list[SourceError]) -> ListSet:
    if isinstance(lists, ListSet):
        return lists
    if lists is None:
        first = [paths] if isinstance(paths, str | Path) else list(paths)
        lists = next((Path(p).parent / "lists" for p in first if Path(p).is_dir()), None)
    try:
        return load_lists(lists)
    except SourceErrors as exc:
        errors.extend(exc.errors)
        return ListSet()


def load_flow_text(text: str, filename: str = "<flow>", **kwargs: Any) -> FlowSet:
    """Load one flow from text (docs examples, tests).  ``filename`` is used in messages."""
    errors: list[SourceError] = []
    doc, spec = _parse_validate(text, filename, errors)
    network = kwargs.pop("network", None)
    if network is None:
        network = Network(kwargs.pop("warehouses", None) or default_warehouses())
    docs = [(doc, spec)] if doc is not None and spec is not None else []
    lists = kwargs.get("lists")
    return _compile(docs, network, kwargs.get("timezone", DEFAULT_TZ), errors, [filename],
                    lists if isinstance(lists, ListSet) else None)


def _read(path: Path, errors: list[SourceError]) -> tuple[FileDoc | None, Any]:
    try:
        text = yamlfile.read_text(path)
    except SourceErrors as exc:
        errors.extend(exc.errors)
        return None, None
    except OSError as exc:
        errors.append(SourceError(f"cannot read: {exc.strerror}", _span(str(path))))
        return None, None
    return _parse_validate(text, str(path), errors)


def _span(path: str):  # type: ignore[no-untyped-def]
    from ...errors import SourceSpan

    return SourceSpan(path)


@dataclass
class ParsedFlow:
    """A validated flow file: its header, its valid nodes, and the ids of nodes that were not
    valid (they exist for reference checks but are not compiled)."""

    name: str
    description: str | None
    trigger: Any
    start: str
    nodes: dict[str, Any]
    broken: set[str] = field(default_factory=set)


def _parse_validate(text: str, filename: str,
                    errors: list[SourceError]) -> tuple[FileDoc | None, Any]:
    try:
        data = yamlfile.parse(text, filename)
    except SourceErrors as exc:
        errors.extend(exc.errors)
        return None, None
    doc = FileDoc(filename, text, data)
    if not isinstance(data, dict):
        errors.append(SourceError("a flow file is a mapping with name, trigger, start, nodes",
                                  doc.span(()), source=text))
        return None, None
    header = {k: v for k, v in data.items() if k != "nodes"}
    before = len(errors)
    try:
        head = FlowBase.model_validate(header)
    except ValidationError as exc:
        errors.extend(_validation_errors(exc, doc))
        head = None
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        errors.append(SourceError("nodes: a flow needs a map of nodes by id",
                                  doc.span(("nodes",)), source=text))
        raw_nodes = {}
    adapter = node_adapter()
    nodes, broken = {}, set()
    for node_id, raw in raw_nodes.items():
        try:
            nodes[str(node_id)] = adapter.validate_python(raw)
        except ValidationError as exc:
            errors.extend(_validation_errors(exc, doc, ("nodes", node_id)))
            broken.add(str(node_id))
    if head is None:
        # still check the nodes: every mistake of the file in one run
        name, start = data.get("name"), data.get("start")
        if not isinstance(start, str) or (len(errors) > before and not nodes):
            return doc, None
        return doc, ParsedFlow(name if isinstance(name, str) else Path(filename).stem, None,
                               None, start, nodes, broken)
    return doc, ParsedFlow(head.name or Path(filename).stem, head.description, head.trigger,
                           head.start, nodes, broken)


def _validation_errors(exc: ValidationError, doc: FileDoc,
                       prefix: tuple = ()) -> list[SourceError]:
    """Pydantic errors with positions; the union tag is dropped from node paths."""
    registry = node_types()
    out = []
    for err in exc.errors():
        loc = [*prefix, *err["loc"]]
        spec_cls: Any = FlowBase
        if len(loc) >= 2 and loc[0] == "nodes":
            node: Any = doc.data.get("nodes", {}).get(loc[1]) if hasattr(doc.data, "get") else None
            tag = node.get("type") if hasattr(node, "get") else None
            if len(loc) >= 3 and loc[2] == tag:
                del loc[2]
                spec_cls = registry.get(tag)
                rest = loc[2:]
            else:
                rest = None
            if err["type"] == "union_tag_invalid":
                out.append(SourceError(
                    f"unknown node type {tag!r}", doc.value_span((*loc, "type")),
                    source=doc.text,
                    hint=yamlfile.suggest(str(tag), registry)
                    or f"node types: {', '.join(registry)}"))
                continue
            if err["type"] == "union_tag_not_found":
                out.append(SourceError(f"node {loc[1]!r} has no type", doc.span(tuple(loc)),
                                       source=doc.text,
                                       hint=f"add `type:` one of {', '.join(registry)}"))
                continue
        else:
            rest = loc
        where = ".".join(str(p) for p in loc) or "(top level)"
        hint = None
        if err["type"] == "extra_forbidden" and loc:
            parent = ".".join(map(str, loc[:-1])) or "the file"
            message = f"unknown key {loc[-1]!r} in {parent}"
            if rest is not None and spec_cls is not None:
                hint = yamlfile.suggest(str(loc[-1]), yamlfile._known_keys(spec_cls, rest[:-1]))
        elif err["type"] == "missing":
            message = f"{where}: required key is missing"
        else:
            message = f"{where}: {err['msg']}"
            if err["type"] == "literal_error":
                choices = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
                message = f"{where}: {err['input']!r} is not one of {', '.join(choices)}"
                hint = yamlfile.suggest(str(err["input"]), choices)
            out.append(SourceError(message, doc.value_span(tuple(loc)), source=doc.text,
                                   hint=hint))
            continue
        out.append(SourceError(message, doc.span(tuple(loc)), source=doc.text, hint=hint))
    return out


def _compile(docs: list[tuple[FileDoc, Any]], network: Network, timezone: str,
             errors: list[SourceError], files: list[str],
             lists: ListSet | None = None, recipients: Recipients | None = None) -> FlowSet:
    warnings: list[SourceError] = []
    seen: dict[str, FileDoc] = {}
    unique: list[tuple[FileDoc, Any]] = []
    for doc, spec in docs:
        if spec.name in seen:
            errors.append(SourceError(
                f"flow {spec.name!r} is also defined in {seen[spec.name].path}",
                doc.span(("name",)), source=doc.text))
            continue
        seen[spec.name] = doc
        unique.append((doc, spec))
        e, w = check_flow(doc, spec.name, spec)
        errors.extend(e)
        warnings.extend(w)
    errors.extend(check_calls(
        {spec.name: [(doc, ("nodes", nid, *sub), callee)
                     for nid, node in spec.nodes.items() for sub, callee in node.calls()]
         for doc, spec in unique}, seen))
    env = CompileEnv(network, _variables(unique, errors), timezone, errors=errors, lists=lists,
                     recipients=recipients or Recipients())
    flows: dict[str, CompiledFlow] = {}
    for doc, spec in unique:
        flows[spec.name] = _compile_flow(doc, spec, env)
    env.flows.update(flows)
    if errors:
        raise SourceErrors(_dedupe(errors))
    return FlowSet(flows, network, timezone, warnings, files, lists)


def _compile_flow(doc: FileDoc, spec: Any, env: CompileEnv) -> CompiledFlow:
    when = None
    if spec.trigger is not None and spec.trigger.when:
        c = NodeCompiler(env, doc, spec.name, "trigger", ("trigger",))
        when = c.expr(("when",), spec.trigger.when)
    flow = CompiledFlow(spec.name, doc.path, content_version(doc.text), spec.start,
                        spec.trigger.event if spec.trigger else None, when, spec.description,
                        spec=spec)
    for node_id, node in spec.nodes.items():
        c = NodeCompiler(env, doc, spec.name, node_id, ("nodes", node_id))
        flow.steps[node_id] = node.compile(c)
        flow.types[node_id] = node.type
        flow.spans[node_id] = c.span()
    return flow


def _variables(docs: Iterable[tuple[FileDoc, Any]],
               errors: list[SourceError]) -> dict[str, ExprType]:
    """Built-in variables plus every decision table's outputs (types from their values)."""
    out = dict(BUILTIN_VARIABLES)
    origin: dict[str, str] = {}
    for doc, spec in docs:
        for node_id, node in spec.nodes.items():
            declare = getattr(node, "declares", None)
            if declare is None:
                continue
            for name, type_ in declare().items():
                known = out.get(name)
                if known is not None and known != type_ and name in origin:
                    errors.append(SourceError(
                        f"variable {name!r} is {type_} here but {known} in {origin[name]}",
                        doc.span(("nodes", node_id)), source=doc.text))
                    continue
                out[name] = type_
                origin.setdefault(name, f"{spec.name}/{node_id}")
    return out


def _dedupe(errors: list[SourceError]) -> list[SourceError]:
    seen, out = set(), []
    for e in errors:
        key = (str(e.span), e.message)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return sorted(out, key=lambda e: (e.span.filename if e.span else "",
                                      (e.span.line or 0) if e.span else 0,
                                      (e.span.column or 0) if e.span else 0))
