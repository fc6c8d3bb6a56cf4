"""JSON Schema (draft 2020-12) of the case and the advice, for one policy.

Built from the pydantic contract models (``_models``), then made policy-specific:
the kinds of signal, task and training of the policy's vocabulary become ``enum``s
(with their Dutch label and description under ``x-omschrijving``), and every
object and property gets a Dutch description. Nothing here validates; the schema
is for school systems that do not run Python.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from .._models import SEVERITIES, Advies, Casus
from ..pipeline._policy import Policy
from ..pipeline._rulefile import Signaalterm, Term

DIALECT = "https://json-schema.org/draft/2020-12/schema"
Which = Literal["casus", "advies"]

# (definition, property) -> Dutch description; property None describes the object itself.
_DESCRIPTIONS: dict[tuple[str, str | None], str] = {
    ("Casus", None): (
        "Een casus: de taak die bij de mentor ligt en wat er met de leerling speelt. "
        "Zonder namen; onbekende velden worden geweigerd."
    ),
    ("Casus", "id"): ("Pseudoniem kenmerk van de casus, nooit een naam "
                      "(letters, cijfers, . _ : -; hoogstens 64 tekens)."),
    ("Casus", "leeftijd"): "Leeftijd van de leerling in jaren (4 tot en met 25); weglaten of null als onbekend.",
    ("Casus", "leerjaar"): ("Leerjaar van de leerling (1 tot en met 6; klas 1 is het eerste jaar van de "
                            "middelbare school); weglaten of null als onbekend."),
    ("Casus", "taak"): "De taak die bij de mentor ligt, een sleutel uit de woordenlijst (taken).",
    ("Casus", "signalen"): "Wat de mentor opmerkt; hoogstens 50 signalen.",
    ("Casus", "mentor"): "Wat de mentor meebrengt; weglaten of null als niets bekend is.",
    ("Casus", "eerdere_aanpak"): "Wat de mentor al zelf probeerde; weglaten of null als nog niets.",
    ("Signaal", None): "Eén signaal dat de mentor opmerkte.",
    ("Signaal", "soort"): "Soort signaal, een sleutel uit de woordenlijst (signalen).",
    ("Signaal", "ernst"): "Ernst: licht, matig, ernstig of acuut.",
    ("Signaal", "duur_weken"): "Hoe lang het signaal al speelt, in weken (0 tot en met 520); null als onbekend.",
    ("Mentor", None): "Wat de mentor meebrengt.",
    ("Mentor", "scholing"): "Gevolgde scholing, sleutels uit de woordenlijst (scholing); hoogstens 50.",
    ("EerdereAanpak", None): "Wat de mentor al probeerde en met welk effect.",
    ("EerdereAanpak", "weken"): "Hoe lang de mentor het al zelf aanpakt, in weken (0 tot en met 520).",
    ("EerdereAanpak", "effect"): "Het effect tot nu toe: geen, onvoldoende of voldoende.",
    ("Advies", None): "Het advies: route, urgentie, wat de mentor wel en niet doet, en waarom (met bronnen).",
    ("Advies", "route"): "Waar de casus hoort: mentor, zorgteam of extern.",
    ("Advies", "urgentie"): "Wanneer: direct, vandaag, deze_week of regulier.",
    ("Advies", "taak_hoort_bij_mentor"): "Hoort de gevraagde taak zelf bij de mentor?",
    ("Advies", "mentor_doet"): "Concrete zinnen: wat de mentor doet.",
    ("Advies", "mentor_doet_niet"): "Concrete zinnen: wat de mentor niet doet.",
    ("Advies", "verwijzen_naar"): "Naar wie verwezen wordt (namen uit de verwijsafspraken).",
    ("Advies", "toestemming"): "Wie toestemming geeft voor de verwijzing; null als geen toestemming nodig is.",
    ("Advies", "redenen"): "De regels die het advies bepalen, zwaarste route eerst.",
    ("Advies", "opzij_gezet"): "Regels die wel golden maar door een uitzondering opzij zijn gezet.",
    ("Advies", "beleid"): "Het beleid dat het advies gaf.",
    ("Reden", None): "Eén regel die geldt.",
    ("Reden", "regel"): "Id van de regel (of 'geen-regel-van-toepassing' als het beleid de casus niet dekt).",
    ("Reden", "titel"): "Titel van de regel.",
    ("Reden", "bron"): "De bron die de regel uitvoert.",
    ("Reden", "uitleg"): "Waarom de regel dit advies geeft.",
    ("Reden", "route"): "De route die deze regel geeft.",
    ("OpzijGezet", None): "Een regel die opzij is gezet door een uitzondering.",
    ("OpzijGezet", "regel"): "Id van de regel die opzij is gezet.",
    ("OpzijGezet", "door"): "Id van de uitzondering die hem opzij zette.",
    ("BeleidInfo", None): "Welk beleid het advies gaf.",
    ("BeleidInfo", "naam"): "Naam van het beleid (uit de woordenlijst).",
    ("BeleidInfo", "versie"): "Versie van het beleid: een korte hash van de regelbestanden.",
}


def case_schema(policy: Policy) -> dict[str, Any]:
    """The schema of a case this policy accepts: the vocabulary's kinds are enums."""
    schema = _localised(Casus.model_json_schema(), "Casus", f"Casus voor het beleid '{policy.name}'")
    defs = schema["$defs"]
    vocabulary = policy.vocabulary
    _enum(schema["properties"]["taak"], vocabulary.taken)
    _enum(defs["Signaal"]["properties"]["soort"], vocabulary.signalen)
    _enum(defs["Mentor"]["properties"]["scholing"]["items"], vocabulary.scholing)
    _anchors(defs["Signaal"], vocabulary.signalen)
    return schema


def advice_schema(policy: Policy) -> dict[str, Any]:
    """The schema of the advice this policy gives."""
    return _localised(Advies.model_json_schema(), "Advies", f"Advies van het beleid '{policy.name}'")


def schema_text(policy: Policy, which: Which) -> str:
    """The schema as stable, readable JSON text (what ``grenzen schema`` prints)."""
    schema = case_schema(policy) if which == "casus" else advice_schema(policy)
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _localised(schema: dict[str, Any], root: str, title: str) -> dict[str, Any]:
    """Dutch descriptions instead of pydantic's English docstrings and generated titles."""
    _describe(schema, root)
    for name, definition in schema.get("$defs", {}).items():
        _describe(definition, name)
    head = {"$schema": DIALECT, "title": title}
    return head | schema


def _describe(definition: dict[str, Any], name: str) -> None:
    definition.pop("title", None)
    definition["description"] = _DESCRIPTIONS[(name, None)]
    for key, prop in definition.get("properties", {}).items():
        prop.pop("title", None)
        prop["description"] = _DESCRIPTIONS[(name, key)]


def _anchors(signal: dict[str, Any], kinds: Mapping[str, Signaalterm]) -> None:
    """What each severity means per kind (the vocabulary's ``ernst``), if the policy says: one ``if``/``then`` per kind
    with anchors, whose ``then`` lists every severity as a ``oneOf`` of constants with the anchor as description.
    It only annotates: the constants are all four severities, so what validates stays the same."""
    parts = []
    for key, term in kinds.items():
        anchors = term.anchors()
        if not anchors:
            continue
        about = f"Wat de ernst betekent bij '{term.label}'" + (f" (bron: {_one_line(term.ernst_bron)})."
                                                              if term.ernst_bron else ".")
        options = [{"const": severity} | ({"description": _one_line(anchors[severity])} if severity in anchors else {})
                   for severity in SEVERITIES]
        parts.append({"if": {"properties": {"soort": {"const": key}}, "required": ["soort"]},
                      "then": {"properties": {"ernst": {"description": about, "oneOf": options}}}})
    if parts:
        signal["properties"]["ernst"]["description"] += (
            " Wat elke ernst bij een soort betekent, staat per soort onder allOf (if soort, then ernst).")
        signal["allOf"] = parts


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _enum(target: dict[str, Any], terms: Mapping[str, Term]) -> None:
    """Replace a kind's pattern by the policy's keys; keep their Dutch label and description alongside."""
    target.pop("pattern", None)
    target["type"] = "string"
    target["enum"] = list(terms)
    target["x-omschrijving"] = {key: f"{term.label}: {term.omschrijving}" for key, term in terms.items()}
