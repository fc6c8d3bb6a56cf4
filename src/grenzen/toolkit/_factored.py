"""Which rules hold for many enumerated cases, with few engine calls: one small engine per group of rules that read
the same case fields, asked once per class of what that group can see.

A condition reads only the case fields its keys name (``taak``, ``scholing``, ``signaal``/``aantal_signalen``,
``leeftijd``, ``leerjaar``, ``eerdere_aanpak``), and it sees them only through its blocks: a task only as one of the
tasks a block names, trainings only as some of the trainings blocks name, a signal only as the signal blocks (and
counting blocks) it meets. So the rules that hold for a case are the union, over the groups of rules with the same
fields, of what each group's own engine finds; and a group answers the same for two cases that look alike through
its blocks. ``controleer`` and ``verschil`` enumerate hundreds of thousands of cases that differ in fields most rules
never read (the default policy: 95 of 130 rules read only the signals); each group's engine is asked once per class
(``tests/test_factored.py`` checks the answers against the whole engine on every enumerated case).

``Factored.answers`` takes a whole block of the domain (one context, a shared list of signal lists): the groups that
read no signals are asked once for the context, and a group that reads signals keeps its answers for the whole list
per view of the context (for the 95 rules that read only signals: one view), so most cases cost a few lookups.

Every answer still comes from an engine (a ``Policy`` of the group's rules): this only chooses which cases to ask.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .._models import Signaal
from ..pipeline._compile import counted
from ..pipeline._policy import Policy
from ..pipeline._rulefile import SignaalVoorwaarde, Voorwaarde, signal_blocks
from ..pipeline._validate import walk
from ._domain import Block, Context, Item, Point, Signals, _signal_matches

FIELDS = ("taak", "scholing", "signalen", "leeftijd", "leerjaar", "eerdere_aanpak")
#: At most this many distinct signal blocks in a group (unless one rule has more). A group is asked once per class
#: of the signals it can tell apart, and for a pair of signals once per pair of classes: the 95 rules of the default
#: policy that read only signals tell nearly every signal class apart (163: some 10,000 pairs to ask), a dozen of
#: them a dozen classes.
SIGNAL_BLOCKS = 8


def reads(cond: Voorwaarde) -> frozenset[str]:
    """The case fields a condition reads (``FIELDS``)."""
    found: set[str] = set()
    for _, block in walk(cond, ()):
        for name in ("taak", "scholing", "leeftijd", "leerjaar", "eerdere_aanpak"):
            if getattr(block, name) is not None:
                found.add(name)
        if signal_blocks(block):
            found.add("signalen")
    return frozenset(found)


@dataclass
class _Group:
    """Rules that read the same fields, their own engine, and what of a case they can see."""

    fields: frozenset[str]
    indexes: list[int]  # the rules' indexes in the whole policy
    policy: Policy  # a policy of these rules only
    tasks: list[frozenset[str]]  # every task list the rules name
    trainings: frozenset[str]  # every training the rules name
    blocks: list[SignaalVoorwaarde]  # every signal block and counted block of the rules
    signatures: dict[tuple[str, str, int | None], int] = field(default_factory=dict)
    numbers: dict[tuple[bool, ...], int] = field(default_factory=dict)  # a number per distinct signature
    task_patterns: dict[str, tuple[bool, ...]] = field(default_factory=dict)
    answers: dict[tuple[Any, ...], tuple[int, ...]] = field(default_factory=dict)  # per (context_key, signal_key)
    # per list of signals: each case's signal_key, and the first case's signals per signal_key
    signal_keys: dict[Signals, tuple[list[Any], dict[Any, tuple[Item, ...]]]] = field(default_factory=dict)
    lists: dict[tuple[Signals, tuple[Any, ...]], list[tuple[int, ...]]] = field(default_factory=dict)  # see answers
    # the lists above by their list of signals and what the group finds for each class of signals: equal lists are one
    shared: dict[tuple[Any, ...], list[tuple[int, ...]]] = field(default_factory=dict)

    # what the group reads, worked out once (``__post_init__``)
    reads_task: bool = field(init=False, default=False)
    reads_trainings: bool = field(init=False, default=False)
    reads_signals: bool = field(init=False, default=False)
    reads_rest: bool = field(init=False, default=False)
    rest_mask: tuple[bool, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        fields = self.fields
        self.reads_task, self.reads_trainings = "taak" in fields, "scholing" in fields
        self.reads_signals = "signalen" in fields
        self.rest_mask = tuple(name in fields for name in ("leeftijd", "leerjaar", "eerdere_aanpak"))
        self.reads_rest = any(self.rest_mask)

    def context_key(self, task: str, trainings: frozenset[str], rest: tuple[Any, Any, Any]) -> tuple[Any, ...]:
        """All that this group's rules can see of a case's task, trainings and (age, school year, approach)."""
        key: tuple[Any, ...] = ()
        if self.reads_task:
            seen_task = self.task_patterns.get(task)
            if seen_task is None:
                seen_task = self.task_patterns[task] = tuple(task in names for names in self.tasks)
            key = (seen_task,)
        if self.reads_trainings:
            key += (self.trainings & trainings,)
        if self.reads_rest:
            key += tuple(value if wanted else None for value, wanted in zip(rest, self.rest_mask, strict=True))
        return key

    def signal_key(self, looks: tuple[tuple[str, str, int | None], ...]) -> Any:
        """All that this group's rules can see of a case's signals, each as (kind, severity, weeks)."""
        if not self.reads_signals:
            return None
        if len(looks) == 1:
            return self.signature(looks[0])
        return tuple(sorted([self.signature(look) for look in looks]))

    def signal_keys_of(self, signals: Signals) -> tuple[list[Any], dict[Any, tuple[Item, ...]]]:
        """``signal_key`` of each case of ``signals``, and the signals of the first case with each key."""
        numbers = {index: self.signature((item.kind, item.severity, item.weeks))
                   for index, item in signals.items.items()}
        if signals.pairs is not None:
            return self._pair_keys_of(signals, numbers)
        number = numbers.__getitem__
        keys: list[Any] = []
        firsts: dict[Any, tuple[Item, ...]] = {}
        for indexes, members in zip(signals.indexes, signals.cases, strict=True):
            if len(indexes) == 1:
                key: Any = number(indexes[0])
            elif len(indexes) == 2:
                a, b = number(indexes[0]), number(indexes[1])
                key = (a, b) if a <= b else (b, a)
            else:
                key = tuple(sorted(map(number, indexes)))
            keys.append(key)
            if key not in firsts:
                firsts[key] = members
        return keys, firsts

    def _pair_keys_of(self, signals: Signals, numbers: dict[int, int],
                      ) -> tuple[list[Any], dict[Any, tuple[Item, ...]]]:
        """``signal_keys_of`` a list of pairs, with no step per pair in Python: each pair as one number (its signals'
        numbers ``a`` and ``b`` as ``a * size + b``), the key of each distinct number, and the first pair of each
        key (the lowest position: a dict keeps the last value given)."""
        assert signals.pairs is not None
        firsts_at, seconds_at = signals.pairs
        size = max(numbers.values()) + 1
        scaled = {index: number * size for index, number in numbers.items()}
        codes = list(map(operator.add, map(scaled.__getitem__, firsts_at), map(numbers.__getitem__, seconds_at)))
        key_of = {code: (a, b) if a <= b else (b, a) for code in set(codes) for a, b in (divmod(code, size),)}
        keys = list(map(key_of.__getitem__, codes))
        first_at = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
        cases = signals.cases
        return keys, {key: cases[at] for key, at in sorted(first_at.items(), key=operator.itemgetter(1))}

    def signature(self, look: tuple[str, str, int | None]) -> int:
        """Which of the group's blocks one signal meets (a count counts the signals that meet its block), numbered."""
        found = self.signatures.get(look)
        if found is None:
            met = tuple(_signal_matches(b, *look) for b in self.blocks)
            found = self.signatures[look] = self.numbers.setdefault(met, len(self.numbers))
        return found


class Factored:
    """The rules of ``policy`` that hold for enumerated cases (contract-format dicts), as ``Policy.applicable``
    finds them, with one engine call per group and class of case (see the module docstring)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        by_fields: dict[frozenset[str], list[int]] = {}
        for index, rule in enumerate(policy.resolved_rules):
            by_fields.setdefault(reads(rule.als), []).append(index)
        self.groups = [self._group(fields, chunk) for fields, indexes in by_fields.items()
                       for chunk in self._chunks(indexes)]
        self._contexts: dict[Context, list[tuple[Any, ...]]] = {}  # per context: each group's context_key
        self._sides: dict[tuple[Signals, tuple[Any, ...]], list[tuple[int, ...]]] = {}  # see split
        self._still: dict[Signals, list[tuple[int, ...]]] = {}  # see _side
        self._touched: dict[tuple[Any, ...], list[tuple[int, ...]]] = {}  # see _side
        self._signals: dict[tuple[str, str, int | None], Signaal] = {}  # see _case_of

    def _chunks(self, indexes: list[int]) -> list[list[int]]:
        """Rules that read the same fields, in runs (in order) that meet at most ``SIGNAL_BLOCKS`` signal blocks."""
        chunks: list[list[int]] = [[]]
        blocks: set[str] = set()
        for i in indexes:
            own = {counted(block).model_dump_json() for _, cond in walk(self.policy.resolved_rules[i].als, ())
                   for block in signal_blocks(cond)}
            if chunks[-1] and len(blocks | own) > SIGNAL_BLOCKS:
                chunks.append([])
                blocks = set()
            chunks[-1].append(i)
            blocks |= own
        return chunks

    def _group(self, fields: frozenset[str], indexes: list[int]) -> _Group:
        source = self.policy.source
        sub = Policy(replace(source, rules=[source.rules[i] for i in indexes]))
        conditions = [cond for i in indexes for _, cond in walk(self.policy.resolved_rules[i].als, ())]
        blocks: dict[str, SignaalVoorwaarde] = {}
        for cond in conditions:
            for block in signal_blocks(cond):
                plain = counted(block)
                blocks.setdefault(plain.model_dump_json(), plain)
        return _Group(
            fields, indexes, sub,
            tasks=list(dict.fromkeys(frozenset(c.taak) for c in conditions if c.taak is not None)),
            trainings=frozenset(name for c in conditions for name in c.scholing or ()),
            blocks=list(blocks.values()),
        )

    def applicable(self, case: dict[str, Any]) -> tuple[int, ...]:
        """Indexes of the rules whose condition holds for ``case``, in policy order."""
        trainings = frozenset((case.get("mentor") or {}).get("scholing") or ())
        looks = tuple((s["soort"], s["ernst"], s.get("duur_weken")) for s in case.get("signalen") or ())
        tried = case.get("eerdere_aanpak")
        rest = (case.get("leeftijd"), case.get("leerjaar"), (tried["weken"], tried["effect"]) if tried else None)
        found: list[int] = []
        for group in self.groups:
            found.extend(self._ask(group, (group.context_key(case["taak"], trainings, rest), group.signal_key(looks)),
                                   lambda: case))
        return tuple(sorted(found))

    def answers(self, block: Block) -> list[tuple[int, ...]]:
        """The rules that hold for each case of ``block`` (``block.signals.cases``), in order (see ``split``)."""
        fixed, side = self.split(block)
        return [tuple(sorted(fixed + rules)) for rules in side]

    def split(self, block: Block) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
        """The rules that hold for the cases of ``block``, in two parts: what the groups that read no signals find for
        the block's context (asked once, in policy order), and per case what the groups that read signals find. The
        latter list is one object per list of signals and what those groups find for it, shared by every block with
        both (however the groups see the blocks' contexts): for the groups that read only signals, one per list of
        signals. Its entries are not sorted: each
        is what those groups find one after the other, the groups in a fixed order (``_merged``); since no two groups
        share a rule, two entries are equal exactly when they hold the same rules."""
        context = block.context
        keys = self._context_keys(context)
        fixed: list[int] = []
        for group, key in zip(self.groups, keys, strict=True):
            if not group.reads_signals:
                fixed.extend(self._ask(group, (key, None), functools.partial(self._case_of, context, ())))
        seen = (block.signals, tuple(key for group, key in zip(self.groups, keys, strict=True) if group.reads_signals))
        side = self._sides.get(seen)
        if side is None:
            side = self._sides[seen] = self._side(block)
        return tuple(sorted(fixed)), side

    def _side(self, block: Block) -> list[tuple[int, ...]]:
        """What the groups that read signals find per case of ``block`` (their context views ``keys``): the groups
        that read only signals merged once per list of signals, the others added per view."""
        signals = block.signals
        keys = self._context_keys(block.context)
        reading = [(group, key) for group, key in zip(self.groups, keys, strict=True) if group.reads_signals]
        still = self._still.get(signals)
        if still is None:
            still = self._still[signals] = _merged(
                [self._signal_answers(group, key, block) for group, key in reading if not key],
                len(signals.cases))
        moving = [self._signal_answers(group, key, block) for group, key in reading if key]
        if not moving:
            return still
        # views that find the same rules for the same cases share one list (``_classes`` sums a list up once, and
        # counts the blocks that share it together): a group's equal lists are one object (``_signal_answers``)
        side = self._touched.get((signals, *map(id, moving)))
        if side is None:
            side = self._touched[(signals, *map(id, moving))] = _merged([still, *moving], len(signals.cases))
        return side

    def applicable_at(self, point: Point) -> tuple[int, ...]:
        """``applicable`` for an enumerated case, without building it unless an engine is asked."""
        keys = self._context_keys(point.context)
        looks = _looks(point.members)
        found: list[int] = []
        for group, key in zip(self.groups, keys, strict=True):
            found.extend(self._ask(group, (key, group.signal_key(looks)), lambda: point.case))
        return tuple(sorted(found))

    def _signal_answers(self, group: _Group, key: tuple[Any, ...], block: Block) -> list[tuple[int, ...]]:
        """What a group that reads signals finds for each case of ``block``, its context seen as ``key`` (worked out
        once per list of signals and ``key``, the engine asked once per class of signals the group tells apart)."""
        signals = block.signals
        found = group.lists.get((signals, key))
        if found is None:
            seen = group.signal_keys.get(signals)
            if seen is None:
                seen = group.signal_keys[signals] = group.signal_keys_of(signals)
            keys_of, firsts = seen
            answers = group.answers
            table: dict[Any, tuple[int, ...]] = {}
            for signal_key, members in firsts.items():
                answer = answers.get((key, signal_key))
                if answer is None:
                    case = functools.partial(self._case_of, block.context, members)
                    answer = self._ask(group, (key, signal_key), case)
                table[signal_key] = answer
            # views of the context that find the same rules for every class of signals share one list (see ``_side``)
            alike = (signals, *table.items())
            found = group.shared.get(alike)
            if found is None:
                found = group.shared[alike] = list(map(table.__getitem__, keys_of))
            group.lists[(signals, key)] = found
        return found

    def _context_keys(self, context: Context) -> list[tuple[Any, ...]]:
        """Each group's ``context_key`` of a context, worked out once per context."""
        keys = self._contexts.get(context)
        if keys is None:
            tried = context.approach
            rest = (context.age, context.year, (tried["weken"], tried["effect"]) if tried else None)
            trainings = frozenset(context.training)
            keys = self._contexts[context] = [group.context_key(context.task, trainings, rest)
                                              for group in self.groups]
        return keys

    def _case_of(self, context: Context, members: tuple[Item, ...]) -> dict[str, Any]:
        """The case in the contract's format of a context with these signals (``Point.case``), each signal as the
        policy validated it once: validating the case takes a validated signal as it is (about half the time)."""
        case = Point(context, (), 1).case
        signals = self._signals
        for item in members:
            look = (item.kind, item.severity, item.weeks)
            signal = signals.get(look)
            if signal is None:
                signal = signals[look] = self.policy.validate_case({"taak": context.task,
                                                                     "signalen": [item.signal()]}).signalen[0]
            case["signalen"].append(signal)
        return case

    def _ask(self, group: _Group, key: tuple[Any, Any], case: Callable[[], dict[str, Any]]) -> tuple[int, ...]:
        """What ``group`` finds for the class ``key`` of cases: the engine's answer for ``case()`` the first time."""
        answer = group.answers.get(key)
        if answer is None:
            valid = self.policy.validate_case(case())
            answer = group.answers[key] = tuple(group.indexes[i] for i in group.policy.applicable(valid))
        return answer


def _merged(lists: list[list[tuple[int, ...]]], size: int) -> list[tuple[int, ...]]:
    """Per case, the rules of every list together: each list's one after the other, in the order of the lists (not
    sorted again: cases are told apart and counted by these, and only the few classes of them are sorted). Most
    lists find rules for few cases or none (a group that reads the task as well finds nothing at most tasks): each
    is added only where it finds some, and when only the first finds any, the result is the first list itself."""
    if not lists:
        return [()] * size
    together = lists[0]
    copied = False
    for more in lists[1:]:
        found = list(itertools.compress(range(size), more))
        if not found:
            continue
        if not copied:
            together, copied = list(together), True
        for position in found:
            together[position] += more[position]
    return together




def _looks(members: tuple[Item, ...]) -> tuple[tuple[str, str, int | None], ...]:
    return tuple((item.kind, item.severity, item.weeks) for item in members)
