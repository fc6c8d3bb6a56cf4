"""Load-time safety invariant: a signal marked ``veiligheid: ja`` never ends at the mentor.

Checked by enumeration through the compiled policy itself (the engine, not a second matcher): each
safety kind at ``acuut``, alone, with every task, without training, with each training and with all
of them. A policy that breaks it does not load; the problem names the rules that gave the mentor route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import Problem

if TYPE_CHECKING:
    from ._load import Source
    from ._policy import Policy


def safety_problems(policy: Policy, source: Source) -> list[Problem]:
    """One problem per safety kind that can end at the mentor, with a counterexample."""
    vocabulary = policy.vocabulary
    trainings = [[]] + [[t] for t in vocabulary.scholing] + ([list(vocabulary.scholing)] if vocabulary.scholing else [])
    by_id = {item.rule.id: item for item in source.rules}
    problems = []
    for kind, term in vocabulary.signalen.items():
        if not term.veiligheid:
            continue
        for task in vocabulary.taken:
            failing = None
            for training in trainings:
                case = {"taak": task, "signalen": [{"soort": kind, "ernst": "acuut"}], "mentor": {"scholing": training}}
                advice = policy.advise(case)
                if advice.route == "mentor":
                    failing = (training, advice)
                    break
            if failing is None:
                continue
            training, advice = failing
            rules = [r.regel for r in advice.redenen]
            first = by_id.get(rules[0]) if rules else None
            where = (first.file, first.line, first.column) if first else ("woordenlijst.yaml", 1, 1)
            with_training = f" en scholing {', '.join(training)}" if training else ""
            problems.append(
                Problem(
                    *where,
                    f"veiligheidssignaal '{kind}' (acuut) eindigt bij de mentor bij taak '{task}'{with_training}; "
                    f"regels: {', '.join(rules) or 'geen'}",
                    f"geef '{kind}' een absolute regel met route zorgteam of extern",
                    first.rule.id if first else None,
                )
            )
            break  # one counterexample per kind is enough to act on
    return problems
