"""orderhub as an engine of the peer rule-engine benchmark (../shared/bench/peers/rules_bench.py).

    <venv>/bin/python ../shared/bench/peers/rules_bench.py --n 100000 \\
        --engine bench/peer_adapter.py:OrderhubEngine

The benchmark's four rules are written in the orderhub rule language and compiled against a
plain-dict schema describing the benchmark's orders, so no conversion into the Order model is
needed: the generated code reads ``o["created_at"]`` directly and parses the ISO timestamps only
for orders that have a refund.  All four rules run in one generated function per order.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT.parent / "shared" / "bench" / "peers"


def _peer_bench() -> tuple[object, type]:
    """The benchmark's ``RULES`` and ``Engine``: importable when rules_bench.py loads this
    file, else found in ../shared beside the checkout.  A clone without it gets a sentence
    saying so, not an ImportError traceback."""
    if (PEERS / "rules_bench.py").is_file() and str(PEERS) not in sys.path:
        sys.path.append(str(PEERS))
    try:
        from rules_bench import RULES, Engine  # type: ignore[import-not-found]
    except ImportError:
        raise SystemExit(
            "bench/peer_adapter.py plugs orderhub into the peer rule-engine benchmark, "
            f"rules_bench.py, expected in {PEERS} (../shared/bench/peers beside this checkout); "
            "this clone has no ../shared. Run it from the project's working copy:\n"
            "    python ../shared/bench/peers/rules_bench.py --n 100000 "
            "--engine bench/peer_adapter.py:OrderhubEngine") from None
    return RULES, Engine


RULES, Engine = _peer_bench()

RULES_TEXT = """
# The peer benchmark's rules, in orderhub's rule language.
rule high_risk_refund "高风险退单"
  when refund_requested_at - created_at <= 10m
end
rule vague_address "地址异常"
  when receiver_address contains any ["附近", "旁边"]
end
rule purchase_limit "限购违规"
  when phone_orders_today >= 3
end
rule big_cold_order "冷链大单"
  when total_amount > 2000 and any item in items: item.cold_chain
end
"""

# The benchmark's plain-dict orders: every key is present; refund_requested_at may be null.
SCHEMA = {
    "order_id": "string",
    "platform": "string",
    "status": "string",
    "created_at": ("datetime", "iso"),
    "paid_at": ("datetime", "iso", "nullable"),
    "refund_requested_at": ("datetime", "iso", "nullable"),
    "receiver_phone": "string",
    "receiver_province": "string",
    "receiver_address": "string",
    "total_amount": "number",
    "phone_orders_today": "number",
    "items": [{"sku": "string", "qty": "number", "price": "number", "cold_chain": "bool"}],
}


def _import_orderhub() -> None:
    """Make ``import orderhub`` work from a source checkout (the repository root is the
    package), without installing it into the benchmark's environment."""
    if "orderhub" in sys.modules:
        return
    try:
        import orderhub  # noqa: F401

        return
    except ImportError:
        pass
    spec = importlib.util.spec_from_file_location(
        "orderhub", ROOT / "__init__.py", submodule_search_locations=[str(ROOT)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["orderhub"] = module
    spec.loader.exec_module(module)


class OrderhubEngine(Engine):  # type: ignore[misc,valid-type]
    name = "orderhub (compiled rule language)"
    fmt = "orderhub .rules text, compiled to one Python function"
    helpers = "none"
    dist = None

    def version(self) -> str:
        return "0.1.0"

    def setup(self) -> None:
        _import_orderhub()
        from orderhub.dsl import dict_record
        from orderhub.dsl.parser import _lark
        from orderhub.engine.ruleset import load_rules_text

        self._load = load_rules_text
        self._schema = dict_record("BenchOrder", SCHEMA)
        _lark()  # build the LALR tables once per process, like an import (~0.15 s)

    def compile(self) -> None:
        ruleset = self._load(RULES_TEXT, "bench.rules", schema=self._schema)
        assert {r.id for r in ruleset} == set(RULES)
        ctx = ruleset.context()
        self.match = ruleset.matcher(ctx.now)
        self.ctx = ctx

    def run(self, orders: list[dict]) -> list[tuple[str, str]]:
        hits: list[tuple[str, str]] = []
        add = hits.append
        match = self.match
        ctx = self.ctx
        for o in orders:
            for rule in match(o, ctx):
                add((o["order_id"], rule))
        return hits


if __name__ == "__main__":
    print(__doc__)
