"""Memory over many advices: one loaded policy advises N cases in one process; RSS is printed as it goes.

    python benchmarks/memory.py --advices 1000000 [--distinct 200000] [--regels DIR]

The cases are realistic (``bench.realistic_cases``), ``--distinct`` of them, cycled, so the policy's bounded memories
(decisions, signal texts) fill and then must stay bounded. Nothing per advice is kept: the only growth is grenzen's.
The baseline is taken after one pass over the distinct cases (the memories full); the growth over the remaining
advices is the number that matters for a long-running service ("memory flat over 1M advices", issue 12).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import realistic_cases, rss_mb  # noqa: E402

import grenzen  # noqa: E402


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--advices", type=int, default=1_000_000, help="advices in all (default 1,000,000)")
    parser.add_argument("--distinct", type=int, default=200_000, help="distinct cases, cycled (default 200,000)")
    parser.add_argument("--regels", type=Path, default=None, help="rules directory (default: bundled policy)")
    args = parser.parse_args(argv)

    policy = grenzen.load_policy(args.regels)
    cases = realistic_cases(policy, args.distinct)
    print(f"policy {policy.name!r}: {len(policy.rules)} rules; {len(cases)} distinct cases; RSS {rss_mb():.1f} MB "
          "after load and cases", flush=True)
    advise = policy.advise
    for case in cases:  # the first pass fills the bounded memories
        advise(case)
    gc.collect()
    baseline = rss_mb()
    print(f"  {len(cases):8d} advices: RSS {baseline:8.1f} MB (baseline)", flush=True)
    done, step, started = len(cases), max(1, args.advices // 10), time.perf_counter()
    while done < args.advices:
        for case in cases[:min(step, args.advices - done)]:
            advise(case)
        done += min(step, args.advices - done)
        cases = cases[step % len(cases):] + cases[:step % len(cases)]  # the next slice starts where this one ended
        print(f"  {done:8d} advices: RSS {rss_mb():8.1f} MB", flush=True)
    gc.collect()
    growth = rss_mb() - baseline
    print(f"growth after the baseline: {growth:+.1f} MB over {done - len(cases)} advices "
          f"({time.perf_counter() - started:.0f} s)")
    return growth


if __name__ == "__main__":
    main(sys.argv[1:])
