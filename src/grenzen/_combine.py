"""Step 5, combine: from the rules that apply to one advice (exceptions first, then the strictest wins)."""

from __future__ import annotations

from collections.abc import Iterable

from ._models import ROUTE_RANG, URGENTIE_RANG, Advies, BeleidInfo, Casus, OpzijGezet, Reden
from ._rulefile import Afspraken, Regel

FALLBACK = Reden(
    regel="geen-regel-van-toepassing",
    titel="Geen regel van toepassing",
    bron="grenzen: als het beleid een casus niet dekt, beslist het zorgteam (docs/regels-schrijven.md)",
    uitleg="Het beleid dekt deze casus niet. Bij twijfel gaat de casus naar het zorgteam, niet stil naar de mentor.",
    route="zorgteam",
)
FALLBACK_URGENCY = "deze_week"


def effective(rules: list[Regel], applicable: Iterable[int]) -> tuple[list[int], list[tuple[int, int]]]:
    """Rules that stay after exceptions, and (set aside, by) pairs; both in policy order.

    A rule is set aside when an applicable rule that is itself not set aside names it.
    Exceptions form no cycles and never name absolute rules (checked at load).
    """
    active = sorted(set(applicable))
    index_of = {rules[i].id: i for i in active}
    setters: dict[int, list[int]] = {}
    for i in active:
        for target in rules[i].zet_opzij:
            if target in index_of:
                setters.setdefault(index_of[target], []).append(i)
    memo: dict[int, bool] = {}

    def stays(i: int) -> bool:
        if i not in memo:
            memo[i] = not any(stays(j) for j in setters.get(i, ()))
        return memo[i]

    kept = [i for i in active if stays(i)]
    aside = [(i, next(j for j in setters[i] if stays(j))) for i in active if not stays(i)]
    return kept, aside


def combine(
    rules: list[Regel],
    applicable: Iterable[int],
    case: Casus,
    agreements: Afspraken,
    policy: BeleidInfo,
) -> Advies:
    """The advice for a case, given the indexes of the rules whose conditions hold."""
    kept, aside = effective(rules, applicable)
    if not kept:
        return Advies(
            route="zorgteam",
            urgentie=FALLBACK_URGENCY,
            taak_hoort_bij_mentor=False,
            mentor_doet=[],
            mentor_doet_niet=[],
            verwijzen_naar=[],
            toestemming=None,
            redenen=[FALLBACK],
            opzij_gezet=[],
            beleid=policy,
        )
    chosen = [rules[i] for i in kept]
    order = sorted(range(len(chosen)), key=lambda k: -ROUTE_RANG[chosen[k].dan.route])
    verdicts = [r.dan.taak_hoort_bij_mentor for r in chosen]
    names = agreements.bestemmingen
    return Advies(
        route=max((r.dan.route for r in chosen), key=ROUTE_RANG.__getitem__),
        urgentie=max((r.dan.urgentie for r in chosen), key=URGENTIE_RANG.__getitem__),
        taak_hoort_bij_mentor=False not in verdicts and True in verdicts,
        mentor_doet=_merge(r.dan.mentor_doet for r in chosen),
        mentor_doet_niet=_merge(r.dan.mentor_doet_niet for r in chosen),
        verwijzen_naar=_merge([names[n].naam if n in names else n for n in r.dan.verwijzen_naar] for r in chosen),
        toestemming=_consent(case, agreements) if any(r.dan.toestemming for r in chosen) else None,
        redenen=[
            Reden(regel=r.id, titel=r.titel, bron=r.bron, uitleg=r.dan.uitleg, route=r.dan.route)
            for r in (chosen[k] for k in order)
        ],
        opzij_gezet=[OpzijGezet(regel=rules[i].id, door=rules[j].id) for i, j in aside],
        beleid=policy,
    )


def _merge(lists: Iterable[list[str]]) -> list[str]:
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
