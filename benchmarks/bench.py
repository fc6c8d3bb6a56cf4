"""Throughput, latency and memory of advise() on the bundled default policy, in one run.

    python benchmarks/bench.py --cases 200000

Reports, for the same realistic generated cases:
  * grenzen: ``Policy.advise(dict)`` with validation, engine matching, exceptions and full explanations;
  * bare engine: the same compiled rulesets through the raw durable_rules C API (assert, drain,
    retract) on pre-encoded facts: the floor for this engine;
  * zen-engine (GoRules ZEN, if installed): the same rules as one "collect" decision table, with the
    same validation and combination; the advice must be identical (mismatches are counted);
and RSS at start and end. Ratios are computed within the run. One thread (the engine holds the GIL).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from array import array
from pathlib import Path

import durable_rules_engine as dre

import grenzen
from grenzen.pipeline._compile import encode_case


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def realistic_cases(policy: grenzen.Policy, count: int, seed: int = 7) -> list[dict]:
    """Cases as a school system sends them: a task, 0-4 signals of any kind, often an age."""
    rng = random.Random(seed)
    kinds = sorted(policy.vocabulary.signalen)
    tasks = sorted(policy.vocabulary.taken)
    trainings = sorted(policy.vocabulary.scholing)
    severities = ["licht", "licht", "matig", "matig", "ernstig", "acuut"]
    out = []
    for i in range(count):
        case: dict = {"id": f"c{i}", "taak": rng.choice(tasks)}
        if rng.random() < 0.8:
            case["leeftijd"] = rng.randint(11, 19)
        signals = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
            signal = {"soort": rng.choice(kinds), "ernst": rng.choice(severities)}
            if rng.random() < 0.6:
                signal["duur_weken"] = rng.randint(0, 16)
            signals.append(signal)
        case["signalen"] = signals
        if rng.random() < 0.3:
            case["mentor"] = {"scholing": rng.sample(trainings, rng.randint(1, 2))}
        if rng.random() < 0.3:
            case["eerdere_aanpak"] = {"weken": rng.randint(0, 12),
                                      "effect": rng.choice(["geen", "onvoldoende", "voldoende"])}
        out.append(case)
    return out


def bare_engine(policy: grenzen.Policy, facts: list) -> float:
    """Seconds for the raw C API loop on the same rulesets (fresh handles, same definitions).

    ``facts`` are JSON texts (the strictest floor) or dicts (serialised with ``json.dumps`` in the loop,
    as a plain user of the engine would)."""
    handles = [dre.create_ruleset(f"bench{i}", text) for i, text in enumerate(policy._compiled.rulesets)]
    start = time.perf_counter()
    for fact in facts:
        text = fact if isinstance(fact, str) else json.dumps(fact, ensure_ascii=False)
        for handle in handles:
            code, state = dre.assert_fact(handle, text)
            if code == 0 and dre.start_action_for_state(handle, state) is not None:
                while dre.complete_and_start_action(handle, state) is not None:
                    pass
            dre.retract_fact(handle, text)
    elapsed = time.perf_counter() - start
    for handle in handles:
        dre.delete_ruleset(handle)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000, help="number of advices (default 200000)")
    parser.add_argument("--distinct", type=int, default=20_000, help="distinct generated cases, cycled")
    parser.add_argument("--regels", default=None, help="rules directory (default: bundled policy)")
    parser.add_argument("--peer-cases", type=int, default=50_000, help="advices timed in zen-engine (it is slower)")
    args = parser.parse_args()

    start_load = time.perf_counter()
    policy = grenzen.load_policy(args.regels)
    load_ms = (time.perf_counter() - start_load) * 1000
    cases = realistic_cases(policy, args.distinct)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; policy {policy.name!r} {len(policy.rules)} rules, "
          f"{len(policy._compiled.rulesets)} engine rulesets; load+compile {load_ms:.0f} ms")

    for case in cases[:2000]:  # warm up
        policy.advise(case)
    latencies = array("d", bytes(8 * args.cases))  # preallocated: the list must not count as growth
    rss_start = rss_mb()
    routes = {"mentor": 0, "zorgteam": 0, "extern": 0}
    reasons = 0
    t0 = time.perf_counter()
    for i in range(args.cases):
        a = time.perf_counter()
        advice = policy.advise(cases[i % len(cases)])
        latencies[i] = time.perf_counter() - a
        routes[advice.route] += 1
        reasons += len(advice.redenen)
    ours = time.perf_counter() - t0
    rss_end = rss_mb()

    facts = []
    for i in range(args.cases):
        fact = encode_case(policy.validate_case(cases[i % len(cases)]), policy._compiled)
        facts.append(json.dumps({**fact, "sid": "0", "id": f"b{i}"}, ensure_ascii=False, separators=(",", ":")))
    bare = bare_engine(policy, facts)
    bare_dicts = bare_engine(policy, [json.loads(text) for text in facts[: min(len(facts), 100_000)]])
    bare_dicts *= len(facts) / min(len(facts), 100_000)

    peer = None
    try:
        from zen_peer import decision_table, zen_advise
    except ImportError:
        print("zen-engine not installed (pip install zen-engine): peer comparison skipped")
    else:
        decision = decision_table(policy)
        distinct = cases[: min(len(cases), args.cases)]
        mismatches = sum(zen_advise(policy, decision, c) != policy.advise(c) for c in distinct)
        peer_cases = min(args.cases, args.peer_cases)
        t0 = time.perf_counter()
        for i in range(peer_cases):
            zen_advise(policy, decision, cases[i % len(cases)])
        peer = (time.perf_counter() - t0) * args.cases / peer_cases  # scaled to the same number of advices

    latencies = sorted(latencies)
    p50 = latencies[len(latencies) // 2] * 1e6
    p99 = latencies[int(len(latencies) * 0.99)] * 1e6
    print(f"grenzen advise():  {args.cases / ours:9.0f} advices/s  p50 {p50:.0f} µs  p99 {p99:.0f} µs  "
          f"(mean {statistics.fmean(latencies) * 1e6:.0f} µs; {reasons / args.cases:.1f} reasons/advice)")
    print(f"bare engine:       {args.cases / bare:9.0f} cases/s   (same rulesets, raw C API, pre-encoded facts)")
    print(f"bare engine, dicts:{args.cases / bare_dicts:9.0f} cases/s   (same, fact dicts serialised with json.dumps)")
    print(f"ratio ours/bare:   {ours / bare:.2f}x time (pre-encoded)   {ours / bare_dicts:.2f}x time (from dicts)")
    if peer is not None:
        print(f"zen-engine table:  {args.cases / peer:9.0f} advices/s  (same validation and combination; "
              f"{mismatches} mismatches on {len(distinct)} distinct cases)")
        print(f"ratio ours/zen:    {ours / peer:.2f}x time")
    print(f"routes: {routes}")
    print(f"RSS: {rss_start:.1f} MB after warm-up, {rss_end:.1f} MB after {args.cases} advices "
          f"({rss_end - rss_start:+.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
