"""The durable_rules path agrees exactly with the reference evaluator on generated policies and cases."""

from __future__ import annotations

import json
import os
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import engine_advice_fields, reference_advice
from strategies import cases, policy_dir, rule_sets

import grenzen
from grenzen import Casus
from grenzen.pipeline import _compile

LIMIT_MESSAGES = ("onder 'niet' mag een signaal", "te ingewikkeld")


def _load(rules):
    with policy_dir(rules) as directory:
        try:
            return grenzen.load_policy(directory)
        except grenzen.PolicyError as exc:
            # generated policies may hit the documented compile limits, and nothing else
            assert all(any(m in p.message for m in LIMIT_MESSAGES) for p in exc.problems), exc
            assume(False)


def _agree(policy, raw_cases):
    for raw in raw_cases:
        case = Casus.model_validate(raw)
        expected = reference_advice(policy.rules, policy.agreements, case)
        got = engine_advice_fields(policy.advise(case))
        assert got == expected, (raw, [r.id for r in policy.rules])


@pytest.mark.slow
@given(rule_sets(), st.lists(cases, min_size=1, max_size=25))
@settings(max_examples=int(os.environ.get("GRENZEN_DIFF_EXAMPLES", "300")))
def test_engine_agrees_with_reference(rules, raw_cases):
    _agree(_load(rules), raw_cases)


@pytest.mark.slow
@given(rule_sets(min_rules=10, max_rules=40), st.lists(cases, min_size=20, max_size=60))
@settings(max_examples=int(os.environ.get("GRENZEN_DIFF_SLOW_EXAMPLES", "40")))
def test_engine_agrees_with_reference_on_larger_policies(rules, raw_cases):
    _agree(_load(rules), raw_cases)


@pytest.mark.slow
@given(rule_sets(min_rules=2, max_rules=12), st.lists(cases, min_size=5, max_size=30), st.integers(0, 8))
@settings(max_examples=int(os.environ.get("GRENZEN_DIFF_EXAMPLES", "300")) // 2)
def test_engine_agrees_with_reference_whatever_the_room_for_marks(rules, raw_cases, room):
    # a policy with more signal blocks than the fact has room for gives marks to the first ones (here at most
    # ``room``) and keeps the list layout for the others: both layouts side by side in one policy
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_compile, "mark_room", lambda blocks, counts: room)
        patch.setattr(_compile, "ruleset_room", lambda counts: 0)  # no fact per ruleset either
        policy = _load(rules)
    compiled = policy._compiled
    # (a policy whose marks no engine rule tests, its blocks folded away, fits a fact per ruleset even with no room;
    # so does one whose every rule never holds: it has no ruleset at all, ``ruleset_marks == []``)
    assert len(compiled.marks) <= room or (compiled.ruleset_marks is not None
                                           and all(not own for own in compiled.ruleset_marks))
    _agree(policy, raw_cases)


@pytest.mark.slow
@given(rule_sets(min_rules=4, max_rules=16), st.lists(cases, min_size=5, max_size=30))
@settings(max_examples=int(os.environ.get("GRENZEN_DIFF_EXAMPLES", "300")) // 2)
def test_engine_agrees_with_reference_with_a_fact_per_ruleset(rules, raw_cases):
    # a policy whose blocks do not all fit in one fact, but each ruleset's do: every block has a mark and each
    # ruleset gets a fact with only its own marks; here rulesets of at most 2 groups of 2 rules, so that generated
    # policies have several, split by task
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_compile, "mark_room", lambda blocks, counts: 0)
        patch.setattr(_compile, "RULES_PER_GROUP", 2)
        patch.setattr(_compile, "GROUPS_PER_RULESET", 2)
        policy = _load(rules)
    marks = policy._compiled.ruleset_marks
    assert marks is None or len(marks) == len(policy._compiled.rulesets)
    _agree(policy, raw_cases)
    if marks is not None:  # each ruleset's fact carries exactly its own marks that the case sets (read from bits)
        compiled = policy._compiled
        for raw in raw_cases:
            case = Casus.model_validate(raw)
            chosen = set().union(*_compile._fact_parts(case, compiled)[1])
            facts = [json.loads(text) for text in _compile.fact_texts(case, compiled, None)]
            assert [{key for key in fact if re.fullmatch(_compile.MARK + r"\d+", key)} for fact in facts] == [
                {compiled.marks[n][0] for n in own & chosen} for own in marks]


@pytest.mark.slow
@given(rule_sets(), st.lists(cases, min_size=1, max_size=15), st.sampled_from(["a", "b"]))
@settings(max_examples=150)
def test_engine_agrees_with_reference_when_a_kind_is_marked_safety(rules, raw_cases, kind):
    import tempfile
    from pathlib import Path

    from strategies import VOCABULARY, write_policy

    vocabulary = {**VOCABULARY, "signalen": {**VOCABULARY["signalen"], kind: {"label": "X", "omschrijving": "x", "veiligheid": "ja"}}}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            policy = grenzen.load_policy(write_policy(Path(tmp) / "r", rules, vocabulary=vocabulary))
        except grenzen.PolicyError:
            assume(False)
    for raw in raw_cases:
        case = Casus.model_validate(raw)
        expected = reference_advice(policy.rules, policy.agreements, case, frozenset({kind}))
        assert engine_advice_fields(policy.advise(case)) == expected
        if any(s.soort == kind for s in case.signalen):
            assert expected["route"] != "mentor"


@pytest.mark.slow
@given(rule_sets(min_rules=2, max_rules=16), st.sampled_from(["a", "b", "c", "d"]), st.integers(1, 4),
       st.none() | st.integers(0, 12))
@settings(max_examples=200)
def test_a_signal_sets_every_mark_that_selects_it(rules, kind, rank, weeks):
    # the marks a signal sets come from the marks its kind allows (``Compiled.kind_marks``, made once per kind): they
    # must be exactly the marks whose selection it meets, in mark order
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_compile, "mark_room", lambda blocks, counts: 0)  # a fact per ruleset: every block has a mark
        policy = _load(rules)
    compiled = policy._compiled
    every = tuple(n for n, (_, chosen) in enumerate(compiled.marks) if _compile.selects(chosen, kind, rank, weeks))
    assert _compile._signal_texts(kind, rank, weeks, compiled)[2] == every
