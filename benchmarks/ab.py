"""A/B of two source trees of grenzen: CPU ms per advice of new cases, each run in a process of its own, alternating.

    git archive OLD src | tar -x -C /tmp/old; git archive NEW src | tar -x -C /tmp/new
    python benchmarks/ab.py /tmp/old/src /tmp/new/src [--rules 3000] [--signals 30] [--pairs 6] [--cases 1000]

Each pair runs the old tree, then the new one, in fresh processes (the source tree first on ``PYTHONPATH``) on the same
generated policy (``scaling.py``) and cases; each process gives the median of five passes over the cases, with the
combiner's kept decisions forgotten before each pass. Prints each pair and the geometric mean of new/old.

Why processes: in one process, policies loaded one after another advise at speeds up to 30 % apart (how their memory
lies), and the first one loaded is usually the slowest, so an A/B of two trees in one process is biased by load order
(an A/A run gave 0.94x and 1.13x). Pairs still vary; read the ratio over several.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child(policy_dir: str, signals: int, count: int) -> None:
    """In the child: load the policy from the tree on ``PYTHONPATH`` and print the median CPU ms per advice."""
    sys.path.insert(1, str(HERE))  # after PYTHONPATH's tree: scaling.py itself imports grenzen
    import scaling

    import grenzen

    policy = grenzen.load_policy(policy_dir)
    cases = scaling.generated_cases(count, signals)
    for case in cases[:100]:  # warm-up: first use builds validators and caches
        policy.advise(case)
    passes = [scaling._cpu_per_advice_ms(policy, cases) for _ in range(5)]  # each forgets the kept decisions
    print(f"{statistics.median(passes):.4f} {grenzen.__file__}")


def _run(tree: str, policy_dir: str, signals: int, count: int) -> float:
    env = {**os.environ, "PYTHONPATH": tree}
    out = subprocess.run([sys.executable, __file__, "--child", policy_dir, str(signals), str(count)], env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    if not Path(out[1]).is_relative_to(Path(tree).resolve()):
        raise SystemExit(f"{tree}: the child imported grenzen from {out[1]}")
    return float(out[0])


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old", help="the old tree's src directory")
    parser.add_argument("new", help="the new tree's src directory")
    parser.add_argument("--rules", type=int, default=3000)
    parser.add_argument("--signals", type=int, default=30)
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    import scaling

    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        policy_dir = str(scaling.write_generated_policy(Path(tmp) / "beleid", args.rules))
        print(f"{args.rules} rules, {args.signals} signals, {args.cases} new cases; ms per advice (CPU)")
        for n in range(args.pairs):
            old = _run(args.old, policy_dir, args.signals, args.cases)
            new = _run(args.new, policy_dir, args.signals, args.cases)
            ratios.append(new / old)
            print(f"pair {n + 1}: old {old:.4f}  new {new:.4f}  new/old {new / old:.3f}", flush=True)
    mean = math.exp(statistics.fmean(map(math.log, ratios)))
    print(f"new/old: geometric mean {mean:.3f}, median {statistics.median(ratios):.3f} over {len(ratios)} pairs")
    return mean


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
