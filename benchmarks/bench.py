"""Latency, throughput and memory of advise() on the bundled default policy and its peers, interleaved in one run.

    python benchmarks/bench.py --cases 200000

Times, on the same realistic generated cases, per advice:
  * grenzen: ``Policy.advise(dict)``: validation, engine matching, exceptions and full explanations;
  * bare engine: the same compiled rulesets through the raw durable_rules C API (assert, drain, retract) on
    pre-encoded fact texts: the floor for this engine; and the same with fact dicts serialised by ``json.dumps``;
  * zen array (GoRules ZEN, if installed): all rule conditions of the policy in ONE compiled ZEN expression that
    returns the indexes of the rules that hold, with grenzen's own validation and combination (``zen_peer``);
  * zen table: the same conditions as one "collect" decision table (the old, slower peer; ``--no-table`` skips it).
The ZEN peers' advice must equal ``Policy.advise`` on every case (mismatches are counted before timing).

Then (each can be left out, see --help): the scale table (``scaling.py``: generated policies of 100-3,000 rules x
cases of 1-30 signals, and their load times), start-up (``startup.py``: ``import grenzen``, ``load_policy()``,
``grenzen advies voorbeelden/casus.yaml``), the authoring loop (``grenzen controleer --streng`` on the default policy
and on the school overlay in tests/fixtures) and batch (``grenzen advies --jsonl`` with 1 and 2 processes, on 20,000
and 100,000 lines), each command run ``--repeat`` times interleaved, medians of wall and CPU time.

Interleaved: the cases are cut into rounds; in each round every variant runs the same slice of cases, and the
order of the variants changes from round to round (rotated, and reversed every other pass), so drift of a shared
machine (other processes, CPU frequency) falls on all variants alike. Ratios are computed within the run. One
thread (the engine holds the GIL). RSS is the whole process's.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import durable_rules_engine as dre

import grenzen
from grenzen.pipeline._compile import encode_case


def rss_mb(key: str = "VmRSS") -> float:
    """The process's resident memory in MB (``VmHWM``: its peak so far)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
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


class BareEngine:
    """The policy's compiled rulesets under fresh handles, driven through the raw C API: assert, drain, retract."""

    def __init__(self, policy: grenzen.Policy) -> None:
        self.handles = [dre.create_ruleset(f"bench{i}", text) for i, text in enumerate(policy._compiled.rulesets)]

    def run(self, text: str) -> None:
        for handle in self.handles:
            code, state = dre.assert_fact(handle, text)
            if code == 0 and dre.start_action_for_state(handle, state) is not None:
                while dre.complete_and_start_action(handle, state) is not None:
                    pass
            dre.retract_fact(handle, text)

    def run_dict(self, fact: dict) -> None:
        """As a plain user of the engine would: the fact dict serialised in the loop."""
        self.run(json.dumps(fact, ensure_ascii=False))

    def close(self) -> None:
        for handle in self.handles:
            dre.delete_ruleset(handle)


@dataclass
class Variant:
    name: str
    note: str
    run: Callable[[Any], object]  # one advice (or one engine pass) for one input
    inputs: str  # "cases", "texts" or "dicts": what ``run`` takes
    share: int  # how many cases of each round's slice it is timed on (all, or the first ``share``)
    latencies: array = field(default_factory=lambda: array("d"))
    wall: float = 0.0
    cpu: float = 0.0
    rss_growth: float = 0.0  # MB, summed over its slices (RSS after minus before)


def time_slice(variant: Variant, items: list) -> None:
    """Run ``variant`` on ``items``, one timed call each; wall and process CPU time of the whole slice."""
    run, clock, out = variant.run, time.perf_counter, variant.latencies
    gc.collect()  # garbage of the variant before is not this one's to collect
    rss0 = rss_mb()
    wall0, cpu0 = clock(), time.process_time()
    for item in items:
        start = clock()
        run(item)
        out.append(clock() - start)
    variant.wall += clock() - wall0
    variant.cpu += time.process_time() - cpu0
    variant.rss_growth += rss_mb() - rss0


def fact_texts(policy: grenzen.Policy, cases: list[dict], first: int) -> list[str]:
    """Engine facts for ``cases`` as JSON text, pre-encoded (each with its own id, as the engine needs)."""
    out = []
    for i, case in enumerate(cases, first):
        fact = encode_case(policy.validate_case(case), policy._compiled)
        out.append(json.dumps({**fact, "sid": "0", "id": f"b{i}"}, ensure_ascii=False, separators=(",", ":")))
    return out


def round_orders(names: list[str], rounds: int) -> list[list[str]]:
    """The order of the variants in each round: rotated by one each round, reversed on every other pass."""
    orders = []
    for r in range(rounds):
        shift = r % len(names)
        order = names[shift:] + names[:shift]
        orders.append(order[::-1] if (r // len(names)) % 2 else order)
    return orders


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(len(values) * q))]


def timer_overhead() -> float:
    clock = time.perf_counter
    best = math.inf
    for _ in range(5):
        start = clock()
        for _ in range(100_000):
            clock()
        best = min(best, (clock() - start) / 100_000)
    return best


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000, help="advices timed per variant (default 200000)")
    parser.add_argument("--distinct", type=int, default=20_000, help="distinct generated cases, cycled")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds (default 20)")
    parser.add_argument("--regels", default=None, help="rules directory (default: bundled policy)")
    parser.add_argument("--no-table", action="store_true", help="leave out the (slow) ZEN decision-table peer")
    parser.add_argument("--table-cases", type=int, default=50_000,
                        help="advices timed in the ZEN decision table at most (it is ~10x slower; default 50000)")
    parser.add_argument("--no-scale", action="store_true", help="leave out the scale table (benchmarks/scaling.py)")
    parser.add_argument("--no-startup", action="store_true", help="leave out import/load/cli (benchmarks/startup.py)")
    parser.add_argument("--no-authoring", action="store_true", help="leave out the controleer timings")
    parser.add_argument("--no-batch", action="store_true", help="leave out the batch timings (1 and 2 processes)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each timed command (default 3)")
    return parser.parse_args()


def check_peers(policy: grenzen.Policy, cases: list[dict], peers: dict[str, Callable[[dict], grenzen.Advies]],
                ) -> tuple[dict[str, int], dict[str, int], float]:
    """Mismatches of each peer's advice with ``Policy.advise`` on ``cases``; routes and reasons per advice."""
    mismatches = dict.fromkeys(peers, 0)
    routes = {"mentor": 0, "zorgteam": 0, "extern": 0}
    reasons = 0
    for case in cases:
        ours = policy.advise(case)
        routes[ours.route] += 1
        reasons += len(ours.redenen)
        for name, peer in peers.items():
            mismatches[name] += peer(case) != ours
    return mismatches, routes, reasons / max(len(cases), 1)


def make_variants(policy: grenzen.Policy, args: argparse.Namespace, bare: BareEngine,
                  ) -> tuple[list[Variant], dict[str, Callable[[dict], grenzen.Advies]], str]:
    variants = [
        Variant("grenzen", "Policy.advise(dict): validate, engine, combine, explain", policy.advise, "cases", 0),
        Variant("bare engine", "same rulesets, raw C API, pre-encoded fact texts", bare.run, "texts", 0),
        Variant("bare, dicts", "same, fact dicts serialised with json.dumps", bare.run_dict, "dicts", 0),
    ]
    peers: dict[str, Callable[[dict], grenzen.Advies]] = {}
    try:
        import zen  # noqa: F401
        from zen_peer import array_advise, compiled_array, decision_table, table_advise
    except ImportError:
        return variants, peers, "zen-engine not installed (pip install -e '.[bench]'): ZEN peers left out"
    compiled = compiled_array(policy)
    peers["zen array"] = lambda case: array_advise(policy, compiled, case)
    variants.append(Variant("zen array", "one compiled ZEN expression, same validation and combination",
                            peers["zen array"], "cases", 0))
    if not args.no_table:
        decision = decision_table(policy)
        peers["zen table"] = lambda case: table_advise(policy, decision, case)
        variants.append(Variant("zen table", "one ZEN collect decision table (old peer), same validation and "
                                "combination", peers["zen table"], "cases", 0))
    return variants, peers, f"zen-engine {version('zen-engine')}"


def run_rounds(policy: grenzen.Policy, cases: list[dict], variants: list[Variant], args: argparse.Namespace) -> None:
    """Every variant on the same slices of cases, round by round, in changing order."""
    rounds = max(1, min(args.rounds, args.cases))
    bounds = [args.cases * r // rounds for r in range(rounds + 1)]
    table_per_round = math.ceil(min(args.cases, args.table_cases) / rounds)
    for variant in variants:
        variant.share = table_per_round if variant.name == "zen table" else args.cases
    by_name = {v.name: v for v in variants}
    for r, order in enumerate(round_orders(list(by_name), rounds)):
        lo, hi = bounds[r], bounds[r + 1]
        chunk = [cases[i % len(cases)] for i in range(lo, hi)]
        texts = fact_texts(policy, chunk, lo)  # untimed, rebuilt per round: memory stays one slice
        inputs = {"cases": chunk, "texts": texts, "dicts": [json.loads(t) for t in texts]}
        for name in order:
            variant = by_name[name]
            time_slice(variant, inputs[variant.inputs][: variant.share])


def report(variants: list[Variant], overhead: float) -> None:
    stats: dict[str, dict[str, float]] = {}
    print(f"{'variant':<12} {'advices':>8} {'p50 µs':>7} {'p90 µs':>7} {'p99 µs':>7} {'mean µs':>8} {'adv/s':>7} "
          f"{'cpu%':>5} {'ΔRSS MB':>7}  what")
    for v in variants:
        lat = sorted(v.latencies)
        s = stats[v.name] = {"p50": percentile(lat, 0.5) * 1e6, "p90": percentile(lat, 0.9) * 1e6,
                             "p99": percentile(lat, 0.99) * 1e6, "mean": statistics.fmean(lat) * 1e6}
        print(f"{v.name:<12} {len(lat):>8} {s['p50']:>7.1f} {s['p90']:>7.1f} {s['p99']:>7.1f} {s['mean']:>8.1f} "
              f"{len(lat) / v.wall:>7.0f} {100 * v.cpu / v.wall:>5.0f} {v.rss_growth:>+7.1f}  {v.note}")
    print(f"(per advice, each timed alone with perf_counter; timer overhead {overhead * 1e9:.0f} ns per reading, "
          f"not subtracted; adv/s = advices / wall time of the variant's slices; cpu% = process CPU / wall: below 100 "
          f"the process waited for a core; ΔRSS = growth of the process's RSS during the variant's slices)")
    pairs = [("zen array", "grenzen"), ("zen table", "grenzen"), ("zen table", "zen array"),
             ("grenzen", "bare engine"), ("grenzen", "bare, dicts"), ("zen array", "bare engine")]
    print("ratios, time per advice, within this run:")
    for a, b in pairs:
        if a in stats and b in stats:
            print(f"  {a + ' / ' + b:<26} " + "   ".join(
                f"{key} {stats[a][key] / stats[b][key]:5.2f}x" for key in ("p50", "p90", "p99", "mean")))


def main() -> int:
    args = parse_args()
    start_load = time.perf_counter()
    policy = grenzen.load_policy(args.regels)
    load_ms = (time.perf_counter() - start_load) * 1000
    rss_loaded = rss_mb()
    cases = realistic_cases(policy, args.distinct)
    print(f"python {sys.version.split()[0]}, durable-rules {version('durable-rules')}; {os.cpu_count()} cores "
          f"(shared with other processes: load average {os.getloadavg()[0]:.2f} at start)")
    print(f"policy {policy.name!r}: {len(policy.rules)} rules, {len(policy._compiled.rulesets)} engine rulesets; "
          f"load+compile {load_ms:.0f} ms")

    bare = BareEngine(policy)
    variants, peers, peer_note = make_variants(policy, args, bare)
    print(peer_note)
    checked = cases[: min(len(cases), args.cases)]  # every distinct case the run uses; doubles as warm-up
    mismatches, routes, reasons = check_peers(policy, checked, peers)
    for text in fact_texts(policy, checked[:2000], -2000):  # warm up the bare engine too
        bare.run(text)
    overhead = timer_overhead()
    rss_start = rss_mb()

    run_rounds(policy, cases, variants, args)
    rss_end = rss_mb()
    bare.close()

    print(f"{args.cases} cases ({len(checked)} distinct, cycled) in {max(1, min(args.rounds, args.cases))} "
          f"interleaved rounds; load average {os.getloadavg()[0]:.2f} at end")
    report(variants, overhead)
    for name, count in mismatches.items():
        print(f"{name}: {count} mismatches with Policy.advise on {len(checked)} distinct cases")
    print(f"routes (grenzen, distinct cases): {routes}; {reasons:.1f} reasons/advice")
    peak = max(rss_mb("VmHWM"), rss_end)  # VmHWM is updated lazily
    print(f"RSS: {rss_loaded:.1f} MB after load, {rss_start:.1f} MB after checks and warm-up, {rss_end:.1f} MB after "
          f"the rounds ({rss_end - rss_start:+.1f} MB); peak {peak:.1f} MB (whole process, all variants)")
    extras(policy, args)
    return 0


def timed_rounds(commands: dict[str, list[str]], repeat: int, stdin: Path | None = None,
                 ) -> dict[str, list[tuple[float, float]]]:
    """(wall s, CPU s of the child) of each command in each of ``repeat`` rounds, interleaved (rotating order), after
    one untimed run of each. Bytecode as in ``startup.py``: the children keep their ``.pyc`` files under a temporary
    ``PYTHONPYCACHEPREFIX`` that the untimed run fills, as an installed package has them (with
    ``PYTHONDONTWRITEBYTECODE``, as on this machine, each run would compile every edited module again)."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    names = list(commands)
    with tempfile.TemporaryDirectory(prefix="grenzen-pyc-") as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for r in range(-1, repeat):
            for name in names[r % len(names):] + names[:r % len(names)]:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                with open(stdin or os.devnull, "rb") as source:
                    subprocess.run(commands[name], stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=env, check=False)
                wall = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if r >= 0:  # the first round fills the bytecode cache
                    samples[name].append((wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
    return samples


def medians(rounds: dict[str, list[tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """Median (wall s, CPU s) of each command's rounds."""
    return {name: (statistics.median(w for w, _ in got), statistics.median(c for _, c in got))
            for name, got in rounds.items()}


def timed_commands(commands: dict[str, list[str]], repeat: int, stdin: Path | None = None,
                   ) -> dict[str, tuple[float, float]]:
    """Median (wall s, CPU s of the child) of each command over ``timed_rounds``."""
    return medians(timed_rounds(commands, repeat, stdin))


def authoring(repeat: int) -> None:
    """Point 3: ``grenzen controleer --streng`` on the default policy and on a school overlay, end to end."""
    cli = [str(Path(sys.executable).with_name("grenzen"))]
    school = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "school"
    results = timed_commands({"controleer --streng (standaard)": [*cli, "controleer", "--streng"],
                              "controleer --streng (school)": [*cli, "controleer", "--streng", str(school)]}, repeat)
    print("authoring loop (target: < 1 s on the default policy, < 2 s with a school overlay):")
    for name, (wall, cpu) in results.items():
        print(f"  {name:<34} {wall:6.2f} s wall  {cpu:6.2f} s CPU")


#: batch sizes timed: the start (~0.2 s: interpreter, imports, policy) comes before any fork, so it weighs on the ratio
#: of a short batch; on a long one the split's own scaling shows
BATCH_LINES = (20_000, 100_000)


def batch(policy: grenzen.Policy, repeat: int, lines: int = 20_000) -> None:
    """Point 4: ``grenzen advies --jsonl`` over ``lines`` realistic cases with 1 and 2 processes (target >= 1.7x).

    Also timed, interleaved with those two: the same command on one line (its start: interpreter, imports, loading the
    policy, which comes before any fork) and two one-process batches side by side (how much slower each advises when
    both cores work). From them, the best a split of the lines over two processes can do on this machine:
    start + (one process - start) x (side by side / one process) / 2."""
    cli = str(Path(sys.executable).with_name("grenzen"))
    command = [cli, "advies", "--jsonl", "-"]
    with tempfile.TemporaryDirectory(prefix="grenzen-batch-") as tmp:
        path, one_line = Path(tmp) / "casussen.jsonl", Path(tmp) / "een.jsonl"
        cases = realistic_cases(policy, lines, seed=3)
        path.write_text("".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8")
        one_line.write_text(json.dumps(cases[0]) + "\n", encoding="utf-8")
        alone = f'"{cli}" advies --jsonl - --processen 1 < "{path}" > /dev/null'
        rounds = timed_rounds({"1": [*command, "--processen", "1"], "2": [*command, "--processen", "2"],
                               "start": ["sh", "-c", f'"{cli}" advies --jsonl - < "{one_line}" > /dev/null'],
                               "side by side": ["sh", "-c", f"{alone} & {alone}; wait"]}, repeat, path)
    results = medians(rounds)
    (one, cpu_one), (two, cpu_two) = results["1"], results["2"]
    start, pair = results["start"][0], results["side by side"][0]
    best = start + (one - start) * (pair / one) / 2
    print(f"batch, {lines} lines (target: 2 processes >= 1.7x one on 2 cores): 1 process {one:.2f} s "
          f"({cpu_one:.2f} s CPU), 2 processes {two:.2f} s ({cpu_two:.2f} s CPU): {one / two:.2f}x")
    # on a machine whose speed drifts, the ratio within each round (the runs next to each other) says more
    paired = sorted(a / b for (a, _), (b, _) in zip(rounds["1"], rounds["2"], strict=True))
    low, high = (statistics.quantiles(paired, n=4)[0::2] if len(paired) > 1 else (paired[0], paired[0]))
    print(f"  within each round (1 process / 2 processes, {len(paired)} rounds): median "
          f"{statistics.median(paired):.2f}x, quartiles {low:.2f}-{high:.2f}x, range {paired[0]:.2f}-{paired[-1]:.2f}x")
    print(f"  start (one line) {start:.2f} s; two 1-process batches side by side {pair:.2f} s ({pair / one:.2f}x one); "
          f"the best a split over 2 processes can do here: {best:.2f} s ({one / best:.2f}x)")
    # the part after the start, which the processes share: how well the split itself scales
    print(f"  after the start: 1 process {one - start:.2f} s, 2 processes {two - start:.2f} s: "
          f"{(one - start) / (two - start):.2f}x (at best {2 * one / pair:.2f}x with the side-by-side slowdown)")


def extras(policy: grenzen.Policy, args: argparse.Namespace) -> None:
    """The scale table (point 2), start-up (point 3), the authoring loop (point 3) and batch (point 4)."""
    if not args.no_scale:
        import scaling

        print("\nscale: CPU ms per advice on generated policies (target: 3,000 rules <= 0.6 ms, load <= 1 s)")
        scaling.main(["--cases", "1000", "--rounds", "3"])
    if not args.no_startup:
        import startup

        print("\nstart-up (targets: import grenzen < 100 ms, grenzen advies casus.yaml < 300 ms):")
        startup.main(["--repeat", str(max(5, args.repeat))])
    if not args.no_authoring:
        print()
        authoring(args.repeat)
    if not args.no_batch:
        for lines in BATCH_LINES:
            print()
            batch(policy, max(7, args.repeat), lines)  # more rounds: the ratio within each round is reported too


if __name__ == "__main__":
    sys.exit(main())
