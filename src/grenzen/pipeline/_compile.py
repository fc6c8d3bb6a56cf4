"""Step 3, compile: rule conditions become durable_rules rulesets, and cases become facts.

Engine facts (see docs/ontwerp.md, "Driving durable_rules safely", for the traps behind each choice):

* ``$iany``/``$iall`` only ever hold a single comparison or an ``$and`` chain. The C matcher lets a
  later property overwrite an earlier match inside array operators, so a cross-field ``$or`` inside
  them gives wrong answers; we never emit one.
* Negation is pushed down to single comparisons (no ``$nex``, no ``$not``). A negated signal
  condition is one ``$iall`` over the list of all signals with an ``$and`` chain of ``$neq`` on one
  item field: the kind, or a copy of the kind that the fact writer blanks (``"_"``) for signals
  outside the condition's bounds. That list and the training list carry a sentinel item, so "for
  all items" is never asked of an empty list; absent values are -1 or ``"_"``.
* Every rule is AND-ed with a group marker that only case facts carry; groups and rulesets stay
  small, which keeps the engine away from its stack limit (error 303) and its fan-out hang.
* The fact grows with the case, never with the policy: a list of trainings, one list of all
  signals and one list per kind the case has (at most 50), so it stays far below the engine's 255
  properties per fact (error 302).
* A condition too large for one engine rule (31 expression slots, two per ``$and``/``$or``: error
  113; at most ``TERMS_PER_GROUP`` alternatives) is spread over several engine rules ``r<i>.<j>``.
  ``Rulesets.circuits`` says how their firings combine (any/all) into rule ``r<i>``: the engine
  still evaluates every comparison, Python only combines which engine rules fired.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from collections.abc import Iterator
from typing import Any, Union

from .._models import ERNST_RANG, Casus
from ._rulefile import AanpakVoorwaarde, LeeftijdVoorwaarde, Regel, SignaalVoorwaarde, Voorwaarde

# --- a small boolean algebra over engine expressions -------------------------------------------

TRUE = ("true",)
FALSE = ("false",)
Expr = Union[tuple[str], tuple[str, list["Expr"]], tuple[str, dict[str, Any]]]

ABSENT = -1
NO_TEXT = "_"  # no kind, no training, no effect: names start with a letter, so this never equals one
ALL_SIGNALS = "s"
TRAININGS = "t"
KIND = "k"  # the item field with the signal's kind, in the list of all signals
# The sentinel item of the list of all signals: severity 0 < any real one, duration -1, no kind. The
# compiled policy adds its bound fields (``Compiled.bounds``), all ``"_"``.
SENTINEL = {"e": 0, "d": ABSENT, KIND: NO_TEXT}
# The C matcher walks alpha nodes with a 64-slot stack (error 303 when full). Every marker of a
# ruleset matches every fact, so the stack peaks near (groups per ruleset + terms in one group);
# measured: 16 groups x 48 terms fits, 16 x 56 does not. We keep 16 x 40.
RULES_PER_GROUP = 12
TERMS_PER_GROUP = 40
GROUPS_PER_RULESET = 16
# Each $and/$or of one engine rule takes two of its 31 expression slots (MAX_SEQUENCE_EXPRESSIONS 32
# in rete.h, checked by APPEND_EXPRESSION in rete.c createAlpha: error 113), the group marker's $and
# included. Leaves take none (we never compare two fields).
MAX_NODES = 15
#: Most distinct bound combinations negated signal conditions may use: each is one field on every item
#: of the list of all signals, and an item may have 255 properties (error 302) with ``e``, ``d``, ``k``.
MAX_NEGATED_BOUNDS = 200


def _and(parts: list[Expr]) -> Expr:
    flat: list[Expr] = []
    for part in parts:
        if part == FALSE:
            return FALSE
        if part == TRUE:
            continue
        flat.extend(part[1] if part[0] == "and" else [part])  # type: ignore[arg-type]
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else ("and", flat)


def _or(parts: list[Expr]) -> Expr:
    flat: list[Expr] = []
    for part in parts:
        if part == TRUE:
            return TRUE
        if part == FALSE:
            continue
        flat.extend(part[1] if part[0] == "or" else [part])  # type: ignore[arg-type]
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else ("or", flat)


def _atom(expr: dict[str, Any]) -> Expr:
    return ("atom", expr)


# --- conditions ---------------------------------------------------------------------------------


def translate(cond: Voorwaarde, positive: bool = True, kinds: tuple[str, ...] = ()) -> Expr:
    """A condition (or its negation) as an engine expression tree; ``kinds`` is the vocabulary's signal kinds."""
    parts: list[Expr] = []
    for name, value in _present(cond):
        if name == "alle":
            parts.append(_combine([translate(c, positive, kinds) for c in value], conj=positive))
        elif name == "een_van":
            parts.append(_combine([translate(c, positive, kinds) for c in value], conj=not positive))
        elif name == "niet":
            parts.append(translate(value, not positive, kinds))
        elif name == "signaal":
            parts.append(_signal(value, positive, kinds))
        elif name == "taak":
            parts.append(_choice("taak", value, positive))
        elif name == "scholing":
            parts.append(_training(value, positive))
        elif name == "leeftijd":
            parts.append(_age(value, positive))
        elif name == "eerdere_aanpak":
            parts.append(_approach(value, positive))
    # several keys in one block: all must hold (negated: one of them fails)
    return _combine(parts, conj=positive)


def _present(cond: Voorwaarde) -> list[tuple[str, Any]]:
    """The keys a condition block uses, in declaration order (deterministic output)."""
    return [(n, getattr(cond, n)) for n in Voorwaarde.model_fields if getattr(cond, n) is not None]


def _combine(parts: list[Expr], conj: bool) -> Expr:
    return _and(parts) if conj else _or(parts)


def signal_list(kind: str | None) -> str:
    """Fact field holding the signals of one kind (or of all kinds)."""
    return ALL_SIGNALS if kind is None else f"s_{kind}"


def bounds_of(cond: SignaalVoorwaarde) -> tuple[int, int, int | None]:
    """A signal condition's severity band (1-4) and least duration (``None``: any, unknown included)."""
    low = ERNST_RANG[cond.ernst_minstens] if cond.ernst_minstens else 1
    high = ERNST_RANG[cond.ernst_hoogstens] if cond.ernst_hoogstens else 4
    return low, high, cond.duur_minstens_weken


def bound_field(bounds: tuple[int, int, int | None]) -> str:
    """The item field, in the list of all signals, that holds the kind of a signal within ``bounds`` and ``"_"``
    for any other: ``k`` itself when there are none."""
    low, high, weeks = bounds
    return KIND + (f"a{low}" if low > 1 else "") + (f"b{high}" if high < 4 else "") + (
        f"w{weeks}" if weeks is not None else "")


def _signal(cond: SignaalVoorwaarde, positive: bool, vocabulary: tuple[str, ...]) -> Expr:
    low, high, weeks = bounds_of(cond)
    if positive:
        lists: list[str | None] = list(cond.soort) if cond.soort else [None]
        return _or([_atom({"$iany": {signal_list(k): _item_checks(cond, k is None)}}) for k in lists])
    # for every item of the list of all signals: its kind within the bounds is none of the excluded kinds
    item_field = f"$i.{bound_field((low, high, weeks))}"
    if cond.soort:
        excluded = list(dict.fromkeys(cond.soort))
    elif cond.behalve_soort:  # every signal within the bounds has one of these kinds: exclude all others
        excluded = [k for k in vocabulary if k not in cond.behalve_soort]
    else:  # no signal within the bounds at all
        return _atom({"$iall": {ALL_SIGNALS: {item_field: NO_TEXT}}})
    checks = [{"$neq": {item_field: k}} for k in excluded]
    if not checks:
        return TRUE
    return _atom({"$iall": {ALL_SIGNALS: checks[0] if len(checks) == 1 else {"$and": checks}}})


def _item_checks(cond: SignaalVoorwaarde, shared: bool) -> dict[str, Any]:
    """Comparisons one item must pass (an ``$and`` chain, or one comparison: fewer expression slots)."""
    low, high, weeks = bounds_of(cond)
    checks: list[dict[str, Any]] = []
    if low > 1 or (shared and weeks is None):  # on the shared list, something must rule out the sentinel
        checks.append({"$gte": {"$i.e": low}})
    if high < 4:
        checks.append({"$lte": {"$i.e": high}})
    if weeks is not None:
        checks.append({"$gte": {"$i.d": weeks}})
    if shared and cond.behalve_soort:
        checks += [{"$neq": {f"$i.{KIND}": k}} for k in cond.behalve_soort]
    if not checks:  # a list of one kind holds real signals only
        checks.append({"$gte": {"$i.e": 1}})
    return checks[0] if len(checks) == 1 else {"$and": checks}


def _choice(fieldname: str, values: list[str], positive: bool) -> Expr:
    if positive:
        return _or([_atom({fieldname: v}) for v in values])
    return _and([_atom({"$neq": {fieldname: v}}) for v in values])


def _training(values: list[str], positive: bool) -> Expr:
    if positive:
        return _or([_atom({"$iany": {TRAININGS: {"$i": v}}}) for v in values])
    checks = [{"$neq": {"$i": v}} for v in dict.fromkeys(values)]  # the list ends with the sentinel "_"
    return _atom({"$iall": {TRAININGS: checks[0] if len(checks) == 1 else {"$and": checks}}})


def _age(cond: LeeftijdVoorwaarde, positive: bool) -> Expr:
    low = max(cond.vanaf or 0, 0)  # an unknown age (-1) is below every range
    if positive:
        parts = [_atom({"$gte": {"lft": low}})]
        if cond.tot_en_met is not None:
            parts.append(_atom({"$lte": {"lft": cond.tot_en_met}}))
        return _and(parts)
    parts = [_atom({"$lt": {"lft": low}})]
    if cond.tot_en_met is not None:
        parts.append(_atom({"$gt": {"lft": cond.tot_en_met}}))
    return _or(parts)


def _approach(cond: AanpakVoorwaarde, positive: bool) -> Expr:
    weeks = cond.weken_minstens or 0  # absent approach is -1: fails "at least 0"
    if positive:
        parts = [_atom({"$gte": {"ea_w": weeks}})]
        if cond.effect:
            parts.append(_choice("ea_e", list(cond.effect), True))
        return _and(parts)
    parts = [_atom({"$lt": {"ea_w": weeks}})]
    if cond.effect:
        parts.append(_choice("ea_e", list(cond.effect), False))
    return _or(parts)


def signals_with_polarity(cond: Voorwaarde, positive: bool = True) -> Iterator[tuple[SignaalVoorwaarde, bool]]:
    """Every signal condition inside ``cond``, with whether it is asked positively (even number of ``niet``)."""
    for name, value in _present(cond):
        if name in ("alle", "een_van"):
            for child in value:
                yield from signals_with_polarity(child, positive)
        elif name == "niet":
            yield from signals_with_polarity(value, not positive)
        elif name == "signaal":
            yield value, positive


def negated_bounds(cond: Voorwaarde) -> list[tuple[int, int, int | None]]:
    """The bounds of every signal condition asked under negation that needs its own item field (in order)."""
    found = (bounds_of(signal) for signal, positive in signals_with_polarity(cond) if not positive)
    return list(dict.fromkeys(b for b in found if bound_field(b) != KIND))


def term_count(cond: Voorwaarde) -> int:
    """How many alternatives (DNF terms) the engine would expand a condition into as one engine rule."""
    return _measure(translate(cond))[1]


def _measure(expr: Expr) -> tuple[int, int]:
    """(nested ``$and``/``$or`` nodes, DNF terms) of an expression as the engine builds it."""
    tag = expr[0]
    if tag in ("true", "false"):
        return 0, 1
    if tag == "atom":
        return _json_nodes(expr[1]), 1
    measures = [_measure(e) for e in expr[1]]  # type: ignore[union-attr]
    return 1 + sum(n for n, _ in measures), _combined_terms(tag, [t for _, t in measures])


def _combined_terms(tag: str, terms: list[int]) -> int:
    if tag == "or":
        return sum(terms)
    product = 1
    for t in terms:
        product *= t
    return product


def _json_nodes(value: Any) -> int:
    if isinstance(value, dict):
        return sum((key in ("$and", "$or")) + _json_nodes(v) for key, v in value.items())
    if isinstance(value, list):
        return sum(_json_nodes(v) for v in value)
    return 0


def _to_json(expr: Expr) -> dict[str, Any]:
    tag = expr[0]
    if tag == "atom":
        return expr[1]  # type: ignore[return-value]
    if tag == "and":
        return {"$and": [_to_json(e) for e in expr[1]]}  # type: ignore[union-attr]
    if tag == "or":
        return {"$or": [_to_json(e) for e in expr[1]]}  # type: ignore[union-attr]
    raise AssertionError(tag)  # TRUE/FALSE are folded away before this point


# --- spreading a condition over engine rules ------------------------------------------------------

# A plan for one rule: an expression that fits one engine rule, or ("any"|"all", [plans]).
Plan = Union[Expr, tuple[str, list[Any]]]


def _fits(nodes: int, terms: int, top_is_and: bool) -> bool:
    """Does a body fit one engine rule, with the group marker AND-ed in (a new $and unless it is one)?"""
    return nodes + (0 if top_is_and else 1) <= MAX_NODES and terms <= TERMS_PER_GROUP


def split(expr: Expr) -> Plan:
    """``expr`` as one engine rule if it fits, else its ``$or``/``$and`` children packed into as few engine
    rules as fit, combined by "any"/"all". Leaves always fit: an atom holds at most one ``$and``."""
    nodes, terms = _measure(expr)
    tag = expr[0]
    if tag not in ("and", "or") or _fits(nodes, terms, tag == "and"):
        return expr
    parts: list[Plan] = []
    chunk: list[Expr] = []
    chunk_nodes, chunk_terms = 0, 0
    for child in expr[1]:  # type: ignore[union-attr]
        n, t = _measure(child)
        if not _fits(n, t, child[0] == "and"):
            parts.append(split(child))
            continue
        if chunk:
            joined_terms = _combined_terms(tag, [chunk_terms, t])
            # one alternative per true path fires: a product of alternatives would multiply the activations
            product = tag == "and" and t > 1 and chunk_terms > 1
            if product or not _fits(1 + chunk_nodes + n, joined_terms, tag == "and"):
                parts.append(_or(chunk) if tag == "or" else _and(chunk))
                chunk, chunk_nodes, chunk_terms = [], 0, 0
        chunk.append(child)
        chunk_nodes += n
        chunk_terms = t if len(chunk) == 1 else _combined_terms(tag, [chunk_terms, t])
    if chunk:
        parts.append(_or(chunk) if tag == "or" else _and(chunk))
    return ("any" if tag == "or" else "all", parts) if len(parts) > 1 else parts[0]


def _is_circuit(plan: Plan) -> bool:
    return plan[0] in ("any", "all")


def _name_leaves(plan: Plan, owner: str, leaves: list[tuple[str, Expr]]) -> Any:
    """``plan`` with each engine rule replaced by its name ``<owner>.<n>``; the rules go to ``leaves``."""
    if not _is_circuit(plan):
        name = f"{owner}.{len(leaves)}"
        leaves.append((name, plan))  # type: ignore[arg-type]
        return name
    return (plan[0], [_name_leaves(p, owner, leaves) for p in plan[1]])


# --- rulesets -----------------------------------------------------------------------------------


class Rulesets(list):  # type: ignore[type-arg]
    """The JSON text of each engine ruleset, and ``circuits``: for a rule spread over several engine rules
    (``r<i>.<n>``), how their firings combine into ``r<i>`` (a name, or ("any"|"all", [circuits]))."""

    def __init__(self, texts: list[str] = (), circuits: dict[str, Any] | None = None) -> None:  # type: ignore[assignment]
        super().__init__(texts)
        self.circuits: dict[str, Any] = circuits or {}


@dataclass
class Compiled:
    """Engine rulesets for a policy and what is needed to turn a case into a fact."""

    rulesets: Rulesets  # rule names are "r<index>", or "r<index>.<n>" for a rule spread over several
    markers: dict[str, int]  # every group marker field, set to 1 on each fact
    never: list[int] = field(default_factory=list)  # rules whose condition can never hold
    bounds: tuple[tuple[str, int, int, int | None], ...] = ()  # (item field, low, high, weeks) under negation
    listed_kinds: frozenset[str] = frozenset()  # kinds whose own list some condition reads

    prefix: str = "{"  # start of every fact: the group markers
    sentinel: str = ""  # the sentinel item of the list of all signals, as JSON


def compile_rules(rules: list[Regel], trainings: list[str], kinds: list[str] | None = None) -> Compiled:
    """Compile rules (in policy order) into small engine rulesets; ``kinds``: the vocabulary's signal kinds.

    ``trainings`` is accepted for callers; the fact lists the mentor's trainings, whatever the vocabulary."""
    vocabulary = tuple(kinds or ())
    compiled = Compiled(rulesets=Rulesets(), markers={})
    bounds: dict[tuple[int, int, int | None], None] = {}
    listed: set[str] = set()
    entries: list[tuple[str, dict[str, Any], int]] = []
    for index, rule in enumerate(rules):
        for signal, positive in signals_with_polarity(rule.als):
            if positive and signal.soort:
                listed.update(signal.soort)
        bounds.update(dict.fromkeys(negated_bounds(rule.als)))
        expr = translate(rule.als, True, vocabulary)
        if expr == FALSE:
            compiled.never.append(index)
            continue
        plan = split(expr)
        if _is_circuit(plan):
            leaves: list[tuple[str, Expr]] = []
            compiled.rulesets.circuits[f"r{index}"] = _name_leaves(plan, f"r{index}", leaves)
        else:
            leaves = [(f"r{index}", plan)]  # type: ignore[list-item]
        for name, leaf in leaves:
            entries.append((name, {} if leaf == TRUE else _to_json(leaf), _measure(leaf)[1]))
    compiled.bounds = tuple((bound_field(b), *b) for b in bounds)
    compiled.listed_kinds = frozenset(listed)
    groups: list[list[tuple[str, dict[str, Any]]]] = []
    current: list[tuple[str, dict[str, Any]]] = []
    terms = 0
    for name, body, count in entries:
        if current and (len(current) >= RULES_PER_GROUP or terms + count > TERMS_PER_GROUP):
            groups.append(current)
            current, terms = [], 0
        current.append((name, body))
        terms += count
    if current:
        groups.append(current)
    rulesets: list[dict[str, Any]] = []
    for number, group in enumerate(groups):
        if number % GROUPS_PER_RULESET == 0:
            rulesets.append({})
        marker = f"_g{number % GROUPS_PER_RULESET}"
        compiled.markers[marker] = 1
        for name, body in group:
            parts = [{"$ex": {marker: 1}}] + (body.get("$and") or [body] if body else [])
            condition = parts[0] if len(parts) == 1 else {"$and": parts}
            rulesets[-1][name] = {"all": [{"m": condition}]}
    compiled.prefix = "{" + "".join(f'"{m}":1,' for m in compiled.markers)
    sentinel = {**SENTINEL, **{name: NO_TEXT for name, *_ in compiled.bounds}}
    compiled.sentinel = json.dumps(sentinel, separators=(",", ":"))
    compiled.rulesets.extend(json.dumps(rs, ensure_ascii=False, separators=(",", ":")) for rs in rulesets)
    return compiled


def fact_json(case: Casus, compiled: Compiled) -> str:
    """The engine fact for a validated case, as JSON text.

    Built by hand because it is the hot path: every value is an integer or an identifier that the
    case model has checked against ``KIND_PATTERN`` or a literal, so nothing needs escaping.
    """
    have = case.mentor.scholing if case.mentor else ()
    parts = [compiled.prefix, '"taak":"', case.taak, '","lft":', str(case.leeftijd if case.leeftijd is not None else ABSENT),
             ',"t":[', *[f'"{name}",' for name in have], '"_"]']
    tried = case.eerdere_aanpak
    parts.append(f',"ea_w":{tried.weken},"ea_e":"{tried.effect}"' if tried else f',"ea_w":{ABSENT},"ea_e":"{NO_TEXT}"')
    everything: list[str] = []
    by_kind: dict[str, list[str]] = {}
    for signal in case.signalen:
        rank, weeks, kind = ERNST_RANG[signal.ernst], signal.duur_weken, signal.soort
        body = f'"e":{rank},"d":{weeks if weeks is not None else ABSENT}'
        within = "".join(
            f',"{name}":"{kind if low <= rank <= high and (least is None or (weeks is not None and weeks >= least)) else NO_TEXT}"'
            for name, low, high, least in compiled.bounds
        )
        everything.append(f'{{{body},"k":"{kind}"{within}}}')
        if kind in compiled.listed_kinds:
            by_kind.setdefault(kind, []).append(f"{{{body}}}")
    parts.append(',"s":[' + ",".join(everything + [compiled.sentinel]) + "]")
    for kind, items in by_kind.items():
        parts.append(f',"{signal_list(kind)}":[' + ",".join(items) + "]")
    parts.append("}")
    return "".join(parts)


def encode_case(case: Casus, compiled: Compiled) -> dict[str, Any]:
    """The engine fact for a validated case, as a dict (for tests and tools; the engine gets ``fact_json``)."""
    return json.loads(fact_json(case, compiled))
