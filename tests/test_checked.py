"""The load-time safety check is skipped only for files byte for byte those it passed on (``_safety.CHECKED``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import grenzen
from grenzen.pipeline import _policy
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
