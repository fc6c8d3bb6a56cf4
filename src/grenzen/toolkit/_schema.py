"""JSON Schema (draft 2020-12) of the case and the advice, and of the rule files, for one policy.

The case and the advice: built from the pydantic contract models (``_models``), then made policy-specific: the kinds
of signal, task and training of the policy's vocabulary become ``enum``s (with their Dutch label and description
under ``x-omschrijving``), and every object and property gets a Dutch description. Nothing here validates; the
schema is for school systems that do not run Python.

The rule files (``file_schema``): editor help for the policy writer (completion, hover text, red underlines in an
editor that reads a ``# yaml-language-server: $schema=...`` line). Built from the models the loader reads the files
with (``_rulefile``, ``_layers.Laag``, ``_examples``), with what the loader checks beyond their types where JSON
Schema can say it, Dutch descriptions, and the policy's names as enums. The loader stays the judge: its own Dutch
messages are what counts; the schema only helps while typing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel

from .._models import SEVERITIES, Advies, Casus
from ..pipeline._layers import Laag, is_overlay
from ..pipeline._policy import Policy
from ..pipeline._rulefile import Afspraken, Regel, Signaalterm, Term, ThemaKop, Woordenlijst
from . import SCHEMA_DIR
from ._examples import Voorbeeld, Voorbeelden

DIALECT = "https://json-schema.org/draft/2020-12/schema"
Which = Literal["casus", "advies", "regels", "woordenlijst", "afspraken", "voorbeelden", "laag"]
SCHEMAS: tuple[Which, ...] = get_args(Which)

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
    ("Advies", "toestemming"): "Wie toestemming geeft voor de verwijzing; null als geen toestemming nodig is, of als "
                               "een absolute regel met een meldplicht of meldrecht (toestemming: nee) geldt.",
    ("Advies", "redenen"): "De regels die het advies bepalen: zwaarste route eerst, daarbinnen de meest dringende "
                           "eerst.",
    ("Advies", "opzij_gezet"): "Regels die wel golden maar opzij zijn gezet: door een uitzondering, een absolute "
                               "doorverwijzing of het vangnet (door: 'veiligheid-nooit-alleen-bij-mentor').",
    ("Advies", "beleid"): "Het beleid dat het advies gaf.",
    ("Advies", "id"): "Het id van de casus, ongewijzigd terug; null als de casus er geen had.",
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
    """The schema of the advice this policy gives, in JSON, as it is written: every key required, ``id`` too (the
    case's own ``id``, null for a case without one; an integrator validated the HTTP API's answers against this schema,
    and found ``id`` missing, then not required)."""
    schema = Advies.model_json_schema(mode="serialization")
    return _localised(schema, "Advies", f"Advies van het beleid '{policy.name}'")


def schema_text(policy: Policy, which: Which) -> str:
    """The schema as stable, readable JSON text (what ``grenzen schema`` prints)."""
    if which == "casus":
        schema = case_schema(policy)
    elif which == "advies":
        schema = advice_schema(policy)
    else:
        schema = file_schema(policy, which)
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


# --- Editor help: schemas of the files a policy writer edits -------------------------------------------------------

FileWhich = Literal["regels", "woordenlijst", "afspraken", "voorbeelden", "laag"]
FILE_SCHEMAS: tuple[FileWhich, ...] = get_args(FileWhich)
#: The schemas that belong in an overlay folder made by ``grenzen nieuw`` (it has no woordenlijst.yaml).
OVERLAY_SCHEMAS: tuple[FileWhich, ...] = ("laag", "regels", "afspraken", "voorbeelden")
_JA_NEE_SCHEMA = {
    "description": "ja of nee (hoofdletters en true/false mogen ook).",
    "anyOf": [{"type": "string", "enum": ["ja", "nee"]},
              {"type": "string", "pattern": r"^\s*([jJ][aA]|[nN][eE][eE])\s*$"}, {"type": "boolean"}],
}
_KIND_TEXT = "een naam met kleine letters, cijfers en _ (bijvoorbeeld sociale_isolatie)"
_ONE_OR_MORE = "Eén naam of een lijst van namen."

_TERM: dict[str | None, str] = {
    None: "Eén soort in de woordenlijst: een korte naam (label) en wat ermee bedoeld wordt.",
    "label": "Korte naam zoals mentoren hem lezen.",
    "omschrijving": "Wat ermee bedoeld wordt, in één of twee zinnen.",
}
_SIGNAL_BLOCK: dict[str | None, str] = {
    "soort": f"De soort signaal, uit de woordenlijst (signalen). {_ONE_OR_MORE}",
    "behalve_soort": f"Elke soort signaal behalve deze. {_ONE_OR_MORE} Niet samen met 'soort'.",
    "groep": f"Een soort uit deze groep (de 'groep' in de woordenlijst). {_ONE_OR_MORE}",
    "veiligheid": "ja: alleen soorten met 'veiligheid: ja' in de woordenlijst; nee: alleen de andere.",
    "familie_niet_benaderen": "ja: alleen soorten met 'familie_niet_benaderen: ja' in de woordenlijst; nee: alleen de "
    "andere.",
    "ernst_minstens": "Het signaal is minstens zo ernstig: licht, matig, ernstig of acuut.",
    "ernst_hoogstens": "Het signaal is hoogstens zo ernstig: licht, matig, ernstig of acuut.",
    "duur_minstens_weken": "Het signaal speelt al minstens zoveel weken (0 tot en met 520).",
}
_VOCABULARY: dict[str | None, str] = {
    "naam": "De naam van het beleid; die staat in elk advies.",
    "beschrijving": "Korte uitleg over het beleid (mag weg).",
    "signalen": "Soorten signalen: de sleutel is de naam die regels en casussen gebruiken.",
    "taken": "Soorten taken die bij de mentor kunnen liggen: de sleutel is de naam die regels en casussen gebruiken.",
    "scholing": "Scholing die een mentor kan volgen: de sleutel is de naam die regels en casussen gebruiken.",
}
_RANGE: dict[str | None, str] = {"vanaf": "Vanaf dit getal (mag weg).", "tot_en_met": "Tot en met dit getal (mag weg)."}

# definition -> property (None: the object itself) -> Dutch description
_FILE_DESCRIPTIONS: dict[str, dict[str | None, str]] = {
    "ThemaKop": {
        None: "Een themabestand: de regels over één thema. Ander bestand? Zie de woordenlijst, de afspraken of de "
              "voorbeelden.",
        "thema": "De naam van het thema, zoals in het beleidsdocument.",
        "beschrijving": "Waar het thema over gaat (mag weg).",
        "regels": "De regels van dit thema; minstens één.",
    },
    "Regel": {
        None: "Eén regel: als de casus past (als), dan volgt dit advies (dan).",
        "id": "Vaste naam van de regel: kleine letters, cijfers, - en _. Elke id komt maar één keer voor.",
        "titel": "Korte titel van de regel, zoals mentoren hem lezen.",
        "bron": "Waar de regel vandaan komt: wet, protocol of afspraak. Het beleidsdocument toont de bron.",
        "absoluut": "ja: geen andere regel kan deze regel opzij zetten (voor veiligheid). Standaard nee.",
        "als": "Wanneer de regel geldt. Staan er meer sleutels, dan moeten ze allemaal kloppen.",
        "dan": "Wat het advies is als de regel geldt.",
        "zet_opzij": "Ids van regels die niet meer gelden als deze regel geldt (een uitzondering). "
                     "Een absolute regel kan niet opzij.",
    },
    "Voorwaarde": {
        None: "Een voorwaarde. Staan er meer sleutels, dan moeten ze allemaal kloppen.",
        "alle": "Alle voorwaarden in deze lijst moeten kloppen.",
        "een_van": "Minstens één voorwaarde in deze lijst moet kloppen.",
        "niet": "Deze voorwaarde mag niet kloppen.",
        "signaal": "De casus heeft een signaal dat aan alles in dit blok voldoet.",
        "aantal_signalen": "De casus heeft minstens zoveel signalen die aan dit blok voldoen (opstapeling).",
        "taak": f"De taak die bij de mentor ligt, uit de woordenlijst (taken). {_ONE_OR_MORE}",
        "scholing": f"De mentor volgde deze scholing, uit de woordenlijst (scholing). {_ONE_OR_MORE}",
        "leeftijd": "De leeftijd van de leerling ligt tussen deze grenzen.",
        "leerjaar": "Het leerjaar van de leerling ligt tussen deze grenzen (1 tot en met 6).",
        "eerdere_aanpak": "Wat de mentor al zelf probeerde: hoe lang en met welk effect.",
    },
    "SignaalVoorwaarde": {None: "Eén signaal dat aan alle sleutels van dit blok voldoet.", **_SIGNAL_BLOCK},
    "AantalVoorwaarde": {
        None: "Minstens zoveel signalen die elk aan de andere sleutels van dit blok voldoen.",
        **_SIGNAL_BLOCK,
        "minstens": "Het aantal signalen dat minstens aan het blok moet voldoen (1 tot en met 50).",
    },
    "LeeftijdVoorwaarde": {None: "Leeftijd in jaren (0 tot en met 30). Onbekende leeftijd past nooit.", **_RANGE},
    "LeerjaarVoorwaarde": {None: "Leerjaar (1 tot en met 6). Onbekend leerjaar past nooit.", **_RANGE},
    "AanpakVoorwaarde": {
        None: "Wat de mentor al zelf probeerde.",
        "weken_minstens": "De mentor pakt het al minstens zoveel weken zelf aan (0 tot en met 520).",
        "effect": f"Het effect tot nu toe: geen, onvoldoende of voldoende. {_ONE_OR_MORE}",
    },
    "Gevolg": {
        None: "Het advies als de regel geldt.",
        "route": "Waar de casus hoort: mentor, zorgteam of extern.",
        "urgentie": "Wanneer: direct, vandaag, deze_week of regulier (standaard regulier).",
        "taak_hoort_bij_mentor": "ja of nee: hoort de gevraagde taak zelf bij de mentor? Mag weg.",
        "mentor_doet": "Concrete stappen die de mentor zet, elk in één zin.",
        "mentor_doet_niet": "Wat de mentor juist niet doet, elk in één zin.",
        "verwijzen_naar": "Naar wie verwezen wordt: sleutels uit afspraken.yaml (bestemmingen).",
        "toestemming": "ja: voor deze verwijzing is toestemming nodig (zie afspraken.yaml).",
        "uitleg": "Waarom dit het advies is, in gewone taal.",
    },
    "Woordenlijst": {None: "De woordenlijst: de naam van het beleid en de soorten signalen, taken en scholing.",
                     **_VOCABULARY},
    "Laag": {
        None: "Een schoollaag: de naam, waarop de laag bouwt en de soorten die de school toevoegt.",
        **_VOCABULARY,
        "naam": "De naam van het beleid van de school; die staat in elk advies.",
        "basis": "Waarop de laag bouwt: 'standaard' (het meegeleverde beleid) of een pad naar een andere map.",
        "signalen": "Extra soorten signalen van de school (nieuwe namen, niet uit de basis).",
        "taken": "Extra soorten taken van de school (nieuwe namen, niet uit de basis).",
        "scholing": "Extra scholing van de school (nieuwe namen, niet uit de basis).",
    },
    "Term": _TERM,
    "Signaalterm": {
        **_TERM,
        None: "Eén soort signaal in de woordenlijst.",
        "veiligheid": "ja: bij deze soort kan iemand in gevaar zijn; de casus blijft dan nooit alleen bij de mentor.",
        "familie_niet_benaderen": "ja: bij deze soort kan contact met de ouders of de familie de leerling in gevaar "
        "brengen (zoals bij huwelijksdwang). Alleen samen met 'veiligheid: ja'. Een regel kiest deze soorten met "
        "'familie_niet_benaderen: ja'.",
        "groep": f"De groep van deze soort (mag weg): {_KIND_TEXT}. Een regel kiest een groep met 'groep'.",
        "ernst": "Wat licht, matig, ernstig en acuut bij deze soort betekenen, in wat de mentor ziet (mag weg).",
        "ernst_bron": "Waar de uitleg van de ernst vandaan komt (alleen samen met 'ernst').",
    },
    "ErnstAnkers": {
        None: "Wat elke ernst bij deze soort betekent; elke ernst mag weg.",
        "licht": "Wat licht betekent bij deze soort.",
        "matig": "Wat matig betekent bij deze soort.",
        "ernstig": "Wat ernstig betekent bij deze soort.",
        "acuut": "Wat acuut betekent bij deze soort.",
    },
    "Afspraken": {
        None: "De verwijsafspraken van de school: naar wie verwezen wordt en wie toestemming geeft.",
        "bestemmingen": "Naar wie verwezen wordt. De sleutel is de naam die regels gebruiken bij 'verwijzen_naar'.",
        "toestemming": "Wie toestemming geeft voor een verwijzing die toestemming nodig heeft, per leeftijd.",
    },
    "Bestemming": {
        None: "Eén bestemming: een functie in de school of een partner buiten de school.",
        "naam": "De naam zoals die in het advies staat.",
        "soort": "intern (in de school) of extern (buiten de school).",
        "omschrijving": "Wat deze bestemming doet (mag weg).",
        "bron": "Waar de afspraak vandaan komt (mag weg).",
    },
    "Toestemming": {
        None: "Wie toestemming geeft, per leeftijd.",
        "bron": "Waar de regel over toestemming vandaan komt (bijvoorbeeld de WGBO).",
        "leeftijden": "Per leeftijdsgroep wie toestemming geeft; elke leeftijd van 4 tot en met 25 in precies "
                      "één groep.",
        "onbekende_leeftijd": "Wie toestemming geeft als de leeftijd niet bekend is.",
    },
    "Leeftijdsgroep": {
        None: "Eén leeftijdsgroep.",
        "vanaf": "Vanaf deze leeftijd (mag weg).",
        "tot_en_met": "Tot en met deze leeftijd (mag weg).",
        "wie": "Wie toestemming geeft, bijvoorbeeld 'ouders' of 'leerling en ouders'.",
    },
    "Voorbeelden": {
        None: "Een bestand met voorbeeldcasussen en het advies dat u verwacht ('grenzen test' draait ze).",
        "voorbeelden": "De voorbeelden; minstens één.",
    },
    "Voorbeeld": {
        None: "Eén voorbeeld: een casus en wat u van het advies verwacht.",
        "naam": "Korte naam van het voorbeeld, zoals u de situatie zou vertellen.",
        "casus": "De casus, zoals een systeem van de school hem stuurt.",
        "verwacht": "Wat het advies moet zijn. Alleen wat hier staat, wordt vergeleken.",
    },
    "Verwacht": {
        None: "Wat u van het advies verwacht. Een lijst moet deze items bevatten; er mogen er meer in staan.",
        "route": "De route: mentor, zorgteam of extern.",
        "urgentie": "De urgentie: direct, vandaag, deze_week of regulier.",
        "taak_hoort_bij_mentor": "ja of nee: hoort de taak bij de mentor?",
        "toestemming": "Wie toestemming geeft (zoals in afspraken.yaml), of null als geen toestemming nodig is.",
        "mentor_doet": "Stappen die in 'mentor_doet' van het advies moeten staan.",
        "mentor_doet_niet": "Zinnen die in 'mentor_doet_niet' van het advies moeten staan.",
        "verwijzen_naar": "Bestemmingen die in het advies moeten staan: de sleutel of de naam uit afspraken.yaml.",
        "regels": "Ids van regels die moeten gelden.",
        "opzij_gezet": "Ids van regels die opzij gezet moeten zijn.",
    },
}
_FILE_TITLES: dict[FileWhich, str] = {
    "regels": "Themabestand met regels",
    "woordenlijst": "Woordenlijst (woordenlijst.yaml)",
    "afspraken": "Verwijsafspraken (afspraken.yaml)",
    "voorbeelden": "Voorbeeldcasussen (voorbeelden/*.yaml)",
    "laag": "Schoollaag (laag.yaml)",
}


def file_schema(policy: Policy, which: FileWhich) -> dict[str, Any]:
    """The schema of one kind of rule file, for editor help: built from the loader's own models, with Dutch
    descriptions and, where a key must name a kind, task, training or destination, the policy's names as enum."""
    if which == "regels":
        schema = _merged(ThemaKop, {"regels": Regel})
    elif which == "voorbeelden":
        schema = _merged(Voorbeelden, {"voorbeelden": Voorbeeld})
    else:
        models: dict[str, type[BaseModel]] = {"woordenlijst": Woordenlijst, "afspraken": Afspraken, "laag": Laag}
        schema = _plain(models[which])
    root = {"regels": "ThemaKop", "voorbeelden": "Voorbeelden"}.get(which, which.capitalize())
    _tidy(schema)
    for name, definition in [(root, schema), *schema.get("$defs", {}).items()]:
        _describe_file(definition, name)
    if "#/$defs/JaNee" in json.dumps(schema):
        schema["$defs"]["JaNee"] = copy.deepcopy(_JA_NEE_SCHEMA)
    _rules_of_the_loader(schema)
    _names(schema, policy, which)
    if which == "voorbeelden":
        case = case_schema(policy)
        schema["$defs"] |= case.pop("$defs") | {"Casus": {k: v for k, v in case.items() if k not in ("$schema",
                                                                                                      "title")}}
        schema["$defs"]["Voorbeeld"]["properties"]["casus"] = {
            "$ref": "#/$defs/Casus", "description": _FILE_DESCRIPTIONS["Voorbeeld"]["casus"]}
    title = f"{_FILE_TITLES[which]} voor het beleid '{policy.name}'"
    return {"$schema": DIALECT, "title": title} | schema


def folder_schemas(policy: Policy) -> tuple[FileWhich, ...]:
    """The kinds of rule file that belong in the policy's own folder: an overlay has laag.yaml, not
    woordenlijst.yaml."""
    return OVERLAY_SCHEMAS if is_overlay(policy.path) else ("woordenlijst", "regels", "afspraken", "voorbeelden")


def write_schemas(policy: Policy, folder: Path, write: Callable[[Path, str], None]) -> list[Path]:
    """Write the schemas of ``folder``'s rule files (``policy`` is that folder, loaded) into ``folder/schema/``,
    each with ``write(path, text)``; returns the paths written."""
    target = folder / SCHEMA_DIR
    target.mkdir(exist_ok=True)
    written = []
    for which in folder_schemas(policy):
        path = target / f"{which}.schema.json"
        write(path, schema_text(policy, which))
        written.append(path)
    return written


def stale_schemas(policy: Policy) -> list[str]:
    """The schema files in the policy folder's ``schema/`` that are missing or no longer what this policy makes
    (empty when the folder has no ``schema/``, as the bundled ``rules/``, whose schemas are in docs/schema/)."""
    folder = policy.path / SCHEMA_DIR
    if not folder.is_dir():
        return []
    stale = []
    for which in folder_schemas(policy):
        path = folder / f"{which}.schema.json"
        try:
            current = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current != schema_text(policy, which):
            stale.append(path.name)
    return stale


def _plain(model: type[BaseModel]) -> dict[str, Any]:
    schema: dict[str, Any] = model.model_json_schema()
    return schema


def _merged(root: type[BaseModel], items: Mapping[str, type[BaseModel]]) -> dict[str, Any]:
    """The schema of ``root`` whose list ``items`` (read one by one by the loader, as ``list[Any]``) hold these
    models."""
    schema = _plain(root)
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    for key, model in items.items():
        inner = _plain(model)
        defs |= inner.pop("$defs", {})
        defs[model.__name__] = inner
        schema["properties"][key]["items"] = {"$ref": f"#/$defs/{model.__name__}"}
    return schema


def _tidy(node: Any) -> None:
    """Shape pydantic's schema into what the loader means: ja/nee for booleans, free names that must be names
    (``propertyNames``, no other keys), no ``default: null``, no English titles."""
    if isinstance(node, list):
        for item in node:
            _tidy(item)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("title"), str):
        del node["title"]
    if node.get("default", 0) is None:
        del node["default"]
    if node.get("type") == "boolean":
        node.pop("type")
        node["$ref"] = "#/$defs/JaNee"
        return
    patterns = node.pop("patternProperties", None)
    if patterns:
        ((pattern, value),) = patterns.items()
        node["propertyNames"] = {"pattern": pattern}
        node["additionalProperties"] = value
    for value in node.values():
        _tidy(value)


def _describe_file(definition: dict[str, Any], name: str) -> None:
    texts = _FILE_DESCRIPTIONS[name]
    definition.pop("title", None)
    definition["description"] = texts[None]
    for key, prop in definition.get("properties", {}).items():
        prop.pop("title", None)
        prop["description"] = texts[key]


def _rules_of_the_loader(schema: dict[str, Any]) -> None:
    """What the loader checks beyond the field types, where JSON Schema can say it: a kind is one name or a list of
    names, a condition is never empty, soort and behalve_soort never together, ernst_bron only with ernst."""
    defs = schema.get("$defs", {})
    if "Voorwaarde" in defs:
        defs["Voorwaarde"]["minProperties"] = 1
        for key in ("taak", "scholing"):
            _one_or_many(defs["Voorwaarde"]["properties"][key])
        _one_or_many(defs["AanpakVoorwaarde"]["properties"]["effect"])
        for block in ("SignaalVoorwaarde", "AantalVoorwaarde"):
            defs[block]["not"] = {"required": ["soort", "behalve_soort"]}
            for key in ("soort", "behalve_soort", "groep"):
                _one_or_many(defs[block]["properties"][key])
    if "Signaalterm" in defs:
        defs["Signaalterm"]["dependentRequired"] = {"ernst_bron": ["ernst"]}


def _one_or_many(prop: dict[str, Any]) -> None:
    """``name`` or ``[name, ...]`` (the loader's ``_one_or_many``); pydantic's schema only has the list."""
    lists = [option for option in prop["anyOf"] if option.get("type") == "array"]
    prop["anyOf"] = [copy.deepcopy(lists[0]["items"]), *prop["anyOf"]]


def _names(schema: dict[str, Any], policy: Policy, which: FileWhich) -> None:
    """The policy's names as enums where a key must name one: kinds, groups, tasks, trainings, destinations. Each
    list of names stands once under ``$defs`` (with what each name means, for the editor's completion)."""
    defs = schema.get("$defs", {})
    vocabulary = policy.vocabulary
    destinations = policy.agreements.bestemmingen if policy.source.agreements_file is not None else None
    if which == "regels":
        groups = list(dict.fromkeys(t.groep for t in vocabulary.signalen.values() if t.groep is not None))
        for block in ("SignaalVoorwaarde", "AantalVoorwaarde"):
            for key in ("soort", "behalve_soort"):
                _name_enum(defs, defs[block]["properties"][key], "Signaalsoort", vocabulary.signalen)
            _name_enum(defs, defs[block]["properties"]["groep"], "Signaalgroep", dict.fromkeys(groups))
        _name_enum(defs, defs["Voorwaarde"]["properties"]["taak"], "Taak", vocabulary.taken)
        _name_enum(defs, defs["Voorwaarde"]["properties"]["scholing"], "Scholing", vocabulary.scholing)
        if destinations is not None:
            _name_enum(defs, defs["Gevolg"]["properties"]["verwijzen_naar"], "Verwijsbestemming", destinations)
    elif which == "voorbeelden" and destinations is not None:
        names = {**destinations, **{d.naam: d for d in destinations.values()}}
        _name_enum(defs, defs["Verwacht"]["properties"]["verwijzen_naar"], "Verwijsbestemming", names)


_NAME_TEXTS = {
    "Signaalsoort": "Een soort signaal uit de woordenlijst (signalen).",
    "Signaalgroep": "Een groep van signalen (de 'groep' van een soort in de woordenlijst).",
    "Taak": "Een taak uit de woordenlijst (taken).",
    "Scholing": "Een scholing uit de woordenlijst (scholing).",
    "Verwijsbestemming": "Een bestemming uit afspraken.yaml (bestemmingen).",
}


def _name_enum(defs: dict[str, Any], prop: dict[str, Any], name: str, names: Mapping[str, Any]) -> None:
    """Every place in ``prop`` where a name stands (a string, alone or as the items of a list) refers to
    ``$defs/<name>``: the names as enum, with what each means."""
    if name not in defs:
        defs[name] = {"type": "string", "description": _NAME_TEXTS[name], "enum": list(names),
                      "enumDescriptions": [_about(key, value) for key, value in names.items()]}
    ref = {"$ref": f"#/$defs/{name}"}
    options = prop.get("anyOf", [prop])
    for index, option in enumerate(options):
        if option.get("type") == "string":
            options[index] = ref
        elif option.get("type") == "array":
            option["items"] = ref
    if prop.get("type") == "array":
        prop["items"] = ref


def _about(key: str, value: Any) -> str:
    """What a name means, for the editor: the label and description of a kind, the name of a destination."""
    label = getattr(value, "label", None) or getattr(value, "naam", None) or key
    text = getattr(value, "omschrijving", None)
    return _one_line(f"{label}: {text}" if text else label)
