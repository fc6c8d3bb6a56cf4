"""``grenzen verschil``: what a new version of a policy changes, on the examples and on the enumerated domain."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._analysis import advice_for, evaluate, safety_kinds
from ._domain import Point, build_domain
from ._errors import CaseError, GrenzenError
from ._examples import read_examples
from ._policy import Policy, load_policy

FIELDS = ("route", "urgentie", "taak_hoort_bij_mentor")


@dataclass
class Change:
    """One kind of change (a field going from one value to another), counted, with one example case."""

    field: str
    old: Any
    new: Any
    cases: int = 0  # enumerated cases or examples
    weight: int = 0  # grid points (domain only)
    case: dict[str, Any] | None = None
    example: str | None = None  # name and place of the first example that shows it


@dataclass
class Comparison:
    """The result of ``compare_policies``."""

    old: Policy
    new: Policy
    examples: list[Change] = field(default_factory=list)
    domain: list[Change] = field(default_factory=list)
    examples_run: int = 0
    examples_changed: int = 0
    examples_skipped: int = 0  # cases one of the versions cannot read (e.g. a kind it does not know)
    domain_cases: int = 0
    domain_changed: int = 0
    rules_added: list[str] = field(default_factory=list)
    rules_removed: list[str] = field(default_factory=list)
    rules_changed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def load_version(spec: str | Path | Policy, stack: contextlib.ExitStack) -> Policy:
    """A policy from a directory, or from a git revision written as ``REV:PATH`` (e.g. ``HEAD~1:rules``).

    A revision is extracted into a temporary directory that lives as long as ``stack``: the comparison reads
    that version's examples from it after loading.
    """
    if isinstance(spec, Policy):
        return spec
    path = Path(spec)
    if path.is_dir() or ":" not in str(spec):
        return load_policy(path)
    tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="grenzen-"))
    try:
        result = subprocess.run(["git", "archive", "--format=tar", str(spec)], capture_output=True, check=False,
                                timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        raise GrenzenError(f"Kan git niet starten om versie '{spec}' te lezen.") from None
    if result.returncode != 0:
        raise GrenzenError(f"Git kent de versie '{spec}' niet. Schrijf REVISIE:MAP, bijvoorbeeld HEAD~1:rules.")
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        archive.extractall(tmp, filter="data")
    return load_policy(Path(tmp))


def compare_policies(old: str | Path | Policy, new: str | Path | Policy, pairs: bool = True) -> Comparison:
    """Compare two versions of a policy on every example of both and on their common enumerated domain."""
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:  # extracted git revisions stay until their examples have run
        before, after = load_version(old, stack), load_version(new, stack)
        result = Comparison(before, after)
        _rules_diff(result)
        _examples(result)
    common = [
        [k for k in getattr(after.vocabulary, table) if k in getattr(before.vocabulary, table)]
        for table in ("signalen", "taken", "scholing")
    ]
    domain = build_domain([before.rules, after.rules], *common, safety=safety_kinds(before) | safety_kinds(after))
    groups: dict[tuple[str, Any, Any], Change] = {}
    outcomes_old: dict[Any, tuple[Any, ...]] = {}
    outcomes_new: dict[Any, tuple[Any, ...]] = {}
    pairs_new = evaluate(after, domain.points(pairs), {})
    for (point, applicable_old), (_, applicable_new) in zip(evaluate(before, domain.points(pairs), {}), pairs_new):
        result.domain_cases += 1
        changed = False
        for name, was, now in zip(FIELDS, _outcome(before, point, applicable_old, outcomes_old),
                                  _outcome(after, point, applicable_new, outcomes_new)):
            if was != now:
                changed = True
                change = groups.setdefault((name, was, now), Change(name, was, now, case=point.case))
                change.cases += 1
                change.weight += point.weight
        result.domain_changed += changed
    result.domain = _ordered(groups)
    result.seconds = time.perf_counter() - started
    return result


def _outcome(policy: Policy, point: Point, applicable: tuple[int, ...], cache: dict[Any, tuple[Any, ...]],
             ) -> tuple[Any, ...]:
    """Route, urgency and task verdict, as the policy's own combiner gives them (safety guard included)."""
    key = (applicable, point.safety)
    found = cache.get(key)
    if found is None:
        advice = advice_for(policy, applicable, point)
        found = cache[key] = tuple(getattr(advice, name) for name in FIELDS)
    return found


def _rules_diff(result: Comparison) -> None:
    old = {r.id: r.model_dump_json() for r in result.old.rules}
    new = {r.id: r.model_dump_json() for r in result.new.rules}
    result.rules_added = [r for r in new if r not in old]
    result.rules_removed = [r for r in old if r not in new]
    result.rules_changed = [r for r in new if r in old and old[r] != new[r]]


def _examples(result: Comparison) -> None:
    seen: set[str] = set()
    groups: dict[tuple[str, Any, Any], Change] = {}
    for policy in (result.new, result.old):
        for examples in read_examples(policy.path, []):
            path, located = examples.path, examples.located
            for index, example in enumerate(examples.voorbeelden):
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
                for name in FIELDS:
                    if getattr(was, name) != getattr(now, name):
                        changed = True
                        line, _ = located.where(("voorbeelden", index))
                        change = groups.setdefault(
                            (name, getattr(was, name), getattr(now, name)),
                            Change(name, getattr(was, name), getattr(now, name), case=example.casus,
                                   example=f"'{example.naam}' ({path.name}:{line})"),
                        )
                        change.cases += 1
                result.examples_changed += changed
    result.examples = _ordered(groups)


def _ordered(groups: dict[tuple[str, Any, Any], Change]) -> list[Change]:
    return sorted(groups.values(), key=lambda c: (FIELDS.index(c.field), -c.cases, str(c.old), str(c.new)))
