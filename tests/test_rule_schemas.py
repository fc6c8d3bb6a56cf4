"""JSON Schemas of the rule files (editor help): committed and current, every bundled file names its schema and
validates with a generic validator (check-jsonschema), and the schema agrees with the loader on small changes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import jsonschema
import pytest
import yaml
from test_schema import Validator  # patterns as JSON Schema means them (ECMA-262)

import grenzen
from grenzen.cli import main
from grenzen.cli._main import _SCHEMAS
from grenzen.toolkit._schema import FILE_SCHEMAS, SCHEMAS, file_schema, schema_text

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "schema"
SCHOOL = ROOT / "tests" / "fixtures" / "school"
HEADER = re.compile(r"^# yaml-language-server: \$schema=(\S+)\n")
#: The YAML files a policy writer opens or copies: the bundled policy and the school overlay fixture. (The fixtures
#: basis, schoon and geplant have a vocabulary of their own and no header.)
BUNDLED = sorted([*ROOT.glob("rules/*.yaml"), *ROOT.glob("rules/voorbeelden/*.yaml"), *SCHOOL.rglob("*.yaml")])


@pytest.fixture(scope="module")
def policy():
    return grenzen.load_policy()


def test_the_cli_knows_every_schema():
    assert _SCHEMAS == SCHEMAS


@pytest.mark.parametrize("which", FILE_SCHEMAS)
def test_committed_schema_of_the_default_policy_is_current(policy, which):
    committed = (DOCS / f"{which}.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(policy, which), (
        f"docs/schema/{which}.schema.json is stale; regenerate it with: "
        f"grenzen schema {which} > docs/schema/{which}.schema.json"
    )


def test_committed_schemas_of_the_school_fixture_are_current():
    school = grenzen.load_policy(SCHOOL)
    for which in ("laag", "regels", "afspraken", "voorbeelden"):
        committed = (SCHOOL / "schema" / f"{which}.schema.json").read_text(encoding="utf-8")
        assert committed == schema_text(school, which), (
            "tests/fixtures/school/schema/ is stale; regenerate it with: grenzen schema --bijwerken tests/fixtures/school")
    assert "taalachterstand" in json.loads(schema_text(school, "regels"))["$defs"]["Signaalsoort"]["enum"]


@pytest.mark.parametrize("which", FILE_SCHEMAS)
def test_schemas_are_valid_draft_2020_12_and_dutch(policy, which):
    schema = file_schema(policy, which)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for definition in [schema, *schema.get("$defs", {}).values()]:
        assert definition.get("description"), definition
        for prop in definition.get("properties", {}).values():
            assert prop.get("description") and "title" not in prop


def test_every_bundled_file_names_its_schema_and_validates():
    """Grouped by the schema each file's first line names (relative to the file, as the editor reads it)."""
    groups: dict[Path, list[Path]] = defaultdict(list)
    for path in BUNDLED:
        found = HEADER.match(path.read_text(encoding="utf-8"))
        assert found, f"{path.relative_to(ROOT)} does not start with '# yaml-language-server: $schema=...'"
        schema = (path.parent / found.group(1)).resolve()
        assert schema.is_file(), f"{path.relative_to(ROOT)} names {found.group(1)}, which does not exist"
        groups[schema].append(path)
    assert {p.name for p in groups} == {f"{w}.schema.json" for w in FILE_SCHEMAS}
    for schema, paths in groups.items():
        run = _check_jsonschema(schema, *paths)
        assert run.returncode == 0, run.stdout + run.stderr


def _check_jsonschema(schema: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    """The generic validator an editor or a CI step would use."""
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), *map(str, paths)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_misspelled_key_fails_the_schema_with_its_path(tmp_path):
    text = (ROOT / "rules" / "thuis.yaml").read_text(encoding="utf-8")
    typo = tmp_path / "thuis.yaml"
    typo.write_text(text.replace("    titel:", "    tietel:", 1), encoding="utf-8")
    run = _check_jsonschema(DOCS / "regels.schema.json", typo)
    assert run.returncode == 1
    assert "$.regels[0]: Additional properties are not allowed ('tietel' was unexpected)" in run.stdout


RULE = {"id": "eigen-regel", "titel": "Een eigen regel", "bron": "Afspraak van de school",
        "als": {"taak": "signaleren", "signaal": {"soort": "pesten", "ernst_minstens": "matig"}},
        "dan": {"route": "zorgteam", "verwijzen_naar": ["zorgcoordinator"], "uitleg": "Zo doen wij dat."}}

# (what changes in RULE, does the loader accept it)
CHANGES = [
    ({}, True),
    ({"absoluut": "ja"}, True),
    ({"absoluut": " Nee "}, True),
    ({"absoluut": "misschien"}, False),
    ({"absoluut": 1}, False),
    ({"als": {"taak": ["signaleren", "doorverwijzen"]}}, True),
    ({"als": {"taak": "signalern"}}, False),
    ({"als": {"taak": []}}, False),
    ({"als": {}}, False),
    ({"als": {"signaal": {"soort": "pesten", "behalve_soort": "rouw"}}}, False),
    ({"als": {"signaal": {"groep": "leren"}}}, True),
    ({"als": {"signaal": {"groep": "lerne"}}}, False),
    ({"als": {"signaal": {"soort": "pesten", "ernst_minstns": "matig"}}}, False),
    ({"als": {"aantal_signalen": {"minstens": 2, "veiligheid": "nee"}}}, True),
    ({"als": {"aantal_signalen": {"minstens": 0}}}, False),
    ({"als": {"leeftijd": {"vanaf": 12}, "leerjaar": {"tot_en_met": 7}}}, False),
    ({"als": {"eerdere_aanpak": {"effect": "onvoldoende", "weken_minstens": 6}}}, True),
    ({"als": {"een_van": []}}, False),
    ({"dan": {"route": "zorgteam", "uitleg": "Zo.", "verwijzen_naar": ["zorgcoordinatr"]}}, False),
    ({"dan": {"route": "ergens", "uitleg": "Zo."}}, False),
    ({"dan": {"route": "mentor", "uitleg": "Zo.", "urgentie": "morgen"}}, False),
    ({"id": "Eigen Regel"}, False),
    ({"opmerking": "tekst"}, False),
]


@pytest.mark.parametrize(("change", "loads"), CHANGES, ids=[json.dumps(c, ensure_ascii=False) for c, _ in CHANGES])
def test_the_schema_agrees_with_the_loader(policy, tmp_path, change, loads):
    rule = RULE | change
    overlay = tmp_path / "school"
    overlay.mkdir()
    (overlay / "laag.yaml").write_text("naam: Beleid mentoraat Testschool\n", encoding="utf-8")
    theme = {"thema": "Eigen", "regels": [rule]}
    (overlay / "eigen.yaml").write_text(yaml.safe_dump(theme, allow_unicode=True), encoding="utf-8")
    problems = grenzen.check_policy(overlay)
    assert (problems == []) == loads, problems
    valid = Validator(file_schema(policy, "regels")).is_valid(yaml.safe_load((overlay / "eigen.yaml").read_text()))
    assert valid == loads


@pytest.mark.parametrize(("which", "data", "valid"), [
    ("woordenlijst", {"naam": "B", "signalen": {"a": {"label": "A", "omschrijving": "a", "ernst_bron": "x"}},
                      "taken": {"t": {"label": "T", "omschrijving": "t"}}}, False),
    ("woordenlijst", {"naam": "B", "signalen": {"Hoofdletter": {"label": "A", "omschrijving": "a"}},
                      "taken": {"t": {"label": "T", "omschrijving": "t"}}}, False),
    ("woordenlijst", {"naam": "B", "signalen": {"a": {"label": "A", "omschrijving": "a", "veiligheid": "ja"}},
                      "taken": {"t": {"label": "T", "omschrijving": "t"}}}, True),
    ("afspraken", {"bestemmingen": {"decaan": {"naam": "decaan", "soort": "intern"}}}, True),
    ("afspraken", {"bestemmingen": {"decaan": {"naam": "decaan", "soort": "binnen"}}}, False),
    ("laag", {"naam": "Beleid", "basis": "standaard", "taken": {"huisbezoek": {"label": "H", "omschrijving": "h"}}},
     True),
    ("laag", {"naam": "Beleid", "basiss": "standaard"}, False),
    ("voorbeelden", {"voorbeelden": [{"naam": "x", "casus": {"taak": "signaleren"},
                                      "verwacht": {"route": "mentor", "verwijzen_naar": ["zorgcoördinator"]}}]}, True),
    ("voorbeelden", {"voorbeelden": [{"naam": "x", "casus": {"taak": "signalern"}, "verwacht": {}}]}, False),
    ("voorbeelden", {"voorbeelden": [{"naam": "x", "casus": {"taak": "signaleren"}, "verwacht": {"rout": "mentor"}}]},
     False),
])
def test_the_other_schemas_refuse_what_the_loader_refuses(policy, which, data, valid):
    assert Validator(file_schema(policy, which)).is_valid(data) == valid


def test_cli_prints_a_file_schema(policy, capsys):
    assert main(["schema", "regels"]) == 0
    assert capsys.readouterr().out == schema_text(policy, "regels")


def test_cli_updates_the_schemas_of_a_folder(tmp_path, capsys):
    school = tmp_path / "school"
    school.mkdir()
    (school / "laag.yaml").write_text("naam: Beleid\nsignalen:\n  eigen_soort: {label: Eigen, omschrijving: e}\n",
                                      encoding="utf-8")
    assert main(["schema", "--bijwerken", str(school)]) == 0
    assert "Bijgewerkt" in capsys.readouterr().out
    assert sorted(p.name for p in (school / "schema").iterdir()) == [
        "afspraken.schema.json", "laag.schema.json", "regels.schema.json", "voorbeelden.schema.json"]
    regels = json.loads((school / "schema" / "regels.schema.json").read_text(encoding="utf-8"))
    assert "eigen_soort" in regels["$defs"]["Signaalsoort"]["enum"]
    assert main(["schema", "--bijwerken", str(school), "--regels", str(school)]) == 1
    assert "zonder --regels" in capsys.readouterr().err
    assert main(["schema", "regels", "--bijwerken", str(school)]) == 1
    assert "zonder SOORT" in capsys.readouterr().err
    assert main(["schema", "--bijwerken", str(tmp_path / "nergens")]) == 1
    assert "bestaat niet" in capsys.readouterr().err
