"""Signal selectors (``groep``, ``veiligheid`` in a ``signaal`` block) and safety parity of a school's new kinds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import engine_advice_fields, kinds_of, reference_advice
from strategies import dump, write_policy

import grenzen
from grenzen import Casus
from grenzen.pipeline._audit import _uses

SEVERITIES = ["licht", "matig", "ernstig", "acuut"]
DEFAULT_GROUPS = {"leren", "sociaal", "welzijn", "thuis", "verzuim", "veiligheid"}
NEW_KIND = "huwelijksdwang"


@pytest.fixture(scope="module")
def default():
    return grenzen.load_policy()


# --- the vocabulary --------------------------------------------------------------------------------------------


def test_every_default_kind_declares_one_of_the_default_groups(default):
    groups = {kind: term.groep for kind, term in default.vocabulary.signalen.items()}
    assert set(groups.values()) == DEFAULT_GROUPS  # and so no kind lacks one (None is no group)


def test_the_policy_document_names_the_selection_not_its_kinds(default):
    from grenzen.toolkit._render import render_policy

    document = render_policy(default)
    assert "er is een veiligheidssignaal" in document
    assert "‘sexting en beeldmisbruik’ of" not in document  # the safety kinds are no longer listed


def test_no_list_of_safety_kinds_remains_in_the_default_rules(default):
    """A protection for every safety kind selects them with 'veiligheid: ja', so a kind a school adds gets it too."""
    from grenzen.pipeline._validate import walk

    safety = {kind for kind, term in default.vocabulary.signalen.items() if term.veiligheid}
    lists = [
        (rule.id, names)
        for rule in default.rules
        for _, cond in walk(rule.als, ())
        if cond.signaal is not None
        for names in (cond.signaal.soort, cond.signaal.behalve_soort)
        if names and len(names) > 1 and safety & set(names)
    ]
    assert lists == []
    assert any(cond.signaal is not None and cond.signaal.veiligheid
               for rule in default.rules for _, cond in walk(rule.als, ()))


# --- small policies --------------------------------------------------------------------------------------------

VOCABULARY: dict[str, Any] = {
    "naam": "Selectoren",
    "signalen": {
        "huiswerk": {"label": "Huiswerk", "omschrijving": "h", "groep": "leren"},
        "cijfers": {"label": "Cijfers", "omschrijving": "c", "groep": "leren"},
        "pesten": {"label": "Pesten", "omschrijving": "p", "groep": "sociaal"},
        "sexting": {"label": "Sexting", "omschrijving": "s", "groep": "sociaal", "veiligheid": "ja"},
        "geweld": {"label": "Geweld", "omschrijving": "g", "groep": "veiligheid", "veiligheid": "ja"},
        "overig": {"label": "Overig", "omschrijving": "o"},
    },
    "taken": {"gesprek": {"label": "Gesprek", "omschrijving": "g"}},
    "scholing": {"coaching": {"label": "Coaching", "omschrijving": "c"}},
}
KINDS = list(VOCABULARY["signalen"])
#: with a kind marked 'familie_niet_benaderen: ja' (a safety kind, as it must be)
FAMILY_VOCABULARY: dict[str, Any] = {**VOCABULARY, "signalen": {
    **VOCABULARY["signalen"],
    "eer": {"label": "Eer", "omschrijving": "e", "groep": "veiligheid", "veiligheid": "ja", "familie_niet_benaderen": "ja"},
}}


def _rule(rule_id: str, als: dict, route: str = "zorgteam", **extra) -> dict:
    return {"id": rule_id, "titel": rule_id, "bron": "test", "als": als,
            "dan": {"route": route, "urgentie": "vandaag", "uitleg": rule_id}, **extra}


SAFE = _rule("veilig", {"signaal": {"veiligheid": "ja"}}, "extern", absoluut="ja")  # every policy must refer safety


def _policy(tmp_path: Path, rules: list[dict], vocabulary: dict = VOCABULARY):
    return grenzen.load_policy(write_policy(tmp_path / "regels", [SAFE, *rules], vocabulary=vocabulary))


def _applies(policy, rule_id: str, *signals: tuple[str, str], taak: str = "gesprek") -> bool:
    case = {"taak": taak, "signalen": [{"soort": k, "ernst": e} for k, e in signals]}
    return rule_id in [r.regel for r in policy.advise(case).redenen]


def test_a_selector_selects_the_kinds_of_the_vocabulary(tmp_path):
    policy = _policy(tmp_path, [
        _rule("leren", {"signaal": {"groep": "leren"}}),
        _rule("twee_groepen", {"signaal": {"groep": ["leren", "sociaal"], "veiligheid": "nee"}}),
        _rule("geen_veiligheid", {"signaal": {"veiligheid": "nee", "ernst_minstens": "matig"}}),
        _rule("behalve", {"signaal": {"groep": "leren", "behalve_soort": "cijfers"}}),
        _rule("soort_en_veiligheid", {"signaal": {"soort": ["pesten", "sexting"], "veiligheid": "ja"}}),
    ])
    selected = {rule: [k for k in KINDS if _applies(policy, rule, (k, "matig"))]
                for rule in ("veilig", "leren", "twee_groepen", "geen_veiligheid", "behalve", "soort_en_veiligheid")}
    assert selected == {
        "veilig": ["sexting", "geweld"],
        "leren": ["huiswerk", "cijfers"],
        "twee_groepen": ["huiswerk", "cijfers", "pesten"],
        "geen_veiligheid": ["huiswerk", "cijfers", "pesten", "overig"],  # a kind without a group is no safety kind
        "behalve": ["huiswerk"],
        "soort_en_veiligheid": ["sexting"],
    }
    assert not _applies(policy, "geen_veiligheid", ("huiswerk", "licht"))  # the bounds hold for the same signal
    # the rules keep what was written; the engine and the tools read the kinds
    written = {r.id: r for r in policy.rules}
    resolved = {r.id: r for r in policy.resolved_rules}
    assert written["veilig"].als.signaal.veiligheid is True and written["veilig"].als.signaal.soort is None
    assert resolved["veilig"].als.signaal.soort == ["sexting", "geweld"]
    assert resolved["veilig"].als.signaal.veiligheid is None


def test_a_selector_under_niet_means_no_signal_of_those_kinds(tmp_path):
    policy = _policy(tmp_path, [
        _rule("zonder_veiligheid", {"taak": "gesprek", "niet": {"signaal": {"veiligheid": "ja"}}}, "mentor"),
        _rule("zonder_zwaar_leren", {"taak": "gesprek",
                                     "niet": {"signaal": {"groep": "leren", "ernst_minstens": "ernstig"}}}, "mentor"),
    ])
    assert _applies(policy, "zonder_veiligheid", ("pesten", "acuut"), ("overig", "licht"))
    assert not _applies(policy, "zonder_veiligheid", ("pesten", "licht"), ("geweld", "licht"))
    assert _applies(policy, "zonder_zwaar_leren", ("huiswerk", "matig"), ("pesten", "acuut"))
    assert not _applies(policy, "zonder_zwaar_leren", ("cijfers", "ernstig"))


def test_a_selection_of_no_kind_never_holds_and_its_negation_always_does(tmp_path):
    policy = _policy(tmp_path, [
        _rule("leeg", {"signaal": {"groep": "leren", "veiligheid": "ja"}}),
        _rule("niet_leeg", {"taak": "gesprek", "niet": {"signaal": {"groep": "leren", "veiligheid": "ja"}}}),
    ])
    for kind in KINDS:
        assert not _applies(policy, "leeg", (kind, "acuut"))
        assert _applies(policy, "niet_leeg", (kind, "acuut"))


def test_controleer_reports_a_rule_whose_selection_is_empty(tmp_path):
    from grenzen.toolkit._analysis import analyse_policy

    policy = _policy(tmp_path, [_rule("leeg", {"signaal": {"groep": "leren", "veiligheid": "ja"}})])
    assert ("nooit-van-toepassing", "leeg") in [(f.kind, f.rule) for f in analyse_policy(policy).findings]


def test_an_unknown_group_is_a_located_problem_with_a_hint(tmp_path):
    directory = write_policy(tmp_path / "regels", [SAFE, _rule("r", {"alle": [{"signaal": {"groep": ["leren", "sociaa"]}}]})],
                             vocabulary=VOCABULARY)
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(directory)
    [problem] = info.value.problems
    assert problem.message == "onbekende groep 'sociaa': geen signaalsoort in de woordenlijst heeft die groep"
    assert problem.fix == "bedoel je 'sociaal'?"
    assert problem.rule == "r" and problem.file.endswith("b_thema.yaml")
    lines = (directory / "b_thema.yaml").read_text(encoding="utf-8").splitlines()
    assert "sociaa" in lines[problem.line - 1]


def test_an_unknown_group_without_any_groups_says_how_to_declare_one(tmp_path):
    vocabulary = {**VOCABULARY, "signalen": {k: {key: v for key, v in t.items() if key != "groep"}
                                             for k, t in VOCABULARY["signalen"].items()}}
    problems = grenzen.check_policy(write_policy(tmp_path / "r", [SAFE, _rule("r", {"signaal": {"groep": "leren"}})],
                                                 vocabulary=vocabulary))
    assert [(p.message, p.fix) for p in problems] == [(
        "onbekende groep 'leren': geen signaalsoort in de woordenlijst heeft die groep",
        "geef de signaalsoorten in woordenlijst.yaml een groep, bijvoorbeeld 'groep: leren'")]


def test_a_group_name_follows_the_name_rules(tmp_path):
    vocabulary = {**VOCABULARY, "signalen": {**VOCABULARY["signalen"],
                                             "extra": {"label": "E", "omschrijving": "e", "groep": "Leren en zo"}}}
    problems = grenzen.check_policy(write_policy(tmp_path / "r", [SAFE], vocabulary=vocabulary))
    assert [p.message for p in problems] == ["ongeldige naam bij 'groep'"]


def test_an_overlay_kind_is_selected_by_its_group_and_its_safety_flag(tmp_path):
    overlay = tmp_path / "school"
    overlay.mkdir()
    (overlay / "laag.yaml").write_text(dump({
        "naam": "School", "basis": str(write_policy(tmp_path / "basis", [SAFE, _rule("leren", {"signaal": {"groep": "leren"}})],
                                                     vocabulary=VOCABULARY)),
        "signalen": {"taalachterstand": {"label": "T", "omschrijving": "t", "groep": "leren"},
                     "dwang": {"label": "D", "omschrijving": "d", "groep": "thuis", "veiligheid": "ja"}},
    }), encoding="utf-8")
    (overlay / "school.yaml").write_text(dump({"thema": "School", "regels": [
        _rule("thuis", {"signaal": {"groep": ["thuis", "leren"]}}, "extern")]}), encoding="utf-8")
    policy = grenzen.load_policy(overlay)
    assert _applies(policy, "leren", ("taalachterstand", "licht"))  # a base rule selects the overlay's kind
    assert _applies(policy, "veilig", ("dwang", "licht"))
    assert [k for k in ["huiswerk", "taalachterstand", "dwang", "pesten"] if _applies(policy, "thuis", (k, "licht"))] \
        == ["huiswerk", "taalachterstand", "dwang"]  # an overlay's rule uses the overlay's new group


def test_an_audit_record_keeps_only_the_signals_a_selector_selects(tmp_path):
    policy = _policy(tmp_path, [])
    case = {"taak": "gesprek", "signalen": [{"soort": "geweld", "ernst": "licht"}, {"soort": "huiswerk", "ernst": "licht"}]}
    record = policy.audit_record(case, policy.advise(case))
    assert record.gebruikte_gegevens["signalen"] == [{"soort": "geweld", "ernst": "licht"}]
    assert _uses(policy.resolved_rules)["kinds"] == {"sexting", "geweld"}


# --- engine and reference agree on selectors, with safety kinds in groups --------------------------------------


@st.composite
def _selector_rules(draw):
    blocks = st.fixed_dictionaries({}, optional={
        "groep": st.sampled_from(["leren", "sociaal", "veiligheid", ["leren", "veiligheid"]]),
        "veiligheid": st.sampled_from(["ja", "nee"]),
        "familie_niet_benaderen": st.sampled_from(["ja", "nee"]),
        "behalve_soort": st.sampled_from(["sexting", "huiswerk", ["pesten", "geweld", "eer"]]),
        "soort": st.sampled_from(["sexting", ["huiswerk", "overig"]]),
        "ernst_minstens": st.sampled_from(SEVERITIES),
    }).filter(lambda b: not ("soort" in b and "behalve_soort" in b))
    conditions = st.one_of(blocks.map(lambda b: {"signaal": b}), blocks.map(lambda b: {"niet": {"signaal": b}}),
                           st.lists(blocks.map(lambda b: {"signaal": b}), min_size=1, max_size=3).map(
                               lambda xs: {"een_van": xs}))
    count = draw(st.integers(1, 5))
    return [_rule(f"r{i}", {"alle": draw(st.lists(conditions, min_size=1, max_size=2))},
                  draw(st.sampled_from(["mentor", "zorgteam", "extern"]))) for i in range(count)]


_signals = st.lists(st.fixed_dictionaries({"soort": st.sampled_from([*KINDS, "eer"]),  # eer: FAMILY_VOCABULARY
                                           "ernst": st.sampled_from(SEVERITIES)}), max_size=3)


@pytest.mark.slow
@given(_selector_rules(), st.lists(_signals, min_size=1, max_size=10))
@settings(max_examples=int(os.environ.get("GRENZEN_DIFF_EXAMPLES", "60")), deadline=None)
def test_engine_and_reference_agree_on_selectors(tmp_path_factory, rules, signal_lists):
    policy = _policy(tmp_path_factory.mktemp("p"), rules, vocabulary=FAMILY_VOCABULARY)
    safety = frozenset(k for k, t in FAMILY_VOCABULARY["signalen"].items() if t.get("veiligheid") == "ja")
    for signals in signal_lists:
        case = Casus.model_validate({"taak": "gesprek", "signalen": signals})
        expected = reference_advice(policy.rules, policy.agreements, case, safety, kinds=kinds_of(policy))
        assert engine_advice_fields(policy.advise(case)) == expected


# --- safety parity --------------------------------------------------------------------------------------------


def _meldcode_overlay(directory: Path) -> Path:
    """What docs/beleid-bijhouden.md has a school do: a new meldcode form, one absolute extern rule."""
    directory.mkdir()
    (directory / "laag.yaml").write_text(dump({
        "naam": "Proefschool",
        "basis": "standaard",
        "signalen": {NEW_KIND: {"label": "Huwelijksdwang", "omschrijving": "De leerling wordt gedwongen te trouwen.",
                                "veiligheid": "ja", "groep": "veiligheid"}},
    }), encoding="utf-8")
    (directory / "meldcode.yaml").write_text(dump({"thema": "Meldcode", "regels": [{
        "id": NEW_KIND, "titel": "Huwelijksdwang", "bron": "Meldcode", "absoluut": "ja",
        "als": {"signaal": {"soort": NEW_KIND}},
        "dan": {"route": "extern", "urgentie": "direct", "uitleg": "Direct melden."},
    }]}), encoding="utf-8")
    return directory


def _lighter(policy, task: str, training: tuple[str, ...], signals: list[dict], safety: list[str]) -> list[str]:
    """The default safety kinds that ``NEW_KIND`` is treated more lightly than, in ``signals`` (``K`` = the kind)."""
    mentor_rules = {r.id for r in policy.rules if r.dan.route == "mentor"}

    def outcome(kind: str) -> tuple[bool, set[str]]:
        case = {"taak": task, "signalen": [{**s, "soort": kind if s["soort"] == "K" else s["soort"]} for s in signals],
                "mentor": {"scholing": list(training)}}
        advice = policy.advise(case)
        return advice.taak_hoort_bij_mentor, {r.regel for r in advice.redenen} & mentor_rules

    new_verdict, new_rules = outcome(NEW_KIND)
    out = []
    for kind in safety:
        verdict, rules = outcome(kind)
        if verdict != new_verdict or new_rules - rules:
            out.append(kind)
    return out


@pytest.mark.slow
def test_a_safety_kind_a_school_adds_is_never_treated_more_lightly_than_a_default_one(tmp_path, default):
    """For every default safety kind K (read from the vocabulary) and a kind K' an overlay adds with 'veiligheid: ja'
    and one absolute extern rule: in every task × training situation (none, each alone, all), at every severity,
    alone or next to a light signal of any other kind, K' gets the same verdict as K and no mentor-route rule that
    K does not get."""
    policy = grenzen.load_policy(_meldcode_overlay(tmp_path / "school"))
    vocabulary = default.vocabulary
    safety = [kind for kind, term in vocabulary.signalen.items() if term.veiligheid]
    others = [kind for kind, term in vocabulary.signalen.items() if not term.veiligheid]
    assert len(safety) >= 7
    trainings = [(), *((t,) for t in vocabulary.scholing), tuple(vocabulary.scholing)]
    lighter: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    for task in vocabulary.taken:
        for training in trainings:
            found = set()
            for severity in SEVERITIES:
                found.update(_lighter(policy, task, training, [{"soort": "K", "ernst": severity}], safety))
            # a second, light signal may open a training exception (scholing.yaml) that must stay shut for K'
            for other in others:
                found.update(_lighter(policy, task, training, [{"soort": "K", "ernst": "licht"},
                                                               {"soort": other, "ernst": "licht"}], safety))
            if found:
                lighter[(task, training)] = found
    situations = len(vocabulary.taken) * len(trainings)
    assert not lighter, (f"'{NEW_KIND}' is lichter behandeld dan een standaard-veiligheidssoort in {len(lighter)} van "
                         f"{situations} situaties, bijvoorbeeld {sorted(lighter.items())[:3]}")


# --- familie_niet_benaderen ------------------------------------------------------------------------------------



def test_familie_niet_benaderen_selects_the_kinds_marked_so(tmp_path):
    policy = _policy(tmp_path, [
        _rule("familie", {"signaal": {"familie_niet_benaderen": "ja"}}),
        _rule("andere_veiligheid", {"signaal": {"veiligheid": "ja", "familie_niet_benaderen": "nee"}}),
        _rule("verzuim_zonder_familie", {"alle": [{"signaal": {"soort": "overig"}},
                                                  {"niet": {"signaal": {"familie_niet_benaderen": "ja"}}}]}),
    ], vocabulary=FAMILY_VOCABULARY)
    kinds = list(FAMILY_VOCABULARY["signalen"])
    assert [k for k in kinds if _applies(policy, "familie", (k, "licht"))] == ["eer"]
    assert [k for k in kinds if _applies(policy, "andere_veiligheid", (k, "licht"))] == ["sexting", "geweld"]
    assert _applies(policy, "verzuim_zonder_familie", ("overig", "licht"), ("geweld", "licht"))
    assert not _applies(policy, "verzuim_zonder_familie", ("overig", "licht"), ("eer", "licht"))


def test_familie_niet_benaderen_without_veiligheid_is_a_located_problem(tmp_path):
    vocabulary = {**VOCABULARY, "signalen": {**VOCABULARY["signalen"], "eer": {
        "label": "Eer", "omschrijving": "e", "familie_niet_benaderen": "ja"}}}
    directory = write_policy(tmp_path / "r", [SAFE], vocabulary=vocabulary)
    [problem] = grenzen.check_policy(directory)
    assert problem.code == "familie-zonder-veiligheid"
    assert problem.message == "'familie_niet_benaderen: ja' vraagt ook 'veiligheid: ja' bij deze soort"
    assert "zet ook 'veiligheid: ja'" in problem.fix
    lines = (directory / "woordenlijst.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[problem.line - 1].strip() == "familie_niet_benaderen: ja"


def test_a_school_kind_marked_familie_niet_benaderen_gets_the_defaults_exceptions(tmp_path):
    """Safety is a property of a class of signals: a kind a school adds with 'familie_niet_benaderen: ja' sets aside
    the default's steps that send the mentor to the parents, as the default's own such kinds do."""
    overlay = tmp_path / "school"
    overlay.mkdir()
    (overlay / "laag.yaml").write_text(dump({"naam": "School", "basis": "standaard", "signalen": {
        "loverboy_familie": {"label": "Uitbuiting door familie", "omschrijving": "u", "groep": "veiligheid",
                             "veiligheid": "ja", "familie_niet_benaderen": "ja"}}}), encoding="utf-8")
    policy = grenzen.load_policy(overlay)
    advice = policy.advise({"taak": "verzuimgesprek", "leeftijd": 15, "signalen": [
        {"soort": "loverboy_familie", "ernst": "ernstig"}, {"soort": "verzuim_16_uur", "ernst": "matig"}]})
    assert "verzuim-16-uur-familie-niet-benaderen" in [r.regel for r in advice.redenen]
    assert "verzuim-16-uur" in [o.regel for o in advice.opzij_gezet]
    assert not [step for step in advice.mentor_doet if "Vertel leerling en ouders" in step]
    assert "Vertel de ouders niet zelf dat het verzuim gemeld wordt." in advice.mentor_doet_niet


def test_the_document_and_verschil_name_a_school_kind_marked_familie_niet_benaderen(tmp_path, capsys):
    """A trial: the policy document did not say which kinds count as family danger, verschil showed the new kind with
    '(veiligheid: ja)' only, and 'niet: (er is een veiligheidssignaal)' was no B1 Dutch."""
    from grenzen.cli import main
    from grenzen.toolkit._render import render_policy

    overlay = tmp_path / "school"
    overlay.mkdir()
    (overlay / "laag.yaml").write_text(dump({"naam": "School", "basis": "standaard", "signalen": {
        "dreiging_familie": {"label": "Dreiging door de familie", "omschrijving": "d", "groep": "veiligheid",
                             "veiligheid": "ja", "familie_niet_benaderen": "ja"}}}), encoding="utf-8")
    (overlay / "school.yaml").write_text(dump({"thema": "School", "regels": [
        _rule("ouders-bellen", {"alle": [{"taak": "oudercontact"}, {"niet": {"signaal": {"veiligheid": "ja"}}}]},
              "mentor")]}), encoding="utf-8")
    document = render_policy(grenzen.load_policy(overlay))
    family = document[document.index("(`familie_niet_benaderen: ja`)"):]
    assert "- Dreiging door de familie (`dreiging_familie`)" in family.split("\n\n#")[0]
    assert "de taak is ‘contact met ouders’ en er is geen veiligheidssignaal" in document
    assert main(["verschil", "standaard", str(overlay)]) == 0
    out = capsys.readouterr().out
    assert "signaal nieuw: dreiging_familie ('Dreiging door de familie') (veiligheid: ja, familie_niet_benaderen: ja)" \
        in out
