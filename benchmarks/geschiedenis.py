"""Generate a history of past cases with planted deviations, for ``grenzen samenhang``.

    python benchmarks/geschiedenis.py --aantal 10000 --uit /tmp/geschiedenis.jsonl --plan /tmp/plan.json
    grenzen samenhang /tmp/geschiedenis.jsonl --html /tmp/samenhang.html

Every case is one of the bundled example cases (rules/voorbeelden/*.yaml). The route "actually taken" is the
example's own expected route (``verwacht.route``, written by hand, not computed by the engine), except where a
deviation is planted. The plan file lists every planted deviation per code, so a report can be checked
against it. Planted:

* background noise: 2% of the non-safety cases of every code go one step lighter or heavier;
* ``2B`` handles 30% of its zorgteam cases itself (too light);
* ``3A`` sends 40% of its extern cases only to the zorgteam (too light);
* ``M07`` sends 30% of its mentor cases to the zorgteam (too heavy);
* ``4C`` handles 6 safety cases one step too light (and nothing else unusual).

Safety cases (an absolute rule gives the advice) are found by asking the policy, only to keep noise away from them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import grenzen  # noqa: E402

ROUTES = ["mentor", "zorgteam", "extern"]
CODES = [f"{year}{group}" for year in range(1, 7) for group in "ABC"] + [f"4{g}" for g in "DE"] + [
    f"M{n:02d}" for n in range(1, 11)
]
NOISE = 0.02
PLANTED = {  # code: (expected route of the cases it affects, share, new route)
    "2B": ("zorgteam", 0.30, "mentor"),
    "3A": ("extern", 0.40, "zorgteam"),
    "M07": ("mentor", 0.30, "zorgteam"),
}
SAFETY_CODE, SAFETY_COUNT = "4C", 6


def templates(policy: grenzen.Policy) -> list[tuple[dict, str, bool]]:
    """(case, expected route, safety) for every bundled example."""
    absolute = {rule.id for rule in policy.rules if rule.absoluut}
    out = []
    for path in sorted((ROOT / "rules" / "voorbeelden").glob("*.yaml")):
        for example in yaml.safe_load(path.read_text(encoding="utf-8"))["voorbeelden"]:
            case = dict(example["casus"])
            case.pop("id", None)
            advice = policy.advise(case)
            out.append((case, example["verwacht"]["route"], any(r.regel in absolute for r in advice.redenen)))
    return out


def generate(count: int, seed: int = 1) -> tuple[list[dict], dict]:
    """The history (one dict per line) and the plan: planted deviations per code and direction."""
    rng = random.Random(seed)
    pool = templates(grenzen.load_policy())
    records: list[dict] = []
    plan: dict[str, Counter] = {code: Counter() for code in CODES}
    safety_left = SAFETY_COUNT
    for number in range(count):
        code = CODES[number % len(CODES)]
        case, expected, safety = rng.choice(pool)
        actual = expected
        rank = ROUTES.index(expected)
        if code == SAFETY_CODE and safety and safety_left and rank > 0:
            actual, safety_left = ROUTES[rank - 1], safety_left - 1
            plan[code]["veiligheid te licht"] += 1
        elif code in PLANTED and not safety and PLANTED[code][0] == expected and rng.random() < PLANTED[code][1]:
            actual = PLANTED[code][2]
        elif not safety and rng.random() < NOISE:
            steps = [s for s in (-1, 1) if 0 <= rank + s < len(ROUTES)]
            actual = ROUTES[rank + rng.choice(steps)]
        if actual != expected:
            plan[code]["te licht" if ROUTES.index(actual) < rank else "te zwaar"] += 1
        records.append({"code": code, "casus": {**case, "id": f"c{number}"}, "route": actual})
    notable = {code: "te licht" if ROUTES.index(new) < ROUTES.index(old) else "te zwaar"
               for code, (old, _, new) in PLANTED.items()}
    return records, {
        "aantal": count,
        "seed": seed,
        "per_code": {code: dict(counts) for code, counts in plan.items()},
        "opvallend": notable,
        "veiligheid": {SAFETY_CODE: SAFETY_COUNT - safety_left},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aantal", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--uit", required=True, help="JSON Lines output")
    parser.add_argument("--plan", help="where to write the planted deviations (JSON)")
    args = parser.parse_args()
    records, plan = generate(args.aantal, args.seed)
    with open(args.uit, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if args.plan:
        Path(args.plan).write_text(json.dumps(plan, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    planted = sum(sum(v for k, v in c.items() if k != "veiligheid te licht") for c in plan["per_code"].values())
    print(f"{len(records)} casussen, {planted} geplante afwijkingen, opvallend: {plan['opvallend']}, "
          f"veiligheid: {plan['veiligheid']}")


if __name__ == "__main__":
    main()
