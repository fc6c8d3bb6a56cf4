"""Where the C engine's matching work goes, counted, not timed: per case, the alpha nodes the engine visits, the
lookups it makes there and the hash-table slots it walks, on the generated policies of ``scaling.py``.

    python benchmarks/engine_counts.py [--rules 3000] [--signals 1 3 10 30] [--cases 1000]

Timings on a shared 2-core machine vary by 10-50 % from run to run; these counts do not, so a change to the fact
layout or the ruleset layout can be judged by them first and timed (``ab.py``) after. The script builds, once, a copy
of durable-rules 2.0.28 from its source release with counters added to ``handleAlpha`` (src/rules/events.c), under
``.bench/`` (not in git; the build needs the package registry and a C compiler), and loads it instead of the
installed engine, in this process only. What ``handleAlpha`` does at every node it visits (as in the source):

* a node with children by property (``nextOffset``) is a *scan*: for **every** property of the fact it looks up the
  property's hash in the node's table of children (512 slots; the search starts at the hash's low five bits and walks
  on while slots are taken): each walked slot is a *step*, and a step whose property matches is a *hit* (then the
  child's test runs);
* a node with ``$nex`` children walks that list (*list*);
* (*visits*: nodes taken from the walk's stack; *alpha runs*: walks, about one per fact asserted)
* so a scan costs in proportion to the fact's properties, and the steps to how the children crowd the first slots.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent / ".bench" / "durable-rules-counts"
VERSION = "2.0.28"
COUNTERS = ("calls", "visits", "scans", "lookups", "steps", "hits", "lists")

#: (text in src/rules/events.c, what replaces it): each must occur exactly once in the source release
PATCHES = (
    ("static unsigned int handleAlpha(ruleset *tree,",
     "unsigned long long " + ", ".join(f"bench_{name} = 0" for name in COUNTERS) + ";\n"
     "static unsigned int handleAlpha(ruleset *tree,"),
    ("    *messageOffset = UNDEFINED_HASH_OFFSET;\n\n    while (top) {\n        --top;\n",
     "    *messageOffset = UNDEFINED_HASH_OFFSET;\n    ++bench_calls;\n\n    while (top) {\n        --top;\n"
     "        ++bench_visits;\n"),
    ("            for (entry = 0; nextList[entry] != 0; ++entry) {\n                node *listNode",
     "            for (entry = 0; nextList[entry] != 0; ++entry) {\n                ++bench_lists;\n"
     "                node *listNode"),
    ("            unsigned int *nextHashset = &tree->nextPool[currentAlpha->nextOffset];\n"
     "            for(unsigned int propertyIndex = 0;",
     "            unsigned int *nextHashset = &tree->nextPool[currentAlpha->nextOffset];\n"
     "            ++bench_scans; bench_lookups += jo->propertiesLength;\n"
     "            for(unsigned int propertyIndex = 0;"),
    ("                    node *hashNode = &tree->nodePool[nextHashset[entry]];\n"
     "                    if (currentProperty->hash == hashNode->value.a.expression.left.value.id.propertyNameHash) {\n"
     "                        if (hashNode->value.a.expression.right.type == JSON_IDENTIFIER",
     "                    node *hashNode = &tree->nodePool[nextHashset[entry]];\n                    ++bench_steps;\n"
     "                    if (currentProperty->hash == hashNode->value.a.expression.left.value.id.propertyNameHash) {\n"
     "                        ++bench_hits;\n"
     "                        if (hashNode->value.a.expression.right.type == JSON_IDENTIFIER"),
)


def build(cache: Path = CACHE) -> Path:
    """The directory that holds the counting engine, built on first use."""
    target = cache / "lib"
    if any(target.glob("durable_rules_engine*.so")):
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", f"durable-rules=={VERSION}", "--no-binary",
                        ":all:", "--no-deps", "-d", tmp], check=True)
        archive = next(Path(tmp).glob("durable*rules-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        source = next(p for p in Path(tmp).iterdir() if p.is_dir())
        events = source / "src" / "rules" / "events.c"
        text = events.read_text(encoding="utf-8")
        for old, new in PATCHES:
            if text.count(old) != 1:
                raise SystemExit(f"durable-rules {VERSION}: the counting patch does not fit events.c ({old[:50]!r})")
            text = text.replace(old, new)
        events.write_text(text, encoding="utf-8")
        env = {**os.environ, "CPPFLAGS": "-O2 -DPyEval_CallObject=PyObject_CallObject"}
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-cache-dir", "--target",
                        str(target), str(source)], check=True, env=env)
    return target


class Counts:
    """The counters of the loaded counting engine."""

    def __init__(self, library: str) -> None:
        lib = ctypes.CDLL(library)  # the module's own copy: dlopen returns the handle it already has
        self._values = {name: ctypes.c_ulonglong.in_dll(lib, f"bench_{name}") for name in COUNTERS}

    def read(self) -> dict[str, int]:
        return {name: value.value for name, value in self._values.items()}

    def reset(self) -> None:
        for value in self._values.values():
            value.value = 0


def measure(rules: int, signal_counts: list[int], cases: int) -> dict[int, dict[str, float]]:
    """Per signal count: each counter per case, the fact's properties per assert and the activations per case."""
    sys.path.insert(0, str(build()))
    import durable_rules_engine

    if not str(durable_rules_engine.__file__).startswith(str(CACHE)):
        raise SystemExit("the counting engine must be imported before anything else imports durable_rules_engine")
    sys.path.insert(1, str(HERE))
    import scaling

    import grenzen

    counts = Counts(str(durable_rules_engine.__file__))
    result: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        policy = grenzen.load_policy(scaling.write_generated_policy(Path(tmp) / "beleid", rules))
        for signals in signal_counts:
            jobs = scaling._engine_jobs(policy, scaling.generated_cases(cases, signals))
            counts.reset()
            _, fired = scaling._engine_ms(jobs)
            found: dict[str, Any] = {name: n / cases for name, n in counts.read().items()}
            found["properties"] = counts.read()["lookups"] / max(counts.read()["scans"], 1)
            found["activations"] = fired
            result[signals] = found
    return result


def table(result: dict[int, dict[str, float]]) -> str:
    columns = ("calls", "visits", "scans", "properties", "lookups", "steps", "hits", "lists", "activations")
    heads = {"calls": "alpha runs", "properties": "props/scan"}
    lines = ["| signals | " + " | ".join(heads.get(c, c) for c in columns) + " |",
             "|---:|" + "---:|" * len(columns)]
    lines += [f"| {s} | " + " | ".join(f"{row[c]:,.0f}" if c != "properties" else f"{row[c]:.1f}" for c in columns)
              + " |" for s, row in result.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=3000)
    parser.add_argument("--signals", type=int, nargs="+", default=[1, 3, 10, 30])
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args(argv)
    result = measure(args.rules, args.signals, args.cases)
    print(f"{args.rules} rules, per case (means over {args.cases} generated cases); alpha runs: walks of the alpha "
          "network, about one per fact asserted (one fact per ruleset visited)")
    print(table(result))


if __name__ == "__main__":
    main(sys.argv[1:])
