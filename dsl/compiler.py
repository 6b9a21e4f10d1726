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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import SourceSpan
from ..model import DEFAULT_TZ
from . import nodes as n
from .checker import Checker
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
            where = [self.test(node.where)] if node.where is not None else []
            filt = f" if {where[0]}" if where else ""
            if node.kind == "any":
                return f"any({self.test(node.body)} for {var} in {source}{filt})"
            if node.kind == "all":
                return f"all({self.test(node.body)} for {var} in {source}{filt})"
            if node.kind == "count":
                cond = " and ".join([*where, self.test(node.body)])
                return f"sum(1 for {var} in {source} if {cond})"
            body = self.need(self.value(node.body))
            conds = [*where, *body.guards]
            cond = f" if {' and '.join(conds)}" if conds else ""
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
        table = getattr(node, "table", None)
        if table is not None:  # list()/lookup(): the loaded data, read from the context
            if fn.name == "list":
                return Code((), f"ctx.lists.entries[{table!r}]", False)
            key = self.need(self.value(node.args[1] if len(node.args) > 1 else
                                      dict(node.kwargs)["key"]))
            column = node.column  # type: ignore[attr-defined]
            return Code(key.guards, f"ctx.lists.columns[{(table, column)!r}].get({key.value})",
                        True)
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


# ---- rule sets ----------------------------------------------------------------------------

#: Action parameters that are expressions, compiled per action (``sms PHONE``, ``set F = VALUE``).
VALUE_PARAMS = ("phone", "value")

#: A generated test or value: ``fn(order, ctx)``.
OrderFn = Callable[[Any, Any], Any]
#: The generated matcher of a set of active rules: ``match(order, ctx, errors=None)`` returns
#: the ids of the rules that fired, in priority order.  A rule whose condition raises is left
#: out and its message appended to ``errors``; without a list, the exception propagates.
Matcher = Callable[..., list[str]]


@dataclass(frozen=True)
class HistoryCall:
    """A history function in a rule's condition (``orders_today(receiver.phone)``): ``args``
    computes its arguments for an order (what the function's ``plan`` takes), so that a batch
    fetches every order's window in one query before any rule runs."""

    builtin: Any
    args: OrderFn
    rule: int


@dataclass(frozen=True)
class ExplainPart:
    """One test of a condition (what is below and/or/not) with its compiled test and, for a
    comparison, its two sides."""

    atom: n.Expr
    test: OrderFn
    left: OrderFn | None
    right: OrderFn | None


def rule_error(rule_id: str, exc: BaseException) -> str:
    """How a rule that failed on an order is reported in the order's decision."""
    return f"rule {rule_id}: {type(exc).__name__}: {exc}"


def _fired_or_failed(errors: list[str] | None, rule_id: str, exc: Exception) -> None:
    if errors is None:
        raise exc
    errors.append(rule_error(rule_id, exc))


class RuleCode:
    """The Python generated for a rule set, compiled once when it is loaded.

    ``conditions[i]`` and ``actions[i]`` are rule ``i``'s checked condition and actions (in the
    order the rule set keeps its rules, ids in ``ids``).  Built here: each condition alone
    (examples, ``--why-not``), the dedup key and the expression value of each action, the
    arguments of each history call; on first use, one matcher per set of active rules (all of
    them in one function) and each rule's explainer.  Evaluation lives with the caller
    (:mod:`orderhub.engine.ruleset`); nothing here holds an order or a context."""

    def __init__(self, root: RecordType, ids: Sequence[str], conditions: Sequence[n.Expr],
                 actions: Sequence[Sequence[n.ActionNode]]) -> None:
        self.root = root
        self.ids = list(ids)
        self.conditions = list(conditions)
        gen = Codegen(root)
        calls: list[tuple[int, n.Call]] = []
        for i, condition in enumerate(self.conditions):
            gen.add_test(f"_test_{i}", condition)
            for j, action in enumerate(actions[i]):
                dedup = action.dedup
                if dedup is not None and dedup.key is not None:
                    gen.add_value(f"_dedup_{i}_{j}", path_node(dedup.key, dedup.pos, root))
                for key in VALUE_PARAMS:
                    node = action.params.get(key)
                    if isinstance(node, n.Expr):
                        gen.add_value(f"_value_{i}_{j}", node)
            for call in history_calls(condition):
                k = len(calls)
                calls.append((i, call))
                gen.add_function(f"_hist_{k}", "o, ctx", [f"return ({_history_args(gen, call)},)"])
        ns = gen.build("<orderhub rules support>")
        self.source = gen.source
        self.tests: list[OrderFn] = [ns[f"_test_{i}"] for i in range(len(self.conditions))]
        self.dedup = {(i, j): ns[f"_dedup_{i}_{j}"] for i, a in enumerate(actions)
                      for j in range(len(a)) if f"_dedup_{i}_{j}" in ns}
        self.values = {(i, j): ns[f"_value_{i}_{j}"] for i, a in enumerate(actions)
                       for j in range(len(a)) if f"_value_{i}_{j}" in ns}
        self.history = [HistoryCall(call.builtin, ns[f"_hist_{k}"], i)  # type: ignore[attr-defined]
                        for k, (i, call) in enumerate(calls)]
        self._matchers: dict[tuple[int, ...], Matcher] = {}
        self._explainers: dict[int, list[ExplainPart]] = {}

    def matcher(self, active: tuple[int, ...]) -> Matcher:
        """One generated function testing the rules ``active`` (indexes, in priority order)."""
        fn = self._matchers.get(active)
        if fn is None:
            gen = Codegen(self.root)
            gen.ns["_failed"] = _fired_or_failed
            body = ["hits = []"]
            for i in active:
                rid = self.ids[i]
                body += ["try:",
                         f"    if {gen.test(self.conditions[i])}:",
                         f"        hits.append({rid!r})",
                         "except Exception as exc:",
                         f"    _failed(errors, {rid!r}, exc)"]
            body.append("return hits")
            gen.add_function("_match", "o, ctx, errors=None", body)
            fn = gen.build("<orderhub rules>")["_match"]
            fn.python_source = gen.source  # type: ignore[attr-defined]
            self._matchers[active] = fn
        return fn

    def explainer(self, i: int) -> list[ExplainPart]:
        """The tests of rule ``i``'s condition, each compiled alone (built on first use)."""
        parts = self._explainers.get(i)
        if parts is None:
            atoms = list(atoms_of(self.conditions[i]))
            gen = Codegen(self.root)
            for k, atom in enumerate(atoms):
                gen.add_test(f"_a{k}", atom)
                if isinstance(atom, n.Compare):
                    gen.add_value(f"_l{k}", atom.left)
                    gen.add_value(f"_r{k}", atom.right)
            ns = gen.build(f"<explain {self.ids[i]}>")
            parts = self._explainers[i] = [
                ExplainPart(a, ns[f"_a{k}"], ns.get(f"_l{k}"), ns.get(f"_r{k}"))
                for k, a in enumerate(atoms)]
        return parts


def atoms_of(node: n.Expr) -> Iterable[n.Expr]:
    """The tests an explanation reports: everything below and/or/not."""
    if isinstance(node, n.BoolOp):
        yield from atoms_of(node.left)
        yield from atoms_of(node.right)
    elif isinstance(node, n.Unary) and node.op == "not":
        yield from atoms_of(node.operand)
    else:
        yield node


def history_calls(node: n.Expr) -> Iterable[n.Call]:
    """The calls of history functions in ``node``, outermost first."""
    if isinstance(node, n.Call) and getattr(node, "builtin", None) is not None \
            and node.builtin.history:  # type: ignore[attr-defined]
        yield node
    for child in n.children(node):
        yield from history_calls(child)


def _history_args(gen: Codegen, call: n.Call) -> str:
    """The call's arguments in parameter order, defaults filled in (what ``plan`` takes)."""
    fn = call.builtin  # type: ignore[attr-defined]
    given = dict(zip((p.name for p in fn.params), call.args, strict=False))
    given.update(dict(call.kwargs))
    return ", ".join(gen.wrap(gen.value(given[p.name])) if p.name in given
                     else gen.const(p.default) for p in fn.params)


def path_node(path: list[str], pos: n.Pos, root: RecordType) -> n.Expr:
    """A checked field-path expression for a dedup key such as ``receiver.phone``."""
    node: n.Expr = n.Name(pos, path[0])
    for part in path[1:]:
        node = n.Member(pos, node, part, pos)
    Checker(root, span=lambda p: SourceSpan("<dedup>"), source=None, tz=ZoneInfo(DEFAULT_TZ)
            ).check(node)
    return node


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
