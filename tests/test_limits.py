"""Engine limits never reach a valid policy (issue 10, point 4).

The C engine has hard limits: 31 expression slots per rule (two per ``$and``/``$or``, code 113), a 64-slot matcher
stack (code 303), about 512 children per network node (a hang) and 255 properties per fact (code 302). The compiler
spreads large conditions over engine rules and rulesets and keeps the fact small, so that large policies load,
advise and agree with the reference evaluator. What remains is refused at load as a located problem.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import engine_advice_fields, reference_advice
from strategies import AGREEMENTS, VOCABULARY, write_policy

import grenzen
from grenzen import Casus
from grenzen.pipeline import _compile

SEVERITIES = ["licht", "matig", "ernstig", "acuut"]
EFFECTS = ["geen", "onvoldoende", "voldoende"]


@pytest.fixture(autouse=True, params=["marks", "lists"])
def layout(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test runs twice: with a mark for every signal block (as policies of this size get), and with none, so
    that every block has the list layout that a policy with more blocks than the fact has room for falls back on."""
    if request.param == "lists":
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_compile, "mark_room", lambda blocks, counts: 0)
            patch.setattr(_compile, "ruleset_room", lambda counts: 0)  # no fact per ruleset either
            yield request.param
    else:
        yield request.param


def vocabulary(kinds: int = 4, trainings: int = 2) -> dict:
    return {
        **VOCABULARY,
        "signalen": {f"k{i}": {"label": f"K{i}", "omschrijving": f"soort {i}"} for i in range(kinds)},
        "scholing": {f"x{i}": {"label": f"X{i}", "omschrijving": f"scholing {i}"} for i in range(trainings)},
    }


def rule(number: int, als: dict, route: str = "zorgteam") -> dict:
    return {"id": f"r{number}", "titel": f"Regel {number}", "bron": "test", "als": als,
            "dan": {"route": route, "mentor_doet": [f"doe {number}"], "uitleg": "test"}}


def load(directory, rules: list[dict], vocab: dict) -> grenzen.Policy:
    return grenzen.load_policy(write_policy(directory, rules, vocabulary=vocab, agreements=AGREEMENTS))


def kinds(n: int, start: int = 0) -> list[str]:
    return [f"k{i}" for i in range(start, start + n)]


def random_case(rng: random.Random, vocab: dict, hot: Sequence[str] = ()) -> dict:
    """A case over the whole vocabulary, often with kinds from ``hot`` (the kinds the rules name)."""
    all_kinds, trainings = list(vocab["signalen"]), list(vocab["scholing"])
    signals = []
    for _ in range(rng.choice([0, 1, 1, 2, 3, 5, 50])):
        pool = hot if hot and rng.random() < 0.6 else all_kinds
        signal = {"soort": rng.choice(pool), "ernst": rng.choice(SEVERITIES)}
        if rng.random() < 0.7:
            signal["duur_weken"] = rng.randint(0, 12)
        signals.append(signal)
    case: dict = {"taak": rng.choice(list(vocab["taken"])), "signalen": signals}
    if rng.random() < 0.7:
        case["leeftijd"] = rng.randint(4, 25)
    if rng.random() < 0.7:
        case["mentor"] = {"scholing": rng.sample(trainings, min(len(trainings), rng.choice([0, 1, 2, 50])))}
    if rng.random() < 0.4:
        case["eerdere_aanpak"] = {"weken": rng.randint(0, 12), "effect": rng.choice(EFFECTS)}
    return case


def agree(policy: grenzen.Policy, raw_cases: list[dict]) -> None:
    for raw in raw_cases:
        case = Casus.model_validate(raw, context=policy._context)
        expected = reference_advice(policy.rules, policy.agreements, case)
        assert engine_advice_fields(policy.advise(case)) == expected, raw


def agree_on_random_cases(policy: grenzen.Policy, vocab: dict, hot: Sequence[str] = (), count: int = 300, seed: int = 1):
    rng = random.Random(seed)
    agree(policy, [random_case(rng, vocab, hot) for _ in range(count)])


# --- the limits valid policies hit before (issue 10), each reproduced ---------------------------------------------


def test_fourteen_kinds_with_two_bounds(tmp_path):
    """Was engine code 113 at load: 14 per-kind lists each with an $and of two bounds overflow 31 expression slots."""
    vocab = vocabulary(kinds=14)
    policy = load(tmp_path, [rule(0, {"signaal": {"soort": kinds(14), "ernst_minstens": "matig",
                                                   "ernst_hoogstens": "ernstig"}})], vocab)
    assert policy.advise({"taak": "t1", "signalen": [{"soort": "k13", "ernst": "ernstig"}]}).redenen[0].regel == "r0"
    agree_on_random_cases(policy, vocab)


def test_thirty_three_kinds_in_one_list(tmp_path):
    """Was refused: 'meer dan 32 mogelijkheden', a limit the documentation did not mention."""
    vocab = vocabulary(kinds=33)
    policy = load(tmp_path, [rule(0, {"signaal": {"soort": kinds(33)}})], vocab)
    assert policy.advise({"taak": "t1", "signalen": [{"soort": "k32", "ernst": "licht"}]}).redenen[0].regel == "r0"


def test_a_vocabulary_of_250_trainings(tmp_path):
    """Was engine code 302 at every advice: one fact property per training passes the 255-property limit."""
    vocab = vocabulary(trainings=250)
    policy = load(tmp_path, [rule(0, {"scholing": "x249"}, "mentor"), rule(1, {"taak": "t1"})], vocab)
    advice = policy.advise({"taak": "t1", "mentor": {"scholing": ["x249"]}})
    assert [r.regel for r in advice.redenen] == ["r1", "r0"]
    agree_on_random_cases(policy, vocab)


def test_247_negated_kinds(tmp_path):
    """Was engine code 302 at every advice after the policy loaded: one sentinel list per negated kind."""
    vocab = vocabulary(kinds=247)
    policy = load(tmp_path, [rule(0, {"niet": {"signaal": {"soort": kinds(247)}}})], vocab)
    assert policy.advise({"taak": "t1"}).redenen[0].regel == "r0"
    agree_on_random_cases(policy, vocab)


def test_one_of_five_branches_of_two_bounded_signals(tmp_path):
    """Was engine code 113 at load (no file, no line): 17 nested $and/$or in one engine rule."""
    vocab = vocabulary(kinds=10)
    branches = [{"alle": [{"signaal": {"soort": f"k{2 * j}", "ernst_minstens": "matig", "ernst_hoogstens": "ernstig"}},
                          {"signaal": {"soort": f"k{2 * j + 1}", "ernst_minstens": "matig",
                                       "ernst_hoogstens": "acuut"}}]} for j in range(5)]
    policy = load(tmp_path, [rule(0, {"een_van": branches})], vocab)
    case = {"taak": "t1", "signalen": [{"soort": "k8", "ernst": "matig"}, {"soort": "k9", "ernst": "acuut"}]}
    assert policy.advise(case).redenen[0].regel == "r0"
    agree_on_random_cases(policy, vocab)


# --- the sizes issue 10 asks for: each loads, advises and agrees with the reference evaluator -------------------


def every_signal_of(names: list[str], severity: str = "acuut") -> dict:
    """A case with 50 signals (the most a case may have), each of another kind: every branch of a kind list true."""
    return {"taak": "t1", "signalen": [{"soort": k, "ernst": severity, "duur_weken": 9} for k in names[:50]]}


def test_a_signal_condition_over_500_kinds(tmp_path, layout):
    vocab = vocabulary(kinds=600)
    named = kinds(500, start=100)
    rules = [rule(0, {"signaal": {"soort": named}}),
             rule(1, {"signaal": {"soort": named, "ernst_minstens": "ernstig"}, "taak": ["t1", "t2"]}, "extern"),
             rule(2, {"signaal": {"soort": named, "duur_minstens_weken": 4}}, "mentor")]
    policy = load(tmp_path, rules, vocab)
    # with marks each is one engine rule; in the list layout each is spread over several
    assert len(policy._compiled.rulesets.circuits) == (3 if layout == "lists" else 0)
    assert [r.regel for r in policy.advise(every_signal_of(named)).redenen] == ["r1", "r0", "r2"]
    assert [r.regel for r in policy.advise(every_signal_of(named[-50:], "matig")).redenen] == ["r0", "r2"]
    agree_on_random_cases(policy, vocab, named)


def test_a_rule_that_needs_two_different_tasks_leaves_no_parts_named(tmp_path, layout, monkeypatch):
    """Found by the fuzz test below: in a policy packed by task, a rule spread over several engine rules that needs a
    task from two lists that share none (so no case meets it) was in no ruleset, but its circuit still named its
    parts."""
    monkeypatch.setattr(_compile, "GROUPS_PER_RULESET", 2)  # packed by task with only a few rules
    vocab = vocabulary(kinds=600)
    named = kinds(500, start=100)
    rules = [rule(0, {"signaal": {"soort": named}}),
             rule(1, {"alle": [{"taak": ["t1"]}, {"taak": ["t2"]}, {"signaal": {"soort": named}}]}, "extern")]
    policy = load(tmp_path, rules, vocab)
    held = {name for text in policy._compiled.rulesets for name in json.loads(text)}
    for circuit in policy._compiled.rulesets.circuits.values():
        assert set(_leaves(circuit)) <= held
    assert [r.regel for r in policy.advise(every_signal_of(named)).redenen] == ["r0"]
    agree_on_random_cases(policy, vocab, named)


def test_more_signal_blocks_than_one_fact_holds(tmp_path, layout):
    """600 distinct signal blocks: one fact cannot hold a mark for each (255 properties), each ruleset's can: every
    block has a mark and each ruleset gets a fact with only its own (in the list layout: lists)."""
    from grenzen.pipeline._compile import fact_texts

    vocab = vocabulary(kinds=60)
    rules = [rule(i, {"signaal": {"soort": f"k{i % 60}", "duur_minstens_weken": i // 60}}, "mentor") for i in range(600)]
    policy = load(tmp_path, rules, vocab)
    compiled = policy._compiled
    assert (compiled.ruleset_marks is not None) is (layout == "marks")
    case = Casus.model_validate(every_signal_of(kinds(60)))
    texts = fact_texts(case, compiled, None)
    for text in [texts] if isinstance(texts, str) else texts:
        assert len(json.loads(text)) + 2 <= 255  # sid and id are added by the engine driver
    assert len(policy.advise(case).redenen) == 50 * 10  # each of the 50 signals lasts 9 weeks: blocks up to 9 weeks
    agree_on_random_cases(policy, vocab, kinds(60))


def test_100_kinds_with_two_bounds(tmp_path):
    vocab = vocabulary(kinds=120)
    named = kinds(100, start=20)
    rules = [rule(0, {"signaal": {"soort": named, "ernst_minstens": "matig", "ernst_hoogstens": "ernstig"}}),
             rule(1, {"signaal": {"soort": named, "ernst_hoogstens": "matig", "duur_minstens_weken": 2}}, "mentor")]
    policy = load(tmp_path, rules, vocab)
    assert [r.regel for r in policy.advise(every_signal_of(named, "ernstig")).redenen] == ["r0"]
    agree_on_random_cases(policy, vocab, named)


@pytest.mark.slow
def test_one_of_100_alternatives(tmp_path):
    vocab = vocabulary(kinds=200, trainings=10)
    alternatives = []
    for j in range(100):
        a, b = f"k{2 * j}", f"k{2 * j + 1}"
        alternatives.append([
            {"alle": [{"signaal": {"soort": a, "ernst_minstens": "matig", "ernst_hoogstens": "ernstig"}},
                      {"signaal": {"soort": b, "ernst_minstens": "ernstig"}}]},
            {"signaal": {"soort": [a, b], "duur_minstens_weken": j % 7}, "taak": ["t1", "t2"]},
            {"alle": [{"niet": {"signaal": {"soort": a}}}, {"scholing": f"x{j % 10}"}, {"leeftijd": {"vanaf": 12}}]},
            {"een_van": [{"signaal": {"soort": b, "ernst_hoogstens": "licht"}}, {"eerdere_aanpak": {"effect": "geen"}}]},
        ][j % 4])
    one_bound = [a for j, a in enumerate(alternatives) if j % 4]  # under 'niet' a signal may have one bound
    policy = load(tmp_path, [rule(0, {"een_van": alternatives}), rule(1, {"niet": {"een_van": one_bound}}, "mentor")],
                  vocab)
    agree_on_random_cases(policy, vocab, kinds(200), count=600)


@pytest.mark.slow
def test_1000_trainings(tmp_path):
    vocab = vocabulary(kinds=4, trainings=1000)
    all_trainings = list(vocab["scholing"])
    rules = [rule(0, {"scholing": all_trainings}, "mentor"), rule(1, {"niet": {"scholing": all_trainings[:999]}}),
             rule(2, {"scholing": "x999", "taak": "t2"}, "extern"),
             rule(3, {"alle": [{"scholing": all_trainings[500:]}, {"signaal": {"soort": ["k0", "k1"]}}]})]
    policy = load(tmp_path, rules, vocab)
    assert [r.regel for r in policy.advise({"taak": "t2", "mentor": {"scholing": ["x999"]}}).redenen] == ["r2", "r1", "r0"]
    assert [r.regel for r in policy.advise({"taak": "t1", "mentor": {"scholing": all_trainings[:50]}}).redenen] == ["r0"]
    agree_on_random_cases(policy, vocab)


@pytest.mark.slow
def test_1000_negated_kinds(tmp_path):
    vocab = vocabulary(kinds=1000)
    every = kinds(1000)
    rules = [rule(0, {"niet": {"signaal": {"soort": every}}}),
             rule(1, {"niet": {"signaal": {"soort": every, "ernst_minstens": "ernstig"}}}, "mentor"),
             rule(2, {"niet": {"signaal": {"behalve_soort": ["k0"], "duur_minstens_weken": 3}}}, "extern"),
             rule(3, {"alle": [{"niet": {"signaal": {"soort": every[:500], "ernst_hoogstens": "matig"}}},
                               {"niet": {"signaal": {"soort": every[500:]}}}]})]
    policy = load(tmp_path, rules, vocab)
    assert [r.regel for r in policy.advise({"taak": "t1"}).redenen] == ["r2", "r0", "r3", "r1"]
    assert [r.regel for r in policy.advise(every_signal_of(every[950:], "licht")).redenen] == ["r1"]
    agree_on_random_cases(policy, vocab, every)


def test_a_product_of_alternatives(tmp_path):
    """Was refused ('te ingewikkeld', more than 32 alternatives): an 'alle' of three lists of 30 is 27,000."""
    vocab = vocabulary(kinds=60, trainings=30)
    wide = [{"een_van": [{"signaal": {"soort": f"k{i}", "ernst_minstens": "matig"}} for i in range(30)]},
            {"een_van": [{"scholing": f"x{i}"} for i in range(30)]},
            {"een_van": [{"signaal": {"soort": f"k{30 + i}", "duur_minstens_weken": i % 5}} for i in range(30)]}]
    small = {"een_van": [{"taak": "t1"}, {"taak": "t2"}, {"scholing": "x0"}, {"scholing": "x1"}]}
    policy = load(tmp_path, [rule(0, {"alle": wide}), rule(1, {"alle": [small, small, small]}, "mentor")], vocab)
    agree_on_random_cases(policy, vocab, kinds(60))


# --- what remains: checked at load, located, in Dutch ----------------------------------------------------------


@pytest.mark.slow
def test_negated_bounds_up_to_the_limit_load_and_one_more_is_a_located_problem(tmp_path):
    from grenzen.pipeline._compile import MAX_NEGATED_BOUNDS

    vocab = vocabulary(kinds=8)
    rules = [rule(w, {"niet": {"signaal": {"soort": f"k{w % 8}", "duur_minstens_weken": w}}}) for w in range(MAX_NEGATED_BOUNDS)]
    policy = load(tmp_path / "ok", rules, vocab)
    agree_on_random_cases(policy, vocab, count=40)
    rules.append(rule(MAX_NEGATED_BOUNDS, {"alle": [{"taak": "t1"}, {"niet": {"signaal": {"duur_minstens_weken": 300}}}]}))
    with pytest.raises(grenzen.PolicyError) as caught:
        load(tmp_path / "te_veel", rules, vocab)
    [problem] = caught.value.problems
    assert problem.file.endswith("b_thema.yaml") and problem.rule == f"r{MAX_NEGATED_BOUNDS}"
    assert (problem.line, problem.column) > (1, 0)  # at the rule's 'als'
    assert f"meer dan {MAX_NEGATED_BOUNDS} verschillende grenzen" in problem.message and "duur_minstens_weken" in problem.fix


def test_the_default_policy_is_far_below_the_limit_that_remains():
    from grenzen.pipeline._compile import MAX_NEGATED_BOUNDS, negated_bounds

    policy = grenzen.load_policy()
    used = {b for r in policy.rules for b in negated_bounds(r.als)}
    assert 10 * len(used) <= MAX_NEGATED_BOUNDS


# --- large valid policies never give EngineError ------------------------------------------------------------------

FUZZ_KINDS, FUZZ_TRAININGS, FUZZ_TASKS = 300, 300, 6
FUZZ_VOCABULARY = {**vocabulary(kinds=FUZZ_KINDS, trainings=FUZZ_TRAININGS),
                   "taken": {f"t{i}": {"label": f"T{i}", "omschrijving": "taak"} for i in range(1, FUZZ_TASKS + 1)}}


def names(prefix: str, total: int):
    """One name, or a list of distinct names, short or long (up to ``total``)."""
    size = st.one_of(st.integers(1, min(4, total)), st.integers(min(30, total), total))
    many = st.tuples(size, st.permutations(range(total))).map(lambda s: [f"{prefix}{i}" for i in s[1][:s[0]]])
    return st.one_of(st.integers(0, total - 1).map(lambda i: f"{prefix}{i}"), many)


def sized_lists(children, most: int):
    return st.one_of(st.integers(1, 3), st.integers(4, most)).flatmap(
        lambda n: st.lists(children, min_size=n, max_size=n))


@st.composite
def big_signals(draw):
    cond = {}
    which = draw(st.integers(0, 4))
    if which in (1, 2, 3):
        cond["soort"] = draw(names("k", FUZZ_KINDS))
    elif which == 4:
        cond["behalve_soort"] = draw(names("k", FUZZ_KINDS))
    bounds = draw(st.sampled_from([0, 0, 1, 1, 2]))
    for key in draw(st.permutations(["ernst_minstens", "ernst_hoogstens", "duur_minstens_weken"]))[:bounds]:
        cond[key] = draw(st.integers(0, 10)) if key == "duur_minstens_weken" else draw(st.sampled_from(SEVERITIES))
    if "ernst_minstens" in cond and "ernst_hoogstens" in cond:
        cond["ernst_minstens"], cond["ernst_hoogstens"] = sorted([cond["ernst_minstens"], cond["ernst_hoogstens"]],
                                                                 key=SEVERITIES.index)
    return {"signaal": cond}


big_atoms = st.one_of(
    big_signals(), big_signals(),
    names("t", FUZZ_TASKS + 1).map(lambda t: {"taak": [x for x in ([t] if isinstance(t, str) else t) if x != "t0"] or "t1"}),
    names("x", FUZZ_TRAININGS).map(lambda x: {"scholing": x}),
    st.builds(lambda a, b: {"leeftijd": {"vanaf": min(a, b), "tot_en_met": max(a, b)}}, st.integers(4, 25), st.integers(4, 25)),
    st.sampled_from(EFFECTS).map(lambda e: {"eerdere_aanpak": {"effect": e, "weken_minstens": 2}}),
)
big_conditions = st.recursive(
    big_atoms,
    lambda children: st.one_of(
        sized_lists(children, 40).map(lambda xs: {"een_van": xs}),
        sized_lists(children, 12).map(lambda xs: {"alle": xs}),
        children.map(lambda x: {"niet": x}),
    ),
    max_leaves=60,
)


@pytest.mark.slow
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                  HealthCheck.function_scoped_fixture])
@pytest.mark.slow
@given(st.lists(big_conditions, min_size=1, max_size=6), st.integers(0, 2**32))
def test_large_valid_policies_load_and_advise_without_engine_errors(tmp_path_factory, conditions, seed):
    """Generated large policies: they load (or hit the one documented refusal about bounds under 'niet'), every
    engine rule fits the engine's limits, and advice on random cases, 50 signals included, is the reference's."""
    import json

    from grenzen.pipeline._compile import MAX_NODES

    rules = [rule(i, c, ["mentor", "zorgteam", "extern"][i % 3]) for i, c in enumerate(conditions)]
    try:
        policy = load(tmp_path_factory.mktemp("p"), rules, FUZZ_VOCABULARY)
    except grenzen.PolicyError as exc:
        assert all("onder 'niet' mag een signaal hoogstens één grens" in p.message for p in exc.problems), exc
        return
    engine_rules = {}
    for text in policy._compiled.rulesets:
        engine_rules.update(json.loads(text))
    for body in engine_rules.values():
        text = json.dumps(body)
        assert text.count('"$and"') + text.count('"$or"') <= MAX_NODES
    for circuit in policy._compiled.rulesets.circuits.values():
        assert set(_leaves(circuit)) <= set(engine_rules)
    rng = random.Random(seed)
    agree(policy, [random_case(rng, FUZZ_VOCABULARY, [f"k{i}" for i in range(FUZZ_KINDS)]) for _ in range(40)])


def _leaves(circuit):
    if isinstance(circuit, str):
        yield circuit
    else:
        for part in circuit[1]:
            yield from _leaves(part)


def test_the_limits_are_in_the_writers_guide():
    from pathlib import Path

    from grenzen.pipeline._compile import MAX_NEGATED_BOUNDS

    guide = (Path(__file__).parents[1] / "docs" / "regels-schrijven.md").read_text(encoding="utf-8")
    section = guide.split("## Grenzen van het beleid", 1)[1].split("\n## ", 1)[0]
    assert f"| {MAX_NEGATED_BOUNDS} |" in section and "500 soorten" in section and "1.000 scholingen" in section
