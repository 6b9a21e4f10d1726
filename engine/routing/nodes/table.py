"""``decision_table``: rows of input conditions and outputs, with a hit policy.

Inputs are named expressions; each row says, per input, which values match (a value, a list of
values, a number range such as ``">= 100"`` or ``"[100..500)"``, or ``"-"`` for any), and which
outputs it sets.  Hit policies: ``first`` (the first matching row), ``unique`` (at most one row
may match: overlaps are load errors), ``collect`` (every matching row; outputs become lists).

At load time the table is checked over its input domains: overlapping rows (``unique``), rows
that an earlier row hides completely (``first``), and combinations no row covers (gaps, unless
there is a ``default``).  A text input's domain is its declared ``values``, the region names for
the ``region`` variable, else the values the rows mention plus "anything else".
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ....dsl import ExprType
from ....dsl.domain import lower_bound
from ..compiler import NodeCompiler
from ..model import LinearNode, Loc
from ..runtime import RunState, Step
from . import register

Cell = str | int | float | bool | list[str | int | float | bool] | None
_ANY = ("-", "any", "*", "")
_RANGE = re.compile(r"^\s*([\[\(])\s*(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s*([\]\)])\s*$")
_COMPARE = re.compile(r"^\s*(>=|<=|>|<|==|!=)\s*(-?[\d.]+)\s*$")
_OTHER = object()  # "any other value" of an open text domain
_MAX_COMBINATIONS = 200_000


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expr: str = Field(description="expression giving the input's value")
    values: list[str | int | float | bool] | None = Field(
        None, description="every value the input can take (for the gap check)")
    min: float | None = Field(
        None, description="the least value a number input takes (for the gap and overlap "
                          "checks; default: what the expression tells, e.g. 0 for amounts, "
                          "weights and quantities)")


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: dict[str, Cell] = Field(default_factory=dict,
                                  description="input name -> value, list, range or '-'")
    then: dict[str, Any] = Field(description="output name -> value")
    reason: str | None = None


@register
class DecisionTableNode(LinearNode):
    """Rows of conditions and outputs; outputs become flow variables."""

    type: Literal["decision_table"]
    hit: Literal["first", "unique", "collect"] = "first"
    inputs: dict[str, str | Input] = Field(min_length=1)
    rows: list[Row] = Field(min_length=1)
    default: dict[str, Any] | None = Field(None, description="outputs when no row matches")

    def declares(self) -> dict[str, ExprType]:
        out: dict[str, ExprType] = {}
        for values in [r.then for r in self.rows] + ([self.default] if self.default else []):
            for name, value in values.items():
                t = _type_of(value)
                if self.hit == "collect" and t.kind != "list":
                    t = ExprType.list_of(t)
                out.setdefault(name, t)
        return out

    def compile(self, c: NodeCompiler) -> Step:
        before = len(c.env.errors)
        inputs: list[_Input] = []
        for name, raw in self.inputs.items():
            spec = raw if isinstance(raw, Input) else Input(expr=raw)
            sub: Loc = ("inputs", name) if isinstance(raw, str) else ("inputs", name, "expr")
            expr = c.expr(sub, spec.expr, expect=None)
            if expr is None:
                continue
            domain = spec.values
            if domain is None and spec.expr.strip() == "region":
                domain = list(c.network.geo.regions)
            if domain is None and expr.type == ExprType.BOOL:
                domain = [True, False]
            least = Decimal(str(spec.min)) if spec.min is not None else \
                lower_bound(expr.node, c.env.lists)
            inputs.append(_Input(name, expr.evaluate, expr.type, domain, least))
        names = [i.name for i in inputs]
        rows: list[list[Callable[[Any], bool] | None]] = []
        for r, row in enumerate(self.rows):
            for key in row.when:
                if key not in self.inputs:
                    from ....dsl.yamlfile import suggest

                    c.error(("rows", r, "when", key), f"row {r + 1}: unknown input {key!r}",
                            suggest(key, list(self.inputs)))
            rows.append([_predicate(c, ("rows", r, "when", i.name), row.when.get(i.name),
                                    i.type) for i in inputs])
        self._check_outputs(c)
        if len(inputs) == len(self.inputs) and len(c.env.errors) == before:
            _check_domain(c, self, inputs, rows)
        return _runner(c.node, self, inputs, rows, names)

    def _check_outputs(self, c: NodeCompiler) -> None:
        """Outputs named like ``warehouse``/``warehouses`` must hold known warehouse codes."""
        sets: list[tuple[Loc, Any]] = [(("rows", i, "then"), r.then)
                                       for i, r in enumerate(self.rows)]
        if self.default:
            sets.append((("default",), self.default))
        for loc, values in sets:
            for name, value in values.items():
                if "warehouse" in name:
                    for v in value if isinstance(value, list) else [value]:
                        c.warehouse((*loc, name), v)


def _type_of(value: Any) -> ExprType:
    if isinstance(value, bool):
        return ExprType.BOOL
    if isinstance(value, int | float):
        return ExprType.NUMBER
    if isinstance(value, list):
        return ExprType.list_of(_type_of(value[0]) if value else ExprType.STRING)
    return ExprType.STRING


def _predicate(c: NodeCompiler, loc: Loc, cell: Cell, t: ExprType) -> Callable[[Any], bool] | None:
    """A test for one cell (None = matches anything)."""
    if cell is None or (isinstance(cell, str) and cell.strip().lower() in _ANY):
        return None
    if isinstance(cell, list):
        tests = [_predicate(c, loc, v, t) for v in cell]
        if any(x is None for x in tests):
            return None
        values = frozenset(v for v in cell if not isinstance(v, str) or t != ExprType.NUMBER)
        if t != ExprType.NUMBER:
            return values.__contains__
        return lambda v: any(test(v) for test in tests)  # type: ignore[misc]
    if t == ExprType.NUMBER and isinstance(cell, str):
        m = _RANGE.match(cell)
        if m:
            lo, hi = float(m[2]), float(m[3])
            lo_in, hi_in = m[1] == "[", m[4] == "]"
            return lambda v: v is not None and (lo < v or (lo_in and v == lo)) and \
                (v < hi or (hi_in and v == hi))
        m = _COMPARE.match(cell)
        if m:
            op, x = m[1], float(m[2])
            ops = {">=": lambda v: v >= x, "<=": lambda v: v <= x, ">": lambda v: v > x,
                   "<": lambda v: v < x, "==": lambda v: v == x, "!=": lambda v: v != x}
            fn = ops[op]
            return lambda v: v is not None and fn(v)
        c.error(loc, f"{cell!r} is not a number, a comparison (>= 100) or a range ([100..500))")
        return None
    if t == ExprType.NUMBER and not isinstance(cell, int | float):
        c.error(loc, f"{cell!r}: this input is a number")
        return None
    if t == ExprType.STRING and not isinstance(cell, str):
        c.error(loc, f"{cell!r}: this input is text; quote the value")
        return None
    if t == ExprType.BOOL and not isinstance(cell, bool):
        c.error(loc, f"{cell!r}: this input is true/false")
        return None
    return lambda v: v == cell


#: A table's outcome: outputs (or None), why, the inputs seen, the matched rows' reasons.
_Outcome = tuple[dict[str, Any] | None, str, dict[str, Any], tuple[str, ...]]


def _runner(node: str, spec: DecisionTableNode, inputs: list[_Input],
            rows: list[list[Callable[[Any], bool] | None]], names: list[str]) -> Step:
    thens = [_plain(r.then) for r in spec.rows]
    reasons = [r.reason for r in spec.rows]
    default, hit, nxt = _plain(spec.default), spec.hit, spec.next
    getters = [i.evaluate for i in inputs]
    collect_keys = sorted({k for t in thens for k in t})

    def evaluate(values: list[Any]) -> _Outcome:
        matched = []
        for r, tests in enumerate(rows):
            for test, v in zip(tests, values, strict=True):
                if test is not None and not test(v):
                    break
            else:
                matched.append(r)
                if hit == "first":
                    break
        seen = dict(zip(names, values, strict=True))
        if not matched:
            if default is not None:
                return default, f"no row matches → default {default}", seen, ()
            return None, "no row matches and no default", seen, ()
        if hit == "collect":
            out: dict[str, list[Any]] = {k: [] for k in collect_keys}
            for r in matched:
                for k, v in thens[r].items():
                    out[k].extend(v if isinstance(v, list) else [v])
            why = f"rows {', '.join(str(r + 1) for r in matched)} match → {out}"
        else:
            out = thens[matched[0]]
            why = f"row {matched[0] + 1} matches → {out}"
        return out, why, seen, tuple(filter(None, (reasons[r] for r in matched)))

    # The outcome depends only on the inputs' values, and a table sees few distinct ones (the
    # regions, a few flags): it is worked out once per distinct combination.  The outcome's
    # dicts are shared by the orders that had it; nobody changes them.
    memo: dict[tuple[Any, ...], _Outcome] = {}

    single = getters[0] if len(getters) == 1 else None

    def decide(rs: RunState) -> str | None:
        order, ctx = rs.order, rs.ctx
        # one input (most tables: a region, a province): no list of one to build per order
        values = [single(order, ctx)] if single is not None else [g(order, ctx) for g in getters]
        try:
            # types too: 1, 1.0 and True are one dict key but show differently in the trace
            key = (*values, *map(type, values))
            outcome = memo.get(key)
        except TypeError:  # an unhashable value (a list): not remembered
            key, outcome = None, None
        if outcome is None:
            outcome = evaluate(values)
            if key is not None and len(memo) < 10_000:
                memo[key] = outcome
        out, why, seen, why_reasons = outcome
        if out is not None:
            rs.vars.update(out)
        if rs.tracing:
            rs.step(node, "decision_table", why, seen)
        for reason in why_reasons:
            rs.reason(reason)
        return nxt

    return decide


def _plain(value: Any) -> Any:
    """Plain dicts and lists (not ruamel's commented ones, which are slow to iterate)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class _Input:
    """A compiled input: its name, getter, type, declared domain and least value."""

    name: str
    evaluate: Callable[..., Any]
    type: ExprType
    domain: list[Any] | None
    least: Decimal | None


@dataclass(frozen=True)
class _Piece:
    """A class of numbers the cells cannot tell apart: a point (lo == hi, both in) or an open
    stretch between two bounds (None: unbounded); ``probe`` is a number inside it."""

    probe: float
    lo: float | None
    hi: float | None
    lo_in: bool = False
    hi_in: bool = False

    def joined(self, other: _Piece) -> _Piece:
        return _Piece(self.probe, self.lo, other.hi, self.lo_in, other.hi_in)

    def text(self, name: str) -> str:
        """``weight=5``, ``weight < 1``, ``weight >= 20``, ``weight in [0..1)``."""
        if self.lo is not None and self.lo == self.hi:
            return f"{name}={_num(self.lo)}"
        if self.lo is None and self.hi is None:
            return f"any {name}"
        if self.lo is None:
            return f"{name} {'<=' if self.hi_in else '<'} {_num(self.hi)}"
        if self.hi is None:
            return f"{name} {'>=' if self.lo_in else '>'} {_num(self.lo)}"
        return (f"{name} in {'[' if self.lo_in else '('}{_num(self.lo)}.."
                f"{_num(self.hi)}{']' if self.hi_in else ')'}")


def _num(x: float | None) -> str:
    return f"{x:g}" if x is not None else ""


def _atoms(domain: list[Any] | None, cells: Iterable[Any], t: ExprType,
           least: Decimal | None = None) -> list[Any]:
    """Representative values of an input: one per class of values the cells can tell apart
    (numbers: :class:`_Piece` objects, never below the input's least value)."""
    if domain is not None:
        return list(domain)
    mentioned: list[Any] = []
    for cell in cells:
        for v in cell if isinstance(cell, list) else [cell]:
            if v is not None and not (isinstance(v, str) and v.strip().lower() in _ANY):
                mentioned.append(v)
    if t != ExprType.NUMBER:
        return list(dict.fromkeys(mentioned)) + [_OTHER]
    bounds: set[float] = set()
    for v in mentioned:
        if isinstance(v, int | float):
            bounds.add(float(v))
        elif (m := _RANGE.match(v)):
            bounds.update((float(m[2]), float(m[3])))
        elif (m := _COMPARE.match(v)):
            bounds.add(float(m[2]))
    floor = float(least) if least is not None else None
    if floor is not None:
        bounds = {b for b in bounds if b >= floor} | {floor}
    points = sorted(bounds)
    if not points:
        return [_Piece(0.0, None, None)]
    atoms: list[_Piece] = []
    if floor is None:
        atoms.append(_Piece(points[0] - 1, None, points[0]))
    for a, b in itertools.pairwise(points):
        atoms.extend([_Piece(a, a, a, True, True), _Piece((a + b) / 2, a, b)])
    atoms.extend([_Piece(points[-1], points[-1], points[-1], True, True),
                  _Piece(points[-1] + 1, points[-1], None)])
    return atoms


def _probe(atom: Any) -> Any:
    return atom.probe if isinstance(atom, _Piece) else atom


def _label(name: str, v: Any) -> str:
    if isinstance(v, _Piece):
        return v.text(name)
    return f"{name}=anything else" if v is _OTHER else f"{name}={v!r}"


def _first_run(atoms: list[Any], indices: set[int]) -> Any:
    """The first of ``indices``' atoms; number pieces joined with their neighbours in it."""
    first = min(indices)
    atom = atoms[first]
    k = first + 1
    while isinstance(atom, _Piece) and k in indices:
        atom = atom.joined(atoms[k])
        k += 1
    return atom


def _check_domain(c: NodeCompiler, spec: DecisionTableNode, inputs: list[_Input],
                  rows: list[list[Callable[[Any], bool] | None]]) -> None:
    """Every overlap (unique), hidden row (first) and gap (no default), over input atoms, in
    one run: fixing one never reveals the next."""
    atoms = [_atoms(i.domain, [r.when.get(i.name) for r in spec.rows], i.type, i.least)
             for i in inputs]
    names = [i.name for i in inputs]

    def matches(r: int) -> list[set[int]]:
        out = []
        for col, test in enumerate(rows[r]):
            out.append({i for i, a in enumerate(atoms[col])
                        if test is None or (a is not _OTHER and test(_probe(a)))})
        return out

    sets = [matches(r) for r in range(len(rows))]
    for j in range(len(rows)):
        for i in range(j):
            common = [a & b for a, b in zip(sets[i], sets[j], strict=True)]
            if spec.hit == "unique" and all(common):
                example = ", ".join(_label(n, _first_run(atoms[k], s))
                                    for k, (n, s) in enumerate(zip(names, common, strict=True)))
                c.error(("rows", j), f"rows {i + 1} and {j + 1} overlap (hit policy unique), "
                        f"e.g. {example}", "make the rows exclusive or use hit: first")
            if spec.hit == "first" and all(b <= a for a, b in zip(sets[i], sets[j], strict=True)):
                c.error(("rows", j), f"row {j + 1} is never used: row {i + 1} above matches "
                        "everything it does", "move it up or remove it")
                break
    if spec.default is not None:
        return
    gaps = _gaps(atoms, names, sets)
    if gaps:
        shown = gaps[:_MAX_GAPS] + ([f"... and {len(gaps) - _MAX_GAPS} more"]
                                    if len(gaps) > _MAX_GAPS else [])
        c.error(("rows",), f"no row matches {len(gaps)} case(s): {'; '.join(shown)}",
                "add rows for these values, a row with '-' (any), or a `default:`")


_MAX_GAPS = 100


def _gaps(atoms: list[list[Any]], names: list[str], sets: list[list[set[int]]]) -> list[str]:
    """Every combination no row covers; neighbouring number pieces of the last number input
    are joined (``weight in [0..1)``, not three separate probes), and an input whose every
    value leaves the same gap is left out (``weight < 0`` rather than once per region)."""
    total = 1
    for a in atoms:
        total *= len(a)
    if total > _MAX_COMBINATIONS:
        return []
    numeric = [k for k, a in enumerate(atoms) if a and isinstance(a[0], _Piece)]
    last = numeric[-1] if numeric else None
    others = [range(len(a)) if k != last else range(1) for k, a in enumerate(atoms)]
    found: list[tuple[str | None, ...]] = []
    for combo in itertools.product(*others):
        run: list[Any] | None = None
        for idx in range(len(atoms[last])) if last is not None else [0]:
            point = list(combo)
            if last is not None:
                point[last] = idx
            if any(all(k in s for k, s in zip(point, row, strict=True)) for row in sets):
                if run is not None:
                    found.append(_gap_labels(names, run))
                run = None
                continue
            labels = [atoms[k][i] for k, i in enumerate(point)]
            if run is None or last is None:
                run = labels
            else:
                run[last] = run[last].joined(labels[last])
            if last is None:
                found.append(_gap_labels(names, run))
                run = None
        if run is not None:
            found.append(_gap_labels(names, run))
    for k in range(len(atoms)):
        if k != last:
            found = _any_of(found, k, len(atoms[k]))
    return [", ".join(x for x in gap if x is not None) or "any input" for gap in found]


def _gap_labels(names: list[str], atoms: list[Any]) -> tuple[str | None, ...]:
    return tuple(_label(n, a) for n, a in zip(names, atoms, strict=True))


def _any_of(gaps: list[tuple[str | None, ...]], k: int, size: int
            ) -> list[tuple[str | None, ...]]:
    """Gaps that differ only in input ``k`` and hold for each of its ``size`` values: one gap
    with ``k`` left out."""
    groups: dict[tuple[str | None, ...], list[tuple[str | None, ...]]] = {}
    for gap in gaps:
        groups.setdefault(gap[:k] + (None,) + gap[k + 1:], []).append(gap)
    out: list[tuple[str | None, ...]] = []
    for key, members in groups.items():
        out.extend([key] if len({m[k] for m in members}) == size else members)
    return out
