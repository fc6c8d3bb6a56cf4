"""Step 3, compile: rule conditions become durable_rules rulesets, and cases become facts.

Engine facts (see docs/ontwerp.md, "Driving durable_rules safely", for the traps behind each choice):

* ``$iany``/``$iall`` only ever hold a single comparison or an ``$and`` chain. The C matcher lets a
  later property overwrite an earlier match inside array operators, so a cross-field ``$or`` inside
  them gives wrong answers; we never emit one.
* A signal block is a mark: the fact writer sets ``p<n>: 1`` when some signal of the case meets
  block ``n`` and leaves the field out otherwise, so the block is ``$ex`` (under ``niet``: ``$nex``,
  safe because every rule also tests the group field) on one scalar, with no array test at all.
  Marks are given to the distinct blocks in policy order while the fact stays within its 255
  properties (``_marks``); blocks past that keep the list layout below.
* Negation is pushed down to single comparisons (no ``$not``). An unmarked negated signal
  condition is one ``$iall`` over the list of all signals with an ``$and`` chain of ``$neq`` on one
  item field: the kind, or a copy of the kind that the fact writer blanks (``"_"``) for signals
  outside the condition's bounds. That list and the training list carry a sentinel item, so "for
  all items" is never asked of an empty list; absent values are -1 or ``"_"``.
* Every rule is AND-ed with its group's test on a field that only case facts carry; groups and rulesets stay
  small, which keeps the engine away from its stack limit (error 303) and its fan-out hang.
* The fact stays below the engine's 255 properties per fact (error 302): the group field, seven
  fixed fields, the counting fields, the marks and, only when some blocks are unmarked, one list
  per kind the case has (at most 50).
* A condition too large for one engine rule (31 expression slots, two per ``$and``/``$or``: error
  113; at most ``TERMS_PER_GROUP`` alternatives) is spread over several engine rules ``r<i>.<j>``.
  ``Rulesets.circuits`` says how their firings combine (any/all) into rule ``r<i>``: the engine
  still evaluates every comparison, Python only combines which engine rules fired.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, compress
from typing import Any, Literal, TypeAlias

from .._models import MAX_SIGNALS, SEVERITY_RANK, Casus
from ._rulefile import (
    AanpakVoorwaarde,
    AantalVoorwaarde,
    LeeftijdVoorwaarde,
    LeerjaarVoorwaarde,
    Regel,
    SignaalVoorwaarde,
    Voorwaarde,
)

# --- a small boolean algebra over engine expressions -------------------------------------------


@dataclass(frozen=True, slots=True)
class Const:
    """A condition that always (``True``) or never (``False``) holds; folded away before the engine sees it."""

    value: bool
    size: tuple[int, int] = field(default=(0, 1), init=False, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Atom:
    """One engine test, already in durable_rules JSON (a comparison, or an ``$iany``/``$iall`` over a list)."""

    test: dict[str, Any]
    #: (``$and``/``$or`` nodes, DNF terms) as the engine builds it (``_measure``), worked out once
    size: tuple[int, int] = field(default=(0, 1), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", (_json_nodes(self.test), 1))


@dataclass(frozen=True, slots=True)
class And:
    """All parts hold (two or more, none an ``And`` or a ``Const``: see ``_and``)."""

    parts: tuple[Expr, ...]
    size: tuple[int, int] = field(default=(0, 1), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", _joined(self.parts, True))


@dataclass(frozen=True, slots=True)
class Or:
    """One of the parts holds (two or more, none an ``Or`` or a ``Const``: see ``_or``)."""

    parts: tuple[Expr, ...]
    size: tuple[int, int] = field(default=(0, 1), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", _joined(self.parts, False))


Expr: TypeAlias = And | Or | Atom | Const
TRUE = Const(True)
FALSE = Const(False)

ABSENT = -1
#: How many signal texts a compiled policy keeps (``Compiled.signal_texts``; then it starts again).
SIGNAL_TEXTS_KEPT = 8192
NO_TEXT = "_"  # no kind, no training, no effect: names start with a letter, so this never equals one
ALL_SIGNALS = "s"
TRAININGS = "t"
KIND = "k"  # the item field with the signal's kind, in the list of all signals
RANGE_FIELDS = {"leeftijd": "lft", "leerjaar": "lj"}  # the fact fields of the range conditions (-1: unknown)
# The sentinel item of the list of all signals: severity 0 < any real one, duration -1, no kind. The
# compiled policy adds its bound fields (``Compiled.bounds``), all ``"_"``.
SENTINEL = {"e": 0, "d": ABSENT, KIND: NO_TEXT}
# The C matcher walks alpha nodes with a 64-slot stack (error 303 when full). Every group test of a
# ruleset matches every fact, so the stack peaks near (groups per ruleset + terms in one group);
# measured: 16 groups x 48 terms fits, 16 x 56 does not. We keep 16 x 40.
RULES_PER_GROUP = 12
TERMS_PER_GROUP = 40
GROUPS_PER_RULESET = 16
# Each $and/$or of one engine rule takes two of its 31 expression slots (MAX_SEQUENCE_EXPRESSIONS 32
# in rete.h, checked by APPEND_EXPRESSION in rete.c createAlpha: error 113), the group test's $and
# included. Leaves take none (we never compare two fields).
MAX_NODES = 15
#: Most distinct bound combinations negated signal conditions may use: each is one field on every item
#: of the list of all signals, and an item may have 255 properties (error 302) with ``e``, ``d``, ``k``.
MAX_NEGATED_BOUNDS = 200
#: Most distinct counting blocks (``aantal_signalen`` without ``minstens``) a policy may use: each is one number on
#: every fact, beside the group field, 7 fixed fields and 50 lists of one kind (255 in all, error 302).
MAX_COUNTS = 150
#: Properties an engine fact may have (error 302), and the fields every fact may carry besides the group field, counts,
#: marks and lists: taak, lft, lj, t, ea_w, ea_e, s, sid, id.
FACT_PROPERTIES = 255
FIXED_FIELDS = 9
MARK = "p"  # the marks are p0, p1, …: no other fact field starts with it
GROUP = "_g"  # the group field: 1 on every case fact; each group of rules tests it with a test of its own


def _and(parts: Iterable[Expr]) -> Expr:
    """The conjunction of ``parts``: constants folded, nested ``And`` flattened, one part returned as itself."""
    flat: list[Expr] = []
    for part in parts:
        match part:
            case Const(value=False):
                return FALSE
            case Const(value=True):
                continue
            case And(parts=inner):
                flat.extend(inner)
            case _:
                flat.append(part)
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def _or(parts: Iterable[Expr]) -> Expr:
    """The disjunction of ``parts``: constants folded, nested ``Or`` flattened, one part returned as itself."""
    flat: list[Expr] = []
    for part in parts:
        match part:
            case Const(value=True):
                return TRUE
            case Const(value=False):
                continue
            case Or(parts=inner):
                flat.extend(inner)
            case _:
                flat.append(part)
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def _combine(parts: Iterable[Expr], conj: bool) -> Expr:
    """``_and`` of ``parts`` if ``conj``, else ``_or``."""
    return _and(parts) if conj else _or(parts)


# --- conditions ---------------------------------------------------------------------------------


def translate(cond: Voorwaarde, positive: bool = True, kinds: tuple[str, ...] = ()) -> Expr:
    """A condition (or its negation) as an engine expression tree; ``kinds`` is the vocabulary's signal kinds."""
    return _translate(cond, positive, kinds, _Seen())


class _Seen:
    """What translating a condition met on its way, in the order of ``signals_with_polarity`` and
    ``counting_blocks`` (the same walk): each unmarked signal block with its polarity, each counting block with
    its fact field. ``compile_rules`` reads the fact layout from it instead of walking every condition again."""

    __slots__ = ("signals", "counts", "marks")

    def __init__(self, marks: dict[Selection, str] | None = None) -> None:
        self.signals: list[tuple[SignaalVoorwaarde, bool]] = []  # the unmarked signal blocks only
        self.counts: list[tuple[str, AantalVoorwaarde]] = []
        #: the mark (fact field) of each signal block that has one (``_marks``); the others keep the list layout
        self.marks = marks or {}


def _translate(cond: Voorwaarde, positive: bool, kinds: tuple[str, ...], seen: _Seen) -> Expr:
    """``translate``, noting what it meets in ``seen``."""
    parts: list[Expr] = []
    for name, value in _present(cond):
        match name:
            case "alle":
                parts.append(_combine([_translate(c, positive, kinds, seen) for c in value], conj=positive))
            case "een_van":
                parts.append(_combine([_translate(c, positive, kinds, seen) for c in value], conj=not positive))
            case "niet":
                parts.append(_translate(value, not positive, kinds, seen))
            case "signaal":
                mark = seen.marks.get(selection(value)) if seen.marks else None
                if mark is not None:  # present when a signal meets the block
                    parts.append(Atom({"$ex" if positive else "$nex": {mark: 1}}))
                else:
                    seen.signals.append((value, positive))
                    parts.append(_signal(value, positive, kinds))
            case "aantal_signalen":
                counter = count_field(value)
                seen.counts.append((counter, value))
                parts.append(Atom({"$gte" if positive else "$lt": {counter: value.minstens}}))
            case "taak":
                parts.append(_choice("taak", value, positive))
            case "scholing":
                parts.append(_training(value, positive))
            case "leeftijd" | "leerjaar":
                parts.append(_range(RANGE_FIELDS[name], value, positive))
            case "eerdere_aanpak":
                parts.append(_approach(value, positive))
    # several keys in one block: all must hold (negated: one of them fails)
    return _combine(parts, conj=positive)


def _present(cond: Voorwaarde) -> list[tuple[str, Any]]:
    """The keys a condition block uses, in declaration order (deterministic output; a model's ``__dict__`` holds its
    fields in that order)."""
    return [(n, v) for n, v in cond.__dict__.items() if v is not None]


def signal_list(kind: str | None) -> str:
    """Fact field holding the signals of one kind (or of all kinds)."""
    return ALL_SIGNALS if kind is None else f"s_{kind}"


def bounds_of(cond: SignaalVoorwaarde) -> tuple[int, int, int | None]:
    """A signal condition's severity band (1-4) and least duration (``None``: any, unknown included)."""
    low = SEVERITY_RANK[cond.ernst_minstens] if cond.ernst_minstens else 1
    high = SEVERITY_RANK[cond.ernst_hoogstens] if cond.ernst_hoogstens else 4
    return low, high, cond.duur_minstens_weken


#: What a signal block selects: (its kinds, None for any; the kinds it excludes; severity low, high; least weeks).
Selection: TypeAlias = tuple[frozenset[str] | None, frozenset[str], int, int, int | None]


def selection(cond: SignaalVoorwaarde) -> Selection:
    """What a signal block selects (``counted`` for a counting block): equal for blocks that select the same signals
    however they are written."""
    return (frozenset(cond.soort) if cond.soort else None, frozenset(cond.behalve_soort or ()), *bounds_of(cond))


def selects(chosen: Selection, kind: str, rank: int, weeks: int | None) -> bool:
    """Does a signal of ``kind`` with severity ``rank`` (1-4) lasting ``weeks`` (None: unknown) meet ``chosen``?"""
    kinds, excluded, low, high, least = chosen
    return ((kinds is None or kind in kinds) and kind not in excluded and low <= rank <= high
            and (least is None or (weeks is not None and weeks >= least)))


def bound_field(bounds: tuple[int, int, int | None]) -> str:
    """The item field, in the list of all signals, that holds the kind of a signal within ``bounds`` and ``"_"``
    for any other: ``k`` itself when there are none."""
    low, high, weeks = bounds
    return KIND + (f"a{low}" if low > 1 else "") + (f"b{high}" if high < 4 else "") + (
        f"w{weeks}" if weeks is not None else "")


def _signal(cond: SignaalVoorwaarde, positive: bool, vocabulary: tuple[str, ...]) -> Expr:
    """A signal condition (or its negation: one ``$iall`` over the list of all signals)."""
    kinds = tuple(cond.soort) if cond.soort else ()
    excepted = tuple(cond.behalve_soort) if cond.behalve_soort else ()
    # the vocabulary matters only to "any kind but these" under niet
    return _signal_expr(kinds, excepted, bounds_of(cond), positive,
                        vocabulary if excepted and not kinds and not positive else ())


@lru_cache(maxsize=4096)
def _signal_expr(kinds: tuple[str, ...], excepted: tuple[str, ...], bounds: tuple[int, int, int | None],
                 positive: bool, vocabulary: tuple[str, ...]) -> Expr:
    """``_signal`` from what it reads of a block: made once per distinct signal condition (policies repeat them, and
    an expression is immutable, so rules can share one)."""
    if positive:
        lists: list[str | None] = list(kinds) if kinds else [None]
        return _or([Atom({"$iany": {signal_list(k): _item_checks(bounds, excepted, k is None)}}) for k in lists])
    # for every item of the list of all signals: its kind within the bounds is none of the excluded kinds
    item_field = f"$i.{bound_field(bounds)}"
    if kinds:
        excluded = list(dict.fromkeys(kinds))
    elif excepted:  # every signal within the bounds has one of these kinds: exclude all others
        excluded = [k for k in vocabulary if k not in excepted]
    else:  # no signal within the bounds at all
        return Atom({"$iall": {ALL_SIGNALS: {item_field: NO_TEXT}}})
    checks = [{"$neq": {item_field: k}} for k in excluded]
    if not checks:
        return TRUE
    return Atom({"$iall": {ALL_SIGNALS: checks[0] if len(checks) == 1 else {"$and": checks}}})


def counted(block: SignaalVoorwaarde) -> SignaalVoorwaarde:
    """What a counting block counts: the signals that meet every key but ``minstens`` (a plain signal block)."""
    return SignaalVoorwaarde.model_validate(block.model_dump(exclude={"minstens"}, exclude_none=True))


def count_field(block: SignaalVoorwaarde) -> str:
    """The fact field that holds how many of the case's signals meet ``block`` (its ``minstens`` aside): named by a
    hash of what it counts, so that equal blocks share one field whatever their ``minstens``."""
    text = counted(block).model_dump_json(exclude_none=True)
    return "n_" + hashlib.sha256(text.encode()).hexdigest()[:12]


def _item_checks(bounds: tuple[int, int, int | None], excepted: tuple[str, ...], shared: bool) -> dict[str, Any]:
    """Comparisons one item must pass (an ``$and`` chain, or one comparison: fewer expression slots): within
    ``bounds`` (``bounds_of``) and, on the shared list, of none of the kinds ``excepted``."""
    low, high, weeks = bounds
    checks: list[dict[str, Any]] = []
    if low > 1 or (shared and weeks is None):  # on the shared list, something must rule out the sentinel
        checks.append({"$gte": {"$i.e": low}})
    if high < 4:
        checks.append({"$lte": {"$i.e": high}})
    if weeks is not None:
        checks.append({"$gte": {"$i.d": weeks}})
    if shared and excepted:
        checks += [{"$neq": {f"$i.{KIND}": k}} for k in excepted]
    if not checks:  # a list of one kind holds real signals only
        checks.append({"$gte": {"$i.e": 1}})
    return checks[0] if len(checks) == 1 else {"$and": checks}


def _choice(fieldname: str, values: list[str], positive: bool) -> Expr:
    """``fieldname`` is one of ``values`` (negated: none of them)."""
    if positive:
        return _or([Atom({fieldname: v}) for v in values])
    return _and([Atom({"$neq": {fieldname: v}}) for v in values])


def _training(values: list[str], positive: bool) -> Expr:
    """The mentor followed one of the trainings ``values`` (negated: none of them)."""
    if positive:
        return _or([Atom({"$iany": {TRAININGS: {"$i": v}}}) for v in values])
    checks = [{"$neq": {"$i": v}} for v in dict.fromkeys(values)]  # the list ends with the sentinel "_"
    return Atom({"$iall": {TRAININGS: checks[0] if len(checks) == 1 else {"$and": checks}}})


def _range(name: str, cond: LeeftijdVoorwaarde | LeerjaarVoorwaarde, positive: bool) -> Expr:
    """The age or school year (fact field ``name``) is within the range (negated: below or above it; an unknown
    value, -1, is below every range)."""
    low = max(cond.vanaf or 0, 0)  # an unknown value (-1) is below every range
    parts: list[Expr]
    if positive:
        parts = [Atom({"$gte": {name: low}})]
        if cond.tot_en_met is not None:
            parts.append(Atom({"$lte": {name: cond.tot_en_met}}))
        return _and(parts)
    parts = [Atom({"$lt": {name: low}})]
    if cond.tot_en_met is not None:
        parts.append(Atom({"$gt": {name: cond.tot_en_met}}))
    return _or(parts)


def _approach(cond: AanpakVoorwaarde, positive: bool) -> Expr:
    """The mentor's own approach lasted long enough, with one of the effects (negated: either fails)."""
    weeks = cond.weken_minstens or 0  # absent approach is -1: fails "at least 0"
    parts: list[Expr]
    if positive:
        parts = [Atom({"$gte": {"ea_w": weeks}})]
        if cond.effect:
            parts.append(_choice("ea_e", list(cond.effect), True))
        return _and(parts)
    parts = [Atom({"$lt": {"ea_w": weeks}})]
    if cond.effect:
        parts.append(_choice("ea_e", list(cond.effect), False))
    return _or(parts)


def signals_with_polarity(cond: Voorwaarde, positive: bool = True) -> Iterator[tuple[SignaalVoorwaarde, bool]]:
    """Every signal condition inside ``cond``, with whether it is asked positively (even number of ``niet``)."""
    for name, value in _present(cond):
        match name:
            case "alle" | "een_van":
                for child in value:
                    yield from signals_with_polarity(child, positive)
            case "niet":
                yield from signals_with_polarity(value, not positive)
            case "signaal":
                yield value, positive


def required_values(cond: Voorwaarde, name: str) -> set[str] | None:
    """Values of ``taak``/``scholing`` the condition needs (one of them), if it needs any; else None."""
    found: set[str] | None = None
    value = getattr(cond, name)
    if value:
        found = set(value)
    for child in cond.alle or []:
        inner = required_values(child, name)
        if inner is not None:
            found = inner if found is None else found & inner
    return found


def counting_blocks(cond: Voorwaarde) -> Iterator[AantalVoorwaarde]:
    """Every ``aantal_signalen`` block inside ``cond``, whatever its polarity."""
    for name, value in _present(cond):
        match name:
            case "alle" | "een_van":
                for child in value:
                    yield from counting_blocks(child)
            case "niet":
                yield from counting_blocks(value)
            case "aantal_signalen":
                yield value


def negated_bounds(cond: Voorwaarde) -> list[tuple[int, int, int | None]]:
    """The bounds of every signal condition asked under negation that needs its own item field (in order)."""
    return list(dict.fromkeys(field_bounds(signals_with_polarity(cond))))


def field_bounds(signals: Iterable[tuple[SignaalVoorwaarde, bool]]) -> Iterator[tuple[int, int, int | None]]:
    """Of ``signals`` (each block with whether it is asked positively), the bounds of those asked under negation that
    need their own item field, in order."""
    for signal, positive in signals:
        if not positive:
            bounds = bounds_of(signal)
            if bound_field(bounds) != KIND:
                yield bounds


def term_count(cond: Voorwaarde) -> int:
    """How many alternatives (DNF terms) the engine would expand a condition into as one engine rule."""
    return _measure(translate(cond))[1]


def _measure(expr: Expr) -> tuple[int, int]:
    """(nested ``$and``/``$or`` nodes, DNF terms) of an expression as the engine builds it (kept on each node)."""
    return expr.size


def _joined(parts: tuple[Expr, ...], conj: bool) -> tuple[int, int]:
    """The size of an ``$and`` (``conj``) or ``$or`` of ``parts``: one node more than theirs, and their terms."""
    return 1 + sum(p.size[0] for p in parts), _combined_terms([p.size[1] for p in parts], conj)


def _combined_terms(terms: list[int], conj: bool) -> int:
    """DNF terms of an ``$and`` (``conj``: the product) or an ``$or`` (the sum) of parts with ``terms`` each."""
    if not conj:
        return sum(terms)
    product = 1
    for t in terms:
        product *= t
    return product


def _json_nodes(value: dict[str, Any] | list[Any]) -> int:
    """``$and``/``$or`` nodes inside an atom's JSON (a dict or a list; scalars hold none and are not visited)."""
    nodes = 0
    for key, inner in value.items() if isinstance(value, dict) else enumerate(value):
        if key == "$and" or key == "$or":
            nodes += 1
        if isinstance(inner, (dict, list)):
            nodes += _json_nodes(inner)
    return nodes


def _to_json(expr: Expr) -> dict[str, Any]:
    """An expression as durable_rules JSON; constants are folded away before this point."""
    match expr:
        case Atom(test):
            return test
        case And(parts):
            return {"$and": [_to_json(e) for e in parts]}
        case Or(parts):
            return {"$or": [_to_json(e) for e in parts]}
        case Const():
            raise AssertionError(expr)


# --- spreading a condition over engine rules ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Circuit:
    """A rule spread over several engine rules: it holds when any/all of its parts do."""

    kind: Literal["any", "all"]
    parts: tuple[Plan, ...]


#: A plan for one rule: an expression that fits one engine rule, or a circuit of plans.
Plan: TypeAlias = Expr | Circuit
#: A circuit as ``Rulesets.circuits`` holds it for the engine: an engine rule name, or ("any"|"all", [circuits]).
CircuitNames: TypeAlias = str | tuple[str, list["CircuitNames"]]


def _fits(nodes: int, terms: int, top_is_and: bool) -> bool:
    """Does a body fit one engine rule, with the group test AND-ed in (a new $and unless it is one)?"""
    return nodes + (0 if top_is_and else 1) <= MAX_NODES and terms <= TERMS_PER_GROUP


def split(expr: Expr) -> Plan:
    """``expr`` as one engine rule if it fits, else its ``$or``/``$and`` children packed into as few engine
    rules as fit, combined by "any"/"all". Leaves always fit: an atom holds at most one ``$and``."""
    match expr:
        case And(children):
            conj = True
        case Or(children):
            conj = False
        case _:
            return expr
    if _fits(*_measure(expr), conj):
        return expr
    plans = _pack(children, conj)
    return Circuit("all" if conj else "any", tuple(plans)) if len(plans) > 1 else plans[0]


def _pack(children: tuple[Expr, ...], conj: bool) -> list[Plan]:
    """The children of an ``$and`` (``conj``) or ``$or`` that does not fit one engine rule, in order: runs of
    children that fit together joined again, a child that fits nowhere split on its own."""
    plans: list[Plan] = []
    chunk: list[Expr] = []
    chunk_nodes, chunk_terms = 0, 0
    for child in children:
        n, t = _measure(child)
        if not _fits(n, t, isinstance(child, And)):
            plans.append(split(child))
            continue
        if chunk:
            joined_terms = _combined_terms([chunk_terms, t], conj)
            # one alternative per true path fires: a product of alternatives would multiply the activations
            product = conj and t > 1 and chunk_terms > 1
            if product or not _fits(1 + chunk_nodes + n, joined_terms, conj):
                plans.append(_combine(chunk, conj))
                chunk, chunk_nodes, chunk_terms = [], 0, 0
        chunk.append(child)
        chunk_nodes += n
        chunk_terms = t if len(chunk) == 1 else _combined_terms([chunk_terms, t], conj)
    if chunk:
        plans.append(_combine(chunk, conj))
    return plans


def _name_leaves(plan: Plan, owner: str, leaves: list[tuple[str, Expr]]) -> CircuitNames:
    """``plan`` with each engine rule replaced by its name ``<owner>.<n>``; the rules go to ``leaves``."""
    match plan:
        case Circuit(kind, parts):
            return (kind, [_name_leaves(p, owner, leaves) for p in parts])
        case _:
            name = f"{owner}.{len(leaves)}"
            leaves.append((name, plan))
            return name


# --- rulesets -----------------------------------------------------------------------------------


class Rulesets(list[str]):
    """The JSON text of each engine ruleset, and ``circuits``: for a rule spread over several engine rules
    (``r<i>.<n>``), how their firings combine into ``r<i>`` (a name, or ("any"|"all", [circuits])).

    ``by_task``: for a policy too large for one ruleset, the indexes of the rulesets a case with that task must
    visit (those of the rules that ask for no task, and those holding the rules that can apply to it); a task not
    listed visits ``common``. None: every case visits every ruleset."""

    def __init__(self, texts: Iterable[str] = (), circuits: dict[str, CircuitNames] | None = None) -> None:
        super().__init__(texts)
        self.circuits: dict[str, CircuitNames] = circuits or {}
        self.by_task: dict[str, list[int]] | None = None
        self.common: list[int] = []
        #: every engine rule name in these rulesets (None: unknown, read them from the texts)
        self.names: frozenset[str] | None = None

    def visit(self, task: str) -> list[int] | None:
        """The rulesets to visit for a case with this task (None: all)."""
        if self.by_task is None:
            return None
        return self.by_task.get(task, self.common)


#: One signal's share of a fact (``_signal_texts``): its item in the list of all signals, its item in its kind's list,
#: the marks it sets (their positions in ``Compiled.marks``), the positions of the counting blocks it counts, and the
#: bits of its marks (``Compiled.ruleset_bits``; 0 without).
SignalTexts: TypeAlias = tuple[str, str, tuple[int, ...], tuple[int, ...], int]
#: One ruleset's marks in the bits of a case: the lowest bit, all ones over its marks, the ``format`` spec that writes
#: them as 0s and 1s (first mark first, the highest bit) and the marks' texts in that order.
RulesetBits: TypeAlias = tuple[int, int, str, tuple[str, ...]]


@dataclass
class Compiled:
    """Engine rulesets for a policy and what is needed to turn a case into a fact."""

    rulesets: Rulesets  # rule names are "r<index>", or "r<index>.<n>" for a rule spread over several
    markers: dict[str, int]  # the group field (``GROUP``), set to 1 on each fact
    never: list[int] = field(default_factory=list)  # rules whose condition can never hold
    bounds: tuple[tuple[str, int, int, int | None], ...] = ()  # (item field, low, high, weeks) under negation
    #: per distinct counting block: (fact field, its kinds or None for any, kinds it excludes, low, high, weeks)
    counts: tuple[tuple[str, frozenset[str] | None, frozenset[str], int, int, int | None], ...] = ()
    listed_kinds: frozenset[str] = frozenset()  # kinds whose own list some condition reads
    #: per signal block that has a mark: (its fact field ``p<n>``, what it selects), in the order of ``_marks``
    marks: tuple[tuple[str, Selection], ...] = ()
    mark_texts: tuple[str, ...] = ()  # per mark, as the fact writes it: ``,"p<n>":1``
    shared: bool = True  # some condition reads the list of all signals ``s`` (else the fact leaves it out)
    #: per ruleset, the marks (positions in ``marks``) its rules test, when each ruleset gets a fact with only its own
    #: marks (None: one fact with every mark for all rulesets; see ``compile_rules``)
    ruleset_marks: list[frozenset[int]] | None = None
    #: with ``ruleset_marks``: per ruleset, where its marks sit in the bits of a case (``_fact_parts``) and their texts
    #: in that order (``RulesetBits``); and per mark its bits, one in each ruleset that tests it
    ruleset_bits: list[RulesetBits] | None = None
    mark_bits: tuple[int, ...] = ()

    prefix: str = "{"  # start of every fact: the group field
    sentinel: str = ""  # the sentinel item of the list of all signals, as JSON
    #: each signal's texts in the fact by (kind, severity, weeks), made once (``fact_json``; at most SIGNAL_TEXTS_KEPT)
    signal_texts: dict[tuple[str, str, int | None], SignalTexts] = field(default_factory=dict, repr=False)
    #: per signal kind, the marks (positions in ``marks``) whose kinds allow it, made once per kind (``_kind_marks``):
    #: a new signal then tests only those against its severity and weeks, not every mark of a large policy
    kind_marks: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)


#: One engine rule: its name, its body as durable_rules JSON text without the group test (``_body_text``; ``""``:
#: it always holds) and its DNF terms.
EngineRule: TypeAlias = tuple[str, str, int]
#: Engine rules that share one group test: (name, body text) each.
Group: TypeAlias = list[tuple[str, str]]


def compile_rules(rules: list[Regel], trainings: list[str], kinds: list[str] | None = None) -> Compiled:
    """Compile rules (in policy order) into small engine rulesets; ``kinds``: the vocabulary's signal kinds.

    Every distinct signal block gets a mark when the fact has room for all of them; else, when each ruleset's own
    marks fit in the fact that ruleset gets (``ruleset_room``), every block still gets one and each ruleset gets a fact
    with only its marks (``Compiled.ruleset_marks``); else the first blocks get one (``mark_room``) and the others
    keep the list layout.

    ``trainings`` is accepted for callers; the fact lists the mentor's trainings, whatever the vocabulary."""
    blocks, counting = _blocks(rules)
    room = mark_room(len(blocks), counting)
    if room >= len(blocks):
        return _compile(rules, kinds, _named(blocks))
    compiled = _compile(rules, kinds, _named(blocks))
    used = [frozenset(_MARK_TEST.findall(text)) for text in compiled.rulesets]
    if all(len(marks) <= ruleset_room(counting) for marks in used):
        position = {name: n for n, (name, _) in enumerate(compiled.marks)}
        compiled.ruleset_marks = [frozenset(position[name] for name in marks) for marks in used]
        compiled.ruleset_bits, compiled.mark_bits = _ruleset_bits(compiled.ruleset_marks, compiled.mark_texts)
        return compiled
    return _compile(rules, kinds, _named(blocks[:room]))


def _ruleset_bits(own: list[frozenset[int]], texts: tuple[str, ...]) -> tuple[list[RulesetBits], tuple[int, ...]]:
    """Each ruleset's marks as a run of bits of one number (``Compiled.ruleset_bits``), and each mark's bits: a case's
    marks are then the OR of its signals' bits, and a ruleset's fact is a slice of that number, not a set
    intersection per ruleset (about 0.05 ms less for 30 signals on 3,000 rules)."""
    layout: list[RulesetBits] = []
    bits = [0] * len(texts)
    offset = 0
    for marks in own:
        ordered = sorted(marks)
        for place, mark in enumerate(ordered):
            bits[mark] |= 1 << (offset + len(ordered) - 1 - place)
        layout.append((offset, (1 << len(ordered)) - 1, f"0{len(ordered)}b", tuple(texts[n] for n in ordered)))
        offset += len(ordered)
    return layout, tuple(bits)


#: ``bytes.translate`` table: the 0s and 1s ``format`` writes as flags for ``itertools.compress``
_FLAGS = bytes.maketrans(b"01", b"\x00\x01")

#: A mark's test in a ruleset's text (``_translate``): the mark's name.
_MARK_TEST = re.compile(r'"\$n?ex":\{"(' + MARK + r'\d+)":1\}')


def _compile(rules: list[Regel], kinds: list[str] | None, marks: dict[Selection, str]) -> Compiled:
    """``compile_rules`` with a mark for each of the blocks ``marks`` names; the other blocks keep the list layout."""
    vocabulary = tuple(kinds or ())
    compiled = Compiled(rulesets=Rulesets(), markers={})
    bounds: dict[tuple[int, int, int | None], None] = {}
    listed: set[str] = set()
    counts: dict[str, SignaalVoorwaarde] = {}
    per_rule: list[list[EngineRule]] = []
    shared = False
    for index, rule in enumerate(rules):
        seen = _Seen(marks)
        expr = _translate(rule.als, True, vocabulary, seen)
        # of the unmarked signal blocks: the kinds whose own list a condition reads (positive blocks), the bounds
        # that need an item field (as negated_bounds finds them), whether one reads the list of all signals; and the
        # counting blocks (counting_blocks), from the same walk
        listed.update(kind for signal, positive in seen.signals if positive and signal.soort for kind in signal.soort)
        bounds.update(dict.fromkeys(field_bounds(seen.signals)))
        shared = shared or any(not (positive and signal.soort) for signal, positive in seen.signals)
        counts.update(seen.counts)
        per_rule.append(_engine_rules(index, expr, compiled))
    _signal_expr.cache_clear()  # the memo lives for one compilation
    entries = [entry for rule_entries in per_rule for entry in rule_entries]
    compiled.rulesets.names = frozenset(name for name, _, _ in entries)
    groups = _groups(entries)
    if len(groups) <= GROUPS_PER_RULESET:  # one ruleset: every case visits it
        rulesets = _rulesets(groups, compiled.markers)
    else:
        rulesets = _rulesets_by_task(rules, per_rule, compiled)
    compiled.bounds = tuple((bound_field(b), *b) for b in bounds)
    compiled.listed_kinds = frozenset(listed)
    compiled.marks = tuple((name, chosen) for chosen, name in marks.items())
    compiled.mark_texts = tuple(f',"{name}":1' for name, _ in compiled.marks)
    compiled.shared = shared
    compiled.counts = tuple((name, frozenset(block.soort) if block.soort else None,
                             frozenset(block.behalve_soort or ()), *bounds_of(block)) for name, block in counts.items())
    compiled.prefix = "{" + "".join(f'"{m}":1,' for m in compiled.markers)
    sentinel = {**SENTINEL, **{name: NO_TEXT for name, *_ in compiled.bounds}}
    compiled.sentinel = json.dumps(sentinel, separators=(",", ":"))
    compiled.rulesets.extend(rulesets)
    return compiled


def _blocks(rules: list[Regel]) -> tuple[list[Selection], int]:
    """The distinct signal blocks of ``rules`` in policy order, and how many counting fields they have."""
    blocks: dict[Selection, None] = {}
    counting: set[str] = set()
    for rule in rules:
        blocks.update(dict.fromkeys(selection(block) for block, _ in signals_with_polarity(rule.als)))
        counting.update(count_field(block) for block in counting_blocks(rule.als))
    return list(blocks), len(counting)


def _named(blocks: list[Selection]) -> dict[Selection, str]:
    """A mark (fact field ``p<n>``) for each of ``blocks``."""
    return {chosen: f"{MARK}{n}" for n, chosen in enumerate(blocks)}


def ruleset_room(counts: int) -> int:
    """How many marks one fact has room for beside the group field, the fixed fields and ``counts`` counting fields
    (255 properties in all)."""
    return FACT_PROPERTIES - 1 - FIXED_FIELDS - counts  # 1: the group field


def mark_room(blocks: int, counts: int) -> int:
    """How many of a policy's ``blocks`` distinct signal blocks get a mark in one fact for every ruleset, when it has
    ``counts`` counting fields: all when they fit; else as many as fit beside a list per kind the case has
    (``MAX_SIGNALS``) for the blocks that keep the list layout."""
    room = ruleset_room(counts)
    return room if blocks <= room else max(room - MAX_SIGNALS, 0)


def _rulesets_by_task(rules: list[Regel], per_rule: list[list[EngineRule]], compiled: Compiled) -> list[str]:
    """The rulesets of a policy too large for one: those of the rules that ask for no task (``common``), then the
    rules that need one of some tasks, packed by task: each pack holds the rules of one or more tasks (a rule that
    needs several tasks may be in several packs), at most about one ruleset's worth. ``compiled.rulesets.by_task``
    then says which rulesets a case with a given task visits: the common ones and its pack's."""
    capacity = RULES_PER_GROUP * GROUPS_PER_RULESET
    common: list[int] = []
    by_task: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        tasks = required_values(rule.als, "taak")
        if tasks is None:
            common.append(index)
        elif not tasks:  # a task from lists that share none: no case meets it, no ruleset holds it, nothing fires
            compiled.rulesets.circuits.pop(f"r{index}", None)
            if compiled.rulesets.names is not None:  # and no activation can name it (a property test found it listed)
                compiled.rulesets.names = compiled.rulesets.names - {name for name, _, _ in per_rule[index]}
        for task in sorted(tasks or ()):
            by_task.setdefault(task, []).append(index)
    rulesets: list[str] = []

    def add(indexes: Iterable[int]) -> list[int]:
        entries = [entry for i in sorted(indexes) for entry in per_rule[i]]
        made = _rulesets(_groups(entries), compiled.markers) if entries else []
        rulesets.extend(made)
        return list(range(len(rulesets) - len(made), len(rulesets)))

    shared = add(common)
    visits: dict[str, list[int]] = {}
    pack: set[int] = set()
    members: list[str] = []
    for task, indexes in [*by_task.items(), ("", [])]:  # the empty task closes the last pack
        if members and (not task or len(pack | set(indexes)) > capacity):
            made = add(pack)
            for member in members:
                visits[member] = shared + made
            pack, members = set(), []
        if task:
            pack.update(indexes)
            members.append(task)
    compiled.rulesets.by_task = visits
    compiled.rulesets.common = shared
    return rulesets


def _engine_rules(index: int, expr: Expr, compiled: Compiled) -> list[EngineRule]:
    """The engine rules for rule ``index`` with condition ``expr``: none if it never holds (noted in
    ``compiled.never``), one ``r<index>``, or several ``r<index>.<n>`` whose circuit goes to ``compiled.rulesets``."""
    if expr == FALSE:
        compiled.never.append(index)
        return []
    owner = f"r{index}"
    leaves: list[tuple[str, Expr]] = []
    match split(expr):
        case Circuit() as circuit:
            compiled.rulesets.circuits[owner] = _name_leaves(circuit, owner, leaves)
        case whole:
            leaves.append((owner, whole))
    return [(name, _body_text(leaf), _measure(leaf)[1]) for name, leaf in leaves]


def _body_text(leaf: Expr) -> str:
    """An engine rule's condition without its group test, as the JSON text of the parts the test is AND-ed with
    (comma-separated; ``""``: it always holds). Written once per engine rule, however many rulesets hold it."""
    if leaf == TRUE:
        return ""
    body = _to_json(leaf)
    return _dumps(body.get("$and") or [body])[1:-1]


def _dumps(value: Any) -> str:
    """Compact JSON, as the engine gets it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _groups(entries: list[EngineRule]) -> list[Group]:
    """Engine rules in order, in groups of at most ``RULES_PER_GROUP`` rules and ``TERMS_PER_GROUP`` terms."""
    groups: list[Group] = []
    current: Group = []
    terms = 0
    for name, body, count in entries:
        if current and (len(current) >= RULES_PER_GROUP or terms + count > TERMS_PER_GROUP):
            groups.append(current)
            current, terms = [], 0
        current.append((name, body))
        terms += count
    if current:
        groups.append(current)
    return groups


def _rulesets(groups: list[Group], markers: dict[str, int]) -> list[str]:
    """The engine rulesets as JSON text: ``GROUPS_PER_RULESET`` groups each, every rule AND-ed with its group's test
    on the one group field ``_g`` (added to ``markers``): ``{"r0":{"all":[{"m":{"$and":[{"$gte":{"_g":0}},…]}}]},…}``
    for group 0, ``{"$gte":{"_g":-1}}`` for group 1, and so on: tests that every case fact (``"_g":1``) meets, each
    a node of its own that the rules of its group hang under. One field, not one per group: the engine walks every
    field of the fact at every node it visits (``handleAlpha``), so sixteen fields cost at every node. The text is
    what ``json.dumps`` gives (names need no escaping)."""
    rulesets: list[list[str]] = []
    markers[GROUP] = 1
    for number, group in enumerate(groups):
        if number % GROUPS_PER_RULESET == 0:
            rulesets.append([])
        test = f'{{"$gte":{{"{GROUP}":{-(number % GROUPS_PER_RULESET)}}}}}'
        rulesets[-1].extend(f'"{name}":{{"all":[{{"m":{{"$and":[{test},{body}]}}}}]}}' if body
                            else f'"{name}":{{"all":[{{"m":{test}}}]}}' for name, body in group)
    return ["{" + ",".join(rules) + "}" for rules in rulesets]


def fact_json(case: Casus, compiled: Compiled) -> str:
    """The engine fact for a validated case, as JSON text, with every mark the case sets.

    Built by hand because it is the hot path: every value is an integer or an identifier that the
    case model has checked against ``KIND_PATTERN`` or a literal, so nothing needs escaping.
    """
    head, marked, _ = _fact_parts(case, compiled)
    texts = compiled.mark_texts
    return head + "".join([texts[n] for n in dict.fromkeys(chain.from_iterable(marked))]) + "}"


def fact_texts(case: Casus, compiled: Compiled, visit: list[int] | None) -> str | list[str]:
    """What the engine gets for a validated case: one fact for every ruleset (``fact_json``), or, when each ruleset
    has its own marks (``Compiled.ruleset_marks``), one fact per ruleset in ``visit`` (None: all) with only its
    marks."""
    layout = compiled.ruleset_bits
    if layout is None:
        return fact_json(case, compiled)
    head, _, chosen = _fact_parts(case, compiled)
    facts = []
    for i in range(len(layout)) if visit is None else visit:
        offset, ones, spec, texts = layout[i]
        flags = format(chosen >> offset & ones, spec).encode().translate(_FLAGS)  # one flag per mark of the ruleset
        facts.append(head + "".join(compress(texts, flags)) + "}")
    return facts


def _fact_parts(case: Casus, compiled: Compiled) -> tuple[str, list[tuple[int, ...]], int]:
    """A case's fact without its closing brace, per signal the marks it sets (positions in ``compiled.marks``; a mark
    may be set by several signals), and with ``ruleset_bits`` the bits of all those marks (else 0)."""
    have = case.mentor.scholing if case.mentor else ()
    age = case.leeftijd if case.leeftijd is not None else ABSENT
    year = case.leerjaar if case.leerjaar is not None else ABSENT
    parts = [compiled.prefix, '"taak":"', case.taak, '","lft":', str(age), ',"lj":', str(year), ',"t":[',
             *[f'"{name}",' for name in have], '"_"]']
    tried = case.eerdere_aanpak
    parts.append(f',"ea_w":{tried.weken},"ea_e":"{tried.effect}"' if tried else f',"ea_w":{ABSENT},"ea_e":"{NO_TEXT}"')
    everything: list[str] = []
    by_kind: dict[str, list[str]] = {}
    marked: list[tuple[int, ...]] = []
    counted: list[int] = []
    bits = 0
    texts = compiled.signal_texts
    for signal in case.signalen:
        key = (signal.soort, signal.ernst, signal.duur_weken)
        text = texts.get(key)
        if text is None:
            if len(texts) >= SIGNAL_TEXTS_KEPT:  # bounded: durations are any number of weeks
                texts.clear()
            text = texts[key] = _signal_texts(signal.soort, SEVERITY_RANK[signal.ernst], signal.duur_weken, compiled)
        everything.append(text[0])
        if text[1]:
            by_kind.setdefault(signal.soort, []).append(text[1])
        marked.append(text[2])
        counted += text[3]
        bits |= text[4]
    if compiled.shared:
        parts.append(',"s":[' + ",".join(everything + [compiled.sentinel]) + "]")
    if compiled.counts:
        parts += [f',"{count[0]}":{counted.count(n)}' for n, count in enumerate(compiled.counts)]
    for kind, items in by_kind.items():
        parts.append(f',"{signal_list(kind)}":[' + ",".join(items) + "]")
    return "".join(parts), marked, bits


def _signal_texts(kind: str, rank: int, weeks: int | None, compiled: Compiled) -> SignalTexts:
    """One signal in the fact: its item in the list of all signals, its item in its kind's own list ("" when no
    condition reads that list), the marks it sets (their positions in ``compiled.marks``), the counting blocks it
    counts (their positions in ``compiled.counts``) and, with ``ruleset_bits``, the bits of its marks (else 0)."""
    body = f'"e":{rank},"d":{weeks if weeks is not None else ABSENT}'
    within = "".join(
        f',"{name}":"{kind}"' if low <= rank <= high and (least is None or (weeks is not None and weeks >= least))
        else f',"{name}":"{NO_TEXT}"'
        for name, low, high, least in compiled.bounds
    )
    candidates = compiled.kind_marks.get(kind)
    if candidates is None:
        candidates = compiled.kind_marks[kind] = _kind_marks(kind, compiled.marks)
    marks = tuple(n for n in candidates if selects(compiled.marks[n][1], kind, rank, weeks))
    counts = tuple(n for n, (_, kinds, excluded, low, high, least) in enumerate(compiled.counts)
                   if selects((kinds, excluded, low, high, least), kind, rank, weeks))
    bits = 0
    for mark in marks if compiled.mark_bits else ():
        bits |= compiled.mark_bits[mark]
    return (f'{{{body},"k":"{kind}"{within}}}', f"{{{body}}}" if kind in compiled.listed_kinds else "", marks, counts,
            bits)


def _kind_marks(kind: str, marks: tuple[tuple[str, Selection], ...]) -> tuple[int, ...]:
    """The positions of the marks whose kinds allow a signal of ``kind`` (any kind, or one of theirs, and not one
    they exclude), in mark order."""
    return tuple(n for n, (_, (kinds, excluded, *_)) in enumerate(marks)
                 if (kinds is None or kind in kinds) and kind not in excluded)


def encode_case(case: Casus, compiled: Compiled) -> dict[str, Any]:
    """The engine fact for a validated case, as a dict (for tests and tools; the engine gets ``fact_json``)."""
    fact: dict[str, Any] = json.loads(fact_json(case, compiled))
    return fact
