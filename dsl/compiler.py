"""Checked syntax tree -> Python source -> code object, compiled once.

Like Jinja's code generator, this writes Python source text (readable with ``.python_source``)
and compiles it; evaluation runs that code and never walks the tree.

Null safety is compiled in, not checked at run time by a generic helper: every value that may be
null is bound once with ``:=`` and tested with ``is not None`` ahead of its use, so
``refund.requested_at - created_at <= 10m`` becomes::

    (_t1 := o.refund) is not None and (_t2 := _t1.requested_at) is not None
        and (_t2 - o.created_at) <= _k0

The way a field is read (``o.x`` for model objects, ``o["x"]`` for plain dicts, ISO strings
parsed only when read) is decided here from the schema, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from . import nodes as n
from .regex import compile_pattern
from .types import ExprType, FieldSpec, RecordType


@dataclass(frozen=True)
class Code:
    """A compiled value: ``value`` is valid when every guard holds; ``nullable``: the value
    itself may still be None."""

    guards: tuple[str, ...]
    value: str
    nullable: bool


# Numbers in the language are exact (int and Decimal).  A float can still arrive from a caller's
# variable or a YAML decision table; arithmetic that meets one converts it instead of failing
# with "Decimal + float" on every order.  A result outside the calendar or the number range
# (``created_at + 36500d * 9``) is null, like a division by zero.
_ARITH_ERRORS = (OverflowError, ArithmeticError)
_MICROSECOND = timedelta(microseconds=1)


def _exact(x: Any) -> Any:
    return Decimal(repr(x)) if isinstance(x, float) else x


def _scale(a: Any, b: Any) -> Any:
    """duration * number (either order)."""
    if isinstance(b, timedelta):
        a, b = b, a
    return a * float(b)


def _add(a: Any, b: Any) -> Any:
    try:
        return a + b
    except TypeError:
        return _exact(a) + _exact(b)
    except _ARITH_ERRORS:
        return None


def _sub(a: Any, b: Any) -> Any:
    try:
        return a - b
    except TypeError:
        return _exact(a) - _exact(b)
    except _ARITH_ERRORS:
        return None


def _mul(a: Any, b: Any) -> Any:
    try:
        if isinstance(a, timedelta) or isinstance(b, timedelta):
            return _scale(a, b)
        return a * b
    except TypeError:
        return _exact(a) * _exact(b)
    except _ARITH_ERRORS:
        return None


def _div(a: Any, b: Any) -> Any:
    if not b:
        return None
    try:
        if isinstance(a, timedelta):
            if isinstance(b, timedelta):
                return Decimal(a // _MICROSECOND) / Decimal(b // _MICROSECOND)
            return a / float(b)
        if isinstance(a, int) and isinstance(b, int):
            return Decimal(a) / Decimal(b)
        return _exact(a) / _exact(b)
    except _ARITH_ERRORS:
        return None


def _mod(a: Any, b: Any) -> Any:
    if not b:
        return None
    try:
        return _exact(a) % _exact(b)
    except _ARITH_ERRORS:
        return None


def _index(seq: Any, i: Any) -> Any:
    try:
        return seq[i]
    except (IndexError, KeyError, TypeError):
        return None


def _member(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


HELPERS: dict[str, Any] = {
    "_add": _add,
    "_sub": _sub,
    "_mul": _mul,
    "_div": _div,
    "_mod": _mod,
    "_index": _index,
    "_member": _member,
    "_iso": datetime.fromisoformat,
}

_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")
_CODE_CACHE: dict[str, Any] = {}


class Codegen:
    """Accumulates generated functions and their constants; :meth:`build` compiles them."""

    def __init__(self, root: RecordType) -> None:
        self.root = root
        self.ns: dict[str, Any] = dict(HELPERS)
        self._const_ids: dict[tuple[type, Any], str] = {}
        self.lines: list[str] = []
        self._tmp = 0
        self._locals: dict[str, tuple[str, ExprType]] = {}

    # ---- names
    def const(self, value: Any) -> str:
        if value is None or isinstance(value, bool | int | str) and not isinstance(value, Decimal):
            return repr(value)
        try:
            key: tuple[type, Any] = (type(value), value)
            hash(key)
        except TypeError:
            key = (type(value), id(value))
        name = self._const_ids.get(key)
        if name is None:
            name = f"_k{len(self._const_ids)}"
            self._const_ids[key] = name
            self.ns[name] = value
        return name

    def tmp(self) -> str:
        self._tmp += 1
        return f"_t{self._tmp}"

    # ---- functions
    def add_function(self, name: str, params: str, body: list[str]) -> None:
        self.lines.append(f"def {name}({params}):")
        self.lines.extend("    " + line for line in body)
        self.lines.append("")

    def add_test(self, name: str, node: n.Expr) -> None:
        """``def name(o, ctx): return <node as true/false>``."""
        self.add_function(name, "o, ctx", [f"return {self.test(node)}"])

    def add_value(self, name: str, node: n.Expr) -> None:
        """``def name(o, ctx): return <node's value or None>``."""
        self.add_function(name, "o, ctx", [f"return {self.wrap(self.value(node))}"])

    @property
    def source(self) -> str:
        return "\n".join(self.lines) + "\n"

    def build(self, filename: str = "<orderhub rules>") -> dict[str, Any]:
        src = self.source
        code = _CODE_CACHE.get(src)
        if code is None:
            code = compile(src, filename, "exec")
            _CODE_CACHE[src] = code
        ns = dict(self.ns)
        exec(code, ns)  # noqa: S102 - our own generated source
        return ns

    # ---- combinators
    def need(self, code: Code) -> Code:
        """The same value, made non-null by a guard."""
        if not code.nullable:
            return code
        t = self.tmp()
        return Code(code.guards + (f"({t} := {code.value}) is not None",), t, False)

    def bind(self, code: Code) -> Code:
        """The same value in a temporary (for a value read more than once)."""
        code = self.need(code)
        if _SIMPLE.match(code.value) or code.value.startswith("_k"):
            return code
        t = self.tmp()
        return Code(code.guards + (f"({t} := {code.value}) is not None",), t, False)

    @staticmethod
    def wrap(code: Code) -> str:
        """A Python expression: the value, or None when a guard fails."""
        if not code.guards:
            return code.value
        return f"({code.value} if {' and '.join(code.guards)} else None)"

    @staticmethod
    def _all(parts: tuple[str, ...] | list[str]) -> str:
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    # ---- true/false context
    def test(self, node: n.Expr) -> str:
        if isinstance(node, n.BoolOp):
            return f"({self.test(node.left)} {node.op} {self.test(node.right)})"
        if isinstance(node, n.Unary) and node.op == "not":
            return f"(not {self.test(node.operand)})"
        if isinstance(node, n.Compare):
            return self._compare(node)
        if isinstance(node, n.IsNull):
            return self._is_null(node)
        if isinstance(node, n.Quantifier) and node.kind in ("any", "all"):
            src = self.need(self.value(node.source))
            return self._all(src.guards + (self._quantify(node, src.value),))
        if isinstance(node, n.Literal):
            return repr(bool(node.value))
        code = self.value(node)
        t = node.type or ExprType.ANY
        if t.kind == "bool" and not code.nullable:
            return self._all(code.guards + (code.value,))
        check = f"({code.value}) is True" if t.kind == "bool" else f"bool({code.value})"
        return self._all(code.guards + (check,))

    def _is_null(self, node: n.IsNull) -> str:
        code = self.value(node.operand)
        parts = code.guards + ((f"({code.value}) is not None",) if code.nullable else ())
        if not parts:
            return "True" if node.negated else "False"
        present = self._all(parts)
        return present if node.negated else f"(not {present})"

    def _compare(self, node: n.Compare) -> str:
        op = node.op
        if op in ("==", "!=") and _is_null_literal(node.right):
            return self._is_null(n.IsNull(node.pos, node.left, op == "!="))
        if op in ("==", "!=") and _is_null_literal(node.left):
            return self._is_null(n.IsNull(node.pos, node.right, op == "!="))
        left = self.need(self.value(node.left))
        if op in ("in", "not in") and isinstance(node.right, n.ListLit) and _literal_list(
                node.right) is not None:
            values = _literal_list(node.right)
            try:
                right_value = self.const(frozenset(values))  # type: ignore[arg-type]
            except TypeError:
                right_value = self.const(tuple(values))  # type: ignore[arg-type]
            right = Code((), right_value, False)
        else:
            right = self.need(self.value(node.right))
        if op in ("==", "!=", "<", "<=", ">", ">="):
            expr = f"{left.value} {op} {right.value}"
        elif op in ("in", "not in"):
            expr = f"{left.value} {op} {right.value}"
        elif op == "contains":
            expr = f"{right.value} in {left.value}"
        elif op in ("contains any", "contains all"):
            values = _literal_list(node.right) if isinstance(node.right, n.ListLit) else None
            if values is not None and 0 < len(values) <= 8:
                left = self.bind(left)
                joiner = " or " if op == "contains any" else " and "
                expr = "(" + joiner.join(f"{self.const(v)} in {left.value}" for v in values) + ")"
            else:
                fn = "any" if op == "contains any" else "all"
                expr = f"{fn}(_x in {left.value} for _x in {right.value})"
        elif op == "starts with":
            expr = f"{left.value}.startswith({right.value})"
        elif op == "ends with":
            expr = f"{left.value}.endswith({right.value})"
        elif op == "matches":
            pattern = _regex_source(node.right)
            expr = f"{self.const(compile_pattern(pattern))}.search({left.value}) is not None"
        else:  # pragma: no cover
            raise AssertionError(op)
        return self._all(left.guards + right.guards + (expr,))

    def _quantify(self, node: n.Quantifier, source: str) -> str:
        var = f"_q{self._tmp + 1}"
        self._tmp += 1
        item_type = (node.source.type.item if node.source.type and node.source.type.item
                     else ExprType.ANY)
        saved = self._locals.get(node.var)
        self._locals[node.var] = (var, item_type)
        try:
            if node.kind == "any":
                return f"any({self.test(node.body)} for {var} in {source})"
            if node.kind == "all":
                return f"all({self.test(node.body)} for {var} in {source})"
            if node.kind == "count":
                return f"sum(1 for {var} in {source} if {self.test(node.body)})"
            body = self.need(self.value(node.body))
            cond = f" if {' and '.join(body.guards)}" if body.guards else ""
            return f"sum({body.value} for {var} in {source}{cond})"
        finally:
            if saved is None:
                self._locals.pop(node.var, None)
            else:
                self._locals[node.var] = saved

    # ---- value context
    def value(self, node: n.Expr) -> Code:
        method = getattr(self, "_v_" + type(node).__name__)
        return method(node)  # type: ignore[no-any-return]

    def _v_Literal(self, node: n.Literal) -> Code:
        return Code((), self.const(node.value), node.value is None)

    def _v_ListLit(self, node: n.ListLit) -> Code:
        values = _literal_list(node)
        if values is not None:
            return Code((), self.const(tuple(values)), False)
        return Code((), "[" + ", ".join(self.wrap(self.value(i)) for i in node.items) + "]", False)

    def _v_ObjectLit(self, node: n.ObjectLit) -> Code:
        items = ", ".join(f"{k!r}: {self.wrap(self.value(v))}" for k, v in node.pairs)
        return Code((), "{" + items + "}", False)

    def _v_Name(self, node: n.Name) -> Code:
        ref = getattr(node, "ref", None)
        if ref is None:
            raise AssertionError(f"unchecked name {node.name}")
        kind, target = ref
        if kind == "local":
            return Code((), self._locals[target][0], False)
        if kind == "var":
            return Code((), f"ctx.variables.get({target!r})", True)
        if kind == "let":
            return self.value(target)
        return self._read("o", self.root, target)

    def _v_Member(self, node: n.Member) -> Code:
        base = self.need(self.value(node.obj))
        spec: FieldSpec | None = getattr(node, "spec", None)
        record = node.obj.type.record if node.obj.type is not None else None
        if spec is None or record is None:
            return Code(base.guards, f"_member({base.value}, {node.name!r})", True)
        inner = self._read(base.value, record, spec)
        return Code(base.guards + inner.guards, inner.value, inner.nullable)

    def _read(self, obj: str, record: RecordType, spec: FieldSpec) -> Code:
        key = spec.key or spec.name
        if record.access == "attr":
            raw = f"{obj}.{key}"
        elif spec.nullable:
            raw = f"{obj}.get({key!r})"
        else:
            raw = f"{obj}[{key!r}]"
        if spec.encoding == "iso":
            if spec.nullable:
                t = self.tmp()
                return Code((f"({t} := {raw}) is not None",), f"_iso({t})", False)
            return Code((), f"_iso({raw})", False)
        return Code((), raw, spec.nullable)

    def _v_Index(self, node: n.Index) -> Code:
        base = self.need(self.value(node.obj))
        index = self.need(self.value(node.index))
        return Code(base.guards + index.guards, f"_index({base.value}, {index.value})", True)

    def _v_Call(self, node: n.Call) -> Code:
        fn = node.builtin  # type: ignore[attr-defined]
        given = dict(zip((p.name for p in fn.params), node.args, strict=False))
        given.update(dict(node.kwargs))
        args = ["ctx"] if fn.needs_ctx else []
        if fn.needs_order:
            args.append("o")
        for p in fn.params:
            if p.name in given:
                args.append(self.wrap(self.value(given[p.name])))
            elif not p.required:
                args.append(self.const(p.default))
        return Code((), f"{self.const(fn.impl)}({', '.join(args)})", not fn.history)

    def _v_Unary(self, node: n.Unary) -> Code:
        if node.op == "not":
            return Code((), self.test(node), False)
        inner = self.need(self.value(node.operand))
        return Code(inner.guards, f"(-{inner.value})", False)

    def _v_BoolOp(self, node: n.BoolOp) -> Code:
        return Code((), self.test(node), False)

    def _v_Compare(self, node: n.Compare) -> Code:
        return Code((), self.test(node), False)

    def _v_IsNull(self, node: n.IsNull) -> Code:
        return Code((), self.test(node), False)

    def _v_Arith(self, node: n.Arith) -> Code:
        left = self.need(self.value(node.left))
        right = self.need(self.value(node.right))
        guards = left.guards + right.guards
        if node.op == "/":
            return Code(guards, f"_div({left.value}, {right.value})", True)
        if node.op == "%":
            return Code(guards, f"_mod({left.value}, {right.value})", True)
        kinds = {getattr(node.left.type, "kind", "any"), getattr(node.right.type, "kind", "any")}
        if kinds == {"string"} or (node.op == "-" and kinds in ({"datetime"}, {"date"})):
            # cannot fail: text + text, and time - time (always within a duration's range)
            return Code(guards, f"({left.value} {node.op} {right.value})", False)
        fn = {"+": "_add", "-": "_sub", "*": "_mul"}[node.op]
        return Code(guards, f"{fn}({left.value}, {right.value})", True)

    def _v_Quantifier(self, node: n.Quantifier) -> Code:
        src = self.need(self.value(node.source))
        expr = self._quantify(node, src.value)
        if node.kind in ("any", "all"):
            return Code((), self._all(src.guards + (expr,)), False)
        return Code(src.guards, expr, False)


def _is_null_literal(node: n.Expr) -> bool:
    return isinstance(node, n.Literal) and node.kind == "null"


def _literal_list(node: n.ListLit) -> list[Any] | None:
    if all(isinstance(i, n.Literal) and i.kind != "null" for i in node.items):
        return [i.value for i in node.items]  # type: ignore[attr-defined]
    return None


def _regex_source(node: n.Expr) -> str:
    if isinstance(node, n.Name):
        node = node.ref[1]  # type: ignore[attr-defined]  # a let constant
    assert isinstance(node, n.Literal)
    return str(node.value)


def python_value(value: Any) -> str:
    """How a constant prints in explanations: durations as 9m59s, dates in ISO."""
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple | frozenset):
        return "[" + ", ".join(python_value(v) for v in value) + "]"
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def format_duration(d: timedelta) -> str:
    seconds = int(d.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return sign + ("".join(parts) or "0s")
