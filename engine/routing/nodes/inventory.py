"""``inventory``: the first candidate warehouse that has every line of the order in stock.

Candidates are a list of warehouse codes, or an expression giving them (e.g. a decision
table's ``warehouses`` output); by default, the warehouses that serve the order's region.
``then_nearest`` adds every other warehouse, nearest to the destination first.  Sets the
variable ``warehouse``; goes to ``out_of_stock`` when no candidate can ship the whole order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ....dsl import ExprType
from ..compiler import NodeCompiler
from ..model import LinearNode, Loc
from ..runtime import RunState, Step
from ..trace import Why
from . import register

if TYPE_CHECKING:
    from ..state import StockLevels
    from ..warehouses import Destination


#: The first-candidate shortcut of :class:`InventoryNode` (tests turn it off to check that it
#: decides, reserves and explains exactly what the full walk over the candidates does).
FAST_PATH = True


def shortage_text(shortages: list[tuple[str, int, int]]) -> str:
    """``TOWEL need 4, none available; PILLOW need 2, 1 available``: said in words, never as
    a negative count (stock reserved past what is on hand has nothing available, not -23)."""
    return "; ".join(f"{sku} need {need}, {_available(have)}"
                     for sku, need, have in shortages[:3]) + \
        (f" (+{len(shortages) - 3} more)" if len(shortages) > 3 else "")


def _available(n: int) -> str:
    return "none available" if n <= 0 else f"{n} available"


@register
class InventoryNode(LinearNode):
    """Whole-order stock check over candidate warehouses, in order (fallbacks after)."""

    type: Literal["inventory"]
    candidates: list[str] | str | None = Field(
        None, description="warehouse codes, or an expression giving them; "
                          "default: the warehouses serving the order's region")
    then_nearest: bool = Field(False, description="then try every other warehouse, nearest first")
    require: list[str] = Field(default_factory=list, description="capabilities, e.g. cold_chain")
    out_of_stock: str | None = Field(None, description="node for orders no candidate can ship")

    def edges(self) -> Iterable[tuple[Loc, str]]:
        out = list(super().edges())
        if self.out_of_stock:
            out.append((("out_of_stock",), self.out_of_stock))
        return out

    def compile(self, c: NodeCompiler) -> Step:
        node, nxt, oos, nearest = c.node, self.next, self.out_of_stock, self.then_nearest
        network = c.network
        fixed: list[str] | None = None
        expr = None
        if isinstance(self.candidates, list):
            fixed = [code for i, w in enumerate(self.candidates)
                     if (code := c.warehouse(("candidates", i), w))]
        elif isinstance(self.candidates, str):
            expr = c.expr(("candidates",), self.candidates, expect=None)
            if expr is not None and expr.type not in (ExprType.STRING,
                                                      ExprType.list_of(ExprType.STRING)):
                c.error(("candidates",), f"candidates must be text or a list of text, "
                        f"not {expr.type}")
        require = frozenset(self.require)
        caps = {code: w.capabilities for code, w in network.warehouses.items()}
        # Texts that depend only on the warehouse are made once, not per order.
        in_stock = {code: (code, True, "has every line in stock") for code in caps}
        found_why = {code: f"{code} has stock → {nxt}" for code in caps}
        plans: dict[tuple[Any, ...], list[str]] = {}

        def candidates(rs: RunState) -> tuple[list[str], int]:
            """The plan, and how many of it were asked for (the rest: nearest fallbacks)."""
            if fixed is not None:
                found: Any = fixed
            elif expr is not None:
                found = expr.evaluate(rs.order, rs.ctx)
                found = [found] if isinstance(found, str) else list(found or ())
            else:
                found = network.primary_for(rs.vars.get("region"))
            asked = len(found)
            if nearest:
                found = _then_nearest(found, rs.destination, plans)
            return found, asked

        # Warehouses that exist and have what ``require`` asks: the first candidate is one of
        # them and has every line (most orders) -> chosen without the walk over the plan.
        ready = frozenset(code for code, have in caps.items() if require <= have)
        fast = FAST_PATH

        def check(rs: RunState) -> str | None:
            v = rs.vars
            if expr is not None and nearest:  # what candidates() does, without copying
                found = expr.evaluate(rs.order, rs.ctx)
                found = [found] if isinstance(found, str) else found or ()
                asked = len(found)
                names = _then_nearest(found, rs.destination, plans)
            else:
                names, asked = candidates(rs)
            v["candidates"] = names
            needs = rs.needs
            stock = rs.routing.stock
            if asked and fast:
                code = names[0]
                if code in ready and stock.covers(code, needs):
                    v["warehouse"] = rs.covered = code
                    if rs.tracing:
                        rs.step(node, "inventory", found_why[code], None, [in_stock[code]])
                    return nxt
            return walk(rs, names, asked, needs, stock)

        def walk(rs: RunState, names: list[str], asked: int, needs: dict[str, int],
                 stock: StockLevels) -> str | None:
            """Every candidate in turn, with why each is taken or not (the reasons and the
            trace say so when the first one is not it)."""
            considered: list[tuple[str, bool, Why]] = []
            for i, code in enumerate(names):
                if code not in caps:
                    considered.append((code, False, "no such warehouse in the config"))
                    continue
                if i >= asked and not network.warehouses[code].accepts(rs.wants):
                    considered.append((code, False, "takes only "
                                       + ", ".join(sorted(caps[code])) + " orders"))
                    continue
                if require and not require <= caps[code]:
                    missing = ", ".join(sorted(require - caps[code]))
                    considered.append((code, False, f"lacks {missing}"))
                    continue
                short = stock.shortages(code, needs)  # one pass: none short is covered
                if short:
                    considered.append((code, False, "out of stock: " + shortage_text(short)))
                    continue
                considered.append(in_stock[code])
                rs.vars["warehouse"] = rs.covered = code
                if len(considered) > 1:
                    rs.reason(f"{network.warehouses[code].name} ({code}) ships it: "
                              + "; ".join(f"{w} {why}" for w, _, why in considered[:-1]))
                rs.step(node, "inventory", found_why[code], None, considered)
                return nxt
            rs.result.stockout = True
            rs.reason("no candidate warehouse has every line in stock: "
                      + "; ".join(f"{w} {why}" for w, _, why in considered))
            rs.step(node, "inventory", f"no candidate has stock → {oos}", None, considered)
            return oos

        return check


def _then_nearest(found: Sequence[str], dest: Destination,
                  plans: dict[tuple[Any, ...], list[str]]) -> list[str]:
    """``found`` then every other warehouse nearest first: one list per (candidates, place),
    shared by every order with both (nobody changes it)."""
    key = (*found, dest.coords)
    plan = plans.get(key)
    if plan is None:
        plan = list(found) + [w for w, _ in dest.nearest if w not in found]
        if len(plans) < 100_000:
            plans[key] = plan
    return plan
