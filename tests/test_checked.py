"""The load-time safety check is skipped only for files byte for byte those it passed on (``_safety.CHECKED``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import grenzen
from grenzen.pipeline import _load, _policy
from grenzen.pipeline._load import Source, default_rules_dir, digest_of, load_source
from grenzen.pipeline._safety import CHECKED, safety_problems
from grenzen.pipeline._validate import validate


def test_the_bundled_policy_passes_its_safety_check_and_its_digest_is_recorded():
    source = load_source(default_rules_dir())
    assert not source.problems and not validate(source)
    assert safety_problems(_policy.Policy(source), source) == []
    assert source.digest in CHECKED, (
        f"rules/ changed since its safety check was recorded; the check passes on it now: put \"{source.digest}\" "
        "in CHECKED in src/grenzen/pipeline/_safety.py (in place of the old digest)"
    )


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The directories whose safety check load_policy runs."""
    ran: list[str] = []

    def counting(policy: _policy.Policy, source: Source) -> list[grenzen.Problem]:
        ran.append(source.version)
        return safety_problems(policy, source)

    monkeypatch.setattr(_policy, "safety_problems", counting)
    return ran


def test_the_check_runs_unless_the_files_are_the_checked_ones(tmp_path: Path, checks: list[str]):
    grenzen.load_policy()
    copy = tmp_path / "kopie"
    shutil.copytree(default_rules_dir(), copy)
    grenzen.load_policy(copy)  # the same bytes elsewhere: the same answer
    assert checks == []
    theme = copy / "thuis.yaml"
    theme.write_text(theme.read_text(encoding="utf-8") + "# één regel commentaar erbij\n", encoding="utf-8")
    assert digest_of(copy) not in CHECKED
    grenzen.load_policy(copy)
    assert len(checks) == 1


def test_an_overlay_on_the_checked_policy_is_checked(checks: list[str]):
    school = Path(__file__).parent / "fixtures" / "school"
    grenzen.load_policy(school)
    grenzen.load_policy([default_rules_dir(), school])
    assert len(checks) == 2


def test_a_file_saved_during_a_load_never_gets_the_version_of_what_was_there_before(tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch):
    """An integrator trial saved woordenlijst.yaml (the suicide plan without 'veiligheid: ja') while the service
    reloaded: 19 of 60 reloads served one content under the other's version. The version read first was also the
    checked default's, which skips the load-time safety check (``CHECKED``) for content it was never run on."""
    copy = tmp_path / "kopie"
    shutil.copytree(default_rules_dir(), copy)
    vocabulary = copy / "woordenlijst.yaml"
    text = vocabulary.read_text(encoding="utf-8")
    edited = text.replace("deed een poging.\n    veiligheid: ja\n", "deed een poging.\n    veiligheid: nee\n", 1)
    assert edited != text
    real = _load.unread_files

    def saved_meanwhile(directory: Path, *args: object, **kwargs: object) -> list[grenzen.Problem]:
        vocabulary.write_text(edited, encoding="utf-8")  # the editor saves after grenzen started reading the folder
        return real(directory, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_load, "unread_files", saved_meanwhile)
    during = grenzen.load_policy(copy)
    monkeypatch.undo()
    after = grenzen.load_policy(copy)
    assert "suicidaal_plan" not in after.safety_kinds and after.version != during.version
    assert "suicidaal_plan" in during.safety_kinds  # one whole content: the one its version names


def test_a_file_that_cannot_be_read_is_a_problem_and_is_never_read_again(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    """A review: a file whose first read failed (an editor deleting, then writing it) was read again by the parser, so
    the rules no longer matched the version."""
    copy = tmp_path / "kopie"
    shutil.copytree(default_rules_dir(), copy)
    real, reads = _load._read_capped, []

    def gone_once(path: Path) -> bytes | None:
        reads.append(path.name)
        return None if path.name == "woordenlijst.yaml" and reads.count(path.name) == 1 else real(path)

    monkeypatch.setattr(_load, "_read_capped", gone_once)
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(copy)
    assert [p.code for p in info.value.problems] == ["onleesbaar-bestand"]
    assert info.value.problems[0].file.endswith("woordenlijst.yaml") and reads.count("woordenlijst.yaml") == 1
