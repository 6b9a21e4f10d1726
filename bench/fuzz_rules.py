"""Fuzz the rule language and flows for longer than the test suite does; print the counts.

    python3 bench/fuzz_rules.py [--inputs 2000] [--seed 1] [--max-edits 4]

Each input is a shipped rule file (rules/*.rules) or flow (flows/*.yaml) with a few random
edits (see tests/rules_fuzz_support.py).  Prints how many inputs were tried, how many ended in
a clean positioned error, how many loaded and judged every sample order, and how many ended
otherwise (goal: 0), with the slowest input's time; the first few bad inputs are written to
--out for reproduction.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rules_fuzz_support import (  # noqa: E402
    FLOW_FILES,
    OPERATIONS,
    RULE_FILES,
    VOCABULARY,
    judge_flow,
    judge_rules,
    mutate,
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-edits", type=int, default=4)
    ap.add_argument("--out", type=Path, default=Path("fuzz-failures.jsonl"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    counts: Counter[str] = Counter()
    slowest = (0.0, "")
    bad = []
    started = time.perf_counter()
    targets = [("rules", n) for n in RULE_FILES] + [("flow", n) for n in FLOW_FILES]
    for _ in range(args.inputs):
        kind, name = rng.choice(targets)
        edits = [(rng.randrange(OPERATIONS), rng.randrange(10_000), rng.randrange(40),
                  rng.randrange(len(VOCABULARY))) for _ in range(rng.randint(1, args.max_edits))]
        t0 = time.perf_counter()
        if kind == "rules":
            text = mutate(RULE_FILES[name], edits)
            verdict = judge_rules({**RULE_FILES, name: text})
        else:
            text = mutate(FLOW_FILES[name], edits)
            verdict = judge_flow(name, text)
        took = time.perf_counter() - t0
        slowest = max(slowest, (took, f"{kind} {name} {edits}"))
        counts[verdict.kind] += 1
        if verdict.kind not in ("error", "ok") and len(bad) < 20:
            bad.append({"file": name, "edits": edits, "verdict": verdict.kind,
                        "detail": verdict.detail[-2000:], "text": text})
    elapsed = time.perf_counter() - started
    others = sum(v for k, v in counts.items() if k not in ("error", "ok"))
    print(f"inputs tried: {args.inputs} in {elapsed:.1f} s "
          f"({elapsed / max(args.inputs, 1) * 1000:.1f} ms each; slowest {slowest[0]:.2f} s)")
    print(f"clean positioned errors: {counts['error']}")
    print(f"loaded and judged every sample order: {counts['ok']}")
    print(f"tracebacks: {counts['traceback']}, unpositioned errors: {counts['unpositioned']}, "
          f"rule errors at run time: {counts['runtime']} (goal: 0 each)")
    if bad:
        with args.out.open("w", encoding="utf-8") as fh:
            for b in bad:
                fh.write(json.dumps(b, ensure_ascii=False) + "\n")
        print(f"first {len(bad)} bad inputs written to {args.out}")
    sys.exit(1 if others else 0)


if __name__ == "__main__":
    main()
