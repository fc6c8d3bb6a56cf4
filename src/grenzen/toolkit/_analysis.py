"""Static analysis of a policy over its finite domain (``grenzen controleer``).

Every enumerated case (see ``_domain``) is put to the engine (``Policy.applicable``), and what fired is combined
by the policy's own combiner (``_combine.Combiner``, safety guard included), exactly as ``Policy.advise`` does.
Findings:

=========================  ============  ==========================================================
kind                       level         meaning
=========================  ============  ==========================================================
``veiligheid-bij-mentor``  fout          a safety signal that the rules leave at the mentor (or do not
                                         cover): only the run-time safety guard refers the case
``veiligheid-niet-vandaag``  fout        an absolute rule refers a safety signal with an urgency below ``vandaag``
                                         (the guard's; it takes any other referral: ``veiligheid-niet-absoluut``)
``nooit-van-toepassing``   fout          no case in the domain makes the rule apply
``tegenstrijdig``          fout          one advice tells the mentor to do and not to do the same
``overschaduwd``           waarschuwing  the rule applies, but removing it never changes an advice
``uitzondering-zonder-effect``  waarschuwing  ``zet_opzij`` names a rule it never sets aside
``minder-veiligheidssignalen``  waarschuwing  a copy of the bundled default lost safety kinds: a kind there
                                         without ``veiligheid: ja``, or (when most of its kinds are there)
                                         a safety kind it dropped
``groep-verschrijving``   waarschuwing  a kind's ``groep`` is named by no other kind and no rule, and is close to
                                         a group that is (a typo leaves the kind out of ``groep:`` selections)
``familie-benaderd``       fout          in a case with a signal of a kind marked ``familie_niet_benaderen: ja``, a rule
                                         that stays sends the mentor to the parents or the family, or has consent
                                         asked (a trial: "Nodig de ouders uit" beside "Neem geen contact op met de
                                         ouders of de familie")
``bestemming-verschrijving``
                           waarschuwing  a destination in afspraken.yaml that no rule names, close to one that a rule
                                         does (a school's typo in its overlay made a new destination, unused)
``veiligheidsgroep``       waarschuwing  a kind without ``veiligheid: ja`` in a group whose other kinds mostly have it
                                         (a school's own kind that lost or never got the flag: safety is a property
                                         of a class of signals, and its group says which class)
``conflict``               waarschuwing  one rule says the task belongs to the mentor, another that it
                                         does not, and neither is an exception to the other (in an overlay:
                                         one finding per rule of the writer, the other side's rules counted)
``veiligheid-niet-absoluut``
                           waarschuwing  the rules refer a safety kind, but no absolute referral takes it: the safety
                                         guard then gives the advice (at least today, mentor rules set aside)
``veiligheid-vast-bij-mentor``
                           fout          an absolute rule with route mentor asks for a safety signal (not under
                                         ``niet``): nothing sets it aside, not an absolute referral, not the guard, so
                                         its steps (and its verdict) stay in danger
``lijkt-veiligheidssignaal``
                           waarschuwing  a kind without ``veiligheid: ja`` that an absolute rule refers away today or
                                         at once (a trial's removed flag dropped 112 and 'direct' unseen)
``lijkt-op-gevaar-zonder-reden``
                           waarschuwing  a kind the bundled default does not have, without ``veiligheid: ja``, whose
                                         name or label holds a word of a safety kind's texts that no ordinary kind of
                                         the default uses (a trial renamed 'Suïcidale gedachten (licht)' to
                                         'doodsgedachten' and it passed --streng); ``lijkt-op-gevaar`` (let op) with a
                                         ``# geen gevaar: <reden>`` comment above the kind
``zelfde-label``           waarschuwing  a kind a school overlay adds has another kind's label: mentors see it twice
``niet-gedekt``            waarschuwing  no rule applies: the advice is the fallback
``bron-invullen``          waarschuwing  a rule of the writer still has the source of ``grenzen nieuw``'s example rule
                                         (a trial: "zet hier waar de afspraak staat" reached the MR's document)
``lange-zin``              waarschuwing  a text a mentor reads has a sentence of more than 20 words
``moeilijk-woord``         waarschuwing  ... uses a word of a short jargon list (the message gives a plainer one)
``lage-leesscore``         waarschuwing  ... of 20 words or more has a Flesch-Douma score below 60
``stap-in-stukken``        waarschuwing  a step starts with a small letter: broken off at a comma of a list between
                                         [ ] (all four: ``_readability``; a ``# leesbaarheid: <reden>`` comment
                                         justifies a text)
``lijkt-op-soort``         let op        a kind a school overlay adds shares a telling word (7 letters or more) with
                                         another kind's name or label: two kinds for one thing give two advices (a
                                         trial's 'loverboy_mensenhandel' beside 'Seksuele uitbuiting (loverboys,
                                         mensenhandel)')
``mentor-bij-gevaar``      let op        an absolute rule keeps the task or its steps at the mentor in a case that
                                         an absolute rule refers away (see below), with a reason
                                         (``# ook bij gevaar: <reden>`` above its ``absoluut:``, ``IN_DANGER``)
``mentor-bij-gevaar-zonder-reden``
                           waarschuwing  the same without a reason (a trial's absolute "Voer de gesprekken zelf, ook
                                         over zware onderwerpen" stood beside an acute suicide plan)
=========================  ============  ==========================================================

``mentor-bij-gevaar`` (let op) lists every situation in which an absolute rule refers the case away from the mentor
while the advice still says the task is the mentor's or keeps a mentor-route rule's steps (issue 10, point 3). The
combiner sets aside every non-absolute mentor-route rule next to such a rule and lets only absolute rules decide
the verdict (``_combine.effective``), so what remains is asked for by an absolute rule: signalling or first aid
that stays the mentor's even in danger. One finding per task and rule, with the count and a counterexample; a
warning (``mentor-bij-gevaar-zonder-reden``) until the policy says why beside the rule.
"""

from __future__ import annotations

import functools
import itertools
import re
import time
import types
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._collector import collector_paused
from .._models import ROUTE_RANK, URGENCY_RANK, Advies
from .._translate import did_you_mean
from ..pipeline._combine import FALLBACK, SAFETY_GUARD, SAFETY_URGENCY, effective, refers_away
from ..pipeline._compile import signals_with_polarity
from ..pipeline._layers import _label as _layer_label
from ..pipeline._layers import declared_file, declared_in, layer_chain
from ..pipeline._load import (
    AGREEMENTS_FILE,
    LAYER_FILE,
    VOCABULARY_FILE,
    LoadedRule,
    default_rules_dir,
    is_overlay,
    parse_model,
    read_located,
    shown_path,
)
from ..pipeline._policy import Policy
from ..pipeline._rulefile import Regel, Woordenlijst, signal_blocks
from ..pipeline._safety import always_set_aside
from ..pipeline._validate import DIGITS as _DIGITS
from ..pipeline._validate import walk
from ._comments import NO_DANGER, comment_reason, danger_reason, lines_of
from ._domain import Block, Domain, Point, Signals, build_domain
from ._factored import Factored
from ._outcome import Outcomes
from ._readability import KINDS as PLAIN_LANGUAGE
from ._readability import Readability, Text, check_rules
from ._yaml_out import example_yaml, indent

ERROR, WARNING, NOTE = "fout", "waarschuwing", "let op"
LEVELS = {
    "veiligheid-bij-mentor": ERROR,
    "veiligheid-niet-vandaag": ERROR,
    "veiligheid-vast-bij-mentor": ERROR,
    "nooit-van-toepassing": ERROR,
    "tegenstrijdig": ERROR,
    "familie-benaderd": ERROR,
    "overschaduwd": WARNING,
    "uitzondering-zonder-effect": WARNING,
    "minder-veiligheidssignalen": WARNING,
    "groep-verschrijving": WARNING,
    "bestemming-verschrijving": WARNING,
    "veiligheidsgroep": WARNING,
    "conflict": WARNING,
    "veiligheid-niet-absoluut": WARNING,
    "niet-gedekt": WARNING,
    "bron-invullen": WARNING,
    **dict.fromkeys(PLAIN_LANGUAGE, WARNING),
    "lijkt-veiligheidssignaal": WARNING,
    "mentor-bij-gevaar-zonder-reden": WARNING,
    "mentor-bij-gevaar": NOTE,
    "lijkt-op-soort": NOTE,
    "lijkt-op-gevaar-zonder-reden": WARNING,
    "zelfde-label": WARNING,
    "lijkt-op-gevaar": NOTE,
}


@dataclass
class Finding:
    """One finding, located at a rule (or the policy directory), with a case that shows it."""

    kind: str
    message: str
    file: str
    line: int
    column: int = 1
    rule: str | None = None
    case: dict[str, Any] | None = None
    expected: dict[str, Any] | None = None  # the advice the case gets now
    count: int = 0  # grid points concerned (0: not counted)

    @property
    def level(self) -> str:
        return LEVELS[self.kind]

    def __str__(self) -> str:
        rule = f" regel '{self.rule}':" if self.rule else ""
        head = f"{self.file}:{self.line}:{self.column}: {self.level} [{self.kind}]{rule} {self.message}"
        if self.case is None:
            return head
        example = example_yaml(f"controleer: {self.kind}" + (f" {self.rule}" if self.rule else ""), self.case,
                               self.expected or {})
        # indented as under 'voorbeelden:' in a file of voorbeelden/, so that it can be pasted as it stands (it was
        # indented further, and pasted under an example it made the file unreadable: a trial)
        return head + "\n    Tegenvoorbeeld (plak in voorbeelden/):\n" + indent(example, 2)


@dataclass
class Analysis:
    """The result of ``analyse_policy``."""

    findings: list[Finding]
    cases: int  # enumerated cases
    seconds: float
    domain: Domain = field(repr=False)
    justified: list[Text] = field(default_factory=list)  # hard texts with a reason: counted, not shown

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]

    @property
    def notes(self) -> list[Finding]:
        """What the writer should know but may have meant: never a reason to fail, not even with --streng."""
        return [f for f in self.findings if f.level == NOTE]


@dataclass
class _Seen:
    """What happened to one rule over the domain."""

    applies: Point | None = None
    changes: bool = False
    idle: Point | None = None  # a case where it applies but changes nothing
    idle_by: list[str] = field(default_factory=list)


_BUILT_IN = frozenset({FALLBACK.regel, SAFETY_GUARD.regel})
#: A class of enumerated cases (``_classes``): the rules that apply, the task, the kind of the first safety signal,
#: and its first case with the weight of the class.
_Class = tuple[tuple[int, ...], str, str | None, Point]


def safety_kinds(policy: Policy) -> frozenset[str]:
    """The signal kinds marked ``veiligheid: ja``."""
    return policy.safety_kinds


def advice_for(policy: Policy, applicable: Iterable[int], point: Point) -> Advies:
    """The advice the policy's own combiner gives an enumerated case, given the rules that apply to it."""
    return policy.combine(list(applicable), policy.validate_case(point.case))


def decision(advice: Advies) -> tuple[Any, ...]:
    """The parts of an advice a rule can change: everything but the rules' own reasons (whether the fallback
    or the safety guard gave it does count)."""
    return (
        advice.route,
        advice.urgentie,
        advice.taak_hoort_bij_mentor,
        advice.toestemming is not None,
        frozenset(advice.mentor_doet),
        frozenset(advice.mentor_doet_niet),
        frozenset(advice.verwijzen_naar),
        frozenset(r.regel for r in advice.redenen if r.regel in _BUILT_IN),
    )


def evaluate(policy: Policy, points: Any) -> Any:
    """(point, applicable rule indexes) for each enumerated point, asking each group of rules once per class of what
    it reads (``_factored``; the groups keep their answers)."""
    factored = Factored(policy)
    for point in points:
        yield point, factored.applicable_at(point)


@dataclass
class _Collected:
    """What one pass over the domain gathered: the input of every finding kind that needs the engine."""

    policy: Policy
    asked: list[Regel]  # the rules with their signal selectors resolved (``condition_rules``)
    domain: Domain
    seen: list[_Seen]  # per rule
    loaded: dict[str, LoadedRule]  # where each rule is written
    cases: int = 0
    used_exceptions: set[tuple[int, int]] = field(default_factory=set)
    uncovered: dict[str, tuple[Point, int]] = field(default_factory=dict)  # per task
    guarded: dict[str, tuple[Point, int]] = field(default_factory=dict)  # per safety kind
    guarded_by: dict[str, tuple[int, ...]] = field(default_factory=dict)  # per safety kind: the rules kept there
    #: per safety kind and urgency below the guard's, where the rules refer it so: the first case, the weight, and
    #: (``slow_by``) the rules kept there
    slow: dict[tuple[str, str], tuple[Point, int]] = field(default_factory=dict)
    slow_by: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    contradictions: dict[tuple[str, int, int, str], tuple[Point, int]] = field(default_factory=dict)
    #: per pair of rules (says ja, says nee) and what the advice then says (True: ja wins, next to an absolute referral,
    #: where only absolute rules count)
    conflicts: dict[tuple[int, int, bool], tuple[Point, int]] = field(default_factory=dict)
    kept_at_mentor: dict[tuple[str, tuple[int, ...]], _Kept] = field(default_factory=dict)
    #: per safety kind that the rules refer without an absolute referral (so the guard gives the advice): the first
    #: case, the weight, and (``referred_by``) the rules kept there
    referred: dict[str, tuple[Point, int]] = field(default_factory=dict)
    referred_by: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: the absolute mentor-route rules that ask for a safety signal, with those kinds (``_asks_for_safety``; set at
    #: once), and (``fixed_seen``) per such rule the first case with a safety signal it applies in, and the weight
    fixed: dict[int, list[str]] = field(default_factory=dict)
    fixed_seen: dict[int, tuple[Point, int]] = field(default_factory=dict)
    never: set[int] = field(default_factory=set)  # the rules not yet seen applying
    unsure: set[int] = field(default_factory=set)  # the rules not yet seen changing an advice

    def __post_init__(self) -> None:
        self.fixed = {i: kinds for i, rule in enumerate(self.policy.rules) if rule.absoluut
                      and rule.dan.route == "mentor" and (kinds := _asks_for_safety(self.asked[i],
                                                                                    self.policy.safety_kinds))}


def analyse_policy(policy: Policy, pairs: bool = True) -> Analysis:
    """Enumerate the policy's domain in the engine and report gaps, shadows, dead rules and conflicts (with the
    collector paused: ``collector_paused``)."""
    with collector_paused():
        return _analyse(policy, pairs)


def _analyse(policy: Policy, pairs: bool) -> Analysis:
    started = time.perf_counter()
    vocab = policy.vocabulary
    asked = condition_rules(policy)
    domain = build_domain([asked], list(vocab.signalen), list(vocab.taken), list(vocab.scholing),
                          safety=safety_kinds(policy))
    state = _collect(policy, asked, domain, pairs)
    _add_exceptions_in_pairs(state)
    language = _plain_language(policy)
    findings = [
        *_safety_at_mentor(state),
        *_safety_not_today(state),
        *_never_applies(state),
        *_shadowed(state),
        *_idle_exceptions(state),
        *_kept_findings(policy, state.kept_at_mentor, state.loaded, frozenset(state.fixed_seen)),
        *_safety_not_absolute(state),
        *_fixed_at_mentor(state),
        *_contradictions(state),
        *_family_contact(state),
        *_conflicts(policy, state.conflicts, _writer_rules(policy), state.loaded, _unsafe(state)),
        *_fewer_safety_kinds(policy),
        *_misspelt_groups(policy),
        *_misspelt_destinations(policy),
        *_unflagged_in_safety_groups(policy),
        *_unflagged_but_urgent(policy),
        *_kinds_alike(policy),
        *_sounds_like_danger(policy),
        *_uncovered(state),
        *_placeholder_sources(policy),
        *(Finding(r.kind, r.message, r.file, r.line, r.column, r.rule) for r in language.remarks),
    ]
    order = list(LEVELS)
    findings.sort(key=lambda f: (order.index(f.kind), f.file, f.line, f.message))
    return Analysis(findings, state.cases, time.perf_counter() - started, domain, language.justified)


def _plain_language(policy: Policy) -> Readability:
    """The readability warnings of the texts in the writer's own rules (in an overlay: not the base's)."""
    writer = {policy.rules[i].id for i in _writer_rules(policy)}
    return check_rules(item for item in policy.source.rules if item.rule.id in writer)


def _collect(policy: Policy, asked: list[Regel], domain: Domain, pairs: bool) -> _Collected:
    """Put every enumerated case to the engine once and record what each rule did there.

    Cases with the same applicable rules, task and safety signal get the same judgement and are recorded alike, so
    they are recorded once, in the order of their first cases, as the first case with the weight of them all
    (``_classes``): every count, and every example (the first case that shows something), is what recording case by
    case gives."""
    state = _Collected(policy, asked, domain, [_Seen() for _ in policy.rules],
                       {item.rule.id: item for item in policy.source.rules})
    state.never, state.unsure = set(range(len(policy.rules))), set(range(len(policy.rules)))
    judged: dict[tuple[tuple[int, ...], bool], _Judgement] = {}
    outcomes = Outcomes(policy)
    classes, state.cases = _classes(policy, domain, pairs)
    for applicable, _, guard, point in classes:
        safety = guard is not None
        judgement = judged.get((applicable, safety))
        if judgement is None:
            judgement = judged[(applicable, safety)] = _judge(policy, applicable, point, outcomes, state.unsure,
                                                              safety)
        _record(state, point, applicable, judgement)
    return state


def _classes(policy: Policy, domain: Domain, pairs: bool) -> tuple[list[_Class], int]:
    """The enumerated cases by (applicable rules, task, kind of the first safety signal): per class the key and its
    first case with the weight of the whole class, in the order of the first cases; and the number of cases.

    A block's cases fall into classes by what the groups of rules that read signals find and the first safety kind
    (``_summary``): the rules the other groups find are the same for the whole block, and never among those. So each
    list of such answers is summed up once, and a block costs a step per class of its cases. The classes are kept
    by (those other rules, task) and then by the summary's number of the key, which tells the same classes apart."""
    factored = Factored(policy)
    summaries: dict[int, _Summary] = {}  # by id of the list of answers (``Factored.split`` keeps them all)
    numbers: dict[_SideKey, int] = {}  # a number per distinct ``_SideKey`` (``_summary``)
    # Blocks with the same other rules, task and list of answers have the same classes: the first such block stands
    # for them all, with the sum of their weights (it comes first, so the later ones add no class of their own)
    alike: dict[tuple[tuple[int, ...], str, int], list[Any]] = {}  # -> [first block, its summary, sum of weights]
    cases = 0
    for block in domain.case_blocks(pairs):
        cases += len(block.signals.cases)
        fixed, side = factored.split(block)
        entry = alike.get((fixed, block.context.task, id(side)))
        if entry is not None:
            entry[2] += block.context.weight
            continue
        summary = summaries.get(id(side))
        if summary is None:
            summary = summaries[id(side)] = _summary(side, block.signals, numbers)
        alike[(fixed, block.context.task, id(side))] = [block, summary, block.context.weight]
    found: dict[tuple[tuple[int, ...], str], dict[int, int]] = {}  # per (rules, task): key number -> class
    firsts: list[tuple[tuple[int, ...], str, int, Block, int]] = []  # per class: (rules, task, key, block, position)
    weights: list[int] = []  # per class
    for (fixed, task, _), (block, summary, base) in alike.items():
        classes = found.setdefault((fixed, task), {})
        keys, positions, sums = summary
        for key, weight, at in zip(map(classes.get, keys), sums, itertools.count()):
            if key is None:
                classes[keys[at]] = len(weights)
                firsts.append((fixed, task, keys[at], block, positions[at]))
                weights.append(base * weight)
            else:
                weights[key] += base * weight
    side_keys = list(numbers)
    # ``rules`` as the groups found them, one group after another: sorted here; no two classes share a key (the rules
    # the other groups find and those the signal groups find are told apart by the rules themselves)
    out = [(tuple(sorted(fixed + rules)), task, guard, Point(block.context, block.signals.cases[position], weight))
           for (fixed, task, key, block, position), weight in zip(firsts, weights, strict=True)
           for rules, guard in (side_keys[key],)]
    return out, cases


#: What tells a block's cases apart: the rules the groups that read signals find, the kind of the first safety signal.
_SideKey = tuple[tuple[int, ...], str | None]
#: The cases of a block by ``_SideKey``, in the order of their first cases: each key's number (``_classes``), the
#: first case's position and the sum of the cases' weights.
_Summary = tuple[list[int], list[int], list[int]]


def _summary(side: list[tuple[int, ...]], signals: Signals, numbers: dict[_SideKey, int]) -> _Summary:
    """``_Summary`` of the cases of ``signals``, given what the groups that read signals find for each; ``numbers``
    numbers the keys (new ones are added)."""
    at: dict[_SideKey, int] = {}
    keys: list[int] = []
    positions: list[int] = []
    sums: list[int] = []
    for position, key, weight in zip(itertools.count(), zip(side, signals.guards, strict=True), signals.weights):
        entry = at.get(key)
        if entry is None:
            at[key] = len(keys)
            number = numbers.get(key)
            if number is None:
                number = numbers[key] = len(numbers)
            keys.append(number)
            positions.append(position)
            sums.append(weight)
        else:
            sums[entry] += weight
    return keys, positions, sums


def _record(state: _Collected, point: Point, applicable: tuple[int, ...], judgement: _Judgement) -> None:
    """Add one enumerated case and its judgement to what was collected."""
    if state.fixed and point.safety and not state.fixed.keys().isdisjoint(applicable):
        for i in state.fixed.keys() & set(applicable):
            _count(state.fixed_seen, i, point)
    if judgement.guarded or judgement.slow is not None:
        kind = next(s["soort"] for s in point.case["signalen"] if s["soort"] in state.policy.safety_kinds)
        if judgement.slow is None and judgement.referred:  # the guard took a referral that is not absolute
            _count(state.referred, kind, point)
            state.referred_by.setdefault(kind, judgement.kept)
        elif judgement.slow is None:  # the guard took the case from the mentor (or the rules did not cover it)
            _count(state.guarded, kind, point)
            state.guarded_by.setdefault(kind, judgement.kept)
        else:
            _count(state.slow, (kind, judgement.slow), point)
            state.slow_by.setdefault((kind, judgement.slow), judgement.kept)
    if not judgement.kept:
        _count(state.uncovered, point.context.task, point)  # the case's task (its dict is built only for examples)
        return
    if judgement.away:
        _record_kept(state.kept_at_mentor, state.policy, point, judgement)
    _record_rules(state, point, applicable, judgement)
    if judgement.used:
        state.used_exceptions |= judgement.used
    for contradiction in judgement.contradictions:
        _count(state.contradictions, contradiction, point)
    for a, b in judgement.conflicts:
        _count(state.conflicts, (a, b, judgement.verdict), point)


def _record_rules(state: _Collected, point: Point, applicable: tuple[int, ...], judgement: _Judgement) -> None:
    """The first case each rule applies in, whether it ever changes an advice, and a case where it does not."""
    seen = state.seen
    if not state.never.isdisjoint(applicable):
        for i in state.never.intersection(applicable):
            seen[i].applies = point
        state.never.difference_update(applicable)
    if judgement.changers:
        for i in judgement.changers:
            seen[i].changes = True
        state.unsure -= judgement.changers
    if judgement.idle:
        for i, by in judgement.idle.items():
            if seen[i].idle is None:
                seen[i].idle, seen[i].idle_by = point, by


def _add_exceptions_in_pairs(state: _Collected) -> None:
    """Count as used an exception that only acts next to another signal (issue 10, point 6)."""
    rules = state.policy.rules
    index_of = {rule.id: i for i, rule in enumerate(rules)}
    for index, rule in enumerate(rules):
        if state.seen[index].applies is None:
            continue
        for target in rule.zet_opzij:
            t = index_of.get(target)
            if (t is not None and (index, t) not in state.used_exceptions
                    and _sets_aside_in_a_pair(state.policy, state.domain, state.asked, index, t)):
                state.used_exceptions.add((index, t))


def _safety_at_mentor(state: _Collected) -> list[Finding]:
    """``veiligheid-bij-mentor``: a safety kind that only the safety guard refers away, at the mentor rule about this
    kind that keeps it at the mentor, or else at the kind's own declaration: a general mentor rule of the base (one a
    school cannot edit) was where the finding about a school's own kind stood (a trial)."""
    rules = state.policy.rules
    findings: list[Finding] = []
    for kind, (point, weight) in state.guarded.items():
        kept = state.guarded_by[kind]
        mentor = sorted((i for i in kept if rules[i].dan.route == "mentor"),
                        key=lambda i: not _asks_about(state.asked[i], kind))  # the rule about this kind first
        names = ", ".join(f"'{rules[i].id}'" for i in kept[:4]) or "geen"
        message = (f"veiligheidssignaal '{kind}' eindigt in {_situations(weight)} volgens de regels bij de mentor of "
                   f"valt buiten het beleid (regels: {names}); alleen het vangnet '{SAFETY_GUARD.regel}' verwijst "
                   f"dan door. Geef '{kind}' een absolute regel (absoluut: ja) met route zorgteam of extern en "
                   "urgentie vandaag of direct, die ook hier geldt: die zet de mentorregels dan opzij")
        about = mentor[0] if mentor and _asks_about(state.asked[mentor[0]], kind) else None
        findings.append(_at_rule_or_kind(state, about, kind, "veiligheid-bij-mentor", message, point, weight))
    return findings


def _safety_not_today(state: _Collected) -> list[Finding]:
    """``veiligheid-niet-vandaag``: per safety kind that the rules refer with an urgency below the guard's, one finding
    with all such situations, shown with the lowest urgency, at the rule about this kind that sets the lowest urgency
    among those kept there, else at the kind's declaration."""
    rules, parts = state.policy.rules, state.policy._combiner.parts
    by_kind: dict[str, list[tuple[str, Point, int]]] = {}
    for (kind, urgency), (point, weight) in state.slow.items():
        by_kind.setdefault(kind, []).append((urgency, point, weight))
    findings: list[Finding] = []
    for kind, found in by_kind.items():
        urgency, point, _ = min(found, key=lambda item: URGENCY_RANK[item[0]])
        weight = sum(w for _, _, w in found)
        kept = state.slow_by[(kind, urgency)]
        about = [i for i in kept if _asks_about(state.asked[i], kind)]
        names = ", ".join(f"'{rules[i].id}'" for i in kept[:4])
        message = (f"veiligheidssignaal '{kind}' krijgt in {_situations(weight)} een urgentie later dan "
                   f"'{SAFETY_URGENCY}', tot '{urgency}' (regels: {names}); het vangnet zegt '{SAFETY_URGENCY}' "
                   f"waar geen absolute regel de casus doorverwijst. Geef de regel voor '{kind}' urgentie "
                   f"'{SAFETY_URGENCY}' of 'direct'")
        at = min(about, key=lambda i: parts[i].urgency) if about else None  # the one setting the lowest urgency
        findings.append(_at_rule_or_kind(state, at, kind, "veiligheid-niet-vandaag", message, point, weight))
    return findings


def _at_rule_or_kind(state: _Collected, rule: int | None, kind: str, code: str, message: str, point: Point,
                     weight: int) -> Finding:
    """A finding about a safety kind: at ``rule`` (the rule about the kind), or with none at the kind's declaration,
    not at a general rule (of the base, for a school's own kind)."""
    policy = state.policy
    if rule is not None:
        return _at(state.loaded[policy.rules[rule].id], code, message, policy, point, weight)
    shown, line, column = _declaration(policy, kind)
    return Finding(code, message, shown, line, column, case=point.case, expected=_now(policy, point), count=weight)


def _safety_not_absolute(state: _Collected) -> list[Finding]:
    """``veiligheid-niet-absoluut``: per safety kind that the rules refer but no absolute referral takes, so that the
    guard gives the advice: at the referral about this kind among those kept, else at the kind's declaration."""
    rules, findings = state.policy.rules, []
    for kind, (point, weight) in state.referred.items():
        kept = state.referred_by[kind]
        referring = [i for i in kept if rules[i].dan.route != "mentor"]
        names = ", ".join(f"'{rules[i].id}'" for i in referring[:4])
        message = (f"veiligheidssignaal '{kind}' heeft in {_situations(weight)} geen absolute doorverwijzing: de "
                   f"regels verwijzen wel door (regels: {names}), maar geen regel met 'absoluut: ja'. Daarom geeft het "
                   f"vangnet '{SAFETY_GUARD.regel}' het advies: minstens '{SAFETY_URGENCY}', en regels met route "
                   f"mentor gaan opzij. Geef '{kind}' een absolute regel (absoluut: ja) met route zorgteam of extern "
                   "en urgentie vandaag of direct")
        about = next((i for i in referring if _asks_about(state.asked[i], kind)), None)
        findings.append(_at_rule_or_kind(state, about, kind, "veiligheid-niet-absoluut", message, point, weight))
    return findings


def _fixed_at_mentor(state: _Collected) -> list[Finding]:
    """``veiligheid-vast-bij-mentor``: an absolute rule with route mentor that asks for a safety signal and applies in
    a case with one. An absolute rule is never set aside: an absolute referral and the safety guard leave its steps,
    and its 'taak hoort bij de mentor', in place (a trial: "De mentor voert zelf de gesprekken", absolute, passed
    --streng with notes only, and with taak_hoort_bij_mentor made an abuse inquiry the mentor's task)."""
    rules, findings = state.policy.rules, []
    for index, (point, weight) in sorted(state.fixed_seen.items()):
        rule = rules[index]
        kinds = ", ".join(f"'{kind}'" for kind in state.fixed[index])
        verdict = " en dat de taak bij de mentor hoort" if rule.dan.taak_hoort_bij_mentor is True else ""
        message = (f"deze regel is absoluut en houdt de mentor aan het werk bij veiligheidssignaal {kinds} "
                   f"({_situations(weight)}). Een absolute regel gaat nooit opzij: niet voor een absolute "
                   f"doorverwijzing en niet voor het vangnet '{SAFETY_GUARD.regel}'. Dus blijven de stappen van deze "
                   f"regel{verdict} staan, ook bij gevaar. Haal 'absoluut: ja' weg. Moet de mentor bij gevaar toch "
                   "iets doen, zoals signaleren of eerste opvang? Laat de regel dan over die taak gaan, niet over het "
                   "signaal")
        findings.append(_at(state.loaded[rule.id], "veiligheid-vast-bij-mentor", message, state.policy, point, weight))
    return findings


def _asks_for_safety(rule: Regel, safety: frozenset[str]) -> list[str]:
    """The safety kinds that a signal condition of ``rule`` asks for (not under ``niet``; a condition without kinds
    asks for any kind), sorted."""
    return sorted({kind for block, positive in signals_with_polarity(rule.als) if positive
                   for kind in (safety if block.soort is None else safety.intersection(block.soort))})


#: A step that sends the mentor to the parents or the family, or asks consent (``familie-benaderd``): it names them
#: (also "vader", "verzorgers", "naar huis": a trial's "Bel naar huis over het verzuim" passed) or asks
#: "toestemming", and neither says not to nor leaves it to the aandachtsfunctionaris or the meldcode.
_TO_FAMILY = re.compile(r"\b(ouders|ouder(?!-)|vader|moeder|verzorgers?|familie|gezin|naar (?:huis|thuis))\b"
                        r"|\bvraag\b.*\btoestemming\b", re.IGNORECASE)
_THROUGH_OTHERS = re.compile(r"\b(niet|geen|nooit|aandachtsfunctionaris|meldcode)\b", re.IGNORECASE)


def _to_family(step: str) -> bool:
    return bool(_TO_FAMILY.search(step)) and not _THROUGH_OTHERS.search(step)


def _family_contact(state: _Collected) -> list[Finding]:
    """``familie-benaderd``: a rule that stays in an advice for a case with a signal of a kind marked
    ``familie_niet_benaderen: ja`` and tells the mentor to approach the parents or the family, or has their consent
    asked. For each rule with such a step (or with consent) the case where it first applied is asked again with
    such a signal added, in the engine. A trial's school rule said "Nodig de ouders uit voor een gesprek" beside
    "Neem geen contact op met de ouders of de familie", and its absolute rule without 'toestemming: nee' had "ouders
    en leerling" asked for consent; --streng said "In orde"."""
    policy = state.policy
    family = [kind for kind, term in policy.vocabulary.signalen.items() if term.familie_niet_benaderen]
    findings: list[Finding] = []
    for index, rule in enumerate(policy.rules):
        steps = [step for step in rule.dan.mentor_doet if _to_family(step)]
        first = state.seen[index].applies
        if first is None or not (steps or rule.dan.toestemming):
            continue
        for kind in family:
            case = {**first.case, "signalen": [*first.case["signalen"], {"soort": kind, "ernst": "matig"}]}
            advice = policy.advise(case)
            if rule.id not in {reason.regel for reason in advice.redenen}:
                continue
            said = [step for step in steps if step in advice.mentor_doet]
            asked = rule.dan.toestemming is True and advice.toestemming is not None
            if not said and not asked:
                continue
            if not said:
                what = f"laat toestemming vragen (van: {advice.toestemming})"
            elif "toestemming" in said[0].lower():
                what = f"laat de mentor toestemming vragen ('{said[0]}')"
            else:
                what = f"laat de mentor de ouders of de familie benaderen ('{said[0]}')"
            message = (f"deze regel {what}, ook als er een signaal '{kind}' is: daarbij kan contact met de familie de "
                       "leerling in gevaar brengen (familie_niet_benaderen: ja). Geef de regel een uitzondering met "
                       "'signaal: {familie_niet_benaderen: ja}' die hem opzij zet en het contact met de ouders aan de "
                       "aandachtsfunctionaris laat (zoals verzuim-16-uur-familie-niet-benaderen in het standaardbeleid)"
                       + ("" if said else f", of zet 'toestemming: nee' in de absolute regel voor '{kind}'"))
            item = state.loaded[rule.id]
            findings.append(Finding("familie-benaderd", message, item.file, item.line, item.column, rule.id, case,
                                    _fields_of(advice)))
            break
    return findings


def _never_applies(state: _Collected) -> list[Finding]:
    """``nooit-van-toepassing``: a rule that no case of the domain makes apply."""
    return [_at(state.loaded[rule.id], "nooit-van-toepassing",
                "geen enkele situatie in het domein laat deze regel gelden; "
                "controleer of de voorwaarden elkaar niet uitsluiten")
            for rule, seen in zip(state.policy.rules, state.seen, strict=True) if seen.applies is None]


def _shadowed(state: _Collected) -> list[Finding]:
    """``overschaduwd``: a rule that applies but never changes an advice; in an overlay, not a rule of a layer below
    that the writer's own rules set aside (``zet_opzij``): that is how the docs tell a school to change a rule of the
    base, and the base's files are not the writer's to remove it from (a trial: --streng failed on it)."""
    replaced = _replaced(state)
    in_danger_only = always_set_aside(state.policy)
    findings: list[Finding] = []
    for index, (rule, seen) in enumerate(zip(state.policy.rules, state.seen, strict=True)):
        if seen.applies is None or seen.changes or seen.idle is None or index in replaced:
            continue
        by = _listed(seen.idle_by).replace(f"'{SAFETY_GUARD.regel}'", f"het vangnet '{SAFETY_GUARD.regel}'")
        several = len(seen.idle_by) > 1
        if rule.id in in_danger_only:
            # a trial's mentor rule about light self-harm read as "geven 'zelfbeschadiging' al hetzelfde": no word
            # about safety, and the advice was not the same (zorgteam, not mentor)
            setters = [r for r in seen.idle_by if r == SAFETY_GUARD.regel
                       or (r in state.loaded and state.loaded[r].rule.absoluut and refers_away(state.loaded[r].rule))]
            named = _listed(setters).replace(f"'{SAFETY_GUARD.regel}'", f"het vangnet '{SAFETY_GUARD.regel}'")
            message = ("de regel verandert nooit een advies: hij geldt alleen bij een veiligheidssignaal, en dan zet "
                       "een absolute doorverwijzing of het vangnet hem altijd opzij" + (f" (hier: {named})" if setters
                                                                                          else "")
                       + ". Bij gevaar blijft de leerling niet alleen bij de mentor. Haal de regel weg, of laat hem "
                       "over iets anders gaan dan een veiligheidssignaal")
        else:
            message = (f"de regel verandert nooit een advies: waar hij geldt, {'geven' if several else 'geeft'} {by} "
                       f"al hetzelfde of {'zetten' if several else 'zet'} hem opzij")
        findings.append(_at(state.loaded[rule.id], "overschaduwd", message, state.policy, seen.idle))
    return findings


def _replaced(state: _Collected) -> set[int]:
    """In an overlay, the rules of a layer below that the writer's own rules set aside (``zet_opzij``)."""
    writer = _writer_rules(state.policy)
    return {target for setter, target in state.used_exceptions if setter in writer and target not in writer}


def _idle_exceptions(state: _Collected) -> list[Finding]:
    """``uitzondering-zonder-effect``: a rule that applies but never sets aside a rule its ``zet_opzij`` names; in an
    overlay, not a rule of the base that the writer's rules set aside: where it applies it is gone first, so its own
    exceptions never act, and the base's file is not the writer's (a trial followed the advice of ``conflict`` and got
    five such warnings at a file of the default)."""
    rules = state.policy.rules
    replaced = _replaced(state)
    findings: list[Finding] = []
    for index, rule in enumerate(rules):
        applies = state.seen[index].applies
        if index in replaced:
            continue
        for target in rule.zet_opzij:
            target_index = next((i for i, r in enumerate(rules) if r.id == target), None)
            if target_index is None or (index, target_index) in state.used_exceptions or applies is None:
                continue
            findings.append(_at(state.loaded[rule.id], "uitzondering-zonder-effect",
                                f"zet '{target}' opzij, maar waar deze regel geldt, geldt '{target}' nooit",
                                state.policy, applies))
    return findings


def _contradictions(state: _Collected) -> list[Finding]:
    """``tegenstrijdig``: one advice tells the mentor to do a step and not to (``Outcomes.clashes``)."""
    rules = state.policy.rules
    findings = []
    for (sentence, a, b, said), (point, weight) in state.contradictions.items():
        where = "mentor_doet_niet" if said in rules[b].dan.mentor_doet_niet else "mentor_doet"
        other = "het" if said == sentence else f"'{said}'"
        findings.append(_at(state.loaded[rules[a].id], "tegenstrijdig",
                            f"'{sentence}' staat bij mentor_doet, en regel '{rules[b].id}' zet {other} bij {where}; "
                            "beide gelden samen, dus zegt het advies de mentor iets te doen én het niet te doen",
                            state.policy, point, weight))
    return findings


def _uncovered(state: _Collected) -> list[Finding]:
    """``niet-gedekt``: per class of tasks no rule tells apart, the cases where no rule applies (the advice is the
    fallback), with every task of the class named, at the first one's place in the vocabulary (an overlay's own
    task: in its laag.yaml)."""
    policy = state.policy
    findings = []
    for task, (point, weight) in state.uncovered.items():
        tasks = state.domain.task_members.get(task, [task])
        named = (f"taak '{task}'" if len(tasks) == 1 else
                 "de taken " + ", ".join(f"'{t}'" for t in tasks[:-1]) + f" en '{tasks[-1]}'")
        file, line, column = _declared(policy, (LAYER_FILE, VOCABULARY_FILE), ("taken", task))
        findings.append(Finding("niet-gedekt", f"bij {named} geldt in {_situations(weight)} geen enkele regel; "
                                "het advies valt terug op het zorgteam", file, line, column,
                                case=point.case, expected=_now(policy, point), count=weight))
    return findings


@dataclass
class _Judgement:
    kept: tuple[int, ...]
    guarded: bool  # the safety guard gave the advice
    changers: AbstractSet[int]
    idle: Mapping[int, list[str]]
    used: AbstractSet[tuple[int, int]]
    contradictions: Sequence[tuple[str, int, int, str]]
    conflicts: Sequence[tuple[int, int]]
    away: tuple[int, ...] = ()  # kept absolute rules with route zorgteam or extern
    verdict: bool = False  # the advice says the task belongs to the mentor
    #: next to ``away``: the kept rules that keep the mentor's steps (route mentor) or, with ``verdict``, say the task
    #: is the mentor's (``_record_kept``)
    keepers: tuple[int, ...] = ()
    #: with a safety signal that the rules refer away: the advice's urgency when it is below the guard's (else None)
    slow: str | None = None
    #: the guard gave the advice while the rules referred the case (no absolute referral took the safety signal)
    referred: bool = False


_NOTHING: frozenset[Any] = frozenset()
_NO_AHEAD: Mapping[int, str] = types.MappingProxyType({})
_SAFETY_RANK = URGENCY_RANK[SAFETY_URGENCY]
_MENTOR_ROUTE = ROUTE_RANK["mentor"]
_URGENCY_NAMES = {rank: name for name, rank in URGENCY_RANK.items()}
_NO_IDLE: Mapping[int, list[str]] = types.MappingProxyType({})


def _judge(policy: Policy, applicable: tuple[int, ...], point: Point, outcomes: Outcomes,
           unsure: set[int], safety: bool | None = None) -> _Judgement:
    """What the rules that hold for ``point`` do there: which change the advice, which sit idle, and so on.

    Only the rules in ``unsure`` (not yet seen changing an advice) are asked about (among the changers or idle): an
    idle case is only shown for a rule that never changes one, and the judgements are made in the order of the cases
    they are recorded for. What the advice is (``outcomes``, without building it) is read only where it matters:
    for those rules, for a safety signal (did the guard give the advice?) or next to a rule that refers the case away
    (does the advice say the task is the mentor's?)."""
    rules, parts = policy.rules, outcomes.parts
    if safety is None:  # ``safety``: ``point.safety``, when the caller knows it
        safety = point.safety
    kept = outcomes.kept(applicable)
    away = tuple([i for i in kept if i in outcomes.away]) if not outcomes.away.isdisjoint(kept) else ()
    asked = unsure.intersection(applicable) if not unsure.isdisjoint(applicable) else _NOTHING
    changers: AbstractSet[int] = _NOTHING  # shared empty containers: a judgement is never changed
    idle: Mapping[int, list[str]] = _NO_IDLE
    guarded = verdict = False
    if asked:
        changers, idle = set(), {}
        whole = outcomes.of(applicable, safety)
        guarded, verdict = whole.guarded, whole.verdict
        # who gives the advice without it: the guard first where it acts, not the rules it sets aside (a trial: a
        # mentor rule the guard set aside was "shadowed" by the referral and the mentor rule named each other)
        givers = [SAFETY_GUARD.regel] if guarded else []
        for i in sorted(asked):
            without = tuple(j for j in applicable if j != i)
            if outcomes.of(without, safety).decision != whole.decision:
                changers.add(i)
            else:
                by = [*givers, *(rules[j].id for j in kept if j != i and not (guarded and j in outcomes.lighter))]
                # alone in the advice, it sets aside the rules that give the same without it (a generated policy: an
                # absolute rule that sets aside a rule with the same advice crashed the message, naming no one)
                idle[i] = (by or [rules[j].id for j in outcomes.kept(without)])[:3]
    elif safety or away:
        guarded, verdict = outcomes.decided(kept, safety)
    # the rules whose lists and say are in the advice: next to the guard, not the ones it set aside (``_combine``)
    shown = tuple([i for i in kept if i not in outcomes.lighter]) if guarded else kept
    used: AbstractSet[tuple[int, int]] = _NOTHING
    if not outcomes.setters.isdisjoint(kept):
        present = frozenset(applicable)
        # next to an absolute referral a mentor-route rule sets nothing aside (``_combine.effective``)
        used = {(j, t) for j in kept if j in outcomes.setters and not (away and parts[j].route == _MENTOR_ROUTE)
                for t in parts[j].sets_aside if t in present}
    contradictions: Sequence[tuple[str, int, int, str]] = ()
    if not outcomes.clashing.isdisjoint(shown):
        present = frozenset(shown)
        contradictions = [(sentence, a, b, said) for a in shown for sentence, b, said in outcomes.clashes.get(a, ())
                          if b in present]
    conflicts: Sequence[tuple[int, int]] = ()
    if not outcomes.saying_no.isdisjoint(shown) and not outcomes.saying_yes.isdisjoint(shown):
        saying_no = [b for b in shown if b in outcomes.saying_no]
        related = {(a, b) for a, b in used} | {(b, a) for a, b in used}
        conflicts = [(a, b) for a in shown if parts[a].verdict is True for b in saying_no if (a, b) not in related]
    keepers = tuple([i for i in kept if i in outcomes.steps or (verdict and i in outcomes.saying_yes)]) if away else ()
    slow = None
    if safety and kept and not guarded:  # the rules refer it (the guard did not): how soon
        urgency = max(parts[i].urgency for i in kept)
        if urgency < _SAFETY_RANK:
            slow = _URGENCY_NAMES[urgency]
    referred = guarded and bool(kept) and max(parts[i].route for i in kept) > _MENTOR_ROUTE
    return _Judgement(kept, guarded, changers, idle, used, contradictions, conflicts, away, verdict, keepers, slow,
                      referred)


#: Above this a count of situations is said in words: a rule that counts 40 signals stands for lists of 40 signals,
#: each of several kinds and severities, and that number (10^40 and more) says nothing to a writer (a trial).
MANY = 10**9


def _situations(count: int) -> str:
    """A number of situations as a finding says it."""
    return f"{count} situatie(s)" if count <= MANY else "meer dan een miljard situaties"


def _winner(weights: dict[bool, int]) -> str:
    """Which of 'ja' and 'nee' the advice gives where two rules disagree (``weights``: situations per outcome)."""
    if True not in weights:
        return "nu wint 'nee'"
    because = "een absolute regel die verwijst, laat alleen absolute regels meetellen"
    if False not in weights:
        return f"nu wint 'ja': {because}"
    return f"nu wint 'nee', maar 'ja' in {_situations(weights[True])}: {because}"


#: the fix of a conflict at a rule that keeps a safety signal at the mentor: setting the other rules aside would hand
#: the mentor more of it (a trial followed "schrijf dan zet_opzij" there: 234 unsafe situations became 342)
UNSAFE_AHEAD = ("Deze regel houdt ook een veiligheidssignaal bij de mentor (zie de fout [veiligheid-bij-mentor]): zet "
                "daarom geen regels opzij, maar los eerst die fout op")
#: the same for a rule about a safety kind that says the task is the mentor's: setting the rules that say 'nee' aside
#: gave the mentor the meldcode and abuse tasks for a gun rumour (a second trial followed "schrijf dan zet_opzij")
SAFETY_AHEAD = ("Deze regel gaat over een veiligheidssignaal: zet de regels die van niet zeggen daarom niet opzij (zij "
                "houden taken als de meldcode weg bij de mentor alleen), maar laat taak_hoort_bij_mentor hier weg")


def _unsafe(state: _Collected) -> dict[int, str]:
    """The rules that saying 'ja' must never be told to set the others aside, with what to say instead: the
    mentor-route rules that keep a safety signal at the mentor (the rules of ``veiligheid-bij-mentor``), and the rules
    about a safety kind that say the task is the mentor's."""
    rules, kinds = state.policy.rules, state.policy.safety_kinds
    about = {i: SAFETY_AHEAD for i, rule in enumerate(rules)
             if rule.dan.taak_hoort_bij_mentor is True and any(_asks_about(state.asked[i], k) for k in kinds)}
    at_mentor = {i: UNSAFE_AHEAD for kept in state.guarded_by.values() for i in kept if rules[i].dan.route == "mentor"}
    return about | at_mentor


def _conflicts(policy: Policy, conflicts: dict[tuple[int, int, bool], tuple[Point, int]], writer: set[int],
               loaded: dict[str, LoadedRule], unsafe: Mapping[int, str] = _NO_AHEAD) -> list[Finding]:
    """``conflict`` findings: one per pair of rules; in an overlay, a writer's rule against rules of the base is one
    finding at the writer's rule, with the count and one example (the base's files are not the writer's). Each says
    which side the advice takes (``_winner``). A rule that says 'ja' and is in ``unsafe`` is never told to set the
    other rules aside, but what ``unsafe`` says (``UNSAFE_AHEAD``, ``SAFETY_AHEAD``)."""
    rules = policy.rules
    pairs: dict[tuple[int, int], tuple[Point, dict[bool, int]]] = {}
    for (a, b, verdict), (point, weight) in conflicts.items():
        weights = pairs.setdefault((a, b), (point, {}))[1]
        weights[verdict] = weights.get(verdict, 0) + weight
    findings: list[Finding] = []
    grouped: dict[int, list[tuple[int, Point, dict[bool, int]]]] = {}
    alike: dict[int, list[tuple[int, Point, dict[bool, int]]]] = {}  # pairs in the same files, by the 'ja' rule
    for (a, b), (point, weights) in pairs.items():
        if (a in writer) != (b in writer):
            own, other = (a, b) if a in writer else (b, a)
            grouped.setdefault(own, []).append((other, point, weights))
        else:
            alike.setdefault(a, []).append((b, point, weights))
    for a, others in alike.items():
        findings.append(_conflicts_of(policy, loaded, a, others, unsafe.get(a)))
    for own, others in grouped.items():
        first, point, _ = others[0]
        total = _summed(weights for _, _, weights in others)
        weight = sum(total.values())
        says = rules[own].dan.taak_hoort_bij_mentor
        names = ", ".join(rules[o].id for o, _, _ in others if not rules[o].absoluut)  # absolute ones stay put
        count = (f"{len(others)} regel van de basis zegt" if len(others) == 1
                 else f"{len(others)} regels van de basis zeggen")
        if says is False:
            ahead = (f"Moet deze regel voorgaan, schrijf dan zet_opzij: [{names}]" if names else
                     "De regels die van wel zeggen, zijn absoluut: zet_opzij kan ze niet opzij zetten")
            message = (f"zegt dat de taak niet bij de mentor hoort, en {count} van wel, bijvoorbeeld "
                       f"'{rules[first].id}' ({_situations(weight)}); geen van beide is een uitzondering op de ander "
                       f"({_winner(total)}). Gaat deze regel niet over wie de taak doet, laat taak_hoort_bij_mentor "
                       f"dan weg. {ahead}")
        else:
            # a base rule that says a task is never the mentor's (its condition is the task alone) is never to be set
            # aside: a trial pasted the list and got 'mishandeling_onderzoeken' as the mentor's task
            tasks_only = [o for o, _, _ in others if not rules[o].absoluut and _about_task_only(rules[o])]
            absolute = [rules[o].id for o, _, _ in others if rules[o].absoluut]
            # with an absolute 'nee' among them zet_opzij cannot settle it: only the other rules would go, and with
            # them their steps (a trial followed the list: "Begin niet op eigen houtje een reeks gesprekken" was gone)
            settable = [rules[o].id for o, _, _ in others if not rules[o].absoluut and o not in tasks_only]
            names = "" if absolute else ", ".join(settable)
            usual = (f"Moet deze regel voorgaan, schrijf dan zet_opzij: [{names}]; anders laat taak_hoort_bij_mentor "
                     "weg" if names else
                     "De regels die van niet zeggen, zijn absoluut en gaan altijd voor: laat taak_hoort_bij_mentor "
                     "hier weg" if len(absolute) == len(others) else
                     f"{_listed(absolute)} {'is' if len(absolute) == 1 else 'zijn'} absoluut en "
                     f"{'gaat' if len(absolute) == 1 else 'gaan'} altijd voor, dus zet_opzij lost dit niet op: laat "
                     "taak_hoort_bij_mentor hier weg")
            if tasks_only:
                keep = (f"Zet {', '.join(repr(rules[o].id) for o in tasks_only[:4])} niet opzij: volgens die regels "
                        "hoort zo'n taak nooit bij de mentor. Geef deze regel 'taak:' met alleen de taken waar hij "
                        "over gaat")
                usual = f"{keep}. {usual}" if names else f"{keep}, of laat taak_hoort_bij_mentor weg"
            # a safety kind's rule: never "zet_opzij"; when every rule saying 'nee' is absolute, the usual fix says so
            fix = unsafe[own] if own in unsafe and (settable or unsafe[own] == UNSAFE_AHEAD) else usual
            message = (f"zegt dat de taak bij de mentor hoort, en {count} van niet, bijvoorbeeld "
                       f"'{rules[first].id}' ({_situations(weight)}); geen van beide is een uitzondering op de ander "
                       f"({_winner(total)}). {fix}")
        findings.append(_at(loaded[rules[own].id], "conflict", message, policy, point, weight))
    return findings


def _about_task_only(rule: Regel) -> bool:
    """Does ``rule`` say something of tasks alone: a condition of only ``taak`` (``niet-meldcode-afwegen``)?"""
    return bool(rule.als.taak) and not any(
        getattr(rule.als, name) for name in type(rule.als).model_fields if name != "taak")


def _summed(weights: Iterable[dict[bool, int]]) -> dict[bool, int]:
    """Situations per verdict over several pairs of rules."""
    total: dict[bool, int] = {}
    for each in weights:
        for verdict, weight in each.items():
            total[verdict] = total.get(verdict, 0) + weight
    return total


def _conflicts_of(policy: Policy, loaded: dict[str, LoadedRule], rule: int,
                  others: list[tuple[int, Point, dict[bool, int]]], unsafe: str | None = None) -> Finding:
    """One ``conflict`` finding at a rule that says 'ja' against the rules of the same files that say 'nee': one
    pair as such, more as one finding with the first as example (a 600-rule overlay gave 27,321 findings, up to 279
    per rule, a trial)."""
    rules = policy.rules
    first, point, _ = others[0]
    total = _summed(weights for _, _, weights in others)
    if len(others) == 1:
        said = f"regel '{rules[first].id}' zegt van niet; geen van beide is een uitzondering op de ander"
    else:
        said = (f"{len(others)} andere regels zeggen van niet, bijvoorbeeld '{rules[first].id}' "
                f"({_situations(sum(others[0][2].values()))}); geen van hen is een uitzondering op deze regel of "
                "andersom")
    ahead = unsafe or "Leg met zet_opzij vast wie voorgaat"
    return _at(loaded[rules[rule].id], "conflict", f"zegt dat de taak bij de mentor hoort, {said} ({_winner(total)}). "
               f"{ahead}", policy, point, sum(total.values()))


#: Cases asked per exception that the domain's pairs never showed at work (a bound on a pathological policy).
MAX_EXCEPTION_CASES = 20_000


def _sets_aside_in_a_pair(policy: Policy, domain: Domain, asked: list[Regel], setter: int, target: int) -> bool:
    """Does a case with two signals (one for each rule) let ``setter`` set ``target`` aside? The domain pairs only
    the signals that rules under ``niet`` or with several signals look at; a kind an overlay adds is often not
    one of them, while the base rule it sets aside holds next to it."""
    cases = itertools.islice(domain.exception_pairs(asked, setter, target), MAX_EXCEPTION_CASES)
    for _, applicable in evaluate(policy, cases):
        if target in applicable and setter in effective(policy.rules, applicable)[0]:
            return True
    return False


def _fewer_safety_kinds(policy: Policy) -> list[Finding]:
    """``minder-veiligheidssignalen``: the policy has kinds of the bundled default without their
    ``veiligheid: ja``, or, sharing most of the default's kinds (a copy), lacks some of its safety kinds.
    An overlay on the default cannot lose either (it only adds kinds, see ``_layers``); one on a copy can."""
    base = layer_chain(policy.path)[0]
    default = default_rules_dir()
    if base.resolve() == default.resolve():
        return []
    theirs = _default_signals(default)
    ours = policy.vocabulary.signalen
    safe = [kind for kind, term in theirs.items() if term.veiligheid]
    unflagged = [kind for kind in safe if kind in ours and not ours[kind].veiligheid]
    copied = 2 * sum(kind in ours for kind in theirs) > len(theirs)
    missing = [kind for kind in safe if kind not in ours] if copied else []
    if not unflagged and not missing:
        return []
    parts = []
    if unflagged:
        parts.append(f"zonder 'veiligheid: ja': {', '.join(unflagged)}")
    if missing:
        parts.append(f"weggehaald: {', '.join(missing)}")
    file = base / VOCABULARY_FILE
    shown = shown_path(file)
    located = read_located(file, shown, []) if file.is_file() else None
    line, column = located.where(("signalen", unflagged[0]), key=True) if located and unflagged else (1, 1)
    lost = len(unflagged) + len(missing)
    message = (f"dit beleid lijkt op het standaardbeleid, maar mist {lost} veiligheidssignaal"
               f"{'en' if lost != 1 else ''} daarvan ({'; '.join(parts)}). Voor zo'n signaal controleert grenzen niet "
               "meer dat het nooit alleen bij de mentor blijft. Zet 'veiligheid: ja' terug, of laat de soort alleen "
               "weg als de school dat bewust zo wil")
    return [Finding("minder-veiligheidssignalen", message, shown, line, column)]


def _misspelt_groups(policy: Policy) -> list[Finding]:
    """``groep-verschrijving``: a group only one kind declares and no rule selects, close to a group in use."""
    kinds = policy.vocabulary.signalen
    declared: dict[str, list[str]] = {}
    for kind, term in kinds.items():
        if term.groep is not None:
            declared.setdefault(term.groep, []).append(kind)
    selected = {group for rule in policy.rules for _, cond in walk(rule.als, ())
                for block in signal_blocks(cond) for group in block.groep or []}
    findings = []
    for group, members in declared.items():
        others = [g for g in declared if g != group and (len(declared[g]) > 1 or g in selected)]
        hint = did_you_mean(group, others)
        if len(members) > 1 or group in selected or hint is None:
            continue
        shown, line, column = _declaration(policy, members[0], "groep")
        findings.append(Finding("groep-verschrijving", f"soort '{members[0]}' is de enige in groep '{group}', en geen "
                                f"regel noemt die groep; {hint} Een 'groep:'-keuze in een regel vindt deze "
                                "soort nu niet", shown, line, column))
    return findings


def _misspelt_destinations(policy: Policy) -> list[Finding]:
    """``bestemming-verschrijving``: a destination no rule names, close to one that a rule names. A trial wrote
    ``zorgcoordinatr`` in its overlay's afspraken.yaml to give the zorgcoördinator a new name: that made a new
    destination, and the advice kept the old name, without a word."""
    named = {key for rule in policy.rules for key in rule.dan.verwijzen_naar}
    findings = []
    for key in policy.agreements.bestemmingen:
        hint = None if key in named else did_you_mean(key, sorted(named))
        if hint is None:
            continue
        shown, line, column = _destination(policy, key)
        findings.append(Finding("bestemming-verschrijving", f"bestemming '{key}' staat in afspraken.yaml, maar geen "
                                f"regel verwijst ernaar; {hint} Dan geldt wat hier staat nu niet voor het advies: "
                                "verbeter de naam", shown, line, column))
    return findings


def _destination(policy: Policy, key: str) -> tuple[str, int, int]:
    """Where a destination is declared: its key in the afspraken.yaml of the last layer that has it."""
    return _declared(policy, (AGREEMENTS_FILE,), ("bestemmingen", key))


def _unflagged_in_safety_groups(policy: Policy) -> list[Finding]:
    """``veiligheidsgroep``: a kind without ``veiligheid: ja`` in a group more than half of whose kinds have it (in
    the default every safety kind is in group ``veiligheid`` and every kind there is one). ``controleer`` does not
    guard a kind that is not flagged, so a school's own kind that lost the flag would otherwise pass unseen."""
    kinds = policy.vocabulary.signalen
    members: dict[str, list[str]] = {}
    for kind, term in kinds.items():
        if term.groep is not None:
            members.setdefault(term.groep, []).append(kind)
    findings = []
    for group, names in members.items():
        flagged = [name for name in names if kinds[name].veiligheid]
        if 2 * len(flagged) <= len(names):
            continue
        for name in names:
            if not kinds[name].veiligheid:
                shown, line, column = _declaration(policy, name, "groep")
                findings.append(Finding(
                    "veiligheidsgroep", f"soort '{name}' staat in groep '{group}' zonder 'veiligheid: ja', terwijl "
                    f"{len(flagged)} van de {len(names) - 1} andere soorten in die groep veiligheidssignalen zijn. "
                    "Voor deze soort controleert grenzen niet dat ze nooit alleen bij de mentor blijft. Zet "
                    "'veiligheid: ja' bij de soort, of kies een andere groep als het geen veiligheidssignaal is",
                    shown, line, column))
    return findings


def _unflagged_but_urgent(policy: Policy) -> list[Finding]:
    """``lijkt-veiligheidssignaal``: a kind without ``veiligheid: ja`` that an absolute rule names (by name, not under
    ``niet``) and refers away today or at once. A trial's own kind had neither the flag nor the group 'veiligheid',
    with absolute rules sending it to extern 'direct', and --streng said "In orde"; a second trial's removed flag took
    'Bel 112' and 'direct' from the advice. A warning: an urgent kind that is no safety signal is rare, and the
    school sees it once."""
    kinds, findings, seen = policy.vocabulary.signalen, [], set()
    for rule in policy.rules:
        if not refers_away(rule) or rule.dan.urgentie not in ("vandaag", "direct"):
            continue
        for block, positive in signals_with_polarity(rule.als):
            for kind in block.soort or () if positive else ():  # named, not under 'niet'
                if kind in kinds and not kinds[kind].veiligheid and kind not in seen:
                    seen.add(kind)
                    shown, line, column = _declaration(policy, kind)
                    findings.append(Finding(
                        "lijkt-veiligheidssignaal", f"soort '{kind}' heeft geen 'veiligheid: ja', maar de absolute "
                        f"regel '{rule.id}' stuurt het door met urgentie '{rule.dan.urgentie}'. Is het een "
                        "veiligheidssignaal? Zet dan 'veiligheid: ja' bij de soort: dan blijft het nooit alleen bij de "
                        "mentor, ook niet als een regel later verandert", shown, line, column))
    return findings


#: A word that tells what a kind is about: 7 letters or more, compared on its first 7 ('loverboy' and 'loverboys').
_TELLING_WORD = re.compile(r"[^\W\d_]{7,}")


def _kinds_alike(policy: Policy) -> list[Finding]:
    """``lijkt-op-soort``: a kind the top layer of an overlay adds that shares a telling word with another kind's
    name or label (a note: the school decides whether they are one thing); ``zelfde-label`` (a warning) when their
    labels are the same. Not for kinds whose names differ only in a number (``project_1``, ``project_2``), and not by
    a word between brackets: "(vermoeden)" says how sure, not what (a trial's 'Krassen of snijden (vermoeden)' was
    said to look like 'Vermoeden van een leerprobleem')."""
    if not is_overlay(policy.path):
        return []
    located = read_located(policy.path / LAYER_FILE, shown_path(policy.path / LAYER_FILE), [])
    declared = (located.data.get("signalen") if located is not None and isinstance(located.data, dict) else None) or {}
    kinds = policy.vocabulary.signalen

    def words(kind: str) -> set[str]:
        return {word[:7] for word in _TELLING_WORD.findall(f"{kind.replace('_', ' ')} {kinds[kind].label}".casefold())}

    def own_words(kind: str) -> set[str]:  # without the qualifiers between its label's brackets
        qualifiers = re.findall(r"\((.*?)\)", kinds[kind].label.casefold())
        return words(kind) - {word[:7] for word in _TELLING_WORD.findall(" ".join(qualifiers))}

    findings = []
    for name in (k for k in declared if k in kinds):
        label = kinds[name].label.casefold()
        same = [other for other in kinds if other != name and kinds[other].label.casefold() == label]
        own = own_words(name)
        alike = [other for other in kinds if other != name and other not in same and own & words(other)
                 and _DIGITS.sub("", other) != _DIGITS.sub("", name)]
        if not same and not alike:
            continue
        shown, line, column = _declaration(policy, name)  # read again per finding, not per kind (a review: 0.9 s)
        if same:
            findings.append(Finding("zelfde-label", f"soort '{name}' heeft hetzelfde label als '{same[0]}' "
                                    f"('{kinds[name].label}'): een mentor ziet twee keer '{kinds[name].label}', met "
                                    "elk een ander advies. Gaat het om hetzelfde, gebruik dan die soort en haal deze "
                                    "weg; anders: geef deze soort een eigen label", shown, line, column))
        if alike:
            others = ", ".join(f"'{other}' ('{kinds[other].label}')" for other in alike[:3])
            findings.append(Finding("lijkt-op-soort", f"soort '{name}' ('{kinds[name].label}') lijkt op {others}. "
                                    "Gaat het om hetzelfde, gebruik dan die soort en haal deze weg: twee soorten voor "
                                    "één ding geven twee verschillende adviezen", shown, line, column))
    return findings


#: A word of a kind's texts, for ``lijkt-op-gevaar``: 6 letters or more.
_WORD = re.compile(r"[^\W\d_]{6,}")


def _words(*texts: str) -> set[str]:
    return {word for text in texts for word in _WORD.findall(text.replace("_", " ").casefold())}


def _sounds_like_danger(policy: Policy) -> list[Finding]:
    """``lijkt-op-gevaar-zonder-reden``: a kind the bundled default does not have, without ``veiligheid: ja``, whose
    name or label holds (perhaps inside a longer word: 'doodsgedachten') a word of a safety kind's name, label or
    description that no ordinary kind of the default uses ('gedachten', 'krassen', not 'leerling'). A trial renamed a
    look-alike of suicidal thoughts refused at load to 'doodsgedachten' ("Gedachten aan de dood (terloops)") and
    self-harm to 'krassen' ("Krassen of snijden"): both passed ``--streng`` and stayed at the mentor. A warning: the
    words hint, only the school knows; a ``# geen gevaar: <reden>`` comment above the kind makes it a note."""
    default = _default_signals(default_rules_dir())
    kinds = policy.vocabulary.signalen
    ordinary = set().union(*(_words(k, t.label, t.omschrijving) for k, t in default.items() if not t.veiligheid))
    telling: dict[str, list[str]] = {}  # word -> the safety kinds whose texts have it
    for kind, term in kinds.items():
        if term.veiligheid:
            for word in _words(kind, term.label, term.omschrijving):
                if not any(word in other for other in ordinary):
                    telling.setdefault(word, []).append(kind)
    findings, files = [], {}
    for name, term in kinds.items():
        if term.veiligheid or name in default:
            continue
        own = _words(name, term.label)
        shared = sorted(word for word in telling if any(word in mine for mine in own))
        if not shared:
            continue
        safe = list(dict.fromkeys(kind for word in shared for kind in telling[word]))
        found = declared_file(policy.path, (LAYER_FILE, VOCABULARY_FILE), ("signalen", name))
        file, line, column = found or (policy.path / VOCABULARY_FILE, 1, 1)
        if str(file) not in files:
            files[str(file)] = lines_of(file)
        reason = comment_reason(files[str(file)], line, NO_DANGER)
        said = (f"soort '{name}' ('{term.label}') heeft geen 'veiligheid: ja', maar gebruikt "
                f"{' en '.join(repr(word) for word in shared[:3])} uit het veiligheidssignaal "
                + ", ".join(f"'{kind}' ('{kinds[kind].label}')" for kind in safe[:2]))
        findings.append(Finding(
            "lijkt-op-gevaar", f"{said}. Volgens de school is het geen gevaar: {reason}", shown_path(file), line,
            column) if reason else Finding(
            "lijkt-op-gevaar-zonder-reden", f"{said}. Gaat deze soort ook over gevaar, zet er dan 'veiligheid: ja' "
            "bij: dan blijft hij nooit alleen bij de mentor. Is het echt geen gevaar, zet dan direct boven de soort "
            "'# geen gevaar: <reden>'", shown_path(file), line, column))
    return findings


def _declaration(policy: Policy, kind: str, *under: str) -> tuple[str, int, int]:
    """Where a signal kind is declared: its key in woordenlijst.yaml or in an overlay's laag.yaml (``under``: a key of
    its entry, such as its 'groep', when the finding is about that)."""
    return _declared(policy, (LAYER_FILE, VOCABULARY_FILE), ("signalen", kind, *under))


def _declared(policy: Policy, names: tuple[str, ...], where: tuple[str, ...]) -> tuple[str, int, int]:
    """(file, line, column) of ``where`` in the policy's layers (``declared_in``)."""
    return declared_in(policy.path, names, where)


@functools.lru_cache(maxsize=4)
def _default_signals(directory: Path) -> dict[str, Any]:
    """The signal kinds of the bundled default's vocabulary (read once)."""
    file = directory / VOCABULARY_FILE
    located = read_located(file, shown_path(file), [])
    vocabulary = None if located is None else parse_model(Woordenlijst, located.data, located, str(file), [])
    return dict(vocabulary.signalen) if vocabulary is not None else {}


def condition_rules(policy: Policy) -> list[Regel]:
    """The policy's rules as the engine reads their conditions: signal selectors (``groep``, ``veiligheid``)
    resolved to kind lists. The one place the analysis gets the kinds a signal condition can match."""
    return getattr(policy, "resolved_rules", policy.rules)


def _placeholder_sources(policy: Policy) -> list[Finding]:
    """``bron-invullen``: a rule of the writer whose source is still the one of ``grenzen nieuw``'s example rule."""
    from ._scaffold import PLACEHOLDER

    writer = {policy.rules[index].id for index in _writer_rules(policy)}
    findings = []
    for item in policy.source.rules:
        if item.rule.id in writer and PLACEHOLDER in item.rule.bron:
            line, column = item.located.where((*item.path, "bron"))
            findings.append(Finding("bron-invullen", "de bron is nog die van de voorbeeldregel van grenzen nieuw; het "
                                    "beleidsdocument toont hem zo bij de regel. Schrijf waar de afspraak staat, "
                                    "bijvoorbeeld 'Zorgplan 2025, paragraaf 3'", item.file, line, column, item.rule.id))
    return findings


def _writer_rules(policy: Policy) -> set[int]:
    """Indexes of the rules in the files the policy's writer edits: every rule of a full policy, only the top
    layer's rules of an overlay (the base's files are not theirs)."""
    layers = policy.source.rule_layers
    if not layers:
        return set(range(len(policy.rules)))
    top = _layer_label(policy.path)
    return {i for i, rule in enumerate(policy.rules) if layers.get(rule.id) == top}


@dataclass
class _Kept:
    """Situations where an absolute rule refers the case away and the mentor keeps the task or a rule's steps."""

    task: str
    away: int  # the first absolute rule that refers the case away (policy order)
    point: Point
    keepers: set[int] = field(default_factory=set)  # the absolute rules that keep the task or steps at the mentor
    weight: int = 0
    verdict: bool = False  # in the counterexample the advice says the task is the mentor's


def _record_kept(table: dict[tuple[str, tuple[int, ...]], _Kept], policy: Policy, point: Point,
                 judgement: _Judgement) -> None:
    """Point 3 of issue 10: every situation where an absolute rule refers the case away from the mentor while the
    advice still says the task is the mentor's or keeps a mentor-route rule's steps. The combiner sets aside every
    non-absolute mentor-route rule there and lets only absolute rules decide the verdict, so what is left is what
    absolute rules ask for: counted per task and rule, one counterexample each."""
    keepers = judgement.keepers
    if not keepers:
        return
    task = point.context.task  # the case's task (its dict is built only for examples)
    entry = table.get((task, keepers))
    if entry is None:
        entry = table[(task, keepers)] = _Kept(task, judgement.away[0], point, set(keepers), 0, judgement.verdict)
    elif judgement.verdict and not entry.verdict:  # prefer a counterexample that shows the verdict too
        entry.away, entry.point, entry.verdict = judgement.away[0], point, True
    entry.weight += point.weight


def _kept_findings(policy: Policy, table: dict[tuple[str, tuple[int, ...]], _Kept],
                   loaded: dict[str, LoadedRule], fixed: AbstractSet[int] = frozenset()) -> list[Finding]:
    """``mentor-bij-gevaar``: one finding per task and rule that keeps the mentor in a case referred away; not for the
    rules in ``fixed`` (``veiligheid-vast-bij-mentor`` says it, once: a trial got 22 notes beside it)."""
    rules = policy.rules
    merged: dict[tuple[str, int], _Kept] = {}
    for entry in table.values():
        for keeper in sorted(entry.keepers):
            first = merged.get((entry.task, keeper))
            if first is None:
                merged[(entry.task, keeper)] = _Kept(entry.task, entry.away, entry.point, {keeper}, entry.weight,
                                                     entry.verdict)
                continue
            first.weight += entry.weight
            if entry.verdict and not first.verdict:
                first.away, first.point, first.verdict = entry.away, entry.point, True
    findings = []
    files: dict[str, list[str]] = {}  # read again for the comments (the YAML reader drops them)
    for (task, keeper), entry in merged.items():
        if keeper in fixed:
            continue
        rule = rules[keeper]
        item = loaded[rule.id]
        reasoned = danger_reason(item, files) is not None
        parts = []
        if rule.dan.route == "mentor" and rule.dan.mentor_doet:
            parts.append(f"houdt stappen voor de mentor ('{rule.dan.mentor_doet[0]}')")
        if entry.verdict and rule.dan.taak_hoort_bij_mentor is True:
            parts.append("zegt dat de taak bij de mentor hoort")
        what = " en ".join(parts)
        message = (f"{what} bij taak '{task}', ook als een absolute regel de casus wegstuurt van de mentor "
                   f"(bijvoorbeeld '{rules[entry.away].id}', route {rules[entry.away].dan.route}; "
                   f"{_situations(entry.weight)}). Dat komt doordat deze regel absoluut is: zo staat het in het "
                   "beleid. Hoort de taak bij gevaar niet bij de mentor, haal dan 'absoluut: ja' weg: dan zet de "
                   "doorverwijzing deze regel opzij")
        if rule.absoluut and rule.dan.route != "mentor":
            message = (f"stuurt de casus weg van de mentor en zegt toch dat taak '{task}' bij de mentor hoort "
                       f"({_situations(entry.weight)}). Klopt dat niet, haal taak_hoort_bij_mentor dan weg")
        if not reasoned:
            message += (". Is het zo bedoeld (zoals signaleren en eerste opvang), zet dan direct boven 'absoluut: ja' "
                        "de regel '# ook bij gevaar: <reden>'")
        findings.append(_at(item, "mentor-bij-gevaar" if reasoned else "mentor-bij-gevaar-zonder-reden", message,
                            policy, entry.point, entry.weight))
    return findings


def _listed(ids: list[str]) -> str:
    """Rule ids in a Dutch sentence: "'a'", "'a' en 'b'", "'a', 'b' en 'c'"."""
    quoted = [f"'{name}'" for name in ids]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " en " + quoted[-1]


def _asks_about(rule: Regel, kind: str) -> bool:
    return any(kind in (block.soort or []) for _, cond in walk(rule.als, ()) for block in signal_blocks(cond))


def _count(table: dict[Any, tuple[Point, int]], key: Any, point: Point) -> None:
    first = table.get(key)
    table[key] = (point, point.weight) if first is None else (first[0], first[1] + point.weight)


def _now(policy: Policy, point: Point) -> dict[str, Any]:
    return _fields_of(policy.advise(point.case))


def _fields_of(advice: Advies) -> dict[str, Any]:
    """What a counterexample's ``verwacht`` says of an advice."""
    return {
        "route": advice.route,
        "urgentie": advice.urgentie,
        "taak_hoort_bij_mentor": advice.taak_hoort_bij_mentor,
        "regels": [r.regel for r in advice.redenen if r.regel != FALLBACK.regel],
    }


def _at(item: LoadedRule, kind: str, message: str, policy: Policy | None = None, point: Point | None = None,
        count: int = 0) -> Finding:
    return Finding(kind, message, item.file, item.line, item.column, item.rule.id,
                   point.case if point else None, _now(policy, point) if policy and point else None, count)
