"""Every ```python block in the docs runs: in order, one namespace per document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if _blocks(p)], ids=lambda p: p.name)
def test_python_examples_run(path, capsys):
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    for number, block in enumerate(_blocks(path), start=1):
        code = compile(block, f"{path.name} (voorbeeld {number})", "exec")
        exec(code, namespace)  # noqa: S102 - our own documentation


def test_the_integrator_guide_has_examples():
    assert len(_blocks(ROOT / "docs" / "integratie.md")) >= 6


def _walkthrough_overlay(target: Path) -> Path:
    """The meldcode overlay of docs/beleid-bijhouden.md section 8, written out from the page's own YAML blocks."""
    text = (ROOT / "docs" / "beleid-bijhouden.md").read_text(encoding="utf-8")
    section = text[text.index("## 8. "):text.index("## 9. ")]
    laag, rules, examples = re.findall(r"^```yaml\n(.*?)^```", section, re.S | re.M)[:3]
    (target / "voorbeelden").mkdir(parents=True)
    (target / "laag.yaml").write_text(laag, encoding="utf-8")
    (target / "meldcode.yaml").write_text(rules, encoding="utf-8")
    (target / "voorbeelden" / "meldcode.yaml").write_text(examples, encoding="utf-8")
    return target


@pytest.mark.slow
def test_the_meldcode_walkthrough_shows_what_the_commands_say(tmp_path, capsys, monkeypatch):
    """The three checks of section 8 as the page prints them, run on its own files (a trial found the counts of an
    older default there: 131 rules, 324228 situations); the version and the time are left out, as the page does."""
    from grenzen.cli import main

    _walkthrough_overlay(tmp_path / "school")
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "docs" / "beleid-bijhouden.md").read_text(encoding="utf-8")
    section = text[text.index("## 8. "):text.index("## 9. ")]
    shown = section[section.index("$ grenzen controleer school/"):]
    shown = shown[:shown.index("```")]
    ran = []
    for command in ("controleer school/", "test school/", "verschil standaard school/"):
        main(command.split())
        out = re.sub(r"\(versie [0-9a-f+]+\)", "(versie ...)", capsys.readouterr().out)
        ran.append(f"$ grenzen {command}\n" + re.sub(r"in [0-9.]+ s;", "in ... s;", out))
    assert "\n".join(ran) == shown


@pytest.mark.slow
def test_the_meldcode_walkthrough_holds(tmp_path):
    import grenzen

    school = _walkthrough_overlay(tmp_path / "school")
    policy = grenzen.load_policy(school)
    report = grenzen.run_tests(policy)
    assert report.ok and len(report.outcomes) == 1
    analysis = grenzen.analyse_policy(policy)  # controleer --streng passes, as the page shows
    assert analysis.errors == analysis.warnings == [] and len(analysis.notes) == 4
    advice = policy.advise({"leeftijd": 15, "taak": "oudercontact",
                            "signalen": [{"soort": "relatiegeweld", "ernst": "ernstig"}]})
    assert advice.route == "extern" and not advice.taak_hoort_bij_mentor
    assert not any("vaste aanspreekpunt" in step for step in advice.mentor_doet)
    assert "fnv-aanspreekpunt" in {o.regel for o in advice.opzij_gezet}
    # without 'veiligheid: ja' the absolute rule still protects, but the rules for every safety signal do not apply
    laag = school / "laag.yaml"
    laag.write_text(laag.read_text(encoding="utf-8").replace("    veiligheid: ja", "    veiligheid: nee"),
                    encoding="utf-8")
    policy = grenzen.load_policy(school)
    assert grenzen.analyse_policy(policy).errors == []
    unflagged = policy.advise({"leeftijd": 15, "taak": "oudercontact",
                               "signalen": [{"soort": "relatiegeweld", "ernst": "ernstig"}]})
    assert unflagged.route == "extern" and not unflagged.taak_hoort_bij_mentor
    assert "veiligheid-gesprekken-niet-alleen" not in {r.regel for r in unflagged.redenen}
