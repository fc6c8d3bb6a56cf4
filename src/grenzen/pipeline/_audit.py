"""Audit records: what a school system may keep about one advice.

Only the case fields that the applied rules looked at are kept: the task if a rule asked about it, the
signals of the kinds a rule asked about (kind, severity, and duration only if a rule asked about
duration), named trainings, age, and the earlier approach. Never the case id, never free text.

Given the policy, a record is only made for the advice the policy gives this case (recomputed and compared),
and it names the safety guard when the guard changed the advice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from .._errors import GrenzenError
from .._models import Advies, BeleidInfo, Casus, Route, Urgentie
from ._combine import SAFETY_GUARD
from ._rulefile import Regel, Voorwaarde, signal_blocks
from ._validate import walk

if TYPE_CHECKING:
    from ._policy import Policy


class AuditError(GrenzenError, ValueError):
    """An advice that the policy does not give for this case: made for another case, by another policy or
    version, or changed afterwards. No record is made. The message names the fields that differ, never values."""


class Vangnet(BaseModel):
    """The safety guard changed the advice: a signal of a ``veiligheid: ja`` kind would have stayed at the mentor."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    regel: str
    signaalsoorten: list[str]


class AuditRecord(BaseModel):
    """One advice as a school system may store it (Dutch JSON keys, like the advice)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    advies_id: str
    tijd: str
    beleid: BeleidInfo
    route: Route
    urgentie: Urgentie
    regels: list[str]
    opzij_gezet: list[str]
    gebruikte_gegevens: dict[str, Any]
    vangnet: Vangnet | None = None


def _uses(rules: list[Regel]) -> dict[str, Any]:
    """Which case fields the conditions of these rules read."""
    uses: dict[str, Any] = {"taak": False, "leeftijd": False, "leerjaar": False, "kinds": set(), "all_kinds": False,
                            "duration": False, "trainings": set(), "approach": False}
    for rule in rules:
        for _, cond in walk(rule.als, ()):
            _note(cond, uses)
    return uses


def _note(cond: Voorwaarde, uses: dict[str, Any]) -> None:
    uses["taak"] |= cond.taak is not None
    uses["leeftijd"] |= cond.leeftijd is not None
    uses["leerjaar"] |= cond.leerjaar is not None
    uses["approach"] |= cond.eerdere_aanpak is not None
    uses["trainings"] |= set(cond.scholing or [])
    for block in signal_blocks(cond):  # a signal block, and a counting block (aantal_signalen)
        if block.soort:
            uses["kinds"] |= set(block.soort)
        else:
            uses["all_kinds"] = True
        uses["duration"] |= block.duur_minstens_weken is not None


def audit_record(policy: Policy, case: Casus, advice: Advies) -> AuditRecord:
    """The audit record of ``advice`` for ``case`` (a case validated by ``policy``).

    The advice is recomputed for the case and must be exactly the advice the policy gives; otherwise
    ``AuditError`` (a ``GrenzenError`` and a ``ValueError``, in Dutch, naming the differing fields) and no record.
    When the safety guard changed the advice, ``vangnet`` names the guard and the safety kinds it fired on.
    """
    _check(policy, case, advice)
    guard = _guard(policy, case, advice)
    rules_by_id = {r.id: r for r in policy.resolved_rules}  # selectors read the kinds they select
    applied = [r.regel for r in advice.redenen if r.regel in rules_by_id]
    aside = [o.regel for o in advice.opzij_gezet]
    uses = _uses([rules_by_id[i] for i in applied + aside])
    used: dict[str, Any] = {}
    if uses["taak"]:
        used["taak"] = case.taak
    if uses["leeftijd"] and case.leeftijd is not None:
        used["leeftijd"] = case.leeftijd
    if uses["leerjaar"] and case.leerjaar is not None:
        used["leerjaar"] = case.leerjaar
    signals = [
        {"soort": s.soort, "ernst": s.ernst}
        | ({"duur_weken": s.duur_weken} if uses["duration"] and s.duur_weken is not None else {})
        for s in case.signalen
        if uses["all_kinds"] or s.soort in uses["kinds"]
    ]
    if signals:
        used["signalen"] = signals
    trainings = [t for t in (case.mentor.scholing if case.mentor else []) if t in uses["trainings"]]
    if trainings:
        used["scholing"] = trainings
    if uses["approach"] and case.eerdere_aanpak is not None:
        used["eerdere_aanpak"] = case.eerdere_aanpak.model_dump()
    return AuditRecord(
        advies_id=uuid.uuid4().hex,
        tijd=datetime.now(UTC).isoformat(timespec="seconds"),
        beleid=advice.beleid,
        route=advice.route,
        urgentie=advice.urgentie,
        regels=applied,
        opzij_gezet=aside,
        gebruikte_gegevens=used,
        vangnet=guard,
    )


def _check(policy: Policy, case: Casus, advice: Advies) -> None:
    """Refuse an advice that differs from the one the policy gives this case now."""
    expected = policy.advise(case).model_dump()
    given = advice.model_dump()
    differ = [name for name in Advies.model_fields if given[name] != expected[name]]
    if differ:
        fields = ", ".join(differ)
        raise AuditError(
            f"Dit advies hoort niet bij deze casus en dit beleid: {fields} "
            f"{'wijkt' if len(differ) == 1 else 'wijken'} af van het advies dat dit beleid nu geeft. "
            "Vraag het advies opnieuw aan voor deze casus en maak daarvan het auditrecord."
        )


def _guard(policy: Policy, case: Casus, advice: Advies) -> Vangnet | None:
    if not advice.redenen or advice.redenen[0].regel != SAFETY_GUARD.regel:
        return None
    safety = policy.safety_kinds
    kinds = list(dict.fromkeys(s.soort for s in case.signalen if s.soort in safety))
    return Vangnet(regel=SAFETY_GUARD.regel, signaalsoorten=kinds)
