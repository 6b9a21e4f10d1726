"""The type checker: every expression gets a type before anything runs.

It resolves names against the record schema (the Order model by default), caller variables,
``let`` constants and quantifier variables; checks operators and builtin calls; and says what
the author probably meant when a name is wrong.  It keeps going after an error (the faulty node
becomes ``any``) so that one run reports every mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, tzinfo
from typing import Any

from ..errors import SourceError, SourceSpan
from . import nodes as n
from .functable import functions
from .lists import EMPTY as EMPTY_LISTS
from .lists import ListSet
from .regex import pattern_error
from .types import ORDERED_KINDS, ExprType, FieldSpec, RecordType
from .yamlfile import suggest

T = ExprType

_LITERAL_TYPES = {
    "number": T.NUMBER,
    "money": T.NUMBER,
    "string": T.STRING,
    "duration": T.DURATION,
    "datetime": T.DATETIME,
    "date": T.DATE,
    "time": T.TIME,
    "bool": T.BOOL,
    "null": T.NULL,
}

# (left kind, op, right kind) -> result kind
_ARITH: dict[tuple[str, str, str], ExprType] = {}
for _op in "+-*/%":
    _ARITH[("number", _op, "number")] = T.NUMBER
_ARITH.update({
    ("string", "+", "string"): T.STRING,
    ("datetime", "-", "datetime"): T.DURATION,
    ("datetime", "+", "duration"): T.DATETIME,
    ("datetime", "-", "duration"): T.DATETIME,
    ("duration", "+", "datetime"): T.DATETIME,
    ("date", "-", "date"): T.DURATION,
    ("date", "+", "duration"): T.DATE,
    ("date", "-", "duration"): T.DATE,
    ("duration", "+", "duration"): T.DURATION,
    ("duration", "-", "duration"): T.DURATION,
    ("duration", "*", "number"): T.DURATION,
    ("number", "*", "duration"): T.DURATION,
    ("duration", "/", "number"): T.DURATION,
    ("duration", "/", "duration"): T.NUMBER,
})


_KIND_WORDS = {"string": "text", "list": "a list", "map": "a key/value map"}


class Checker:
    """Types expressions of one source text.  ``span`` maps node positions to file spans."""

    def __init__(
        self,
        root: RecordType,
        *,
        span: Callable[[n.Pos], SourceSpan],
        source: str | None,
        tz: tzinfo,
        variables: dict[str, ExprType] | None = None,
        lets: dict[str, n.Expr] | None = None,
        lists: ListSet | None = None,
    ) -> None:
        self.root = root
        self.span = span
        self.source = source
        self.tz = tz
        self.variables = dict(variables or {})
        self.lets = dict(lets or {})
        self.lists = lists if lists is not None else EMPTY_LISTS
        self.locals: dict[str, ExprType] = {}
        self.errors: list[SourceError] = []

    # ---- reporting
    def error(self, pos: n.Pos, message: str, hint: str | None = None) -> ExprType:
        self.errors.append(SourceError(message, self.span(pos), source=self.source, hint=hint))
        return T.ANY

    # ---- entry
    def check(self, node: n.Expr, expect: ExprType | None = None) -> ExprType:
        t = self.visit(node)
        if expect is not None and not expect.accepts(t):
            self.error(node.pos, f"expected {expect}, but this is {t}", _bool_hint(node, t)
                       if expect == T.BOOL else None)
        return t

    def visit(self, node: n.Expr) -> ExprType:
        method = getattr(self, "visit_" + type(node).__name__)
        t: ExprType = method(node)
        node.type = t
        return t

    # ---- leaves
    def visit_Literal(self, node: n.Literal) -> ExprType:
        if node.kind == "datetime" and node.value.tzinfo is None:
            node.value = node.value.replace(tzinfo=self.tz)
        return _LITERAL_TYPES[node.kind]

    def visit_ListLit(self, node: n.ListLit) -> ExprType:
        kinds = [self.visit(item) for item in node.items]
        real = {t for t in kinds if t.kind not in ("null", "any")}
        if len(real) == 1:
            return T.list_of(real.pop())
        if len(real) > 1:
            self.error(node.pos, "a list mixes " + ", ".join(sorted(str(t) for t in real)),
                       "put values of one kind in a list")
        return T.list_of(T.ANY)

    def visit_ObjectLit(self, node: n.ObjectLit) -> ExprType:
        for _, value in node.pairs:
            self.visit(value)
        return T.ANY

    def visit_Name(self, node: n.Name) -> ExprType:
        name = node.name
        if name in self.locals:
            node.ref = ("local", name)  # type: ignore[attr-defined]
            return self.locals[name]
        if name in self.variables:
            node.ref = ("var", name)  # type: ignore[attr-defined]
            return self.variables[name]
        if name in self.lets:
            node.ref = ("let", self.lets[name])  # type: ignore[attr-defined]
            return self.lets[name].type or T.ANY
        spec = self.root.get(name)
        if spec is not None:
            node.ref = ("field", spec)  # type: ignore[attr-defined]
            return spec.type
        if name in functions():
            return self.error(node.pos, f"'{name}' is a function", f"call it: {name}(...)")
        known = list(self.root.fields) + list(self.variables) + list(self.lets) + list(self.locals)
        return self.error(node.pos, f"unknown name '{name}'", suggest(name, known)
                          or f"order fields are: {', '.join(sorted(self.root.fields))}")

    def visit_Member(self, node: n.Member) -> ExprType:
        base = self.visit(node.obj)
        if base.kind == "any" or base.kind == "map":
            return T.ANY
        if base.kind != "record" or base.record is None:
            return self.error(node.name_pos, f"'{node.name}': a {base} has no fields")
        spec = base.record.get(node.name)
        if spec is None:
            where = _path_text(node.obj)
            fields = sorted(base.record.fields)
            return self.error(
                node.name_pos,
                f"unknown field '{node.name}' of {where}",
                suggest(node.name, fields) or f"{where} has: {', '.join(fields)}",
            )
        node.spec = spec  # type: ignore[attr-defined]
        return spec.type

    def visit_Index(self, node: n.Index) -> ExprType:
        base = self.visit(node.obj)
        index = self.visit(node.index)
        if base.kind == "list":
            if not T.NUMBER.accepts(index):
                self.error(node.index.pos, f"a list index must be a number, not {index}")
            return base.item or T.ANY
        if base.kind in ("map", "any"):
            return T.ANY
        return self.error(node.pos, f"cannot index a {base}")

    def visit_Call(self, node: n.Call) -> ExprType:
        table = functions()
        fn = table.get(node.name)
        if fn is None:
            return self.error(node.pos, f"unknown function '{node.name}'",
                              suggest(node.name, sorted(table))
                              or "functions: " + ", ".join(sorted(table)))
        arg_types = [self.visit(a) for a in node.args]
        kw_types = {k: self.visit(v) for k, v in node.kwargs}
        params = list(fn.params)
        if len(node.args) > len(params):
            return self.error(node.pos, f"{fn.name}() takes {len(params)} argument(s), "
                              f"got {len(node.args)}", _signature(fn))
        bound: dict[str, tuple[n.Expr, ExprType]] = {}
        for p, a, t in zip(params, node.args, arg_types, strict=False):
            bound[p.name] = (a, t)
        names = [p.name for p in params]
        for (k, v), t in zip(node.kwargs, kw_types.values(), strict=True):
            if k not in names:
                self.error(v.pos, f"{fn.name}() has no parameter '{k}'",
                           suggest(k, names) or _signature(fn))
                continue
            bound[k] = (v, t)
        for p in params:
            if p.name not in bound:
                if p.required:
                    self.error(node.pos, f"{fn.name}() needs '{p.name}'", _signature(fn))
                continue
            arg, t = bound[p.name]
            if p.kinds is not None and t.kind not in p.kinds | {"any", "null"}:
                wanted = " or ".join(_KIND_WORDS.get(k, k) for k in sorted(p.kinds))
                self.error(arg.pos, f"{fn.name}(): '{p.name}' must be {wanted}, not {t}",
                           _signature(fn))
            elif not p.type.accepts(t):
                self.error(arg.pos, f"{fn.name}(): '{p.name}' must be {p.type}, not {t}",
                           _signature(fn))
        node.builtin = fn  # type: ignore[attr-defined]
        if fn.name in ("list", "lookup"):
            return self._list_call(node, bound)
        if fn.returns_like_arg and arg_types:
            return arg_types[0]
        return fn.returns

    def _list_call(self, node: n.Call, bound: dict[str, tuple[n.Expr, ExprType]]) -> ExprType:
        """``list("name")`` / ``lookup("name", key, "column")``: the name (and column) must be
        written as text, and the list must exist in the workspace's lists/ folder."""
        name_arg = bound.get("name", (None, None))[0]
        if not (isinstance(name_arg, n.Literal) and name_arg.kind == "string"):
            return self.error(name_arg.pos if name_arg else node.pos,
                              f"{node.name}(): write the list's name in quotes",
                              f'e.g. {node.name}("blacklist")')
        table = self.lists.get(name_arg.value)
        if table is None:
            names = sorted(self.lists.tables)
            where = f"{self.lists.folder}" if self.lists.folder else "the workspace's lists/"
            return self.error(name_arg.pos, f"no list '{name_arg.value}' in {where}",
                              suggest(name_arg.value, names)
                              or ("lists: " + ", ".join(names) if names else
                                  f"add lists/{name_arg.value}.csv or .txt"))
        node.table = table.name  # type: ignore[attr-defined]
        if node.name == "list":
            return T.list_of(T.STRING)
        col_arg = bound.get("column", (None, None))[0]
        others = table.columns[1:]
        if col_arg is None:
            if len(others) != 1:
                return self.error(node.pos, f"lookup(): say which column of '{table.name}'",
                                  "columns: " + ", ".join(others) if others
                                  else f"'{table.name}' has no column besides its key")
            column = others[0]
        elif isinstance(col_arg, n.Literal) and col_arg.kind == "string":
            column = col_arg.value
            if column not in others:
                return self.error(col_arg.pos, f"list '{table.name}' has no column '{column}'",
                                  suggest(column, others) or "columns: " + ", ".join(others))
        else:
            return self.error(col_arg.pos, "lookup(): write the column's name in quotes")
        node.column = column  # type: ignore[attr-defined]
        return table.types.get(column, T.STRING)

    # ---- operators
    def visit_Unary(self, node: n.Unary) -> ExprType:
        t = self.visit(node.operand)
        if node.op == "not":
            if not T.BOOL.accepts(t):
                self.error(node.operand.pos, f"'not' needs true/false, but this is {t}",
                           _bool_hint(node.operand, t))
            return T.BOOL
        if t.kind not in ("number", "duration", "any"):
            return self.error(node.pos, f"cannot negate a {t}")
        return t

    def visit_BoolOp(self, node: n.BoolOp) -> ExprType:
        for side in (node.left, node.right):
            t = self.visit(side)
            if not T.BOOL.accepts(t):
                self.error(side.pos, f"'{node.op}' needs true/false on both sides, but this is "
                           f"{t}", _bool_hint(side, t))
        return T.BOOL

    def visit_Arith(self, node: n.Arith) -> ExprType:
        lt, rt = self.visit(node.left), self.visit(node.right)
        if "any" in (lt.kind, rt.kind):
            return rt if lt.kind == "any" and node.op in "+-" and rt.kind != "any" else T.ANY
        result = _ARITH.get((lt.kind, node.op, rt.kind))
        if result is None:
            hint = None
            if {lt.kind, rt.kind} == {"datetime", "number"}:
                hint = "write durations with a unit: 10m, 2h, 1d"
            return self.error(node.pos, f"cannot compute {lt} {node.op} {rt}", hint)
        return result

    def visit_IsNull(self, node: n.IsNull) -> ExprType:
        self.visit(node.operand)
        return T.BOOL

    def visit_Compare(self, node: n.Compare) -> ExprType:
        lt, rt = self.visit(node.left), self.visit(node.right)
        op = node.op
        if op in ("==", "!=", "<", "<=", ">", ">="):
            lt, rt = self._coerce_dates(node, lt, rt)
            if "any" in (lt.kind, rt.kind) or "null" in (lt.kind, rt.kind):
                return T.BOOL
            if lt.kind != rt.kind:
                hint = "write durations with a unit: 10m, 2h, 1d" if "number" in (
                    lt.kind, rt.kind) and {lt.kind, rt.kind} & {"duration", "datetime"} else None
                self.error(node.pos, f"cannot compare {lt} with {rt}", hint)
            elif op not in ("==", "!=") and lt.kind not in ORDERED_KINDS:
                self.error(node.pos, f"'{op}' does not order values of type {lt}")
            else:
                self._check_choice(node.left, node.right)
                self._check_choice(node.right, node.left)
            return T.BOOL
        if op in ("in", "not in"):
            if rt.kind == "list":
                if rt.item and not rt.item.accepts(lt) and not lt.accepts(rt.item):
                    self.error(node.pos, f"a {lt} is never in a {rt}")
                if isinstance(node.right, n.ListLit):
                    for item in node.right.items:
                        self._check_choice(node.left, item)
            elif rt.kind == "string":
                if not T.STRING.accepts(lt):
                    self.error(node.left.pos, f"only text can be in a text, not {lt}")
            elif rt.kind != "any":
                self.error(node.right.pos, f"'{op}' needs a list or text on its right, not {rt}")
            return T.BOOL
        if op == "contains":
            if lt.kind == "string" and not T.STRING.accepts(rt):
                self.error(node.right.pos, f"a text contains text, not {rt}")
            elif lt.kind == "list" and lt.item and not lt.item.accepts(rt):
                self.error(node.right.pos, f"a {lt} never contains a {rt}")
            elif lt.kind not in ("string", "list", "any"):
                self.error(node.left.pos, f"'contains' needs text or a list on its left, not {lt}")
            return T.BOOL
        if op in ("contains any", "contains all"):
            if rt.kind not in ("list", "any"):
                self.error(node.right.pos, f"'{op}' needs a list on its right, not {rt}",
                           "e.g. receiver.address contains any [\"附近\", \"旁边\"]")
            elif lt.kind not in ("string", "list", "any"):
                self.error(node.left.pos, f"'{op}' needs text or a list on its left, not {lt}")
            else:
                want = T.STRING if lt.kind == "string" else (lt.item or T.ANY)
                if rt.item is not None and not want.accepts(rt.item):
                    self.error(node.right.pos, f"a {lt} never contains a {rt.item}: '{op}' "
                               f"needs a list of {want}")
            return T.BOOL
        if op in ("starts with", "ends with", "matches"):
            for side, t in ((node.left, lt), (node.right, rt)):
                if not T.STRING.accepts(t):
                    self.error(side.pos, f"'{op}' works on text, not {t}")
            if op == "matches":
                self._check_regex(node.right)
            return T.BOOL
        raise AssertionError(op)  # pragma: no cover

    def visit_Quantifier(self, node: n.Quantifier) -> ExprType:
        st = self.visit(node.source)
        if st.kind not in ("list", "any"):
            self.error(node.source.pos, f"'{node.kind} {node.var} in ...' needs a list, not {st}",
                       "e.g. any item in items: item.cold_chain")
        item = st.item if st.kind == "list" and st.item else T.ANY
        saved = self.locals.get(node.var)
        self.locals[node.var] = item
        try:
            if node.where is not None:
                wt = self.visit(node.where)
                if not T.BOOL.accepts(wt):
                    self.error(node.where.pos, f"'where' needs a true/false test, but this is "
                               f"{wt}", _bool_hint(node.where, wt))
            bt = self.visit(node.body)
        finally:
            if saved is None:
                self.locals.pop(node.var)
            else:
                self.locals[node.var] = saved
        if node.kind == "sum":
            if bt.kind not in ("number", "duration", "any"):
                self.error(node.body.pos, f"'sum' adds numbers, but this is {bt}")
            return bt if bt.kind != "any" else T.NUMBER
        if not T.BOOL.accepts(bt):
            self.error(node.body.pos, f"'{node.kind}' needs a true/false test after ':', "
                       f"but this is {bt}", "put the quantifier in parentheses when it is "
                       "compared: (count item in items: item.cold_chain) >= 2")
        return T.NUMBER if node.kind == "count" else T.BOOL

    # ---- helpers
    def _coerce_dates(self, node: n.Compare, lt: ExprType, rt: ExprType) -> tuple[ExprType,
                                                                                ExprType]:
        """``created_at >= 2024-11-11`` means the start of that day in the shop's timezone."""
        for side, mine, other in ((node.left, lt, rt), (node.right, rt, lt)):
            if mine.kind == "date" and other.kind == "datetime" and isinstance(side, n.Literal):
                side.kind = "datetime"
                side.value = datetime.combine(side.value, time(), self.tz)
                side.type = T.DATETIME
        return node.left.type or lt, node.right.type or rt

    def _check_choice(self, field_side: n.Expr, value_side: n.Expr) -> None:
        spec = _field_spec(field_side)
        if spec is None or not spec.choices:
            return
        if isinstance(value_side, n.Literal) and value_side.kind == "string":
            if value_side.value not in spec.choices:
                self.error(value_side.pos,
                           f"'{value_side.value}' is not a value of {spec.name}",
                           suggest(value_side.value, list(spec.choices))
                           or f"{spec.name} is one of: {', '.join(spec.choices)}")

    def _check_regex(self, node: n.Expr) -> None:
        ref = getattr(node, "ref", ("", None)) if isinstance(node, n.Name) else ("", None)
        target = ref[1] if ref[0] == "let" else node
        if not (isinstance(target, n.Literal) and target.kind == "string"):
            self.error(node.pos, "'matches' needs a quoted pattern (or a let constant)")
            return
        problem = pattern_error(target.value)
        if problem is not None:
            self.error(node.pos, *problem)


def _field_spec(node: n.Expr) -> FieldSpec | None:
    if isinstance(node, n.Member):
        return getattr(node, "spec", None)
    if isinstance(node, n.Name):
        ref = getattr(node, "ref", None)
        return ref[1] if ref and ref[0] == "field" else None
    return None


def _path_text(node: n.Expr) -> str:
    if isinstance(node, n.Name):
        return node.name
    if isinstance(node, n.Member):
        return f"{_path_text(node.obj)}.{node.name}"
    return "this value"


def _signature(fn: Any) -> str:
    params = ", ".join(p.name + ("" if p.required else "=...") for p in fn.params)
    return f"usage: {fn.name}({params}): {fn.doc}"


def _bool_hint(node: n.Expr, t: ExprType) -> str | None:
    if t.kind in ("string", "list"):
        return "compare it, e.g. `... == \"value\"`, `... contains \"附近\"` or `... is not null`"
    if t.kind in ("number", "duration", "datetime"):
        return "compare it, e.g. `... >= 3`"
    return None
