"""The typed syntax tree of the rule language.

The parser only builds these dataclasses; the checker annotates expression nodes with their type
(``node.type``) and the compiler turns them into Python source.  Every node carries a
:class:`Pos` so that any later stage can point at the text the author wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Pos:
    """1-based line/column of a node's first and last character, and its offsets in the text."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int


NOWHERE = Pos(1, 1, 1, 1, 0, 0)


@dataclass(eq=False)
class Expr:
    pos: Pos
    # Filled in by the checker: the expression's ExprType.
    type: Any = field(default=None, init=False, repr=False, compare=False)


@dataclass(eq=False)
class Literal(Expr):
    """A constant.  ``kind`` is one of number, money, string, duration, datetime, date, time,
    bool, null; ``value`` is the Python value (datetimes still naive: the checker applies the
    shop's timezone)."""

    kind: str
    value: Any
    text: str


@dataclass(eq=False)
class ListLit(Expr):
    items: list[Expr]


@dataclass(eq=False)
class ObjectLit(Expr):
    pairs: list[tuple[str, Expr]]


@dataclass(eq=False)
class Name(Expr):
    name: str


@dataclass(eq=False)
class Member(Expr):
    obj: Expr
    name: str
    name_pos: Pos


@dataclass(eq=False)
class Index(Expr):
    obj: Expr
    index: Expr


@dataclass(eq=False)
class Call(Expr):
    name: str
    args: list[Expr]
    kwargs: list[tuple[str, Expr]]


@dataclass(eq=False)
class Unary(Expr):
    op: str  # "not" | "-"
    operand: Expr


@dataclass(eq=False)
class BoolOp(Expr):
    op: str  # "and" | "or"
    left: Expr
    right: Expr


@dataclass(eq=False)
class Compare(Expr):
    """Every two-sided test: ==, !=, <, <=, >, >=, in, not in, contains, contains any,
    contains all, starts with, ends with, matches."""

    op: str
    left: Expr
    right: Expr


@dataclass(eq=False)
class IsNull(Expr):
    operand: Expr
    negated: bool


@dataclass(eq=False)
class Arith(Expr):
    op: str  # + - * / %
    left: Expr
    right: Expr


@dataclass(eq=False)
class Quantifier(Expr):
    kind: str  # any | all | count | sum
    var: str
    source: Expr
    body: Expr


# ---- rule files ----------------------------------------------------------------------------


@dataclass(eq=False)
class LetDef:
    name: str
    value: Expr
    pos: Pos


@dataclass(eq=False)
class Dedup:
    """``at most once [per PATH] per DURATION``."""

    key: list[str] | None
    window_text: str
    pos: Pos


@dataclass(eq=False)
class ActionNode:
    """One action of a rule's ``then`` block; ``params`` maps parameter name to an expression or
    a plain string (templates stay strings; the engine compiles them)."""

    kind: str
    params: dict[str, Any]
    dedup: Dedup | None
    pos: Pos


@dataclass(eq=False)
class ExampleNode:
    name: str | None
    fires: bool
    order: ObjectLit
    history: ListLit | None
    at: Literal | None
    pos: Pos


@dataclass(eq=False)
class RuleNode:
    id: str
    name: str | None
    pos: Pos
    priority: int = 0
    tags: list[str] = field(default_factory=list)
    enabled: bool = True
    enabled_until: Literal | None = None
    enabled_pos: Pos | None = None  # where the ``enabled`` clause is, for in-place edits
    active_from: Literal | None = None
    active_until: Literal | None = None
    mode: str = "live"
    description: str | None = None
    when: Expr | None = None
    actions: list[ActionNode] = field(default_factory=list)
    examples: list[ExampleNode] = field(default_factory=list)
    end_pos: Pos | None = None


@dataclass(eq=False)
class RuleFile:
    filename: str
    source: str
    lets: list[LetDef] = field(default_factory=list)
    rules: list[RuleNode] = field(default_factory=list)
    timezone: str | None = None
    timezone_pos: Pos | None = None


def children(node: Expr) -> list[Expr]:
    """The direct sub-expressions of ``node`` (for walks that do not care about the kind)."""
    if isinstance(node, ListLit):
        return list(node.items)
    if isinstance(node, ObjectLit):
        return [v for _, v in node.pairs]
    if isinstance(node, Member):
        return [node.obj]
    if isinstance(node, Index):
        return [node.obj, node.index]
    if isinstance(node, Call):
        return list(node.args) + [v for _, v in node.kwargs]
    if isinstance(node, Unary):
        return [node.operand]
    if isinstance(node, BoolOp | Compare | Arith):
        return [node.left, node.right]
    if isinstance(node, IsNull):
        return [node.operand]
    if isinstance(node, Quantifier):
        return [node.source, node.body]
    return []


def canonical(node: Expr) -> str:
    """A position-free rendering, used to spot rules with identical conditions."""
    if isinstance(node, Literal):
        return f"{node.kind}:{node.value!r}"
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Member):
        return f"{canonical(node.obj)}.{node.name}"
    head = type(node).__name__ + ":" + str(
        getattr(node, "op", "") or getattr(node, "kind", "") or getattr(node, "name", "")
    )
    return head + "(" + ",".join(canonical(c) for c in children(node)) + ")"
