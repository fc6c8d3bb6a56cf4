"""Step 2, validate: the checks that span rules and files (kinds, ids, exceptions, absolute rules)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from .._errors import Problem, closest
from .._models import MAX_AGE, MIN_AGE, SEVERITY_RANK
from .._translate import did_you_mean
from ._combine import FALLBACK, SAFETY_GUARD
from ._compile import MAX_COUNTS, MAX_NEGATED_BOUNDS, count_field, field_bounds
from ._layers import declared_in
from ._load import LAYER_FILE, VOCABULARY_FILE, LoadedRule, Source
from ._rulefile import SignaalVoorwaarde, Voorwaarde, Woordenlijst
from ._select import selection_problems

#: The ids of grenzen's own reasons: a rule with one of them would read, in an advice, an audit record or an example's
#: expected rules, as the safety net or the fallback (a trial: a school mentor rule named like the safety net)
RESERVED_IDS = {SAFETY_GUARD.regel: SAFETY_GUARD.titel, FALLBACK.regel: FALLBACK.titel}


def validate(source: Source) -> list[Problem]:
    """Every cross-rule problem of a source that loaded its shapes cleanly."""
    problems: list[Problem] = []
    by_id: dict[str, LoadedRule] = {}
    for item in source.rules:
        first = by_id.get(item.rule.id)
        if item.rule.id in RESERVED_IDS:
            problems.append(_at(item, ("id",), f"de id '{item.rule.id}' is van grenzen zelf: zo heet de reden "
                                f"'{RESERVED_IDS[item.rule.id]}' in een advies",
                                "geef de regel een andere id (en ook in zet_opzij en voorbeelden die hem noemen)",
                                "gereserveerde-id"))
        if first is not None:
            problems.append(
                _at(item, ("id",), f"de id '{item.rule.id}' bestaat al ({first.file}:{first.line})",
                    _doubled_fix(item, first, source), "dubbele-id")
            )
        else:
            by_id[item.rule.id] = item
    walked = [list(walk(item.rule.als, ("als",))) for item in source.rules]  # each rule's blocks, walked once
    unused = _unused_kinds(source, walked)
    for item, blocks in zip(source.rules, walked, strict=True):
        problems.extend(_check_rule(item, source, blocks, unused))
    doubled = len(by_id) < len(source.rules)  # an id twice: a rule's own id may be what a zet_opzij misses
    problems.extend(_check_exceptions(source.rules, by_id, source.broken_ids, source.unread_rules or doubled))
    problems.extend(_check_negated_bounds(source.rules, walked))
    problems.extend(_check_counts(source.rules, walked))
    problems.extend(_check_consent(source))
    problems.extend(_check_safety_look_alikes(source))
    return problems


#: How alike two kinds' names must be (difflib's ratio) for ``naam-als-veiligheidssignaal``: 'zelfbeschadging' and
#: 'zelfbeschadiging' give 0.97; no two kinds of the default reach 0.8.
NAME_LIKENESS = 0.85


def _check_safety_look_alikes(source: Source) -> Iterator[Problem]:
    """``naam-als-veiligheidssignaal``: a kind without ``veiligheid: ja`` whose name is almost a safety kind's (a typo
    made into a kind), or whose label is a safety kind's label, perhaps with more after it ("Zelfbeschadiging
    (licht)"). Safety belongs to a class of signals: a lighter or misspelt form of a safety signal is one too, and
    without the flag no load-time check, guard or absolute rule sees it (a trial: light self-harm under a misspelt
    name stayed at the mentor). Refused at load, as the other safety checks are: ``advies`` never ran ``controleer``."""
    assert source.vocabulary is not None
    kinds = source.vocabulary.signalen
    safe = [(name, term.label, SequenceMatcher(None, "", name)) for name, term in kinds.items() if term.veiligheid]
    for name, term in kinds.items():
        if term.veiligheid or not safe or name in source.base_kinds:
            continue
        by_name = next((kind for kind, _, names in safe if _names_alike(names, name, kind)), None)
        alike = by_name or next((kind for kind, label, _ in safe if _lighter_label(term.label, label)), None)
        if alike is None:
            continue
        shown, line, column = declared_in(source.directory, (LAYER_FILE, VOCABULARY_FILE), ("signalen", name))
        typo = (f"is '{name}' een tikfout in een regel, verbeter de naam dan daar en haal deze soort weg. Anders: "
                if by_name is not None and abs(len(name) - len(by_name)) <= 2 else "")
        yield Problem(shown, line, column,
                      f"soort '{name}' ('{term.label}') heeft geen 'veiligheid: ja', maar lijkt op het "
                      f"veiligheidssignaal '{alike}' ('{kinds[alike].label}'). Zonder 'veiligheid: ja' kan deze soort "
                      "alleen bij de mentor blijven, en dan waarschuwt grenzen niet",
                      f"{typo}{'z' if typo else 'Z'}et 'veiligheid: ja' bij de soort: een lichtere vorm of een "
                      "vermoeden van een veiligheidssignaal is ook een veiligheidssignaal",
                      code="naam-als-veiligheidssignaal")


def _lighter_label(label: str, safe: str) -> bool:
    """Is ``label`` (of a kind without the flag) the safety label ``safe`` with a qualifier: the same words with
    something between brackets ("Suïcidale gedachten (licht)", "Seksuele uitbuiting (vermoeden)") or more after them
    ("Zelfbeschadiging licht")? Not the other way round: beside 'Agressie', a school's safety kind 'Agressie
    (ernstig)' is its heavier form (a review)."""
    bare, bare_safe = bare_label(label), bare_label(safe)
    if bare.startswith(bare_safe + " "):
        return True
    return bare == bare_safe and ("(" in label or "(" not in safe)


def _names_alike(matcher: SequenceMatcher[str], name: str, safe: str) -> bool:
    """Is ``name`` almost ``safe`` (the second sequence ``matcher`` holds)? Two names that both have numbers and differ
    only in them (``soort_001``, ``soort_005``) are numbered on purpose; ``zelfbeschadiging2`` beside
    ``zelfbeschadiging`` is not (a review). Not a name with a word more (the default's ``sexting_gelijkwaardig`` beside
    ``sexting`` is another thing): a lighter form is found by its label ("Zelfbeschadiging (licht)"). The cheap upper
    bounds first: a load compares every new kind with every safety kind."""
    if DIGITS.search(name) and DIGITS.search(safe) and DIGITS.sub("", name) == DIGITS.sub("", safe):
        return False
    matcher.set_seq1(name)
    return (matcher.real_quick_ratio() >= NAME_LIKENESS and matcher.quick_ratio() >= NAME_LIKENESS
            and matcher.ratio() >= NAME_LIKENESS)


#: The numbers in a name (names that differ only in them are numbered on purpose)
DIGITS = re.compile(r"\d+")


def bare_label(label: str) -> str:
    """A label in lower case without what stands between brackets: 'Zelfbeschadiging (licht)' -> 'zelfbeschadiging'."""
    return " ".join(re.sub(r"\(.*?\)", " ", label).casefold().split())


def _doubled_fix(item: LoadedRule, first: LoadedRule, source: Source) -> str:
    """The fix for an id used twice. When the first is in a layer below (the base's files are not the writer's): a new
    id for the writer's rule, and how to replace the base's rule instead (a trial read 'one of both')."""
    if not source.layers or Path(first.file).parent == Path(item.file).parent:
        return ("geef één van beide regels een andere id; houd de id bij de regel die zet_opzij en de voorbeelden "
                "bedoelen")
    if first.rule.absoluut:
        return f"geef uw regel een andere id (de regel '{item.rule.id}' van de basis is absoluut en blijft gelden)"
    return (f"geef uw regel een andere id; wilt u de regel van de basis vervangen, zet die dan opzij met "
            f"'zet_opzij: [{item.rule.id}]' bij uw regel")


def names_file(source: Source) -> str:
    """Where a policy writer adds a kind, task or training: an overlay's ``laag.yaml`` (a ``woordenlijst.yaml`` there
    would make the folder a whole policy), else ``woordenlijst.yaml``."""
    return LAYER_FILE if source.layers else VOCABULARY_FILE


def _at(item: LoadedRule, sub: tuple[Any, ...], message: str, fix: str, code: str) -> Problem:
    line, col = item.located.where(item.path + sub)
    return Problem(item.file, line, col, message, fix, item.rule.id, code)


def _unknown(item: LoadedRule, sub: tuple[Any, ...], what: str, name: str, known: dict[str, Any], file: str,
             unused: AbstractSet[str] = frozenset()) -> Problem:
    """An unknown name; ``unused``: the names of ``known`` that no rule names (a close one is likely misspelt where it
    is defined)."""
    hint = did_you_mean(name, known)
    near = closest(name, known) if hint else None
    if what == "regel":  # a rule id in zet_opzij: nothing to add anywhere, and a typo is the likely cause
        fix = (f"{hint} Anders: kies de id van een bestaande regel" if hint else
               "kies de id van een bestaande regel (zie 'id:' bij die regel)")
    elif near is not None and getattr(known[near], "veiligheid", False):
        # close to a safety kind: the typo first, and a kind added in its place gets the flag (a trial added the
        # misspelt 'zelfbeschadging' as the fix said, without 'veiligheid: ja': light self-harm stayed at the mentor)
        fix = (f"is het een tikfout? {hint} ('{near}' is een veiligheidssignaal). Is het echt een nieuwe soort, voeg "
               f"'{name}' dan toe aan {file}, met 'veiligheid: ja' als het over gevaar gaat")
        fix += _unused_hint(near, unused, file)
    elif hint:  # a typo here, or a name gone from where it is defined: following the hint makes the rule about another
        # thing (a safety rule about a divorce), so the fix says so, after the fix that keeps the rule as it is
        fix = f"voeg '{name}' toe aan {file}; of is het een tikfout: {hint} Let op: dan gaat de regel over iets anders"
        fix += _unused_hint(near, unused, file)
    elif not known:
        fix = f"voeg '{name}' toe aan {file}"
    elif len(known) <= 12:
        fix = "kies uit " + ", ".join(known) + f", of voeg '{name}' toe aan {file}"
    else:
        fix = f"voeg '{name}' toe aan {file} of kies een bestaande {what}"
    return _at(item, sub, f"onbekende {what} '{name}'", fix, "onbekende-naam")


def _unused_hint(near: str | None, unused: AbstractSet[str], file: str) -> str:
    """When no rule names the close name, it is likely misspelt where it is defined: 'belagin' in laag.yaml,
    'belaging' in the rules (a trial added 'belaging' as the fix said, and got a second kind without the flag)."""
    if near not in unused:
        return ""
    return (f". Maar geen regel noemt '{near}': staat de naam in {file} verkeerd, verbeter hem dan daar "
            "(en voeg niets toe)")


#: The condition blocks of one rule with their paths, as ``walk`` gives them.
Blocks = list[tuple[tuple[Any, ...], Voorwaarde]]


def _signals(blocks: Blocks) -> Iterator[tuple[SignaalVoorwaarde, bool]]:
    """The signal blocks among ``blocks`` with whether each is asked positively (under an even number of 'niet'):
    the pairs ``signals_with_polarity`` gives, in another order."""
    for path, cond in blocks:
        if cond.signaal is not None:
            yield cond.signaal, path.count("niet") % 2 == 0


def _unused_kinds(source: Source, walked: list[Blocks]) -> frozenset[str]:
    """The signal kinds of the vocabulary that no signal or counting block of a rule names."""
    if source.vocabulary is None:
        return frozenset()
    named = {kind for blocks in walked for _, cond in blocks for block in (cond.signaal, cond.aantal_signalen)
             if block is not None for key in ("soort", "behalve_soort") for kind in getattr(block, key) or ()}
    return frozenset(source.vocabulary.signalen).difference(named)


def _check_rule(item: LoadedRule, source: Source, blocks: Blocks, unused: AbstractSet[str] = frozenset(),
                ) -> Iterator[Problem]:
    """The problems of one rule (its condition ``blocks``): its conditions, its bounds under 'niet', and what its
    consequence names; ``unused``: the signal kinds no rule names."""
    for sub, cond in blocks:
        yield from _check_condition(item, source.vocabulary, sub, cond, names_file(source), unused)
    if any(not positive and _bounds(signal) > 1 for signal, positive in _signals(blocks)):
        yield _at(item, ("als",), "onder 'niet' mag een signaal hoogstens één grens hebben",
                  "splits de regel, of gebruik alleen ernst_minstens, ernst_hoogstens of duur_minstens_weken",
                  "niet-met-twee-grenzen")
    if source.agreements_unread:  # its own problems come first; nothing is known of what it holds
        return
    yield from _check_destinations(item, source)
    if item.rule.dan.toestemming and source.agreements.toestemming is None:
        yield _at(item, ("dan", "toestemming"), "toestemming is nodig, maar afspraken.yaml regelt niet wie die geeft",
                  "voeg 'toestemming:' met leeftijden toe aan afspraken.yaml", "toestemming-zonder-afspraken")


def _check_condition(item: LoadedRule, vocab: Woordenlijst | None, sub: tuple[Any, ...], cond: Voorwaarde,
                     names: str, unused: AbstractSet[str] = frozenset()) -> Iterator[Problem]:
    """One condition block: the terms it names (with a vocabulary; ``names``: the file to add a name to), its signal
    block and its age range."""
    if vocab is not None:
        yield from _check_terms(item, vocab, sub, cond, names)
    if cond.signaal is not None:
        yield from _check_signal(item, vocab, sub + ("signaal",), cond.signaal, names, unused)
    if cond.aantal_signalen is not None:
        yield from _check_signal(item, vocab, sub + ("aantal_signalen",), cond.aantal_signalen, names, unused)
    for name, span in (("leeftijd", cond.leeftijd), ("leerjaar", cond.leerjaar)):
        if span is not None and span.vanaf is not None and span.tot_en_met is not None and span.vanaf > span.tot_en_met:
            yield _at(item, sub + (name,), "vanaf is groter dan tot_en_met", "draai de grenzen om",
                      "grenzen-omgedraaid")


def _check_terms(item: LoadedRule, vocab: Woordenlijst, sub: tuple[Any, ...], cond: Voorwaarde,
                 names: str) -> Iterator[Problem]:
    """The tasks and trainings a condition block names are in the vocabulary."""
    for field, table, what in (
        ("taak", vocab.taken, "taak"),
        ("scholing", vocab.scholing, "scholing"),
    ):
        for i, name in enumerate(getattr(cond, field) or []):
            if name not in table:
                yield _unknown(item, sub + (field, i), what, name, table, names)


def _check_signal(item: LoadedRule, vocab: Woordenlijst | None, sub: tuple[Any, ...],
                  signal: SignaalVoorwaarde, names: str, unused: AbstractSet[str] = frozenset()) -> Iterator[Problem]:
    """A signal block (at ``sub``): its kinds and selectors (with a vocabulary), and its severity bounds."""
    if vocab is not None:
        yield from _check_signal_kinds(item, vocab, sub, signal, names, unused)
    low, high = signal.ernst_minstens, signal.ernst_hoogstens
    if low and high and SEVERITY_RANK[low] > SEVERITY_RANK[high]:
        yield _at(item, sub, f"ernst_minstens ({low}) is zwaarder dan ernst_hoogstens ({high})",
                  "draai de grenzen om", "grenzen-omgedraaid")


def _check_signal_kinds(item: LoadedRule, vocab: Woordenlijst, sub: tuple[Any, ...],
                        signal: SignaalVoorwaarde, names: str, unused: AbstractSet[str] = frozenset(),
                        ) -> Iterator[Problem]:
    """The kinds a signal block names are in the vocabulary, and its selectors select something."""
    for key in ("soort", "behalve_soort"):
        for i, name in enumerate(getattr(signal, key) or []):
            if name not in vocab.signalen:
                yield _unknown(item, sub + (key, i), "signaalsoort", name, vocab.signalen, names, unused)
    for where, message, fix in selection_problems(signal, vocab.signalen, names):
        yield _at(item, sub + where, message, fix, "onbekende-groep")


def _check_destinations(item: LoadedRule, source: Source) -> Iterator[Problem]:
    """With afspraken.yaml, every referral names one of its destinations."""
    if source.agreements_file is None:
        return
    destinations = source.agreements.bestemmingen
    for i, name in enumerate(item.rule.dan.verwijzen_naar):
        if name not in destinations:
            yield _unknown(item, ("dan", "verwijzen_naar", i), "bestemming", name, destinations, "afspraken.yaml")


def _check_negated_bounds(rules: list[LoadedRule], walked: list[Blocks]) -> Iterator[Problem]:
    """The compile limit that remains: each distinct bound of a signal under 'niet' is a field on every signal the
    engine sees (``_compile.bound_field``), and the engine allows 255 per signal. Reported at the rule that passes
    it. (The bounds ``negated_bounds`` finds, from the rules' ``walked`` blocks.)"""
    seen: set[tuple[int, int, int | None]] = set()
    for item, blocks in zip(rules, walked, strict=True):
        seen.update(field_bounds(_signals(blocks)))
        if len(seen) > MAX_NEGATED_BOUNDS:
            yield _at(item, ("als",), f"het beleid gebruikt onder 'niet' meer dan {MAX_NEGATED_BOUNDS} verschillende "
                      "grenzen bij signalen (ernst_minstens, ernst_hoogstens, duur_minstens_weken)",
                      "gebruik onder 'niet' minder verschillende grenzen, bijvoorbeeld een paar vaste aantallen weken "
                      "voor duur_minstens_weken", "te-veel-grenzen-onder-niet")
            return


def _check_counts(rules: list[LoadedRule], walked: list[Blocks]) -> Iterator[Problem]:
    """Each distinct counting block (``aantal_signalen`` without ``minstens``) is a number on every fact the engine
    sees, and a fact may have 255 fields. Reported at the rule that passes the limit. (Blocks are counted as
    written: a selector may resolve to the same kinds as another block, so this is an upper bound.)"""
    seen: set[str] = set()
    for item, blocks in zip(rules, walked, strict=True):
        seen.update(count_field(cond.aantal_signalen) for _, cond in blocks if cond.aantal_signalen is not None)
        if len(seen) > MAX_COUNTS:
            yield _at(item, ("als",), f"het beleid telt signalen op meer dan {MAX_COUNTS} verschillende manieren "
                      "(aantal_signalen)", "gebruik in aantal_signalen minder verschillende combinaties van soort, "
                      "groep, ernst en duur; 'minstens' mag wel steeds anders zijn", "te-veel-tellingen")
            return


def _check_consent(source: Source) -> Iterator[Problem]:
    """The consent table must give exactly one group for every age a case can have."""

    consent = source.agreements.toestemming
    located = source.agreements_located
    if consent is None or located is None or source.agreements_file is None:
        return
    groups: dict[int, list[int]] = {age: [] for age in range(MIN_AGE, MAX_AGE + 1)}
    for index, group in enumerate(consent.leeftijden):
        low = MIN_AGE if group.vanaf is None else group.vanaf
        high = MAX_AGE if group.tot_en_met is None else group.tot_en_met
        for age in range(max(low, MIN_AGE), min(high, MAX_AGE) + 1):
            groups[age].append(index)
    where = ("toestemming", "leeftijden")
    missing = [age for age, found in groups.items() if not found]
    if missing:
        line, column = located.where(where)
        yield Problem(source.agreements_file, line, column,
                      f"de leeftijden {_ranges(missing)} vallen in geen enkele groep van 'toestemming'",
                      f"geef elke leeftijd van {MIN_AGE} tot en met {MAX_AGE} precies één groep (met vanaf en "
                      "tot_en_met); 'onbekende_leeftijd' geldt alleen als de leeftijd niet bekend is",
                      code="leeftijd-zonder-groep")
    double = [age for age, found in groups.items() if len(found) > 1]
    if double:
        second = groups[double[0]][1]
        line, column = located.where(where + (second,))
        yield Problem(source.agreements_file, line, column,
                      f"de leeftijden {_ranges(double)} vallen in meer dan één groep van 'toestemming' "
                      f"(onder andere groep {groups[double[0]][0] + 1} en {second + 1})",
                      "laat de groepen niet overlappen: elke leeftijd hoort bij precies één groep",
                      code="leeftijd-in-twee-groepen")


def _ranges(ages: list[int]) -> str:
    """Sorted ages as Dutch ranges: '4 tot en met 11, 20'."""
    parts: list[str] = []
    start = previous = ages[0]
    following: list[int | None] = [*ages[1:], None]  # None closes the last range
    for age in following:
        if age is not None and age == previous + 1:
            previous = age
            continue
        parts.append(str(start) if start == previous else f"{start} tot en met {previous}")
        if age is not None:
            start = previous = age
    return ", ".join(parts)


def _bounds(signal: Any) -> int:
    return sum(x is not None for x in (signal.ernst_minstens, signal.ernst_hoogstens, signal.duur_minstens_weken))


def walk(cond: Voorwaarde, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Voorwaarde]]:
    """Every condition block inside ``cond`` with its path."""
    yield path, cond
    for key in ("alle", "een_van"):
        for i, child in enumerate(getattr(cond, key) or []):
            yield from walk(child, path + (key, i))
    if cond.niet is not None:
        yield from walk(cond.niet, path + ("niet",))


def _check_exceptions(rules: list[LoadedRule], by_id: dict[str, LoadedRule], broken: set[str],
                      unsure: bool = False) -> Iterator[Problem]:
    """Problems of ``zet_opzij``: itself, an unknown rule (not reported while the ids are ``unsure``, a theme file
    unread or an id doubled: it may be there, and "did you mean" would point at another rule), an absolute rule,
    cycles."""
    for item in rules:
        for i, target in enumerate(item.rule.zet_opzij):
            sub = ("zet_opzij", i)
            if target == item.rule.id:
                yield _at(item, sub, "een regel kan zichzelf niet opzij zetten", "haal deze id weg",
                          "zet-zichzelf-opzij")
            elif target in RESERVED_IDS:  # it pointed at an absolute safety rule with "bedoel je" (a trial)
                yield _at(item, sub, f"'{target}' is een reden van grenzen zelf ('{RESERVED_IDS[target]}'), geen "
                          "regel: die kan niet opzij gezet worden", f"haal '{target}' weg uit zet_opzij",
                          "gereserveerde-id")
            elif target in broken or (unsure and target not in by_id):
                continue  # that rule has its own problem already, or may be in a file that has one
            elif target not in by_id:  # never "did you mean" the rule itself: it cannot set itself aside
                others = {name: rule for name, rule in by_id.items() if name != item.rule.id}
                yield _unknown(item, sub, "regel", target, others, "een themabestand")
            elif by_id[target].rule.absoluut:
                yield _at(item, sub, f"regel '{target}' is absoluut (veiligheid) en kan niet opzij gezet worden",
                          f"haal '{target}' weg uit zet_opzij", "absolute-regel-opzij")
    yield from _cycles(rules, by_id)


def _cycles(rules: list[LoadedRule], by_id: dict[str, LoadedRule]) -> Iterator[Problem]:
    """Each cycle of exceptions once, found by a depth-first search with its own stack (no recursion:
    a chain of exceptions can be as long as the policy)."""
    graph = {r.rule.id: [t for t in r.rule.zet_opzij if t in by_id and t != r.rule.id] for r in rules}
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    reported: set[frozenset[str]] = set()
    for start in graph:
        if start in state:
            continue
        state[start] = 1
        path, todo = [start], [iter(graph[start])]
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:  # every successor of the last node on the path is done
                state[path.pop()] = 2
                todo.pop()
            elif state.get(nxt) == 1:
                cycle = path[path.index(nxt):]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    chain = " → ".join(cycle + [cycle[0]])
                    yield _at(by_id[cycle[0]], ("zet_opzij",), f"uitzonderingen vormen een kring: {chain}",
                              "laat één van deze regels de ander niet meer opzij zetten", "kring-van-uitzonderingen")
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                todo.append(iter(graph.get(nxt, ())))
