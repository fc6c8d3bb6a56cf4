"""Example cases kept next to the rules (``voorbeelden/*.yaml`` or ``*.yml``), run against a policy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .._errors import CaseError, EngineError, Problem, closest
from .._models import Advies, Casus, EerdereAanpak, Mentor, Route, Signaal, Urgentie
from ..pipeline._load import EXAMPLES_DIR, YAML_SUFFIXES, parse_model, read_located, shown_path, unread_files
from ..pipeline._policy import UNKNOWN, Policy
from ..pipeline._rulefile import JaNee
from ..pipeline._validate import RESERVED_IDS
from ..pipeline._yaml import Located, YamlProblem, read_yaml
from ._yaml_out import ja_nee

LIST_FIELDS = ("mentor_doet", "mentor_doet_niet", "verwijzen_naar")
SCALAR_FIELDS = ("route", "urgentie", "taak_hoort_bij_mentor", "toestemming")


def _no_consent(value: Any) -> Any:
    """``toestemming: nee`` in an example: no consent (the advice's ``toestemming`` is empty). In a rule ``nee`` says
    that, and an example that said it failed with "verwacht nee, kreeg leeg" (a trial)."""
    return None if isinstance(value, str) and value.strip().lower() == "nee" else value


class Verwacht(BaseModel):
    """Any subset of the advice; lists must contain the given items, ``regels`` must apply. An item of
    ``verwijzen_naar`` is a destination's name or its key in afspraken.yaml."""

    model_config = ConfigDict(extra="forbid")
    route: Route | None = None
    urgentie: Urgentie | None = None
    taak_hoort_bij_mentor: JaNee | None = None
    toestemming: Annotated[str | None, BeforeValidator(_no_consent)] = None
    mentor_doet: list[str] = Field(default_factory=list)
    mentor_doet_niet: list[str] = Field(default_factory=list)
    verwijzen_naar: list[str] = Field(default_factory=list)
    regels: list[str] = Field(default_factory=list)
    opzij_gezet: list[str] = Field(default_factory=list)


class Voorbeeld(BaseModel):
    model_config = ConfigDict(extra="forbid")
    naam: str = Field(min_length=1)
    casus: dict[str, Any]
    verwacht: Verwacht


class Voorbeelden(BaseModel):
    """An example file; each item of ``voorbeelden`` is read on its own (``Voorbeeld``), so that one broken
    example never hides the others."""

    model_config = ConfigDict(extra="forbid")
    voorbeelden: list[Any] = Field(min_length=1)


@dataclass
class Outcome:
    """The result of one example."""

    name: str
    file: str
    line: int
    differences: list[str] = field(default_factory=list)
    advice: Advies | None = None

    @property
    def passed(self) -> bool:
        return not self.differences


@dataclass
class ExampleFile:
    """One example file: the examples that read cleanly, each with its place in the file, and how many did not
    (``broken``: the examples that did not read, or 1 for a file that did not read at all)."""

    path: Path
    shown: str
    located: Located | None
    voorbeelden: list[tuple[int, Voorbeeld]] = field(default_factory=list)
    broken: int = 0
    #: the examples that did not read, with a case (a dict): its own mistakes are reported too (``run_examples``)
    broken_cases: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def line(self, index: int) -> int:
        assert self.located is not None
        return self.located.where(("voorbeelden", index))[0]


def example_files(directory: Path) -> list[Path]:
    folder = directory / EXAMPLES_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in YAML_SUFFIXES)


def read_examples(directory: Path, problems: list[Problem]) -> list[ExampleFile]:
    """Every example file of a rules directory; what does not read adds located problems and counts as broken. A file
    in ``voorbeelden/`` that looks like an example file but is not read is a problem as well (``unread_files``: a
    trial's ``voorbeelden/Online.YAML`` was skipped, and ``test`` passed without it)."""
    found = []
    if (directory / EXAMPLES_DIR).is_dir():
        problems += unread_files(directory / EXAMPLES_DIR, policy_folder=False)
    for path in example_files(directory):
        shown = shown_path(path)
        located = read_located(path, shown, problems, first_key="voorbeelden")  # an unreadable file: its problem
        if located is None or not parse_model(Voorbeelden, located.data, located, shown, problems):
            found.append(ExampleFile(path, shown, None, broken=1))
            continue
        examples = ExampleFile(path, shown, located)
        for index, raw in enumerate(located.data["voorbeelden"]):
            misplaced = _misplaced(raw, located, shown, index)
            if misplaced:  # one clear message, not "'verwacht' ontbreekt" beside "onbekend veld" (a trial)
                problems += misplaced
                examples.broken += 1
                continue
            example = parse_model(Voorbeeld, raw, located, shown, problems, ("voorbeelden", index))
            if example is None:
                examples.broken += 1
                if isinstance(raw, dict) and isinstance(raw.get("casus"), dict):
                    examples.broken_cases.append((index, raw["casus"]))
            else:
                examples.voorbeelden.append((index, example))
        found.append(examples)
    return found


def _misplaced(raw: Any, located: Located, shown: str, index: int) -> list[Problem]:
    """An example's ``verwacht:`` indented as far as the case's keys (then it is read as part of the case), or an
    expected field (``route:``, ...) indented as far as ``casus:`` (then it is read as the example's own key): each as
    a problem that says how far to indent it."""
    if not isinstance(raw, dict):
        return []
    problems = []
    case = raw.get("casus")
    if "verwacht" not in raw and isinstance(case, dict) and "verwacht" in case:
        line, column = located.where(("voorbeelden", index, "casus", "verwacht"), key=True)
        problems.append(Problem(shown, line, column, "'verwacht:' staat te ver ingesprongen: zo hoort het bij de casus",
                                "zet 'verwacht:' recht onder 'casus:', en wat eronder staat evenveel minder ver in",
                                code="verkeerd-ingesprongen"))
    for key in raw:
        if key in Verwacht.model_fields and key not in Voorbeeld.model_fields:
            line, column = located.where(("voorbeelden", index, key), key=True)
            problems.append(Problem(shown, line, column, f"'{key}:' staat niet ver genoeg ingesprongen: zo hoort het "
                                    "bij het voorbeeld zelf, niet bij wat u verwacht",
                                    f"zet '{key}:' onder 'verwacht:', twee spaties verder in dan 'verwacht:'",
                                    code="verkeerd-ingesprongen"))
    return problems


def run_examples(policy: Policy, directory: Path | None = None) -> tuple[list[Outcome], list[Problem], int]:
    """Run every example of ``directory`` (default: the policy's own) against ``policy``; also returns how many
    examples (or whole files) could not be read."""
    outcomes: list[Outcome] = []
    problems: list[Problem] = []
    folder = directory or policy.path
    files = read_examples(folder, problems)
    for examples in files:
        for index, example in examples.voorbeelden:
            outcomes.append(_run_one(policy, example, examples, index))
        for index, case in examples.broken_cases:  # one typo in 'verwacht' hid a second one in the case (a trial)
            problems += _broken_case_problems(policy, case, examples, index)
    if not files and not problems:
        problems.append(Problem(shown_path(folder / EXAMPLES_DIR), 0, 0, "er zijn geen voorbeelden om te testen",
                                f"zet voorbeeldcasussen met hun verwachte advies in {EXAMPLES_DIR}/*.yaml "
                                "(zie docs/beleid-bijhouden.md)", code="geen-voorbeelden"))
    return outcomes, problems, sum(f.broken for f in files)


def _run_one(policy: Policy, example: Voorbeeld, examples: ExampleFile, index: int) -> Outcome:
    outcome = Outcome(example.naam, examples.shown, examples.line(index))
    try:
        advice = policy.advise(example.casus)
    except CaseError as exc:
        assert examples.located is not None
        outcome.differences += _case_problems(exc, example.casus, examples.located, ("voorbeelden", index, "casus"))
        return outcome
    except EngineError as exc:
        outcome.differences.append(f"geen advies: {exc}")
        return outcome
    outcome.advice = advice
    want = example.verwacht
    for name in SCALAR_FIELDS:
        expected = getattr(want, name)
        if name in want.model_fields_set and expected != getattr(advice, name):
            outcome.differences.append(f"{name}: verwacht {_show(expected)}, kreeg {_show(getattr(advice, name))}")
    destinations = policy.agreements.bestemmingen
    for name in LIST_FIELDS:
        given = getattr(advice, name)
        missing = [item for item in getattr(want, name) if item not in given
                   and not (name == "verwijzen_naar" and item in destinations and destinations[item].naam in given)]
        if missing:
            outcome.differences.append(f"{name}: mist {', '.join(missing)}")
    applied = {r.regel for r in advice.redenen}
    ids = [rule.id for rule in policy.rules]
    for name in want.regels + want.opzij_gezet:  # a misspelt id would only ever read as "did not apply"
        if name not in ids and not (name in RESERVED_IDS and name in want.regels):  # grenzen's own reasons
            near = closest(name, ids)
            outcome.differences.append(f"de regel '{name}' bestaat niet in dit beleid"
                                       + (f"; bedoel je '{near}'?" if near else ""))
    missing_rules = [r for r in want.regels if r not in applied and (r in ids or r in RESERVED_IDS)]
    if missing_rules:
        did = "deed" if len(missing_rules) == 1 else "deden"
        outcome.differences.append(f"regels: {', '.join(missing_rules)} {did} niet mee (niet van toepassing, of opzij "
                                   "gezet)")
    aside = {o.regel for o in advice.opzij_gezet}
    missing_aside = [r for r in want.opzij_gezet if r not in aside and r in ids]
    if missing_aside:
        outcome.differences.append(f"opzij_gezet: {', '.join(missing_aside)} niet opzij gezet")
    return outcome


#: The fields of each block of a case, to name an unknown key of an example (the case's own error never names one:
#: a school system's case may hold anything, an example is the policy writer's own file).
_BLOCKS: dict[str, frozenset[str]] = {
    "": frozenset(Casus.model_fields), "signalen": frozenset(Signaal.model_fields),
    "mentor": frozenset(Mentor.model_fields), "eerdere_aanpak": frozenset(EerdereAanpak.model_fields),
}


def _broken_case_problems(policy: Policy, case: dict[str, Any], examples: ExampleFile, index: int) -> list[Problem]:
    """The mistakes in the case of an example that did not read for another reason, as problems at their places."""
    assert examples.located is not None
    try:
        policy.validate_case(case)
    except CaseError as exc:
        problems = []
        for line, column, name, message in _case_errors(exc, case, examples.located, ("voorbeelden", index, "casus")):
            said, _, hint = message.partition("; ")  # "onbekende signaalsoort …; bedoel je 'x'?": the hint is the fix
            problems.append(Problem(examples.shown, line, column, f"de casus klopt niet: {name}: {said}",
                                    hint or "verbeter de casus van dit voorbeeld", code="ongeldige-casus"))
        return problems
    return []


def _case_problems(exc: CaseError, case: dict[str, Any], located: Located, base: tuple[str | int, ...]) -> list[str]:
    """What is wrong with an example's case, each at its line and column in the example file, with the real names
    of unknown keys and each list item also counted from 1 (``_shown``)."""
    return [f"geen advies, de casus klopt niet: regel {line}, kolom {column}: {name}: {message}"
            for line, column, name, message in _case_errors(exc, case, located, base)]


def _case_errors(exc: CaseError, case: dict[str, Any], located: Located, base: tuple[str | int, ...],
                 named: bool = True) -> list[tuple[int, int, str, str]]:
    """``_case_problems`` as (line, column, field, message); with ``named`` False an unknown key stays
    ``<onbekend veld>`` (a real case's keys may be content: only its place is said)."""
    out = []
    unknown: dict[tuple[str | int, ...], list[str]] = {}  # per block: its unknown keys, named in the errors' order
    for error in exc.errors:
        parts: list[str | int] = [int(p) if p.isdigit() else p for p in error.field.split(".")]
        key = bool(parts) and parts[-1] == UNKNOWN
        shown = parts
        if key:
            parent = tuple(parts[:-1])
            if parent not in unknown:
                unknown[parent] = _unknown_keys(case, parent)
            names = unknown[parent]
            parts = [*parent, names.pop(0)] if names else list(parent)
            shown = parts if named else shown
        line, column = located.where((*base, *parts), key=key)
        out.append((line, column, _shown(shown), error.text))
    return out


def case_error_lines(exc: CaseError, text: bytes, shown: str | None) -> list[str] | None:
    """The errors of a case file (``grenzen advies casus.yaml``) each at its place, ``shown:line:column`` (standard
    input, ``shown`` None: "regel 2, kolom 5"), with list items counted from 1 beside the path (a trial: no place, and
    ``signalen.0`` for the first signal); None when the text has no places to give (not YAML or JSON, no object, a
    whole-case error; a whole-case error of a file is named by the file, at the place its message gives)."""
    if any(error.field == "(casus)" for error in exc.errors):
        if shown is None or any(error.field != "(casus)" for error in exc.errors):
            return None
        return [_whole_case_line(error.text, shown) for error in exc.errors]
    try:
        located = read_yaml(text.decode("utf-8-sig"))
    except (UnicodeDecodeError, YamlProblem):
        return None
    if not isinstance(located.data, dict):
        return None
    return [(f"{shown}:{line}:{column}" if shown else f"regel {line}, kolom {column}") + f": {name}: {message}"
            for line, column, name, message in _case_errors(exc, located.data, located, (), named=False)]


#: The place at the start of a whole-case error's message (``_read._Failed.shown``): "regel 7, kolom 4: " or "kolom 4: "
_PLACE = re.compile(r"(?:regel (\d+), )?kolom (\d+): ")


def _whole_case_line(message: str, shown: str) -> str:
    """A whole-case error of the file ``shown`` as ``shown:line:column: message`` (a trial saw "(casus): regel 7, kolom
    4: ..." for its own file), or ``shown: message`` when it has no place (an empty file)."""
    place = _PLACE.match(message)
    if place is None:
        return f"{shown}: {message}"
    return f"{shown}:{place[1] or 1}:{place[2]}: {message[place.end():]}"


#: how a list item of a case is counted for a policy writer, beside the path
_ITEM = {"signalen": "signaal", "scholing": "scholing"}


def _shown(parts: list[str | int]) -> str:
    """A field of a case as ``advies`` and the API name it (``signalen.1.soort``, counted from 0), with the item counted
    from 1 beside it (``(signaal 2)``): the path alone counted from 1 read as another signal than ``advies`` said."""
    path = ".".join(map(str, parts)) or "casus"
    items = [f"{_ITEM.get(str(name), 'item')} {index + 1}" for name, index in zip(parts, parts[1:], strict=False)
             if isinstance(index, int)]
    return f"{path} ({', '.join(items)})" if items else path


def _unknown_keys(case: dict[str, Any], parent: tuple[str | int, ...]) -> list[str]:
    """The keys of the block at ``parent`` (``()``, ``("signalen", 0)``, ``("mentor",)``...) that the contract lacks."""
    node: Any = case
    for part in parent:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return []
    block = _BLOCKS.get(next((p for p in parent if isinstance(p, str)), ""), frozenset())
    return [name for name in node if name not in block] if isinstance(node, dict) else []


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return ja_nee(value)
    return "leeg" if value is None else str(value)
