"""What-if: the smallest changes to a case that would change the route or the urgency.

Every answer is computed by asking the policy about the changed case (``Policy.advise``); nothing is inferred
from the rules' text. The rules only tell which values are worth asking about: conditions compare durations,
ages and weeks with ``>=`` against numbers written in the rules, so between two such numbers the advice cannot
change, and asking at each threshold (and just below it) finds the nearest value that changes it.

One change at a time: one signal's severity, duration or kind, leaving a signal out, the task, one training
more or less, the age, the school year, and what the mentor already tried. A safety signal (``veiligheid: ja``) is
only ever made heavier (more severe, longer): never left out, lighter, shorter or another kind.
For ordered values (severity, duration, age, school year, weeks) only the nearest value in each direction that
changes the advice is given; for kinds and tasks every alternative that changes it, grouped by the advice it leads
to.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._models import EFFECTS, MAX_AGE, MAX_WEEKS, MAX_YEAR, MIN_AGE, MIN_YEAR, SEVERITIES, SEVERITY_RANK, Advies, Casus
from ._explain import URGENCY_WORDS, either
from ._rulefile import signal_blocks
from ._validate import walk

if TYPE_CHECKING:
    from ._policy import CaseInput, Policy


@dataclass(frozen=True)
class WhatIf:
    """One change to the case and the advice it would get.

    ``path`` is the changed field's path in the case (e.g. ``signalen.0.ernst``); ``change`` describes the change and
    ``outcome`` the resulting advice, both in Dutch; ``case`` is the changed case and ``advice`` its full advice.
    The JSON form keeps the contract's Dutch keys (``veld``, ``als``, ``dan``).
    """

    path: str
    change: str
    outcome: str
    case: Casus
    advice: Advies

    def __str__(self) -> str:
        return f"Als {self.change}, dan {self.outcome}."

    # The names before 0.2 (Dutch beside English); kept one minor version, with a warning.
    @property
    def field(self) -> str:
        """Deprecated: use ``path``."""
        _deprecated("field", "path")
        return self.path

    @property
    def als(self) -> str:
        """Deprecated: use ``change``."""
        _deprecated("als", "change")
        return self.change

    @property
    def dan(self) -> str:
        """Deprecated: use ``outcome``."""
        _deprecated("dan", "outcome")
        return self.outcome


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"WhatIf.{old} is deprecated; use WhatIf.{new}", DeprecationWarning, stacklevel=3)


def what_if(policy: Policy, case: CaseInput) -> list[WhatIf]:
    """Every smallest change to ``case`` that changes the route or the urgency of its advice."""
    valid = policy.validate_case(case)
    return list(_Explorer(policy, valid).changes())


#: Said beside the changes of a case with a safety signal: what they leave out, and why.
SAFETY_NOTE = ("Aan een veiligheidssignaal verandert hier alleen iets dat het zwaarder maakt. Het signaal weglaten, "
               "lichter maken of een andere soort geven, staat hier niet bij: wat de mentor zag, verandert niet om een "
               "ander advies te krijgen.")


def has_safety_signal(policy: Policy, case: Casus) -> bool:
    return any(signal.soort in policy.safety_kinds for signal in case.signalen)


def outcome_text(advice: Advies) -> str:
    return outcome_words(advice.route, advice.urgentie)


def outcome_words(route: str, urgency: str) -> str:
    """A route and an urgency as an advice's outcome reads: "zorgteam, vandaag nog"."""
    return f"{route}, {URGENCY_WORDS[urgency]}"


def whatif_text(advice: Advies, changes: list[WhatIf], safety: bool = False) -> str:
    """The what-if section of ``grenzen advies --waarom``, in Dutch; ``safety``: the case has a safety signal."""
    lines = [f"Wat zou het advies veranderen? (nu: {outcome_text(advice)})"]
    if not changes:
        lines.append("  Geen enkele kleine verandering aan de casus verandert de route of de urgentie.")
    lines.extend(f"  - {change}" for change in changes)
    if safety:
        lines.append(f"  {SAFETY_NOTE}")
    return "\n".join(lines)


def whatif_json(advice: Advies, changes: list[WhatIf], safety: bool = False) -> str:
    """``{"advies": ..., "wat_als": [...], "let_op": [...]}`` for ``grenzen advies --json --waarom``, as
    ``/v1/wat-als`` answers; ``let_op``: ``SAFETY_NOTE`` when the case has a safety signal (``safety``)."""
    items = [
        {"veld": c.path, "als": c.change, "dan": c.outcome, "route": c.advice.route, "urgentie": c.advice.urgentie}
        for c in changes
    ]
    return json.dumps({"advies": advice.model_dump(mode="json"), "wat_als": items, "let_op": notes(safety)}, indent=2,
                      ensure_ascii=False)


def notes(safety: bool) -> list[str]:
    """What a reader of the changes must know beside them: for a case with a safety signal, ``SAFETY_NOTE`` (an
    integrator trial: the HTTP answer had no word of what the changes leave out)."""
    return [SAFETY_NOTE] if safety else []


class _Explorer:
    def __init__(self, policy: Policy, case: Casus) -> None:
        self.policy = policy
        self.case = case
        self.base = case.model_dump(exclude_none=True)
        self.outcome = self._key(policy.advise(case))
        self.durations, self.ages, self.weeks = _thresholds(policy)
        self.years = _year_thresholds(policy)
        self.vocabulary = policy.vocabulary

    @staticmethod
    def _key(advice: Advies) -> tuple[str, str]:
        return advice.route, advice.urgentie

    def _ask(self, field: str, als: str, data: dict[str, Any]) -> WhatIf | None:
        changed = self.policy.validate_case(data)
        advice = self.policy.combine(self.policy.applicable(changed), changed)  # validated once, not again in advise
        if self._key(advice) == self.outcome:
            return None
        return WhatIf(field, als, outcome_text(advice), changed, advice)

    def _nearest(self, field: str, candidates: Iterable[Any], make: Any) -> WhatIf | None:
        """The first candidate (in the given order) whose case changes the advice."""
        for value in candidates:
            found = self._ask(field, *make(value))
            if found is not None:
                return found
        return None

    def _grouped(self, field: str, options: Iterable[str], make: Any, describe: Any) -> Iterator[WhatIf]:
        """Each option that changes the advice, one answer per resulting advice listing its options."""
        groups: dict[tuple[str, str], list[WhatIf]] = {}
        for option in options:
            found = self._ask(field, "", make(option))
            if found is not None:
                groups.setdefault(self._key(found.advice), []).append(found)
        for group in groups.values():
            options_of = [item.case for item in group]
            first = group[0]
            yield WhatIf(field, describe(options_of), first.outcome, first.case, first.advice)

    def changes(self) -> Iterator[WhatIf]:
        for index in range(len(self.case.signalen)):
            yield from self._signal(index)
        yield from self._task()
        yield from self._trainings()
        yield from self._age()
        yield from self._school_year()
        yield from self._approach()

    # --- signals -----------------------------------------------------------------------------------------

    def _with_signal(self, index: int, **change: Any) -> dict[str, Any]:
        data = _copy(self.base)
        signal = data["signalen"][index]
        for key, value in change.items():
            if value is None:
                signal.pop(key, None)
            else:
                signal[key] = value
        return data

    def _signal(self, index: int) -> Iterator[WhatIf]:
        signal = self.case.signalen[index]
        name = self._signal_name(index)
        field = f"signalen.{index}"
        rank = SEVERITY_RANK[signal.ernst]

        def severity(value: str) -> tuple[str, dict[str, Any]]:
            return (f"het signaal {name} {value} was in plaats van {signal.ernst}",
                    self._with_signal(index, ernst=value))

        # a safety signal only ever heavier: never left out, lighter, shorter or another kind (what the advice would be
        # then is no option to offer; trials: "if there were no suicide plan: mentor", "if it were suicidal thoughts
        # instead of a plan: zorgteam, vandaag nog")
        safe = signal.soort in self.policy.safety_kinds
        up = [s for s in SEVERITIES if SEVERITY_RANK[s] > rank]
        down = [] if safe else [s for s in reversed(SEVERITIES) if SEVERITY_RANK[s] < rank]
        yield from _present(self._nearest(f"{field}.ernst", up, severity),
                            self._nearest(f"{field}.ernst", down, severity))

        def duration(value: int | None) -> tuple[str, dict[str, Any]]:
            return (f"het signaal {name} {_weeks(value)} duurde in plaats van {_weeks(signal.duur_weken)}",
                    self._with_signal(index, duur_weken=value))

        current = -1 if signal.duur_weken is None else signal.duur_weken
        longer = [d for d in self.durations if d > current]
        shorter = [d for d in reversed(self.durations) if d < current] + ([None] if current >= 0 else [])
        shorter = [] if safe else shorter
        yield from _present(self._nearest(f"{field}.duur_weken", longer, duration),
                            self._nearest(f"{field}.duur_weken", shorter, duration))

        if safe:
            return
        others = [k for k in self.vocabulary.signalen if k != signal.soort]
        yield from self._grouped(
            f"{field}.soort", others, lambda kind: self._with_signal(index, soort=kind),
            # the severity stays: said, or "niet 'Studievaardigheden' maar 'Somberheid of angst'" reads as "somberheid
            # is for the mentor" (a trial), where it is light somberheid
            lambda cases: f"het signaal niet {name} maar "
            + _some([self._label("signalen", c.signalen[index].soort) for c in cases])
            + f" was, met dezelfde ernst ({signal.ernst})",
        )

        data = _copy(self.base)
        del data["signalen"][index]
        found = self._ask("signalen", f"er geen signaal {name} was", data)
        if found is not None:
            yield found

    def _signal_name(self, index: int) -> str:
        kind = self.case.signalen[index].soort
        label = self._label("signalen", kind)
        if sum(s.soort == kind for s in self.case.signalen) > 1:
            label += f" (nr. {index + 1})"
        return label

    # --- task, trainings, age, earlier approach ----------------------------------------------------------

    def _task(self) -> Iterator[WhatIf]:
        current = self.case.taak

        def make(task: str) -> dict[str, Any]:
            return _copy(self.base) | {"taak": task}

        yield from self._grouped(
            "taak", [t for t in self.vocabulary.taken if t != current], make,
            lambda cases: f"de taak {either([self._label('taken', c.taak) for c in cases])} was"
            f" in plaats van {self._label('taken', current)}",
        )

    def _trainings(self) -> Iterator[WhatIf]:
        held = list(self.case.mentor.scholing) if self.case.mentor else []
        for training in self.vocabulary.scholing:
            data = _copy(self.base)
            label = self._label("scholing", training)
            if training in held:
                data["mentor"]["scholing"] = [t for t in held if t != training]
                found = self._ask("mentor.scholing", f"de mentor niet geschoold was in {label}", data)
            else:
                data["mentor"] = {"scholing": [*held, training]}
                found = self._ask("mentor.scholing", f"de mentor ook geschoold was in {label}", data)
            if found is not None:
                yield found

    def _age(self) -> Iterator[WhatIf]:
        age = self.case.leeftijd
        current = -1 if age is None else age

        def make(value: int | None) -> tuple[str, dict[str, Any]]:
            data = _copy(self.base)
            data.pop("leeftijd", None)
            if value is None:
                return "de leeftijd onbekend was", data
            now = "onbekend" if age is None else str(age)
            return f"de leerling {value} jaar was in plaats van {now}", data | {"leeftijd": value}

        older = [a for a in self.ages if a > current]
        younger = [a for a in reversed(self.ages) if a < current] + ([None] if age is not None else [])
        yield from _present(self._nearest("leeftijd", older, make), self._nearest("leeftijd", younger, make))

    def _school_year(self) -> Iterator[WhatIf]:
        year = self.case.leerjaar
        current = -1 if year is None else year

        def make(value: int | None) -> tuple[str, dict[str, Any]]:
            data = _copy(self.base)
            data.pop("leerjaar", None)
            if value is None:
                return "het leerjaar onbekend was", data
            now = "een onbekend leerjaar" if year is None else f"leerjaar {year}"
            return f"de leerling in leerjaar {value} zat in plaats van {now}", data | {"leerjaar": value}

        higher = [y for y in self.years if y > current]
        lower = [y for y in reversed(self.years) if y < current] + ([None] if year is not None else [])
        yield from _present(self._nearest("leerjaar", higher, make), self._nearest("leerjaar", lower, make))

    def _approach(self) -> Iterator[WhatIf]:
        tried = self.case.eerdere_aanpak
        if tried is None:
            for effect in EFFECTS:

                def started(weeks: int, effect: str = effect) -> tuple[str, dict[str, Any]]:
                    return (f"de mentor het al {_weeks(weeks)} zelf had geprobeerd, met effect '{effect}'",
                            _copy(self.base) | {"eerdere_aanpak": {"weken": weeks, "effect": effect}})

                yield from _present(self._nearest("eerdere_aanpak", self.weeks, started))
            return

        def weeks(value: int) -> tuple[str, dict[str, Any]]:
            data = _copy(self.base)
            data["eerdere_aanpak"]["weken"] = value
            return f"de mentor het al {_weeks(value)} zelf had geprobeerd in plaats van {_weeks(tried.weken)}", data

        longer = [w for w in self.weeks if w > tried.weken]
        shorter = [w for w in reversed(self.weeks) if w < tried.weken]
        yield from _present(self._nearest("eerdere_aanpak.weken", longer, weeks),
                            self._nearest("eerdere_aanpak.weken", shorter, weeks))
        for effect in EFFECTS:
            if effect != tried.effect:
                data = _copy(self.base)
                data["eerdere_aanpak"]["effect"] = effect
                found = self._ask("eerdere_aanpak.effect",
                                  f"de eerdere aanpak effect '{effect}' had in plaats van '{tried.effect}'", data)
                if found is not None:
                    yield found
        data = _copy(self.base)
        del data["eerdere_aanpak"]
        found = self._ask("eerdere_aanpak", "de mentor nog niets zelf had geprobeerd", data)
        if found is not None:
            yield found

    def _label(self, table: str, key: str) -> str:
        term = getattr(self.vocabulary, table).get(key)
        return f"'{term.label if term else key}'"


#: The most kinds a what-if names for one outcome; the rest are counted (a trial: 11 lines, most of them lists of
#: ten kinds, between two lessons).
KINDS_NAMED = 3


def _some(labels: list[str]) -> str:
    """Dutch alternatives, at most ``KINDS_NAMED`` of them named: "'a', 'b', 'c' of nog 7 andere soorten"."""
    if len(labels) <= KINDS_NAMED + 1:
        return either(labels)
    return f"{', '.join(labels[:KINDS_NAMED])} of nog {len(labels) - KINDS_NAMED} andere soorten"


def _thresholds(policy: Policy) -> tuple[list[int], list[int], list[int]]:
    """The values worth asking about: each number in a condition and the one just below it."""
    durations: set[int] = set()
    ages: set[int] = set()
    weeks: set[int] = set()
    for rule in policy.rules:
        for _, cond in walk(rule.als, ()):
            for block in signal_blocks(cond):
                if block.duur_minstens_weken is not None:
                    durations.update(_edge(block.duur_minstens_weken))
            if cond.leeftijd is not None:
                if cond.leeftijd.vanaf is not None:
                    ages.update(_edge(cond.leeftijd.vanaf))
                if cond.leeftijd.tot_en_met is not None:
                    ages.update(_edge(cond.leeftijd.tot_en_met + 1))
            if cond.eerdere_aanpak is not None:
                weeks.update(_edge(cond.eerdere_aanpak.weken_minstens or 0))
    weeks.add(0)
    return (
        sorted(d for d in durations if 0 <= d <= MAX_WEEKS),
        sorted(a for a in ages if MIN_AGE <= a <= MAX_AGE),
        sorted(w for w in weeks if 0 <= w <= MAX_WEEKS),
    )


def _year_thresholds(policy: Policy) -> list[int]:
    """The school years worth asking about: each bound of a ``leerjaar`` condition and the one below it (a range
    without ``vanaf`` starts at leerjaar 1: it needs a known school year)."""
    years: set[int] = set()
    for rule in policy.rules:
        for _, cond in walk(rule.als, ()):
            if cond.leerjaar is not None:
                years.update(_edge(cond.leerjaar.vanaf or MIN_YEAR))
                if cond.leerjaar.tot_en_met is not None:
                    years.update(_edge(cond.leerjaar.tot_en_met + 1))
    return sorted(y for y in years if MIN_YEAR <= y <= MAX_YEAR)


def _edge(threshold: int) -> tuple[int, int]:
    return threshold - 1, threshold


def _present(*found: WhatIf | None) -> Iterator[WhatIf]:
    yield from (item for item in found if item is not None)


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in data.items()}
    if "signalen" in out:
        out["signalen"] = [dict(signal) for signal in out["signalen"]]
    for key in ("mentor", "eerdere_aanpak"):
        if key in out:
            out[key] = {k: list(v) if isinstance(v, list) else v for k, v in out[key].items()}
    out.setdefault("mentor", {"scholing": []})
    return out


def _weeks(value: int | None) -> str:
    if value is None:
        return "een onbekende tijd"
    return "1 week" if value == 1 else f"{value} weken"

