"""The durable_rules driver: complete matching, limits, side-by-side policies, threads, faults, memory."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import durable_rules_engine as _dre  # the C extension grenzen.pipeline._engine drives
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import engine_advice_fields, holds, reference_advice
from strategies import cases, rule_sets, write_policy

import grenzen
from grenzen import Casus, EngineError
from grenzen.pipeline import _engine

ALTERNATIVES: list[dict[str, Any]] = [
    {"taak": "t1"},
    {"scholing": "x"},
    {"leeftijd": {"vanaf": 4}},
    {"signaal": {"soort": "a"}},
    {"signaal": {}},
    {"eerdere_aanpak": {"weken_minstens": 0}},
    {"niet": {"taak": "t2"}},
    {"niet": {"signaal": {"soort": "b"}}},
]
EVERYTHING_TRUE: dict[str, Any] = {
    "taak": "t1",
    "leeftijd": 12,
    "mentor": {"scholing": ["x"]},
    "eerdere_aanpak": {"weken": 3, "effect": "geen"},
    "signalen": [{"soort": "a", "ernst": "acuut"}],
}


def _rule(i: int, cond: dict, route: str = "mentor") -> dict:
    return {"id": f"r{i}", "titel": f"R{i}", "bron": "b", "als": cond, "dan": {"route": route, "uitleg": "u"}}


def _policy(tmp_path: Path, rules: list[dict]) -> grenzen.Policy:
    return grenzen.load_policy(write_policy(tmp_path / "regels", rules))


@pytest.mark.slow
@pytest.mark.parametrize("count,width", [(300, 1), (300, 8), (320, 32)])
def test_large_policies_where_every_branch_matches(tmp_path, count, width):
    # 32 alternatives per rule (the most the validator allows), all true at once, in 320 rules:
    # far beyond the 64-slot engine stack that an ungrouped ruleset would overflow (error 303).
    def cond(i: int) -> dict:
        if width == 1:
            return ALTERNATIVES[i % 8]
        if width == 32:
            return {"alle": [{"een_van": ALTERNATIVES[:4]}, {"een_van": ALTERNATIVES[4:8]},
                             {"een_van": [ALTERNATIVES[0], ALTERNATIVES[1]]}]}
        return {"een_van": [ALTERNATIVES[(i + k) % 8] for k in range(width)]}

    policy = _policy(tmp_path, [_rule(i, cond(i)) for i in range(count)])
    advice = policy.advise(EVERYTHING_TRUE)
    assert [r.regel for r in advice.redenen] == [f"r{i}" for i in range(count)]
    assert policy.advise({"taak": "t2"}).redenen  # still usable, and a case that matches less


@pytest.mark.slow
def test_more_than_512_rules_on_one_field(tmp_path):
    # the engine hangs with > 512 children under one node; grouping keeps every node small
    rules = [_rule(i, {"leeftijd": {"vanaf": 4 + i % 20, "tot_en_met": 25}}) for i in range(600)]
    policy = _policy(tmp_path, rules)
    case = Casus.model_validate({"taak": "t1", "leeftijd": 10})
    got = [r.regel for r in policy.advise(case).redenen]
    assert got == [r.id for r in policy.rules if holds(r.als, case)]


def test_case_matching_nothing_gives_fallback_not_a_crash(tmp_path):
    policy = _policy(tmp_path, [_rule(0, {"taak": "t3"})])
    for _ in range(3000):  # the engine's delete_state crash needed a never-fired session: we never delete
        advice = policy.advise({"taak": "t1"})
        assert advice.route == "zorgteam"
        assert advice.redenen[0].regel == "geen-regel-van-toepassing"
    assert policy.advise({"taak": "t3"}).redenen[0].regel == "r0"


def test_policies_side_by_side_and_reloaded(tmp_path):
    one = _policy(tmp_path / "een", [_rule(0, {"taak": "t1"}, "mentor")])
    two = _policy(tmp_path / "twee", [_rule(0, {"taak": "t1"}, "extern")])
    assert one.advise({"taak": "t1"}).route == "mentor"
    assert two.advise({"taak": "t1"}).route == "extern"
    # reload: a new object from changed files; the old one keeps answering from its own rules
    reloaded = _policy(tmp_path / "een", [_rule(0, {"taak": "t1"}, "zorgteam")])
    assert reloaded.advise({"taak": "t1"}).route == "zorgteam"
    assert one.advise({"taak": "t1"}).route == "mentor"
    assert reloaded.version != one.version
    for _ in range(50):  # many create/delete cycles do not break the engine
        _policy(tmp_path / "drie", [_rule(0, {"taak": "t2"})])
    assert one.advise({"taak": "t1"}).route == "mentor"


def test_no_engine_background_threads(tmp_path):
    before = threading.active_count()
    policy = _policy(tmp_path, [_rule(0, {"taak": "t1"})])
    for _ in range(100):
        policy.advise({"taak": "t1"})
    assert threading.active_count() == before


def _threaded(policy, raw_cases, threads=8):
    expected = [reference_advice(policy.rules, policy.agreements, Casus.model_validate(c)) for c in raw_cases]
    wrong: list[int] = []
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        order = list(range(len(raw_cases)))
        random.Random(seed).shuffle(order)
        try:
            for i in order:
                if engine_advice_fields(policy.advise(raw_cases[i])) != expected[i]:
                    wrong.append(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return wrong, errors


@pytest.mark.slow
@settings(max_examples=5)
@given(rule_sets(min_rules=6, max_rules=10), st.lists(cases, min_size=10, max_size=30))
def test_threads_share_one_policy_without_wrong_answers(tmp_path_factory, rules, raw_cases):
    try:
        policy = _policy(tmp_path_factory.mktemp("t"), rules)
    except grenzen.PolicyError:
        return  # a generated policy over the documented compile limits
    wrong, errors = _threaded(policy, raw_cases * 20)
    assert not errors and not wrong


@pytest.mark.slow
def test_reload_while_other_threads_evaluate(tmp_path):
    rules = [_rule(i, ALTERNATIVES[i % 8], ["mentor", "zorgteam", "extern"][i % 3]) for i in range(40)]
    policy = _policy(tmp_path / "a", rules)
    raw = [EVERYTHING_TRUE, {"taak": "t2"}, {"taak": "t3", "signalen": [{"soort": "b", "ernst": "licht"}]}] * 300
    done = threading.Event()
    reloads = [0]

    def reload() -> None:
        while not done.is_set():
            _policy(tmp_path / f"b{reloads[0] % 3}", rules).advise({"taak": "t1"})
            reloads[0] += 1

    reloader = threading.Thread(target=reload)
    reloader.start()
    try:
        wrong, errors = _threaded(policy, raw, threads=4)
    finally:
        done.set()
        reloader.join()
    assert not errors and not wrong and reloads[0] > 0


def test_engine_failure_is_an_error_for_that_case_and_the_policy_recovers(tmp_path, monkeypatch):
    policy = _policy(tmp_path, [_rule(0, {"taak": "t1"})])
    real = _dre.assert_fact

    def broken(handle, text):
        raise _dre.error("Could not assert fact, error code: 303")

    monkeypatch.setattr(_dre, "assert_fact", broken)
    with pytest.raises(EngineError) as info:
        policy.advise({"taak": "t1"})
    assert "t1" not in str(info.value)  # names no case content
    monkeypatch.setattr(_dre, "assert_fact", real)
    assert policy.advise({"taak": "t1"}).route == "mentor"


def test_engine_reporting_a_duplicate_fact_is_an_error_not_an_empty_match(tmp_path, monkeypatch):
    policy = _policy(tmp_path, [_rule(0, {"taak": "t1"})])
    monkeypatch.setattr(_dre, "assert_fact", lambda handle, text: (_engine.ALREADY_ASSERTED, 0))
    with pytest.raises(EngineError):
        policy.advise({"taak": "t1"})


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_memory_does_not_grow_per_case(tmp_path):
    rules = [_rule(i, ALTERNATIVES[i % 8]) for i in range(40)]
    policy = _policy(tmp_path, rules)
    raw = [EVERYTHING_TRUE, {"taak": "t2", "signalen": [{"soort": "b", "ernst": "licht", "duur_weken": 2}]}]
    for i in range(5000):
        policy.advise(raw[i % 2])
    start = _rss_kib()
    for i in range(30000):
        policy.advise(raw[i % 2])
    assert _rss_kib() - start < 2048  # a leak of one session per case would be ~0.5 MB each


def _left_behind(policy: grenzen.Policy) -> list[str]:
    """The facts still held in the engine session of each of the policy's rulesets."""
    return [facts for handle in policy._engine._handles if (facts := _dre.get_facts(handle, _engine.SESSION)) != "[]"]


def test_retract_leaves_no_fact_behind(tmp_path, monkeypatch):
    # a policy spread over several rulesets (17 groups of 12), and the default policy with its exceptions
    spread = _policy(tmp_path, [_rule(i, ALTERNATIVES[i % 8]) for i in range(17 * 12)])
    default = grenzen.load_policy()
    rng = random.Random(5)
    kinds, tasks = sorted(default.vocabulary.signalen), sorted(default.vocabulary.taken)
    for _ in range(300):
        signals = [{"soort": rng.choice(kinds), "ernst": rng.choice(["licht", "matig", "ernstig", "acuut"])}
                   for _ in range(rng.randint(0, 4))]
        default.advise({"taak": rng.choice(tasks), "leeftijd": rng.randint(11, 19), "signalen": signals})
        spread.advise(EVERYTHING_TRUE if rng.random() < 0.5 else {"taak": "t2"})
    assert len(spread._engine._handles) > 1
    assert _left_behind(default) == [] and _left_behind(spread) == []
    # the check has teeth: a retraction that names another fact leaves the case's fact behind
    real = _engine.Engine._run
    monkeypatch.setattr(_engine.Engine, "_run", staticmethod(
        lambda handle, text, retraction, cut: real(handle, text, retraction.replace('"id":"c', '"id":"x'), cut)))
    spread.advise({"taak": "t1"})
    assert _left_behind(spread)


@pytest.mark.slow
@settings(max_examples=6, deadline=None)
@given(raw_cases=st.lists(cases, min_size=60, max_size=60), seed=st.integers(0, 2**16))
def test_a_policy_split_by_task_visits_fewer_rulesets_and_agrees_with_the_reference(tmp_path_factory, raw_cases, seed):
    # 700 rules, too many for one ruleset: the rules that need a task go to rulesets packed by task
    rng = random.Random(seed)
    tasks = ["t1", "t2", "t3"]
    rules = []
    for i in range(700):
        cond = ALTERNATIVES[rng.randrange(8)]
        shape = rng.randrange(4)
        if shape == 1:
            cond = {"alle": [{"taak": rng.sample(tasks, rng.randint(1, 2))}, cond]}
        elif shape == 2:
            cond = {"alle": [{"alle": [{"taak": rng.choice(tasks)}, cond]}, {"niet": {"taak": rng.choice(tasks)}}]}
        rules.append(_rule(i, cond, rng.choice(["mentor", "zorgteam", "extern"])))
    policy = grenzen.load_policy(write_policy(tmp_path_factory.mktemp("gesplitst") / "regels", rules))
    rulesets = policy._compiled.rulesets
    assert rulesets.by_task is not None
    assert all(len(rulesets.visit(t) or ()) < len(rulesets) for t in tasks)
    for raw in raw_cases:
        case = Casus.model_validate(raw)
        assert engine_advice_fields(policy.advise(case)) == reference_advice(policy.rules, policy.agreements, case)


@pytest.mark.parametrize("answer", ['{"r7":{"m":{}}}', '{"release":{"m":{}}}', "nonsense", ""])
def test_an_activation_for_a_rule_the_policy_does_not_have_is_an_error(tmp_path, monkeypatch, answer):
    # the driver reads each rule name from the engine's answer without decoding it; a name it did not compile is an
    # error, never a silently different set of rules
    policy = _policy(tmp_path, [_rule(0, {"taak": "t1"})])
    real = _dre.start_action_for_state
    monkeypatch.setattr(_dre, "start_action_for_state", lambda handle, state: (
        (None, answer) if real(handle, state) is not None else None))
    with pytest.raises(EngineError, match="onverwacht antwoord"):
        policy.advise({"taak": "t1"})
    monkeypatch.setattr(_dre, "start_action_for_state", real)
    assert policy.advise({"taak": "t1"}).route == "mentor"


def test_one_fact_per_ruleset_asked_or_an_error():
    # with a fact per ruleset (``_compile.fact_texts``) each ruleset gets its own; a wrong count is never half an answer
    engine = _engine.Engine(['{"a":{"all":[{"m":{"$ex":{"x":1}}}]}}', '{"b":{"all":[{"m":{"$ex":{"y":1}}}]}}'])
    assert engine.match(['{"x":1}', '{"y":1}']) == ["a", "b"]
    assert engine.match(['{"x":1}', '{"x":1}']) == ["a"]
    assert engine.match(['{"y":1}'], visit=[1]) == ["b"]
    assert engine.match('{"x":1,"y":1}') == ["a", "b"]  # one text: the same fact for every ruleset
    with pytest.raises(EngineError):
        engine.match(['{"x":1}'])


NAMES = st.from_regex(r"[a-z][a-z0-9_.]{0,11}", fullmatch=True)


@given(names=st.frozensets(NAMES, min_size=1, max_size=12), data=st.data())
def test_a_rule_name_read_by_its_head_is_the_name_found_by_its_quote(names, data):
    # ``match`` cuts every activation to one width and looks the head up (``_heads``); for every rule, whatever the
    # fact, that gives the name that finding the closing quote gives, and names far apart in length fall back to that
    cut, heads = _engine._heads(names)
    assert bool(heads) is (max(map(len, names)) - min(map(len, names)) <= len(_engine.ACTIVATION_TAIL) - 1)
    for name in names:
        fact = data.draw(st.from_regex(r'[a-z0-9_":,{}\[\]-]{0,30}', fullmatch=True))
        activation = '{"' + name + _engine.ACTIVATION_TAIL + fact + "}}}"
        assert (heads[cut(activation)] if heads else cut(activation)[2:activation.find('"', 2)]) == name


@pytest.mark.parametrize("names", [["a", "bbbbbbbb"], ["a", "bbbbbbbbb"], ["r1", "r12", "r1234"]])
def test_rules_named_with_any_lengths_fire_by_name(names):
    # with heads (lengths within the tail) and without (further apart): the same names, and nothing else
    text = "{" + ",".join(f'"{name}":{{"all":[{{"m":{{"$ex":{{"x{i}":1}}}}}}]}}' for i, name in enumerate(names)) + "}"
    engine = _engine.Engine([text])
    assert bool(engine._heads) is (max(map(len, names)) - min(map(len, names)) <= 7)
    for i, name in enumerate(names):
        assert engine.match(f'{{"x{i}":1,"y":1}}') == [name]
    fact = "{" + ",".join(f'"x{i}":1' for i in range(len(names))) + "}"
    assert sorted(engine.match(fact)) == sorted(names)


@given(fields=st.sets(st.sampled_from(["x", "y", "z", "w"])))
def test_indexes_are_the_numbers_of_the_names_match_finds(fields):
    # ``indexes`` reads a head straight as its rule's number, and goes through the names when a part of a spread
    # rule fired (r2 holds when both its parts do); a rule that fires twice (two paths of an $or) counts once
    from grenzen.pipeline._compile import Rulesets

    text = ('{"r0":{"all":[{"m":{"$or":[{"$ex":{"x":1}},{"$ex":{"y":1}}]}}]},"r1":{"all":[{"m":{"$ex":{"w":1}}}]},'
            '"r2.0":{"all":[{"m":{"$ex":{"y":1}}}]},"r2.1":{"all":[{"m":{"$ex":{"z":1}}}]}}')
    rulesets = Rulesets([text], {"r2": ("all", ["r2.0", "r2.1"])})
    rulesets.names = frozenset(["r0", "r1", "r2.0", "r2.1"])
    engine = _engine.Engine(rulesets, {"r0": 0, "r1": 1, "r2": 2})
    fact = "{" + ",".join([f'"{name}":1' for name in sorted(fields)] + ['"v":1']) + "}"
    expected = sorted({"r0": 0, "r1": 1, "r2": 2}[name] for name in engine.match(fact))
    assert engine.indexes(fact) == expected
    assert (2 in expected) is ({"y", "z"} <= fields)


def test_a_name_without_a_number_is_an_engine_error():
    engine = _engine.Engine(['{"a":{"all":[{"m":{"$ex":{"x":1}}}]}}', '{"b":{"all":[{"m":{"$ex":{"y":1}}}]}}'],
                            {"a": 0})
    assert engine.indexes('{"x":1}') == [0]
    with pytest.raises(EngineError):
        engine.indexes('{"y":1}')
