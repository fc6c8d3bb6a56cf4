"""Edges of verschil and beleid (issue 9): git is never handed an option, git revisions are read within caps and
never outside their extraction, and the policy document escapes every text that comes from the rule files."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
import tracemalloc
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import dump

import grenzen
from grenzen._errors import GrenzenError
from grenzen.cli import main
from grenzen.pipeline._load import default_rules_dir
from grenzen.toolkit._diff import compare_policies, load_version
from grenzen.toolkit._render import render_policy

CLEAN = FIXTURES / "schoon"
GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git ontbreekt")


# --- helpers --------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    assert GIT is not None  # the tests that get here are marked needs_git
    subprocess.run([GIT, *args], cwd=repo, check=True, capture_output=True)


def _repo(tmp_path: Path, monkeypatch, change=None) -> Path:
    """A git repository with the clean fixture committed as ``regels`` (after ``change(regels)``); cwd is set."""
    repo = tmp_path / "repo"
    shutil.copytree(CLEAN, repo / "regels")
    if change is not None:
        change(repo / "regels")
    _git(repo, "init", "-q")
    _git(repo, "config", "user.name", "Test")
    _git(repo, "config", "user.email", "test@example.invalid")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "v1")
    monkeypatch.chdir(repo)
    return repo


def _fake_git(tmp_path: Path, monkeypatch, tar: Path | None = None) -> Path:
    """Put a ``git`` on PATH that logs every call and, given ``tar``, answers ``archive`` with that file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "git-aanroepen.log"
    serve = f'for a in "$@"; do [ "$a" = archive ] && exec cat "{tar}"; done\n' if tar else ""
    script = bin_dir / "git"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\n{serve}exec "{GIT}" "$@"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    assert GIT is not None  # the tests that get here are marked needs_git
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(GIT).parent}")
    return log


def _fake_ssh(tmp_path: Path, monkeypatch) -> Path:
    """Any ssh connection git tries leaves a marker instead of reaching the network."""
    marker = tmp_path / "ssh-gebruikt"
    script = tmp_path / "fake-ssh"
    script.write_text(f'#!/bin/sh\necho "$*" >> "{marker}"\nexit 1\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("GIT_SSH_COMMAND", str(script))
    monkeypatch.setenv("GIT_SSH", str(script))
    return marker


# --- point 8: git is never handed an option ---------------------------------------------------------


@needs_git
def test_verschil_refuses_an_option_as_revision_and_leaves_the_file_alone(tmp_path, monkeypatch, capsys):
    repo = _repo(tmp_path, monkeypatch)
    target = repo / "doel:x"
    target.write_text("waardevol\n", encoding="utf-8")
    log = _fake_git(tmp_path, monkeypatch)
    assert main(["verschil", "--", "--output=doel:x", "regels"]) == 1
    assert target.read_text(encoding="utf-8") == "waardevol\n", "git heeft het bestand overschreven"
    err = capsys.readouterr().err
    assert "mag niet met '-' beginnen" in err and "Traceback" not in err
    with pytest.raises(GrenzenError, match="mag niet met '-' beginnen"):
        compare_policies("--output=doel:x", "regels")
    assert not log.exists(), "git is gestart met een optie als versie"


@needs_git
@pytest.mark.parametrize("spec", ["--remote=host.invalid:x", "--remote=ssh://host.invalid/x:regels",
                                  "-c:regels", "HEAD:-regels", "HEAD:--output=y"])
def test_verschil_never_starts_git_with_an_option_nor_opens_a_connection(tmp_path, monkeypatch, capsys, spec):
    _repo(tmp_path, monkeypatch)
    marker = _fake_ssh(tmp_path, monkeypatch)
    log = _fake_git(tmp_path, monkeypatch)
    assert main(["verschil", "--", spec, "regels"]) == 1
    err = capsys.readouterr().err
    assert "mag niet met '-' beginnen" in err and "Traceback" not in err
    assert not marker.exists(), "git opende een verbinding"
    assert not log.exists(), "git is gestart met een optie"


@needs_git
def test_verschil_reads_a_revision_without_network_and_with_options_ended(tmp_path, monkeypatch):
    _repo(tmp_path, monkeypatch, lambda d: (d / "lees-mij").symlink_to("woordenlijst.yaml"))  # a link inside: fine
    marker = _fake_ssh(tmp_path, monkeypatch)
    log = _fake_git(tmp_path, monkeypatch)
    result = compare_policies("HEAD:regels", "regels")
    assert result.domain == [] and result.old.name == result.new.name
    assert not marker.exists()
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls and all("HEAD" not in call or "--end-of-options" in call for call in calls), calls


@needs_git
@pytest.mark.parametrize("spec, message", [("HEAD~5:regels", "Git kent de versie"), ("HEAD:bestaat-niet", "geen map"),
                                           ("HEAD:regels/woordenlijst.yaml", "geen map"), (":regels", "REVISIE:MAP")])
def test_verschil_explains_an_unknown_revision_or_path_in_dutch(tmp_path, monkeypatch, capsys, spec, message):
    _repo(tmp_path, monkeypatch)
    assert main(["verschil", spec, "regels"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@needs_git
@pytest.mark.parametrize("name, target", [("weg.yaml", "/etc/hostname"), ("omhoog", "../../../../buiten.yaml")])
def test_verschil_refuses_a_committed_link_out_of_the_revision(tmp_path, monkeypatch, capsys, name, target):
    _repo(tmp_path, monkeypatch, lambda d: (d / name).symlink_to(target))
    with pytest.raises(GrenzenError, match="buiten de versie"):
        compare_policies("HEAD:regels", "regels")
    assert main(["verschil", "HEAD:regels", "regels"]) == 1
    err = capsys.readouterr().err
    assert "buiten de versie" in err and name in err and "Traceback" not in err


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "", data: bytes = b"") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size, info.mode = kind, link, len(data), 0o644
    return info, data


@needs_git
@pytest.mark.parametrize("evil", [
    _member("hard.yaml", tarfile.LNKTYPE, "/etc/passwd"),
    _member("hard.yaml", tarfile.LNKTYPE, "../../grenzen-hard.txt"),
    _member("/grenzen-absoluut.txt", data=b"x"),
    _member("../grenzen-omhoog.txt", data=b"x"),
    _member("voorbeelden/../../grenzen-omhoog.txt", data=b"x"),
    _member("apparaat", tarfile.CHRTYPE),
], ids=["hardlink-absoluut", "hardlink-omhoog", "pad-absoluut", "pad-omhoog", "pad-omhoog-diep", "apparaat"])
def test_verschil_refuses_a_crafted_archive_that_leaves_the_extraction(tmp_path, monkeypatch, evil):
    _repo(tmp_path, monkeypatch)
    tar = tmp_path / "vals.tar"
    with tarfile.open(tar, "w", format=tarfile.GNU_FORMAT) as archive:
        for path in sorted(CLEAN.iterdir()):
            archive.add(path, arcname=path.name)
        archive.addfile(evil[0], io.BytesIO(evil[1]))
    _fake_git(tmp_path, monkeypatch, tar)
    with pytest.raises(GrenzenError, match="buiten de versie|geen gewoon bestand"):
        compare_policies("HEAD:regels", "regels")
    assert not Path("/grenzen-absoluut.txt").exists() and not list(Path(tempfile.gettempdir()).glob("grenzen-*.txt"))


# --- point 5 (git part): bounded resources ----------------------------------------------------------------


@needs_git
def test_a_big_rule_file_in_a_revision_is_refused_from_its_header_without_reading_it(tmp_path, monkeypatch):
    def big(directory: Path) -> None:
        with open(directory / "groot.yaml", "wb") as handle:
            handle.truncate(20_000_000)  # cheap to write, 20 MB for git

    _repo(tmp_path, monkeypatch, big)
    tracemalloc.start()
    try:
        with pytest.raises(GrenzenError) as error:
            compare_policies("HEAD:regels", "regels")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(error.value)
    assert "groot.yaml" in message and "te groot" in message and "meer dan 2 MB" in message
    assert peak < 4_000_000, f"{peak} bytes gelezen voor een bestand dat geweigerd wordt"


@needs_git
def test_the_revision_total_and_file_count_are_capped(tmp_path, monkeypatch, capsys):
    import grenzen.toolkit._diff as diff

    _repo(tmp_path, monkeypatch)
    monkeypatch.setattr(diff, "MAX_REVISION_BYTES", 2_000)  # the clean fixture holds 2.6 kB of YAML
    with pytest.raises(GrenzenError, match=r"samen te groot \(meer dan 0,002 MB\)"):
        compare_policies("HEAD:regels", "regels")
    monkeypatch.setattr(diff, "MAX_REVISION_BYTES", 10_000)
    monkeypatch.setattr(diff, "MAX_REVISION_FILES", 2)
    assert main(["verschil", "HEAD:regels", "regels"]) == 1
    assert "te veel bestanden (meer dan 2)" in capsys.readouterr().err


@needs_git
def test_a_big_file_the_loader_never_reads_does_not_block_the_revision(tmp_path, monkeypatch):
    def pdf(directory: Path) -> None:
        with open(directory / "protocol.pdf", "wb") as handle:
            handle.truncate(3_000_000)

    _repo(tmp_path, monkeypatch, pdf)
    assert compare_policies("HEAD:regels", "regels").domain == []


# --- point 10: the policy document escapes the rule files' texts -----------------------------------------

HOSTILE = ("<script>alert(1)</script> [klik](javascript:alert(1)) <img src=x onerror=alert(1)> &lt;b&gt; "
           "\\[x](javascript:y) `code` <https://x.invalid>\n<div>blok</div>")
TEXT_KEYS = {"naam", "titel", "bron", "uitleg", "label", "omschrijving", "beschrijving", "thema", "wie",
             "onbekende_leeftijd", "mentor_doet", "mentor_doet_niet"}


def _hostile(data):
    if isinstance(data, dict):
        return {k: (_spoil(v) if k in TEXT_KEYS else _hostile(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [_hostile(v) for v in data]
    return data


def _spoil(value):
    if isinstance(value, list):
        return [f"{item} {HOSTILE}" for item in value]
    return f"{value} {HOSTILE}" if isinstance(value, str) else _hostile(value)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A base policy and an overlay (in a directory with markup in its name) whose every text carries markup."""
    root = tmp_path_factory.mktemp("vijandig")
    base = root / "basis"
    base.mkdir()
    for path in CLEAN.glob("*.yaml"):
        (base / path.name).write_text(dump(_hostile(yaml.safe_load(path.read_text(encoding="utf-8")))), "utf-8")
    overlay = root / "laag`<i>"
    overlay.mkdir()
    (overlay / "laag.yaml").write_text(dump({"naam": f"School {HOSTILE}", "basis": "../basis"}), "utf-8")
    (overlay / "school.yaml").write_text(dump(_hostile({"thema": "Eigen", "regels": [{
        "id": "eigen", "titel": "eigen regel", "bron": "zorgplan", "als": {"taak": "t1"},
        "dan": {"route": "zorgteam", "uitleg": "eigen", "verwijzen_naar": ["zc"]}}]})), "utf-8")
    return grenzen.load_policy(overlay)


def _escaped_everywhere(md: str, char: str) -> bool:
    """Every ``char`` in the Markdown is preceded by an odd number of backslashes."""
    return all(len(m.group(1)) % 2 == 1 for m in re.finditer(r"(\\*)" + re.escape(char), md))


def _assert_inert(md: str) -> None:
    assert "<" not in md and ">" not in md
    assert _escaped_everywhere(md, "[") and _escaped_everywhere(md, "]"), "a link could start here"
    assert not re.search(r"&(?!amp;|lt;|gt;)", md), "an '&' that a renderer would read as an entity"


def test_beleid_markdown_escapes_markup_from_every_rule_text(hostile):
    md = render_policy(hostile)
    _assert_inert(md)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "\\[klik\\](javascript:alert(1))" in md
    assert "&amp;lt;b&amp;gt;" in md  # an entity in a rule text is shown, not decoded
    assert "laag\\`&lt;i&gt;/school.yaml:" in md  # the layer's directory, too odd for a code span, is plain
    for line in md.splitlines():
        assert not line.lstrip().startswith(("&lt;div", "<")), "a rule text started a line of its own"


def test_beleid_html_escapes_markup_and_has_a_content_security_policy(hostile, default_policy):
    page = render_policy(hostile, "html")
    assert "<script" not in page and "<img" not in page and "<div" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for document in (page, render_policy(default_policy, "html")):
        head = document[: document.index("</head>")]
        csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', head)
        assert csp and "default-src 'none'" in csp.group(1) and "script-src" not in csp.group(1)
        assert head.index("Content-Security-Policy") < head.index("<title>")


@pytest.fixture(scope="module")
def default_policy():
    return grenzen.load_policy()


@pytest.fixture(scope="module")
def clean_policy():
    return grenzen.load_policy(CLEAN)


MARKUP = st.text(alphabet=st.sampled_from(list("<>&[]()!\\`*_#|:/ \n\r\tajvscript=\"'")), max_size=40)


@settings(max_examples=300)
@given(title=st.one_of(st.text(max_size=60), MARKUP), explanation=st.one_of(st.text(max_size=60), MARKUP),
       name=st.one_of(st.text(max_size=20), MARKUP), layer=st.one_of(st.text(max_size=20), MARKUP))
@pytest.mark.slow
def test_markdown_never_carries_markup_from_a_rule_text(clean_policy, title, explanation, name, layer):
    policy = copy.copy(clean_policy)
    first, *rest = clean_policy.source.rules
    rule = first.rule.model_copy(update={"titel": title or "x", "bron": explanation or "x",
                                         "dan": first.rule.dan.model_copy(update={"uitleg": explanation or "x"})})
    policy.source = dataclasses.replace(clean_policy.source, rules=[dataclasses.replace(first, rule=rule), *rest],
                                        rule_layers={first.rule.id: layer or "x"})
    policy.name = name or "x"
    _assert_inert(render_policy(policy))


# --- a school overlay in a git revision ---------------------------------------------------------------


def _overlay_repo(tmp_path: Path, monkeypatch, basis: str) -> Path:
    """A repository with the default policy in ``regels/`` and the school fixture as an overlay on ``basis``."""
    def add_school(rules: Path) -> None:
        shutil.rmtree(rules)
        shutil.copytree(default_rules_dir(), rules)
        school = rules.parent / "school"
        shutil.copytree(FIXTURES / "school", school)
        layer = school / "laag.yaml"
        layer.write_text(layer.read_text(encoding="utf-8").replace("basis: standaard", f"basis: {basis}"),
                         encoding="utf-8")

    return _repo(tmp_path, monkeypatch, add_school)


@needs_git
def test_an_overlay_in_a_revision_reads_its_basis_from_the_same_revision(tmp_path, monkeypatch):
    repo = _overlay_repo(tmp_path, monkeypatch, "../regels")
    shutil.rmtree(repo / "regels")  # the working tree no longer has the basis: only the revision does
    with contextlib.ExitStack() as stack:
        policy = load_version("HEAD:school", stack)
        assert [layer.naam for layer in policy.layers][-1] == "Beleid mentoraat Voorbeeldcollege"
        assert policy.advise({"taak": "signaleren", "signalen": [{"soort": "taalachterstand", "ernst": "licht"}]})


@needs_git
@pytest.mark.parametrize("basis", ["../..", "/etc", "../../buiten"])
def test_an_overlay_in_a_revision_never_reads_a_basis_outside_it(tmp_path, monkeypatch, basis):
    outside = tmp_path / "buiten"  # a full policy outside the repository, where ../../buiten would lead
    shutil.copytree(CLEAN, outside)
    _overlay_repo(tmp_path, monkeypatch, basis)
    with contextlib.ExitStack() as stack, pytest.raises(GrenzenError, match="ligt buiten die versie"):
        load_version("HEAD:school", stack)
