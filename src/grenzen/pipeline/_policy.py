"""The pipeline in one place: load → validate → compile → evaluate → combine."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .._collector import collector_paused
from .._errors import CaseError, FieldError, PolicyError, Problem
from .._models import Advies, BeleidInfo, Casus, EerdereAanpak, Mentor, Signaal
from .._translate import context, did_you_mean, fill, plain_name, wording
from ._audit import AuditRecord, audit_record
from ._combine import Combiner
from ._compile import compile_rules, fact_texts
from ._engine import Engine
from ._layers import is_overlay, layered_source
from ._load import Source, _allowed_keys, default_rules_dir, load_source
from ._read import MAX_CASE_BYTES, read_case_text
from ._rulefile import Regel
from ._safety import CHECKED, safety_problems
from ._select import resolve_rules
from ._validate import validate
from ._whatif import WhatIf  # at run time too: typing.get_type_hints(Policy.what_if) needs it

CaseInput = Casus | Mapping[str, Any] | str | bytes


class Policy:
    """A loaded, validated and compiled policy. Thread-safe; cheap to keep, costly to build."""

    def __init__(self, source: Source) -> None:
        assert source.vocabulary is not None
        self.path = source.directory
        self.name = source.vocabulary.naam
        self.version = source.version
        self.vocabulary = source.vocabulary
        self.agreements = source.agreements
        self.rules: list[Regel] = [item.rule for item in source.rules]  # as written, signal selectors kept
        #: The same rules with every signal selector (``groep``, ``veiligheid``) resolved to the kinds it selects in
        #: this policy's vocabulary: what the engine evaluates, and what every tool that walks conditions must read.
        self.resolved_rules: list[Regel] = resolve_rules(self.rules, self.vocabulary.signalen)
        self.source = source
        self.max_case_bytes = MAX_CASE_BYTES  # the cap on a case given as text (str or bytes)
        self._info = BeleidInfo(naam=self.name, versie=self.version)
        self.layers: list[BeleidInfo] = list(source.layers) or [self._info]  # school overlays: see _layers
        self._compiled = compile_rules(self.resolved_rules, list(self.vocabulary.scholing),
                                       list(self.vocabulary.signalen))
        self._engine = Engine(self._compiled.rulesets, {f"r{i}": i for i in range(len(self.rules))})
        #: The signal kinds marked ``veiligheid: ja``: they never end at the mentor (the combiner's safety guard).
        self.safety_kinds: frozenset[str] = frozenset(
            kind for kind, term in self.vocabulary.signalen.items() if term.veiligheid)
        self._combiner = Combiner(self.rules, self.agreements, self._info, self.safety_kinds)
        self._vocabulary_tables: dict[str, Mapping[str, Any]] = {
            "signalen": self.vocabulary.signalen,
            "taken": self.vocabulary.taken,
            "scholing": self.vocabulary.scholing,
        }
        self._context = {"vocabulary": self._vocabulary_tables}

    def __repr__(self) -> str:
        return f"<Policy {self.name!r} versie {self.version} ({len(self.rules)} regels)>"

    def validate_case(self, case: CaseInput) -> Casus:
        """Check a case against the contract and this policy's vocabulary; raise ``CaseError``."""
        if isinstance(case, (str, bytes)):
            case = read_case_text(case, max_bytes=self.max_case_bytes)
        elif isinstance(case, Casus):
            case = case.model_dump(exclude_unset=True)
        try:
            return Casus.model_validate(case, context=self._context)
        except ValidationError as exc:
            errors = _field_errors(exc, case, self._vocabulary_tables)
        raise CaseError(errors)  # outside the except block: no chained ValidationError holds the raw input

    def applicable(self, case: Casus) -> list[int]:
        """Indexes of the rules whose condition holds (before exceptions), as the engine finds them."""
        visit = self._compiled.rulesets.visit(case.taak)
        return self._engine.indexes(fact_texts(case, self._compiled, visit), visit)

    def advise(self, case: CaseInput) -> Advies:
        """The advice for one case. Raises ``CaseError`` for a bad case, ``EngineError`` if the engine fails."""
        valid = self.validate_case(case)
        return self._combiner(self.applicable(valid), valid)

    def combine(self, applicable: Sequence[int], case: Casus) -> Advies:
        """The advice for a valid case, given the indexes of the rules whose conditions hold (``applicable``): the
        combination step alone, safety guard included. The toolkit uses it to ask what an advice would be
        without a rule."""
        return self._combiner(sorted(set(applicable)), case)

    def audit_record(self, case: CaseInput, advice: Advies) -> AuditRecord:
        """What a school system may keep about ``advice``: an id, the time, the policy, only the case fields
        that the applied rules read (never the case id, never free text), and ``vangnet`` when the safety guard
        changed the advice. Raises ``AuditError`` for an advice this policy does not give this case."""
        return audit_record(self, self.validate_case(case), advice)

    def what_if(self, case: CaseInput) -> list[WhatIf]:
        """The smallest changes to ``case`` that would change the route or the urgency, each with its advice."""
        from ._whatif import what_if

        return what_if(self, case)


def load_policy(path: str | Path | Sequence[str | Path] | None = None) -> Policy:
    """Load, validate and compile a rules directory (``None``: the bundled default policy).

    A list stacks school overlays on a full policy (``[default_rules_dir(), "school/"]``); a directory with
    ``laag.yaml`` is such an overlay on its own ``basis`` (see ``_layers``).
    """
    with collector_paused():  # a load builds many objects that live on and make no cycles (see _collector)
        return _load(path)


def _load(path: str | Path | Sequence[str | Path] | None) -> Policy:
    """``load_policy``'s work: read, validate, build, and the safety check unless the files are known to pass it."""
    if path is None:
        source = load_source(default_rules_dir())
    elif isinstance(path, (str, os.PathLike)):
        source = layered_source([path]) if is_overlay(Path(path)) else load_source(Path(path))
    else:  # a sequence of layers
        source = layered_source(path)
    problems = list(source.problems)
    if source.vocabulary is not None:
        problems.extend(validate(source))
    if problems:
        raise PolicyError(problems)
    policy = Policy(source)
    unsafe = [] if source.digest in CHECKED else safety_problems(policy, source)
    if unsafe:
        raise PolicyError(unsafe)
    return policy


def check_policy(path: str | Path | Sequence[str | Path] | None = None) -> list[Problem]:
    """Every problem of a rules directory (empty when it loads)."""
    try:
        load_policy(path)
    except PolicyError as exc:
        return list(exc.problems)
    return []


UNKNOWN = "<onbekend veld>"


def _shown(loc: tuple[Any, ...]) -> str:
    """A field path for a message: field names of the contract and list positions only, never a key of the case."""
    return ".".join(str(part) if isinstance(part, int) or part in _FIELDS else UNKNOWN for part in loc)


_FIELDS = frozenset(name for model in (Casus, Signaal, Mentor, EerdereAanpak) for name in model.model_fields)
#: Where each field of a nested block belongs, for "'scholing' hoort onder 'mentor'" (field names are the contract's,
#: never the case's, so naming them is safe).
_HOME = {name: block for block, model in (("signalen", Signaal), ("mentor", Mentor), ("eerdere_aanpak", EerdereAanpak))
         for name in model.model_fields}

#: The most field errors a case gets, then one that counts the rest (``meer-fouten``): a 1 MB case of unknown keys had
#: 120,000, each with a "did you mean" worked out (15 MB of answer, 2 s).
MAX_ERRORS = 100


#: The vocabulary table a name field of a case is checked against (see ``_name_hint``).
_NAME_TABLES = {"soort": "signalen", "taak": "taken", "scholing": "scholing"}


def _name_hint(case: Any, loc: tuple[Any, ...], vocabulary: Mapping[str, Mapping[str, Any]]) -> str | None:
    """For a name refused for its letters (capitals, accents, spaces: ``Suïcidaal plan``), "bedoel je …?" with the
    vocabulary's name it is closest to. The value sent is read only to find the hint; it is never shown."""
    table = next((_NAME_TABLES[part] for part in reversed(loc) if isinstance(part, str) and part in _NAME_TABLES), None)
    value = _value_at(case, loc)
    if table is None or not isinstance(value, str):
        return None
    plain = plain_name(value)
    known = vocabulary[table]
    return f"bedoel je '{plain}'?" if plain in known else did_you_mean(plain, known)


def _choice_hint(case: Any, loc: tuple[Any, ...], error: Any) -> str | None:
    """For a value outside a fixed choice (``ernst: ernstg``, a trial), "bedoel je …?" with the closest choice. The
    value sent is read only to find the hint; it is never shown."""
    value = _value_at(case, loc)
    choices = _QUOTED.findall(str((error.get("ctx") or {}).get("expected", "")))
    return did_you_mean(plain_name(value), choices) if isinstance(value, str) and choices else None


_QUOTED = re.compile(r"'([^']*)'")


def _value_at(case: Any, loc: tuple[Any, ...]) -> Any:
    """The value at ``loc`` in the case as sent (None when it is not there)."""
    value = case
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _field_errors(exc: ValidationError, case: Any = None,
                  vocabulary: Mapping[str, Mapping[str, Any]] | None = None) -> list[FieldError]:
    out = []
    errors = exc.errors(include_input=False, include_url=False)
    if len(errors) > MAX_ERRORS:
        rest = len(errors) - MAX_ERRORS
        errors = errors[:MAX_ERRORS]
        more = FieldError("(casus)", f"en nog {rest} fout{'en' if rest > 1 else ''}; herstel eerst de fouten hierboven",
                          "meer-fouten")
    else:
        more = None
    for error in errors:
        loc = tuple(error["loc"])
        said = wording(error["type"])
        if error["type"] in ("extra_forbidden", "invalid_key"):  # the key itself may be content (a name): never shown
            allowed = _allowed_keys(Casus, loc[:-1])
            home = _HOME.get(loc[-1]) if isinstance(loc[-1], str) else None  # a contract field in the wrong block
            # "bedoel je 'taak'?" is worked out from the key sent: a hint (``suggestie``), as for every value sent
            hint = "" if home and home not in loc else did_you_mean(loc[-1], allowed) or ""
            unknown = (f"onbekend veld; '{loc[-1]}' hoort onder '{home}'" if home and home not in loc else
                       "onbekend veld" if hint else "onbekend veld; toegestaan: " + ", ".join(allowed))
            out.append(FieldError(_shown(loc[:-1] + (UNKNOWN,)), unknown, "onbekende-sleutel", hint))
        elif error["type"] == "onbekende_soort":
            hint = (error.get("ctx") or {}).get("hint") or ""
            out.append(FieldError(_shown(loc) or "(casus)", error["msg"] + ("" if hint else
                                  "; zie de woordenlijst van het beleid"), "onbekende-naam", hint))
        elif error["type"] == "int_parsing_size":  # 1e20: past any bound, on the side of its sign (a trial)
            value = _value_at(case, loc)
            small = value < 0 if isinstance(value, (int, float)) else str(value).strip().startswith("-")
            out.append(FieldError(_shown(loc) or "(casus)", "het getal is veel te " + ("klein" if small else "groot"),
                                  "te-klein" if small else "te-groot"))
        else:
            message = fill(said.case, **context(error))
            near = None
            if error["type"] == "string_pattern_mismatch" and vocabulary is not None:
                near = _name_hint(case, loc, vocabulary)
            elif error["type"] == "literal_error":
                near = _choice_hint(case, loc, error)
            out.append(FieldError(_shown(loc) or "(casus)", message, said.code, near or ""))
    out = _counted(out)
    return out if more is None else [*out, more]


def _counted(errors: list[FieldError]) -> list[FieldError]:
    """Equal errors once, in the place of the first, with how often (``<onbekend veld>`` for each unknown key: a batch
    of 1,000 such cases answered 13 MB)."""
    counts: dict[FieldError, int] = {}
    for error in errors:
        counts[error] = counts.get(error, 0) + 1
    if len(counts) == len(errors):
        return errors
    return [error if n == 1 else FieldError(error.field, f"{error.message} ({n} keer)", error.code, error.hint)
            for error, n in counts.items()]
