"""Load-time safety invariant: a signal marked ``veiligheid: ja`` never ends at the mentor.

Two layers. At run time the combiner never lets such a case end at the mentor: it escalates to the
zorgteam with the reason ``SAFETY_GUARD`` (a guarantee whatever the rules say). At load time the policy
must not need that guard for the most urgent cases: each safety kind at ``acuut``, alone, with every task,
without training, with each training and with all of them, is asked of the compiled policy itself (the
engine, not a second matcher). A policy whose own rules leave such a case at the mentor, or do not cover
it, does not load; the problem names the rules involved. ``grenzen controleer`` looks further (every
severity, pairs of signals) and reports every case where the guard fires.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._errors import Problem
from ._combine import FALLBACK, SAFETY_GUARD
from ._load import VOCABULARY_FILE, shown_path

if TYPE_CHECKING:
    from .._models import Advies
    from ._load import Source
    from ._policy import Policy


def safety_problems(policy: Policy, source: Source) -> list[Problem]:
    """One problem per safety kind that can end at the mentor, with a counterexample."""
    vocabulary = policy.vocabulary
    trainings: list[list[str]] = [[]] + [[t] for t in vocabulary.scholing]
    trainings += [list(vocabulary.scholing)] if vocabulary.scholing else []
    by_id = {item.rule.id: item for item in source.rules}
    first_task = next(iter(vocabulary.taken))
    problems = []
    for kind, term in vocabulary.signalen.items():
        if not term.veiligheid:
            continue
        # One validated case per training; for the other tasks (each the vocabulary's own) a copy with that task.
        # The combination reads a case's signals and age, never its task or trainings: within one kind the advice
        # follows from the rules that hold, so it is combined once per set of them (2,618 cases, 374 sets in the
        # default policy). Every case goes through the engine.
        signal = {"soort": kind, "ernst": "acuut"}
        cases = [policy.validate_case({"taak": first_task, "signalen": [signal], "mentor": {"scholing": training}})
                 for training in trainings]
        combined: dict[tuple[int, ...], Advies] = {}
        for task in vocabulary.taken:
            failing = None
            for training, validated in zip(trainings, cases, strict=True):
                case = validated if task == first_task else validated.model_copy(update={"taak": task})
                applicable = tuple(policy.applicable(case))
                advice = combined.get(applicable)
                if advice is None:
                    advice = combined[applicable] = policy.combine(applicable, case)
                if advice.redenen[0].regel == SAFETY_GUARD.regel:
                    failing = (training, advice)
                    break
            if failing is None:
                continue
            training, advice = failing
            rules = [r.regel for r in advice.redenen[1:] if r.regel != FALLBACK.regel]
            first = by_id.get(rules[0]) if rules else None
            where = ((first.file, first.line, first.column) if first
                     else (shown_path(source.directory / VOCABULARY_FILE), 1, 1))
            with_training = f" en scholing {', '.join(training)}" if training else ""
            problems.append(
                Problem(
                    *where,
                    f"veiligheidssignaal '{kind}' (acuut) eindigt volgens de regels bij de mentor of valt buiten het "
                    f"beleid, bij taak '{task}'{with_training}; regels: {', '.join(rules) or 'geen'}",
                    f"geef '{kind}' een absolute regel met route zorgteam of extern",
                    first.rule.id if first else None,
                    "veiligheid-bij-mentor",
                )
            )
            break  # one counterexample per kind is enough to act on
    return problems
