"""The language's function table: every function rules may call, by name, with its signature.

The checker types calls against it and the compiler calls ``impl``.  The language owns the table;
function packages (:mod:`orderhub.dsl.library`) register into it with :func:`builtin`.  They
are loaded by name on first use, so the language core never imports the plugin layer above it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .types import ExprType

#: Packages whose import registers the built-in functions (loaded on first use).
FUNCTION_PACKAGES = ("orderhub.dsl.library",)


@dataclass(frozen=True)
class Param:
    name: str
    type: ExprType
    default: Any = ...  # ... = required
    kinds: frozenset[str] | None = None  # with type any: the kinds of value accepted

    @property
    def required(self) -> bool:
        return self.default is ...


@dataclass(frozen=True)
class Builtin:
    """A callable the language knows: its parameters, result type and implementation.

    ``history``: the function reads order history; ``plan(ctx, order, *args)`` names the one
    query (since, until) it needs, so a batch can fetch all phones of all orders in one call
    per window.
    """

    name: str
    params: tuple[Param, ...]
    returns: ExprType
    impl: Callable[..., Any]
    doc: str
    needs_ctx: bool = False
    needs_order: bool = False
    history: bool = False
    plan: Callable[..., tuple[datetime, datetime | None]] | None = field(default=None)
    returns_like_arg: bool = False  # result type = first argument's type (coalesce)
    fetch: str = "times"  # what a batch fetches for a history function: "times" | "orders"


REGISTRY: dict[str, Builtin] = {}


def builtin(
    name: str,
    params: list[Param],
    returns: ExprType,
    doc: str,
    **kw: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY[name] = Builtin(name, tuple(params), returns, fn, doc, **kw)
        return fn

    return register


def functions() -> dict[str, Builtin]:
    """The function table, after loading the packages that fill it."""
    for name in FUNCTION_PACKAGES:
        importlib.import_module(name)
    return REGISTRY
