"""Huge inputs on every channel: time to the error and extra peak memory (issue: bounded resources).

    python benchmarks/edges.py [--mb 100]

Each channel runs in a fresh process: the input is made (or written to a file) first, the policy loaded, then
the peak RSS is taken before and after the call. The target: every input up to 100 MB gets its error in < 2 s
and < 200 MB extra memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

CHILD = textwrap.dedent("""
    import io, json, sys, time
    from contextlib import redirect_stderr, redirect_stdout
    import grenzen
    from grenzen.cli import main
    channel, path, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    policy = grenzen.load_policy()
    def status_kb(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    def reset_peak():  # Linux: writing 5 to clear_refs resets VmHWM, the peak RSS, to the current RSS
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    def run():
        if channel == "advise(str)":
            text = '{"taak": "signaleren", "id": "' + "a" * size + '"}'
        elif channel == "advise(bytes)":
            text = b'{"taak": "signaleren", "id": "' + b"a" * size + b'"}'
        elif channel == "advise(dict), unknown key":
            text = {"taak": "signaleren", "x" * size: 1}
        else:
            text = None
        reset_peak()
        base = status_kb("VmRSS")
        start = time.perf_counter()
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
            if text is not None:
                try:
                    policy.advise(text)
                    outcome = "advised?!"
                except grenzen.CaseError as exc:
                    outcome = exc.errors[0].message
            elif channel.startswith("load_policy"):
                try:
                    grenzen.load_policy(path)
                    outcome = "loaded?!"
                except grenzen.PolicyError as exc:
                    outcome = exc.problems[0].message
            else:
                args = json.loads(sys.argv[4])
                rc = main(args)
                outcome = f"exit {rc}: " + (err.getvalue().strip().splitlines() or [""])[-1][:70]
        took = time.perf_counter() - start
        peak = status_kb("VmHWM")
        return took, max(0, peak - base) / 1024, outcome
    took, extra, outcome = run()
    print(json.dumps({"s": took, "mb": extra, "outcome": outcome}))
""")


def _write_files(folder: Path, size: int) -> dict[str, tuple[str, list[str]]]:
    good = '{"taak": "signaleren"}\n'
    case = folder / "casus.json"
    with open(case, "w", encoding="utf-8") as f:
        f.write('{"taak": "signaleren", "id": "' + "a" * size + '"}')
    lines = folder / "casussen.jsonl"
    with open(lines, "w", encoding="utf-8") as f:
        f.write(good + '{"taak": "signaleren", "id": "' + "a" * size + '"}\n' + good)
    history = folder / "geschiedenis.jsonl"
    row = json.dumps({"code": "2A", "casus": {"taak": "signaleren"}, "route": "mentor"})
    with open(history, "w", encoding="utf-8") as f:
        f.write(row + "\n" + '{"code": "2A", "x": "' + "a" * size + '"}\n' + row + "\n")
    rules = folder / "regels"
    rules.mkdir()
    from grenzen.pipeline._policy import default_rules_dir

    for source in default_rules_dir().glob("*.yaml"):
        (rules / source.name).write_bytes(source.read_bytes())
    with open(rules / "groot.yaml", "w", encoding="utf-8") as f:
        f.write("thema: Groot\n# " + "a" * size + "\n")
    return {
        "advies CASUS (file)": (str(case), ["advies", str(case)]),
        "advies CASUSSEN.jsonl (one long line)": (str(lines), ["advies", str(lines)]),
        "samenhang (one long line)": (str(history), ["samenhang", str(history)]),
        "load_policy (a huge rule file)": (str(rules), []),
        "advise(str)": ("", []),
        "advise(bytes)": ("", []),
        "advise(dict), unknown key": ("", []),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="input size in MB (default 100)")
    size = parser.parse_args().mb * 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        channels = _write_files(Path(tmp), size)
        print(f"{'channel':40} {'time':>8} {'extra RSS':>10}  outcome")
        for channel, (path, args) in channels.items():
            result = subprocess.run([sys.executable, "-c", CHILD, channel, path, str(size), json.dumps(args)],
                                    capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                print(f"{channel:40} failed: {result.stderr.strip().splitlines()[-1:]}")
                continue
            row = json.loads(result.stdout)
            print(f"{channel:40} {row['s']:7.3f}s {row['mb']:8.1f} MB  {row['outcome']}")


if __name__ == "__main__":
    main()
