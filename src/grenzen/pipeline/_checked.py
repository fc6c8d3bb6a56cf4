"""The digests of the rules directories whose load-time safety check passed with this code: the bundled default.

``load_policy`` runs the safety check (``_safety``) on every policy it loads, about 65 ms of a 115 ms load of the
default policy, except on a directory whose files are byte for byte these (``_load.digest_of``): the check's answer
follows from the files and the code alone, and tests/test_checked.py runs the check on the bundled policy and fails
when its files no longer have this digest. After changing rules/, run ``python -m grenzen.pipeline._checked``: it
runs the check and, when it passes, writes the new digest here.
"""

from __future__ import annotations

CHECKED: frozenset[str] = frozenset({
    "d20ccc5c13a1274e1700fa30992020f3fee880d339e58cd9f5fdf1df7f5e2657",
})


def _record() -> int:
    """Run the safety check on the bundled policy and, when it passes, write its digest into this file."""
    import re
    from pathlib import Path

    from ._load import default_rules_dir, digest_of, load_source
    from ._policy import Policy
    from ._safety import safety_problems
    from ._validate import validate

    directory = default_rules_dir()
    source = load_source(directory)
    problems = [*source.problems, *validate(source)] or safety_problems(Policy(source), source)
    if problems:
        print("\n".join(str(problem) for problem in problems))
        return 1
    here = Path(__file__)
    text = re.sub(r'frozenset\(\{\n    "[0-9a-f]{64}",\n\}\)', f'frozenset({{\n    "{digest_of(directory)}",\n}})',
                  here.read_text(encoding="utf-8"))
    here.write_text(text, encoding="utf-8")
    print(f"{here}: {digest_of(directory)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_record())
