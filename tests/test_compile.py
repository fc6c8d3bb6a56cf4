"""The compile step: condition language → durable_rules JSON, and case → fact."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import cases, conditions

from grenzen import Casus
from grenzen.pipeline import _compile
from grenzen.pipeline._compile import (
    FALSE,
    GROUPS_PER_RULESET,
    RULES_PER_GROUP,
    SENTINEL,
    TRUE,
    _to_json,
    compile_rules,
    encode_case,
    negated_bounds,
    term_count,
    translate,
)
from grenzen.pipeline._rulefile import Regel, Voorwaarde

ALLOWED = {"$and", "$or", "$iany", "$iall", "$gte", "$lte", "$gt", "$lt", "$neq", "$ex"}


def cond(data: dict) -> Voorwaarde:
    return Voorwaarde.model_validate(data)


def compiled(data: dict) -> dict:
    return _to_json(translate(cond(data)))


def test_signal_of_several_kinds_is_an_or_of_per_kind_lists():
    assert compiled({"signaal": {"soort": ["a", "b"], "ernst_minstens": "matig"}}) == {
        "$or": [{"$iany": {"s_a": {"$gte": {"$i.e": 2}}}}, {"$iany": {"s_b": {"$gte": {"$i.e": 2}}}}]
    }


def test_bounds_of_one_signal_are_an_and_chain_inside_the_array():
    assert compiled({"signaal": {"ernst_hoogstens": "ernstig", "duur_minstens_weken": 4}}) == {
        "$iany": {"s": {"$and": [{"$lte": {"$i.e": 3}}, {"$gte": {"$i.d": 4}}]}}  # d >= 4 rules out the sentinel
    }
    assert compiled({"signaal": {"ernst_hoogstens": "ernstig"}}) == {
        "$iany": {"s": {"$and": [{"$gte": {"$i.e": 1}}, {"$lte": {"$i.e": 3}}]}}
    }
    assert compiled({"signaal": {"soort": "a", "ernst_hoogstens": "ernstig"}}) == {"$iany": {"s_a": {"$lte": {"$i.e": 3}}}}


def test_negations_are_single_comparisons():
    assert compiled({"niet": {"signaal": {"soort": "a"}}}) == {"$iall": {"s": {"$neq": {"$i.k": "a"}}}}
    assert compiled({"niet": {"signaal": {"soort": ["a", "b"], "ernst_minstens": "ernstig"}}}) == {
        "$iall": {"s": {"$and": [{"$neq": {"$i.ka3": "a"}}, {"$neq": {"$i.ka3": "b"}}]}}  # ka3: the kind if >= ernstig
    }
    assert compiled({"niet": {"signaal": {"ernst_hoogstens": "matig"}}}) == {"$iall": {"s": {"$i.kb2": "_"}}}
    assert compiled({"niet": {"leeftijd": {"vanaf": 12, "tot_en_met": 15}}}) == {
        "$or": [{"$lt": {"lft": 12}}, {"$gt": {"lft": 15}}]
    }
    assert compiled({"niet": {"taak": ["t1", "t2"]}}) == {"$and": [{"$neq": {"taak": "t1"}}, {"$neq": {"taak": "t2"}}]}
    assert compiled({"niet": {"scholing": "x"}}) == {"$iall": {"t": {"$neq": {"$i": "x"}}}}
    assert compiled({"scholing": ["x", "y"]}) == {"$or": [{"$iany": {"t": {"$i": "x"}}}, {"$iany": {"t": {"$i": "y"}}}]}


def test_any_kind_but_these():
    assert compiled({"signaal": {"behalve_soort": ["a", "b"], "ernst_minstens": "matig"}}) == {
        "$iany": {"s": {"$and": [{"$gte": {"$i.e": 2}}, {"$neq": {"$i.k": "a"}}, {"$neq": {"$i.k": "b"}}]}}
    }
    negated = _to_json(translate(cond({"niet": {"signaal": {"behalve_soort": "a"}}}), True, ("a", "b", "c")))
    assert negated == {"$iall": {"s": {"$and": [{"$neq": {"$i.k": "b"}}, {"$neq": {"$i.k": "c"}}]}}}


def test_double_negation_and_constants():
    assert compiled({"niet": {"niet": {"taak": "t1"}}}) == {"taak": "t1"}
    assert translate(cond({"alle": []})) == TRUE
    assert translate(cond({"niet": {"alle": []}})) == FALSE


def test_term_count_and_negated_bounds():
    wide = {"een_van": [{"taak": "t1"}, {"taak": "t2"}]}
    assert term_count(cond({"alle": [wide, wide, {"niet": {"leeftijd": {"vanaf": 3, "tot_en_met": 9}}}]})) == 8
    assert negated_bounds(cond({"niet": {"een_van": [{"signaal": {"soort": ["a", "b"]}}, {"niet": {"signaal": {"duur_minstens_weken": 3}}}]}})) == []
    assert negated_bounds(cond({"niet": {"een_van": [{"signaal": {"duur_minstens_weken": 3}}, {"signaal": {"ernst_minstens": "licht"}}]}})) == [(1, 4, 3)]


def _walk(node, inside_array=False):
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("$") and key != "$i" and not key.startswith("$i."):
                yield key, inside_array
            yield from _walk(value, inside_array or key in ("$iany", "$iall"))
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, inside_array)


@pytest.mark.slow
@settings(max_examples=500)
@given(conditions)
def test_only_verified_operators_and_never_an_or_inside_arrays(data):
    try:
        parsed = cond(data)
    except Exception:
        return
    expr = translate(parsed)
    if expr in (TRUE, FALSE):
        return
    for operator, inside_array in _walk(_to_json(expr)):
        assert operator in ALLOWED
        assert not (inside_array and operator in ("$or", "$iany", "$iall", "$ex")), (operator, data)


def test_grouping_and_rulesets():
    rules = [
        Regel.model_validate({"id": f"r{i}", "titel": "t", "bron": "b", "als": {"taak": "t1"}, "dan": {"route": "mentor", "uitleg": "u"}})
        for i in range(500)
    ]
    result = compile_rules(rules, ["x"])
    assert result.markers == {"_g": 1}  # one group field on the fact, whatever the number of groups
    seen = []
    for text in result.rulesets:
        ruleset = json.loads(text)
        tests = Counter(json.dumps(r["all"][0]["m"]["$and"][0]) for r in ruleset.values())
        assert len(tests) <= GROUPS_PER_RULESET and max(tests.values()) <= RULES_PER_GROUP
        assert all(test["$gte"]["_g"] <= 1 for test in map(json.loads, tests))  # every case fact meets each
        seen += list(ruleset)
    assert seen == [f"r{i}" for i in range(500)]


def test_never_matching_rule_is_left_out_of_the_engine():
    rule = Regel.model_validate({"id": "nooit", "titel": "t", "bron": "b", "als": {"niet": {"alle": []}}, "dan": {"route": "mentor", "uitleg": "u"}})
    result = compile_rules([rule], [])
    assert result.never == [0] and result.rulesets == []


FACT_RULE = {"id": "r", "titel": "t", "bron": "b", "als": {"alle": [
    {"niet": {"signaal": {"soort": "c", "duur_minstens_weken": 2}}}, {"signaal": {"soort": "a"}},
    {"signaal": {"soort": ["a", "b"], "ernst_minstens": "ernstig"}}]}, "dan": {"route": "mentor", "uitleg": "u"}}
FACT_CASE = {"taak": "t1", "signalen": [{"soort": "a", "ernst": "ernstig", "duur_weken": 2},
                                        {"soort": "b", "ernst": "licht"}], "mentor": {"scholing": ["y"]}}


def test_fact_layout():
    result = compile_rules([Regel.model_validate(FACT_RULE)], ["x", "y"])
    fact = encode_case(Casus.model_validate(FACT_CASE), result)
    assert fact["_g"] == 1 and fact["taak"] == "t1" and fact["lft"] == -1 and fact["lj"] == -1
    assert (fact["t"], fact["ea_w"], fact["ea_e"]) == (["y", "_"], -1, "_")  # the trainings, then a sentinel
    # each signal block has a mark, present when a signal of the case meets it: p0 (a c lasting 2 weeks) is left
    # out, so its 'niet' holds; p1 (an a) and p2 (an a or b, ernstig or worse) are there
    assert [m for m, _ in result.marks] == ["p0", "p1", "p2"] and not result.shared
    assert (fact["p1"], fact["p2"]) == (1, 1) and "p0" not in fact
    assert "s" not in fact and "s_a" not in fact  # no condition reads a list of signals
    assert len(fact) == 1 + 6 + 2  # the marker, taak, lft, lj, t, ea_w, ea_e and two marks
    body = json.loads(result.rulesets[0])["r0"]["all"][0]["m"]["$and"]
    assert body[1:] == [{"$nex": {"p0": 1}}, {"$ex": {"p1": 1}}, {"$ex": {"p2": 1}}]


@contextmanager
def _marks_for(room: int | None) -> Iterator[None]:
    """Compilations inside get marks for at most ``room`` signal blocks and no fact per ruleset (None: as always)."""
    with pytest.MonkeyPatch.context() as patch:
        if room is not None:
            patch.setattr(_compile, "mark_room", lambda blocks, counts: room)
            patch.setattr(_compile, "ruleset_room", lambda counts: 0)
        yield


def _fact_rule_with_room(room: int) -> tuple[_compile.Compiled, dict]:
    """FACT_RULE compiled with marks for at most ``room`` blocks, and FACT_CASE's fact."""
    with _marks_for(room):
        result = compile_rules([Regel.model_validate(FACT_RULE)], ["x", "y"])
    return result, encode_case(Casus.model_validate(FACT_CASE), result)


def test_fact_layout_of_blocks_without_marks():
    # past the room for marks (mark_room) a block keeps the list layout
    result, fact = _fact_rule_with_room(1)
    assert [m for m, _ in result.marks] == ["p0"] and "p0" not in fact
    assert (fact["t"], fact["ea_w"], fact["ea_e"]) == (["y", "_"], -1, "_")
    assert fact["s_a"] == [{"e": 3, "d": 2}] and fact["s_b"] == [{"e": 1, "d": -1}]  # kinds a condition names
    assert "s_c" not in fact  # the case has none
    assert not result.shared and "s" not in fact  # no unmarked block reads the list of all signals
    assert len(fact) == 1 + 6 + 2  # the marker, taak, lft, lj, t, ea_w, ea_e, s_a, s_b
    body = json.loads(result.rulesets[0])["r0"]["all"][0]["m"]["$and"]
    assert body[1] == {"$nex": {"p0": 1}} and {"$iany": {"s_a": {"$gte": {"$i.e": 1}}}} in body


def test_fact_layout_of_a_negated_block_without_a_mark():
    # a negated block past the room: one $iall over the list of all signals, with a field per bound
    result, fact = _fact_rule_with_room(0)
    assert result.marks == () and result.shared
    assert fact["s"] == [{"e": 3, "d": 2, "k": "a", "kw2": "a"}, {"e": 1, "d": -1, "k": "b", "kw2": "_"},
                         {**SENTINEL, "kw2": "_"}]
    body = json.loads(result.rulesets[0])["r0"]["all"][0]["m"]["$and"]
    assert body[1] == {"$iall": {"s": {"$neq": {"$i.kw2": "c"}}}}


def _fact_by_hand(case: Casus, result) -> dict:
    """The documented fact layout (docs/ontwerp.md), built the slow, obvious way."""
    fact = dict(result.markers)
    fact["taak"] = case.taak
    fact["lft"] = case.leeftijd if case.leeftijd is not None else -1
    fact["lj"] = case.leerjaar if case.leerjaar is not None else -1
    fact["t"] = list(case.mentor.scholing if case.mentor else []) + ["_"]
    fact["ea_w"] = case.eerdere_aanpak.weken if case.eerdere_aanpak else -1
    fact["ea_e"] = case.eerdere_aanpak.effect if case.eerdere_aanpak else "_"
    items = [{"e": ["licht", "matig", "ernstig", "acuut"].index(s.ernst) + 1, "d": -1 if s.duur_weken is None else s.duur_weken, "soort": s.soort}
             for s in case.signalen]

    def within(i, low, high, weeks):
        return low <= i["e"] <= high and (weeks is None or (i["d"] >= 0 and i["d"] >= weeks))

    for name, (kinds, excluded, low, high, weeks) in result.marks:  # per signal block with a mark: 1 if one meets it
        if any((kinds is None or i["soort"] in kinds) and i["soort"] not in excluded and within(i, low, high, weeks)
               for i in items):
            fact[name] = 1
    fact["s"] = [{"e": i["e"], "d": i["d"], "k": i["soort"]} | {f: (i["soort"] if within(i, lo, hi, w) else "_")
                                                               for f, lo, hi, w in result.bounds} for i in items]
    fact["s"].append(SENTINEL | {f: "_" for f, *_ in result.bounds})
    if not result.shared:  # no condition reads it
        del fact["s"]
    for kind in {i["soort"] for i in items} & result.listed_kinds:
        fact[f"s_{kind}"] = [{"e": i["e"], "d": i["d"]} for i in items if i["soort"] == kind]
    for name, kinds, excluded, low, high, weeks in result.counts:  # per counting block: how many signals it counts
        fact[name] = sum(1 for i in items if (kinds is None or i["soort"] in kinds) and i["soort"] not in excluded
                         and within(i, low, high, weeks))
    return fact


@pytest.mark.slow
@settings(max_examples=300)
@given(st.lists(conditions, min_size=1, max_size=4), cases, st.none() | st.integers(0, 4))
def test_fact_text_matches_the_documented_layout(conds, raw, room):
    # room: how many signal blocks get a mark (None: as many as the fact has room for, here all)
    result = _compiled_conditions(conds, room)
    case = Casus.model_validate(raw)
    assert encode_case(case, result) == _fact_by_hand(case, result)


@settings(max_examples=60)
@given(st.lists(conditions, min_size=1, max_size=4), st.lists(cases, min_size=2, max_size=12))
def test_the_signal_texts_a_policy_keeps_give_the_documented_fact(conds, raws):
    # fact_json keeps each signal's texts by (kind, severity, weeks), at most SIGNAL_TEXTS_KEPT (here 3, so it also
    # starts again); every case, asked twice, still gets the fact the documented layout gives
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_compile, "SIGNAL_TEXTS_KEPT", 3)
        _fact_twice(conds, raws)


def _fact_twice(conds: list, raws: list) -> None:
    result = _compiled_conditions(conds)
    for case in [Casus.model_validate(raw) for raw in raws] * 2:
        assert encode_case(case, result) == _fact_by_hand(case, result)
        assert len(result.signal_texts) <= 3


def _compiled_conditions(conds: list, room: int | None = None):
    """A policy of one mentor rule per generated condition (the ones the rule model accepts), compiled, with marks for
    at most ``room`` signal blocks (None: as ``mark_room`` says)."""
    rules = []
    for i, c in enumerate(conds):
        try:
            rules.append(Regel.model_validate({"id": f"r{i}", "titel": "t", "bron": "b", "als": c, "dan": {"route": "mentor", "uitleg": "u"}}))
        except Exception:
            continue
    with _marks_for(room):
        return compile_rules(rules, ["x", "y"], ["a", "b", "c", "d"])


@settings(max_examples=60)
@given(st.lists(conditions, min_size=1, max_size=30))
def test_the_rulesets_name_exactly_the_engine_rules_in_their_texts(conds):
    # the engine checks every activation's rule name against these names (an unknown one is an error)
    result = _compiled_conditions(conds * 8)  # up to 240 rules: several groups, and rules spread over engine rules
    assert result.rulesets.names == frozenset(name for text in result.rulesets for name in json.loads(text))


def test_the_engine_has_the_rule_names_from_compile_or_reads_them_from_the_texts():
    import grenzen
    from grenzen.pipeline._engine import Engine

    policy = grenzen.load_policy()
    texts = policy._compiled.rulesets
    assert policy._engine._names == frozenset(name for text in texts for name in json.loads(text))
    assert Engine(list(texts))._names == policy._engine._names  # plain texts: the names are read from them
