"""The school year (issue 11, part 2): ``leerjaar`` (1-6, optional) in a case, and ``leerjaar: {vanaf, tot_en_met}``
in a condition, like ``leeftijd``: validated, compiled to the engine, agreeing with the reference evaluator, enumerated
by ``controleer``, worded in the policy document, changed by what-if and kept in the audit record only when read."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import engine_advice_fields, reference_advice
from strategies import cases, policy_dir, rule_sets, school_year_conditions, write_policy

import grenzen
from grenzen import Casus
from grenzen.pipeline._compile import translate
from grenzen.pipeline._rulefile import Voorwaarde
from grenzen.toolkit._domain import build_domain
from grenzen.toolkit._render import describe_condition, school_years
from grenzen.toolkit._schema import case_schema

ROOT = Path(__file__).resolve().parents[1]


def rule(rule_id: str, als: dict, route: str = "mentor", urgentie: str = "regulier", **more) -> dict:
    return {"id": rule_id, "titel": f"Regel {rule_id}", "bron": "bron", "als": als,
            "dan": {"route": route, "urgentie": urgentie, "uitleg": "u", **more}}


#: Lower years stay with the mentor, upper years go to the zorgteam; t2 at an unknown school year is uncovered.
RULES = [
    rule("onderbouw", {"taak": ["t1", "t2"], "leerjaar": {"vanaf": 1, "tot_en_met": 2}}, "mentor", "deze_week",
         taak_hoort_bij_mentor="ja"),
    rule("bovenbouw", {"taak": ["t1", "t2"], "leerjaar": {"vanaf": 3}}, "zorgteam", "regulier"),
    rule("jaar-onbekend", {"taak": "t1", "niet": {"leerjaar": {}}}, "zorgteam", "vandaag"),
    rule("t3", {"taak": "t3"}, "mentor"),
]


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return grenzen.load_policy(write_policy(tmp_path_factory.mktemp("leerjaar") / "regels", RULES))


# --- the case ------------------------------------------------------------------------------------------------


def codes(policy, case) -> list[tuple[str, str]]:
    with pytest.raises(grenzen.CaseError) as info:
        policy.validate_case(case)
    return [(e.field, e.code) for e in info.value.errors]


@pytest.mark.parametrize("value, code", [
    (0, "te-klein"), (7, "te-groot"), (-1, "te-klein"), ("2", "geen-geheel-getal"), (True, "geen-geheel-getal"),
    (2.5, "geen-geheel-getal"), ([2], "geen-geheel-getal"),
])
def test_a_bad_school_year_is_refused_with_a_code(basis, value, code):
    assert codes(basis, {"taak": "signaleren", "leerjaar": value}) == [("leerjaar", code)]


@pytest.mark.parametrize("value", [1, 2, 6, 3.0, None])
def test_a_school_year_from_1_to_6_or_none_is_fine(basis, value):
    assert basis.validate_case({"taak": "signaleren", "leerjaar": value}).leerjaar == (None if value is None
                                                                                      else int(value))


def test_a_case_without_school_year_is_valid_as_before(basis):
    case = basis.validate_case({"taak": "signaleren", "leeftijd": 14})
    assert case.leerjaar is None
    assert basis.advise(case) == basis.advise({"taak": "signaleren", "leeftijd": 14, "leerjaar": 3})  # nothing asks


def test_the_messages_never_hold_the_value(basis):
    with pytest.raises(grenzen.CaseError) as info:
        basis.validate_case({"taak": "signaleren", "leerjaar": "geheim-4711"})
    assert "geheim" not in str(info.value)


def test_the_schema_knows_the_school_year(basis):
    schema = case_schema(basis)
    prop = schema["properties"]["leerjaar"]
    assert prop["anyOf"][0] == {"maximum": 6, "minimum": 1, "type": "integer"} and "Leerjaar" in prop["description"]
    validator = jsonschema.Draft202012Validator(schema)
    for value, ok in ((1, True), (6, True), (None, True), (0, False), (7, False), ("2", False), (True, False)):
        assert validator.is_valid({"taak": "signaleren", "leerjaar": value}) is ok, value
    committed = json.loads((ROOT / "docs" / "schema" / "casus.schema.json").read_text(encoding="utf-8"))
    assert committed["properties"]["leerjaar"] == prop
    assert "leerjaar" not in committed.get("required", [])


# --- the condition -------------------------------------------------------------------------------------------


def problems(tmp_path: Path, als: dict) -> list[grenzen.Problem]:
    directory = write_policy(tmp_path / "regels", [rule("r", als)])
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(directory)
    return info.value.problems


@pytest.mark.parametrize("als, code", [
    ({"leerjaar": {"vanaf": 0}}, "te-klein"),
    ({"leerjaar": {"tot_en_met": 7}}, "te-groot"),
    ({"leerjaar": {"vanaf": "2"}}, "geen-geheel-getal"),
    ({"leerjaar": {"vanaf": 4, "tot_en_met": 2}}, "grenzen-omgedraaid"),
    ({"leerjaar": {"van": 1}}, "onbekende-sleutel"),
    ({"leerjaar": 2}, "geen-blok"),
    ({"niet": {"leerjaar": {"vanaf": 3, "tot_en_met": 1}}}, "grenzen-omgedraaid"),
])
def test_a_bad_school_year_condition_is_a_located_problem(tmp_path, als, code):
    found = problems(tmp_path, als)
    assert [p.code for p in found] == [code], [str(p) for p in found]
    assert found[0].rule == "r" and found[0].line > 1 and found[0].file.endswith("a_thema.yaml")


def test_a_misspelt_key_gets_a_hint(tmp_path):
    [problem] = problems(tmp_path, {"leerjaar": {"tot_en_mett": 2}})
    assert "tot_en_met" in problem.fix


def test_the_condition_reads_the_school_year_field():
    cond = Voorwaarde.model_validate({"leerjaar": {"vanaf": 1, "tot_en_met": 2}})
    assert translate(cond).parts[0].test == {"$gte": {"lj": 1}}  # type: ignore[union-attr]
    negated = Voorwaarde.model_validate({"niet": {"leerjaar": {"vanaf": 3}}})
    assert translate(negated).test == {"$lt": {"lj": 3}}  # type: ignore[union-attr]


@pytest.mark.parametrize("year", [None, 1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("task", ["t1", "t2", "t3"])
def test_condition_semantics(policy, task, year):
    case = {"taak": task} | ({"leerjaar": year} if year is not None else {})
    advice = policy.advise(case)
    applied = {r.regel for r in advice.redenen}
    if task == "t3":
        assert applied == {"t3"}
    elif year is None:
        assert applied == ({"jaar-onbekend"} if task == "t1" else {"geen-regel-van-toepassing"})
    else:
        assert applied == ({"onderbouw"} if year <= 2 else {"bovenbouw"})
    valid = Casus.model_validate(case)
    assert engine_advice_fields(advice) == reference_advice(policy.rules, policy.agreements, valid)


def test_age_and_school_year_are_separate(tmp_path):
    directory = write_policy(tmp_path / "regels", [
        rule("jong-bovenbouw", {"leeftijd": {"tot_en_met": 14}, "leerjaar": {"vanaf": 4}}, "zorgteam"),
        rule("rest", {"taak": ["t1", "t2", "t3"]}, "mentor"),
    ])
    policy = grenzen.load_policy(directory)
    assert policy.advise({"taak": "t1", "leeftijd": 14, "leerjaar": 4}).route == "zorgteam"
    assert policy.advise({"taak": "t1", "leeftijd": 15, "leerjaar": 4}).route == "mentor"
    assert policy.advise({"taak": "t1", "leeftijd": 14, "leerjaar": 3}).route == "mentor"
    assert policy.advise({"taak": "t1", "leeftijd": 14}).route == "mentor"


# --- the engine agrees with the reference evaluator --------------------------------------------------------------


year_rules = st.lists(
    st.tuples(st.one_of(school_year_conditions(), st.builds(lambda c: {"niet": c}, school_year_conditions()),
                        st.builds(lambda a, b: {"een_van": [a, b]}, school_year_conditions(),
                                  school_year_conditions())),
              st.sampled_from(["mentor", "zorgteam", "extern"])),
    min_size=1, max_size=5,
)


@given(year_rules, st.lists(st.one_of(st.none(), st.integers(1, 6)), min_size=1, max_size=8))
@settings(max_examples=40)
def test_school_year_conditions_agree_with_the_reference(conditions, years):
    rules = [rule(f"r{i}", als, route) for i, (als, route) in enumerate(conditions)]
    with policy_dir(rules) as directory:
        policy = grenzen.load_policy(directory)
    for year in years:
        case = Casus.model_validate({"taak": "t1"} | ({"leerjaar": year} if year is not None else {}))
        assert engine_advice_fields(policy.advise(case)) == reference_advice(policy.rules, policy.agreements, case)


@given(rule_sets(max_rules=5), st.lists(cases, min_size=1, max_size=10))
@settings(max_examples=40)
def test_generated_policies_with_school_years_agree_with_the_reference(rules, raw_cases):
    """The differential strategies (tests/strategies.py) generate school-year conditions and cases with a school
    year; here a quick run that insists on them (the slow run in test_differential.py covers the rest)."""
    assume("leerjaar" in json.dumps(rules) and any("leerjaar" in case for case in raw_cases))
    with policy_dir(rules) as directory:
        try:
            policy = grenzen.load_policy(directory)
        except grenzen.PolicyError:
            assume(False)
    for raw in raw_cases:
        case = Casus.model_validate(raw)
        assert engine_advice_fields(policy.advise(case)) == reference_advice(policy.rules, policy.agreements, case)


def test_the_strategies_generate_school_years():
    """The generators behind test_differential.py ask about school years and send cases with one."""
    seen: list[tuple[bool, bool]] = []

    @given(cases, rule_sets(max_rules=3))
    @settings(max_examples=60, derandomize=True, database=None)
    def collect(case, rules):
        seen.append(("leerjaar" in case, "leerjaar" in json.dumps(rules)))

    collect()
    assert any(in_case for in_case, _ in seen) and any(in_rules for _, in_rules in seen)


# --- controleer: the domain enumerates school years ----------------------------------------------------------


def test_the_domain_has_one_school_year_per_class(policy):
    domain = build_domain([policy.resolved_rules], list(policy.vocabulary.signalen), list(policy.vocabulary.taken),
                          list(policy.vocabulary.scholing))
    assert domain.years == [None, 1, 3]
    years = {point.case.get("leerjaar") for point in domain.points()}
    assert years == {None, 1, 3}


def test_a_policy_without_school_years_enumerates_no_school_year(basis):
    domain = build_domain([basis.resolved_rules], list(basis.vocabulary.signalen), list(basis.vocabulary.taken),
                          list(basis.vocabulary.scholing))
    assert domain.years == [None]
    assert not any("leerjaar" in point.case for point in domain.points())


def test_controleer_sees_rules_that_need_a_school_year(policy):
    analysis = grenzen.analyse_policy(policy)
    assert not [f for f in analysis.findings if f.kind == "nooit-van-toepassing"], [str(f) for f in analysis.findings]
    uncovered = [f for f in analysis.findings if f.kind == "niet-gedekt"]
    assert len(uncovered) == 1 and uncovered[0].case is not None
    assert uncovered[0].case["taak"] == "t2" and "leerjaar" not in uncovered[0].case


def test_controleer_finds_a_school_year_range_that_never_holds(tmp_path):
    directory = write_policy(tmp_path / "regels", [
        rule("nooit", {"alle": [{"leerjaar": {"tot_en_met": 2}}, {"leerjaar": {"vanaf": 3}}]}),
        rule("rest", {"taak": ["t1", "t2", "t3"]}),
    ])
    analysis = grenzen.analyse_policy(grenzen.load_policy(directory))
    assert [f.rule for f in analysis.findings if f.kind == "nooit-van-toepassing"] == ["nooit"]


def test_controleer_finds_a_rule_for_the_sixth_year_only(tmp_path):
    directory = write_policy(tmp_path / "regels", [
        rule("zesde", {"leerjaar": {"vanaf": 6}}, "zorgteam"),
        rule("rest", {"taak": ["t1", "t2", "t3"]}),
    ])
    analysis = grenzen.analyse_policy(grenzen.load_policy(directory))
    assert not [f for f in analysis.findings if f.kind == "nooit-van-toepassing"]


# --- wording -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("low, high, text", [
    (1, 2, "de leerling zit in leerjaar 1 of 2"),
    (None, 2, "de leerling zit in leerjaar 1 of 2"),
    (3, None, "de leerling zit in leerjaar 3 of hoger"),
    (4, 4, "de leerling zit in leerjaar 4"),
    (1, 3, "de leerling zit in leerjaar 1 tot en met 3"),
    (None, 1, "de leerling zit in leerjaar 1"),
    (None, None, "het leerjaar is bekend"),
    (1, None, "het leerjaar is bekend"),
])
def test_school_years_in_words(low, high, text):
    assert school_years(low, high) == text


def test_the_policy_document_words_the_condition(policy):
    document = grenzen.render_policy(policy)
    assert "de leerling zit in leerjaar 1 of 2" in document
    assert "de leerling zit in leerjaar 3 of hoger" in document
    assert "niet: (het leerjaar is bekend)" in document
    cond = Voorwaarde.model_validate({"leeftijd": {"vanaf": 12}, "leerjaar": {"tot_en_met": 2}})
    assert describe_condition(policy, cond) == "de leerling is minstens 12 jaar en de leerling zit in leerjaar 1 of 2"


# --- what-if and the audit record ----------------------------------------------------------------------------


def test_what_if_suggests_another_school_year(policy):
    changes = [c for c in policy.what_if({"taak": "t1", "leerjaar": 2}) if c.path == "leerjaar"]
    assert [str(c) for c in changes] == [
        "Als de leerling in leerjaar 3 zat in plaats van leerjaar 2, dan zorgteam, in de gewone mentorcyclus.",
        "Als het leerjaar onbekend was, dan zorgteam, vandaag nog.",
    ]
    for change in changes:
        assert change.advice == policy.advise(change.case)


def test_what_if_from_an_unknown_school_year(policy):
    changes = [str(c) for c in policy.what_if({"taak": "t2"}) if c.path == "leerjaar"]
    assert changes == ["Als de leerling in leerjaar 1 zat in plaats van een onbekend leerjaar, dan mentor, deze week."]


def test_what_if_leaves_the_school_year_alone_when_no_rule_asks(basis):
    assert not [c for c in basis.what_if({"taak": "signaleren", "leerjaar": 2}) if c.path == "leerjaar"]


def test_the_audit_record_keeps_the_school_year_only_when_a_rule_read_it(policy):
    case = {"taak": "t1", "leerjaar": 2, "leeftijd": 13}
    record = policy.audit_record(case, policy.advise(case))
    assert record.gebruikte_gegevens == {"taak": "t1", "leerjaar": 2}
    other = {"taak": "t3", "leerjaar": 2}
    assert "leerjaar" not in policy.audit_record(other, policy.advise(other)).gebruikte_gegevens
