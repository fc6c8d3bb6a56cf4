"""Counting signals (issue 11, part 3): ``aantal_signalen: {minstens: N, <the keys of a signaal block>}`` holds when at
least N signals of the case each meet the block: accumulating problems. Validated like a signal block, compiled to a
count in the fact (one per distinct block), agreeing with the reference evaluator, enumerated by ``controleer`` with
cases of N signals, worded in the policy document, and seen by what-if and the audit record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import engine_advice_fields, reference_advice
from strategies import cases, conditions, count_conditions, policy_dir, rule_sets, write_policy

import grenzen
from grenzen import Casus
from grenzen.pipeline._compile import MAX_COUNTS, count_field, encode_case, translate
from grenzen.pipeline._rulefile import AantalVoorwaarde, Voorwaarde
from grenzen.toolkit._render import describe_condition

# The generated vocabulary (tests/strategies.py): kinds a and b without a group, c in g1, d in g2.
PILING = {"minstens": 2, "groep": ["g1", "g2"], "ernst_minstens": "matig", "duur_minstens_weken": 4}


def rule(rule_id: str, als: dict, route: str = "mentor", urgentie: str = "regulier", **more) -> dict:
    return {"id": rule_id, "titel": f"Regel {rule_id}", "bron": "bron", "als": als,
            "dan": {"route": route, "urgentie": urgentie, "uitleg": "u", **more}}


RULES = [
    rule("opstapeling", {"aantal_signalen": PILING}, "zorgteam", "deze_week"),
    rule("enkel", {"taak": ["t1", "t2", "t3"], "niet": {"aantal_signalen": PILING}}, "mentor", "regulier"),
]


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return grenzen.load_policy(write_policy(tmp_path_factory.mktemp("aantal") / "regels", RULES))


def signal(kind: str, severity: str = "matig", weeks: int | None = 6) -> dict:
    return {"soort": kind, "ernst": severity} | ({"duur_weken": weeks} if weeks is not None else {})


@pytest.mark.parametrize("signals, piles", [
    ([], False),
    ([signal("c")], False),
    ([signal("c"), signal("d", "ernstig")], True),
    ([signal("c"), signal("c")], True),  # each signal counts, also two of one kind
    ([signal("c"), signal("d", "licht")], False),  # below ernst_minstens
    ([signal("c"), signal("d", weeks=3)], False),  # too short
    ([signal("c"), signal("d", weeks=None)], False),  # an unknown duration does not count
    ([signal("c"), signal("a"), signal("b")], False),  # a and b are in no group
    ([signal("a"), signal("c"), signal("b"), signal("d", "acuut", 4)], True),
])
def test_counting_semantics(policy, signals, piles):
    case = {"taak": "t1", "signalen": signals}
    advice = policy.advise(case)
    assert [r.regel for r in advice.redenen] == (["opstapeling"] if piles else ["enkel"])
    assert engine_advice_fields(advice) == reference_advice(policy.rules, policy.agreements, Casus.model_validate(case))


def test_the_fact_holds_one_count_per_distinct_block(policy):
    same = AantalVoorwaarde.model_validate(PILING | {"minstens": 5})
    other = AantalVoorwaarde.model_validate(PILING | {"duur_minstens_weken": 5})
    field = count_field(policy.resolved_rules[0].als.aantal_signalen)
    assert field == count_field(policy.resolved_rules[1].als.niet.aantal_signalen)
    assert translate(policy.resolved_rules[0].als).test == {"$gte": {field: 2}}  # type: ignore[union-attr]
    assert translate(policy.resolved_rules[1].als).parts[0].test == {"$lt": {field: 2}}  # type: ignore[union-attr]
    assert count_field(same) == count_field(AantalVoorwaarde.model_validate(PILING))  # minstens aside: the same
    assert count_field(other) != count_field(same)
    fact = encode_case(Casus.model_validate({"taak": "t1", "signalen": [signal("c"), signal("d"), signal("a")]}),
                       policy._compiled)
    assert fact[field] == 2 and [k for k in fact if k.startswith("n_")] == [field]


def test_selectors_in_a_counting_block(tmp_path):
    directory = write_policy(tmp_path / "regels", [
        rule("geen-soort", {"aantal_signalen": {"minstens": 1, "groep": "g1", "veiligheid": "ja"}}, "extern"),
        rule("rest", {"taak": ["t1", "t2", "t3"]}),
    ])
    policy = grenzen.load_policy(directory)
    assert policy.resolved_rules[0].als == Voorwaarde(niet=Voorwaarde(alle=[]))  # selects no kind: never holds
    assert policy.advise({"taak": "t1", "signalen": [signal("c")] * 3}).route == "mentor"


# --- problems --------------------------------------------------------------------------------------------------


def problems(tmp_path: Path, als: dict) -> list[grenzen.Problem]:
    directory = write_policy(tmp_path / "regels", [rule("r", als)])
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(directory)
    return info.value.problems


@pytest.mark.parametrize("block, code", [
    ({"minstens": 0}, "te-klein"),
    ({"minstens": 51}, "te-groot"),
    ({"minstens": "3"}, "geen-geheel-getal"),
    ({"soort": "a"}, "verplicht-veld-ontbreekt"),
    ({"minstens": 2, "soort": "zz"}, "onbekende-naam"),
    ({"minstens": 2, "groep": "g9"}, "onbekende-groep"),
    ({"minstens": 2, "ernst_minstens": "ernstig", "ernst_hoogstens": "licht"}, "grenzen-omgedraaid"),
    ({"minstens": 2, "soort": "a", "behalve_soort": "b"}, "soort-en-behalve-soort"),
    ({"minstes": 2}, "onbekende-sleutel"),
])
def test_a_bad_counting_block_is_a_located_problem(tmp_path, block, code):
    found = problems(tmp_path, {"aantal_signalen": block})
    assert code in [p.code for p in found], [str(p) for p in found]
    assert all(p.rule == "r" and p.line > 1 for p in found)


def test_a_misspelt_key_gets_a_hint(tmp_path):
    found = problems(tmp_path, {"aantal_signalen": {"minstes": 2}})
    assert any("minstens" in p.fix for p in found if p.code == "onbekende-sleutel")


def test_under_niet_a_counting_block_may_have_several_bounds(tmp_path):
    directory = write_policy(tmp_path / "regels", [
        rule("r", {"niet": {"aantal_signalen": {"minstens": 2, "ernst_minstens": "matig", "ernst_hoogstens": "ernstig",
                                                 "duur_minstens_weken": 2}}}),
    ])
    policy = grenzen.load_policy(directory)
    assert policy.advise({"taak": "t1", "signalen": [signal("a"), signal("b", "ernstig")]}).route == "zorgteam"
    assert policy.advise({"taak": "t1", "signalen": [signal("a"), signal("b", "acuut")]}).route == "mentor"


def test_more_distinct_counts_than_the_limit_is_a_located_problem(tmp_path):
    rules = [rule(f"r{i}", {"aantal_signalen": {"minstens": 1, "duur_minstens_weken": i}}) for i in range(MAX_COUNTS)]
    grenzen.load_policy(write_policy(tmp_path / "goed", rules))
    rules.append(rule("een-te-veel", {"aantal_signalen": {"minstens": 1, "duur_minstens_weken": MAX_COUNTS}}))
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(write_policy(tmp_path / "fout", rules))
    [problem] = info.value.problems
    assert problem.code == "te-veel-tellingen" and problem.rule == "een-te-veel"


def test_the_most_counts_with_the_most_kind_lists(tmp_path):
    """150 counts, 16 group markers and 50 lists of one kind stay within the engine's 255 fields per fact."""
    from strategies import AGREEMENTS, VOCABULARY

    kinds = [f"k{i}" for i in range(50)]
    vocabulary = {**VOCABULARY, "signalen": {k: {"label": k, "omschrijving": k} for k in kinds}}
    rules = [rule(f"n{i}", {"aantal_signalen": {"minstens": 1 + i % 50, "duur_minstens_weken": i}}, "zorgteam")
             for i in range(MAX_COUNTS)]
    rules += [rule(f"s{i}", {"signaal": {"soort": kind}}) for i, kind in enumerate(kinds)]
    policy = grenzen.load_policy(write_policy(tmp_path / "regels", rules, vocabulary, AGREEMENTS))
    case = Casus.model_validate({"taak": "t1", "signalen": [signal(k, weeks=200) for k in kinds]})
    fact = encode_case(case, policy._compiled)
    assert len([k for k in fact if k.startswith("n_")]) == MAX_COUNTS and len(fact) <= 255
    advice = policy.advise(case)
    assert engine_advice_fields(advice) == reference_advice(policy.rules, policy.agreements, case,
                                                            kinds={k: {"groep": None, "veiligheid": False}
                                                                   for k in kinds})


def test_the_most_counts_with_marks_and_kind_lists(tmp_path):
    """150 counts leave room for 95 marks; with more signal blocks than that, 45 get a mark and the others keep
    a list per kind: with the group field a case that meets every block still fits in 255 fields per fact."""
    from strategies import AGREEMENTS, VOCABULARY

    kinds = [f"k{i}" for i in range(50)]
    vocabulary = {**VOCABULARY, "signalen": {k: {"label": k, "omschrijving": k} for k in kinds}}
    rules = [rule(f"n{i}", {"aantal_signalen": {"minstens": 1 + i % 50, "duur_minstens_weken": i}}, "zorgteam")
             for i in range(MAX_COUNTS)]
    rules += [rule(f"s{i}-{w}", {"signaal": {"soort": kind, "duur_minstens_weken": w}})
              for w in (1, 2, 3) for i, kind in enumerate(kinds)]  # the first 45 get a mark: every kind keeps a list
    policy = grenzen.load_policy(write_policy(tmp_path / "regels", rules, vocabulary, AGREEMENTS))
    assert len(policy._compiled.marks) == 45 and len(policy._compiled.listed_kinds) == 50
    case = Casus.model_validate({"taak": "t1", "signalen": [signal(k, weeks=200) for k in kinds]})
    fact = encode_case(case, policy._compiled)
    assert len([k for k in fact if k.startswith("p")]) == 45 and len([k for k in fact if k.startswith("s_")]) == 50
    assert len(fact) + 2 <= 255  # sid and id are added by the engine driver
    advice = policy.advise(case)
    assert engine_advice_fields(advice) == reference_advice(policy.rules, policy.agreements, case,
                                                            kinds={k: {"groep": None, "veiligheid": False}
                                                                   for k in kinds})


# --- the engine agrees with the reference evaluator --------------------------------------------------------------


counting_rules = st.lists(
    st.tuples(st.one_of(count_conditions(), st.builds(lambda c: {"niet": c}, count_conditions()), conditions),
              st.sampled_from(["mentor", "zorgteam", "extern"])),
    min_size=1, max_size=5,
)
signals = st.lists(st.fixed_dictionaries({"soort": st.sampled_from("abcd"),
                                          "ernst": st.sampled_from(["licht", "matig", "ernstig", "acuut"])},
                                         optional={"duur_weken": st.integers(0, 8)}), max_size=6)


@given(counting_rules, st.lists(signals, min_size=1, max_size=8))
@settings(max_examples=40)
def test_counting_conditions_agree_with_the_reference(conds, signal_lists):
    rules = [rule(f"r{i}", als, route) for i, (als, route) in enumerate(conds)]
    with policy_dir(rules) as directory:
        try:
            policy = grenzen.load_policy(directory)
        except grenzen.PolicyError as exc:  # a plain signal block under niet may have one bound only
            assert all("onder 'niet'" in p.message for p in exc.problems), exc
            assume(False)
    for found in signal_lists:
        case = Casus.model_validate({"taak": "t1", "signalen": found})
        assert engine_advice_fields(policy.advise(case)) == reference_advice(policy.rules, policy.agreements, case)


def test_the_strategies_generate_counting_conditions():
    """The generators behind test_differential.py ask counting questions."""
    seen: list[bool] = []

    @given(rule_sets(max_rules=3), cases)
    @settings(max_examples=60, derandomize=True, database=None)
    def collect(rules, case):
        seen.append("aantal_signalen" in json.dumps(rules))

    collect()
    assert any(seen)


# --- controleer ------------------------------------------------------------------------------------------------


def test_controleer_sees_a_rule_that_needs_three_signals(tmp_path):
    directory = write_policy(tmp_path / "regels", [
        rule("drie", {"aantal_signalen": {"minstens": 3, "ernst_minstens": "ernstig"}}, "zorgteam"),
        rule("rest", {"taak": ["t1", "t2", "t3"]}),
    ])
    policy = grenzen.load_policy(directory)
    analysis = grenzen.analyse_policy(policy)
    assert not [f for f in analysis.findings if f.kind in ("nooit-van-toepassing", "overschaduwd")], [
        str(f) for f in analysis.findings]
    sizes = {len(p.case["signalen"]) for p in analysis.domain.count_points}
    assert sizes == {2, 3}
    for point in analysis.domain.count_points:  # every case the domain enumerates gets its own rules
        applied = {r.regel for r in policy.advise(point.case).redenen}
        assert ("drie" in applied) == (len(point.case["signalen"]) == 3)


def test_controleer_finds_a_count_that_never_holds(tmp_path):
    block = {"minstens": 3, "groep": "g1"}
    directory = write_policy(tmp_path / "regels", [
        rule("nooit", {"aantal_signalen": block, "niet": {"aantal_signalen": block | {"minstens": 2}}}),
        rule("rest", {"taak": ["t1", "t2", "t3"]}),
    ])
    analysis = grenzen.analyse_policy(grenzen.load_policy(directory))
    assert [f.rule for f in analysis.findings if f.kind == "nooit-van-toepassing"] == ["nooit"]


def test_controleer_sees_an_exception_that_allows_only_some_kinds_next_to_the_count(tmp_path):
    # A trained mentor's exception: kind c only, nothing else at matig or worse; it sets the pile-up rule aside.
    # The pile-up rule then only meets the exception with three signals of kind c (found: an exception with effect).
    exception = rule("alleen-c", {"alle": [{"signaal": {"soort": "c"}},
                                           {"niet": {"signaal": {"behalve_soort": ["c"], "ernst_minstens": "matig"}}}]})
    directory = write_policy(tmp_path / "regels", [
        rule("drie", {"aantal_signalen": {"minstens": 3, "ernst_minstens": "matig"}}, "zorgteam"),
        exception | {"zet_opzij": ["drie"]},
        rule("rest", {"taak": ["t1", "t2", "t3"]}),
    ])
    analysis = grenzen.analyse_policy(grenzen.load_policy(directory))
    assert not [f for f in analysis.findings if f.kind == "uitzondering-zonder-effect"], [
        str(f) for f in analysis.findings]
    assert any([s["soort"] for s in p.case["signalen"]] == ["c"] * 3 for p in analysis.domain.count_points)


def test_controleer_with_a_count_that_asks_about_the_earlier_approach(tmp_path):
    directory = write_policy(tmp_path / "regels", [
        rule("na-aanpak", {"aantal_signalen": {"minstens": 2}, "eerdere_aanpak": {"effect": "geen"}}, "zorgteam"),
        rule("rest", {"taak": ["t1", "t2", "t3"]}),
    ])
    analysis = grenzen.analyse_policy(grenzen.load_policy(directory))
    assert not [f for f in analysis.findings if f.kind == "nooit-van-toepassing"]


def test_a_policy_without_counts_has_no_count_points(basis):
    analysis = grenzen.analyse_policy(basis)
    assert analysis.domain.count_points == [] and analysis.domain.counting == []


# --- wording, what-if, audit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("block, text", [
    (PILING | {"minstens": 3}, "er zijn minstens 3 signalen uit de groep ‘g1’ of ‘g2’, elk minstens matig, die elk "
                               "minstens 4 weken duren"),
    ({"minstens": 1, "soort": "c"}, "er is minstens 1 signaal ‘c’"),
    ({"minstens": 2, "veiligheid": "nee", "ernst_hoogstens": "matig"},
     "er zijn minstens 2 signalen die geen veiligheidssignalen zijn, elk hoogstens matig"),
    ({"minstens": 4}, "er zijn minstens 4 signalen (van welke soort ook)"),
    ({"minstens": 2, "veiligheid": "ja"}, "er zijn minstens 2 veiligheidssignalen"),
])
def test_counting_in_words(policy, block, text):
    assert describe_condition(policy, Voorwaarde.model_validate({"aantal_signalen": block})) == text


def test_the_policy_document_words_the_count(policy):
    document = grenzen.render_policy(policy)
    assert "er zijn minstens 2 signalen uit de groep ‘g1’ of ‘g2’, elk minstens matig, die elk minstens 4 weken duren" \
        in document


def test_what_if_finds_the_signal_that_tips_the_count(policy):
    case = {"taak": "t1", "signalen": [signal("c"), signal("d")]}
    changes = {c.path: str(c) for c in policy.what_if(case)}
    assert "signalen" in changes and "dan mentor" in changes["signalen"]
    assert changes["signalen.1.duur_weken"].startswith("Als het signaal 'D' 3 weken duurde in plaats van 6 weken")


def test_the_audit_record_keeps_the_counted_signals(policy):
    case = {"taak": "t1", "leeftijd": 14, "signalen": [signal("c"), signal("d"), signal("a")]}
    record = policy.audit_record(case, policy.advise(case))
    assert record.regels == ["opstapeling"]
    assert record.gebruikte_gegevens == {"signalen": [{"soort": "c", "ernst": "matig", "duur_weken": 6},
                                                      {"soort": "d", "ernst": "matig", "duur_weken": 6}]}
