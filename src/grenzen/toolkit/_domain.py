"""The finite domain of a policy: every case it can tell apart, one representative per class.

The condition language observes a case only through a few questions: is the task one of these, does the
mentor have one of these trainings, is there a signal matching this ``signaal`` block, does the age (or the school
year) lie in this range, does the earlier approach meet this block. Two values that answer every question of the policy
the same way are interchangeable: no rule can tell them apart. So instead of the infinite set of cases we
enumerate one representative per class, and weigh it by how many grid points (kind × severity × task ×
training) it stands for. Which rules apply to a representative is always asked of the engine
(``Policy.applicable``); the classes only choose which cases to ask about.

Enumerated (see "Policy writers' toolkit" in docs/ontwerp.md):

* every task class × (no training, each single training class) × (no signal, each single signal class),
  for each age class, each school-year class and each earlier-approach class;
* pairs of signals only where they can differ from the two single signals: in the task × training classes where a
  rule asks about a signal under `niet` or about several signals, for the signal classes such rules look at and
  the classes that an absolute rule refers away from the mentor (or that are marked ``veiligheid: ja``), at a
  typical age and school year and without earlier approach. The latter are paired so that the analysis sees every
  rule that holds next to a referral (see ``_analysis``: ``mentor-bij-gevaar``). Where only rules that ask for
  several signals and none under `niet` can hold (an exception for one kind next to another, such as
  ``familie_niet_benaderen``, asked for every task), the pairs are only those such a rule needs: one signal for one
  of its blocks and one for another;
* for each counting block (``aantal_signalen``) and each ``minstens`` N of 2 or more that a rule uses with it: in the
  task × training classes where such a rule can hold, per signal class the block counts, a case with that signal and
  N - 1 other counted signals (other classes where there are), one with N signals of that class alone (so a rule
  that allows only some kinds next to the count meets it too), and each with a signal fewer (if that leaves two or
  more); at every age, school-year and earlier-approach class when such a rule also asks about
  those, else at the typical ones.

A counting block counts like a signal block, so its signals are classes of their own (``blocks``).

The cases come in blocks (``Domain.case_blocks``): one context (task, training, age, school year, earlier approach)
with a list of signal lists (``Signals``: no signal and each single class; the pairs; the counting cases), one list
object shared by all the blocks that use it, so that the analysis can ask once per list what the rules that read only
signals find. ``Domain.points`` gives the same cases one by one; a ``Point`` builds its case dict only when asked.

The rules given must have their signal selectors resolved (``Policy.resolved_rules``): a block is read through its
kind lists only (``_signal_matches``).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._models import EFFECTS, MAX_AGE, MAX_YEAR, MIN_AGE, MIN_YEAR, SEVERITIES, SEVERITY_RANK
from ..pipeline._compile import counted, counting_blocks, required_values, signals_with_polarity
from ..pipeline._rulefile import (
    AanpakVoorwaarde,
    LeeftijdVoorwaarde,
    LeerjaarVoorwaarde,
    Regel,
    SignaalVoorwaarde,
)
from ..pipeline._validate import walk

TYPICAL_AGE = 14
TYPICAL_YEAR = 2  # the pairs are at the class of school year 2, when the policy asks about school years


@dataclass(frozen=True)
class Item:
    """One signal class: its representative signal and how many (kind, severity, duration) points it covers."""

    kind: str
    severity: str
    weeks: int | None
    weight: int
    blocks: frozenset[int] = frozenset()  # the policy's signal blocks this signal matches
    safety: bool = False  # a kind marked 'veiligheid: ja' (the combiner's safety guard looks at it)
    away: bool = False  # matches a signal block that an absolute rule with route zorgteam/extern asks for
    index: int = 0  # position in Domain.items

    def signal(self) -> dict[str, Any]:
        out: dict[str, Any] = {"soort": self.kind, "ernst": self.severity}
        if self.weeks is not None:
            out["duur_weken"] = self.weeks
        return out


@dataclass(frozen=True, eq=False)
class Context:
    """What the cases of a block share: everything but their signals, and the grid points that stands for."""

    task: str
    training: tuple[str, ...]
    age: int | None
    year: int | None
    approach: dict[str, Any] | None
    weight: int  # task class size × training class size


@dataclass(frozen=True, eq=False)
class Signals:
    """The signal lists of a block's cases, in enumeration order; one object shared by every block with these lists
    (the analysis caches by it)."""

    cases: list[tuple[Item, ...]]
    weights: list[int] = field(init=False)  # per case: the product of its signals' class sizes
    guards: list[str | None] = field(init=False)  # per case: the kind of its first safety signal, if any
    indexes: list[tuple[int, ...]] = field(init=False)  # per case: its signals' ``Item.index``
    items: dict[int, Item] = field(init=False)  # the signal classes in the cases, by ``Item.index``
    #: when every case has two signals (the pairs): the first signals' and the second signals' ``Item.index``
    pairs: tuple[list[int], list[int]] | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", [math.prod([item.weight for item in case]) for case in self.cases])
        object.__setattr__(self, "guards", list(map(_first_safety_kind, self.cases)))
        object.__setattr__(self, "indexes", [tuple(item.index for item in case) for case in self.cases])
        object.__setattr__(self, "items", {item.index: item for case in self.cases for item in case})
        two = bool(self.cases) and all(len(case) == 2 for case in self.cases)
        object.__setattr__(self, "pairs", ([a for a, _ in self.indexes], [b for _, b in self.indexes]) if two else None)


def _first_safety_kind(case: tuple[Item, ...]) -> str | None:
    for item in case:
        if item.safety:
            return item.kind
    return None


@dataclass(frozen=True)
class Block:
    """Enumerated cases that differ only in their signals: one context, each of ``signals.cases``."""

    context: Context
    signals: Signals

    def points(self) -> Iterator[Point]:
        base = self.context.weight
        for members, weight in zip(self.signals.cases, self.signals.weights, strict=True):
            yield Point(self.context, members, base * weight)


@dataclass(frozen=True, init=False)
class Point:
    """One enumerated case: its context, its signals' classes and the grid points it stands for. The case in the
    contract's format is built when asked for (most points never need it)."""

    context: Context
    members: tuple[Item, ...]  # the signals' classes, in the case's order
    weight: int

    def __init__(self, context: Context, members: tuple[Item, ...], weight: int) -> None:
        # what a frozen dataclass's own __init__ sets, straight into the instance's dict (controleer makes a point per
        # class: 24,000)
        fields = self.__dict__
        fields["context"], fields["members"], fields["weight"] = context, members, weight

    @functools.cached_property
    def case(self) -> dict[str, Any]:
        context = self.context
        return _case(context.task, context.training, context.age, context.approach, self.members, context.year)

    @property
    def signals(self) -> int:
        """How many signals: 0, 1 or 2, or more for a counting block (``count_blocks``)."""
        return len(self.members)

    @property
    def safety(self) -> bool:
        """A signal of a safety kind is present."""
        return True in [item.safety for item in self.members]  # a list: faster than any() over so few

    @property
    def items(self) -> tuple[int, ...]:
        """The signals' classes as indexes into ``Domain.items``."""
        return tuple(item.index for item in self.members)


@dataclass
class Domain:
    """The classes of one or more policies' questions."""

    tasks: list[tuple[str, int]]  # representative, class size
    trainings: list[tuple[tuple[str, ...], int]]  # training sets (none, each class, combinations rules need)
    items: list[Item]
    ages: list[int | None]
    approaches: list[dict[str, Any] | None]
    years: list[int | None] = field(default_factory=lambda: [None])  # school-year classes (None: not given)
    #: per situation with pairs: task, training, weight and its pairs (one ``Signals`` per distinct list of pairs)
    pair_blocks: list[tuple[str, tuple[str, ...], int, Signals]] = field(default_factory=list)
    blocks: list[SignaalVoorwaarde] = field(default_factory=list)  # the distinct signal blocks (Item.blocks)
    positive: list[frozenset[int]] = field(default_factory=list)  # per rule: the blocks it asks for positively
    members: list[list[tuple[str, str, int | None]]] = field(default_factory=list)  # per item: its grid points
    counting: list[int] = field(default_factory=list)  # the blocks (indexes into blocks) that a rule counts
    count_blocks: list[Block] = field(default_factory=list)  # the cases with N signals for counting blocks
    task_members: dict[str, list[str]] = field(default_factory=dict)  # representative -> the tasks of its class

    @property
    def count_points(self) -> list[Point]:
        """The cases with N signals that counting blocks need."""
        return [point for block in self.count_blocks for point in block.points()]

    def points(self, pairs: bool = True) -> Iterator[Point]:
        """Every enumerated case, in a stable order."""
        for block in self.case_blocks(pairs):
            yield from block.points()

    def case_blocks(self, pairs: bool = True) -> Iterator[Block]:
        """Every enumerated case, a block of cases with the same context at a time, in the order of ``points``:
        per context no signal and each signal class; then the pairs; then the counting cases."""
        singles = Signals([(), *((item,) for item in self.items)])
        for task, task_weight in self.tasks:
            for training, training_weight in self.trainings:
                for age, year in itertools.product(self.ages, self.years):
                    for approach in self.approaches:
                        yield Block(Context(task, training, age, year, approach, task_weight * training_weight),
                                    singles)
        if not pairs:
            return
        age = TYPICAL_AGE if TYPICAL_AGE in self.ages else self.ages[0]
        year = max((y for y in self.years if y is not None and y <= TYPICAL_YEAR), default=self.years[0])
        for task, training, base_weight, pairs_here in self.pair_blocks:
            yield Block(Context(task, training, age, year, None, base_weight), pairs_here)
        yield from self.count_blocks

    def exception_pairs(self, rules: Sequence[Regel], setter: int, target: int) -> Iterator[Point]:
        """Cases with two signals where ``rules[setter]`` may set ``rules[target]`` aside although no single signal
        lets both apply: one signal that the setter asks for and one that the target asks for, in every situation
        whose task and training can meet both rules, at every age, school-year and earlier-approach class. Nothing if
        either rule asks for no signal (then the single signals show it)."""
        first = [item for item in self.items if self.positive[setter] & item.blocks]
        second = [item for item in self.items if self.positive[target] & item.blocks]
        if not first or not second:
            return
        both = Signals([(one, other) for one in first for other in second if one.index != other.index])
        tasks = _meets(self.tasks, [required_values(rules[i].als, "taak") for i in (setter, target)], lambda t: {t})
        trainings = _meets(self.trainings, [required_values(rules[i].als, "scholing") for i in (setter, target)], set)
        for (task, task_weight), (training, training_weight) in itertools.product(tasks, trainings):
            for age, year in itertools.product(self.ages, self.years):
                for approach in self.approaches:
                    context = Context(task, training, age, year, approach, task_weight * training_weight)
                    yield from Block(context, both).points()

    def size(self, pairs: bool = True) -> int:
        singles = (len(self.tasks) * len(self.trainings) * len(self.ages) * len(self.years) * len(self.approaches)
                   * (1 + len(self.items)))
        counts = sum(len(block.signals.cases) for block in self.count_blocks)
        return singles + (sum(len(both.cases) for *_, both in self.pair_blocks) + counts if pairs else 0)


def _case(task: str, training: tuple[str, ...], age: int | None, approach: dict[str, Any] | None,
          items: Sequence[Item], year: int | None = None) -> dict[str, Any]:
    case: dict[str, Any] = {}
    if age is not None:
        case["leeftijd"] = age
    if year is not None:
        case["leerjaar"] = year
    case["taak"] = task
    case["signalen"] = [item.signal() for item in items]
    if training:
        case["mentor"] = {"scholing": list(training)}
    if approach is not None:
        case["eerdere_aanpak"] = dict(approach)
    return case


@dataclass
class _Questions:
    """What the rules' condition blocks ask about a case, each kind of question apart."""

    tasks: list[tuple[str, ...]]  # the task lists
    trainings: list[tuple[str, ...]]  # the training lists
    signals: list[SignaalVoorwaarde]  # the distinct signal blocks, counting blocks (without minstens) included
    counting: list[SignaalVoorwaarde]  # the distinct counting blocks, without minstens
    ages: list[LeeftijdVoorwaarde]
    years: list[LeerjaarVoorwaarde]
    approaches: list[AanpakVoorwaarde]  # the distinct earlier-approach blocks


def build_domain(rule_sets: Iterable[list[Regel]], kinds: Sequence[str], tasks: Sequence[str],
                 trainings: Sequence[str], safety: frozenset[str] = frozenset()) -> Domain:
    """The classes of the given vocabulary under every question the given rule sets ask.

    ``safety``: kinds marked ``veiligheid: ja``; the combiner treats them apart, so they never share a class
    with other kinds.
    """
    rules = [rule for rules in rule_sets for rule in rules]
    asked = _questions(rules)
    task_classes = _classes(tasks, lambda t: tuple(t in group for group in asked.tasks))
    training_classes = _classes(trainings, lambda t: tuple(t in group for group in asked.trainings))
    training_sets = _training_sets(rules, training_classes)
    met = {point: [_signal_matches(b, *point) for b in asked.signals] for point in _signal_grid(kinds, asked.signals)}
    item_classes = _classes(list(met), lambda p: (p[0] in safety, *met[p]))
    positive = _positive_blocks(rules, asked.signals)
    items = _items(item_classes, met, _away_blocks(rules, positive), safety)
    interacting = [rule for rule in rules if _interacts(rule)]
    pair_items = _pair_items(interacting, items)
    domain = Domain(
        tasks=[(members[0], len(members)) for members in task_classes],
        trainings=training_sets,
        items=items,
        ages=_ages(asked.ages),
        approaches=_approaches(asked.approaches),
        years=_years(asked.years),
        pair_blocks=_pair_blocks(interacting, task_classes, training_classes, training_sets, pair_items, items,
                                 asked.signals),
        task_members={members[0]: members for members in task_classes},
        blocks=asked.signals,
        positive=positive,
        members=item_classes,
        counting=[_index_of(asked.signals, block) for block in asked.counting],
    )
    domain.count_blocks = list(_count_blocks(domain, rules, task_classes, training_classes, training_sets))
    return domain


def _questions(rules: list[Regel]) -> _Questions:
    """Every question the rules' conditions ask, gathered from all their condition blocks."""
    conditions = [cond for rule in rules for _, cond in walk(rule.als, ())]
    counting = _unique([counted(c.aantal_signalen) for c in conditions if c.aantal_signalen is not None])
    return _Questions(
        tasks=[tuple(c.taak) for c in conditions if c.taak],
        trainings=[tuple(c.scholing) for c in conditions if c.scholing],
        signals=_unique([c.signaal for c in conditions if c.signaal is not None] + counting),
        counting=counting,
        ages=[c.leeftijd for c in conditions if c.leeftijd is not None],
        years=[c.leerjaar for c in conditions if c.leerjaar is not None],
        approaches=_unique([c.eerdere_aanpak for c in conditions if c.eerdere_aanpak is not None]),
    )


def _representatives(classes: list[list[str]]) -> dict[str, str]:
    """Each value's class representative (its first member)."""
    return {value: members[0] for members in classes for value in members}


def _training_sets(rules: list[Regel], training_classes: list[list[str]]) -> list[tuple[tuple[str, ...], int]]:
    """No training, each training class, and each combination of classes that a rule needs at once."""
    training_rep = _representatives(training_classes)
    sets: list[tuple[tuple[str, ...], int]] = [((), 1)] + [((m[0],), len(m)) for m in training_classes]
    for rule in rules:  # a rule that needs several trainings at once gets that combination
        wanted = required_values(rule.als, "scholing") or ()
        needed = tuple(sorted({training_rep[t] for t in wanted if t in training_rep}))
        if len(needed) > 1 and needed not in [s for s, _ in sets]:
            sets.append((needed, 1))
    return sets


def _signal_grid(kinds: Sequence[str], blocks: list[SignaalVoorwaarde]) -> list[tuple[str, str, int | None]]:
    """Every (kind, severity, duration) point: no duration, and each duration bound the blocks use."""
    weeks: list[int | None] = [None] + sorted({b.duur_minstens_weken for b in blocks
                                               if b.duur_minstens_weken is not None})
    return [(k, s, w) for k in kinds for s in SEVERITIES for w in weeks]


def _positive_blocks(rules: list[Regel], blocks: list[SignaalVoorwaarde]) -> list[frozenset[int]]:
    """Per rule: the indexes of the signal blocks it asks for positively (not under ``niet``)."""
    block_index = {block.model_dump_json(): i for i, block in enumerate(blocks)}
    return [frozenset(block_index[block.model_dump_json()] for block, sign in signals_with_polarity(rule.als) if sign)
            for rule in rules]


def _away_blocks(rules: list[Regel], positive: list[frozenset[int]]) -> frozenset[int]:
    """The signal blocks that an absolute rule referring away from the mentor asks for."""
    return frozenset[int]().union(*(positive[i] for i, rule in enumerate(rules)
                                    if rule.absoluut and rule.dan.route != "mentor"))


def _items(item_classes: list[list[tuple[str, str, int | None]]], met: dict[tuple[str, str, int | None], list[bool]],
           away_blocks: frozenset[int], safety: frozenset[str]) -> list[Item]:
    """One signal class each: its first grid point, the class size and the blocks that point matches (``met``: per
    grid point, whether it matches each block)."""
    items = []
    for index, m in enumerate(item_classes):
        matched = frozenset(itertools.compress(itertools.count(), met[m[0]]))
        items.append(Item(m[0][0], m[0][1], m[0][2], len(m), matched, m[0][0] in safety, bool(matched & away_blocks),
                          index))
    return items


def _approaches(blocks: list[AanpakVoorwaarde]) -> list[dict[str, Any] | None]:
    """No earlier approach, and one per class of (weeks, effect) under the policy's earlier-approach blocks."""
    grid: list[tuple[int, str] | None] = [None] + [
        (w, e) for w in sorted({0} | {b.weken_minstens or 0 for b in blocks}) for e in EFFECTS
    ]
    classes = _classes(grid, lambda a: tuple(_approach_matches(b, a) for b in blocks))
    return [None if m[0] is None else {"weken": m[0][0], "effect": m[0][1]} for m in classes]


def _pair_items(interacting: list[Regel], items: list[Item]) -> list[Item]:
    """The signal classes paired: safety kinds, kinds referred away, and those the interacting rules look at."""
    watched = _unique([block for rule in interacting for block, _ in signals_with_polarity(rule.als)])
    return [i for i in items
            if i.safety or i.away or any(_signal_matches(b, i.kind, i.severity, i.weeks) for b in watched)]


def _pair_blocks(interacting: list[Regel], task_classes: list[list[str]], training_classes: list[list[str]],
                 training_sets: list[tuple[tuple[str, ...], int]], pair_items: list[Item], items: list[Item],
                 blocks: list[SignaalVoorwaarde]) -> list[tuple[str, tuple[str, ...], int, Signals]]:
    """(task, training set, weight, pairs) wherever an interacting rule can hold.

    Pairs of signals can only differ from their two single signals through a rule that asks about a signal under
    'niet' or about more than one signal; only where such a rule can hold are pairs enumerated. Where a rule with
    'niet' can hold: every pair of the signals that interacting rules look at (``_pair_items``). Elsewhere only rules
    that ask for several signals, none under 'niet', can hold there, and a pair differs from its singles only when
    its signals meet two of such a rule's blocks: those pairs (``_cross_pairs``).
    """
    negated = [any(not positive for _, positive in signals_with_polarity(rule.als)) for rule in interacting]
    every = Signals(list(itertools.combinations(pair_items, 2)))
    lists: dict[tuple[int, ...], Signals] = {}  # one list per set of rules (the analysis caches by the list)
    out = []
    for task, training, weight, here in _contexts(interacting, task_classes, training_classes, training_sets):
        key = () if any(negated[n] for n in here) else tuple(here)
        both = every if not key else lists.get(key)
        if both is None:
            both = lists[key] = Signals(_cross_pairs([interacting[n] for n in key], items, blocks))
        out.append((task, training, weight, both))
    return out


def _contexts(rules: list[Regel], task_classes: list[list[str]], training_classes: list[list[str]],
              training_sets: list[tuple[tuple[str, ...], int]]) -> list[tuple[str, tuple[str, ...], int, list[int]]]:
    """(task, training set, weight, the rules that can hold there: positions in ``rules``) wherever one of ``rules``
    can hold, as far as task and training tell."""
    task_rep = _representatives(task_classes)
    training_rep = _representatives(training_classes)
    weight_of = dict(training_sets)
    task_weight = {members[0]: len(members) for members in task_classes}
    contexts: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for n, rule in enumerate(rules):
        needed_tasks = required_values(rule.als, "taak")
        rule_tasks = [t for t in task_weight if needed_tasks is None or t in {task_rep[x] for x in needed_tasks}]
        needed_trainings = required_values(rule.als, "scholing")
        rule_trainings = [s for s, _ in training_sets
                          if needed_trainings is None or {training_rep.get(x) for x in needed_trainings} & set(s)]
        for task, training in itertools.product(rule_tasks, rule_trainings):
            contexts.setdefault((task, training), []).append(n)
    return [(task, training, task_weight[task] * weight_of[training], here)
            for (task, training), here in contexts.items()]


def _cross_pairs(rules: list[Regel], items: list[Item], blocks: list[SignaalVoorwaarde]) -> list[tuple[Item, ...]]:
    """The pairs of signal classes that meet two different blocks of one of ``rules`` (each asks for several signals,
    none under 'niet'), in the order ``itertools.combinations`` gives them."""
    pairs: set[tuple[int, int]] = set()
    for rule in rules:
        wanted = [_index_of(blocks, block) for block, _ in signals_with_polarity(rule.als)]
        meeting = [[item.index for item in items if b in item.blocks] for b in wanted]
        for first, second in itertools.combinations(meeting, 2):
            pairs.update((min(a, b), max(a, b)) for a in first for b in second if a != b)
    return [(items[a], items[b]) for a, b in sorted(pairs)]


def _interacts(rule: Regel) -> bool:
    blocks = list(signals_with_polarity(rule.als))
    return len(blocks) > 1 or any(not positive for _, positive in blocks)


def _meets(classes: list[tuple[Any, int]], needs: list[set[str] | None], names: Any) -> list[tuple[Any, int]]:
    """The (representative, weight) classes that every need (one of these names, or None: anything) allows."""
    return [(value, weight) for value, weight in classes if all(need is None or names(value) & need for need in needs)]


def _unique(blocks: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for block in blocks:
        seen.setdefault(block.model_dump_json(), block)
    return list(seen.values())


def _classes(values: Sequence[Any], signature: Any) -> list[list[Any]]:
    """``values`` grouped by signature, each group in input order, groups ordered by their first member."""
    groups: dict[Any, list[Any]] = {}
    for value in values:
        groups.setdefault(signature(value), []).append(value)
    return list(groups.values())


def _signal_matches(block: SignaalVoorwaarde, kind: str, severity: str, weeks: int | None) -> bool:
    if block.soort and kind not in block.soort:
        return False
    if block.behalve_soort and kind in block.behalve_soort:
        return False
    rank = SEVERITY_RANK[severity]
    if block.ernst_minstens and rank < SEVERITY_RANK[block.ernst_minstens]:
        return False
    if block.ernst_hoogstens and rank > SEVERITY_RANK[block.ernst_hoogstens]:
        return False
    return block.duur_minstens_weken is None or (weeks is not None and weeks >= block.duur_minstens_weken)


def _approach_matches(block: AanpakVoorwaarde, approach: tuple[int, str] | None) -> bool:
    if approach is None:
        return False
    weeks, effect = approach
    return weeks >= (block.weken_minstens or 0) and (not block.effect or effect in block.effect)


def _ages(blocks: list[LeeftijdVoorwaarde]) -> list[int | None]:
    """Unknown age, and one age per interval between the policy's age bounds (the typical age if no bounds)."""
    if not blocks:
        return [TYPICAL_AGE]
    cuts = {MIN_AGE}
    for block in blocks:
        if block.vanaf is not None:
            cuts.add(block.vanaf)
        if block.tot_en_met is not None:
            cuts.add(block.tot_en_met + 1)
    starts = sorted(c for c in cuts if MIN_AGE <= c <= MAX_AGE)
    ages: list[int | None] = []
    for start, end in zip(starts, starts[1:] + [MAX_AGE + 1], strict=True):
        ages.append(TYPICAL_AGE if start <= TYPICAL_AGE < end else start)
    return [None] + ages



def _years(blocks: list[LeerjaarVoorwaarde]) -> list[int | None]:
    """No school year (when the policy never asks, only that), else unknown and one school year per interval between
    the policy's school-year bounds (the lowest year of each)."""
    if not blocks:
        return [None]
    cuts = {MIN_YEAR}
    for block in blocks:
        if block.vanaf is not None:
            cuts.add(block.vanaf)
        if block.tot_en_met is not None:
            cuts.add(block.tot_en_met + 1)
    return [None, *sorted(c for c in cuts if MIN_YEAR <= c <= MAX_YEAR)]


def _index_of(blocks: list[SignaalVoorwaarde], block: SignaalVoorwaarde) -> int:
    text = block.model_dump_json()
    return next(i for i, b in enumerate(blocks) if b.model_dump_json() == text)


def _count_blocks(domain: Domain, rules: list[Regel], task_classes: list[list[str]],
                  training_classes: list[list[str]], training_sets: list[tuple[tuple[str, ...], int]],
                  ) -> Iterator[Block]:
    """The cases with N signals that counting blocks need (see the module's docstring), in a stable order."""
    for block in domain.counting:
        text = domain.blocks[block].model_dump_json()
        users = [rule for rule in rules
                 if any(counted(c).model_dump_json() == text for c in counting_blocks(rule.als))]
        thresholds = sorted({c.minstens for rule in users for c in counting_blocks(rule.als)
                             if counted(c).model_dump_json() == text and c.minstens > 1})
        matching = [item for item in domain.items if block in item.blocks]
        if not thresholds or not matching:
            continue
        asks = [cond for rule in users for _, cond in walk(rule.als, ())]
        ages = domain.ages if any(c.leeftijd is not None for c in asks) else [
            TYPICAL_AGE if TYPICAL_AGE in domain.ages else domain.ages[0]]
        years = domain.years if any(c.leerjaar is not None for c in asks) else [
            max((y for y in domain.years if y is not None and y <= TYPICAL_YEAR), default=domain.years[0])]
        approaches = domain.approaches if any(c.eerdere_aanpak is not None for c in asks) else [None]
        sizes = sorted({size for n in thresholds for size in (n - 1, n) if size >= 2})
        piles = Signals(list(_piles(matching, sizes)))
        for task, training, base_weight, _ in _contexts(users, task_classes, training_classes, training_sets):
            for age, year, approach in itertools.product(ages, years, approaches):
                yield Block(Context(task, training, age, year, approach, base_weight), piles)


def _piles(matching: list[Item], sizes: list[int]) -> Iterator[tuple[Item, ...]]:
    """Per counted signal class (the lead): N signals with N - 1 others (other classes where there are) and N of the
    lead's class alone, for each size."""
    for lead in matching:
        others = [item for item in matching if item is not lead]
        fills = [others, [lead]] if others else [[lead]]
        for size, fill in itertools.product(sizes, fills):
            yield (lead, *itertools.islice(itertools.cycle(fill), size - 1))
