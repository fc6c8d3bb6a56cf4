"""Where an advice's work goes, counted in instructions, not timed: per step of ``Policy.advise`` on a generated
policy of ``scaling.py``, and the bare C engine alone.

    python benchmarks/instructions.py [--rules 3000] [--signals 30] [--cases 300]

Timings on this shared 2-core machine move by up to 2.6x from one day to the next (the bare engine on the same
code: 0.275 to 0.72 ms for 30 signals on 3,000 rules); instruction counts do not. The script runs itself again under
valgrind's callgrind (valgrind must be installed; it runs about 50x slower) and has callgrind write its counters
each time the child calls ``os.getppid``, which it does only between two steps. Each step runs over the same
``--cases`` cases, after a warm-up, on what the step before made:

* validate: ``Policy.validate_case``;
* facts: ``fact_texts`` (one fact per ruleset visited);
* engine + driver: ``Engine._fire`` (assert, hand out every activation cut to its head, retract);
* bare engine: the same calls on the C API with the facts made beforehand (no driver; ``scaling._engine_ms``);
* rule numbers: reading the rule numbers of the activations (``Engine._numbers``);
* combine: ``Combiner`` on the applicable rules, each set new (the kept decisions forgotten first);
* advise: ``Policy.advise`` whole, each set new.

Instructions are not time: the engine's C code and the interpreter run at different speeds and miss the caches
differently. They tell which step a change makes cheaper, without the machine's noise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEPS = ("validate", "facts", "engine + driver", "bare engine", "rule numbers", "combine", "advise")
CHILD = "GRENZEN_INSTRUCTIONS_CHILD"
MARKER = "os_getppid"  # CPython's C function behind os.getppid


def _child(rules: int, signals: int, count: int) -> None:
    """Under callgrind: set up, then run each step over the cases, ``os.getppid`` before the first and after each."""
    sys.path.insert(0, str(HERE))
    import scaling  # noqa: PLC0415 - the benchmarks folder is on the path only here

    import grenzen
    from grenzen.pipeline._compile import fact_texts

    with tempfile.TemporaryDirectory() as tmp:
        policy = grenzen.load_policy(scaling.write_generated_policy(Path(tmp), rules))
    cases = scaling.generated_cases(200 + count, signals)
    for raw in cases[:200]:  # warm-up: validators built, signal texts and rule parts made
        policy.advise(raw)
    cases = cases[200:]
    compiled, engine, combiner = policy._compiled, policy._engine, policy._combiner
    valid = [policy.validate_case(raw) for raw in cases]
    visits = [compiled.rulesets.visit(case.taak) for case in valid]
    facts = [fact_texts(case, compiled, visit) for case, visit in zip(valid, visits, strict=True)]
    fired = [engine._fire(fact, visit) for fact, visit in zip(facts, visits, strict=True)]
    applicable = [engine._numbers(activations) for activations in fired]
    jobs = scaling._engine_jobs(policy, cases)
    combiner._decided.clear()
    combiner._guarded.clear()
    os.getppid()
    for raw in cases:
        policy.validate_case(raw)
    os.getppid()
    for case, visit in zip(valid, visits, strict=True):
        fact_texts(case, compiled, visit)
    os.getppid()
    for fact, visit in zip(facts, visits, strict=True):
        engine._fire(fact, visit)
    os.getppid()
    scaling._engine_ms(jobs)
    os.getppid()
    for activations in fired:
        engine._numbers(activations)
    os.getppid()
    for rules_found, case in zip(applicable, valid, strict=True):
        combiner(rules_found, case)
    combiner._decided.clear()
    combiner._guarded.clear()
    os.getppid()
    for raw in cases:
        policy.advise(raw)
    os.getppid()


def _counts(directory: Path) -> list[int]:
    """The instructions of each dump callgrind wrote, in order (``out.1``, ``out.2``, ...)."""
    dumps = sorted(directory.glob("out.*"), key=lambda path: int(path.suffix[1:]))
    counts = []
    for dump in dumps:
        found = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(), re.MULTILINE)
        counts.append(int(found.group(1)) if found else 0)
    return counts


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=3000)
    parser.add_argument("--signals", type=int, default=30)
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args(argv)
    if os.environ.get(CHILD):
        _child(args.rules, args.signals, args.cases)
        return {}
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        command = [valgrind, "--tool=callgrind", f"--dump-before={MARKER}", f"--callgrind-out-file={tmp}/out",
                   sys.executable, __file__, "--rules", str(args.rules), "--signals", str(args.signals),
                   "--cases", str(args.cases)]
        environment = {**os.environ, CHILD: "1", "PYTHONHASHSEED": "0"}
        subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        counts = _counts(Path(tmp))
    # dump 1 is the set-up; then one per step (the step's instructions), and the rest after the last marker
    if len(counts) < len(STEPS) + 1:
        sys.exit(f"callgrind wrote {len(counts)} dumps, expected {len(STEPS) + 1} (is {MARKER} the marker here?)")
    per_case = {step: counts[1 + n] / args.cases for n, step in enumerate(STEPS)}
    print(f"{args.rules} rules, {args.signals} signals, {args.cases} cases: instructions per advice (thousands)")
    for step, value in per_case.items():
        print(f"  {step:<16} {value / 1000:>8.0f}   {value / per_case['advise']:>6.1%} of an advice")
    return per_case


if __name__ == "__main__":
    main(sys.argv[1:])
