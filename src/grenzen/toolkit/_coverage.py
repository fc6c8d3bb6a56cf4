"""``grenzen test``: the example cases of a rules directory, with rule coverage."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .._errors import Problem
from ..pipeline._load import LoadedRule, rule_files, shown_path
from ..pipeline._policy import Policy, load_policy
from ._examples import Outcome, run_examples


@dataclass
class TestReport:
    """Outcomes of the examples, and per rule in how many examples it applied (set aside counts too:
    ``exercised``) and in how many it stayed in the advice (``counted``)."""

    outcomes: list[Outcome]
    problems: list[Problem]
    rules: list[LoadedRule]
    exercised: dict[str, int] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    unreadable: int = 0  # examples, or whole example files, that could not be read: each counts as failed

    __test__ = False  # not a pytest test class

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def never(self) -> list[LoadedRule]:
        return [item for item in self.rules if not self.exercised.get(item.rule.id)]

    @property
    def coverage(self) -> float:
        """Percentage of rules exercised by at least one example (100 for a policy without rules)."""
        if not self.rules:
            return 100.0
        return 100.0 * (len(self.rules) - len(self.never)) / len(self.rules)

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and not self.failed and not self.problems and not self.unreadable


def run_tests(policy: Policy | str | Path | None = None, examples: Path | None = None) -> TestReport:
    """Run the examples of a policy (a ``Policy``, a rules directory, or ``None`` for the bundled policy)."""
    started = time.perf_counter()
    if not isinstance(policy, Policy):
        policy = load_policy(policy)
    outcomes, problems, unreadable = run_examples(policy, examples)
    rules = list(policy.source.rules)
    if len(policy.layers) > 1:  # a school overlay: its examples cover its own rules, not the base policy's
        own = {shown_path(path) for path in rule_files(policy.path)}
        rules = [item for item in rules if item.file in own]
    exercised = {item.rule.id: 0 for item in rules}
    counted = dict(exercised)
    for outcome in outcomes:
        if outcome.advice is None:
            continue
        kept = {r.regel for r in outcome.advice.redenen}
        for rule in kept | {o.regel for o in outcome.advice.opzij_gezet}:
            if rule in exercised:
                exercised[rule] += 1
                counted[rule] += rule in kept
    return TestReport(outcomes, problems, rules, exercised, counted, time.perf_counter() - started, unreadable)


def coverage_text(report: TestReport) -> str:
    """Per rule whether an example exercises it, and the percentage, in Dutch."""
    lines = ["Dekking per regel:"]
    aside_only = 0
    for item in report.rules:
        count = report.exercised.get(item.rule.id, 0)
        examples = f"{count} voorbeeld{'en' if count != 1 else ''}"
        if count and not report.counted.get(item.rule.id):  # a trial read 100% as every rule taking part
            aside_only += 1
            lines.append(f"  alleen opzij    {item.rule.id} ({examples}): geldt, maar telt in geen voorbeeld mee")
        elif count:
            lines.append(f"  geoefend        {item.rule.id} ({examples})")
        else:
            lines.append(f"  NOOIT GEOEFEND  {item.rule.id} ({item.file}:{item.line})")
    covered = len(report.rules) - len(report.never)
    lines.append(f"Dekking: {covered} van {len(report.rules)} regels geoefend ({_percent(report.coverage)})"
                 + (f"; {aside_only} daarvan alleen opzij gezet" if aside_only else ""))
    return "\n".join(lines)


def _percent(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + "%"
