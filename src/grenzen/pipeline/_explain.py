"""Step 6, explain: an advice as short, readable Dutch for a mentor."""

from __future__ import annotations

from .._models import Advies
from ._combine import SAFETY_GUARD

#: What a mentor reads: the route as a sentence (an advice) and as a phrase (a rule in the policy document).
ROUTE_SENTENCES = {
    "mentor": "Dit hoort bij de mentor.",
    "zorgteam": "Verwijs naar het zorgteam.",
    "extern": "Dit vraagt externe hulp.",
}
ROUTE_WORDS = {"mentor": "blijft bij de mentor", "zorgteam": "naar het zorgteam", "extern": "naar externe hulp"}
URGENCY_WORDS = {
    "direct": "direct, nu",
    "vandaag": "vandaag nog",
    "deze_week": "deze week",
    "regulier": "in de gewone mentorcyclus",
}


def explain(advice: Advies) -> str:
    """Readable text: route, urgency, what to do and not to do, and every reason with its source."""
    lines = [
        f"Advies: {advice.route.upper()} — {ROUTE_SENTENCES[advice.route]}",
        f"Wanneer: {URGENCY_WORDS[advice.urgentie]}",
        verdict_sentence(advice, "Wat de mentor wel doet, staat hieronder."),
    ]
    if advice.verwijzen_naar:
        lines.append("Verwijzen naar: " + ", ".join(advice.verwijzen_naar))
    if advice.toestemming:
        lines.append(f"Toestemming nodig van: {advice.toestemming}")
    for title, items in (("De mentor doet", advice.mentor_doet), ("De mentor doet niet", advice.mentor_doet_niet)):
        if items:
            lines.append(f"{title}:")
            lines.extend(f"  - {item}" for item in items)
    lines.append("Waarom:")
    for reason in advice.redenen:
        lines.append(f"  * {reason.titel} [{reason.regel}, route {reason.route}]")
        lines.append(f"    {reason.uitleg}")
        lines.append(f"    Bron: {reason.bron}")
    for item in advice.opzij_gezet:
        # by an exception (zet_opzij) or an absolute referral: both are a rule
        by = "het vangnet" if item.door == SAFETY_GUARD.regel else "regel"
        lines.append(f"  (regel {item.regel} is opzij gezet door {by} {item.door})")
    lines.append(f"Beleid: {advice.beleid.naam}, versie {advice.beleid.versie}")
    return "\n".join(lines)


def verdict_sentence(advice: Advies, still: str, task: str = "") -> str:
    """Whose task it is; when it is not the mentor's but the mentor still has steps (first aid, staying with the
    student), ``still`` points at them: "hoort niet bij de mentor" above "Blijf bij de leerling" read as a
    contradiction (a mentor trial). ``task``: the task's label, named when given."""
    named = f" ('{task}')" if task else ""
    if advice.taak_hoort_bij_mentor:
        return f"De gevraagde taak{named} hoort bij de mentor."
    return f"De gevraagde taak{named} hoort niet bij de mentor." + (f" {still}" if advice.mentor_doet else "")


def either(words: list[str]) -> str:
    """Dutch alternatives: 'a', 'a of b', 'a, b of c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " of " + words[-1]
