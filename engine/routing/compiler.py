"""What a node type gets while it compiles: positioned errors, expressions, warehouse codes,
templates and sub-flow references, all checked at load time.

Every error is collected (not raised) so one ``flows check`` run reports every mistake of every
file.  Positions come from the ruamel document the node was read from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from jinja2 import TemplateSyntaxError, meta

from ...dsl import CompiledExpression, ExprType, compile_expression, yamlfile
from ...dsl.lists import ListSet
from ...errors import SourceError, SourceSpan
from ..recipients import Address, Recipients, did_you_mean
from ..templates import ENV as TEMPLATES
from ..templates import BoundedEnvironment, check_template
from .model import Loc
from .runtime import FlowRuntimeError

if TYPE_CHECKING:
    from jinja2 import Template

    from .flowset import CompiledFlow
    from .warehouses import Network

#: Variables every flow has; decision tables add their outputs (see :class:`CompileEnv`).
BUILTIN_VARIABLES: dict[str, ExprType] = {
    "region": ExprType.STRING,
    "province": ExprType.STRING,
    "city": ExprType.STRING,
    "district": ExprType.STRING,
    "warehouse": ExprType.STRING,
    "diverted_from": ExprType.STRING,
    "candidates": ExprType.list_of(ExprType.STRING),
}

#: Names a notify template may use besides the flow variables.
TEMPLATE_NAMES = frozenset({"order", "warehouse", "vars", "reasons", "path", "flow", "items",
                            "receiver", "diverted_from", "region", "load", "threshold"})


@dataclass
class FileDoc:
    """A flow file as read: path, text, and the ruamel document (for positions)."""

    path: str
    text: str
    data: Any

    def span(self, loc: Loc) -> SourceSpan:
        return yamlfile.span_at(self.data, loc, self.path)

    def value_span(self, loc: Loc) -> SourceSpan:
        """Where the scalar at ``loc`` starts: inside quotes, on the first line of a block."""
        try:
            pos = yamlfile.value_position(self.data, loc)
        except (KeyError, IndexError, TypeError):
            pos = None
        if pos is None:
            return self.span(loc)
        line, col = pos
        lines = self.text.splitlines()
        here = lines[line - 1] if 0 < line <= len(lines) else ""
        ch = here[col - 1:col]
        if ch in ("'", '"'):
            col += 1
        elif ch in ("|", ">") and line < len(lines):
            line += 1
            nxt = lines[line - 1]
            col = len(nxt) - len(nxt.lstrip()) + 1
        return SourceSpan(self.path, line, col)


@dataclass
class CompileEnv:
    """What all nodes of a load share: warehouses, variables' types, templates, flows."""

    network: Network
    variables: dict[str, ExprType]
    timezone: str
    flows: dict[str, CompiledFlow] = field(default_factory=dict)
    errors: list[SourceError] = field(default_factory=list)
    templates: BoundedEnvironment = field(default_factory=lambda: TEMPLATES)
    lists: ListSet | None = None  # the workspace's lists/ (list(), lookup())
    #: orderhub.yaml's named recipients a notify node's ``to:`` may name
    recipients: Recipients = field(default_factory=lambda: Recipients())


class NodeCompiler:
    """Compiles one node: ``flow``/``node`` name it, ``loc`` is the node's place in its file."""

    def __init__(self, env: CompileEnv, doc: FileDoc, flow: str, node: str, loc: Loc) -> None:
        self.env = env
        self.doc = doc
        self.flow = flow
        self.node = node
        self.loc = loc

    @property
    def network(self) -> Network:
        return self.env.network

    def span(self, sub: Loc = ()) -> SourceSpan:
        return self.doc.span(self.loc + sub)

    def error(self, sub: Loc, message: str, hint: str | None = None) -> None:
        self.env.errors.append(SourceError(message, self.span(sub), source=self.doc.text,
                                           hint=hint))

    def runtime_error(self, message: str) -> FlowRuntimeError:
        return FlowRuntimeError(message, flow=self.flow, node=self.node, span=self.span())

    def expr(self, sub: Loc, text: str, expect: ExprType | None = ExprType.BOOL,
             extra: dict[str, ExprType] | None = None) -> CompiledExpression | None:
        """Compile an expression written at ``sub``; type errors are collected."""
        span = self.doc.value_span(self.loc + sub)
        variables = dict(self.env.variables)
        if extra:
            variables.update(extra)
        try:
            return compile_expression(str(text), filename=self.doc.path, line=span.line,
                                      column=span.column, variables=variables, expect=expect,
                                      timezone=self.env.timezone, lists=self.env.lists)
        except SourceError as exc:
            self.env.errors.extend(getattr(exc, "errors", None) or [exc])
            return None

    def warehouse(self, sub: Loc, code: Any) -> str | None:
        """A warehouse code that must exist in the workspace config."""
        if isinstance(code, str) and code in self.network:
            return code
        self.error(sub, f"unknown warehouse {code!r}",
                   yamlfile.suggest(str(code), self.network.codes)
                   or f"warehouses in the config: {', '.join(self.network.codes) or 'none'}")
        return None

    def recipient(self, sub: Loc, to: str, builtin: tuple[str, ...]) -> Address | None:
        """A notify ``to:``: one of ``builtin`` (None), a phone number or a webhook URL
        (None), else a recipient of orderhub.yaml (its address); an unknown name is an
        error with the names it may have meant."""
        if to in builtin or to.startswith(("http://", "https://")) or \
                to.lstrip("+").replace("-", "").replace(" ", "").isdigit():
            return None
        recipients = self.env.recipients
        if to in recipients:
            return recipients.resolve(to)
        self.error(sub, f"unknown recipient {to!r}",
                   did_you_mean(to, [*builtin, *recipients.names])
                   or f"to: {' | '.join(builtin)}, a phone, a webhook URL, or a name under "
                      f"recipients: in orderhub.yaml ({', '.join(recipients.names) or 'none'})")
        return None

    def template(self, sub: Loc, text: str, names: set[str]) -> Template | None:
        """A sandboxed Jinja2 template; syntax errors and unknown names are load errors."""
        span = self.doc.value_span(self.loc + sub)
        env = self.env.templates
        try:
            ast = env.parse(text)
        except TemplateSyntaxError as exc:
            line = (span.line or 1) + (exc.lineno or 1) - 1
            self.env.errors.append(SourceError(f"template: {exc.message}",
                                               SourceSpan(self.doc.path, line, span.column),
                                               source=self.doc.text))
            return None
        unknown = sorted(meta.find_undeclared_variables(ast) - names)
        for name in unknown:
            self.env.errors.append(SourceError(
                f"template uses unknown name {name!r}", span, source=self.doc.text,
                hint=yamlfile.suggest(name, names) or f"known: {', '.join(sorted(names))}"))
        fields = self._template_fields(ast, text, span)
        self.env.errors.extend(fields)
        template, problems = check_template(text, [_sample_context(self.env, names)],
                                            strict=False)
        for p in problems:
            line = (span.line or 1) + p.line - 1
            self.env.errors.append(SourceError(f"template: {p.message}",
                                               SourceSpan(self.doc.path, line, span.column),
                                               source=self.doc.text, hint=p.hint))
        return None if problems or unknown or fields else template

    def text_template(self, sub: Loc, text: str) -> Callable[[dict[str, Any]], str]:
        """A text field of a node (a task title, a reason, a ``set`` value) as a template
        over what notify templates see, checked now; plain text is returned as it is."""
        if "{{" not in text and "{%" not in text:
            return lambda _context: text
        template = self.template(sub, text, set(TEMPLATE_NAMES) | set(self.env.variables))

        def render(context: dict[str, Any]) -> str:
            if template is None:
                return text
            try:
                return str(template.render(context))
            except Exception as exc:  # noqa: BLE001 - reported with the node's place
                raise self.runtime_error(f"template: {type(exc).__name__}: {exc}") from exc

        return render

    def _template_fields(self, ast: Any, text: str, span: SourceSpan) -> list[SourceError]:
        """``{{ vars.carier }}`` or ``{{ order.recever.name }}``: an unknown flow variable or
        order field is an error at the place it is written (a blank in a task title or a
        message would only be noticed by the person reading it)."""
        from ...dsl.types import order_record
        from ..templates import template_paths

        out = []
        for root, path, _line in template_paths(ast, ("vars", "order")):
            if root == "vars":
                known = sorted(self.env.variables)
                bad = (0, known) if path[0] not in self.env.variables else None
            else:
                bad = _bad_field(path, order_record())
            if bad is None:
                continue
            i, choices = bad
            where = ".".join([root, *path[:i]])
            at = _place(text, ".".join([root, *path[: i + 1]]), span, len(where) + 1)
            out.append(SourceError(
                f"template: unknown {'flow variable' if root == 'vars' else 'field'} "
                f"'{path[i]}' of {where}", at, source=self.doc.text,
                hint=yamlfile.suggest(path[i], choices)
                or (f"known: {', '.join(choices)}" if choices else None)))
        return out


def _bad_field(path: list[str], record: Any) -> tuple[int, list[str]] | None:
    """Where ``path`` leaves the order's schema: (index, the fields there), or None."""
    for i, part in enumerate(path):
        if record is None:
            return None
        spec = record.get(part)
        if spec is None:
            return i, sorted(record.fields)
        t = spec.type.item if spec.type.kind == "list" else spec.type
        record = t.record if t is not None and t.kind == "record" else None
    return None


def _place(text: str, needle: str, span: SourceSpan, skip: int = 0) -> SourceSpan:
    """The file position of ``needle`` (its character ``skip``) inside a template written at
    ``span``."""
    at = text.find(needle)
    if at < 0 or span.line is None:
        return span
    at += skip
    line = text.count("\n", 0, at)
    col = at - (text.rfind("\n", 0, at) + 1)
    if line == 0:
        return SourceSpan(span.filename, span.line, (span.column or 1) + col)
    return SourceSpan(span.filename, span.line + line, (span.column or 1) + col)


def _sample_context(env: CompileEnv, names: set[str]) -> dict[str, Any]:
    """Plausible values for a notify template's trial render when flows are checked."""
    from ..examples import probe_order

    order = probe_order(ZoneInfo(env.timezone))
    code = next(iter(env.network.codes), "WH")
    sample: dict[str, Any] = dict.fromkeys(names)
    sample.update({"order": order, "receiver": order.receiver, "items": order.items,
                   "warehouse": {"code": code, "name": code, "city": "", "lead": {}},
                   "region": "", "reasons": [], "path": [], "diverted_from": None, "load": 0,
                   "threshold": 0, "vars": {}, "flow": ""})
    return sample
