"""Step 5, combine: from the rules that apply to one advice (exceptions first, then the strictest wins)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
    uitleg="Er is een veiligheidssignaal, maar geen regel van het beleid verwijst door. Het zorgteam beslist, "
    "vandaag nog.",
    route="zorgteam",
)
SAFETY_URGENCY = "vandaag"


def refers_away(rule: Regel) -> bool:
    """An absolute rule with route zorgteam or extern: it sets aside every lighter mentor-route rule."""
    return rule.absoluut and rule.dan.route != "mentor"


def effective(rules: list[Regel], applicable: Iterable[int]) -> tuple[list[int], list[tuple[int, int]]]:
    """Rules that stay after exceptions, and (set aside, by) pairs; both in policy order.

    A rule is set aside when an applicable rule that is itself not set aside names it in ``zet_opzij``, or when
    it is a rule with route mentor that is not absolute and an applicable absolute rule refers the case away
    (``refers_away``: as if that rule named it). Exceptions form no cycles and never name absolute rules (checked
    at load), so absolute rules always stay. Each rule is decided after every rule that names it (Kahn's order),
    without recursion: a chain of exceptions can be as long as the policy.
    """
    active = sorted(set(applicable))
    index_of = {rules[i].id: i for i in active}
    setters: dict[int, list[int]] = {i: [] for i in active}
    targets: dict[int, list[int]] = {i: [] for i in active}
    lighter = [i for i in active if rules[i].dan.route == "mentor" and not rules[i].absoluut]
    for i in active:
        named = [index_of.get(target) for target in rules[i].zet_opzij]
        if lighter and refers_away(rules[i]):
            named += lighter
        for t in dict.fromkeys(named):
            if t is not None and t != i:  # naming itself is refused at load
                setters[t].append(i)
                targets[i].append(t)
    waiting = {i: len(setters[i]) for i in active}
    ready = [i for i in active if not waiting[i]]
    stays: dict[int, bool] = {}
    while ready:
        i = ready.pop()
        stays[i] = not any(stays[j] for j in setters[i])
        for t in targets[i]:
            waiting[t] -= 1
            if not waiting[t]:
                ready.append(t)
    # a rule on a cycle (refused at load) is never decided above: it stays, visible in the advice
    kept = [i for i in active if stays.get(i, True)]
    aside = [(i, next(j for j in setters[i] if stays.get(j, True))) for i in active if not stays.get(i, True)]
    return kept, aside


@dataclass(frozen=True)
class _Part:
    """One rule's contribution to an advice, worked out once when the policy is built."""

    reason: Reden
    route: int
    urgency: int
    verdict: bool | None
    does: tuple[str, ...]
    does_not: tuple[str, ...]
    destinations: tuple[str, ...]
    consent: bool
    sets_aside: frozenset[int]
    absolute: bool
    away: bool  # refers_away: sets aside the non-absolute mentor-route rules that apply with it


_ROUTES = sorted(ROUTE_RANK, key=ROUTE_RANK.__getitem__)
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
                does=tuple(r.dan.mentor_doet),
                does_not=tuple(r.dan.mentor_doet_niet),
                destinations=tuple(names[n].naam if n in names else n for n in r.dan.verwijzen_naar),
                consent=bool(r.dan.toestemming),
                sets_aside=frozenset(index[t] for t in r.zet_opzij if t in index),
                absolute=r.absoluut,
                away=refers_away(r),
            )
            for r in rules
        ]

    def __call__(self, applicable: list[int], case: Casus) -> Advies:
        """The advice for a case, given the (sorted) indexes of the rules whose conditions hold."""
        advice = self._decide(applicable, case)
        if (self.safety_kinds and (advice.route == "mentor" or advice.redenen[0] is FALLBACK)
                and any(s.soort in self.safety_kinds for s in case.signalen)):
            return self._guard(advice)
        return advice

    def _decide(self, applicable: list[int], case: Casus) -> Advies:
        parts = self.parts
        if any(parts[i].sets_aside or parts[i].away for i in applicable):
            kept, aside = effective(self.rules, applicable)
        else:  # no exception in play: every applicable rule stays
            kept, aside = applicable, []
        if not kept:
            return Advies.model_construct(
                route="zorgteam", urgentie=FALLBACK_URGENCY, taak_hoort_bij_mentor=False, mentor_doet=[],
                mentor_doet_niet=[], verwijzen_naar=[], toestemming=None, redenen=[FALLBACK], opzij_gezet=[],
                beleid=self.policy,
            )
        chosen = [parts[i] for i in kept]
        # an absolute rule that refers the case away decides whose task it is: only absolute rules count then
        judges = [p for p in chosen if p.absolute] if any(p.away for p in chosen) else chosen
        verdicts = {p.verdict for p in judges}
        return Advies.model_construct(
            route=_ROUTES[max(p.route for p in chosen)],
            urgentie=_URGENCIES[max(p.urgency for p in chosen)],
            taak_hoort_bij_mentor=False not in verdicts and True in verdicts,
            mentor_doet=_merge(p.does for p in chosen),
            mentor_doet_niet=_merge(p.does_not for p in chosen),
            verwijzen_naar=_merge(p.destinations for p in chosen),
            toestemming=_consent(case, self.agreements) if any(p.consent for p in chosen) else None,
            redenen=[p.reason for p in sorted(chosen, key=lambda p: -p.route)],  # stable: policy order per route
            opzij_gezet=[OpzijGezet(regel=self.rules[i].id, door=self.rules[j].id) for i, j in aside],
            beleid=self.policy,
        )

    @staticmethod
    def _guard(advice: Advies) -> Advies:
        """A safety signal that the rules left at the mentor (or did not cover): zorgteam, today."""
        urgency = max(advice.urgentie, SAFETY_URGENCY, key=URGENCY_RANK.__getitem__)
        return advice.model_copy(
            update={
                "route": "zorgteam",
                "urgentie": urgency,
                "taak_hoort_bij_mentor": False,  # in doubt about a student in danger: not the mentor's task
                "redenen": [SAFETY_GUARD, *advice.redenen],
            }
        )


def _merge(lists: Iterable[Iterable[str]]) -> list[str]:
    return list(dict.fromkeys(item for items in lists for item in items))


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
