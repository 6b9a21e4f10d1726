"""``compile_expression``: one expression text -> a checked, compiled callable.

This is the API the YAML flows use for their conditions (exported by :mod:`orderhub.dsl`);
rule files go through :mod:`orderhub.engine.ruleset`, which uses the same parser, checker and
compiler.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import SourceError, SourceErrors, SourceSpan
from ..model import DEFAULT_TZ
from . import nodes as n
from .checker import Checker
from .compiler import Codegen
from .context import EvalContext
from .lists import ListSet
from .parser import parse_expression
from .types import ExprType, RecordType, order_record


class CompiledExpression:
    """A checked expression compiled to Python.  Call it with an :class:`EvalContext`.

    ``source``: the text as written; ``type``: its ExprType; ``python_source``: the generated
    code (for the curious and for debugging); ``evaluate(order, ctx)`` skips ``ctx.order``.
    """

    def __init__(self, source: str, type_: ExprType, fn: Any, python_source: str,
                 node: n.Expr) -> None:
        self.source = source
        self.type = type_
        self.evaluate = fn
        self.python_source = python_source
        self.node = node

    def __call__(self, ctx: EvalContext) -> Any:
        return self.evaluate(ctx.order, ctx)

    def __repr__(self) -> str:
        return f"<CompiledExpression {self.source!r}: {self.type}>"


def _tz(timezone: str | tzinfo | None) -> tzinfo:
    if timezone is None:
        return ZoneInfo(DEFAULT_TZ)
    return ZoneInfo(timezone) if isinstance(timezone, str) else timezone


def _placement(text: str, filename: str, line: int | None, column: int | None):  # type: ignore[no-untyped-def]
    """Where errors point: positions inside ``text`` moved to where ``text`` sits in its file,
    plus the text an excerpt should be drawn from."""
    line0, col0 = line or 1, column or 1
    file_text: str | None = None
    if line is not None:
        try:
            file_text = Path(filename).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            file_text = None
    if file_text is None:
        file_text = "\n" * (line0 - 1) + " " * (col0 - 1) + text

    def span(pos: n.Pos) -> SourceSpan:
        inner = SourceSpan(filename, pos.line, pos.column)
        return inner.shifted(line0, col0)

    return span, file_text


def compile_expression(
    text: str,
    *,
    filename: str = "<expression>",
    line: int | None = None,
    column: int | None = None,
    variables: dict[str, ExprType] | None = None,
    expect: ExprType | None = None,
    timezone: str | tzinfo | None = None,
    schema: RecordType | None = None,
    lists: ListSet | None = None,
) -> CompiledExpression:
    """Parse, type-check and compile ``text``.

    ``line``/``column``: where the text starts in ``filename`` (1-based), so that errors point
    into the author's file.  ``variables``: extra names the caller provides at evaluation time
    (``ctx.variables``).  ``expect``: the required result type (None = any).  ``schema``: the
    record the names refer to (default: the Order model).  ``lists``: the lists that
    ``list()``/``lookup()`` may name (their data is read from ``ctx.lists`` when the expression
    runs).  Raises :class:`SourceError` (the first of several mistakes; all of them are in
    ``exc.errors`` when there are more).
    """
    span, file_text = _placement(text, filename, line, column)
    try:
        node = parse_expression(text, filename)
    except SourceError as exc:
        pos = n.Pos(exc.span.line or 1, exc.span.column or 1, 0, 0, 0, 0) if exc.span else None
        raise SourceError(exc.message, span(pos) if pos else None, source=file_text,
                          hint=exc.hint) from None
    root = schema or order_record()
    checker = Checker(root, span=span, source=file_text, tz=_tz(timezone), variables=variables,
                      lists=lists)
    type_ = checker.check(node, expect)
    if checker.errors:
        first = checker.errors[0]
        if len(checker.errors) > 1:
            first.errors = checker.errors  # type: ignore[attr-defined]
            first.hint = (first.hint + "\n    " if first.hint else "") + \
                f"({len(checker.errors) - 1} more error(s) in this expression)"
        raise first
    gen = Codegen(root)
    if expect == ExprType.BOOL:
        gen.add_test("_expr", node)
    else:
        gen.add_value("_expr", node)
    ns = gen.build(f"<expression {filename}:{line or 1}>")
    return CompiledExpression(text, type_, ns["_expr"], gen.source, node)


def evaluate(text: str, order: Any, **ctx: Any) -> Any:
    """Compile and run ``text`` once against ``order`` (for tests, docs and the REPL)."""
    expr = compile_expression(text)
    return expr(EvalContext(order=order, **ctx))


__all__ = ["CompiledExpression", "SourceErrors", "compile_expression", "evaluate"]
