"""Shapes of the files in a rules directory, as pydantic models.

``woordenlijst.yaml`` (vocabulary), ``afspraken.yaml`` (referral agreements,
consent) and one file per theme with ``regels``. The condition language is a
closed set of keys (``Voorwaarde``); there are no expressions and no eval.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, model_validator
from pydantic_core import PydanticCustomError

from .._models import (
    KIND_PATTERN,
    MAX_SIGNALS,
    MAX_WEEKS,
    MAX_YEAR,
    MIN_YEAR,
    SEVERITIES,
    Effect,
    Ernst,
    Route,
    Urgentie,
    new_list,
)


def _ja_nee(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("ja", "nee"):
        return value.strip().lower() == "ja"
    return value


# Strict: a number is no ja/nee (0 and 1 are refused), and a whole number is an int, never true, 5.0 or '5'.
JaNee = Annotated[bool, BeforeValidator(_ja_nee), Strict()]
#: Ages in rules and in the consent table. Wider than a case's 4-25 so that a rule may say "vanaf 0"; the engine
#: compares them as 64-bit integers, far inside.
Age = Annotated[int, Strict(), Field(ge=0, le=30)]
Weeks = Annotated[int, Strict(), Field(ge=0, le=MAX_WEEKS)]
#: School years in rules: the same 1-6 as a case's ``leerjaar`` (a bound outside it could only be a typing error).
SchoolYear = Annotated[int, Strict(), Field(ge=MIN_YEAR, le=MAX_YEAR)]
Kind = Annotated[str, Field(pattern=KIND_PATTERN)]
RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,79}$"
RuleId = Annotated[str, Field(pattern=RULE_ID_PATTERN)]


def _not_blank(value: str) -> str:
    """A text with something in it: ``bron: "   "`` loaded, and the advice showed "Bron:" with nothing after it (a
    trial)."""
    if not value.strip():
        raise PydanticCustomError("blank_text", "only white space")
    return value


Text = Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(_not_blank)]


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Kinds = Annotated[list[Kind], BeforeValidator(_one_or_many), Field(min_length=1)]
Effects = Annotated[list[Effect], BeforeValidator(_one_or_many), Field(min_length=1)]


class _File(BaseModel):
    # defer_build: each model's validator is built on its first use, not at import
    model_config = ConfigDict(extra="forbid", strict=False, hide_input_in_errors=True, defer_build=True)


class SignaalVoorwaarde(_File):
    """One signal that meets every key of the block: of (one of) these kinds, or of any kind but these; of a kind in
    one of these groups and/or with these flags (selectors, see ``_select``); within a severity band, lasting at
    least N weeks."""

    soort: Kinds | None = None
    behalve_soort: Kinds | None = None
    groep: Kinds | None = None
    veiligheid: JaNee | None = None
    familie_niet_benaderen: JaNee | None = None
    ernst_minstens: Ernst | None = None
    ernst_hoogstens: Ernst | None = None
    duur_minstens_weken: Weeks | None = None

    @model_validator(mode="after")
    def _one_kind_list(self) -> SignaalVoorwaarde:
        if self.soort is not None and self.behalve_soort is not None:
            raise ValueError("soort en behalve_soort samen")
        return self


class AantalVoorwaarde(SignaalVoorwaarde):
    """At least ``minstens`` signals of the case each meet every other key of the block (as in a ``signaal`` block):
    accumulating problems. Each signal counts, also two of the same kind."""

    minstens: Annotated[int, Strict(), Field(ge=1, le=MAX_SIGNALS)]


class LeeftijdVoorwaarde(_File):
    """The student's age lies in this range (an unknown age satisfies no range)."""

    vanaf: Age | None = None
    tot_en_met: Age | None = None


class LeerjaarVoorwaarde(_File):
    """The student's school year lies in this range (an unknown school year satisfies no range)."""

    vanaf: SchoolYear | None = None
    tot_en_met: SchoolYear | None = None


class AanpakVoorwaarde(_File):
    """The mentor already tried for at least N weeks, with (one of) these effects."""

    weken_minstens: Weeks | None = None
    effect: Effects | None = None


class Voorwaarde(_File):
    """One condition. Several keys in one block all have to hold (like ``alle``)."""

    alle: list[Voorwaarde] | None = None
    een_van: list[Voorwaarde] | None = Field(default=None, min_length=1)
    niet: Voorwaarde | None = None
    signaal: SignaalVoorwaarde | None = None
    aantal_signalen: AantalVoorwaarde | None = None
    taak: Kinds | None = None
    scholing: Kinds | None = None
    leeftijd: LeeftijdVoorwaarde | None = None
    leerjaar: LeerjaarVoorwaarde | None = None
    eerdere_aanpak: AanpakVoorwaarde | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Voorwaarde:
        if not self.model_fields_set:
            raise ValueError("lege voorwaarde")
        return self


def signal_blocks(cond: Voorwaarde) -> list[SignaalVoorwaarde]:
    """The blocks of one condition block that pick signals: its ``signaal`` and its ``aantal_signalen``."""
    return [block for block in (cond.signaal, cond.aantal_signalen) if block is not None]


class Gevolg(_File):
    """What follows when a rule applies."""

    route: Route
    urgentie: Urgentie = "regulier"
    taak_hoort_bij_mentor: JaNee | None = None
    mentor_doet: list[Text] = Field(default_factory=new_list)
    mentor_doet_niet: list[Text] = Field(default_factory=new_list)
    verwijzen_naar: list[Text] = Field(default_factory=new_list)
    toestemming: JaNee | None = None
    uitleg: Text


class Regel(_File):
    """One rule of the policy."""

    id: RuleId
    titel: Text
    bron: Text
    absoluut: JaNee = False
    als: Voorwaarde
    dan: Gevolg
    zet_opzij: list[RuleId] = Field(default_factory=new_list)


class ThemaKop(_File):
    """A theme file read before its rules, so that each rule is checked on its own."""

    thema: Text
    beschrijving: Text | None = None
    regels: list[Any] = Field(min_length=1)


class Term(_File):
    """One kind in the vocabulary."""

    label: Text
    omschrijving: Text


class ErnstAnkers(_File):
    """What each severity means for one signal kind, in observable terms (the anchors); every severity optional."""

    licht: Text | None = None
    matig: Text | None = None
    ernstig: Text | None = None
    acuut: Text | None = None

    def anchors(self) -> dict[str, str]:
        """The anchors given, in severity order (licht first): severity -> text."""
        return {severity: text for severity in SEVERITIES if (text := getattr(self, severity)) is not None}


class Signaalterm(Term):
    """A signal kind; ``veiligheid: ja`` marks a kind that must never end at the mentor; ``familie_niet_benaderen:
    ja`` a safety kind where contact with the parents or the family can put the student in danger (huwelijksdwang):
    rules select such kinds with ``signaal: {familie_niet_benaderen: ja}``. ``groep`` (optional) puts the kind in a
    group that a rule can select with ``signaal: {groep: ...}``; a kind without one is in no group. ``ernst``
    (optional) says what each severity means for this kind, ``ernst_bron`` where that comes from."""

    veiligheid: JaNee = False
    familie_niet_benaderen: JaNee = False
    groep: Kind | None = None
    ernst: ErnstAnkers | None = None
    ernst_bron: Text | None = None

    @model_validator(mode="after")
    def _source_of_anchors(self) -> Signaalterm:
        if self.ernst_bron is not None and self.ernst is None:
            raise ValueError("ernst_bron zonder ernst")
        if self.familie_niet_benaderen and not self.veiligheid:
            raise ValueError("familie_niet_benaderen zonder veiligheid")
        return self

    def anchors(self) -> dict[str, str]:
        """What each severity means for this kind (severity -> text, licht first); empty when the policy says not."""
        return self.ernst.anchors() if self.ernst is not None else {}


class Woordenlijst(_File):
    """The policy's name and the kinds of signal, task and training it knows."""

    naam: Text
    beschrijving: Text | None = None
    signalen: dict[Kind, Signaalterm] = Field(min_length=1)
    taken: dict[Kind, Term] = Field(min_length=1)
    scholing: dict[Kind, Term] = Field(default_factory=dict)


class Bestemming(_File):
    """A destination of referral: a role in the school or an external partner."""

    naam: Text
    soort: Literal["intern", "extern"]
    omschrijving: Text | None = None
    bron: Text | None = None


class Leeftijdsgroep(_File):
    """Who consents for students of this age."""

    vanaf: Age | None = None
    tot_en_met: Age | None = None
    wie: Text


class Toestemming(_File):
    """Who must consent to a referral that needs it, by age."""

    bron: Text
    leeftijden: list[Leeftijdsgroep] = Field(min_length=1)
    onbekende_leeftijd: Text


class Afspraken(_File):
    """The school's referral agreements: destinations and consent."""

    bestemmingen: dict[Kind, Bestemming] = Field(default_factory=dict)
    toestemming: Toestemming | None = None
