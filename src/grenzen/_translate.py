"""One table from pydantic's error types to grenzen's stable codes and Dutch texts, for cases and rule files."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ._errors import closest


@dataclass(frozen=True)
class Wording:
    """How one kind of error reads: a stable ``code``, the text for a case field (its path stands beside it), and
    the text and fix for a rule file (``{name}`` is the key as the writer sees it, ``{last}`` its last part)."""

    code: str
    case: str
    rule: str
    fix: str = ""


_INTEGER = Wording("geen-geheel-getal", "moet een geheel getal zijn", "{name} moet een geheel getal zijn",
                   "schrijf een getal zonder komma, bijvoorbeeld 4")
_BLOCK = Wording("geen-blok", "moet een object met velden zijn", "{name} moet een blok met sleutels zijn",
                 "zet de sleutels ingesprongen onder deze regel")
_BOOL = Wording("geen-ja-nee", "moet ja of nee zijn", "{name} moet ja of nee zijn", "schrijf ja of nee")
_SHORT = Wording("leeg", "mag niet leeg zijn", "{name} mag niet leeg zijn", "vul minstens één waarde in")
_LONG = Wording("te-lang", "de lijst is te lang (hoogstens {max_length})", "{name} is te lang", "maak het korter")

#: pydantic error type -> wording. A type not in the table reads as UNKNOWN.
PYDANTIC: dict[str, Wording] = {
    "missing": Wording("verplicht-veld-ontbreekt", "verplicht veld ontbreekt", "verplichte sleutel '{last}' ontbreekt",
                       "voeg '{last}:' toe"),
    "extra_forbidden": Wording("onbekende-sleutel", "onbekend veld", "onbekende sleutel '{last}'"),
    "literal_error": Wording("ongeldige-keuze", "ongeldige waarde; kies uit {expected}", "ongeldige waarde voor {name}",
                             "kies uit {expected}"),
    "string_pattern_mismatch": Wording(
        "ongeldige-naam", "ongeldige tekens of lengte", "ongeldige naam bij {name}",
        "gebruik kleine letters, cijfers en '_', en begin met een letter (een regel-id mag ook '-' hebben en met "
        "een cijfer beginnen){length}"),
    "int_parsing": _INTEGER, "int_type": _INTEGER, "int_from_float": _INTEGER,
    "bool_parsing": _BOOL, "bool_type": _BOOL,
    "greater_than_equal": Wording("te-klein", "moet minstens {ge} zijn", "{name} moet minstens {ge} zijn",
                                  "kies een waarde van minstens {ge}"),
    "less_than_equal": Wording("te-groot", "mag hoogstens {le} zijn", "{name} moet hoogstens {le} zijn",
                               "kies een waarde van hoogstens {le}"),
    "list_type": Wording("geen-lijst", "moet een lijst zijn", "{name} moet een lijst zijn",
                         "zet elk item op een eigen regel die begint met '- '"),
    "too_short": _SHORT, "string_too_short": _SHORT,
    "blank_text": Wording("leeg", "mag niet leeg zijn", "{name} mag niet leeg zijn (er staan alleen spaties)",
                          "vul de tekst in"),
    "too_long": _LONG, "string_too_long": _LONG,
    "string_type": Wording("geen-tekst", "moet tekst zijn", "{name} moet tekst zijn",
                           "zet de tekst eventueel tussen aanhalingstekens"),
    "model_type": _BLOCK, "model_attributes_type": _BLOCK, "dict_type": _BLOCK,
    "string_unicode": Wording("ongeldige-tekens", "bevat ongeldige tekens", "{name} bevat ongeldige tekens",
                              "sla het bestand op als UTF-8"),
}
UNKNOWN = Wording("ongeldige-waarde", "ongeldige waarde", "ongeldige waarde bij {name}",
                  "zie de handleiding voor regelbestanden")


def wording(kind: str) -> Wording:
    """The wording of a pydantic error type."""
    return PYDANTIC.get(kind, UNKNOWN)


def context(error: Any) -> dict[str, str]:
    """A pydantic error's context as plain text: ``'a' or 'b'`` becomes ``a, b``; with a pattern, ``length``: what a
    name pattern allows (``{0,59}$``: "; hoogstens 60 tekens"; a trial's id of 90 characters got no word about its
    length), or nothing."""
    ctx = {k: str(v).replace("'", "").replace(" or ", ", ") for k, v in (error.get("ctx") or {}).items()}
    if "pattern" in ctx:
        found = _LIMIT.search(ctx["pattern"])
        ctx["length"] = f"; hoogstens {int(found[1]) + 1} tekens" if found else ""
    return ctx


_LIMIT = re.compile(r"\{0,(\d+)\}\$$")  # the last part of a name pattern: one first character, then up to N more


def fill(template: str, **values: Any) -> str:
    """``template`` with ``values``; a placeholder without a value leaves the template as it is."""
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template


def plain_name(value: str, joiner: str = "_") -> str:
    """A name refused for its letters written as names are: no capitals or accents, ``joiner`` for spaces and dashes
    (``Suïcidaal plan`` -> ``suicidaal_plan``; a rule id: ``School regel`` -> ``school-regel``). For the hint after
    such a name, in cases and rule files."""
    import unicodedata  # only for a refused name: no start pays for it

    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\s-]+", joiner, plain.strip().lower())


def did_you_mean(name: object, options: Iterable[str]) -> str | None:
    """The hint after an unknown name: "bedoel je 'x'?" when one option is close (the only place that says it)."""
    close = closest(name, options) if isinstance(name, str) else None
    return f"bedoel je '{close}'?" if close else None
