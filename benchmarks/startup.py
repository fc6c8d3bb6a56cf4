"""Start-up costs, each in a fresh process, interleaved in one run (issue 12, point 3).

    python benchmarks/startup.py --repeat 15

Measures, in subprocesses of this interpreter:
  * ``import grenzen``: the time of the import statement inside the child (``import``), the same plus touching the
    pipeline's API (``from grenzen import Policy, load_policy``: every module a program that advises needs,
    ``import+api``), and the whole process (``python -c "import grenzen"``, interpreter start included);
  * ``load_policy()`` of the bundled default policy, timed inside the child after the imports above (``load``);
  * ``grenzen advies voorbeelden/casus.yaml`` end to end, as a user types it (``cli``), next to ``python -c pass``
    (``python``: the interpreter's own start, the floor of every process).

Interleaved: every repetition runs each measurement once, in an order that rotates from repetition to repetition, so
drift of a shared machine (other processes, CPU frequency) falls on all of them alike; the medians are printed, with
the lowest value and the median CPU time (user + system of the child process, or ``time.process_time`` inside it),
which another process's load disturbs less than wall time. Bytecode: the children write and read their ``.pyc``
files under a temporary ``PYTHONPYCACHEPREFIX`` that one warm-up round fills, as an installed package has them (an
environment with ``PYTHONDONTWRITEBYTECODE`` would otherwise compile grenzen's sources in every run).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "voorbeelden" / "casus.yaml"
#: The targets of issue 12, point 3, in milliseconds.
TARGETS = {"import": 100.0, "cli": 300.0}

_CHILD = """
import sys, time
w0, c0 = time.perf_counter(), time.process_time()
import grenzen
w1, c1 = time.perf_counter(), time.process_time()
from grenzen import Policy, load_policy
w2, c2 = time.perf_counter(), time.process_time()
load_policy()
w3, c3 = time.perf_counter(), time.process_time()
sys.stdout.write(" ".join(str(x * 1e3) for x in (w1 - w0, c1 - c0, w2 - w0, c2 - c0, w3 - w2, c3 - c2)))
"""


def _cli_command() -> list[str]:
    """``grenzen`` as installed next to this interpreter, else ``python -m grenzen``."""
    script = Path(sys.executable).with_name("grenzen")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "grenzen"]


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU time (ms) of one child process, and its standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = (time.perf_counter() - start) * 1e3
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3
    return wall, cpu, done.stdout


def measure(repeat: int = 15, verbose: bool = True) -> dict[str, dict[str, float]]:
    """Median, lowest and median CPU time (ms) of each measurement over ``repeat`` interleaved repetitions."""
    with tempfile.TemporaryDirectory(prefix="grenzen-pyc-") as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        python = [sys.executable]
        jobs: dict[str, list[str]] = {
            "python": [*python, "-c", "pass"],
            "import-process": [*python, "-c", "import grenzen"],
            "child": [*python, "-c", _CHILD],
            "cli": [*_cli_command(), "advies", str(CASE.relative_to(ROOT))],
        }
        for command in jobs.values():  # warm-up: fills the bytecode cache
            _run(command, env)
        walls: dict[str, list[float]] = {name: [] for name in [*jobs, "import", "import+api", "load"]}
        cpus: dict[str, list[float]] = {name: [] for name in walls}
        names = list(jobs)
        for round_ in range(repeat):
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            for name in reversed(order) if round_ % 2 else order:
                wall, cpu, out = _run(jobs[name], env)
                walls[name].append(wall)
                cpus[name].append(cpu)
                if name == "child":  # wall and CPU time of each step, measured inside the child
                    numbers = [float(x) for x in out.split()]
                    for index, step in enumerate(("import", "import+api", "load")):
                        walls[step].append(numbers[2 * index])
                        cpus[step].append(numbers[2 * index + 1])
            if verbose:
                print(f"  ronde {round_ + 1}/{repeat}", file=sys.stderr, end="\r")
    results = {name: {"median": statistics.median(values), "min": min(values)} for name, values in walls.items()}
    for name, values in cpus.items():
        results[name]["cpu"] = statistics.median(values)
    return results


def report(results: dict[str, dict[str, float]], repeat: int) -> str:
    """The table: one line per measurement, the targets beside theirs."""
    shown = {
        "python": "python -c pass (the interpreter's start)",
        "import": "import grenzen (in the process)",
        "import-process": "python -c 'import grenzen' (whole process)",
        "import+api": "import grenzen + from grenzen import Policy, load_policy",
        "load": "load_policy() (default policy, after the imports)",
        "cli": "grenzen advies voorbeelden/casus.yaml (end to end)",
    }
    lines = [f"Start-up, {repeat} interleaved repetitions, milliseconds (wall; cpu: user+system time of the process)",
             f"{'':58} {'median':>8} {'min':>8} {'cpu':>8}  target"]
    for name, label in shown.items():
        row = results[name]
        cpu = f"{row['cpu']:8.1f}"
        target = TARGETS.get(name)
        verdict = f"  < {target:.0f} {'ok' if row['median'] < target else 'NOT MET'}" if target else ""
        lines.append(f"{label:58} {row['median']:8.1f} {row['min']:8.1f} {cpu}{verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Measure, print the table, and return the numbers (ms) per measurement: ``median``, ``min`` and ``cpu``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="interleaved repetitions (default 15)")
    args = parser.parse_args(argv)
    results = measure(args.repeat)
    print(report(results, args.repeat))
    return results


if __name__ == "__main__":
    main()
