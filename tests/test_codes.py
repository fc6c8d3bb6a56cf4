"""Errors carry stable codes (issue 13, point 8): tests and programs act on the code, never on the Dutch text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import dump, write_policy

import grenzen
from grenzen import CaseError, PolicyError

GOOD = {"id": "goed", "titel": "T", "bron": "B", "als": {"taak": "t1"}, "dan": {"route": "mentor", "uitleg": "u"}}


def case_codes(case) -> list[tuple[str, str]]:
    with pytest.raises(CaseError) as info:
        grenzen.advise(case)
    return [(e.field, e.code) for e in info.value.errors]


@pytest.mark.parametrize("case, expected", [
    ({"signalen": []}, [("taak", "verplicht-veld-ontbreekt")]),
    ({"taak": "signaleren", "naam": "x"}, [("<onbekend veld>", "onbekende-sleutel")]),
    ({"taak": "signaleren", "signalen": [{"soort": "pestn", "ernst": "licht"}]}, [("signalen.0.soort", "onbekende-naam")]),
    ({"taak": "signaleren", "signalen": [{"soort": "pesten", "ernst": "heel erg"}]}, [("signalen.0.ernst", "ongeldige-keuze")]),
    ({"taak": "signaleren", "leeftijd": 3}, [("leeftijd", "te-klein")]),
    ({"taak": "signaleren", "leeftijd": 30}, [("leeftijd", "te-groot")]),
    # past what an integer holds: still on the side of its sign (an integrator trial got ongeldige-waarde)
    ('{"taak": "signaleren", "leeftijd": 1e20}', [("leeftijd", "te-groot")]),
    ('{"taak": "signaleren", "leeftijd": -1e308}', [("leeftijd", "te-klein")]),
    ({"taak": "signaleren", "leeftijd": "oud"}, [("leeftijd", "geen-geheel-getal")]),
    ({"taak": "signaleren", "signalen": "pesten"}, [("signalen", "geen-lijst")]),
    ('{"taak": "signaleren", "taak": "oudercontact"}', [("(casus)", "dubbele-sleutel")]),
    ('{"taak": "signaleren", "leeftijd": NaN}', [("(casus)", "ongeldig-getal")]),
    ("", [("(casus)", "leeg")]),
    ("[1, 2]", [("(casus)", "geen-object")]),
    ("taak: signaleren\nleeftijd: !!int \"14\"", [("(casus)", "tag")]),
    ("a: &x 1\nb: *x", [("(casus)", "anker")]),
    ("leeftijd: 017\ntaak: signaleren", [("(casus)", "vreemd-getal")]),
    (b"\xff\xfe", [("(casus)", "geen-utf8")]),
    ("x" * 1_000_001, [("(casus)", "te-groot")]),
])
def test_case_errors_have_codes(case, expected):
    assert case_codes(case) == expected


@pytest.mark.parametrize("signals, shown", [(33, 99), (34, 101), (50, 101)])
def test_errors_stop_at_a_hundred_and_count_the_rest(signals, shown):
    """A case of many unknown keys gave one error each (an integrator trial: 120,000 errors, a 15 MB answer, 2 s);
    after 100 one more error counts the rest, so nothing is hidden and the answer stays small."""
    case = {"taak": "signaleren", "signalen": [{"soort": "x9", "ernst": "heel", "duur_weken": -1}] * signals}
    with pytest.raises(CaseError) as info:
        grenzen.advise(case)
    errors = info.value.errors
    assert len(errors) == shown and len({e.field for e in errors}) == shown  # 3 per signal, each its own field
    if signals * 3 > 100:
        assert errors[-1].code == "meer-fouten" and errors[-1].field == "(casus)"
        assert errors[-1].message.startswith(f"en nog {signals * 3 - 100} fouten")
        assert all(e.code != "meer-fouten" for e in errors[:-1])


@pytest.mark.parametrize("case, field, near", [
    ({"taak": "signaleren", "signalen": [{"soort": "Suïcidaal plan", "ernst": "acuut"}]}, "signalen.0.soort",
     "suicidaal_plan"),
    ({"taak": "signaleren", "signalen": [{"soort": "SEXTING", "ernst": "licht"}]}, "signalen.0.soort", "sexting"),
    ({"taak": "Signaleren"}, "taak", "signaleren"),
    ({"taak": "signaleren", "mentor": {"scholing": ["Rouwbegeleiding"]}}, "mentor.scholing.0", "rouwbegeleiding"),
])
def test_a_name_in_capitals_or_with_accents_gets_the_vocabularys_name(case, field, near):
    """"ongeldige tekens of lengte" without a hint for 'Sexting' (a third trial); the value sent is never shown."""
    with pytest.raises(CaseError) as info:
        grenzen.advise(case)
    [error] = info.value.errors
    assert (error.field, error.code) == (field, "ongeldige-naam")
    assert (error.message, error.hint) == ("ongeldige tekens of lengte", f"bedoel je '{near}'?")
    with pytest.raises(CaseError) as info:
        grenzen.advise({"taak": "signaleren", "id": "Niet Geldig!"})  # not a name of the vocabulary: no hint
    assert (info.value.errors[0].message, info.value.errors[0].hint) == ("ongeldige tekens of lengte", "")


def test_equal_errors_are_given_once_with_how_often():
    """A batch of 1,000 cases with 101 unknown keys each answered 13 MB of equal errors (a second trial)."""
    for keys, counted, more in ((5, 5, None), (100, 100, None), (120_000, 100, 119_900)):
        case = {"taak": "signaleren", **{f"k{i}": 0 for i in range(keys)}}
        with pytest.raises(CaseError) as info:
            grenzen.advise(case)
        errors = info.value.errors
        assert errors[0].field == "<onbekend veld>" and errors[0].message.endswith(f" ({counted} keer)")
        assert [e.code for e in errors] == ["onbekende-sleutel"] + (["meer-fouten"] if more else [])
        if more:
            assert errors[-1].message.startswith(f"en nog {more} fouten")
    with pytest.raises(CaseError) as info:
        grenzen.advise({"taak": "signaleren", "k": 0})
    assert "keer)" not in info.value.errors[0].message


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["taak", "leeftijd", "signalen", "mentor", "eerdere_aanpak", "x"]),
                       st.one_of(st.none(), st.integers(-5, 40), st.text(max_size=5), st.lists(st.integers(), max_size=2))))
def test_every_case_error_has_a_code(case):
    try:
        grenzen.advise(case)
    except CaseError as exc:
        assert all(e.code for e in exc.errors), exc.errors


def problem_codes(directory: Path) -> set[str]:
    with pytest.raises(PolicyError) as info:
        grenzen.load_policy(directory)
    assert all(p.code for p in info.value.problems), [str(p) for p in info.value.problems]
    return {p.code for p in info.value.problems}


def with_theme(tmp_path: Path, text: str) -> Path:
    directory = write_policy(tmp_path / "regels", [GOOD])
    (directory / "c_fout.yaml").write_text(text, encoding="utf-8")
    return directory


@pytest.mark.parametrize("rule, code", [
    ({**GOOD, "id": "b", "alss": {"taak": "t1"}}, "onbekende-sleutel"),
    ({k: v for k, v in {**GOOD, "id": "b"}.items() if k != "bron"}, "verplicht-veld-ontbreekt"),
    ({**GOOD, "id": "b", "absoluut": "misschien"}, "geen-ja-nee"),
    ({**GOOD, "id": "b", "dan": {"route": "ergens", "uitleg": "u"}}, "ongeldige-keuze"),
    ({**GOOD, "id": "B b"}, "ongeldige-naam"),
    ({**GOOD}, "dubbele-id"),
    ({**GOOD, "id": "b", "bron": "   "}, "leeg"),  # a trial: it loaded, and the advice showed "Bron:" and nothing
    ({**GOOD, "id": "b", "dan": {"route": "mentor", "uitleg": "u", "mentor_doet": [" "]}}, "leeg"),
    ({**GOOD, "id": "b", "als": {"signaal": {"soort": "onbekend"}}}, "onbekende-naam"),
    ({**GOOD, "id": "b", "zet_opzij": ["b"]}, "zet-zichzelf-opzij"),
    ({**GOOD, "id": "b", "als": {"leeftijd": {"vanaf": 16, "tot_en_met": 12}}}, "grenzen-omgedraaid"),
    ({**GOOD, "id": "b", "als": {"signaal": {"groep": "geen_groep"}}}, "onbekende-groep"),
])
def test_rule_file_problems_have_codes(tmp_path, rule, code):
    assert code in problem_codes(with_theme(tmp_path, dump({"thema": "C", "regels": [rule]})))


@pytest.mark.parametrize("cond, hint", [
    ({"taak": "T1"}, "bedoel je 't1'?"),
    ({"taak": ["t1", "Ouder Contact"]}, "bedoel je 'ouder_contact'?"),
    ({"signaal": {"soort": "Suïcidaal-plan"}}, "bedoel je 'suicidaal_plan'?"),
    ({"taak": "t 1!"}, None),  # no name after plain letters either: no hint
])
def test_a_name_in_a_rule_file_in_capitals_or_with_accents_gets_its_plain_spelling(tmp_path, cond, hint):
    """A policy writer who wrote 'Rouw' only read "gebruik kleine letters" (a trial); the name as names are written
    is offered, the file's own value may be shown (it is policy, not a case)."""
    with pytest.raises(PolicyError) as info:
        grenzen.load_policy(with_theme(tmp_path, dump({"thema": "C", "regels": [{**GOOD, "id": "b", "als": cond}]})))
    [problem] = [p for p in info.value.problems if p.code == "ongeldige-naam"]
    assert problem.fix.startswith("gebruik kleine letters") and problem.fix.endswith(f"; {hint}" if hint else "beginnen); hoogstens 60 tekens")


def test_a_rule_id_in_capitals_is_spelled_as_an_id_with_its_dashes(tmp_path):
    # a name in capitals got "bedoel je 'rouw'?" but an id none (a trial); an id keeps '-', so no '_' hint either
    rule = {**GOOD, "id": "School-Regel", "zet_opzij": ["Goed Genoeg"]}
    with pytest.raises(PolicyError) as info:
        grenzen.load_policy(with_theme(tmp_path, dump({"thema": "C", "regels": [rule]})))
    rule_says = ("gebruik kleine letters, cijfers en '_', en begin met een letter (een regel-id mag ook '-' hebben en "
                 "met een cijfer beginnen); hoogstens 80 tekens")
    assert [p.fix for p in info.value.problems if p.code == "ongeldige-naam"] == [
        f"{rule_says}; bedoel je 'school-regel'?", f"{rule_says}; bedoel je 'goed-genoeg'?"]


@pytest.mark.parametrize("text, code", [
    ("thema: C\nthema: D\nregels: []\n", "dubbele-sleutel"),
    ("thema: &a C\nregels: [*a]\n", "anker"),
    ("thema: C\nregels:\n  - [\n", "geen-geldige-yaml"),
    ("- een lijst\n", "geen-blok"),
])
def test_yaml_problems_have_codes(tmp_path, text, code):
    assert code in problem_codes(with_theme(tmp_path, text))


def test_a_missing_folder_has_a_code(tmp_path):
    assert problem_codes(tmp_path / "nergens") == {"geen-map"}


def test_a_misspelt_choice_in_a_rule_file_gets_the_nearest_and_a_single_name_is_not_item_1(tmp_path):
    # "ernstg" got only "kies uit licht, matig, ernstig, acuut"; "soort: Rouw" was "item 1 van 'soort'" (a trial)
    rule = {**GOOD, "id": "b", "als": {"signaal": {"soort": "Rouw", "ernst_minstens": "ernstg"}},
            "dan": {"route": "mentr", "uitleg": "u"}}
    with pytest.raises(PolicyError) as info:
        grenzen.load_policy(with_theme(tmp_path, dump({"thema": "C", "regels": [rule]})))
    said = {(p.code, p.message.split(" bij ")[-1].split(" voor ")[-1], p.fix.rsplit("; ", 1)[-1])
            for p in info.value.problems}
    assert said == {("ongeldige-keuze", "'ernst_minstens'", "bedoel je 'ernstig'?"),
                    ("ongeldige-keuze", "'route'", "bedoel je 'mentor'?"),
                    ("ongeldige-naam", "'soort'", "bedoel je 'rouw'?")}


@pytest.mark.parametrize("case, code", [
    ({"taak": "signaleren", "id": "Jan de Vries"}, "ongeldige-naam"),
    ({"taak": "signaleren", "id": "\ud800"}, "ongeldige-tekens"),
    ({"taak": "signaleren", "signalen": [{"soort": "pesten", "ernst": "licht"}] * 60}, "te-lang"),
    ({"taak": "signaleren", "leeftijd": 40}, "te-groot"),
    ({"taak": "onbekend"}, "onbekende-naam"),
])
def test_the_codes_of_a_case_are_in_the_integrators_guide(case, code):
    """An integrator met codes the guide's list did not have (a trial); the guide says to act on the codes."""
    assert [found for _, found in case_codes(case)] == [code]
    guide = (Path(__file__).parents[1] / "docs" / "integratie.md").read_text(encoding="utf-8")
    assert f"`{code}`" in guide[guide.index("The codes of a case"):guide.index("A rules directory's problems")]
