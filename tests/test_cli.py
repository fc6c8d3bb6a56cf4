"""The grenzen command: Dutch output, exit codes, no tracebacks, no case content in errors."""

from __future__ import annotations

import errno
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES
from strategies import AGREEMENTS, write_policy

from grenzen.cli import main

BASIS = str(FIXTURES / "basis")
CASE = "leeftijd: 14\ntaak: begeleidingsgesprekken\nsignalen: [{soort: rouw, ernst: matig}]\nmentor: {scholing: [rouwbegeleiding]}\n"


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "casus.yaml"
    path.write_text(CASE, encoding="utf-8")
    return str(path)


def test_advies_readable(case_file, capsys):
    assert main(["advies", case_file, "--regels", BASIS]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Advies: MENTOR") and "Waarom:" in out and "Bron:" in out


def test_advies_json_is_the_contract(case_file, capsys):
    assert main(["advies", case_file, "--regels", BASIS, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["route"] == "mentor" and data["opzij_gezet"] == [{"regel": "gesprekken-zwaar", "door": "rouw-geschoold"}]


def test_advies_json_gives_a_refused_case_as_a_json_error_object(tmp_path, capsys):
    # a program calling 'grenzen advies case.json --json' got only Dutch text on standard error (an integrator trial)
    path = tmp_path / "casus.json"
    path.write_text('{"taak": "Jantje", "Sanne": 1}', encoding="utf-8")
    assert main(["advies", str(path), "--regels", BASIS, "--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out) == {"fout": {"fouten": [
        {"veld": "taak", "melding": "ongeldige tekens of lengte", "code": "ongeldige-naam"},
        {"veld": "<onbekend veld>", "melding": "onbekend veld; toegestaan: id, leeftijd, leerjaar, taak, signalen, "
                                                "mentor, eerdere_aanpak", "code": "onbekende-sleutel"}]}}
    assert "De casus is ongeldig" in err and "Jantje" not in out + err and "Sanne" not in out + err
    assert main(["advies", str(path), "--regels", BASIS]) == 1 and capsys.readouterr().out == ""  # text: stderr only


def test_advies_reads_stdin(monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"taak": "signaleren"}')))
    assert main(["advies", "-", "--regels", BASIS, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["route"] == "mentor"


def test_bad_case_names_field_not_content(tmp_path, capsys):
    path = tmp_path / "casus.yaml"
    path.write_text("taak: signaleren\nnaam: Fatima de Vries\nsignalen: [{soort: pestn, ernst: licht}]\n", encoding="utf-8")
    assert main(["advies", str(path), "--regels", BASIS]) == 1
    err = capsys.readouterr().err
    assert "<onbekend veld>: onbekend veld" in err and "bedoel je 'pesten'" in err
    assert "Fatima" not in err and "naam" not in err and "pestn" not in err


def test_a_bad_case_file_says_where_each_mistake_is_and_the_choice_meant(tmp_path, capsys):
    """A trial: `grenzen advies bad.yaml` said "signalen.0.ernst: ongeldige waarde" without a place, counted from 0,
    and without "bedoel je" for 'ernstg'. Now each error has its file:line:column and the item counted from 1; an
    unknown key is still not named (only its place), and no value is shown."""
    path = tmp_path / "casus.yaml"
    path.write_text("taak: signaleren\nsignalen:\n  - soort: pesten\n    ernst: ernstg\n  - soort: pesten\n"
                    "    Fatima: matig\n", encoding="utf-8")
    assert main(["advies", str(path), "--regels", BASIS]) == 1
    err = capsys.readouterr().err
    assert f"{path}:4:12: signalen.0.ernst (signaal 1): ongeldige waarde; kies uit licht, matig, ernstig, acuut; " \
           "bedoel je 'ernstig'?" in err
    assert f"{path}:5:5: signalen.1.ernst (signaal 2): verplicht veld ontbreekt" in err
    assert f"{path}:6:5: signalen.1.<onbekend veld> (signaal 2): onbekend veld" in err
    assert "Fatima" not in err and "ernstg" not in err


@pytest.mark.parametrize("text, expected", [
    ("taak: signaleren\nsignalen:\n  - soort: pesten\n   ernst: licht\n", "{path}:4:4: dit is geen geldige YAML"),
    ("", "{path}: de tekst is leeg"),
    ('{"taak": "signaleren", "taak": "pesten"}', "{path}:1:24: deze sleutel staat twee keer"),
])
def test_a_case_file_that_does_not_parse_is_named_with_its_place(tmp_path, capsys, text, expected):
    """A trial saw "(casus): regel 7, kolom 4: dit is geen geldige YAML" for its own file c-bad2.yaml; an error of the
    whole case now has the file's name (and line:column when the reader knows them), as a field's error has."""
    path = tmp_path / "casus.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["advies", str(path), "--regels", BASIS]) == 1
    err = capsys.readouterr().err
    assert err.startswith("De casus is ongeldig:\n  " + expected.format(path=path)), err
    assert "(casus)" not in err


def test_missing_case_file(capsys):
    assert main(["advies", "bestaat-niet.yaml", "--regels", BASIS]) == 1
    err = capsys.readouterr().err
    assert err == "Kan het bestand niet lezen: bestaat-niet.yaml (bestand of map bestaat niet)\n"


@pytest.mark.parametrize("number, reason", [
    (errno.EISDIR, "is een map"), (errno.EACCES, "geen toegang"), (errno.EIO, "onbekende fout"),
])
def test_file_errors_are_dutch(monkeypatch, capsys, number, reason):
    import grenzen.cli._main as cli

    def fail(name, mode="r"):
        raise OSError(number, "English text from the OS", name)

    monkeypatch.setattr(cli, "open", fail, raising=False)  # the case file is opened in cli
    assert main(["advies", "casus.yaml", "--regels", BASIS]) == 1
    err = capsys.readouterr().err
    assert err == f"Kan het bestand niet lezen: casus.yaml ({reason})\n" and "English" not in err


def test_a_file_that_cannot_be_written_says_so(tmp_path, capsys):
    history = tmp_path / "geschiedenis.jsonl"
    history.write_text('{"code": "2A", "casus": {"taak": "signaleren"}, "route": "mentor"}\n', encoding="utf-8")
    page = tmp_path / "bestaat-niet" / "rapport.html"
    assert main(["samenhang", str(history), "--regels", BASIS, "--html", str(page)]) == 1
    err = capsys.readouterr().err
    assert err == f"Kan het bestand niet schrijven: {page} (bestand of map bestaat niet)\n"


def test_controleer(tmp_path, capsys):
    assert main(["controleer", BASIS]) == 0
    assert "In orde" in capsys.readouterr().out
    bad = write_policy(tmp_path / "r", [{"id": "x", "titel": "t", "bron": "b", "als": {"taak": "t9"}, "dan": {"route": "mentor", "uitleg": "u"}}])
    assert main(["controleer", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "onbekende taak 't9'" in err and "a_thema.yaml:" in err and "Traceback" not in err


def test_test_command_reports_failures(tmp_path, capsys):
    directory = write_policy(tmp_path / "r", [{"id": "x", "titel": "t", "bron": "b", "als": {"taak": "t1"}, "dan": {"route": "mentor", "uitleg": "u"}}])
    (directory / "voorbeelden").mkdir()
    (directory / "voorbeelden" / "v.yaml").write_text(
        "voorbeelden:\n"
        "  - {naam: goed, casus: {taak: t1}, verwacht: {route: mentor, regels: [x]}}\n"
        "  - {naam: fout, casus: {taak: t1}, verwacht: {route: extern, urgentie: direct}}\n",
        encoding="utf-8",
    )
    assert main(["test", str(directory)]) == 1
    out = capsys.readouterr().out
    assert "MISLUKT" in out and "fout" in out and "route: verwacht extern, kreeg mentor" in out
    assert "het advies kwam van: x" in out and out.strip().endswith("1 geslaagd, 1 mislukt")
    # a rule expected that did not apply: one 'regels:' line, and what the advice came from under another name
    (directory / "voorbeelden" / "v.yaml").write_text(
        "voorbeelden:\n  - {naam: mist, casus: {taak: t2}, verwacht: {regels: [x]}}\n", encoding="utf-8")
    assert main(["test", str(directory)]) == 1
    out = capsys.readouterr().out
    assert out.count("regels:") == 1 and "regels: x deed niet mee" in out and "het advies kwam van: " in out


def test_an_example_may_say_no_consent_as_a_rule_does(tmp_path, capsys):
    """A trial wrote 'toestemming: nee' under verwacht, as in a rule, and got "verwacht nee, kreeg leeg"."""
    directory = write_policy(tmp_path / "r", [{"id": "x", "titel": "t", "bron": "b", "als": {"taak": "t1"},
                                               "dan": {"route": "mentor", "uitleg": "u"}},
                                              {"id": "y", "titel": "t", "bron": "b", "als": {"taak": "t2"},
                                               "dan": {"route": "zorgteam", "uitleg": "u", "toestemming": "ja"}}],
                             agreements=AGREEMENTS)
    (directory / "voorbeelden").mkdir()
    (directory / "voorbeelden" / "v.yaml").write_text(
        "voorbeelden:\n"
        "  - {naam: geen, casus: {taak: t1}, verwacht: {toestemming: nee}}\n"
        "  - {naam: wel, casus: {taak: t2, leeftijd: 10}, verwacht: {toestemming: Nee}}\n", encoding="utf-8")
    assert main(["test", str(directory)]) == 1
    out = capsys.readouterr().out
    assert "MISLUKT" in out and ": wel" in out and ": geen" not in out and "toestemming: verwacht leeg, kreeg ouders" in out


def test_usage_errors_are_dutch(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "gebruik: grenzen" in err and "fout:" in err


@pytest.mark.parametrize("argv, message", [
    (["advies", "x.jsonl", "--processen", "abc"], "fout: bij --processen: moet een geheel getal van 1 tot en met 1024 zijn"),
    (["advies", "x.jsonl", "--processen"], "fout: bij --processen: verwacht één waarde"),
    (["schema", "iets"], "fout: bij SOORT: ongeldige keuze: 'iets'"),
    (["test", "--minimaal-dekking", "veel"], "fout: bij --minimaal-dekking: ongeldige waarde 'veel'"),
])
def test_argument_errors_are_dutch(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2 and message in err, err
    for english in ("argument", "invalid", "expected", "usage", "error", "choose"):
        assert english not in err


def test_dutch_argparse_messages_stay_in_the_calling_thread(monkeypatch, capsys):
    import argparse
    import threading

    import grenzen.cli._main as cli

    build = cli.build_parser
    seen: dict[str, str] = {}

    def gettext(text: str) -> str:  # argparse's own gettext alias, looked up at each call (typeshed leaves it out)
        return vars(argparse)["_"](text)

    def parser_while_another_thread_runs():
        other = threading.Thread(target=lambda: seen.update(other=gettext("usage: ")))
        other.start()
        other.join()
        seen["own"] = gettext("usage: ")
        return build()

    original = vars(argparse)["_"]
    monkeypatch.setattr(cli, "build_parser", parser_while_another_thread_runs)
    with pytest.raises(SystemExit):
        main([])
    assert seen == {"own": "gebruik: ", "other": "usage: "}
    assert vars(argparse)["_"] is original
    capsys.readouterr()


def test_help_is_dutch(capsys):
    with pytest.raises(SystemExit):
        main(["advies", "--help"])
    out = capsys.readouterr().out
    assert "casusbestand" in out and "opties" in out


def test_console_script_runs_as_module(tmp_path, case_file):
    result = subprocess.run([sys.executable, "-m", "grenzen", "advies", case_file, "--regels", BASIS, "--json"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["beleid"]["naam"] == "Testbeleid basis"


#: A build of the engine that is there but does not load (as on Python 3.13 without the compatibility flag).
BROKEN_BUILD = """
class Broken:
    def find_spec(self, name, path=None, target=None):
        if name == "durable_rules_engine":
            raise ImportError("undefined symbol: PyEval_CallObject")
sys.meta_path.insert(0, Broken())
"""


@pytest.mark.parametrize("broken, says", [
    ("sys.modules['durable_rules_engine'] = None", "which is not installed for this Python"),  # another Python
    (BROKEN_BUILD, "On Python 3.13 it must be built with a compatibility flag"),
])
def test_broken_engine_build_gives_a_fix(tmp_path, broken, says):
    """An integrator trial ran a docs example with another Python than the one grenzen was installed in, and was told
    to rebuild for Python 3.13 (on 3.11): a missing module now says which Python looked for it."""
    code = f"import sys\n{broken}\nimport grenzen\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode != 0 and says in result.stderr, result.stderr
    assert "CPPFLAGS" in result.stderr and "PyEval_CallObject=PyObject_CallObject" in result.stderr


def test_readme_commands_and_ci_agree():
    root = Path(__file__).resolve().parents[1]
    lines = [l for l in (root / "README.md").read_text(encoding="utf-8").splitlines() if l.startswith("python3 -m venv")]
    assert len(lines) == 2 and "grenzen advies" in lines[0] and lines[1].endswith("python -m pytest --slow")
    assert lines[1] in (root / ".ci" / "run").read_text(encoding="utf-8")


def test_every_install_builds_the_engine_with_the_same_flags():
    # durable-rules' setup.py replaces CFLAGS, so the optimisation rides in CPPFLAGS: the README, CI, the container,
    # the integrators' guide and the broken-build message all build the engine the same way
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    flags = re.search(r'CPPFLAGS="([^"]*)"', readme)
    assert flags is not None and "-O2" in flags[1].split()
    for path in [".ci/run", "Dockerfile", "docs/integratie.md", "src/grenzen/pipeline/_engine.py"]:
        found = re.findall(r'CPPFLAGS="([^"]*)"', (root / path).read_text(encoding="utf-8"))
        assert found and set(found) == {flags[1]}, path


def test_an_unknown_name_asked_of_the_bundled_policy_suggests_the_school_s_own_rules(tmp_path, capsys):
    # a trial: a zorgcoördinator asked about the school's own kind without --regels and got only "zie de woordenlijst"
    path = tmp_path / "casus.yaml"
    path.write_text("taak: signaleren\nsignalen: [{soort: dreigen_sociale_media, ernst: licht}]\n", encoding="utf-8")
    assert main(["advies", str(path)]) == 1
    err = capsys.readouterr().err
    assert "onbekende signaalsoort" in err and "--regels MAP" in err and "dreigen" not in err
    assert main(["advies", str(path), "--regels", BASIS]) == 1  # a folder given: no hint about giving one
    err = capsys.readouterr().err
    assert "onbekende signaalsoort" in err and "--regels" not in err
