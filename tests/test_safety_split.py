"""The load-time safety check asks the whole engine only where a rule could tell the cases apart (``_safety._Split``);
its problems are exactly those of the plain check that asks the whole engine every case."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import strategies
from hypothesis import HealthCheck, given, settings

import grenzen
from grenzen._models import Casus
from grenzen.pipeline._load import Source, load_source
from grenzen.pipeline._policy import Policy
from grenzen.pipeline._safety import _left_at_mentor, _problem, safety_problems
from grenzen.pipeline._validate import validate

# the generated vocabulary with two safety kinds, so that generated policies can leave one at the mentor
VOCABULARY = copy.deepcopy(strategies.VOCABULARY)
VOCABULARY["signalen"]["a"]["veiligheid"] = "ja"
VOCABULARY["signalen"]["c"]["veiligheid"] = "ja"


def plain_safety_problems(policy: Policy, source) -> list[grenzen.Problem]:
    """The check as it was written first: every safety kind at acuut, every task, every training, the whole engine."""
    vocabulary = policy.vocabulary
    trainings: list[list[str]] = [[]] + [[t] for t in vocabulary.scholing] + ([list(vocabulary.scholing)] if vocabulary.scholing else [])
    by_id = {item.rule.id: item for item in source.rules}
    problems = []
    for kind, term in vocabulary.signalen.items():
        if not term.veiligheid:
            continue
        for task in vocabulary.taken:
            # the guard gave the advice and the rules left the case at the mentor (or did not cover it): not where
            # it acts over a referral that is not absolute
            failing = next(((training, advice) for training in trainings
                            if _left_at_mentor(advice := policy.advise(
                                {"taak": task, "signalen": [{"soort": kind, "ernst": "acuut"}],
                                 "mentor": {"scholing": training}}))), None)
            if failing is not None:
                problems.append(_problem(source, by_id, kind, task, *failing))
                break
    return problems


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(rules=strategies.rule_sets(max_rules=12))
def test_the_split_check_finds_what_the_plain_check_finds(rules):
    with tempfile.TemporaryDirectory() as tmp:
        source = load_source(strategies.write_policy(Path(tmp) / "regels", rules, vocabulary=VOCABULARY))
        if source.problems or validate(source):
            return
        policy = Policy(source)
        assert safety_problems(policy, source) == plain_safety_problems(policy, source)


def test_the_split_check_on_the_default_policy_and_an_overlay():
    for path in (None, Path(__file__).parent / "fixtures" / "school"):
        policy = grenzen.load_policy(path)
        assert safety_problems(policy, policy.source) == plain_safety_problems(policy, policy.source) == []


def test_the_split_check_finds_the_same_problem_where_a_rule_leaves_a_safety_kind_at_the_mentor():
    rules = [{"id": "t1-mentor", "titel": "T1", "bron": "b", "als": {"alle": [{"taak": "t1"}, {"scholing": "x"}]},
              "dan": {"route": "mentor", "uitleg": "u"}},
             {"id": "c-weg", "titel": "C", "bron": "b", "absoluut": "ja", "als": {"signaal": {"soort": "c"}},
              "dan": {"route": "extern", "uitleg": "u"}},
             {"id": "a-mentor", "titel": "A", "bron": "b", "als": {"alle": [{"taak": "t2"}, {"signaal": {"soort": "a"}}]},
              "dan": {"route": "mentor", "uitleg": "u"}}]
    with tempfile.TemporaryDirectory() as tmp:
        source = load_source(strategies.write_policy(Path(tmp) / "regels", rules, vocabulary=VOCABULARY))
        policy = Policy(source)
        plain = plain_safety_problems(policy, source)
        assert safety_problems(policy, source) == plain
    assert [p.code for p in plain] == ["veiligheid-bij-mentor"] and "'a'" in plain[0].message  # nothing refers a


def _policy_of(tmp: str, rules: list[dict]) -> tuple[Policy, Source]:
    source = load_source(strategies.write_policy(Path(tmp) / "regels", rules, vocabulary=VOCABULARY))
    assert not source.problems and not validate(source)
    return Policy(source), source


def test_an_absolute_referral_for_the_safety_kinds_settles_them_with_one_engine_call_each(monkeypatch):
    rules = [{"id": "veilig", "titel": "V", "bron": "b", "absoluut": "ja", "als": {"signaal": {"soort": ["a", "c"]}},
              "dan": {"route": "zorgteam", "uitleg": "u"}},
             {"id": "t1-mentor", "titel": "T1", "bron": "b", "als": {"alle": [{"taak": "t1"}, {"scholing": "x"}]},
              "dan": {"route": "mentor", "uitleg": "u"}}]
    with tempfile.TemporaryDirectory() as tmp:
        policy, source = _policy_of(tmp, rules)
        calls: list[object] = []
        whole = Policy.applicable

        def counted(self: Policy, case: Casus) -> list[int]:
            calls.append(case)
            return whole(self, case)

        monkeypatch.setattr(Policy, "applicable", counted)
        assert safety_problems(policy, source) == []
        assert len(calls) == 2  # one per safety kind; no policy of the rules that read both is made
        monkeypatch.undo()
        assert plain_safety_problems(policy, source) == []


def test_an_absolute_referral_that_reads_the_task_settles_only_its_tasks():
    # 'a' is referred for t1 and t2 only: at t3 a mentor rule that reads both task and training keeps it
    rules = [{"id": "veilig-t12", "titel": "V", "bron": "b", "absoluut": "ja",
              "als": {"alle": [{"taak": ["t1", "t2"]}, {"signaal": {"soort": "a"}}]},
              "dan": {"route": "extern", "uitleg": "u"}},
             {"id": "c-weg", "titel": "C", "bron": "b", "absoluut": "ja", "als": {"signaal": {"soort": "c"}},
              "dan": {"route": "zorgteam", "uitleg": "u"}},
             {"id": "a-mentor", "titel": "A", "bron": "b", "als": {"signaal": {"soort": "a"}},
              "dan": {"route": "zorgteam", "uitleg": "u"}},
             {"id": "t3-mentor", "titel": "T3", "bron": "b", "als": {"alle": [{"taak": "t3"}, {"scholing": "y"}]},
              "dan": {"route": "mentor", "uitleg": "u"}},
             {"id": "a-zet-opzij", "titel": "Z", "bron": "b", "zet_opzij": ["a-mentor"],
              "als": {"alle": [{"scholing": "y"}, {"signaal": {"soort": "a"}}]},
              "dan": {"route": "mentor", "uitleg": "u"}}]
    with tempfile.TemporaryDirectory() as tmp:
        policy, source = _policy_of(tmp, rules)
        plain = plain_safety_problems(policy, source)
        assert safety_problems(policy, source) == plain
    assert [p.code for p in plain] == ["veiligheid-bij-mentor"] and "'a'" in plain[0].message
    assert "'t3'" in plain[0].message
