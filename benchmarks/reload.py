"""Memory of reloading: load the default policy and drop it N times in one process.

    python benchmarks/reload.py --times 1000

Each round loads ``grenzen.load_policy()`` (which also runs the load-time safety check through the
engine), advises a few realistic cases, and drops the policy. RSS is read from /proc/self/statm at
start, after a short warm-up (imports, caches and allocator pools settle) and at the end; the growth
over the N measured rounds is the number that matters for a long-running service that reloads its
policy. See docs/ontwerp.md, "The engine's memory".
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import realistic_cases  # noqa: E402

import grenzen  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """Resident set size from /proc/self/statm (second field, in pages)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


def one_round(cases: list[dict]) -> None:
    policy = grenzen.load_policy()
    for case in cases:
        policy.advise(case)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=1000, help="reloads measured (default 1000)")
    parser.add_argument("--cases", type=int, default=5, help="cases advised per loaded policy (default 5)")
    parser.add_argument("--warm-up", type=int, default=10, help="reloads before the baseline (default 10)")
    args = parser.parse_args()

    rss_start = rss_mb()
    cases = realistic_cases(grenzen.load_policy(), args.cases)
    for _ in range(args.warm_up):
        one_round(cases)
    gc.collect()
    rss_before = rss_mb()
    t0 = time.perf_counter()
    for i in range(args.times):
        one_round(cases)
        if (i + 1) % max(1, args.times // 10) == 0:
            print(f"  {i + 1:6d} reloads: RSS {rss_mb():8.1f} MB", flush=True)
    gc.collect()
    rss_after = rss_mb()
    elapsed = time.perf_counter() - t0
    print(f"python {sys.version.split()[0]}; {args.times} reloads of the default policy, "
          f"{args.cases} advices each, {elapsed / args.times * 1000:.0f} ms per reload")
    print(f"RSS: {rss_start:.1f} MB at start, {rss_before:.1f} MB after {args.warm_up} warm-up reloads, "
          f"{rss_after:.1f} MB after {args.times} reloads")
    growth = rss_after - rss_before
    print(f"growth: {growth:+.1f} MB ({growth * 1024 / args.times:+.1f} KB per reload)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
