"""Issue 10, points 5 and 6: the tools a school uses to adapt the default policy (verschil, controleer, test, beleid)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

import grenzen
from grenzen._diff import compare_policies, load_version
from grenzen._policy import default_rules_dir
from grenzen.cli import main

BASIS = FIXTURES / "basis"
SCHOOL = FIXTURES / "school"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def versions(tmp_path):
    """Two versions of the basis fixture: the new one drops a safety flag, adds a kind, changes a destination, a
    consent row and the texts of a rule."""
    old, new = tmp_path / "oud", tmp_path / "nieuw"
    shutil.copytree(BASIS, old)
    _edit(old / "woordenlijst.yaml", "omschrijving: Concreet plan of poging.}",
          "omschrijving: Concreet plan of poging., veiligheid: ja}")
    shutil.copytree(BASIS, new)
    _edit(new / "woordenlijst.yaml", "taken:", "  heimwee: {label: Heimwee, omschrijving: Mist de oude school.}\ntaken:")
    _edit(new / "afspraken.yaml", "huisarts: {naam: huisarts,", "huisarts: {naam: huisarts of jeugdarts,")
    _edit(new / "afspraken.yaml", "wie: ouders en leerling}", "wie: leerling}")
    _edit(new / "veiligheid.yaml", "titel: Ernstig pesten", "titel: Ernstig pesten gaat naar het zorgteam")
    _edit(new / "veiligheid.yaml", "{soort: pesten, ernst_minstens: ernstig}", "{soort: pesten, ernst_minstens: acuut}")
    _edit(new / "veiligheid.yaml", "mentor_doet: [Blijf bij de leerling.]", "mentor_doet: [Laat de leerling niet alleen.]")
    return old, new


def test_compare_policies_lists_vocabulary_agreements_consent_and_rule_texts(versions):
    result = compare_policies(*versions)
    rows = lambda items: [(d.part, d.name, d.field, d.old, d.new, d.error) for d in items]  # noqa: E731
    assert rows(result.vocabulary[:1]) == [("signalen", "suicidaal_plan", "veiligheid", True, False, True)]
    [added] = result.vocabulary[1:]  # the error comes first
    assert (added.part, added.name, added.field, added.old, added.error) == ("signalen", "heimwee", "", None, False)
    assert added.new["label"] == "Heimwee" and not added.new["veiligheid"]
    assert result.safety_lost == ["suicidaal_plan"]
    assert rows(result.agreements) == [
        ("bestemmingen", "huisarts", "naam", "huisarts", "huisarts of jeugdarts", False),
        ("toestemming", "12 tot en met 15 jaar", "wie", "ouders en leerling", "leerling", False),
    ]
    assert sorted(result.rules_changed) == ["pesten-zwaar", "suicidaal-plan"]
    texts = {(d.name, d.field): (d.old, d.new) for d in result.rule_texts}
    assert texts == {
        ("suicidaal-plan", "mentor_doet"): (["Blijf bij de leerling."], ["Laat de leerling niet alleen."]),
        ("pesten-zwaar", "titel"): ("Ernstig pesten", "Ernstig pesten gaat naar het zorgteam"),
        ("pesten-zwaar", "als"): ("er is een signaal ‘pesten’, minstens ernstig", "er is een signaal ‘pesten’, minstens acuut"),
    }


def test_a_removed_safety_kind_is_an_error_and_a_removed_task_is_listed(tmp_path):
    old = tmp_path / "oud"
    shutil.copytree(BASIS, old)
    _edit(old / "woordenlijst.yaml", "taken:", "  huwelijksdwang: {label: Huwelijksdwang, omschrijving: Dwang tot "
                                               "een huwelijk., veiligheid: ja}\ntaken:")
    _edit(old / "woordenlijst.yaml", "scholing:", "  huisbezoek: {label: Huisbezoek, omschrijving: Op bezoek.}\nscholing:")
    _edit(old / "veiligheid.yaml", "regels:\n", "regels:\n  - {id: dwang, titel: Dwang, bron: Meldcode, absoluut: ja, "
                                                "als: {signaal: {soort: huwelijksdwang}}, dan: {route: extern, "
                                                "urgentie: direct, taak_hoort_bij_mentor: nee, uitleg: Gevaar.}}\n")
    result = compare_policies(old, BASIS)
    assert [(d.part, d.name, d.field, d.new, d.error) for d in result.vocabulary] == [
        ("signalen", "huwelijksdwang", "", None, True), ("taken", "huisbezoek", "", None, False)]
    assert result.safety_lost == ["huwelijksdwang"] and result.rules_removed == ["dwang"]


def test_verschil_prints_the_text_changes_before_the_outcomes_and_fails_on_a_lost_safety_flag(versions, capsys):
    assert main(["verschil", *map(str, versions)]) == 1
    out = capsys.readouterr().out
    order = ["Woordenlijst:", "FOUT: signaal suicidaal_plan is geen veiligheidssignaal meer",
             "signaal nieuw: heimwee ('Heimwee')", "Verwijsafspraken:",
             "bestemming huisarts, naam: 'huisarts' → 'huisarts of jeugdarts'", "Toestemming",
             "12 tot en met 15 jaar: 'ouders en leerling' → 'leerling'", "Regels gewijzigd: suicidaal-plan, pesten-zwaar",
             "  suicidaal-plan:", "    mentor_doet weg: 'Blijf bij de leerling.'",
             "    mentor_doet nieuw: 'Laat de leerling niet alleen.'", "  pesten-zwaar:",
             "    titel: 'Ernstig pesten' → 'Ernstig pesten gaat naar het zorgteam'",
             "    als: 'er is een signaal ‘pesten’, minstens ernstig' → 'er is een signaal ‘pesten’, minstens acuut'",
             "Voorbeelden:", "Domein:",
             "FOUT: 1 veiligheidssignaal is niet meer beschermd: suicidaal_plan."]
    places = [out.index(part) for part in order]
    assert places == sorted(places)
    assert main(["verschil", str(versions[0]), str(versions[0])]) == 0
    assert "FOUT" not in capsys.readouterr().out


def test_standaard_is_the_bundled_policy_and_a_folder_of_that_name_is_dot_slash_standaard(tmp_path, monkeypatch,
                                                                                          capsys):
    shutil.copytree(BASIS, tmp_path / "standaard")
    monkeypatch.chdir(tmp_path)
    with contextlib.ExitStack() as stack:
        assert load_version("standaard", stack).path == default_rules_dir()
        assert load_version("./standaard", stack).name == "Testbeleid basis"
    assert main(["verschil", "standaard", "bestaat-niet"]) == 1
    assert "schrijf dan ./standaard" in capsys.readouterr().err


def test_verschil_standaard_on_a_modified_copy_of_the_default(tmp_path, capsys):
    copy = tmp_path / "kopie"
    shutil.copytree(default_rules_dir(), copy, ignore=shutil.ignore_patterns("voorbeelden"))
    _edit(copy / "woordenlijst.yaml", "gedeeld of verspreid.\n    veiligheid: ja\n", "gedeeld of verspreid.\n")
    _edit(copy / "woordenlijst.yaml", "  rouw:\n", "  heimwee:\n    label: Heimwee\n    omschrijving: Mist de oude "
                                              "school.\n  rouw:\n")
    _edit(copy / "afspraken.yaml", "    naam: decaan\n", "    naam: decaan (spreekuur dinsdag)\n")
    _edit(copy / "afspraken.yaml", "wie: ouders en leerling}", "wie: leerling}")
    _edit(copy / "sociaal.yaml", "titel: Ernstige sociale isolatie, naar het zorgteam",
          "titel: Ernstige sociale isolatie gaat naar het zorgteam")
    assert main(["verschil", "standaard", str(copy)]) == 1
    out = capsys.readouterr().out
    for line in ("  FOUT: signaal sexting is geen veiligheidssignaal meer: 'veiligheid: ja' is weggehaald.",
                 "  signaal nieuw: heimwee ('Heimwee')",
                 "  bestemming decaan, naam: 'decaan' → 'decaan (spreekuur dinsdag)'",
                 "  12 tot en met 15 jaar: 'ouders en leerling' → 'leerling'",
                 "Regels gewijzigd: sociale-isolatie-ernstig",
                 "    titel: 'Ernstige sociale isolatie, naar het zorgteam' → "
                 "'Ernstige sociale isolatie gaat naar het zorgteam'",
                 "FOUT: 1 veiligheidssignaal is niet meer beschermd: sexting."):
        assert "\n" + line in out
