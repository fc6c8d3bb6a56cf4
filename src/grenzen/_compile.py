"""Step 3, compile: rule conditions become durable_rules rulesets, and cases become facts.

Engine facts (see docs/ontwerp.md, "Driving durable_rules safely", for the traps behind each choice):

* ``$iany``/``$iall`` only ever hold a single comparison or an ``$and`` chain. The C matcher lets a
  later property overwrite an earlier match inside array operators, so a cross-field ``$or`` inside
  them gives wrong answers; we never emit one.
* Negation is pushed down to single comparisons (no ``$nex``, no ``$not``): every list carries a
  sentinel item and absent values are encoded as -1 or ``"_"``, so "for all items" is never asked
  of an empty list and "missing" never has to be tested.
* Every rule is AND-ed with a group marker that only case facts carry; groups and rulesets stay
  small, which keeps the engine away from its stack limit (error 303) and its fan-out hang.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from collections.abc import Iterator
from typing import Any, Union

from ._models import ERNST_RANG, Casus
from ._rulefile import AanpakVoorwaarde, LeeftijdVoorwaarde, Regel, SignaalVoorwaarde, Voorwaarde

# --- a small boolean algebra over engine expressions -------------------------------------------

TRUE = ("true",)
FALSE = ("false",)
Expr = Union[tuple[str], tuple[str, list["Expr"]], tuple[str, dict[str, Any]]]

SENTINEL = {"e": 0, "h": 99, "d": -1}  # severity 0 < any real, upper copy 99 > any real, duration -1
_SENTINEL_JSON = json.dumps(SENTINEL, separators=(",", ":"))
ABSENT = -1
NO_TEXT = "_"
# The C matcher walks alpha nodes with a 64-slot stack (error 303 when full). Every marker of a
# ruleset matches every fact, so the stack peaks near (groups per ruleset + terms in one group);
# measured: 16 groups x 48 terms fits, 16 x 56 does not. We keep 16 x 40.
RULES_PER_GROUP = 12
TERMS_PER_GROUP = 40
GROUPS_PER_RULESET = 16


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
    return "s" if kind is None else f"s_{kind}"


def _signal(cond: SignaalVoorwaarde, positive: bool, vocabulary: tuple[str, ...]) -> Expr:
    if positive:
        checks: list[dict[str, Any]] = [
            {"$gte": {"$i.e": ERNST_RANG[cond.ernst_minstens] if cond.ernst_minstens else 1}}
        ]
        if cond.ernst_hoogstens:
            checks.append({"$lte": {"$i.h": ERNST_RANG[cond.ernst_hoogstens]}})
        if cond.duur_minstens_weken is not None:
            checks.append({"$gte": {"$i.d": cond.duur_minstens_weken}})
        if cond.behalve_soort:  # one list of all signals, each item carries its kind: an $and chain
            checks += [{"$neq": {"$i.k": k}} for k in cond.behalve_soort]
        inner = checks[0] if len(checks) == 1 else {"$and": checks}
        lists: list[str | None] = list(cond.soort) if cond.soort else [None]
        return _or([_atom({"$iany": {signal_list(k): inner}}) for k in lists])
    # for every item of every listed kind, the single bound fails (validated: at most one bound)
    if cond.ernst_minstens:
        inner = {"$lt": {"$i.e": ERNST_RANG[cond.ernst_minstens]}}
    elif cond.ernst_hoogstens:
        inner = {"$gt": {"$i.h": ERNST_RANG[cond.ernst_hoogstens]}}
    elif cond.duur_minstens_weken is not None:
        inner = {"$lt": {"$i.d": cond.duur_minstens_weken}}
    else:
        inner = {"$lt": {"$i.e": 1}}  # only the sentinel: no signal of this kind at all
    return _and([_atom({"$iall": {signal_list(k): inner}}) for k in _negated_lists(cond, vocabulary)])


def _negated_lists(cond: SignaalVoorwaarde, vocabulary: tuple[str, ...]) -> list[str | None]:
    """The lists a negated signal condition must check: its kinds, all other kinds, or all signals."""
    if cond.soort:
        return list(cond.soort)
    if cond.behalve_soort:  # "for all items, kind in K or bound fails" is a cross-field $or: use per-kind lists
        return [k for k in vocabulary if k not in cond.behalve_soort]
    return [None]


def _choice(fieldname: str, values: list[str], positive: bool) -> Expr:
    if positive:
        return _or([_atom({fieldname: v}) for v in values])
    return _and([_atom({"$neq": {fieldname: v}}) for v in values])


def training_field(name: str) -> str:
    return f"t_{name}"


def _training(values: list[str], positive: bool) -> Expr:
    flag = 1 if positive else 0
    parts = [_atom({training_field(v): flag}) for v in values]
    return _or(parts) if positive else _and(parts)


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


def negated_kinds(cond: Voorwaarde, vocabulary: tuple[str, ...] = ()) -> set[str]:
    """Signal kinds asked under negation: their lists must exist in every fact."""
    return {
        k
        for signal, positive in signals_with_polarity(cond)
        if not positive
        for k in _negated_lists(signal, vocabulary)
        if k is not None
    }


def term_count(cond: Voorwaarde) -> int:
    """How many alternatives (DNF terms) the engine expands a condition into."""
    return _terms(translate(cond))


def _terms(expr: Expr) -> int:
    tag = expr[0]
    if tag in ("true", "false", "atom"):
        return 1
    counts = [_terms(e) for e in expr[1]]  # type: ignore[union-attr]
    if tag == "or":
        return sum(counts)
    product = 1
    for c in counts:
        product *= c
    return product


def _to_json(expr: Expr) -> dict[str, Any]:
    tag = expr[0]
    if tag == "atom":
        return expr[1]  # type: ignore[return-value]
    if tag == "and":
        return {"$and": [_to_json(e) for e in expr[1]]}  # type: ignore[union-attr]
    if tag == "or":
        return {"$or": [_to_json(e) for e in expr[1]]}  # type: ignore[union-attr]
    raise AssertionError(tag)  # TRUE/FALSE are folded away before this point


# --- rulesets -----------------------------------------------------------------------------------


@dataclass
class Compiled:
    """Engine rulesets for a policy and what is needed to turn a case into a fact."""

    rulesets: list[str]  # JSON text per ruleset, rule names are "r<index>"
    markers: dict[str, int]  # every group marker field, set to 1 on each fact
    never: list[int] = field(default_factory=list)  # rules whose condition can never hold
    kept_kinds: frozenset[str] = frozenset()  # kinds whose list is always in the fact
    trainings: tuple[str, ...] = ()

    prefix: str = "{"  # start of every fact: the group markers
    empty_lists: str = ""  # the sentinel-only lists of every kept kind, for cases that have none of them


def compile_rules(rules: list[Regel], trainings: list[str], kinds: list[str] | None = None) -> Compiled:
    """Compile rules (in policy order) into small engine rulesets; ``kinds``: the vocabulary's signal kinds."""
    vocabulary = tuple(kinds or ())
    compiled = Compiled(rulesets=[], markers={}, trainings=tuple(trainings))
    kept: set[str] = set()
    entries: list[tuple[int, dict[str, Any], int]] = []
    for index, rule in enumerate(rules):
        kept |= negated_kinds(rule.als, vocabulary)
        expr = translate(rule.als, True, vocabulary)
        if expr == FALSE:
            compiled.never.append(index)
            continue
        entries.append((index, {} if expr == TRUE else _to_json(expr), _terms(expr)))
    compiled.kept_kinds = frozenset(kept)
    groups: list[list[tuple[int, dict[str, Any]]]] = []
    current: list[tuple[int, dict[str, Any]]] = []
    terms = 0
    for index, body, count in entries:
        if current and (len(current) >= RULES_PER_GROUP or terms + count > TERMS_PER_GROUP):
            groups.append(current)
            current, terms = [], 0
        current.append((index, body))
        terms += count
    if current:
        groups.append(current)
    rulesets: list[dict[str, Any]] = []
    for number, group in enumerate(groups):
        if number % GROUPS_PER_RULESET == 0:
            rulesets.append({})
        marker = f"_g{number % GROUPS_PER_RULESET}"
        compiled.markers[marker] = 1
        for index, body in group:
            parts = [{"$ex": {marker: 1}}] + (body.get("$and") or [body] if body else [])
            condition = parts[0] if len(parts) == 1 else {"$and": parts}
            rulesets[-1][f"r{index}"] = {"all": [{"m": condition}]}
    compiled.prefix = "{" + "".join(f'"{m}":1,' for m in compiled.markers)
    compiled.empty_lists = "".join(_empty_list(k) for k in sorted(compiled.kept_kinds))
    compiled.rulesets = [json.dumps(rs, ensure_ascii=False, separators=(",", ":")) for rs in rulesets]
    return compiled


def _empty_list(kind: str) -> str:
    return f',"{signal_list(kind)}":[{_SENTINEL_JSON}]'


def fact_json(case: Casus, compiled: Compiled) -> str:
    """The engine fact for a validated case, as JSON text.

    Built by hand because it is the hot path: every value is an integer or an identifier that the
    case model has checked against ``KIND_PATTERN`` or a literal, so nothing needs escaping.
    """
    have = case.mentor.scholing if case.mentor else ()
    parts = [compiled.prefix, '"taak":"', case.taak, '","lft":', str(case.leeftijd if case.leeftijd is not None else ABSENT)]
    for name in compiled.trainings:
        parts.append(f',"{training_field(name)}":{1 if name in have else 0}')
    tried = case.eerdere_aanpak
    parts.append(f',"ea_w":{tried.weken},"ea_e":"{tried.effect}"' if tried else f',"ea_w":{ABSENT},"ea_e":"{NO_TEXT}"')
    everything: list[str] = []
    by_kind: dict[str, list[str]] = {}
    for signal in case.signalen:
        rank = ERNST_RANG[signal.ernst]
        body = f'"e":{rank},"h":{rank},"d":{signal.duur_weken if signal.duur_weken is not None else ABSENT}'
        everything.append(f'{{{body},"k":"{signal.soort}"}}')
        by_kind.setdefault(signal.soort, []).append(f"{{{body}}}")
    parts.append(',"s":[' + ",".join(everything + [_SENTINEL_JSON]) + "]")
    empty = compiled.empty_lists  # every kept kind's sentinel-only list; drop those the case fills below
    for kind in compiled.kept_kinds.intersection(by_kind):
        empty = empty.replace(_empty_list(kind), "", 1)
    parts.append(empty)
    for kind, items in by_kind.items():
        parts.append(f',"{signal_list(kind)}":[' + ",".join(items) + "," + _SENTINEL_JSON + "]")
    parts.append("}")
    return "".join(parts)


def encode_case(case: Casus, compiled: Compiled) -> dict[str, Any]:
    """The engine fact for a validated case, as a dict (for tests and tools; the engine gets ``fact_json``)."""
    return json.loads(fact_json(case, compiled))
