"""Edges of rule files: long exception chains, audit records that tell the truth, numbers out of range."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import engine_advice_fields, reference_advice
from strategies import AGREEMENTS, VOCABULARY, write_policy

import grenzen
from grenzen import Casus
from grenzen.pipeline._audit import AuditError
from grenzen.pipeline._combine import effective
from grenzen.pipeline._rulefile import Regel
from grenzen.pipeline._yaml import YamlProblem, read_yaml

# --- point 7: no recursion on sizes a user controls ---------------------------------------------------------


def _chain(length: int, backwards: bool = False) -> list[dict]:
    """``length`` rules that all hold for task t1; rule i sets rule i-1 aside (``backwards``: rule i+1)."""
    rules = []
    for i in range(length):
        rule = {"id": f"r{i}", "titel": f"Regel {i}", "bron": "b", "als": {"taak": "t1"},
                "dan": {"route": "mentor", "uitleg": "u"}}
        target = i + 1 if backwards else i - 1
        if 0 <= target < length:
            rule["zet_opzij"] = [f"r{target}"]
        rules.append(rule)
    rules[-1 if not backwards else 0]["dan"] = {"route": "extern", "urgentie": "direct", "uitleg": "u"}
    return rules


def _expected_chain(length: int, backwards: bool) -> tuple[list[str], list[tuple[str, str]]]:
    """The documented outcome: the rule no one sets aside stays, the one it names is set aside, the next stays, ..."""
    order = list(range(length)) if backwards else list(range(length - 1, -1, -1))  # from the head of the chain
    kept = sorted(order[0::2])
    aside = sorted((order[k], order[k - 1]) for k in range(1, length, 2))
    return [f"r{i}" for i in kept], [(f"r{i}", f"r{j}") for i, j in aside]


@pytest.mark.slow
@pytest.mark.parametrize("backwards", [False, True], ids=["regel-i-zet-i-min-1-opzij", "regel-i-zet-i-plus-1-opzij"])
def test_a_chain_of_5000_exceptions_loads_and_advises_fast(tmp_path, backwards):
    length = 5000
    directory = write_policy(tmp_path / "r", _chain(length, backwards))
    start = time.perf_counter()
    policy = grenzen.load_policy(directory)
    loaded = time.perf_counter()
    advice = policy.advise({"taak": "t1"})
    advised = time.perf_counter()
    kept, aside = _expected_chain(length, backwards)
    head = "r0" if backwards else f"r{length - 1}"
    assert (advice.route, advice.urgentie, advice.redenen[0].regel) == ("extern", "direct", head)
    assert sorted(r.regel for r in advice.redenen) == sorted(kept)
    assert sorted((o.regel, o.door) for o in advice.opzij_gezet) == sorted(aside)
    assert advised - loaded < 1.0, f"advies duurde {advised - loaded:.2f}s"
    assert loaded - start < 30, f"laden duurde {loaded - start:.2f}s"


@pytest.mark.slow
def test_effective_meets_the_documented_definition_on_a_long_chain():
    """Every kept rule is named by no kept rule; every set-aside rule by a kept one (unique for an acyclic graph)."""
    rules = [Regel.model_validate(r) for r in _chain(20_000)]
    kept, aside = effective(rules, range(len(rules)))
    kept_set, index = set(kept), {r.id: i for i, r in enumerate(rules)}
    named_by = {(index[t], j) for j, r in enumerate(rules) for t in r.zet_opzij}  # (set aside, by)
    assert not [(i, j) for i, j in named_by if i in kept_set and j in kept_set]
    assert all(by in kept_set and (i, by) in named_by for i, by in aside)
    assert sorted(kept + [i for i, _ in aside]) == list(range(len(rules)))


@pytest.mark.slow
@pytest.mark.parametrize("backwards", [False, True])
def test_a_chain_agrees_with_the_reference_evaluator(tmp_path, backwards):
    policy = grenzen.load_policy(write_policy(tmp_path / "r", _chain(200, backwards)))
    case = Casus.model_validate({"taak": "t1"})
    assert engine_advice_fields(policy.advise(case)) == reference_advice(policy.rules, policy.agreements, case)


@pytest.mark.slow
def test_a_long_exception_cycle_is_a_located_problem(tmp_path):
    rules = _chain(3000, backwards=True)
    rules[-1]["zet_opzij"] = ["r0"]  # closes the chain into one long cycle
    rules[0]["dan"] = {"route": "mentor", "uitleg": "u"}  # r0 may be set aside (not absolute)
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(write_policy(tmp_path / "r", rules))
    [problem] = info.value.problems
    assert "kring: r0 → r1 → r2" in problem.message and problem.message.endswith("r2999 → r0")
    assert problem.line > 1 and problem.rule == "r0"



def test_condition_nesting_is_capped_by_the_loader_so_the_recursive_walks_stay_shallow(tmp_path):
    """walk, translate and term_count recurse over nested conditions; the YAML reader caps that depth (MAX_DEPTH)."""
    from grenzen.pipeline._yaml import MAX_DEPTH

    def nested(depth):
        cond: dict[str, Any] = {"taak": "t1"}
        for _ in range(depth):
            cond = {"niet": cond}
        return cond

    deepest = MAX_DEPTH - 4  # file, regels, the rule and als take the first levels
    rule = _chain(1)[0] | {"als": nested(deepest)}
    policy = grenzen.load_policy(write_policy(tmp_path / "a", [rule]))
    assert policy.advise({"taak": "t1"}).route == ("extern" if deepest % 2 == 0 else "zorgteam")
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(write_policy(tmp_path / "b", [rule | {"als": nested(deepest + 1)}]))
    assert "te diep genest" in info.value.problems[0].message

# --- point 11: audit records tell the truth ------------------------------------------------------------------

SAFE = {"label": "A", "omschrijving": "gevaar", "veiligheid": "ja"}


def _rule(rule_id: str, cond: dict, route: str = "mentor", **dan) -> dict:
    return {"id": rule_id, "titel": rule_id, "bron": "b", "als": cond, "dan": {"route": route, "uitleg": "u", **dan}}


def _guarded_policy(tmp_path):
    """Kind 'a' is a safety kind; the rules refer it at acuut but leave it at the mentor below that."""
    vocabulary = {**VOCABULARY, "signalen": {**VOCABULARY["signalen"], "a": SAFE}}
    rules = [
        _rule("a-acuut", {"signaal": {"soort": "a", "ernst_minstens": "acuut"}}, "extern") | {"absoluut": "ja"},
        _rule("a-lager", {"signaal": {"soort": "a", "ernst_hoogstens": "ernstig"}}, "mentor"),
        _rule("taken", {"taak": ["t1", "t2", "t3"]}, "mentor"),
    ]
    return grenzen.load_policy(write_policy(tmp_path / "r", rules, vocabulary=vocabulary))


GUARDED_CASE = {"id": "leerling-77", "taak": "t1", "leeftijd": 13,
                "signalen": [{"soort": "a", "ernst": "ernstig"}, {"soort": "b", "ernst": "licht", "duur_weken": 3}]}


def test_a_record_names_the_safety_guard_and_the_kind_it_fired_on(tmp_path):
    policy = _guarded_policy(tmp_path)
    advice = policy.advise(GUARDED_CASE)
    assert advice.redenen[0].regel == "veiligheid-nooit-alleen-bij-mentor"  # the guard changed mentor into zorgteam
    record = policy.audit_record(GUARDED_CASE, advice)
    assert record.vangnet is not None
    assert (record.vangnet.regel, record.vangnet.signaalsoorten) == ("veiligheid-nooit-alleen-bij-mentor", ["a"])
    assert (record.route, record.urgentie, record.regels) == ("zorgteam", "vandaag", [])
    assert record.opzij_gezet == ["a-lager", "taken"]  # the guard set aside the rules that said mentor
    dumped = record.model_dump_json()
    assert "leerling-77" not in dumped and "duur_weken" not in dumped  # still only what the rules read


def test_a_record_without_the_guard_says_so(tmp_path):
    policy = _guarded_policy(tmp_path)
    case = {"taak": "t1", "signalen": [{"soort": "a", "ernst": "acuut"}]}
    record = policy.audit_record(case, policy.advise(case))
    assert record.vangnet is None and record.route == "extern"


def _mismatch(policy, case, advice):
    with pytest.raises(AuditError) as info:
        policy.audit_record(case, advice)
    assert isinstance(info.value, grenzen.GrenzenError) and isinstance(info.value, ValueError)
    return str(info.value)


def test_a_record_refuses_the_advice_of_another_case(tmp_path):
    policy = _guarded_policy(tmp_path)
    other = {"id": "leerling-78", "taak": "t2"}
    message = _mismatch(policy, other, policy.advise(GUARDED_CASE))
    assert message.startswith("Dit advies hoort niet bij deze casus en dit beleid")
    assert "route" in message and "leerling" not in message and "t2" not in message


def test_a_record_refuses_an_advice_for_a_case_where_other_rules_hold_with_the_same_route(basis):
    case = {"taak": "begeleidingsgesprekken", "signalen": [{"soort": "rouw", "ernst": "matig"}],
            "mentor": {"scholing": ["rouwbegeleiding"]}}
    other = {"taak": "signaleren"}
    advice, expected = basis.advise(case), basis.advise(other)
    assert (advice.route, advice.urgentie) == (expected.route, expected.urgentie)  # only the reasons differ
    assert "redenen" in _mismatch(basis, other, advice)


def test_a_record_refuses_a_changed_advice_and_one_of_another_policy_version(tmp_path, basis):
    policy = _guarded_policy(tmp_path)
    advice = policy.advise(GUARDED_CASE)
    assert "route" in _mismatch(policy, GUARDED_CASE, advice.model_copy(update={"route": "mentor"}))
    older = advice.model_copy(update={"beleid": advice.beleid.model_copy(update={"versie": "000000000000"})})
    assert "beleid" in _mismatch(policy, GUARDED_CASE, older)
    stranger = basis.advise({"taak": "signaleren"})
    _mismatch(policy, {"taak": "t1"}, stranger)


def test_a_record_accepts_the_same_advice_after_a_round_trip_through_json(tmp_path):
    policy = _guarded_policy(tmp_path)
    advice = grenzen.Advies.model_validate_json(policy.advise(GUARDED_CASE).model_dump_json())
    assert policy.audit_record(GUARDED_CASE, advice).vangnet is not None


def test_policy_audit_record_checks_the_advice_and_names_the_guard(tmp_path):
    policy = _guarded_policy(tmp_path)
    assert policy.audit_record(GUARDED_CASE, policy.advise(GUARDED_CASE)).vangnet.signaalsoorten == ["a"]
    with pytest.raises(grenzen.GrenzenError):
        policy.audit_record({"taak": "t2"}, policy.advise(GUARDED_CASE))


# --- point 9: every number in a rule file is an int in range, or a located Dutch problem ---------------------

PLACEHOLDER = "__WAARDE__"
BASE_RULES = [_rule("taken", {"taak": ["t1", "t2", "t3"]}, "zorgteam")]


def _in_rule(make_cond=None, **top):
    """A theme rule with the placeholder in its condition (``make_cond``) or at a top-level/``dan`` key."""
    def write(directory, negated):
        cond = make_cond(PLACEHOLDER) if make_cond else {"taak": "t1"}
        rule = _rule("getal", {"niet": cond} if negated else cond)
        for key, where in top.items():
            (rule["dan"] if where == "dan" else rule)[key] = PLACEHOLDER
        write_policy(directory, BASE_RULES + [rule])
        return directory / "b_thema.yaml"
    return write


def _in_agreements(side):
    def write(directory, negated):
        groups = [{"tot_en_met": 11, "wie": "ouders"}, {"vanaf": 12, "tot_en_met": 15, "wie": "ouders en leerling"},
                  {"vanaf": 16, "wie": "leerling"}]
        groups[1][side] = PLACEHOLDER
        agreements = {**AGREEMENTS, "toestemming": {**AGREEMENTS["toestemming"], "leeftijden": groups}}
        write_policy(directory, BASE_RULES, agreements=agreements)
        return directory / "afspraken.yaml"
    return write


def _in_vocabulary(directory, negated):
    vocabulary = {**VOCABULARY, "signalen": {**VOCABULARY["signalen"], "a": {**SAFE, "veiligheid": PLACEHOLDER}}}
    rules = BASE_RULES + [_rule("a", {"signaal": {"soort": "a"}}, "extern") | {"absoluut": "ja"}]
    write_policy(directory, rules, vocabulary=vocabulary)
    return directory / "woordenlijst.yaml"


def _int_in(low, high):
    return lambda v: v is None or (type(v) is int and low <= v <= high)


def _ja_nee(optional):
    def accepts(v):
        if isinstance(v, str):
            return v.strip().lower() in ("ja", "nee")
        return (optional and v is None) or type(v) is bool
    return accepts


def _text(v):
    return isinstance(v, str)


def _severity(v):
    return v is None or v in ("licht", "matig", "ernstig", "acuut")


#: Every number a rule directory holds (and ja/nee and text keys a number may land on): how to write it, which
#: values its own key accepts, and which of those let the policy load (the consent table must stay without gaps
#: or overlap). Ages 0-30 (a rule may say "vanaf 0"; the consent table is checked against 4-25), weeks 0-520.
FIELDS = {
    "signaal.duur_minstens_weken": (_in_rule(lambda v: {"signaal": {"soort": "a", "duur_minstens_weken": v}}),
                                    _int_in(0, 520), None),
    "leeftijd.vanaf": (_in_rule(lambda v: {"leeftijd": {"vanaf": v}}), _int_in(0, 30), None),
    "leeftijd.tot_en_met": (_in_rule(lambda v: {"leeftijd": {"tot_en_met": v}}), _int_in(0, 30), None),
    "eerdere_aanpak.weken_minstens": (_in_rule(lambda v: {"eerdere_aanpak": {"weken_minstens": v}}),
                                      _int_in(0, 520), None),
    "toestemming.leeftijden.vanaf": (_in_agreements("vanaf"), _int_in(0, 30), lambda v: v == 12),
    "toestemming.leeftijden.tot_en_met": (_in_agreements("tot_en_met"), _int_in(0, 30), lambda v: v == 15),
    "absoluut": (_in_rule(absoluut="top"), _ja_nee(False), None),
    "dan.taak_hoort_bij_mentor": (_in_rule(taak_hoort_bij_mentor="dan"), _ja_nee(True), None),
    "dan.toestemming": (_in_rule(toestemming="dan"), _ja_nee(True), None),
    "signalen.veiligheid": (_in_vocabulary, _ja_nee(False), None),
    "titel": (_in_rule(titel="top"), _text, None),
    "signaal.ernst_minstens": (_in_rule(lambda v: {"signaal": {"ernst_minstens": v}}), _severity, None),
}

SPECIAL = ["9" * 5000, "-" + "9" * 5000, "1e400", "1.0e+400", "-1.0e+400", ".inf", "-.inf", ".nan", "0x1F", "017",
           "1_0", "+5", "1:30", "'5'", '"12"', "~", "5.0", "2.5", "-0", "0.0", "1.0e-400", "[]", "{}", "[5]", "true",
           "false", "ja", "nee", "yes", "off", str(2**63), str(2**63 - 1), str(-2**63 - 1), str(2**64)]


def _float_text(value: float) -> str:
    return yaml.safe_dump(value).split("\n")[0]  # how YAML writes it: 1.0e+300, .inf, .nan


numbers = st.one_of(
    st.integers(-10**40, 10**40).map(str),
    st.integers(-600, 600).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(_float_text),
    st.sampled_from(SPECIAL),
)

ENGLISH = re.compile(r"\b(Input|should|must|valid|Value|error|integer|number|float|finite)\b")
CASES: list[dict[str, Any]] = [{"taak": "t1"},
         {"taak": "t2", "leeftijd": 4, "signalen": [{"soort": "a", "ernst": "acuut", "duur_weken": 520}]},
         {"taak": "t3", "leeftijd": 25, "eerdere_aanpak": {"weken": 520, "effect": "geen"},
          "mentor": {"scholing": ["x"]},
          "signalen": [{"soort": "b", "ernst": "licht", "duur_weken": 0}]}]


def _check_number(directory, field, text, negated=False):
    write, key_accepts, table_accepts = FIELDS[field]
    path = write(directory, negated)
    source = path.read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(source.splitlines(), 1) if PLACEHOLDER in row)
    path.write_text(source.replace(PLACEHOLDER, text), encoding="utf-8")
    try:
        value = read_yaml(f"v: {text}\n").data["v"]
    except YamlProblem:
        valid = False
    else:
        valid = key_accepts(value)
    try:
        policy = grenzen.load_policy(directory)
    except grenzen.PolicyError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file.endswith(".yaml") and problem.line >= 1 and problem.column >= 1, problem
            assert problem.message and not ENGLISH.search(problem.message + problem.fix), problem
        mine = [p for p in exc.problems if p.file.endswith(path.name)]
        assert mine, [str(p) for p in exc.problems]
        if not valid:  # a value its key refuses is named on its own line
            assert any(p.line == line for p in mine), ([str(p) for p in exc.problems], line)
        return None
    assert valid, f"{field}: {text[:40]!r} laadde, maar die waarde hoort daar niet"
    assert table_accepts is None or table_accepts(value)
    for case in CASES:
        assert policy.advise(case).route in ("mentor", "zorgteam", "extern")
    return policy


@pytest.mark.slow
@settings(max_examples=400)
@given(st.sampled_from(sorted(FIELDS)), numbers, st.booleans())
def test_every_number_in_a_rule_directory_loads_in_range_or_is_a_located_dutch_problem(tmp_path_factory, field, text,
                                                                                        negated):
    _check_number(tmp_path_factory.mktemp("getal") / "r", field, text, negated)


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("text", SPECIAL + ["10" + "0" * 30, "-5", "521", "31", "12", "15", "0", "30", "520"])
def test_each_special_number_in_each_field(tmp_path, field, text):
    _check_number(tmp_path / "r", field, text)


@pytest.mark.parametrize("written", ["017", "0x1F", "0b101", "1:30", "1_000", "+017"])
def test_an_integer_yaml_would_read_in_another_base_is_a_located_problem(tmp_path, written):
    # YAML 1.1 reads 017 as 15, 0x1F as 31 and 1:30 as 90: a policy writer who wrote 017 meant 17
    with pytest.raises(YamlProblem) as info:
        read_yaml(f"vanaf: {written}\n")
    assert (info.value.line, info.value.column) == (1, 8) and "voorloopnul" in info.value.message
    assert read_yaml(f"vanaf: '{written}'\n").data == {"vanaf": written}  # quoted, it is text
    for plain in ("0", "17", "-3", "+4"):
        assert read_yaml(f"vanaf: {plain}\n").data == {"vanaf": int(plain)}


def test_a_case_with_an_octal_looking_age_is_refused(tmp_path):
    policy = grenzen.load_policy()
    with pytest.raises(grenzen.CaseError) as info:
        policy.advise("taak: signaleren\nleeftijd: 014\n")
    assert "voorloopnul" in info.value.errors[0].message


# --- a broken file does not send the writer to fix another, correct one --------------------------------------------


@pytest.mark.parametrize("damage", ["regels: [\n", "\tkapot: ja\n"])
def test_a_file_that_cannot_be_read_gives_no_unknown_rule_problems_elsewhere(tmp_path, damage):
    """An integrator trial broke the YAML of one theme file: the first problem was "onbekende regel … bedoel je …?" in
    another file that names a rule of the broken one, and following its fix would have broken a correct file."""
    import shutil
    from pathlib import Path

    from grenzen.pipeline._load import default_rules_dir

    copy = tmp_path / "kopie"
    shutil.copytree(default_rules_dir(), copy)
    assert grenzen.check_policy(copy) == [], [str(p) for p in grenzen.check_policy(copy)]
    where = {item.rule.id: item.file for item in grenzen.load_policy(copy).source.rules}
    target = next(copy / Path(where[aside]).name for item in grenzen.load_policy(copy).source.rules
                  for aside in item.rule.zet_opzij if where[aside] != item.file)
    with target.open("a", encoding="utf-8") as handle:
        handle.write(damage)
    problems = grenzen.check_policy(copy)
    assert problems and all(p.file.endswith(target.name) for p in problems), [str(p) for p in problems]
