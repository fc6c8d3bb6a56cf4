"""The public contract: the case (``Casus``) a school system sends and the advice (``Advies``) it gets.

JSON keys are Dutch and fixed. Kinds of signal, task and training are checked
against the policy's vocabulary when a policy validates a case (see
``Policy.validate_case``); these models only check the shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from ._translate import did_you_mean

Ernst = Literal["licht", "matig", "ernstig", "acuut"]
Route = Literal["mentor", "zorgteam", "extern"]
Urgentie = Literal["direct", "vandaag", "deze_week", "regulier"]
Effect = Literal["geen", "onvoldoende", "voldoende"]
EFFECTS: tuple[str, ...] = get_args(Effect)

#: Orders used for "at least" conditions and for combining advice (higher = heavier).
SEVERITY_RANK: dict[str, int] = {"licht": 1, "matig": 2, "ernstig": 3, "acuut": 4}
ROUTE_RANK: dict[str, int] = {"mentor": 0, "zorgteam": 1, "extern": 2}
URGENCY_RANK: dict[str, int] = {"regulier": 0, "deze_week": 1, "vandaag": 2, "direct": 3}

MAX_WEEKS = 520  # ten school years; a longer duration is a typing error
MIN_AGE, MAX_AGE = 4, 25  # the bounds of Casus.leeftijd
MAX_SIGNALS = 50  # signals per case
MIN_YEAR, MAX_YEAR = 1, 6  # the bounds of Casus.leerjaar (secondary school: vwo has six years)
SEVERITIES: tuple[str, ...] = tuple(SEVERITY_RANK)  # lightest first
KIND_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"


def new_list() -> list[Any]:
    """A new empty list: the default of a list field (``Field(default_factory=new_list)``). Not the builtin ``list``:
    pydantic asks every default factory for its signature, and a builtin's is parsed from its text by ``tokenize``,
    whose large regular expression takes about 6 ms to compile; ``grenzen advies`` would pay that at every start
    (issue 12, point 3)."""
    return []


class _Contract(BaseModel):
    """Strict JSON contract: unknown keys are errors; input is never echoed in errors. Each model's validator is
    built on its first use (``defer_build``), not at import."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, frozen=True, defer_build=True)


def _in_vocabulary(table: str, what: str) -> AfterValidator:
    """A check against one table of the policy's vocabulary (active when validated with a policy's context): a kind
    the policy does not know is refused. One function per table, called for every signal of every case: no extra
    call and no ``Mapping`` check on the way (a plain dict is what ``Policy`` passes)."""

    def known(value: Any, info: ValidationInfo) -> Any:
        context = info.context
        if type(context) is dict:
            vocabulary = context.get("vocabulary")
        else:
            vocabulary = context.get("vocabulary") if isinstance(context, Mapping) else None
        if vocabulary is None or value in vocabulary[table]:
            return value
        # the message names the field, never the case's value; the hint (closest to the value) goes apart
        hint = did_you_mean(value, vocabulary[table]) or ""
        raise PydanticCustomError("onbekende_soort", f"onbekende {what} (niet in de woordenlijst)", {"hint": hint})

    return AfterValidator(known)


SignalKind = Annotated[str, Field(pattern=KIND_PATTERN), _in_vocabulary("signalen", "signaalsoort")]
TaskKind = Annotated[str, Field(pattern=KIND_PATTERN), _in_vocabulary("taken", "taak")]
TrainingKind = Annotated[str, Field(pattern=KIND_PATTERN), _in_vocabulary("scholing", "scholing")]


def _whole_number(value: Any) -> Any:
    """Numbers must be JSON numbers, as the JSON Schema says: "14" and true are refused, 14.0 is 14."""
    if isinstance(value, (str, bytes, bool)):
        raise PydanticCustomError("int_type", "moet een geheel getal zijn")
    return value


class Signaal(_Contract):
    """One signal the mentor noticed."""

    soort: SignalKind = Field(description="soort signaal (uit de woordenlijst van het beleid)")
    ernst: Ernst = Field(description="licht, matig, ernstig of acuut")
    duur_weken: int | None = Field(default=None, ge=0, le=MAX_WEEKS, description="hoe lang al, in weken")

    _whole = field_validator("duur_weken", mode="before")(_whole_number)


class Mentor(_Contract):
    """What the mentor brings: completed trainings."""

    scholing: list[TrainingKind] = Field(
        default_factory=new_list, max_length=50, description="gevolgde scholing"
    )


class EerdereAanpak(_Contract):
    """What the mentor already tried, and with what effect."""

    weken: int = Field(ge=0, le=MAX_WEEKS, description="hoe lang de mentor het al zelf aanpakt")
    effect: Effect = Field(description="geen, onvoldoende of voldoende")

    _whole = field_validator("weken", mode="before")(_whole_number)


class Casus(_Contract):
    """A case: the task that landed on the mentor's desk and what is going on."""

    id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._:-]{1,64}$",
        description="pseudoniem kenmerk, nooit een naam (letters, cijfers, . _ : -)",
    )
    leeftijd: int | None = Field(default=None, ge=MIN_AGE, le=MAX_AGE, description="leeftijd van de leerling")
    leerjaar: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR, description="leerjaar van de leerling")
    taak: TaskKind = Field(description="de taak die bij de mentor ligt")
    signalen: list[Signaal] = Field(default_factory=new_list, max_length=MAX_SIGNALS)
    mentor: Mentor | None = None
    eerdere_aanpak: EerdereAanpak | None = None

    _whole = field_validator("leeftijd", "leerjaar", mode="before")(_whole_number)


class Reden(_Contract):
    """One rule that applied."""

    regel: str
    titel: str
    bron: str
    uitleg: str
    route: Route


class OpzijGezet(_Contract):
    """A rule that applied but was set aside by an exception."""

    regel: str
    door: str


class BeleidInfo(_Contract):
    """Which policy gave the advice."""

    naam: str
    versie: str


class Advies(_Contract):
    """The advice: route, urgency, what the mentor does and does not do, and why."""

    # every key is in every advice, ``id`` too (null for a case without one): its schema says so (``required``)
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    route: Route
    urgentie: Urgentie
    taak_hoort_bij_mentor: bool
    mentor_doet: list[str]
    mentor_doet_niet: list[str]
    verwijzen_naar: list[str]
    toestemming: str | None
    redenen: list[Reden]
    opzij_gezet: list[OpzijGezet]
    beleid: BeleidInfo
    id: str | None = None  # the case's own id, when it had one: a system matches the advice to its case by it
