"""Privacy and safety of the surroundings: audit records keep only what rules used; no network; no case content in errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime

import pytest
from conftest import FIXTURES

import grenzen

CASE = {
    "id": "leerling-8841",
    "leeftijd": 14,
    "taak": "begeleidingsgesprekken",
    "signalen": [{"soort": "rouw", "ernst": "matig", "duur_weken": 3}],
    "mentor": {"scholing": ["rouwbegeleiding"]},
    "eerdere_aanpak": {"weken": 2, "effect": "geen"},
}


def test_audit_record_keeps_only_fields_the_applied_rules_used(basis):
    advice = basis.advise(CASE)
    record = basis.audit_record(CASE, advice)
    assert record.regels == [r.regel for r in advice.redenen] and record.opzij_gezet == ["gesprekken-zwaar"]
    used = record.gebruikte_gegevens
    # rouw-geschoold and gesprekken-zwaar read the task, the training and the signals' kinds and severity
    assert used["taak"] == "begeleidingsgesprekken" and used["scholing"] == ["rouwbegeleiding"]
    assert used["signalen"] == [{"soort": "rouw", "ernst": "matig"}]
    assert all("duur_weken" not in s for s in used["signalen"])  # no rule asked about duration
    assert "leeftijd" not in used and "eerdere_aanpak" not in used  # no applied rule read them
    dumped = record.model_dump_json()
    assert "leerling-8841" not in dumped  # never the case id
    assert record.beleid == advice.beleid and len(record.advies_id) == 32
    assert datetime.fromisoformat(record.tijd).tzinfo is not None


def test_audit_record_of_a_fallback_keeps_nothing(tmp_path):
    from strategies import write_policy

    policy = grenzen.load_policy(write_policy(tmp_path / "r", [{"id": "x", "titel": "t", "bron": "b", "als": {"taak": "t3"}, "dan": {"route": "mentor", "uitleg": "u"}}]))
    case = {"taak": "t1", "leeftijd": 12, "signalen": [{"soort": "a", "ernst": "licht"}]}
    record = policy.audit_record(case, policy.advise(case))
    assert record.gebruikte_gegevens == {} and record.regels == [] and record.route == "zorgteam"


def test_audit_ids_are_unique(basis):
    advice = basis.advise(CASE)
    assert len({basis.audit_record(CASE, advice).advies_id for _ in range(100)}) == 100


NO_NETWORK = textwrap.dedent(
    """
    import socket, sys
    def refuse(*args, **kwargs):
        raise RuntimeError("network access attempted")
    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    import grenzen
    from grenzen.cli import main
    policy = grenzen.load_policy()
    advice = policy.advise({"taak": "signaleren", "signalen": [{"soort": "pesten", "ernst": "matig"}]})
    policy.audit_record({"taak": "signaleren"}, policy.advise({"taak": "signaleren"}))
    sys.exit(main(["controleer"]))
    """
)


@pytest.mark.slow
def test_no_network_at_import_or_run_time():
    result = subprocess.run([sys.executable, "-c", NO_NETWORK], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "network access attempted" not in result.stderr


@pytest.mark.parametrize("secret_field", ["id", "leeftijd", "taak"])
def test_errors_never_contain_case_values(basis, secret_field):
    values = {"id": "Fatima El Amrani", "leeftijd": "Fatima El Amrani", "taak": "Fatima El Amrani"}
    case = dict(CASE, **{secret_field: values[secret_field]})
    with pytest.raises(grenzen.CaseError) as info:
        basis.advise(case)
    assert "Fatima" not in str(info.value) and "Fatima" not in repr(info.value.errors)
    assert "Fatima" not in json.dumps([e.__dict__ for e in info.value.errors])


def test_cli_errors_never_contain_case_values(tmp_path):
    path = tmp_path / "casus.json"
    path.write_text(json.dumps(dict(CASE, id="Jan de Vries", taak="Jan de Vries")), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "grenzen", "advies", str(path), "--regels", str(FIXTURES / "basis")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "Jan" not in result.stderr + result.stdout and "Traceback" not in result.stderr


#: A pydantic plugin (found through its package's entry point) that writes every input a validator is given to a file.
SPY_PLUGIN = textwrap.dedent(
    """
    import os

    class _Seen:
        def on_enter(self, input, *args, **kwargs):
            with open(os.environ["SPY_FILE"], "a", encoding="utf-8") as seen:
                seen.write(repr(input) + "\\n")

    class Plugin:
        def new_schema_validator(self, *args, **kwargs):
            return _Seen(), _Seen(), _Seen()

    plugin = Plugin()
    """
)


def test_the_program_hands_no_case_to_a_pydantic_plugin(tmp_path):
    """A plugin installed beside grenzen (an observability tool, say) would be handed every case the models validate:
    the program loads none. The same plugin does see a case validated by a program that imports grenzen as a library
    (its plugins are its own choice): so the spy works, and the program is what shuts it out."""
    site = tmp_path / "site"
    (site / "spy_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "spy_plugin.py").write_text(SPY_PLUGIN, encoding="utf-8")
    (site / "spy_plugin-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: spy-plugin\nVersion: 1.0\n",
                                                               encoding="utf-8")
    (site / "spy_plugin-1.0.dist-info" / "entry_points.txt").write_text("[pydantic]\nspy = spy_plugin:plugin\n",
                                                                       encoding="utf-8")
    path = tmp_path / "casus.json"
    path.write_text(json.dumps(CASE), encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if key != "PYDANTIC_DISABLE_PLUGINS"}
    environment["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [environment.get("PYTHONPATH")])])
    seen = {}
    library = f"import grenzen, json; grenzen.load_policy({str(FIXTURES / 'basis')!r}).advise(json.load(open({str(path)!r})))"
    for name, command in [("library", ["-c", library]),
                          ("program", ["-m", "grenzen", "advies", str(path), "--regels", str(FIXTURES / "basis")])]:
        environment["SPY_FILE"] = str(tmp_path / f"{name}.txt")
        result = subprocess.run([sys.executable, *command], capture_output=True, text=True, check=False, env=environment)
        assert result.returncode == 0, result.stderr
        spied = tmp_path / f"{name}.txt"
        seen[name] = spied.read_text(encoding="utf-8") if spied.exists() else ""
    assert "leerling-8841" in seen["library"]
    assert seen["program"] == ""


def test_unknown_keys_that_could_be_names_are_not_echoed(basis):
    with pytest.raises(grenzen.CaseError) as info:
        basis.advise({"taak": "signaleren", "Jan de Vries": "zit alleen", "sanne_jansen": "x", "signalne": []})
    fields = [e.field for e in info.value.errors]
    assert fields == ["<onbekend veld>"] * 2  # the two without a near field have one error, "(2 keer)"
    assert sum(" (2 keer)" in e.message for e in info.value.errors) == 1
    # the hint is worked out from the key sent: apart from the message (``suggestie``), as for a value (a trial)
    assert any(e.hint == "bedoel je 'signalen'?" and "bedoel" not in e.message for e in info.value.errors)
    assert "Jan" not in str(info.value) and "sanne" not in str(info.value)


NAME = "Sanne Jansen heeft ADHD"


@pytest.mark.parametrize(
    "case",
    [
        {"taak": "signaleren", "mentor": {"scholing": [NAME]}},
        {"taak": "signaleren", "mentor": {"scholing": ["sanne_jansen_adhd"]}},
        {"taak": "signaleren", "signalen": [{"soort": "sanne_jansen_adhd", "ernst": "licht"}]},
        {"taak": "sanne_jansen_adhd"},
        f"taak: signaleren\n{NAME}: a\n{NAME}: b\n",
        '{"taak": "signaleren", "Sanne Jansen heeft ADHD": 1, "Sanne Jansen heeft ADHD": 2}',
        "taak: !Sanne_Jansen_ADHD signaleren\n",
    ],
)
def test_no_case_value_in_any_case_error(basis, case):
    with pytest.raises(grenzen.CaseError) as info:
        basis.advise(case)
    text = str(info.value) + repr(info.value.errors)
    assert "anne" not in text and "ADHD" not in text, text
