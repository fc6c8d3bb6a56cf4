"""controleer's factored evaluation (toolkit/_factored): one small engine per group of rules that read the same case
fields, asked once per class of what the group sees, finds exactly the rules the whole engine finds."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from strategies import policy_dir, rule_sets

import grenzen
from grenzen.toolkit._analysis import condition_rules
from grenzen.toolkit._domain import Domain, Point, build_domain
from grenzen.toolkit._factored import Factored, reads

ROOT = Path(__file__).resolve().parents[1]


def _domain(policy: grenzen.Policy) -> Domain:
    vocab = policy.vocabulary
    return build_domain([condition_rules(policy)], list(vocab.signalen), list(vocab.taken), list(vocab.scholing),
                        safety=policy.safety_kinds)


def _domain_points(policy: grenzen.Policy, pairs: bool = True):
    return _domain(policy).points(pairs)


def _disagreements(policy: grenzen.Policy, step: int = 1) -> list[dict]:
    """The enumerated cases (every ``step``-th) on which a factored answer differs from the whole engine's: per block
    (``answers``, what controleer asks), per enumerated point (``applicable_at``, what ``evaluate`` asks) and per
    case dict (``applicable``), each with its own caches."""
    by_block, by_point, by_case = Factored(policy), Factored(policy), Factored(policy)
    wrong = []
    points = (pair for block in _domain(policy).case_blocks()
              for pair in zip(block.points(), by_block.answers(block), strict=True))
    for n, (point, found) in enumerate(points):
        if n % step:
            continue
        whole = tuple(policy.applicable(policy.validate_case(point.case)))
        if not found == by_point.applicable_at(point) == by_case.applicable(point.case) == whole:
            wrong.append(point.case)
    return wrong


def test_a_condition_reads_the_fields_its_keys_name():
    cond = grenzen.pipeline._rulefile.Voorwaarde.model_validate(
        {"alle": [{"taak": "t"}, {"niet": {"een_van": [{"leeftijd": {"vanaf": 18}}, {"aantal_signalen": {"minstens": 2}}]}}]})
    assert reads(cond) == {"taak", "leeftijd", "signalen"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rule_sets())
def test_factored_answers_equal_the_whole_engine_on_generated_policies(rules):
    with policy_dir(rules) as directory:
        try:
            policy = grenzen.load_policy(directory)
        except grenzen.PolicyError:
            assume(False)
        assert _disagreements(policy) == []


@pytest.mark.slow
@pytest.mark.parametrize("overlay", [None, ROOT / "tests" / "fixtures" / "school"], ids=["standaard", "school"])
def test_factored_answers_equal_the_whole_engine_on_the_default_domain(overlay):
    policy = grenzen.load_policy(overlay)
    groups = Factored(policy).groups
    assert len(groups) > 3 and max(len(g.indexes) for g in groups) < len(policy.rules)
    assert _disagreements(policy, step=7) == []  # every 7th of ~300,000 enumerated cases: the whole engine is slow


def test_the_default_domain_asks_each_group_far_fewer_cases(basis):
    factored = Factored(basis)
    points = list(_domain_points(basis))
    for point in points:
        factored.applicable(point.case)
    asked = sum(len(g.answers) for g in factored.groups)
    assert asked * 5 < len(points) * len(factored.groups)


def test_merged_lists_hold_every_lists_rules_one_group_after_another():
    """``_merged`` puts the lists' rules one after the other (groups share no rule, so that tells the sets apart);
    a list that finds nothing leaves the first list as it is, and the lists given are never changed."""
    from grenzen.toolkit._factored import _merged

    first: list[tuple[int, ...]] = [(1, 5), (), (3,)]
    empty: list[tuple[int, ...]] = [(), (), ()]
    more: list[tuple[int, ...]] = [(2,), (), (4, 6)]
    copies = [list(x) for x in (first, empty, more)]
    assert _merged([first, empty], 3) is first
    assert _merged([first, empty, more], 3) == [(1, 5, 2), (), (3, 4, 6)]
    assert _merged([empty, more], 3) == more
    assert _merged([], 2) == [(), ()]
    assert [first, empty, more] == copies


def test_pair_keys_are_the_sorted_signatures_with_the_first_pair_of_each():
    """``signal_keys_of`` a list of pairs (``Signals.pairs``, worked out without a step per pair) gives what the
    plain way gives: per pair its two signals' numbers in order, and per key its first pair, in order."""
    policy = grenzen.load_policy()
    pairs = next(block.signals for block in _domain(policy).case_blocks() if block.signals.pairs is not None)
    assert len(pairs.cases) > 1000
    for group in Factored(policy).groups:
        if not group.reads_signals:
            continue
        keys, firsts = group.signal_keys_of(pairs)
        plain = [tuple(sorted(group.signature((i.kind, i.severity, i.weeks)) for i in case)) for case in pairs.cases]
        expected: dict = {}
        for key, case in zip(plain, pairs.cases, strict=True):
            expected.setdefault(key, case)
        assert keys == plain and list(firsts.items()) == list(expected.items())


def test_blocks_whose_groups_find_the_same_rules_share_one_list():
    """``split`` gives blocks one list of what the groups that read signals find whenever those lists are equal (one
    object per list of signals and content), however the groups see the blocks' contexts."""
    policy = grenzen.load_policy()
    factored = Factored(policy)
    sides: dict[int, tuple] = {}
    views = set()
    for block in _domain(policy).case_blocks():
        _, side = factored.split(block)
        sides.setdefault(id(side), (block.signals, side))
        views.add((block.signals, tuple(map(tuple, factored._context_keys(block.context)))))
    assert len({(id(signals), tuple(side)) for signals, side in sides.values()}) == len(sides) < len(views)


def test_the_cases_asked_validate_as_the_plain_cases_do(basis):
    """``_case_of`` puts each signal in as the policy validated it once; the validated case is the plain one's."""
    factored = Factored(basis)
    for n, block in enumerate(_domain(basis).case_blocks()):
        for members in block.signals.cases[:: 7 + n % 5]:
            plain = Point(block.context, members, 1).case
            assert basis.validate_case(factored._case_of(block.context, members)) == basis.validate_case(plain)
            assert Point(block.context, members, 1).case == plain  # the point's own case is untouched
