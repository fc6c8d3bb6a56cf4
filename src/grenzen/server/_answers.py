"""The service's answers as pydantic models: the OpenAPI document is generated from them and from the contract."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .._errors import FieldError
from .._models import Advies, BeleidInfo, Route, Urgentie
from ..pipeline._policy import Policy


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Melding(_Answer):
    """One problem: the field (never its value) and a Dutch message."""

    veld: str = Field(description="het veld, bijvoorbeeld signalen.0.ernst, of (casus), (verzoek), (engine)")
    melding: str = Field(description="wat er mis is, in het Nederlands; nooit de inhoud van de casus")
    code: str = Field(description="vaste code van de soort fout (bijvoorbeeld te-groot, onbekende-naam): reageer "
                                  "hierop, niet op de melding, die anders geformuleerd kan worden")
    suggestie: str | None = Field(default=None, description="bijvoorbeeld \"bedoel je 'suicidaal_plan'?\": de naam "
                                  "die het dichtst bij de gestuurde waarde ligt. Die zegt waar de casus over gaat: "
                                  "laat hem zien aan wie de casus stuurde, maar zet hem nooit in een log")


class FoutInhoud(_Answer):
    """What went wrong; ``nummer`` only in a batch: the case's position, counted from 1."""

    fouten: list[Melding]
    nummer: int | None = Field(default=None, description="in een batch: de hoeveelste casus (vanaf 1)")


class Fout(_Answer):
    """An error answer (HTTP 401, 403, 404, 405, 408, 413, 415, 422, 500, 503), and a failed case in a batch."""

    fout: FoutInhoud


class BatchAntwoord(_Answer):
    """One result per case, in the order of the cases: an advice or an error object."""

    resultaten: list[Advies | Fout]
    beleid: BeleidInfo


class Verandering(_Answer):
    """One smallest change to the case and the advice it would get."""

    veld: str
    als: str
    dan: str
    route: Route
    urgentie: Urgentie


class WatAlsAntwoord(_Answer):
    """The advice, the smallest changes to the case that would change its route or urgency, and what a reader must
    know beside them (``let_op``: Dutch sentences; for a case with a safety signal, that a safety signal is only ever
    made heavier there)."""

    advies: Advies
    wat_als: list[Verandering]
    let_op: list[str] = []


class Soort(_Answer):
    """One kind of task or training in the policy's vocabulary."""

    label: str
    omschrijving: str


class Signaalsoort(Soort):
    """One signal kind, with its group and what each severity means for it (the anchors)."""

    veiligheid: bool
    groep: str | None
    ernst: dict[str, str] = Field(description="per ernst (licht, matig, ernstig, acuut) wat die hier betekent")
    ernst_bron: str | None


class Woordenlijst(_Answer):
    """The policy's vocabulary: the kinds of signal, task and training it knows, with Dutch labels."""

    signalen: dict[str, Signaalsoort]
    taken: dict[str, Soort]
    scholing: dict[str, Soort]


class BeleidAntwoord(_Answer):
    """The serving policy: name, version, its layers and its vocabulary."""

    naam: str
    versie: str
    lagen: list[BeleidInfo]
    woordenlijst: Woordenlijst


class Gezondheid(_Answer):
    """The process answers."""

    status: str


class Gereed(_Answer):
    """A policy is loaded and serving."""

    status: str
    beleid: BeleidInfo


class Herladen(_Answer):
    """A reload: the policy that serves now, why a new one was refused (``fout``) when it was, and what a reload that
    worked took away that kept students safe (``waarschuwingen``: a trial's reload that dropped 'veiligheid: ja' from
    the suicide plan answered only ``herladen: true``; the warning was in the log)."""

    herladen: bool
    beleid: BeleidInfo
    fout: FoutInhoud | None = None
    waarschuwingen: list[str] = []


def policy_answer(policy: Policy) -> BeleidAntwoord:
    """``GET /v1/beleid``."""
    vocabulary = policy.vocabulary
    return BeleidAntwoord(
        naam=policy.name, versie=policy.version, lagen=policy.layers,
        woordenlijst=Woordenlijst(
            signalen={kind: Signaalsoort(label=t.label, omschrijving=t.omschrijving, veiligheid=t.veiligheid,
                                         groep=t.groep, ernst=t.anchors(), ernst_bron=t.ernst_bron)
                      for kind, t in vocabulary.signalen.items()},
            taken={kind: Soort(label=t.label, omschrijving=t.omschrijving) for kind, t in vocabulary.taken.items()},
            scholing={kind: Soort(label=t.label, omschrijving=t.omschrijving)
                      for kind, t in vocabulary.scholing.items()},
        ),
    )


def fout(field: str, message: str, code: str) -> dict[str, Any]:
    """An error body with one problem (``code``: stable, as ``FieldError.code``)."""
    return {"fout": {"fouten": [FieldError(field, message, code).as_json()]}}
