"""Text -> typed syntax tree (``nodes``), and syntax errors a person can act on.

The grammar lives in ``grammar.lark`` (LALR, one parser with two start rules: ``rulefile`` and
``expression``).  The lark tree is turned into ``nodes`` dataclasses right away; nothing after
this module sees lark.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from ..errors import SourceError, SourceSpan
from . import nodes as n

_GRAMMAR = Path(__file__).with_name("grammar.lark")


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(
        _GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        start=["rulefile", "expression"],
        propagate_positions=True,
        maybe_placeholders=True,
        cache=False,
    )


def _pos(meta: Any) -> n.Pos:
    if getattr(meta, "empty", False):
        return n.NOWHERE
    return n.Pos(
        meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos
    )


def _tpos(tok: Token) -> n.Pos:
    return n.Pos(
        tok.line or 1,
        tok.column or 1,
        tok.end_line or 1,
        tok.end_column or 1,
        tok.start_pos or 0,
        tok.end_pos or 0,
    )


_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "秒": timedelta(seconds=1),
    "min": timedelta(minutes=1),
    "m": timedelta(minutes=1),
    "分钟": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "小时": timedelta(hours=1),
    "d": timedelta(days=1),
    "天": timedelta(days=1),
    "w": timedelta(weeks=1),
    "周": timedelta(weeks=1),
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|min|s|m|h|d|w|秒|分钟|小时|天|周)")


#: Longest duration literal: a century is more than any rule needs, and keeps date arithmetic
#: (``created_at + 36500d``) inside the calendar.
MAX_DURATION = timedelta(days=36_500)
#: Most digits of a number literal (Decimal's default precision).
MAX_DIGITS = 28
#: Deepest nesting of an expression (and/or chains of any length count as one level).
MAX_DEPTH = 40
#: Largest priority (either sign).
MAX_PRIORITY = 1_000_000


class LiteralError(ValueError):
    """A literal the grammar accepts but whose value is impossible (``2024-13-45``)."""

    def __init__(self, message: str, pos: n.Pos, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.pos, self.hint = message, pos, hint


def parse_duration(text: str) -> timedelta:
    """``1h30m`` -> timedelta(hours=1, minutes=30); ValueError past :data:`MAX_DURATION`."""
    total = timedelta()
    for number, unit in _DURATION_PART.findall(text):
        value = float(number)
        if value * _UNITS[unit].total_seconds() > MAX_DURATION.total_seconds():
            raise ValueError(f"duration {text} is longer than {MAX_DURATION.days} days")
        total += _UNITS[unit] * value
    if total > MAX_DURATION:
        raise ValueError(f"duration {text} is longer than {MAX_DURATION.days} days")
    return total


def _datetime_value(text: str) -> tuple[str, Any]:
    if len(text) == 10:
        return "date", date.fromisoformat(text)
    return "datetime", datetime.fromisoformat(text.replace("Z", "+00:00"))


def _unquote(text: str) -> str:
    return str(ast.literal_eval(text))


def _text(token: Token) -> str:
    """A quoted text's value; a broken escape is a LiteralError at the token."""
    return str(_checked("text", str(token), _tpos(token), _unquote))


def _number(text: str, pos: n.Pos) -> Any:
    if len(text.replace(".", "").lstrip("+-0")) > MAX_DIGITS:
        raise LiteralError(f"number with more than {MAX_DIGITS} digits", pos)
    return Decimal(text) if "." in text else int(text)


_CODEC_NOISE = re.compile(r"\(unicode error\) 'unicodeescape' codec can't decode bytes in "
                          r"position \d+-\d+: ")


def _checked(kind: str, text: str, pos: n.Pos, convert: Any) -> Any:
    """``convert(text)``, or a LiteralError that says which literal is impossible and why."""
    try:
        return convert(text)
    except (ValueError, SyntaxError, OverflowError) as exc:
        if isinstance(exc, LiteralError):
            raise
        reason = str(exc.msg if isinstance(exc, SyntaxError) else exc)
        reason = _CODEC_NOISE.sub("", reason)
        raise LiteralError(f"impossible {kind} {text}: {reason}", pos, _LITERAL_HINTS.get(kind)
                           ) from None


_LITERAL_HINTS = {
    "date": "dates are YYYY-MM-DD with a real month and day, e.g. 2024-11-11",
    "date-time": "date-times are YYYY-MM-DD HH:MM[:SS], e.g. 2024-11-11 20:00",
    "time": "times of day are HH:MM between 00:00 and 23:59",
    "text": "inside quotes a backslash starts an escape (\\n, \\t, \\\\); write \\\\ for a "
            "backslash",
    "duration": f"durations go up to {MAX_DURATION.days}d",
}


@v_args(meta=True)
class _ToNodes(Transformer_NonRecursive):
    """lark tree -> ``nodes``.  One method per grammar rule or alias; no logic beyond shaping."""

    # ---- literals
    def number(self, meta: Any, c: list[Token]) -> n.Literal:
        text, pos = str(c[0]), _pos(meta)
        return n.Literal(pos, "number", _number(text, pos), text)

    def money(self, meta: Any, c: list[Token]) -> n.Literal:
        text, pos = str(c[0]), _pos(meta)
        return n.Literal(pos, "money", Decimal(_number(text.strip("¥元"), pos)), text)

    def string(self, meta: Any, c: list[Token]) -> n.Literal:
        text, pos = str(c[0]), _pos(meta)
        return n.Literal(pos, "string", _checked("text", text, pos, _unquote), text)

    def duration(self, meta: Any, c: list[Token]) -> n.Literal:
        text, pos = str(c[0]), _pos(meta)
        return n.Literal(pos, "duration", _checked("duration", text, pos, parse_duration), text)

    def datetime(self, meta: Any, c: list[Token]) -> n.Literal:
        text, pos = str(c[0]), _pos(meta)
        kind, value = _checked("date" if len(text) == 10 else "date-time", text, pos,
                               _datetime_value)
        return n.Literal(pos, kind, value, text)

    def time(self, meta: Any, c: list[Token]) -> n.Literal:
        text, pos = str(c[0]), _pos(meta)
        value = _checked("time", text, pos, lambda t: time.fromisoformat(t.zfill(5)))
        return n.Literal(pos, "time", value, text)

    def true(self, meta: Any, c: list[Any]) -> n.Literal:
        return n.Literal(_pos(meta), "bool", True, "true")

    def false(self, meta: Any, c: list[Any]) -> n.Literal:
        return n.Literal(_pos(meta), "bool", False, "false")

    def null(self, meta: Any, c: list[Any]) -> n.Literal:
        return n.Literal(_pos(meta), "null", None, "null")

    def object(self, meta: Any, c: list[Any]) -> n.ObjectLit:
        return n.ObjectLit(_pos(meta), [p for p in c if p is not None])

    def pair(self, meta: Any, c: list[Any]) -> tuple[str, n.Expr]:
        key = str(c[0])
        if c[0].type == "STRING":
            key = _text(c[0])
        return (key, c[1])

    # ---- expressions
    def expression(self, meta: Any, c: list[Any]) -> n.Expr:
        return c[0]

    def name(self, meta: Any, c: list[Token]) -> n.Name:
        return n.Name(_pos(meta), str(c[0]))

    def member(self, meta: Any, c: list[Any]) -> n.Member:
        return n.Member(_pos(meta), c[0], str(c[1]), _tpos(c[1]))

    def index(self, meta: Any, c: list[Any]) -> n.Index:
        return n.Index(_pos(meta), c[0], c[1])

    def call(self, meta: Any, c: list[Any]) -> n.Call:
        args: list[n.Expr] = []
        kwargs: list[tuple[str, n.Expr]] = []
        for a in c[1] or []:
            (kwargs if isinstance(a, tuple) else args).append(a)
        return n.Call(_pos(meta), str(c[0]), args, kwargs)

    def arguments(self, meta: Any, c: list[Any]) -> list[Any]:
        return c

    def argument(self, meta: Any, c: list[Any]) -> n.Expr:
        return c[0]

    def kwargument(self, meta: Any, c: list[Any]) -> tuple[str, n.Expr]:
        return (str(c[0]), c[1])

    def neg(self, meta: Any, c: list[Any]) -> n.Unary:
        return n.Unary(_pos(meta), "-", c[0])

    def not_op(self, meta: Any, c: list[Any]) -> n.Unary:
        return n.Unary(_pos(meta), "not", c[0])

    def and_op(self, meta: Any, c: list[Any]) -> n.BoolOp:
        return n.BoolOp(_pos(meta), "and", c[0], c[1])

    def or_op(self, meta: Any, c: list[Any]) -> n.BoolOp:
        return n.BoolOp(_pos(meta), "or", c[0], c[1])

    def arith(self, meta: Any, c: list[Any]) -> n.Arith:
        return n.Arith(_pos(meta), str(c[1]), c[0], c[2])

    def compare(self, meta: Any, c: list[Any]) -> n.Compare:
        return n.Compare(_pos(meta), str(c[1]), c[0], c[2])

    def _cmp(op: str):  # type: ignore[misc]  # noqa: N805 - a factory used in the class body
        def method(self: Any, meta: Any, c: list[Any]) -> n.Compare:
            return n.Compare(_pos(meta), op, c[0], c[-1])

        return method

    in_op = _cmp("in")
    not_in_op = _cmp("not in")
    contains = _cmp("contains")
    contains_any = _cmp("contains any")
    contains_all = _cmp("contains all")
    starts_with = _cmp("starts with")
    ends_with = _cmp("ends with")
    matches = _cmp("matches")

    def is_null(self, meta: Any, c: list[Any]) -> n.IsNull:
        return n.IsNull(_pos(meta), c[0], False)

    def is_not_null(self, meta: Any, c: list[Any]) -> n.IsNull:
        return n.IsNull(_pos(meta), c[0], True)

    def quantifier(self, meta: Any, c: list[Any]) -> n.Quantifier:
        return n.Quantifier(_pos(meta), str(c[0]), str(c[1]), c[2], c[4], c[3])

    def quant_where(self, meta: Any, c: list[Any]) -> n.Expr:
        return c[0]  # type: ignore[no-any-return]

    def quant(self, meta: Any, c: list[Token]) -> str:
        return str(c[0])

    # ---- rule files
    def rulefile(self, meta: Any, c: list[Any]) -> list[Any]:
        return c

    def let_def(self, meta: Any, c: list[Any]) -> n.LetDef:
        return n.LetDef(str(c[0]), c[1], _pos(meta))

    def timezone_setting(self, meta: Any, c: list[Any]) -> tuple[str, str, n.Pos]:
        return ("timezone", _text(c[0]), _tpos(c[0]))

    def rule(self, meta: Any, c: list[Any]) -> n.RuleNode:
        name = _text(c[1]) if c[1] is not None else None
        rule = n.RuleNode(id=str(c[0]), name=name, pos=_pos(meta))
        for clause in c[2:]:
            clause(rule)
        return rule

    def priority(self, meta: Any, c: list[Any]) -> Any:
        value = _number(str(c[0]), _tpos(c[0]))
        if abs(value) > MAX_PRIORITY:
            raise LiteralError(f"priority {value} is out of range", _tpos(c[0]),
                               f"priorities go from -{MAX_PRIORITY} to {MAX_PRIORITY}")

        def apply(r: n.RuleNode) -> None:
            r.priority = value

        return apply

    def tags(self, meta: Any, c: list[Token]) -> Any:
        values = [_text(t) if t.type == "STRING" else str(t) for t in c]

        def apply(r: n.RuleNode) -> None:
            r.tags = values

        return apply

    def yesno(self, meta: Any, c: list[Token]) -> bool:
        return str(c[0]) == "yes"

    def enabled(self, meta: Any, c: list[Any]) -> Any:
        def apply(r: n.RuleNode) -> None:
            r.enabled, r.enabled_until, r.enabled_pos = c[0], c[1], _pos(meta)

        return apply

    def window_from(self, meta: Any, c: list[Any]) -> Any:
        return ("from", c[0])

    def window_until(self, meta: Any, c: list[Any]) -> Any:
        return ("until", c[0])

    def window(self, meta: Any, c: list[Any]) -> Any:
        parts = dict(x for x in c if x is not None)

        def apply(r: n.RuleNode) -> None:
            r.active_from, r.active_until = parts.get("from"), parts.get("until")

        return apply

    def mode_name(self, meta: Any, c: list[Token]) -> str:
        return str(c[0])

    def mode(self, meta: Any, c: list[Any]) -> Any:
        def apply(r: n.RuleNode) -> None:
            r.mode = c[0]

        return apply

    def description(self, meta: Any, c: list[Token]) -> Any:
        description = _text(c[0])

        def apply(r: n.RuleNode) -> None:
            r.description = description

        return apply

    def when(self, meta: Any, c: list[Any]) -> Any:
        def apply(r: n.RuleNode) -> None:
            r.when = c[0]

        return apply

    def then(self, meta: Any, c: list[Any]) -> Any:
        def apply(r: n.RuleNode) -> None:
            r.actions.extend(c)

        return apply

    def expect(self, meta: Any, c: list[Token]) -> bool:
        return str(c[0]) == "fires"

    def example_history(self, meta: Any, c: list[Any]) -> Any:
        return ("history", c[0])

    def example_lists(self, meta: Any, c: list[Any]) -> Any:
        return ("lists", c[0])

    def example_at(self, meta: Any, c: list[Any]) -> Any:
        return ("at", c[0])

    def example(self, meta: Any, c: list[Any]) -> Any:
        name = _text(c[0]) if c[0] is not None else None
        fires, order = c[1], c[2]
        extra = dict(x for x in c[3:] if x is not None)
        node = n.ExampleNode(name, fires, order, extra.get("history"), extra.get("at"), _pos(meta),
                             extra.get("lists"))

        def apply(r: n.RuleNode) -> None:
            r.examples.append(node)

        return apply

    def action(self, meta: Any, c: list[Any]) -> n.ActionNode:
        return c[0]

    def path(self, meta: Any, c: list[Token]) -> list[str]:
        return [str(t) for t in c]

    def dedup(self, meta: Any, c: list[Any]) -> n.Dedup:
        _checked("duration", str(c[1]), _tpos(c[1]), parse_duration)
        return n.Dedup(c[0], str(c[1]), _pos(meta))

    def _simple(kind: str, param: str):  # type: ignore[misc]  # noqa: N805
        def method(self: Any, meta: Any, c: list[Any]) -> n.ActionNode:
            return n.ActionNode(kind, {param: str(c[0])}, c[1], _pos(meta))

        return method

    hold = _simple("hold", "target")
    release = _simple("release", "target")
    flag = _simple("flag", "flag")
    freeze = _simple("freeze", "target")

    def task(self, meta: Any, c: list[Any]) -> n.ActionNode:
        params = {"queue": _text(c[0]), "title": _text(c[1]),
                  "title_pos": _tpos(c[1])}
        return n.ActionNode("task", params, c[2], _pos(meta))

    def notify_to(self, meta: Any, c: list[Token]) -> Token:
        return c[0]

    def notify(self, meta: Any, c: list[Any]) -> n.ActionNode:
        params = {"channel": str(c[0]), "channel_pos": _tpos(c[0]), "text": _text(c[2]),
                  "text_pos": _tpos(c[2])}
        if c[1] is not None:  # notify wecom to "店长" "...": a recipient of orderhub.yaml
            params.update({"to": _text(c[1]), "to_pos": _tpos(c[1])})
        return n.ActionNode("notify", params, c[3], _pos(meta))

    def sms(self, meta: Any, c: list[Any]) -> n.ActionNode:
        params = {"phone": c[0], "text": _text(c[1]), "text_pos": _tpos(c[1])}
        return n.ActionNode("sms", params, c[2], _pos(meta))

    def set_action(self, meta: Any, c: list[Any]) -> n.ActionNode:
        return n.ActionNode("set", {"field": c[0], "value": c[1]}, c[2], _pos(meta))

    # Last in the class: a method named ``list`` (the grammar's list literal) shadows the
    # builtin in every annotation written after it.
    def list(self, meta: Any, c: list[Any]) -> n.ListLit:
        return n.ListLit(_pos(meta), [x for x in c if x is not None])


# ---- errors --------------------------------------------------------------------------------

_WORDS = {
    "NAME": "a name",
    "STRING": "a quoted text",
    "NUMBER": "a number",
    "SIGNED_INT": "a whole number",
    "MONEY": "an amount",
    "DURATION": "a duration like 10m",
    "DATETIME": "a date or time like 2024-06-18 10:00",
    "TIME": "a time of day like 09:30",
    "COMP_OP": "a comparison (== != < <= > >=)",
    "ADD_OP": "+ or -",
    "MUL_OP": "*, / or %",
    "$END": "the end of the text",
    "VALUE": "a value (a name, number, text, date, duration, list, or '(')",
}
_VALUE_START = {
    "NAME", "NUMBER", "STRING", "MONEY", "DURATION", "DATETIME", "TIME", "LPAR", "LSQB",
    "LBRACE", "MINUS", "TRUE", "FALSE", "NULL", "NOT", "ANY", "ALL", "COUNT", "SUM",
}


def _describe(term: str) -> str:
    if term in _WORDS:
        return _WORDS[term]
    for t in _lark().terminals:
        if t.name == term and t.pattern.type == "str":
            return f"'{t.pattern.value}'"
    return term.lower()


def _syntax_error(exc: UnexpectedInput, filename: str, text: str,
                  parsed: str | None = None) -> SourceError:
    """``parsed``: the text actually parsed (a masked part of ``text``), for end positions."""
    end_lines = (parsed if parsed is not None else text).rstrip().splitlines() or [""]
    span = SourceSpan(filename, exc.line if exc.line > 0 else None, exc.column or None)
    expected: set[str] = set()
    if isinstance(exc, UnexpectedToken):
        got = "the end of the text" if exc.token.type == "$END" else f"'{exc.token}'"
        expected = set(exc.accepts or exc.expected)
        if exc.token.type == "$END":
            span = SourceSpan(filename, len(end_lines), len(end_lines[-1]) + 1)
    elif isinstance(exc, UnexpectedCharacters):
        got = f"character {text[exc.pos_in_stream]!r}"  # type: ignore[index]  # always set here
        expected = set(exc.allowed or ())
    elif isinstance(exc, UnexpectedEOF):
        got = "the end of the text"
        expected = set(exc.expected)
        span = SourceSpan(filename, len(end_lines), len(end_lines[-1]) + 1)
    else:  # pragma: no cover - lark has no other kinds
        got = "input"
    if {"NAME", "NUMBER", "STRING"} <= expected:
        expected -= _VALUE_START
        expected.add("VALUE")
    words = sorted({_describe(t) for t in expected if not t.startswith("__")})
    hint = None
    if words:
        shown = ", ".join(words[:8]) + (", ..." if len(words) > 8 else "")
        hint = f"expected {shown}"
    if got == "'='":
        hint = "to compare two values write '==' ('=' only belongs in let, set and name=value)"
    return SourceError(f"syntax error: unexpected {got}", span, source=text, hint=hint)


# ---- entry points --------------------------------------------------------------------------


def _to_nodes(tree: Any, filename: str, text: str) -> Any:
    """The lark tree as ``nodes``; impossible literals become positioned errors."""
    try:
        return _ToNodes().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, LiteralError):
            raise _positioned(exc.orig_exc, filename, text) from None
        raise


def _positioned(exc: LiteralError, filename: str, text: str) -> SourceError:
    return SourceError(exc.message, SourceSpan(filename, exc.pos.line, exc.pos.column),
                       source=text, hint=exc.hint)


_CHILD_FIELDS = ("operand", "left", "right", "obj", "index", "source", "body")


def _shape(node: n.Expr, depth: int = 1) -> n.Expr:
    """``node`` with every and/or chain as a balanced tree (``a and b and ... and z``, however
    long, nests about log2(terms) deep); a LiteralError past :data:`MAX_DEPTH` levels."""
    if depth > MAX_DEPTH:
        raise LiteralError(f"expression nested more than {MAX_DEPTH} levels deep", node.pos,
                           "split it: give parts a name with let, or use contains any [...] "
                           "and in [...]")
    if isinstance(node, n.BoolOp):
        terms = [_shape(t, depth + 1) for t in _chain(node)]
        return _balance(node.op, terms)
    for name in _CHILD_FIELDS:
        child = getattr(node, name, None)
        if isinstance(child, n.Expr):
            setattr(node, name, _shape(child, depth + 1))
    if isinstance(node, n.ListLit):
        node.items = [_shape(i, depth + 1) for i in node.items]
    elif isinstance(node, n.ObjectLit):
        node.pairs = [(k, _shape(v, depth + 1)) for k, v in node.pairs]
    elif isinstance(node, n.Call):
        node.args = [_shape(a, depth + 1) for a in node.args]
        node.kwargs = [(k, _shape(v, depth + 1)) for k, v in node.kwargs]
    return node


def _chain(node: n.BoolOp) -> list[n.Expr]:
    """The terms of an and (or or) chain, in order, without recursion."""
    terms: list[n.Expr] = []
    stack: list[n.Expr] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, n.BoolOp) and cur.op == node.op:
            stack.append(cur.right)
            stack.append(cur.left)
        else:
            terms.append(cur)
    return terms


def _balance(op: str, terms: list[n.Expr]) -> n.Expr:
    if len(terms) == 1:
        return terms[0]
    mid = len(terms) // 2
    left, right = _balance(op, terms[:mid]), _balance(op, terms[mid:])
    a, b = left.pos, right.pos
    return n.BoolOp(n.Pos(a.line, a.column, b.end_line, b.end_column, a.start, b.end), op,
                    left, right)


def parse_expression(text: str, filename: str = "<expression>") -> n.Expr:
    """Parse one expression; raises SourceError (positions relative to ``text``)."""
    try:
        tree = _lark().parse(text, start="expression")
    except UnexpectedInput as exc:
        raise _syntax_error(exc, filename, text) from None
    try:
        return _shape(_to_nodes(tree, filename, text))
    except LiteralError as exc:
        raise _positioned(exc, filename, text) from None


_TOP = re.compile(r"^[ \t]*(rule|let|timezone)\b", re.M)


def parse_rulefile(text: str, filename: str) -> tuple[n.RuleFile, list[SourceError]]:
    """Parse a rule file.  After a syntax error, parsing resumes at the next top-level item, so
    one run reports the mistakes of every rule, not only the first."""
    result = n.RuleFile(filename, text)
    errors: list[SourceError] = []
    try:
        items = _items(_lark().parse(text, start="rulefile"), filename, text)
    except (UnexpectedInput, SourceError):
        items = []
        starts = [m.start() for m in _TOP.finditer(text)] or [0]
        bounds = list(zip(starts, starts[1:] + [len(text)], strict=True))
        if starts[0] > 0:
            bounds.insert(0, (0, starts[0]))
        for lo, hi in bounds:
            before = text.count("\n", 0, lo)
            masked = "\n" * before + text[lo:hi]  # the part alone, on its own lines
            try:
                part = _items(_lark().parse(masked, start="rulefile"), filename, text)
                items += _shifted(part, lo - before)
            except UnexpectedInput as exc:
                errors.append(_missing_end(exc, filename, text, lo, masked)
                              or _syntax_error(exc, filename, text, masked))
            except SourceError as exc:
                errors.append(exc)
    for item in items:
        if isinstance(item, n.RuleNode):
            result.rules.append(item)
        elif isinstance(item, n.LetDef):
            result.lets.append(item)
        elif isinstance(item, tuple) and item[0] == "timezone":
            result.timezone, result.timezone_pos = item[1], item[2]
    return result, errors


def _items(tree: Any, filename: str, text: str) -> list[Any]:
    """The top-level items of a parsed rule file, every expression shaped by :func:`_shape`."""
    items = _to_nodes(tree, filename, text)
    try:
        for item in items:
            if isinstance(item, n.LetDef):
                item.value = _shape(item.value)
            elif isinstance(item, n.RuleNode):
                _shape_rule(item)
    except LiteralError as exc:
        raise _positioned(exc, filename, text) from None
    return list(items)


def _shape_rule(rule: n.RuleNode) -> None:
    if rule.when is not None:
        rule.when = _shape(rule.when)
    for action in rule.actions:
        for key, value in list(action.params.items()):
            if isinstance(value, n.Expr):
                action.params[key] = _shape(value)
    for ex in rule.examples:
        _shape(ex.order)
        if ex.history is not None:
            _shape(ex.history)


_RULE_HEAD = re.compile(r"[ \t]*rule\s+(\w+)")


def _missing_end(exc: UnexpectedInput, filename: str, text: str, lo: int,
                 masked: str) -> SourceError | None:
    """A rule block that runs into the next rule (or the end of the file) without ``end``:
    said at the rule's first line, not wherever the parser gave up."""
    at_end = isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END")
    expected = set(getattr(exc, "accepts", None) or getattr(exc, "expected", None) or ())
    head = _RULE_HEAD.match(text, lo)
    if not (at_end and "END" in expected and head):
        return None
    line = text.count("\n", 0, lo) + 1
    lines = masked.splitlines()
    last = max((i + 1 for i, x in enumerate(lines) if x.strip() and not
                x.strip().startswith("#")), default=line)
    indent = len(lines[line - 1]) - len(lines[line - 1].lstrip()) if line <= len(lines) else 0
    return SourceError(f"rule '{head.group(1)}' has no 'end'",
                       SourceSpan(filename, line, indent + 1),
                       source=text,
                       hint=f"write 'end' after the rule's last clause (line {last})")


def _shifted(value: Any, delta: int) -> Any:
    """``value`` with every :class:`nodes.Pos` in it moved ``delta`` characters on: a part of
    a file parsed on its own has the right lines and columns but offsets from its start."""
    if not delta:
        return value
    seen: set[int] = set()

    def walk(obj: Any) -> Any:
        if isinstance(obj, n.Pos):
            return dataclasses.replace(obj, start=obj.start + delta, end=obj.end + delta)
        if isinstance(obj, list):
            obj[:] = [walk(x) for x in obj]
        elif isinstance(obj, tuple):
            return tuple(walk(x) for x in obj)
        elif isinstance(obj, dict):
            for k in obj:
                obj[k] = walk(obj[k])
        elif dataclasses.is_dataclass(obj) and id(obj) not in seen:
            seen.add(id(obj))
            for f in dataclasses.fields(obj):
                setattr(obj, f.name, walk(getattr(obj, f.name)))
        return obj

    return walk(value)
