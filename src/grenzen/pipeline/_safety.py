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

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING

from .._errors import Problem
from ._combine import FALLBACK, SAFETY_GUARD, refers_away
from ._load import VOCABULARY_FILE, shown_path
from ._validate import walk

if TYPE_CHECKING:
    from .._models import Advies, Casus
    from ._load import LoadedRule, Source
    from ._policy import Policy
    from ._rulefile import Voorwaarde


#: The digests (``_load.digest_of``) of the rules directories on which this check passed with this code: the bundled
#: default policy. ``load_policy`` skips the check (about 65 ms of a 115 ms load of the default) for a directory whose
#: files are byte for byte these: the answer follows from the files and the code alone. tests/test_checked.py runs
#: the check on the bundled policy and, when rules/ changed, fails with the digest to put here.
CHECKED: frozenset[str] = frozenset({
    "c2bf23035a94f9f10c5368d32304816673a85c7b9ef173560d45e7c80bd2cbfd",
})

def safety_problems(policy: Policy, source: Source) -> list[Problem]:
    """One problem per safety kind that can end at the mentor, with a counterexample."""
    vocabulary = policy.vocabulary
    trainings: list[list[str]] = [[]] + [[t] for t in vocabulary.scholing]
    trainings += [list(vocabulary.scholing)] if vocabulary.scholing else []
    by_id = {item.rule.id: item for item in source.rules}
    first_task = next(iter(vocabulary.taken))
    split = _Split(policy, source)
    problems = []
    for kind, term in vocabulary.signalen.items():
        if not term.veiligheid:
            continue
        # One validated case per training (with the first task); for the other tasks (each the vocabulary's own) a
        # copy with that task. The combination reads a case's signals and age, never its task or trainings: within
        # one kind the advice follows from the rules that hold, so it is combined once per set of them (2,618 cases,
        # 374 sets in the default policy).
        signal = {"soort": kind, "ernst": "acuut"}
        cases = [policy.validate_case({"taak": first_task, "signalen": [signal], "mentor": {"scholing": training}})
                 for training in trainings]
        kind_split = split.of_kind(first_task, trainings, cases)
        if kind_split.settled:
            continue
        combined: dict[tuple[int, ...], Advies] = {}
        for task in vocabulary.taken:
            failing = None
            for index, case, applicable in kind_split.holding(task):
                advice = combined.get(applicable)
                if advice is None:
                    advice = combined[applicable] = policy.combine(applicable, case())
                if _left_at_mentor(advice):
                    failing = (trainings[index], advice)
                    break
            if failing is None:
                continue
            problems.append(_problem(source, by_id, kind, task, *failing))
            break  # one counterexample per kind is enough to act on
    return problems


def _left_at_mentor(advice: Advies) -> bool:
    """The guard gave the advice because the rules left the case at the mentor or did not cover it; it also acts where
    a referral that is not absolute took the case, which the rules did not leave at the mentor."""
    return advice.redenen[0].regel == SAFETY_GUARD.regel and all(
        reason.route == "mentor" or reason.regel == FALLBACK.regel for reason in advice.redenen[1:])


def _problem(source: Source, by_id: dict[str, LoadedRule], kind: str, task: str, training: list[str],
             advice: Advies) -> Problem:
    """The problem of a safety kind whose case (``task``, ``training``) the rules leave at the mentor."""
    # the rules that left it at the mentor: those the guard set aside, then the absolute ones (they stay)
    rules = [o.regel for o in advice.opzij_gezet if o.door == SAFETY_GUARD.regel]
    rules += [r.regel for r in advice.redenen[1:] if r.regel != FALLBACK.regel]
    first = by_id.get(rules[0]) if rules else None
    where = ((first.file, first.line, first.column) if first
             else (shown_path(source.directory / VOCABULARY_FILE), 1, 1))
    with_training = f" en scholing {', '.join(training)}" if training else ""
    return Problem(
        *where,
        f"veiligheidssignaal '{kind}' (acuut) eindigt volgens de regels bij de mentor of valt buiten het "
        f"beleid, bij taak '{task}'{with_training}; regels: {', '.join(rules) or 'geen'}",
        f"geef '{kind}' een absolute regel met route zorgteam of extern",
        first.rule.id if first else None,
        "veiligheid-bij-mentor",
    )


class _Split:
    """The rules that hold for the check's cases, with fewer calls of the whole engine.

    A condition reads only the case fields its keys name: a rule without ``scholing`` in its condition holds or not
    whatever the mentor's trainings, one without ``taak`` whatever the task. So for a task other than the first and
    some training, the rules that hold are: those that hold for (that task, no training) and read no training; those
    that hold for (the first task, that training) and read trainings but not the task; and, of the rules that read
    both, those that a policy of only these rules (its own small engine) finds. Those rules read a task only as one
    of the tasks they name and trainings only as some of the trainings they name, so their answer is asked once per
    kind of signal for each pattern of named tasks and named trainings. Every answer still comes from an engine; in
    the default policy 5 of 130 rules read both: the whole engine runs 476 times instead of 2,618, the small one 204.

    Some cases need not be asked at all. An absolute rule that refers the case away (``refers_away``) and that no rule
    names in ``zet_opzij`` is never set aside, so when it holds the route is not the mentor's and the guard cannot
    fire (``Combiner``). Such a rule that reads no training and holds for (a task, no training) holds for that task
    with every training: the task's other cases are skipped; one that reads neither task nor training and holds for
    (the first task, no training) holds for every case of that kind: the kind is skipped (``_KindSplit.settled``). A
    policy with an absolute rule for its safety kinds is checked with one engine call per kind.
    """

    def __init__(self, policy: Policy, source: Source) -> None:
        self.policy = policy
        self.source = source
        named = {name for rule in policy.rules for name in rule.zet_opzij}
        away = {i: _reads(rule.als) for i, rule in enumerate(policy.rules)
                if refers_away(rule) and rule.id not in named}
        #: absolute referrals that no rule sets aside and that read no training: they settle a task's cases
        self.settles_task = frozenset(i for i, (_, training) in away.items() if not training)
        #: of those, the ones that read no task either: they settle every case of a kind
        self.settles_kind = frozenset(i for i, (task, training) in away.items() if not task and not training)
        self._task_patterns: dict[str, tuple[bool, ...]] = {}
        self._both_policy: Policy | None = None

    @cached_property
    def _read(self) -> list[tuple[bool, bool]]:
        """What each rule reads (task, trainings): needed only for a kind that no rule settles."""
        return [_reads(rule.als) for rule in self.policy.rules]

    @cached_property
    def no_training(self) -> frozenset[int]:
        return frozenset(i for i, (_, training) in enumerate(self._read) if not training)

    @cached_property
    def training_only(self) -> frozenset[int]:
        return frozenset(i for i, (task, training) in enumerate(self._read) if training and not task)

    @cached_property
    def both(self) -> list[int]:
        return [i for i, (task, training) in enumerate(self._read) if task and training]

    @cached_property
    def both_set(self) -> frozenset[int]:
        return frozenset(self.both)

    @cached_property
    def _both_blocks(self) -> list[Voorwaarde]:
        return [cond for i in self.both for _, cond in walk(self.policy.rules[i].als, ())]

    @cached_property
    def task_lists(self) -> list[frozenset[str]]:
        return list(dict.fromkeys(frozenset(cond.taak) for cond in self._both_blocks if cond.taak is not None))

    @cached_property
    def named_trainings(self) -> frozenset[str]:
        return frozenset(name for cond in self._both_blocks for name in cond.scholing or ())

    def both_applicable(self, case: Casus) -> list[int]:
        """The rules that read both task and trainings and hold for ``case``, asked of a policy of only these rules
        (made at the first question)."""
        if self._both_policy is None:
            self._both_policy = type(self.policy)(replace(self.source,
                                                          rules=[self.source.rules[i] for i in self.both]))
        return [self.both[j] for j in self._both_policy.applicable(case)]

    def of_kind(self, first_task: str, trainings: list[list[str]], cases: list[Casus]) -> _KindSplit:
        """The split for the cases of one kind of signal: ``cases`` has the first task with each training."""
        return _KindSplit(self, first_task, trainings, cases)

    def pattern(self, task: str, training: list[str]) -> tuple[tuple[bool, ...], frozenset[str]]:
        """All that the rules reading both task and trainings can see of a task and a training."""
        seen = self._task_patterns.get(task)
        if seen is None:  # once per task: a large policy names hundreds of task lists
            seen = self._task_patterns[task] = tuple(task in names for names in self.task_lists)
        return seen, self.named_trainings.intersection(training)


class _KindSplit:
    """``_Split`` for one kind of signal: the whole engine's answers for the first task (each asked once, when first
    needed), and the answers of the rules that read both, per pattern (see ``_Split.pattern``). ``settled``: a rule
    that holds for every case of this kind keeps them all from the mentor (see ``_Split``)."""

    def __init__(self, split: _Split, first_task: str, trainings: list[list[str]], cases: list[Casus]) -> None:
        self.split, self.first_task, self.trainings, self.cases = split, first_task, trainings, cases
        self.both_hold: dict[tuple[tuple[bool, ...], frozenset[str]], list[int]] = {}
        self._noted: list[tuple[str, list[str], tuple[int, ...]]] = []  # whole-engine answers not yet in both_hold
        self._first: list[tuple[int, ...] | None] = [None] * len(cases)
        self.settled = not split.settles_kind.isdisjoint(self.first(0))

    def first(self, index: int) -> tuple[int, ...]:
        """The rules that hold for the first task with training ``index``: the whole engine, once."""
        held = self._first[index]
        if held is None:
            held = self._first[index] = tuple(self.split.policy.applicable(self.cases[index]))
            self._note(self.first_task, self.trainings[index], held)
        return held

    def _note(self, task: str, training: list[str], held: tuple[int, ...]) -> None:
        """Keep a whole-engine answer: it gives the rules that read both for its pattern (worked out only when a
        pattern is looked up, so a settled kind never asks what the rules read)."""
        self._noted.append((task, training, held))

    def _both_holding(self, pattern: tuple[tuple[bool, ...], frozenset[str]]) -> list[int] | None:
        """The rules that read both and hold for ``pattern``, if an answer so far gives them."""
        if self._noted:
            both = self.split.both_set
            for task, training, held in self._noted:
                self.both_hold.setdefault(self.split.pattern(task, training), [i for i in held if i in both])
            self._noted.clear()
        return self.both_hold.get(pattern)

    def holding(self, task: str) -> Iterator[tuple[int, Callable[[], Casus], tuple[int, ...]]]:
        """For ``task``: each training's index, its case (made when asked) and the rules that hold, in order; nothing
        more once a rule settles the task (see ``_Split``). Lazy: the caller stops at the first case the guard has to
        refer."""
        split = self.split
        untrained: tuple[int, ...] = ()
        for index, validated in enumerate(self.cases):
            if task == self.first_task:
                held = self.first(index)
                if index == 0 and not split.settles_task.isdisjoint(held):
                    return
                yield index, _given(validated), held
                continue
            case = _copy_with_task(validated, task)
            if index == 0:  # no training (the first of the trainings): the whole engine
                untrained = tuple(split.policy.applicable(case()))
                self._note(task, self.trainings[0], untrained)
                if not split.settles_task.isdisjoint(untrained):
                    return
                yield index, case, untrained
                continue
            kept = [i for i in untrained if i in split.no_training]
            kept += [i for i in self.first(index) if i in split.training_only]
            pattern = split.pattern(task, self.trainings[index])
            both = self._both_holding(pattern)
            if both is None:
                both = self.both_hold[pattern] = split.both_applicable(case())
            yield index, case, tuple(sorted(kept + both))


def _given(case: Casus) -> Callable[[], Casus]:
    return lambda: case


def _copy_with_task(case: Casus, task: str) -> Callable[[], Casus]:
    """``case`` with another task (one of the vocabulary's), made on the first call."""
    made: list[Casus] = []

    def make() -> Casus:
        if not made:
            made.append(case.model_copy(update={"taak": task}))
        return made[0]

    return make


def _reads(condition: Voorwaarde) -> tuple[bool, bool]:
    """Whether a condition reads the case's task, and whether it reads the mentor's trainings."""
    blocks = [cond for _, cond in walk(condition, ())]
    return any(c.taak is not None for c in blocks), any(c.scholing is not None for c in blocks)


def always_set_aside(policy: Policy) -> frozenset[str]:
    """The rules with route mentor, not absolute, that hold only with a safety signal: an absolute referral or the
    safety guard sets each aside wherever it holds. The policy document puts them apart (a trial's overlay rule was
    printed under "Hoort bij de mentor"), and ``controleer`` says why such a rule is ``overschaduwd``."""
    safety = policy.safety_kinds
    return frozenset(rule.id for rule in policy.resolved_rules
                     if rule.dan.route == "mentor" and not rule.absoluut and _needs_a_safety_signal(rule.als, safety))


def _needs_a_safety_signal(cond: Voorwaarde, safety: frozenset[str]) -> bool:
    """Does ``cond`` (selectors resolved) hold only for a case with a signal of a safety kind? Every key of a block
    must hold; one alternative of ``een_van`` suffices; ``niet`` never asks for a signal."""
    blocks = [block for block in (cond.signaal, cond.aantal_signalen) if block is not None]
    return (any(block.soort is not None and safety.issuperset(block.soort) for block in blocks)
            or any(_needs_a_safety_signal(child, safety) for child in cond.alle or ())
            or (bool(cond.een_van) and all(_needs_a_safety_signal(child, safety) for child in cond.een_van or ())))
