"""Audit records: what a school system may keep about one advice.

Only the case fields that the applied rules looked at are kept: the task if a rule asked about it, the
signals of the kinds a rule asked about (kind, severity, and duration only if a rule asked about
duration), named trainings, age, and the earlier approach. Never the case id, never free text.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict

from ._models import Advies, BeleidInfo, Casus, Route, Urgentie
from ._rulefile import Regel, Voorwaarde
from ._validate import walk


class AuditRecord(BaseModel):
    """One advice as a school system may store it (Dutch JSON keys, like the advice)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    advies_id: str
    tijd: str
    beleid: BeleidInfo
    route: Route
    urgentie: Urgentie
    regels: list[str]
    opzij_gezet: list[str]
    gebruikte_gegevens: dict[str, Any]


def _uses(rules: list[Regel]) -> dict[str, Any]:
    """Which case fields the conditions of these rules read."""
    uses: dict[str, Any] = {"taak": False, "leeftijd": False, "kinds": set(), "all_kinds": False,
                            "duration": False, "trainings": set(), "approach": False}
    for rule in rules:
        for _, cond in walk(rule.als, ()):
            _note(cond, uses)
    return uses


def _note(cond: Voorwaarde, uses: dict[str, Any]) -> None:
    uses["taak"] |= cond.taak is not None
    uses["leeftijd"] |= cond.leeftijd is not None
    uses["approach"] |= cond.eerdere_aanpak is not None
    uses["trainings"] |= set(cond.scholing or [])
    if cond.signaal is not None:
        if cond.signaal.soort:
            uses["kinds"] |= set(cond.signaal.soort)
        else:
            uses["all_kinds"] = True
        uses["duration"] |= cond.signaal.duur_minstens_weken is not None


def audit_record(rules_by_id: dict[str, Regel], case: Casus, advice: Advies) -> AuditRecord:
    """The audit record of ``advice`` for ``case`` (a validated case)."""
    applied = [r.regel for r in advice.redenen if r.regel in rules_by_id]
    aside = [o.regel for o in advice.opzij_gezet]
    uses = _uses([rules_by_id[i] for i in applied + aside])
    used: dict[str, Any] = {}
    if uses["taak"]:
        used["taak"] = case.taak
    if uses["leeftijd"] and case.leeftijd is not None:
        used["leeftijd"] = case.leeftijd
    signals = [
        {"soort": s.soort, "ernst": s.ernst} | ({"duur_weken": s.duur_weken} if uses["duration"] and s.duur_weken is not None else {})
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
        tijd=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        beleid=advice.beleid,
        route=advice.route,
        urgentie=advice.urgentie,
        regels=applied,
        opzij_gezet=aside,
        gebruikte_gegevens=used,
    )
