"""Static analysis of a policy over its finite domain (``grenzen controleer``).

Every enumerated case (see ``_domain``) is put to the engine (``Policy.applicable``); Python only combines what
fired, exactly as ``Policy.advise`` does. Findings:

=========================  ============  ==========================================================
kind                       level         meaning
=========================  ============  ==========================================================
``nooit-van-toepassing``   fout          no case in the domain makes the rule apply
``tegenstrijdig``          fout          one advice tells the mentor to do and not to do the same
``overschaduwd``           waarschuwing  the rule applies, but removing it never changes an advice
``uitzondering-zonder-effect``  waarschuwing  ``zet_opzij`` names a rule it never sets aside
``conflict``               waarschuwing  one rule says the task belongs to the mentor, another that it
                                         does not, and neither is an exception to the other
``niet-gedekt``            waarschuwing  no rule applies: the advice is the fallback
=========================  ============  ==========================================================
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ._combine import effective
from ._domain import Domain, Point, build_domain
from ._load import LoadedRule
from ._models import ROUTE_RANG, URGENTIE_RANG
from ._policy import Policy
from ._rulefile import Regel
from ._yaml_out import example_yaml, indent

ERROR, WARNING = "fout", "waarschuwing"
LEVELS = {
    "nooit-van-toepassing": ERROR,
    "tegenstrijdig": ERROR,
    "overschaduwd": WARNING,
    "uitzondering-zonder-effect": WARNING,
    "conflict": WARNING,
    "niet-gedekt": WARNING,
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
        return head + "\n    Tegenvoorbeeld (plak in voorbeelden/):\n" + indent(example, 6)


@dataclass
class Analysis:
    """The result of ``analyse_policy``."""

    findings: list[Finding]
    cases: int  # enumerated cases
    engine_calls: int
    seconds: float
    domain: Domain = field(repr=False)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]


@dataclass
class _Seen:
    """What happened to one rule over the domain."""

    applies: Point | None = None
    changes: bool = False
    idle: Point | None = None  # a case where it applies but changes nothing
    idle_by: list[str] = field(default_factory=list)


def decision(rules: list[Regel], kept: list[int]) -> tuple[Any, ...] | None:
    """The parts of an advice a rule can change (everything but the list of reasons); None: fallback."""
    if not kept:
        return None
    chosen = [rules[i].dan for i in kept]
    verdicts = [d.taak_hoort_bij_mentor for d in chosen]
    return (
        max((d.route for d in chosen), key=ROUTE_RANG.__getitem__),
        max((d.urgentie for d in chosen), key=URGENTIE_RANG.__getitem__),
        False not in verdicts and True in verdicts,
        any(d.toestemming for d in chosen),
        frozenset(s for d in chosen for s in d.mentor_doet),
        frozenset(s for d in chosen for s in d.mentor_doet_niet),
        frozenset(s for d in chosen for s in d.verwijzen_naar),
    )


def evaluate(policy: Policy, points: Any, cache: dict[tuple[Any, ...], tuple[int, ...]] | None = None,
             ) -> Any:
    """(point, applicable rule indexes) for each point, asking the engine once per class of cases."""
    cache = {} if cache is None else cache
    for point in points:
        applicable = cache.get(point.key) if point.key else None
        if applicable is None:
            applicable = tuple(policy.applicable(policy.validate_case(point.case)))
            if point.key:
                cache[point.key] = applicable
        yield point, applicable


def analyse_policy(policy: Policy, pairs: bool = True) -> Analysis:
    """Enumerate the policy's domain in the engine and report gaps, shadows, dead rules and conflicts."""
    started = time.perf_counter()
    rules = policy.rules
    vocab = policy.vocabulary
    domain = build_domain([rules], list(vocab.signalen), list(vocab.taken), list(vocab.scholing))
    seen = [_Seen() for _ in rules]
    used_exceptions: set[tuple[int, int]] = set()
    uncovered: dict[str, tuple[Point, int]] = {}
    contradictions: dict[tuple[str, int, int], tuple[Point, int]] = {}
    conflicts: dict[tuple[int, int], tuple[Point, int]] = {}
    judged: dict[tuple[int, ...], _Judgement] = {}
    cache: dict[tuple[Any, ...], tuple[int, ...]] = {}
    cases = 0
    for point, applicable in evaluate(policy, domain.points(pairs), cache):
        cases += 1
        judgement = judged.get(applicable)
        if judgement is None:
            judgement = judged[applicable] = _judge(rules, applicable)
        if not judgement.kept:
            _count(uncovered, point.case["taak"], point)
            continue
        for i in applicable:
            if seen[i].applies is None:
                seen[i].applies = point
        for i in judgement.changers:
            seen[i].changes = True
        for i, by in judgement.idle.items():
            if seen[i].idle is None:
                seen[i].idle, seen[i].idle_by = point, by
        used_exceptions |= judgement.used
        for key in judgement.contradictions:
            _count(contradictions, key, point)
        for key in judgement.conflicts:
            _count(conflicts, key, point)

    findings: list[Finding] = []
    loaded = {item.rule.id: item for item in policy.source.rules}
    for index, rule in enumerate(rules):
        item = loaded[rule.id]
        state = seen[index]
        if state.applies is None:
            findings.append(_at(item, "nooit-van-toepassing",
                                "geen enkele situatie in het domein laat deze regel gelden; "
                                "controleer of de voorwaarden elkaar niet uitsluiten"))
        elif not state.changes and state.idle is not None:
            by = ", ".join(f"'{r}'" for r in state.idle_by)
            findings.append(_at(item, "overschaduwd",
                                f"de regel verandert nooit een advies: waar hij geldt, geven {by} al hetzelfde "
                                "of zetten hem opzij", policy, state.idle))
    for index, rule in enumerate(rules):
        for target in rule.zet_opzij:
            target_index = next((i for i, r in enumerate(rules) if r.id == target), None)
            if target_index is None or (index, target_index) in used_exceptions or seen[index].applies is None:
                continue
            findings.append(_at(loaded[rule.id], "uitzondering-zonder-effect",
                                f"zet '{target}' opzij, maar waar deze regel geldt, geldt '{target}' nooit",
                                policy, seen[index].applies))
    for (sentence, a, b), (point, weight) in contradictions.items():
        findings.append(_at(loaded[rules[a].id], "tegenstrijdig",
                            f"'{sentence}' staat bij mentor_doet, en regel '{rules[b].id}' zet het bij "
                            "mentor_doet_niet; beide gelden samen", policy, point, weight))
    for (a, b), (point, weight) in conflicts.items():
        findings.append(_at(loaded[rules[a].id], "conflict",
                            f"zegt dat de taak bij de mentor hoort, regel '{rules[b].id}' zegt van niet; geen van "
                            "beide is een uitzondering op de ander (nu wint 'nee'). Leg met zet_opzij vast wie voorgaat",
                            policy, point, weight))
    for task, (point, weight) in uncovered.items():
        findings.append(Finding("niet-gedekt", f"bij taak '{task}' geldt in {weight} situatie(s) geen enkele regel; "
                                "het advies valt terug op het zorgteam", _vocabulary_file(policy), 1,
                                case=point.case, expected=_now(policy, point), count=weight))
    order = list(LEVELS)
    findings.sort(key=lambda f: (order.index(f.kind), f.file, f.line, f.message))
    return Analysis(findings, cases, len(cache), time.perf_counter() - started, domain)


@dataclass
class _Judgement:
    kept: list[int]
    changers: set[int]
    idle: dict[int, list[str]]
    used: set[tuple[int, int]]
    contradictions: list[tuple[str, int, int]]
    conflicts: list[tuple[int, int]]


def _judge(rules: list[Regel], applicable: tuple[int, ...]) -> _Judgement:
    kept, aside = effective(rules, applicable)
    whole = decision(rules, kept)
    changers: set[int] = set()
    idle: dict[int, list[str]] = {}
    for i in applicable:
        without = [j for j in applicable if j != i]
        if decision(rules, effective(rules, without)[0]) != whole:
            changers.add(i)
        else:
            others = [rules[j].id for j in kept if j != i][:3]
            idle[i] = others
    kept_ids = {rules[i].id: i for i in kept}
    present = {rules[i].id: i for i in applicable}
    used = {(kept_ids[rules[j].id], present[t]) for j in kept for t in rules[j].zet_opzij if t in present}
    contradictions = [
        (sentence, a, b)
        for a in kept for sentence in rules[a].dan.mentor_doet
        for b in kept if sentence in rules[b].dan.mentor_doet_niet
    ]
    related = {(a, b) for a, b in used} | {(b, a) for a, b in used}
    conflicts = [
        (a, b)
        for a in kept if rules[a].dan.taak_hoort_bij_mentor is True
        for b in kept if rules[b].dan.taak_hoort_bij_mentor is False and (a, b) not in related
    ]
    return _Judgement(kept, changers, idle, used, contradictions, conflicts)


def _count(table: dict[Any, tuple[Point, int]], key: Any, point: Point) -> None:
    first = table.get(key)
    table[key] = (point, point.weight) if first is None else (first[0], first[1] + point.weight)


def _now(policy: Policy, point: Point) -> dict[str, Any]:
    advice = policy.advise(point.case)
    return {
        "route": advice.route,
        "urgentie": advice.urgentie,
        "taak_hoort_bij_mentor": advice.taak_hoort_bij_mentor,
        "regels": [r.regel for r in advice.redenen if r.regel != "geen-regel-van-toepassing"],
    }


def _at(item: LoadedRule, kind: str, message: str, policy: Policy | None = None, point: Point | None = None,
        count: int = 0) -> Finding:
    return Finding(kind, message, item.file, item.line, item.column, item.rule.id,
                   point.case if point else None, _now(policy, point) if policy and point else None, count)


def _vocabulary_file(policy: Policy) -> str:
    from ._load import VOCABULARY_FILE, _shown

    return _shown(policy.path / VOCABULARY_FILE)
