"""Step 5, combine: from the rules that apply to one advice (exceptions first, then the strictest wins)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from itertools import chain, filterfalse, repeat
from operator import attrgetter
from typing import Any, NamedTuple

from .._models import ROUTE_RANK, URGENCY_RANK, Advies, BeleidInfo, Casus, OpzijGezet, Reden
from ._rulefile import Afspraken, Regel

FALLBACK = Reden(
    regel="geen-regel-van-toepassing",
    titel="Geen regel van toepassing",
    bron="grenzen: als het beleid een casus niet dekt, beslist het zorgteam (docs/regels-schrijven.md)",
    uitleg="Het beleid dekt deze casus niet. Bij twijfel gaat de casus naar het zorgteam, niet stil naar de mentor.",
    route="zorgteam",
)
FALLBACK_URGENCY = "deze_week"
SAFETY_GUARD = Reden(
    regel="veiligheid-nooit-alleen-bij-mentor",
    titel="Veiligheidssignaal: nooit alleen bij de mentor",
    bron="grenzen: een signaal met 'veiligheid: ja' in de woordenlijst eindigt nooit bij de mentor "
    "(docs/regels-schrijven.md)",
    uitleg="Er is een veiligheidssignaal, maar geen vaste (absolute) regel van het beleid verwijst het door. Het "
    "zorgteam beslist, vandaag nog.",
    route="zorgteam",
)
SAFETY_URGENCY = "vandaag"
#: The guard's step, first in what the mentor does. Like an absolute referral (``refers_away``), the guard sets aside
#: the rules that left the case at the mentor, unless absolute: their steps ("Voer zelf de gesprekken", a trial)
#: next to this one told the mentor to handle it after all. Absolute mentor rules (signalling, first aid) stay.
SAFETY_STEP = ("Meld het vandaag nog bij de zorgcoördinator: het zorgteam beslist wat er gebeurt. Pak het niet alleen "
               "aan.")
#: ``by`` of a rule the safety guard set aside (``Combiner._aside``): the guard is no rule of the policy
BY_GUARD = -1
#: How many sets of applicable rules a combiner keeps the decision of (then it starts again).
DECIDED_KEPT = 4096


def refers_away(rule: Regel) -> bool:
    """An absolute rule with route zorgteam or extern: it sets aside every lighter mentor-route rule."""
    return rule.absoluut and rule.dan.route != "mentor"


def effective(rules: list[Regel], applicable: Iterable[int]) -> tuple[list[int], list[tuple[int, int]]]:
    """Rules that stay after exceptions, and (set aside, by) pairs; both in policy order.

    A rule is set aside when an applicable rule that is itself not set aside names it in ``zet_opzij``, or when
    it is a rule with route mentor that is not absolute and an applicable absolute rule refers the case away
    (``refers_away``: as if that rule named it). Next to such a referral a rule with route mentor sets nothing
    aside, not even an absolute one: in danger the mentor's side never removes a referral's steps (a trial: a
    school's absolute "Voer de begeleidingsgesprekken zelf" with ``zet_opzij`` of the default's
    ``begeleidingsgesprekken-zwaar`` took "Begin niet op eigen houtje een reeks gesprekken" out of an acute suicide
    plan's advice). Exceptions form no cycles and never name absolute rules (checked at load), so absolute rules
    always stay.
    """
    active = sorted(set(applicable))
    index_of = {rules[i].id: i for i in active}
    away = [i for i in active if refers_away(rules[i])]
    names = {i: frozenset(t for name in rules[i].zet_opzij if (t := index_of.get(name)) is not None) for i in active
             if not (away and rules[i].dan.route == "mentor")}
    lighter = [i for i in active if rules[i].dan.route == "mentor" and not rules[i].absoluut]
    return _resolve(active, names, away, lighter)


_NONE: frozenset[int] = frozenset()


def _resolve(active: list[int], names: dict[int, frozenset[int]], away: list[int], lighter: Collection[int],
             ) -> tuple[list[int], list[tuple[int, int]]]:
    """``effective`` on indexes: ``names[i]``: the active rules that rule ``i`` names in ``zet_opzij`` (in policy
    order); ``away``: the active rules that refer the case away, ``lighter``: the active rules they set aside.

    An ``away`` rule is absolute, and absolute rules are never named (checked at load), so it always stays and every
    ``lighter`` rule goes aside with it there: only the rules ``zet_opzij`` names are worked out (``_named_stay``). A
    rule goes aside by the first rule in policy order that names it (or an ``away`` rule) and stays."""
    gone = frozenset(lighter) if away else _NONE  # set aside by the away rules, whatever else names them
    setters: dict[int, list[int]] = {}  # target -> the rules that name it, in policy order
    for i, named in names.items():
        for t in named:
            if t != i:  # naming itself is refused at load
                setters.setdefault(t, []).append(i)
    stays = _named_stay(setters, gone)
    out = gone.union([i for i, stay in stays.items() if not stay])
    if not out:  # no exception in play: every rule stays
        return active, []
    aside = list(zip(sorted(gone.difference(setters)), repeat(away[0]))) if gone else []  # named by no rule
    for i in setters.keys() & out:
        by = next((j for j in setters[i] if stays.get(j, j not in gone)), None)
        if i in gone and (by is None or by > away[0]):
            by = away[0]
        assert by is not None  # a rule goes aside only by a rule that stays
        aside.append((i, by))
    aside.sort()  # in policy order (each rule once)
    return list(filterfalse(out.__contains__, active)), aside


def _named_stay(setters: dict[int, list[int]], gone: frozenset[int]) -> dict[int, bool]:
    """Whether each rule that names or is named stays (``_resolve``): a rule in ``gone`` never does; any other when no
    rule that names it stays. Each is decided after every rule that names it (Kahn's order), without recursion: a
    chain of exceptions can be as long as the policy. A rule on a cycle (refused at load) is left out: it stays,
    visible in the advice, unless gone."""
    targets: dict[int, list[int]] = {}
    for t, by in setters.items():
        for i in by:
            targets.setdefault(i, []).append(t)
    waiting = {t: len(by) for t, by in setters.items()}
    ready = [i for i in targets if i not in setters]
    stays = {i: i not in gone for i in ready}
    while ready:
        for t in targets.get(ready.pop(), ()):
            waiting[t] -= 1
            if not waiting[t]:
                stays[t] = t not in gone and not any(stays[j] for j in setters[t])
                ready.append(t)
    return stays


@dataclass(frozen=True, slots=True)
class _Part:
    """One rule's contribution to an advice, worked out once when the policy is built."""

    reason: Reden
    route: int
    urgency: int
    verdict: bool | None
    does: dict[str, None]  # the rule's lists as dict keys, in order: merged with ``dict.update`` (``_decide``)
    does_not: dict[str, None]
    destinations: dict[str, None]
    consent: bool
    withholds: bool  # an absolute rule with 'toestemming: nee' (a duty or right to report): no consent is asked with it
    sets_aside: frozenset[int]
    absolute: bool
    away: bool  # refers_away: sets aside the non-absolute mentor-route rules that apply with it
    lighter: bool  # a non-absolute mentor-route rule: what an applicable ``away`` rule sets aside


_ROUTE_OF = attrgetter("route")
_URGENCY_OF = attrgetter("urgency")
_VERDICT_OF = attrgetter("verdict")
_CONSENT_OF = attrgetter("consent")
_WITHHOLDS = attrgetter("withholds")
_DOES_NOT = attrgetter("does_not")
_DESTINATIONS = attrgetter("destinations")
_ROUTES = sorted(ROUTE_RANK, key=ROUTE_RANK.__getitem__)
_GUARD_ROUTE = ROUTE_RANK[SAFETY_GUARD.route]
_URGENCIES = sorted(URGENCY_RANK, key=URGENCY_RANK.__getitem__)


class Combiner:
    """Turns the indexes of the rules whose conditions hold into an advice, for one policy."""

    def __init__(
        self, rules: list[Regel], agreements: Afspraken, policy: BeleidInfo, safety_kinds: frozenset[str] = frozenset()
    ) -> None:
        self.rules = rules
        self.safety_kinds = safety_kinds
        self.agreements = agreements
        self.policy = policy
        index = {r.id: i for i, r in enumerate(rules)}
        names = agreements.bestemmingen
        self.parts = [
            _Part(
                reason=Reden(regel=r.id, titel=r.titel, bron=r.bron, uitleg=r.dan.uitleg, route=r.dan.route),
                route=ROUTE_RANK[r.dan.route],
                urgency=URGENCY_RANK[r.dan.urgentie],
                verdict=r.dan.taak_hoort_bij_mentor,
                does=dict.fromkeys(r.dan.mentor_doet),
                does_not=dict.fromkeys(r.dan.mentor_doet_niet),
                destinations=dict.fromkeys(names[n].naam if n in names else n for n in r.dan.verwijzen_naar),
                consent=bool(r.dan.toestemming),
                withholds=r.absoluut and r.dan.toestemming is False,
                sets_aside=frozenset(index[t] for t in r.zet_opzij if t in index),
                absolute=r.absoluut,
                away=refers_away(r),
                lighter=r.dan.route == "mentor" and not r.absoluut,
            )
            for r in rules
        ]
        parts = self.parts
        #: the rules that name others in ``zet_opzij``, refer away, or go aside next to such a referral (``_decide``
        #: meets them with set operations, not a loop over every applicable rule)
        self._setters = frozenset(i for i, part in enumerate(parts) if part.sets_aside)
        self._away = frozenset(i for i, part in enumerate(parts) if part.away)
        self._lighter = frozenset(i for i, part in enumerate(parts) if part.lighter)
        self._mentor_route = frozenset(i for i, part in enumerate(parts) if part.route == ROUTE_RANK["mentor"])
        #: per rule, the sort key of the reasons: the heaviest route first, within a route the most urgent rule (a
        #: trial: the first reason of a forced marriage next to absence was the absence rule, first in the policy)
        self.reason_order = [-(part.route * len(URGENCY_RANK) + part.urgency) for part in parts]
        self._urgent_first = [-part.urgency for part in parts]  # sort key: the most urgent rule first
        self._with_does_not = frozenset(i for i, part in enumerate(parts) if part.does_not)  # most rules have none
        self._with_destinations = frozenset(i for i, part in enumerate(parts) if part.destinations)
        self._asides: dict[tuple[int, int], OpzijGezet] = {}
        self._decided: dict[tuple[int, ...], _Decided] = {}
        self._guarded: dict[tuple[int, ...], _Decided] = {}  # the guarded versions asked for (``_with_guard``)

    def __call__(self, applicable: list[int], case: Casus) -> Advies:
        """The advice for a case, given the (sorted) indexes of the rules whose conditions hold."""
        key = tuple(applicable)
        decided = self._decided.get(key)
        if decided is None:
            decided = self._decide(applicable)
            if len(self._decided) >= DECIDED_KEPT:  # bounded: a stream of ever new rule sets keeps memory flat
                self._decided.clear()
                self._guarded.clear()
            self._decided[key] = decided
        if decided.guardable and any(s.soort in self.safety_kinds for s in case.signalen):
            guarded = self._guarded.get(key)
            if guarded is None:  # worked out when a case with a safety signal asks for it, not for every set
                guarded = self._guarded[key] = self._with_guard(decided, *self._resolved(applicable)[:2])
            decided = guarded
        return _advies(
            route=decided.route,
            urgentie=decided.urgency,
            taak_hoort_bij_mentor=decided.verdict,
            mentor_doet=list(decided.does),  # fresh lists: a caller may change its advice, never the next one
            mentor_doet_niet=list(decided.does_not),
            verwijzen_naar=list(decided.destinations),
            toestemming=_consent(case, self.agreements) if decided.consent else None,
            redenen=list(decided.reasons),
            opzij_gezet=list(decided.aside),
            beleid=self.policy,
            id=case.id,
        )

    def _decide(self, applicable: list[int]) -> _Decided:
        """What the rules ``applicable`` (sorted, no duplicates) decide, and whether the safety guard acts for a case
        with a safety signal (``guardable``: no absolute referral stays; its version is ``_with_guard``)."""
        parts = self.parts
        kept, aside, away = self._resolved(applicable)
        guardable = bool(self.safety_kinds) and not away
        if not kept:
            return _Decided("zorgteam", FALLBACK_URGENCY, False, (), (), (), False, (FALLBACK,), (), guardable)
        chosen = list(map(parts.__getitem__, kept))
        # over the rules that stay: the heaviest route and urgency, and the verdicts; an absolute rule that refers the
        # case away (it always stays) decides whose task it is: then only absolute rules count
        verdicts = set(map(_VERDICT_OF, [p for p in chosen if p.absolute] if away else chosen))
        return self._merged_lists(kept, aside)._replace(
            route=_ROUTES[max(map(_ROUTE_OF, chosen))], urgency=_URGENCIES[max(map(_URGENCY_OF, chosen))],
            verdict=False not in verdicts and True in verdicts, guardable=guardable)

    def _merged_lists(self, kept: list[int], aside: list[tuple[int, int]]) -> _Decided:
        """The parts of a decision that come from the rules ``kept`` as lists (each merged without duplicates: a dict
        keeps the first position of a key; the steps by urgency, then in policy order, the others in policy order),
        consent, and reasons (the heaviest route first, then the most urgent, then policy order); route, urgency and
        verdict are left for the caller. Consent is asked when a rule asks it and no absolute rule says 'toestemming:
        nee': a report under a duty or right to report (meldcode) needs none, and asking the parents first can put the
        student in danger (two trials: "Toestemming nodig van: ouders" beside "Voor een melding bij Veilig Thuis is geen
        toestemming nodig")."""
        parts, asides = self.parts, self._asides
        chosen = list(map(parts.__getitem__, kept))
        return _Decided(
            route="", urgency="", verdict=False,
            # the most urgent rule's steps first ("Bel 112" was step 3 of 10, a trial), policy order within an urgency
            does=tuple(dict.fromkeys(chain.from_iterable(
                [parts[i].does for i in sorted(kept, key=self._urgent_first.__getitem__)]))),
            does_not=_merged(parts, self._with_does_not, kept, _DOES_NOT),
            destinations=_merged(parts, self._with_destinations, kept, _DESTINATIONS),
            consent=any(map(_CONSENT_OF, chosen)) and not any(map(_WITHHOLDS, chosen)),
            reasons=tuple([parts[i].reason for i in sorted(kept, key=self.reason_order.__getitem__)]),
            aside=tuple([asides.get(pair) or self._aside(*pair) for pair in aside]))

    def _resolved(self, applicable: list[int]) -> tuple[list[int], list[tuple[int, int]], list[int]]:
        """The rules that stay after exceptions, the (set aside, by) pairs, and the absolute referrals among them."""
        parts = self.parts
        away = sorted(self._away.intersection(applicable))
        setters = self._setters.intersection(applicable)
        if away:  # next to an absolute referral a mentor-route rule sets nothing aside (``effective``)
            setters = setters.difference(self._mentor_route)
        if setters:
            present = frozenset(applicable)
            kept, aside = _resolve(applicable, {i: parts[i].sets_aside & present for i in sorted(setters)},
                                   away, self._lighter.intersection(applicable) if away else _NONE)
        elif away:  # only absolute referrals set rules aside (the rules here that name others in zet_opzij, if any,
            # have route mentor: next to the referral they set nothing aside): every lighter one, by the first referral
            # (absolute rules are never set aside, so that one stays; what _resolve finds, without its walk)
            kept = list(filterfalse(self._lighter.__contains__, applicable))
            aside = [(i, away[0]) for i in applicable if i in self._lighter]
        else:  # no exception in play: every applicable rule stays
            kept, aside = applicable, []
        return kept, aside, away

    def _with_guard(self, decided: _Decided, kept: list[int], aside: list[tuple[int, int]]) -> _Decided:
        """The guarded version of ``decided`` (by the rules ``kept``, none an absolute referral), for a case with a
        safety signal: the guard acts as the absolute referral the rules do not give. At least zorgteam (extern if a
        rule that stays says so), today at the latest (never less urgent than the rules said), the guard's step and
        reason first. It sets aside every kept rule with route mentor that is not absolute, as an absolute referral
        does; then only the absolute rules say whose task it is (first aid and signalling stay the mentor's; with none,
        not the mentor's)."""
        parts = self.parts
        staying = [i for i in kept if not parts[i].lighter]
        chosen = list(map(parts.__getitem__, staying))
        by_rules = decided
        if len(staying) < len(kept):  # the set aside pairs of the rules and of the guard, in policy order
            pairs = sorted([*aside, *((i, BY_GUARD) for i in kept if parts[i].lighter)])
            by_rules = self._merged_lists(staying, pairs)
        verdicts = {p.verdict for p in chosen if p.absolute}
        return by_rules._replace(
            route=_ROUTES[max([_GUARD_ROUTE, *map(_ROUTE_OF, chosen)])],
            urgency=max(decided.urgency, SAFETY_URGENCY, key=URGENCY_RANK.__getitem__),
            verdict=False not in verdicts and True in verdicts,
            does=(SAFETY_STEP, *(step for step in by_rules.does if step != SAFETY_STEP)),
            reasons=(SAFETY_GUARD, *by_rules.reasons), guardable=False)

    def _aside(self, rule: int, by: int) -> OpzijGezet:
        """The (immutable) record that ``rule`` was set aside by ``by`` (``BY_GUARD``: the safety guard), made once
        per pair."""
        key = (rule, by)
        found = self._asides.get(key)
        if found is None:
            door = SAFETY_GUARD.regel if by == BY_GUARD else self.rules[by].id
            found = self._asides[key] = OpzijGezet(regel=self.rules[rule].id, door=door)
        return found


def _merged(parts: list[_Part], having: frozenset[int], kept: list[int], items: Callable[[_Part], dict[str, None]],
            ) -> tuple[str, ...]:
    """One list of the rules ``kept``, merged in policy order without duplicates; ``having``: the rules whose list is
    not empty."""
    return tuple(dict.fromkeys(chain.from_iterable([items(parts[i]) for i in sorted(having.intersection(kept))])))


class _Decided(NamedTuple):
    """What one set of applicable rules decides, before the case's own facts (its age for consent, its safety signals
    for the guard): worked out once per set and kept (``Combiner._decided``)."""

    route: str
    urgency: str
    verdict: bool
    does: tuple[str, ...]
    does_not: tuple[str, ...]
    destinations: tuple[str, ...]
    consent: bool
    reasons: tuple[Reden, ...]
    aside: tuple[OpzijGezet, ...]
    guardable: bool = False  # no absolute referral stays: for a case with a safety signal the guard acts (_with_guard)


_FIELDS = tuple(Advies.model_fields)
_new = object.__new__
_set = object.__setattr__


def _advies(**values: Any) -> Advies:
    """An ``Advies`` from values the combiner built (already valid): what ``Advies.model_construct`` makes with
    every field given, without its per-field loop. This is the hot path of every advice; ``test_combine`` checks
    that both give the same object."""
    advice: Advies = _new(Advies)
    _set(advice, "__dict__", {name: values[name] for name in _FIELDS})
    _set(advice, "__pydantic_fields_set__", set(_FIELDS))
    _set(advice, "__pydantic_extra__", None)
    _set(advice, "__pydantic_private__", None)
    return advice


def _consent(case: Casus, agreements: Afspraken) -> str | None:
    rules = agreements.toestemming
    if rules is None:  # pragma: no cover - refused at load
        return None
    if case.leeftijd is None:
        return rules.onbekende_leeftijd
    for group in rules.leeftijden:
        low = group.vanaf if group.vanaf is not None else 0
        high = group.tot_en_met if group.tot_en_met is not None else 999
        if low <= case.leeftijd <= high:
            return group.wie
    return rules.onbekende_leeftijd
