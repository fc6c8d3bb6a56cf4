"""A small pure-Python reference evaluator of the rule semantics: the oracle for the engine path.

Written straight from docs/regels-schrijven.md, sharing no code with grenzen's compiler, engine or
combiner (only the pydantic shapes of rule files and cases).
"""

from __future__ import annotations

from grenzen import Casus
from grenzen.pipeline._combine import SAFETY_STEP  # the guard's text (data, not how it combines)
from grenzen.pipeline._rulefile import Afspraken, Regel, Voorwaarde

SEVERITY = ["licht", "matig", "ernstig", "acuut"]
ROUTES = ["mentor", "zorgteam", "extern"]
URGENCIES = ["regulier", "deze_week", "vandaag", "direct"]


def generated_kinds(safety_kinds=frozenset()) -> dict:
    """The signal kinds of the policies tests/strategies.py writes, with ``safety_kinds`` marked ``veiligheid: ja``."""
    from strategies import VOCABULARY

    return {kind: {"groep": term.get("groep"), "veiligheid": kind in safety_kinds, "familie": False}
            for kind, term in VOCABULARY["signalen"].items()}


def kinds_of(policy) -> dict:
    """A loaded policy's signal kinds as plain data: {kind: {"groep": ..., "veiligheid": ..., "familie": ...}} (the
    woordenlijst; "familie": its 'familie_niet_benaderen')."""
    return {kind: {"groep": term.groep, "veiligheid": term.veiligheid, "familie": term.familie_niet_benaderen}
            for kind, term in policy.vocabulary.signalen.items()}


def holds(cond: Voorwaarde, case: Casus, kinds: dict | None = None) -> bool:
    """Does ``cond`` hold for ``case``? All keys of one block must hold. ``kinds``: the vocabulary's signal kinds
    as {kind: {"groep": ..., "veiligheid": ..., "familie": ...}}, looked up for the selectors of a ``signaal`` block
    (default: those of the generated policies)."""
    kinds = generated_kinds() if kinds is None else kinds
    checks = []
    if cond.alle is not None:
        checks.append(all(holds(c, case, kinds) for c in cond.alle))
    if cond.een_van is not None:
        checks.append(any(holds(c, case, kinds) for c in cond.een_van))
    if cond.niet is not None:
        checks.append(not holds(cond.niet, case, kinds))
    if cond.signaal is not None:
        checks.append(any(_meets(cond.signaal, sig, kinds) for sig in case.signalen))
    if cond.aantal_signalen is not None:
        # at least N signals of the case meet every other key of the block; each signal counts
        n = cond.aantal_signalen
        checks.append(sum(_meets(n, sig, kinds) for sig in case.signalen) >= n.minstens)
    if cond.taak is not None:
        checks.append(case.taak in cond.taak)
    if cond.scholing is not None:
        have = case.mentor.scholing if case.mentor else []
        checks.append(any(x in have for x in cond.scholing))
    if cond.leeftijd is not None:
        a = cond.leeftijd
        checks.append(
            case.leeftijd is not None
            and (a.vanaf is None or case.leeftijd >= a.vanaf)
            and (a.tot_en_met is None or case.leeftijd <= a.tot_en_met)
        )
    if cond.leerjaar is not None:
        y = cond.leerjaar
        checks.append(
            case.leerjaar is not None
            and (y.vanaf is None or case.leerjaar >= y.vanaf)
            and (y.tot_en_met is None or case.leerjaar <= y.tot_en_met)
        )
    if cond.eerdere_aanpak is not None:
        e, tried = cond.eerdere_aanpak, case.eerdere_aanpak
        checks.append(
            tried is not None
            and (e.weken_minstens is None or tried.weken >= e.weken_minstens)
            and (e.effect is None or tried.effect in e.effect)
        )
    return all(checks)


def _meets(s, sig, kinds: dict) -> bool:
    """Does one signal of the case meet every key of a ``signaal`` block (or of an ``aantal_signalen`` block)?"""
    return (
        (s.soort is None or sig.soort in s.soort)
        and (s.behalve_soort is None or sig.soort not in s.behalve_soort)
        # selectors: the signal's own kind, looked up in the vocabulary
        and (s.groep is None or kinds[sig.soort]["groep"] in s.groep)
        and (s.veiligheid is None or kinds[sig.soort]["veiligheid"] == s.veiligheid)
        and (s.familie_niet_benaderen is None or kinds[sig.soort].get("familie", False) == s.familie_niet_benaderen)
        and (s.ernst_minstens is None or SEVERITY.index(sig.ernst) >= SEVERITY.index(s.ernst_minstens))
        and (s.ernst_hoogstens is None or SEVERITY.index(sig.ernst) <= SEVERITY.index(s.ernst_hoogstens))
        and (s.duur_minstens_weken is None or (sig.duur_weken is not None and sig.duur_weken >= s.duur_minstens_weken))
    )


def reference_advice(rules: list[Regel], agreements: Afspraken, case: Casus, safety_kinds=frozenset(),
                     kinds: dict | None = None) -> dict:
    """The advice fields (except ``beleid``) as the documentation defines them. ``kinds``: see ``holds`` (default:
    the generated policies' kinds, with ``safety_kinds`` marked)."""
    in_danger = any(s.soort in safety_kinds for s in case.signalen)
    advice = _by_rules(rules, agreements, case, generated_kinds(safety_kinds) if kinds is None else kinds, in_danger)
    return {**advice, "id": case.id}  # the case's own id comes back in its advice


def safety_kinds_of(policy) -> frozenset:
    return frozenset(k for k, t in policy.vocabulary.signalen.items() if t.veiligheid)


def _consent(agreements: Afspraken, case: Casus):
    """Whose consent the agreements ask at the case's age."""
    t = agreements.toestemming
    assert t is not None  # a policy whose rules ask consent has agreements on it (toestemming-zonder-afspraken)
    consent = t.onbekende_leeftijd
    if case.leeftijd is not None:
        for g in t.leeftijden:
            if (g.vanaf is None or case.leeftijd >= g.vanaf) and (g.tot_en_met is None or case.leeftijd <= g.tot_en_met):
                consent = g.wie
                break
    return consent


def _by_rules(rules: list[Regel], agreements: Afspraken, case: Casus, kinds: dict, in_danger: bool) -> dict:
    applicable = [r for r in rules if holds(r.als, case, kinds)]
    referred = any(r.absoluut and r.dan.route != "mentor" for r in applicable)

    def names(other, r) -> bool:  # other sets r aside if both stay: its zet_opzij, or an absolute rule sending away
        away = other.absoluut and other.dan.route != "mentor"
        if referred and other.dan.route == "mentor":  # next to an absolute referral the mentor's side removes nothing
            return False
        return other is not r and (r.id in other.zet_opzij or (away and r.dan.route == "mentor" and not r.absoluut))

    # exceptions: repeat until stable; a rule stays unless a staying rule names it
    staying = {r.id for r in applicable}
    while True:
        new = {r.id for r in applicable if not any(names(o, r) for o in applicable if o.id in staying)}
        if new == staying:
            break
        staying = new
    kept = [r for r in applicable if r.id in staying]
    aside = []
    for r in applicable:
        if r.id not in staying:
            by = next(o.id for o in applicable if o.id in staying and names(o, r))
            aside.append({"regel": r.id, "door": by})
    if in_danger and not any(r.absoluut and r.dan.route != "mentor" for r in kept):  # also when no rule stays
        return _guarded(rules, agreements, case, kept, aside)
    if not kept:
        return {"route": "zorgteam", "urgentie": "deze_week", "taak_hoort_bij_mentor": False, "mentor_doet": [],
                "mentor_doet_niet": [], "verwijzen_naar": [], "toestemming": None,
                "redenen": ["geen-regel-van-toepassing"], "opzij_gezet": aside}
    return _fields(agreements, case, kept, aside)


def _guarded(rules: list[Regel], agreements: Afspraken, case: Casus, kept: list[Regel], aside: list[dict]) -> dict:
    """The safety guard, for a case with a safety signal that no absolute referral takes: it acts as one. At least
    zorgteam, at least today and never less urgent than the rules said; it sets aside every kept mentor rule that is
    not absolute, and then only the absolute rules say whose task it is (none: not the mentor's); its step and reason
    first."""
    order = {r.id: n for n, r in enumerate(rules)}
    aside = sorted(aside + [{"regel": r.id, "door": "veiligheid-nooit-alleen-bij-mentor"} for r in kept
                            if r.dan.route == "mentor" and not r.absoluut], key=lambda item: order[item["regel"]])
    staying = [r for r in kept if r.dan.route != "mentor" or r.absoluut]
    advice: dict = (_fields(agreements, case, staying, aside) if staying else
                    {"route": "zorgteam", "mentor_doet": [], "mentor_doet_niet": [], "verwijzen_naar": [],
                     "toestemming": None, "redenen": [], "opzij_gezet": aside})
    verdicts = [r.dan.taak_hoort_bij_mentor for r in staying if r.absoluut]
    advice.update(route=max(["zorgteam", advice["route"]], key=ROUTES.index),
                  urgentie=max(["vandaag", *(r.dan.urgentie for r in kept)], key=URGENCIES.index),
                  taak_hoort_bij_mentor=False not in verdicts and True in verdicts,
                  mentor_doet=[SAFETY_STEP, *(step for step in advice["mentor_doet"] if step != SAFETY_STEP)],
                  redenen=["veiligheid-nooit-alleen-bij-mentor", *advice["redenen"],
                           *([] if kept else ["geen-regel-van-toepassing"])])
    return advice


def _fields(agreements: Afspraken, case: Casus, kept: list[Regel], aside: list[dict]) -> dict:
    """The advice of the rules ``kept`` (at least one)."""

    def merged(get, by_urgency: bool = False):
        out: list[str] = []
        for r in sorted(kept, key=lambda r: -URGENCIES.index(r.dan.urgentie)) if by_urgency else kept:
            for item in get(r):
                if item not in out:
                    out.append(item)
        return out

    if any(r.absoluut and r.dan.route != "mentor" for r in kept):  # then only absolute rules decide the verdict
        verdicts = [r.dan.taak_hoort_bij_mentor for r in kept if r.absoluut]
    else:
        verdicts = [r.dan.taak_hoort_bij_mentor for r in kept]
    destinations = {k: v.naam for k, v in agreements.bestemmingen.items()}
    # consent when a rule asks it and no absolute rule says 'toestemming: nee' (a duty or right to report)
    asks = any(r.dan.toestemming for r in kept) and not any(r.absoluut and r.dan.toestemming is False for r in kept)
    consent = _consent(agreements, case) if asks else None
    # the heaviest route first, then the most urgent; stable: policy order within those
    by_route = sorted(kept, key=lambda r: (-ROUTES.index(r.dan.route), -URGENCIES.index(r.dan.urgentie)))
    return {
        "route": max((r.dan.route for r in kept), key=ROUTES.index),
        "urgentie": max((r.dan.urgentie for r in kept), key=URGENCIES.index),
        "taak_hoort_bij_mentor": False not in verdicts and True in verdicts,
        "mentor_doet": merged(lambda r: r.dan.mentor_doet, by_urgency=True),
        "mentor_doet_niet": merged(lambda r: r.dan.mentor_doet_niet),
        "verwijzen_naar": merged(lambda r: [destinations.get(n, n) for n in r.dan.verwijzen_naar]),
        "toestemming": consent,
        "redenen": [r.id for r in by_route],
        "opzij_gezet": aside,
    }


def engine_advice_fields(advice) -> dict:
    """The same fields from a real ``Advies``."""
    data = advice.model_dump()
    data.pop("beleid")
    data["redenen"] = [r["regel"] for r in data["redenen"]]
    return data
