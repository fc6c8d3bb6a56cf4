"""Reliability at scale: the engine path against the reference evaluator, and many threads on one policy.

    python benchmarks/scale.py differential --cases 1000000     # default policy + generated policies
    python benchmarks/scale.py threads --threads 8 --per-thread 100000

The test suite runs the same checks with small counts (tests/test_scale.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from bench import realistic_cases  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from reference import engine_advice_fields, kinds_of, reference_advice, safety_kinds_of  # noqa: E402
from strategies import cases as case_strategy  # noqa: E402
from strategies import rule_sets, write_policy  # noqa: E402

import grenzen  # noqa: E402
from grenzen import Casus  # noqa: E402


def differential_default(count: int, seed: int = 1) -> int:
    """Mismatches between the engine path and the reference on realistic cases over the default policy."""
    policy = grenzen.load_policy()
    safety, kinds = safety_kinds_of(policy), kinds_of(policy)  # the reference looks up groups and flags itself
    mismatches = 0
    for start in range(0, count, 20_000):
        for raw in realistic_cases(policy, min(20_000, count - start), seed=seed + start):
            case = Casus.model_validate(raw)
            expected = reference_advice(policy.rules, policy.agreements, case, safety, kinds=kinds)
            if engine_advice_fields(policy.advise(case)) != expected:
                mismatches += 1
    return mismatches


def differential_generated(count: int, per_policy: int = 200) -> tuple[int, int, int]:
    """Generated policies with ``per_policy`` cases each; returns (policies, cases, mismatches)."""
    from hypothesis import HealthCheck, Phase, given, settings

    tally = {"policies": 0, "cases": 0, "mismatches": 0}

    @settings(max_examples=max(1, count // per_policy), phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(rule_sets(min_rules=3, max_rules=30),
           st.lists(case_strategy, min_size=per_policy // 4, max_size=per_policy // 4))
    def one_policy(rules, raw_cases):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                policy = grenzen.load_policy(write_policy(Path(tmp) / "r", rules))
            except grenzen.PolicyError:
                return  # over a documented compile limit
        tally["policies"] += 1
        for raw in raw_cases * 4:  # each generated case also re-asked: repeated facts in one session
            case = Casus.model_validate(raw)
            tally["cases"] += 1
            if engine_advice_fields(policy.advise(case)) != reference_advice(policy.rules, policy.agreements, case):
                tally["mismatches"] += 1

    while tally["cases"] < count:  # policies over a compile limit are skipped: go on until enough cases ran
        one_policy()
    return tally["policies"], tally["cases"], tally["mismatches"]


def threads(count: int, per_thread: int, reload: bool = True) -> tuple[int, int]:
    """(wrong answers, errors) with ``count`` threads on one policy, optionally reloading alongside."""
    policy = grenzen.load_policy()
    pool = realistic_cases(policy, 5_000, seed=3)
    expected = [engine_advice_fields(policy.advise(c)) for c in pool]  # single-threaded answers
    wrong, errors, stop = [0], [], threading.Event()

    def work(n: int) -> None:
        rng = random.Random(n)
        try:
            for _ in range(per_thread):
                i = rng.randrange(len(pool))
                if engine_advice_fields(policy.advise(pool[i])) != expected[i]:
                    wrong[0] += 1
        except BaseException as exc:  # noqa: BLE001 - counted and reported
            errors.append(exc)

    def reloader() -> None:
        while not stop.is_set():
            grenzen.load_policy().advise(pool[0])

    workers = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    extra = threading.Thread(target=reloader) if reload else None
    for w in workers + ([extra] if extra else []):
        w.start()
    for w in workers:
        w.join()
    stop.set()
    if extra:
        extra.join()
    return wrong[0], len(errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    diff = sub.add_parser("differential")
    diff.add_argument("--cases", type=int, default=1_000_000, help="cases for each of the two runs")
    thr = sub.add_parser("threads")
    thr.add_argument("--threads", type=int, default=8)
    thr.add_argument("--per-thread", type=int, default=100_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    if args.what == "differential":
        m1 = differential_default(args.cases)
        print(f"default policy: {args.cases} realistic cases, {m1} mismatches ({time.perf_counter() - t0:.0f} s)")
        t1 = time.perf_counter()
        policies, cases, m2 = differential_generated(args.cases)
        print(f"generated policies: {policies} policies, {cases} cases, {m2} mismatches "
              f"({time.perf_counter() - t1:.0f} s)")
        return 1 if m1 or m2 else 0
    wrong, errors = threads(args.threads, args.per_thread)
    print(f"{args.threads} threads x {args.per_thread} cases on one policy while reloading: {wrong} wrong, "
          f"{errors} errors ({time.perf_counter() - t0:.0f} s)")
    return 1 if wrong or errors else 0


if __name__ == "__main__":
    sys.exit(main())
