"""Signal selectors: a ``signaal`` block may choose kinds by what the vocabulary says about them.

``groep: leren`` (or a list) selects the kinds whose ``groep`` in the vocabulary is one of these; ``veiligheid: ja``
the kinds marked ``veiligheid: ja``, ``veiligheid: nee`` the others; ``familie_niet_benaderen: ja`` (or ``nee``) in
the same way the kinds marked so (where contact with the family can put the student in danger). Every key of one
block holds for the same signal, so selectors, ``soort``, ``behalve_soort`` and the bounds combine as AND: ``{groep:
leren, behalve_soort: [rouw], ernst_minstens: matig}`` is one signal of a ``leren`` kind other than ``rouw``, at least
``matig``.

Before compiling, a block with a selector is resolved against the loaded vocabulary (overlays merged) into a plain
``soort`` list, so that the compiler, the engine and every tool that walks conditions see ordinary kind lists
(``Policy.resolved_rules``); the rules as written keep their selectors (``Policy.rules``, for the policy document
and ``verschil``). Kinds an overlay adds are therefore selected like the base's own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .._translate import did_you_mean
from ._rulefile import Regel, Signaalterm, SignaalVoorwaarde, Voorwaarde

Vocabulary = Mapping[str, Signaalterm]  # the vocabulary's signal kinds


def has_selector(signal: SignaalVoorwaarde) -> bool:
    """Does the block choose kinds by a vocabulary property (``groep``, ``veiligheid``, ``familie_niet_benaderen``)?"""
    return signal.groep is not None or signal.veiligheid is not None or signal.familie_niet_benaderen is not None


def groups(vocabulary: Vocabulary) -> list[str]:
    """The groups the vocabulary's kinds declare, in vocabulary order."""
    return list(dict.fromkeys(term.groep for term in vocabulary.values() if term.groep is not None))


def selected_kinds(signal: SignaalVoorwaarde, vocabulary: Vocabulary) -> list[str]:
    """The kinds, in vocabulary order, whose signals can meet ``signal`` (every key but the bounds)."""
    return [kind for kind, term in vocabulary.items() if _selects(signal, kind, term)]


def _selects(signal: SignaalVoorwaarde, kind: str, term: Signaalterm) -> bool:
    return ((signal.soort is None or kind in signal.soort)
            and (signal.behalve_soort is None or kind not in signal.behalve_soort)
            and (signal.groep is None or term.groep in signal.groep)
            and (signal.veiligheid is None or term.veiligheid == signal.veiligheid)
            and (signal.familie_niet_benaderen is None or term.familie_niet_benaderen == signal.familie_niet_benaderen))


def resolve_signal(signal: SignaalVoorwaarde, vocabulary: Vocabulary,
                   selections: dict[tuple[Any, ...], list[str]] | None = None) -> SignaalVoorwaarde | None:
    """``signal`` with its selectors replaced by the kinds they select (the same object when it has none); None
    when they select no kind at all. ``selections``: the kinds of each selection already made with this
    vocabulary (policies repeat their selectors), filled in as it goes."""
    if not has_selector(signal):
        return signal
    if selections is None:
        kinds = selected_kinds(signal, vocabulary)
    else:
        key = (_names(signal.soort), _names(signal.behalve_soort), _names(signal.groep), signal.veiligheid,
               signal.familie_niet_benaderen)
        found = selections.get(key)
        if found is None:
            found = selections[key] = selected_kinds(signal, vocabulary)
        kinds = list(found)  # each block its own list, as before
    if not kinds:
        return None
    return signal.model_copy(update={"soort": kinds, "behalve_soort": None, "groep": None, "veiligheid": None,
                                     "familie_niet_benaderen": None})


def _names(names: list[str] | None) -> tuple[str, ...] | None:
    return None if names is None else tuple(names)


def never() -> Voorwaarde:
    """A condition that never holds, in the condition language itself (``niet: {alle: []}``): what a block becomes
    when its signal selects no kind. Under ``niet`` it holds, as "no signal of no kind" always does."""
    return Voorwaarde(niet=Voorwaarde(alle=[]))


def resolve_condition(cond: Voorwaarde, vocabulary: Vocabulary,
                      selections: dict[tuple[Any, ...], list[str]] | None = None) -> Voorwaarde:
    """``cond`` with every signal selector inside it resolved (the same object when it has none); ``selections``
    as for ``resolve_signal``."""
    update: dict[str, Any] = {}
    for key in ("signaal", "aantal_signalen"):
        block = getattr(cond, key)
        if block is None:
            continue
        signal = resolve_signal(block, vocabulary, selections)
        if signal is None:
            return never()  # the keys of a block all have to hold, and this one cannot (nor can a count of no kind)
        if signal is not block:
            update[key] = signal
    for key in ("alle", "een_van"):
        children = getattr(cond, key)
        if children:
            resolved = [resolve_condition(child, vocabulary, selections) for child in children]
            if any(new is not old for new, old in zip(resolved, children, strict=True)):
                update[key] = resolved
    if cond.niet is not None:
        inner = resolve_condition(cond.niet, vocabulary, selections)
        if inner is not cond.niet:
            update["niet"] = inner
    return cond.model_copy(update=update) if update else cond


def resolve_rules(rules: list[Regel], vocabulary: Vocabulary) -> list[Regel]:
    """The rules (same order) with every signal selector resolved to the kinds of ``vocabulary``."""
    out = []
    selections: dict[tuple[Any, ...], list[str]] = {}
    for rule in rules:
        als = resolve_condition(rule.als, vocabulary, selections)
        out.append(rule if als is rule.als else rule.model_copy(update={"als": als}))
    return out


def selection_problems(signal: SignaalVoorwaarde, vocabulary: Vocabulary, names: str = "woordenlijst.yaml",
                       ) -> Iterator[tuple[tuple[Any, ...], str, str]]:
    """(path inside the block, message, fix) for every group that no kind of the vocabulary declares (``names``: the
    file where kinds are added)."""
    if not signal.groep:
        return
    known = groups(vocabulary)
    for index, name in enumerate(signal.groep or []):
        if name in known:
            continue
        hint = did_you_mean(name, known)
        if hint:
            fix = hint
        elif known:
            fix = f"kies uit {', '.join(known)}, of geef een signaalsoort in {names} 'groep: {name}'"
        else:
            fix = f"geef de signaalsoorten in {names} een groep, bijvoorbeeld 'groep: {name}'"
        yield ("groep", index), f"onbekende groep '{name}': geen signaalsoort in de woordenlijst heeft die groep", fix

