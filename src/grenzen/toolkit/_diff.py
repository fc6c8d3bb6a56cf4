"""``grenzen verschil``: what a new version of a policy changes, on the examples and on the enumerated domain."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import posixpath
import re
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .._errors import CaseError, GrenzenError, Problem
from .._models import SEVERITIES
from ..pipeline._layers import DEFAULT_BASE, MAX_LAYERS, _read_layer
from ..pipeline._load import MAX_FILE_BYTES, YAML_SUFFIXES, default_rules_dir, is_overlay, shown_path
from ..pipeline._policy import Policy, load_policy
from ..pipeline._rulefile import Regel, Toestemming
from ._analysis import advice_for, safety_kinds
from ._domain import Domain, Point, build_domain
from ._examples import read_examples
from ._factored import Factored
from ._render import age_group, describe_condition

FIELDS = ("route", "urgentie", "taak_hoort_bij_mentor")
#: The lists of steps compared step by step: a ``Change`` of one has the step that went (``old``) or came (``new``).
STEPS = ("mentor_doet", "mentor_doet_niet")
#: Caps on a policy read from a git revision, checked in the tar headers before any content is read; each YAML
#: file is also held to the loader's ``MAX_FILE_BYTES``. Other files are skipped unread.
MAX_REVISION_BYTES = 20_000_000  # all YAML files of the revision together
MAX_REVISION_FILES = 10_000  # YAML files, directories and links
GIT_TIMEOUT = 60  # seconds, for each git call
OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

#: The vocabulary key whose loss ``verschil`` reports as an error beside ``veiligheid``.
FAMILY = "familie_niet_benaderen"


@dataclass
class Change:
    """One kind of change (a field going from one value to another, or for ``STEPS`` one step that went or came: the
    other side None), counted, with one example case."""

    field: str
    old: Any
    new: Any
    cases: int = 0  # enumerated cases or examples
    weight: int = 0  # grid points (domain only)
    case: dict[str, Any] | None = None
    example: str | None = None  # name and place of the first example that shows it


@dataclass
class Difference:
    """One change in what a policy says: a kind of the vocabulary, a destination, the consent table or a rule text.

    ``part`` is where it stands: ``signalen``, ``taken`` or ``scholing`` (the vocabulary), ``bestemmingen``,
    ``toestemming`` (the consent table) or ``regels``. ``name`` is the kind, the destination key, the age group of
    the consent table (``leeftijd onbekend`` for its last row, empty for its ``bron``) or the rule id. ``field`` is
    the key that changed, empty when the whole item was added or removed. ``old`` and ``new`` are its values:
    ``None`` when it is not there, for a whole kind or destination its fields as a dict, for a rule's ``als`` the
    condition in words. ``error`` marks a change that makes the policy less safe: a signal kind with
    ``veiligheid: ja`` removed, or a kind that lost that flag.
    """

    part: str
    name: str
    field: str
    old: Any
    new: Any
    error: bool = False


@dataclass
class Reach:
    """Where a rule that the new version adds or changes holds in the enumerated domain (``cases``), where it stays
    in the advice (``kept``, not set aside), by which rules it is set aside (``by``: rule id, or the safety guard's,
    with the number of situations), and, for a rule with route mentor that is not absolute (``mentor``), in how many
    of its situations a safety signal is present (``in_danger``): there the safety rules set it aside (a trial: a
    rule that left a safety signal at the mentor changed no advice, so ``verschil`` said nothing of it)."""

    rule: str
    mentor: bool
    cases: int = 0
    kept: int = 0
    in_danger: int = 0
    by: dict[str, int] = field(default_factory=dict)


@dataclass
class NewKind:
    """How the new version advises a case with only a signal of a kind the old version does not know (``verschil``
    compares no situation with it: a trial's new safety kinds got only "Niet vergeleken"): per severity, each outcome
    as (route, urgency), such as ("zorgteam", "vandaag"), with the number of tasks that get it."""

    name: str
    label: str
    safety: bool
    outcomes: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)


@dataclass
class Comparison:
    """The result of ``compare_policies``.

    Besides the outcomes on the examples and the domain (``examples``, ``domain``, with their counts) it lists
    what the text of the policy changes, each as ``Difference``: ``vocabulary`` (kinds, tasks and trainings added,
    removed or changed; a safety kind removed or a lost ``veiligheid: ja`` has ``error`` set), ``agreements``
    (destinations, then the consent table) and ``rule_texts`` (per rule in ``rules_changed``, each changed key:
    title, source, condition, route, urgency, what the mentor does and does not, referrals, explanation, ...).
    ``safety_lost`` names the safety kinds the new version no longer protects.
    """

    old: Policy
    new: Policy
    vocabulary: list[Difference] = field(default_factory=list)
    agreements: list[Difference] = field(default_factory=list)
    rule_texts: list[Difference] = field(default_factory=list)
    examples: list[Change] = field(default_factory=list)
    domain: list[Change] = field(default_factory=list)
    examples_run: int = 0
    examples_changed: int = 0
    examples_skipped: int = 0  # cases one of the versions cannot read (e.g. a kind it does not know)
    #: the example files (or examples) that do not read, as located problems: they were left out without a word
    examples_unread: list[Problem] = field(default_factory=list)
    domain_cases: int = 0
    domain_changed: int = 0
    #: the kinds, tasks and trainings only one version has: the domain leaves out the situations with them
    not_compared: list[str] = field(default_factory=list)
    rules_added: list[str] = field(default_factory=list)
    rules_removed: list[str] = field(default_factory=list)
    rules_changed: list[str] = field(default_factory=list)
    #: per rule added or changed, in the new version's order: where it holds and stays in the domain
    reach: list[Reach] = field(default_factory=list)
    #: per signal kind only the new version has: its advice alone, per severity and task
    new_kinds: list[NewKind] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def safety_lost(self) -> list[str]:
        """Signal kinds with ``veiligheid: ja`` in the old version that the new one removed or no longer marks."""
        return [d.name for d in self.vocabulary if d.error and d.field != FAMILY]

    @property
    def family_lost(self) -> list[str]:
        """Signal kinds the new version no longer marks ``familie_niet_benaderen: ja`` (still safety kinds)."""
        return [d.name for d in self.vocabulary if d.error and d.field == FAMILY]


def load_version(spec: str | Path | Policy, stack: contextlib.ExitStack) -> Policy:
    """A policy from a directory, from a git revision written as ``REV:PATH`` (e.g. ``HEAD~1:rules``), or the
    bundled default policy for the text ``standaard`` (as in an overlay's ``basis``; a folder of that name is
    ``./standaard``).

    A revision is extracted into a temporary directory that lives as long as ``stack``: the comparison reads
    that version's examples from it after loading. Git never sees an option from ``spec`` and never uses the
    network; the extraction is checked member by member, from the tar headers, before anything is read.
    """
    if isinstance(spec, Policy):
        return spec
    if isinstance(spec, str) and spec == DEFAULT_BASE:  # the bundled policy; a folder of that name is ./standaard
        return load_policy(default_rules_dir())
    path = Path(spec)
    if path.is_dir() or ":" not in str(spec):
        return load_policy(path)
    root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="grenzen-")))
    rev, folder = _split(str(spec))
    folder = posixpath.normpath(folder or ".")
    _extract(str(spec), _tree(str(spec)), root / folder)
    _extract_bases(str(spec), rev, folder, root)
    return load_policy(root / folder)


def _extract_bases(spec: str, rev: str, folder: str, root: Path) -> None:
    """A school overlay's ``basis`` (a folder beside it) is read from the same revision, never from outside it."""
    for _ in range(MAX_LAYERS):
        if not is_overlay(root / folder):
            return
        read = _read_layer(root / folder, [])
        if read is None or read[0].basis == DEFAULT_BASE:
            return  # a broken laag.yaml is reported by load_policy, with its location
        folder = posixpath.normpath(posixpath.join(folder, read[0].basis))
        if posixpath.isabs(read[0].basis) or folder == ".." or folder.startswith("../"):
            raise GrenzenError(f"De basis '{read[0].basis}' van een schoollaag in git-versie '{spec}' ligt buiten "
                               "die versie; grenzen leest alleen mappen uit dezelfde versie.")
        if not (root / folder).exists():
            _extract(f"{rev}:{folder}", _tree(f"{rev}:{folder}"), root / folder)


def _split(spec: str) -> tuple[str, str]:
    """``REV:PATH`` at the first colon outside ``@{...}`` (a reflog date may hold colons)."""
    depth = 0
    for index, char in enumerate(spec):
        if char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == ":" and not depth:
            return spec[:index], spec[index + 1:]
    return spec, ""


def _git(*args: str) -> subprocess.Popen[bytes]:
    """Git, local only: every transport refused, no prompts, no lazy fetch of missing objects."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_NO_LAZY_FETCH": "1"}
    try:
        return subprocess.Popen(["git", "-c", "protocol.allow=never", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    except OSError:
        raise GrenzenError("Kan git niet starten om een git-versie te lezen.") from None


def _ask(*args: str) -> str | None:
    """The output of a short git query, or None if git says no."""
    process = _git(*args)
    try:
        out, _ = process.communicate(timeout=GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise GrenzenError(f"Git gaf na {GIT_TIMEOUT} seconden geen antwoord.") from None
    return out.decode("utf-8", "replace").strip() if process.returncode == 0 else None


def _tree(spec: str) -> str:
    """The object id of the directory ``spec`` names; its revision must be a commit."""
    rev, folder = _split(spec)
    if not rev:
        raise GrenzenError(f"Geef bij '{spec}' een git-revisie. Schrijf REVISIE:MAP, bijvoorbeeld HEAD~1:rules.")
    if rev.startswith("-") or folder.startswith("-"):
        raise GrenzenError(f"Een git-revisie of map mag niet met '-' beginnen ('{spec}'). "
                           "Schrijf REVISIE:MAP, bijvoorbeeld HEAD~1:rules.")
    commit = _ask("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if commit is None or not OBJECT_ID.fullmatch(commit):
        raise GrenzenError(f"Git kent de versie '{spec}' niet (of dit is geen git-repository). "
                           "Schrijf REVISIE:MAP, bijvoorbeeld HEAD~1:rules.")
    tree = _ask("rev-parse", "--verify", "--quiet", "--end-of-options", f"{commit}:{folder}")
    if tree is None or not OBJECT_ID.fullmatch(tree) or _ask("cat-file", "-t", tree) != "tree":
        raise GrenzenError(f"In git-revisie '{rev}' is '{folder}' geen map. Schrijf REVISIE:MAP met de map van de "
                           "regels, bijvoorbeeld HEAD~1:rules.")
    return tree


def _extract(spec: str, tree: str, target: Path) -> None:
    """Extract the YAML files of ``tree`` (and its directories and inner links) into ``target``, within the caps."""
    # git streams a blob above bigFileThreshold instead of loading it whole; we stop at its header
    process = _git("-c", f"core.bigFileThreshold={MAX_FILE_BYTES}", "archive", "--format=tar", tree)
    timer = threading.Timer(GIT_TIMEOUT, process.kill)
    timer.start()
    try:
        assert process.stdout is not None
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            files = total = 0
            for member in archive:
                _check_place(spec, member, target)
                if member.isreg() and not member.name.endswith(YAML_SUFFIXES):
                    continue  # never read by the loader
                files += 1
                if files > MAX_REVISION_FILES:
                    raise GrenzenError(f"Git-versie '{spec}' bevat te veel bestanden (meer dan {MAX_REVISION_FILES}); "
                                       "grenzen leest deze versie niet.")
                if member.size > MAX_FILE_BYTES:
                    raise GrenzenError(f"Het bestand '{member.name}' in git-versie '{spec}' is te groot (meer dan "
                                       f"{_megabytes(MAX_FILE_BYTES)}); grenzen leest het niet.")
                total += member.size
                if total > MAX_REVISION_BYTES:
                    raise GrenzenError(f"De regelbestanden in git-versie '{spec}' zijn samen te groot (meer dan "
                                       f"{_megabytes(MAX_REVISION_BYTES)}); grenzen leest deze versie niet.")
                archive.extract(member, target, filter="data")
            while process.stdout.read(65536):
                pass  # the archive's padding: let git finish
        if process.wait() != 0:
            raise tarfile.ReadError
    except (tarfile.TarError, EOFError):
        raise GrenzenError(f"Git gaf geen leesbare versie '{spec}'.") from None
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
        process.stdout.close()  # type: ignore[union-attr]  # stdout=PIPE, never None (asserted in the try)
        process.wait()


def _check_place(spec: str, member: tarfile.TarInfo, target: Path) -> None:
    """Refuse a member whose name or link leaves the extraction, and anything but files, directories and links."""
    name = PurePosixPath(member.name)
    escapes = name.is_absolute() or ".." in name.parts  # git never writes these; tarfile would strip a leading /
    try:
        tarfile.data_filter(member, str(target))
    except (tarfile.OutsideDestinationError, tarfile.AbsolutePathError, tarfile.AbsoluteLinkError,
            tarfile.LinkOutsideDestinationError):
        escapes = True
    except tarfile.FilterError:
        raise GrenzenError(f"Git-versie '{spec}' bevat '{member.name}', dat geen gewoon bestand, map of link is; "
                           "grenzen leest deze versie niet.") from None
    if escapes:
        raise GrenzenError(f"Git-versie '{spec}' bevat '{member.name}', dat naar een plek buiten de versie wijst "
                           "(een link of pad buiten de map); grenzen leest deze versie niet.")


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:g} MB".replace(".", ",")


def compare_policies(old: str | Path | Policy, new: str | Path | Policy, pairs: bool = True) -> Comparison:
    """Compare two versions of a policy on every example of both and on their common enumerated domain."""
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:  # extracted git revisions stay until their examples have run
        before, after = load_version(old, stack), load_version(new, stack)
        result = Comparison(before, after)
        _rules_diff(result)
        compare_texts(result)
        _examples(result)
    kinds, tasks, trainings = (
        [k for k in getattr(after.vocabulary, table) if k in getattr(before.vocabulary, table)]
        for table in ("signalen", "taken", "scholing")
    )
    for table in ("signalen", "taken", "scholing"):  # a new kind's situations are not compared: say so (a trial)
        was, now = getattr(before.vocabulary, table), getattr(after.vocabulary, table)
        result.not_compared += [f"{name} (nieuw)" for name in now if name not in was]
        result.not_compared += [f"{name} (weg)" for name in was if name not in now]
    domain = build_domain([before.resolved_rules, after.resolved_rules], kinds, tasks, trainings,
                          safety=safety_kinds(before) | safety_kinds(after))
    groups: dict[tuple[str, Any, Any], Change] = {}
    outcomes_old: dict[Any, tuple[Any, ...]] = {}
    outcomes_new: dict[Any, tuple[Any, ...]] = {}
    new_or_changed = {*result.rules_added, *result.rules_changed}
    watched = {i: Reach(rule.id, rule.dan.route == "mentor" and not rule.absoluut)
               for i, rule in enumerate(after.rules) if rule.id in new_or_changed}
    kept_new: dict[Any, tuple[frozenset[str], dict[str, str]]] = {}
    for point, cases, applicable_old, applicable_new in _classes(before, after, domain, pairs):
        result.domain_cases += cases
        if watched and not watched.keys().isdisjoint(applicable_new):
            _reach(after, point, applicable_new, cases, watched, kept_new)
        changed = False
        for name, was, now in _changes(_outcome(before, point, applicable_old, outcomes_old),
                                       _outcome(after, point, applicable_new, outcomes_new)):
            changed = True
            change = groups.setdefault((name, was, now), Change(name, was, now, case=point.case))
            change.cases += cases
            change.weight += point.weight
        result.domain_changed += cases if changed else 0
    result.domain = _ordered(groups)
    result.reach = list(watched.values())
    result.new_kinds = [_new_kind(after, kind) for kind in after.vocabulary.signalen
                        if kind not in before.vocabulary.signalen]
    result.seconds = time.perf_counter() - started
    return result


def _new_kind(policy: Policy, kind: str) -> NewKind:
    """``NewKind``: a case with only a signal of ``kind``, at each severity, with each task (no training, no age)."""
    term = policy.vocabulary.signalen[kind]
    found = NewKind(kind, term.label, term.veiligheid)
    for severity in SEVERITIES:
        counts = found.outcomes.setdefault(severity, {})
        for task in policy.vocabulary.taken:
            advice = policy.advise({"taak": task, "signalen": [{"soort": kind, "ernst": severity}]})
            counts[advice.route, advice.urgentie] = counts.get((advice.route, advice.urgentie), 0) + 1
    return found


def _reach(policy: Policy, point: Point, applicable: tuple[int, ...], cases: int, watched: dict[int, Reach],
           cache: dict[Any, tuple[frozenset[str], dict[str, str]]]) -> None:
    """Count a class of ``cases`` situations in the ``Reach`` of each watched rule that holds there: whether the
    advice (the policy's own, safety guard included) keeps it or sets it aside, and by what."""
    key = (applicable, point.safety)
    found = cache.get(key)
    if found is None:
        advice = advice_for(policy, applicable, point)
        found = cache[key] = (frozenset(r.regel for r in advice.redenen), {a.regel: a.door for a in advice.opzij_gezet})
    kept, aside = found
    for index in applicable:
        reach = watched.get(index)
        if reach is None:
            continue
        reach.cases += cases
        reach.in_danger += cases if reach.mentor and point.safety else 0
        if reach.rule in kept:
            reach.kept += cases
        elif reach.rule in aside:
            reach.by[aside[reach.rule]] = reach.by.get(aside[reach.rule], 0) + cases


def _classes(before: Policy, after: Policy, domain: Domain, pairs: bool,
             ) -> Iterator[tuple[Point, int, tuple[int, ...], tuple[int, ...]]]:
    """The enumerated cases in classes by the rules each version finds and whether a safety signal is present (all
    that decides an outcome, ``_outcome``): per class its first case with the whole class's weight, its number of
    cases and both versions' rules, in the order of the first cases. Each version's groups of rules are asked once
    per class of what they read (``Factored.split``, as ``controleer`` does); asking per case took 15 s on an overlay
    (a trial), against well under a second for ``controleer``."""
    old, new = Factored(before), Factored(after)
    classes: dict[tuple[Any, ...], list[Any]] = {}  # -> [block, position of the first case, cases, weight]
    for block in domain.case_blocks(pairs):
        fixed_old, side_old = old.split(block)
        fixed_new, side_new = new.split(block)
        signals, base = block.signals, block.context.weight
        for position, found_old, found_new, guard, weight in zip(itertools.count(), side_old, side_new, signals.guards,
                                                                 signals.weights):
            key = (fixed_old, found_old, fixed_new, found_new, guard is not None)
            entry = classes.get(key)
            if entry is None:
                classes[key] = [block, position, 1, base * weight]
            else:
                entry[2] += 1
                entry[3] += base * weight
    for (fixed_old, found_old, fixed_new, found_new, _), (block, position, cases, weight) in classes.items():
        yield (Point(block.context, block.signals.cases[position], weight), cases, tuple(sorted(fixed_old + found_old)),
               tuple(sorted(fixed_new + found_new)))


def _outcome(policy: Policy, point: Point, applicable: tuple[int, ...], cache: dict[Any, tuple[Any, ...]],
             ) -> tuple[Any, ...]:
    """Route, urgency, task verdict and the steps (``_compared``), as the policy's own combiner gives them (safety
    guard included)."""
    key = (applicable, point.safety)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _compared(advice_for(policy, applicable, point))
    return found


def _compared(advice: Any) -> tuple[Any, ...]:
    """What ``verschil`` compares of an advice: ``FIELDS``, then each of ``STEPS`` as a tuple."""
    return (*(getattr(advice, name) for name in FIELDS), *(tuple(getattr(advice, name)) for name in STEPS))


def _changes(was: tuple[Any, ...], now: tuple[Any, ...]) -> Iterator[tuple[str, Any, Any]]:
    """(field, old, new) for each field of ``FIELDS`` that differs, then per list of ``STEPS`` each step that went
    (new None) and each that came (old None), in the order of the lists."""
    for name, old, new in zip(FIELDS, was[:len(FIELDS)], now[:len(FIELDS)], strict=True):
        if old != new:
            yield name, old, new
    for name, old_steps, new_steps in zip(STEPS, was[len(FIELDS):], now[len(FIELDS):], strict=True):
        yield from ((name, step, None) for step in old_steps if step not in new_steps)
        yield from ((name, None, step) for step in new_steps if step not in old_steps)


def _rules_diff(result: Comparison) -> None:
    old = {r.id: r.model_dump_json() for r in result.old.rules}
    new = {r.id: r.model_dump_json() for r in result.new.rules}
    result.rules_added = [r for r in new if r not in old]
    result.rules_removed = [r for r in old if r not in new]
    result.rules_changed = [r for r in new if r in old and old[r] != new[r]]


#: The vocabulary tables, and what one item of each is called in a message.
TABLES = ("signalen", "taken", "scholing")
#: A rule's keys in the order ``verschil`` shows their changes (``dan``'s keys stand for themselves).
RULE_KEYS = ("titel", "bron", "absoluut", "als", "route", "urgentie", "taak_hoort_bij_mentor", "mentor_doet",
             "mentor_doet_niet", "verwijzen_naar", "toestemming", "uitleg", "zet_opzij")


def compare_texts(result: Comparison) -> None:
    """Fill in what the text of the policy changes: vocabulary, agreements and the changed rules' keys."""
    old, new = result.old, result.new
    for table in TABLES:
        before, after = getattr(old.vocabulary, table), getattr(new.vocabulary, table)
        for name, term in before.items():
            if name not in after:
                result.vocabulary.append(Difference(table, name, "", term.model_dump(), None,
                                                    error=bool(getattr(term, "veiligheid", False))))
        for name, term in after.items():
            if name not in before:
                result.vocabulary.append(Difference(table, name, "", None, term.model_dump()))
                continue
            was = before[name].model_dump()
            for key, value in term.model_dump().items():
                if was.get(key) != value:
                    lost = key in ("veiligheid", FAMILY) and bool(was.get(key)) and not value
                    result.vocabulary.append(Difference(table, name, key, was.get(key), value, error=lost))
    result.vocabulary.sort(key=lambda d: (not d.error, TABLES.index(d.part)))  # stable: policy order within
    result.agreements = _items("bestemmingen", old.agreements.bestemmingen, new.agreements.bestemmingen)
    result.agreements += _consent(old.agreements.toestemming, new.agreements.toestemming)
    rules = {rule.id: rule for rule in old.rules}
    for rule in new.rules:
        if rule.id in result.rules_changed:
            result.rule_texts += _rule_texts(old, rules[rule.id], new, rule)


def _items(part: str, before: dict[str, Any], after: dict[str, Any]) -> list[Difference]:
    """Items (by key) added, removed, and changed key by key."""
    out = [Difference(part, name, "", item.model_dump(), None) for name, item in before.items() if name not in after]
    for name, item in after.items():
        if name not in before:
            out.append(Difference(part, name, "", None, item.model_dump()))
            continue
        was = before[name].model_dump()
        out += [Difference(part, name, key, was.get(key), value) for key, value in item.model_dump().items()
                if was.get(key) != value]
    return out


def _consent(before: Toestemming | None, after: Toestemming | None) -> list[Difference]:
    """The consent table row by row (an age group is a row), then its row for an unknown age and its source."""
    def rows(table: Toestemming | None) -> dict[str, str]:
        if table is None:
            return {}
        groups = {age_group(g.vanaf, g.tot_en_met): g.wie for g in table.leeftijden}
        return {**groups, "leeftijd onbekend": table.onbekende_leeftijd}

    was, now = rows(before), rows(after)
    out = [Difference("toestemming", age, "wie", who, now.get(age)) for age, who in was.items()
           if now.get(age) != who]
    out += [Difference("toestemming", age, "wie", None, who) for age, who in now.items() if age not in was]
    old_source, new_source = (before.bron if before else None), (after.bron if after else None)
    if old_source != new_source:
        out.append(Difference("toestemming", "", "bron", old_source, new_source))
    return out


def _rule_texts(old: Policy, before: Regel, new: Policy, after: Regel) -> list[Difference]:
    """The keys of one rule that changed; a condition is compared as data and shown in words."""
    was = {**before.model_dump(exclude={"dan"}), **before.dan.model_dump()}
    now = {**after.model_dump(exclude={"dan"}), **after.dan.model_dump()}
    out = []
    for key in [*RULE_KEYS, *(k for k in now if k not in RULE_KEYS and k != "id")]:
        if was.get(key) == now.get(key):
            continue
        if key == "als":
            words = describe_condition(old, before.als), describe_condition(new, after.als)
            if words[0] == words[1]:  # a difference the words do not show: show the condition as written
                words = (before.als.model_dump_json(exclude_none=True), after.als.model_dump_json(exclude_none=True))
            out.append(Difference("regels", after.id, key, *words))
        else:
            out.append(Difference("regels", after.id, key, was.get(key), now.get(key)))
    return out


def _examples(result: Comparison) -> None:
    seen: set[str] = set()
    groups: dict[tuple[str, Any, Any], Change] = {}
    for policy in (result.new, result.old):
        for examples in read_examples(policy.path, result.examples_unread):
            for index, example in examples.voorbeelden:
                key = json.dumps(example.casus, sort_keys=True, default=str)
                if key in seen:
                    continue
                seen.add(key)
                try:
                    was, now = result.old.advise(example.casus), result.new.advise(example.casus)
                except CaseError:
                    result.examples_skipped += 1
                    continue
                result.examples_run += 1
                changed = False
                for name, old, new in _changes(_compared(was), _compared(now)):
                    changed = True
                    change = groups.setdefault((name, old, new), Change(
                        name, old, new, case=example.casus,
                        example=f"'{example.naam}' ({shown_path(examples.path)}:{examples.line(index)})"))
                    change.cases += 1
                result.examples_changed += changed
    result.examples = _ordered(groups)


def _ordered(groups: dict[tuple[str, Any, Any], Change]) -> list[Change]:
    order = (*FIELDS, *STEPS)
    return sorted(groups.values(), key=lambda c: (order.index(c.field), -c.cases, str(c.old), str(c.new)))
