"""Severity anchors (issue 11, part 1): per signal kind, what each severity means, in the vocabulary.

``woordenlijst.yaml`` may give a kind ``ernst: {licht: ..., matig: ..., ernstig: ..., acuut: ...}`` (every key
optional) and ``ernst_bron``. They show wherever a severity is chosen or read: the case schema, ``grenzen tabel``,
``grenzen beleid`` and ``policy.vocabulary``. A policy without anchors renders exactly as before.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

import grenzen
from grenzen.cli._main import main
from grenzen.toolkit._schema import case_schema, schema_text
from grenzen.toolkit._table import table_markdown

FIXTURES = Path(__file__).parent / "fixtures"

PESTEN = {
    "licht": "Af en toe plagen; de leerling kan het zelf aan.",
    "matig": "Herhaald buitensluiten, langer dan twee weken.",
    "ernstig": "Dagelijks pesten of online bedreigen.",
    "acuut": "Fysiek geweld of een bedreiging met geweld.",
}
BRON = "Pestprotocol Voorbeeldcollege, 2024"


def with_vocabulary(tmp_path: Path, change) -> Path:
    """The basis fixture, with ``change`` applied to its vocabulary (a dict, as read from the YAML)."""
    target = tmp_path / "regels"
    shutil.copytree(FIXTURES / "basis", target)
    vocabulary = yaml.safe_load((target / "woordenlijst.yaml").read_text(encoding="utf-8"))
    change(vocabulary["signalen"])
    (target / "woordenlijst.yaml").write_text(yaml.safe_dump(vocabulary, allow_unicode=True, sort_keys=False),
                                              encoding="utf-8")
    return target


def anchored(kinds) -> None:
    kinds["pesten"]["ernst"] = dict(PESTEN)
    kinds["pesten"]["ernst_bron"] = BRON
    kinds["rouw"]["ernst"] = {"matig": "De leerling is afwezig in de les."}


@pytest.fixture
def policy(tmp_path):
    return grenzen.load_policy(with_vocabulary(tmp_path, anchored))


def test_anchors_load_and_are_in_the_python_api(policy):
    pesten = policy.vocabulary.signalen["pesten"]
    assert pesten.ernst is not None and pesten.ernst.licht == PESTEN["licht"]
    assert pesten.anchors() == PESTEN and list(pesten.anchors()) == ["licht", "matig", "ernstig", "acuut"]
    assert pesten.ernst_bron == BRON
    assert policy.vocabulary.signalen["rouw"].anchors() == {"matig": "De leerling is afwezig in de les."}
    assert policy.vocabulary.signalen["rouw"].ernst_bron is None
    assert policy.vocabulary.signalen["verzuim"].ernst is None and policy.vocabulary.signalen["verzuim"].anchors() == {}


def test_anchors_do_not_change_advice(policy, basis):
    for kind in basis.vocabulary.signalen:
        for severity in ("licht", "matig", "ernstig", "acuut"):
            case = {"taak": "signaleren", "signalen": [{"soort": kind, "ernst": severity}]}
            assert policy.advise(case).route == basis.advise(case).route


def test_anchors_are_in_the_case_schema(policy):
    schema = case_schema(policy)
    jsonschema.Draft202012Validator.check_schema(schema)
    signal = schema["$defs"]["Signaal"]
    by_kind = {part["if"]["properties"]["soort"]["const"]: part["then"]["properties"]["ernst"]
               for part in signal["allOf"]}
    assert list(by_kind) == ["pesten", "rouw"]
    assert BRON in by_kind["pesten"]["description"]
    assert {o["const"]: o.get("description") for o in by_kind["pesten"]["oneOf"]} == PESTEN
    assert [o["const"] for o in by_kind["rouw"]["oneOf"]] == ["licht", "matig", "ernstig", "acuut"]
    assert [o.get("description") for o in by_kind["rouw"]["oneOf"]] == [None, "De leerling is afwezig in de les.",
                                                                       None, None]
    assert "allOf" in signal["properties"]["ernst"]["description"]


@pytest.mark.parametrize("kind", ["pesten", "rouw", "verzuim"])
@pytest.mark.parametrize("severity", ["licht", "matig", "ernstig", "acuut"])
def test_the_schema_with_anchors_accepts_what_the_library_accepts(policy, kind, severity):
    validator = jsonschema.Draft202012Validator(case_schema(policy))
    assert validator.is_valid({"taak": "signaleren", "signalen": [{"soort": kind, "ernst": severity}]})
    assert not validator.is_valid({"taak": "signaleren", "signalen": [{"soort": kind, "ernst": severity + "x"}]})
    assert not validator.is_valid({"taak": "signaleren", "signalen": [{"soort": kind}]})


def test_cli_schema_prints_the_anchors(policy, capsys):
    assert main(["schema", "casus", "--regels", str(policy.path)]) == 0
    assert json.loads(capsys.readouterr().out) == case_schema(policy)


def test_anchors_are_in_the_table(policy, capsys):
    text = table_markdown(policy)
    assert "Wat de ernst betekent, per signaalsoort" in text
    section = text.split("Wat de ernst betekent", 1)[1]
    assert "**Pesten** (`pesten`)" in section
    for severity, anchor in PESTEN.items():
        assert f"- {severity}: {anchor}" in section
    assert f"- bron: {BRON}" in section
    assert "- matig: De leerling is afwezig in de les." in section
    assert "verzuim" not in section
    assert main(["tabel", str(policy.path)]) == 0
    assert capsys.readouterr().out == text + "\n"


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_anchors_are_in_the_policy_document(policy, fmt):
    text = grenzen.render_policy(policy, fmt)
    assert "Wat een ernst betekent" in text
    for anchor in PESTEN.values():
        assert anchor in text
    assert BRON in text and "De leerling is afwezig in de les." in text
    # after the table of signal kinds, before the tasks
    heading = (lambda t: f"### {t}\n") if fmt == "md" else (lambda t: f"<h3>{t}</h3>")
    assert text.index(heading("Signalen")) < text.index(heading("Wat een ernst betekent")) < text.index(
        heading("Taken"))
    if fmt == "md":
        assert "- **licht:** Af en toe plagen; de leerling kan het zelf aan." in text
        assert f"- **Bron:** {BRON}" in text


@pytest.mark.parametrize("fixture", ["basis", "schoon", "geplant"])
def test_a_policy_without_anchors_renders_as_before(fixture):
    """No anchors, no new section: the document, the table and the schema carry nothing about them."""
    policy = grenzen.load_policy(FIXTURES / fixture)
    assert not any(term.anchors() for term in policy.vocabulary.signalen.values())
    for fmt in ("md", "html"):
        assert "Wat een ernst betekent" not in grenzen.render_policy(policy, fmt)
    assert "Wat de ernst betekent" not in table_markdown(policy)
    assert "allOf" not in schema_text(policy, "casus")


def test_the_basis_document_is_byte_identical_to_before():
    """``grenzen beleid tests/fixtures/basis`` as it was before anchors existed (checked by hand at the change:
    only the version line depends on the fixture's files, and it is the same)."""
    policy = grenzen.load_policy(FIXTURES / "basis")
    text = grenzen.render_policy(policy)
    assert text.endswith(
        "### Signalen\n\n"
        "| naam | betekenis | in een casus |\n|---|---|---|\n"
        "| Pesten | De leerling wordt gepest. | `pesten` |\n"
        "| Rouw | De leerling verloor iemand. | `rouw` |\n"
        "| Suïcidaal plan | Concreet plan of poging. | `suicidaal_plan` |\n"
        "| Verzuim | Ongeoorloofd verzuim. | `verzuim` |\n\n"
        "### Taken\n\n"
        "| naam | betekenis | in een casus |\n|---|---|---|\n"
        "| Signaleren | Problemen opmerken. | `signaleren` |\n"
        "| Begeleidingsgesprekken | Een reeks steunende gesprekken. | `begeleidingsgesprekken` |\n"
        "| Behandelen | Mentale problemen behandelen. | `mentale_problemen_behandelen` |\n\n"
        "### Scholing\n\n"
        "| naam | betekenis | in een casus |\n|---|---|---|\n"
        "| Rouwbegeleiding | Scholing rouw. | `rouwbegeleiding` |\n"
    )


def problems(directory: Path) -> list[grenzen.Problem]:
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(directory)
    return info.value.problems


def test_a_misspelt_severity_is_a_located_problem_with_a_code(tmp_path):
    directory = with_vocabulary(tmp_path, lambda kinds: kinds["pesten"].update(ernst={"licht": "a", "matg": "b"}))
    [problem] = problems(directory)
    assert problem.code == "onbekende-sleutel"
    assert problem.file.endswith("woordenlijst.yaml")
    text = (directory / "woordenlijst.yaml").read_text(encoding="utf-8").splitlines()
    assert text[problem.line - 1][problem.column - 1:].startswith("matg:")
    assert "'matg'" in problem.message and "matig" in problem.fix


@pytest.mark.parametrize("anchors, code", [
    ({"licht": ""}, "leeg"),
    ({"licht": 3}, "geen-tekst"),
    ("licht", "geen-blok"),
    ({"zwaar": "x"}, "onbekende-sleutel"),
])
def test_bad_anchors_are_problems_with_codes(tmp_path, anchors, code):
    directory = with_vocabulary(tmp_path, lambda kinds: kinds["rouw"].update(ernst=anchors))
    found = problems(directory)
    assert [p.code for p in found] == [code], [str(p) for p in found]
    assert found[0].line > 1


def test_a_source_without_anchors_is_a_problem(tmp_path):
    directory = with_vocabulary(tmp_path, lambda kinds: kinds["rouw"].update(ernst_bron="Protocol"))
    [problem] = problems(directory)
    assert problem.code == "ernst-bron-zonder-ernst" and problem.line > 1
    assert "ernst_bron" in problem.message


def test_an_overlay_can_anchor_its_own_kinds(tmp_path):
    (tmp_path / "laag.yaml").write_text(yaml.safe_dump({
        "naam": "School", "basis": str(FIXTURES / "basis"),
        "signalen": {"schoolangst": {"label": "Schoolangst", "omschrijving": "Bang voor school.",
                                     "ernst": {"licht": "Zegt er soms iets over."}, "ernst_bron": "Eigen protocol"}},
    }, allow_unicode=True), encoding="utf-8")
    policy = grenzen.load_policy(tmp_path)
    assert policy.vocabulary.signalen["schoolangst"].anchors() == {"licht": "Zegt er soms iets over."}
    assert "Zegt er soms iets over." in grenzen.render_policy(policy)


def test_every_anchor_of_the_default_policy_is_shown():
    """Whatever anchors the bundled policy has: each is in the document, the table and the case schema."""
    policy = grenzen.load_policy()
    document, table = grenzen.render_policy(policy), table_markdown(policy)
    schema = schema_text(policy, "casus")
    for term in policy.vocabulary.signalen.values():
        for anchor in term.anchors().values():
            shown = " ".join(anchor.split())
            assert shown in table and json.dumps(shown, ensure_ascii=False) in schema
            assert shown.replace("[", "\\[").replace("]", "\\]").replace("&", "&amp;") in document
