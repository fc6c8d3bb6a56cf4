"""Scale: per-advice time on generated policies of 100 to 3,000 rules and on cases of 1 to 30 signals; load time.

    python benchmarks/scaling.py [--rules 100 300 1000 3000] [--signals 1 3 10 30] [--cases 2000]

The policies are generated (seeded) over a vocabulary of 120 signal kinds in 6 groups, 30 tasks and 8 trainings,
with the condition shapes of real rule files: a task, a signal with a severity band (and sometimes a duration),
a training, an age range, an exception under ``niet``, ``een_van`` alternatives, a group selector, a counting
block; one rule in ten is an exception (``zet_opzij``) to an earlier one. Times are CPU time per advice (median of
interleaved rounds over the same cases), so other processes on the machine weigh less; load time is the CPU time of
``load_policy`` from files (read, validate, compile, the load-time safety check, the engine's rulesets), the median
of ``--loads`` loads.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import durable_rules_engine as dre
import yaml

import grenzen
from grenzen.pipeline._compile import fact_texts

KINDS = [f"soort_{i:03d}" for i in range(120)]
GROUPS = ["leren", "sociaal", "verzuim", "welzijn", "thuis", "veiligheid"]
TASKS = [f"taak_{i:02d}" for i in range(30)]
TRAININGS = [f"scholing_{i}" for i in range(8)]
SEVERITIES = ["licht", "matig", "ernstig", "acuut"]
TARGETS = {"advise_ms_3000": 0.6, "load_s_3000": 1.0}


def _group(kind: str) -> str:
    return GROUPS[int(kind[-3:]) % len(GROUPS)]


def _condition(rng: random.Random) -> dict[str, Any]:
    """One rule condition in the shapes real rule files use."""
    signal: dict[str, Any] = {"soort": rng.sample(KINDS, rng.choice([1, 1, 2, 3]))}
    if rng.random() < 0.6:
        signal["ernst_minstens"] = rng.choice(SEVERITIES[1:])
    if rng.random() < 0.2:
        signal["duur_minstens_weken"] = rng.choice([2, 4, 6])
    parts: list[dict[str, Any]] = [{"signaal": signal}]
    if rng.random() < 0.5:
        parts.append({"taak": rng.sample(TASKS, rng.choice([1, 2, 4]))})
    if rng.random() < 0.15:
        parts.append({"scholing": rng.choice(TRAININGS)})
    if rng.random() < 0.1:
        parts.append({"leeftijd": {"vanaf": rng.choice([12, 16, 18])}})
    if rng.random() < 0.2:
        parts.append({"niet": {"signaal": {"groep": rng.choice(GROUPS), "ernst_minstens": "ernstig"}}})
    if rng.random() < 0.1:
        parts.append({"een_van": [{"taak": rng.choice(TASKS)}, {"signaal": {"soort": rng.choice(KINDS)}}]})
    if rng.random() < 0.05:
        parts.append({"aantal_signalen": {"minstens": 3, "groep": rng.choice(GROUPS), "ernst_minstens": "matig"}})
    return parts[0] if len(parts) == 1 else {"alle": parts}


def write_generated_policy(directory: Path, count: int, seed: int = 3) -> Path:
    """A valid policy of ``count`` rules in 10 theme files (see the module docstring)."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    vocabulary = {
        "naam": f"Gegenereerd beleid ({count} regels)",
        "signalen": {k: {"label": k, "omschrijving": k, "groep": _group(k),
                         "veiligheid": "ja" if _group(k) == "veiligheid" else "nee"} for k in KINDS},
        "taken": {t: {"label": t, "omschrijving": t} for t in TASKS},
        "scholing": {s: {"label": s, "omschrijving": s} for s in TRAININGS},
    }
    (directory / "woordenlijst.yaml").write_text(yaml.safe_dump(vocabulary, allow_unicode=True), encoding="utf-8")
    (directory / "afspraken.yaml").write_text(yaml.safe_dump({
        "bestemmingen": {"zorgcoordinator": {"naam": "zorgcoördinator", "soort": "intern", "bron": "gegenereerd"}},
        "toestemming": {"bron": "gegenereerd", "leeftijden": [{"tot_en_met": 15, "wie": "ouders"},
                                                                {"vanaf": 16, "wie": "leerling"}],
                        "onbekende_leeftijd": "ouders"},
    }, allow_unicode=True), encoding="utf-8")
    rules: list[dict[str, Any]] = []
    for i in range(count):
        route = rng.choice(["mentor", "mentor", "zorgteam", "extern"])
        rule: dict[str, Any] = {
            "id": f"regel-{i}", "titel": f"Regel {i}", "bron": "gegenereerd", "als": _condition(rng),
            "dan": {"route": route, "urgentie": rng.choice(["regulier", "deze_week", "vandaag"]),
                    "mentor_doet": [f"Stap {i}."], "uitleg": f"Uitleg {i}."},
        }
        earlier = [r for r in rules[-50:] if r["dan"]["route"] != "mentor" and not r.get("absoluut")]
        if route == "mentor" and earlier and rng.random() < 0.1:
            rule["zet_opzij"] = [rng.choice(earlier)["id"]]
        rules.append(rule)
    # every safety kind is referred by an absolute rule (a policy that leaves one at the mentor does not load)
    rules.append({"id": "veiligheid", "titel": "Veiligheid", "bron": "gegenereerd", "absoluut": "ja",
                  "als": {"signaal": {"veiligheid": "ja"}},
                  "dan": {"route": "zorgteam", "urgentie": "vandaag", "uitleg": "Veiligheid."}})
    per_file = -(-len(rules) // 10)
    for n in range(10):
        chunk = rules[n * per_file:(n + 1) * per_file]
        (directory / f"thema_{n}.yaml").write_text(
            yaml.safe_dump({"thema": f"Thema {n}", "regels": chunk}, allow_unicode=True, sort_keys=False),
            encoding="utf-8")
    return directory


def generated_cases(count: int, signals: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [{"taak": rng.choice(TASKS), "leeftijd": rng.randint(11, 19),
             "signalen": [{"soort": rng.choice(KINDS), "ernst": rng.choice(SEVERITIES),
                           "duur_weken": rng.randint(0, 10)} for _ in range(signals)]}
            for _ in range(count)]


def _cpu_per_advice_ms(policy: grenzen.Policy, cases: list[dict[str, Any]]) -> float:
    """CPU ms per advice, each case's decision worked out afresh: the rounds replay the same cases, and a combiner
    keeps what each set of applicable rules decides (``_combine.DECIDED_KEPT``), so without forgetting them a later
    round would time answers kept from an earlier one. Within one pass a case whose rules were met before (common
    with 1 or 3 signals) still gets the kept decision, as it would in a stream of new cases."""
    policy._combiner._decided.clear()
    getattr(policy._combiner, "_guarded", {}).clear()  # (absent in older trees, which ab.py may time)
    start = time.process_time()
    for case in cases:
        policy.advise(case)
    return (time.process_time() - start) / len(cases) * 1000


def _engine_jobs(policy: grenzen.Policy, cases: list[dict[str, Any]]) -> list[list[tuple[int, str]]]:
    """Per case, the (ruleset handle, fact text) pairs the policy asks the engine, built beforehand."""
    compiled, handles = policy._compiled, policy._engine._handles
    jobs = []
    for case in cases:
        valid = policy.validate_case(case)
        visit = compiled.rulesets.visit(valid.taak)
        indexes = list(range(len(handles))) if visit is None else visit
        texts = fact_texts(valid, compiled, visit)
        jobs.append(list(zip([handles[i] for i in indexes],
                             [texts] * len(indexes) if isinstance(texts, str) else texts, strict=True)))
    return jobs


def _engine_ms(jobs: list[list[tuple[int, str]]]) -> tuple[float, float]:
    """The bare C engine's CPU ms per case on prepared facts (assert, hand out every activation, retract: the floor
    under any driver), and the activations per case."""
    fired = 0
    start = time.process_time()
    for n, job in enumerate(jobs):
        ident = f'"sid":"0","id":"f{n}"}}'
        for handle, text in job:
            code, state = dre.assert_fact(handle, f"{text[:-1]},{ident}")
            if code == 0 and dre.start_action_for_state(handle, state) is not None:
                fired += 1
                while dre.complete_and_start_action(handle, state) is not None:
                    fired += 1
            dre.retract_fact(handle, "{" + ident)
    return (time.process_time() - start) / len(jobs) * 1000, fired / len(jobs)


def measure(rule_counts: list[int], signal_counts: list[int], cases: int, rounds: int = 5,
            load_rounds: int = 3) -> dict[str, Any]:
    """Load CPU seconds per policy size (median of ``load_rounds`` loads), the median CPU ms per advice for each
    size x signals, and for the largest size the bare engine's share (``engine_ms``, ``fired``: see ``_engine_ms``)."""
    with tempfile.TemporaryDirectory() as tmp:
        loads: dict[int, float] = {}
        policies: dict[int, grenzen.Policy] = {}
        for count in rule_counts:
            directory = write_generated_policy(Path(tmp) / str(count), count)
            times = []
            for _ in range(load_rounds):
                policies.pop(count, None)  # the previous load is freed before the next one
                start = time.process_time()
                policies[count] = grenzen.load_policy(directory)
                times.append(time.process_time() - start)
            loads[count] = statistics.median(times)
        samples: dict[tuple[int, int], list[float]] = {(r, s): [] for r in rule_counts for s in signal_counts}
        case_sets = {s: generated_cases(cases, s) for s in signal_counts}
        for count in rule_counts:  # warm-up: first use builds validators and caches
            policies[count].advise(case_sets[signal_counts[0]][0])
        biggest = max(rule_counts)
        jobs = {s: _engine_jobs(policies[biggest], case_sets[s]) for s in signal_counts}
        engine: dict[int, list[tuple[float, float]]] = {s: [] for s in signal_counts}
        for round_ in range(rounds):  # interleaved: every cell once per round, in a rotating order
            cells: list[tuple[int, int] | int] = [*samples, *signal_counts]  # an int: the bare engine on that many
            cells = cells[round_ % len(cells):] + cells[:round_ % len(cells)]
            for cell in cells:
                if isinstance(cell, int):
                    engine[cell].append(_engine_ms(jobs[cell]))
                else:
                    samples[cell].append(_cpu_per_advice_ms(policies[cell[0]], case_sets[cell[1]]))
        return {"load_s": loads, "advise_ms": {cell: statistics.median(v) for cell, v in samples.items()},
                "engine_ms": {s: statistics.median(ms for ms, _ in v) for s, v in engine.items()},
                "fired": {s: v[0][1] for s, v in engine.items()}}


def table(result: dict[str, Any], rule_counts: list[int], signal_counts: list[int]) -> str:
    lines = ["| regels | laden (s CPU) | " + " | ".join(f"{s} signalen (ms/advies)" for s in signal_counts) + " |",
             "|---:|---:|" + "---:|" * len(signal_counts)]
    for r in rule_counts:
        cells = " | ".join(f"{result['advise_ms'][(r, s)]:.3f}" for s in signal_counts)
        lines.append(f"| {r} | {result['load_s'][r]:.2f} | {cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, nargs="+", default=[100, 300, 1000, 3000])
    parser.add_argument("--signals", type=int, nargs="+", default=[1, 3, 10, 30])
    parser.add_argument("--cases", type=int, default=2000, help="cases per cell and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--loads", type=int, default=3, help="loads per policy size (the median is printed)")
    args = parser.parse_args(argv)
    result = measure(args.rules, args.signals, args.cases, args.rounds, args.loads)
    print(table(result, args.rules, args.signals))
    biggest = max(args.rules)
    print(f"{biggest} rules, the bare C engine alone on prepared facts (assert, hand out, retract; the floor under any "
          "driver): " + ", ".join(f"{s} signals {result['engine_ms'][s]:.3f} ms ({result['fired'][s]:.0f} activations)"
                                  for s in args.signals))
    worst = max(result["advise_ms"][(biggest, s)] for s in args.signals)
    print(f"targets: a {biggest}-rule policy advises in <= {TARGETS['advise_ms_3000']} ms (worst column: "
          f"{worst:.3f} ms) and loads in <= {TARGETS['load_s_3000']} s ({result['load_s'][biggest]:.2f} s)")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
