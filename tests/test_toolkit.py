"""The policy writers' toolkit: test --dekking, controleer (domain analysis), verschil, beleid, school overlays."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES
from strategies import write_policy

import grenzen
from grenzen.cli import main
from grenzen.pipeline._load import default_rules_dir
from grenzen.toolkit._analysis import analyse_policy
from grenzen.toolkit._coverage import run_tests
from grenzen.toolkit._diff import compare_policies
from grenzen.toolkit._render import render_policy

ROOT = Path(__file__).resolve().parents[1]
PLANTED = FIXTURES / "geplant"
CLEAN = FIXTURES / "schoon"
SCHOOL = FIXTURES / "school"


@pytest.fixture(scope="module")
def default():
    return grenzen.load_policy()


def _found(path):
    analysis = analyse_policy(grenzen.load_policy(path))
    return analysis, {(f.kind, f.rule) for f in analysis.findings}


def test_analysis_finds_every_planted_problem_and_nothing_else():
    analysis, found = _found(PLANTED)
    assert found == {
        ("nooit-van-toepassing", "nooit"),
        ("tegenstrijdig", "c-bellen"),
        ("overschaduwd", "a-acuut"),
        ("uitzondering-zonder-effect", "x-uitzondering"),
        ("conflict", "t1-basis"),
        ("niet-gedekt", None),
        ("veiligheid-bij-mentor", "e-licht"),
        # and where another signal's rule refers the case, not absolutely, the safety net takes that referral over: no
        # rule refers 'e' itself, so it is said at the kind's declaration
        ("veiligheid-niet-absoluut", None),
        # 'b' has no 'veiligheid: ja', and 'b-gevaar' refers it absolutely, 'direct': a note at its declaration
        ("lijkt-veiligheidssignaal", None),
    }
    gap = next(f for f in analysis.findings if f.kind == "niet-gedekt")
    assert gap.case == {"leeftijd": 14, "taak": "t3", "signalen": []} and "taak 't3'" in gap.message
    assert {f.level for f in analysis.errors} == {"fout"} and len(analysis.errors) == 3


def test_controleer_reports_every_case_where_only_the_safety_guard_refers():
    # 'e' is marked veiligheid: ja; 'e-licht' keeps it at the mentor up to ernstig, only acuut is referred.
    # The policy loads (the load-time check asks acuut only), but controleer must name it as an error.
    analysis, _ = _found(PLANTED)
    policy = grenzen.load_policy(PLANTED)
    [finding] = [f for f in analysis.findings if f.kind == "veiligheid-bij-mentor"]
    assert finding.level == "fout" and finding.rule == "e-licht" and "'e'" in finding.message
    assert finding.file.endswith("b_thema.yaml")
    advice = policy.advise(finding.case)
    assert advice.redenen[0].regel == "veiligheid-nooit-alleen-bij-mentor" and advice.route == "zorgteam"
    assert {s["soort"] for s in finding.case["signalen"]} >= {"e"}
    # every severity below acuut, with tasks t1 and t3 (t2 is referred by 't2-basis'), three training sets
    assert finding.count == 3 * 2 * 3


def test_counterexamples_are_ready_to_paste_and_show_the_finding(tmp_path):
    analysis, _ = _found(PLANTED)
    policy = grenzen.load_policy(PLANTED)
    for finding in analysis.findings:
        if finding.case is None:
            continue
        advice = policy.advise(finding.case)  # a valid case of the policy
        if finding.kind == "tegenstrijdig":
            assert set(advice.mentor_doet) & set(advice.mentor_doet_niet)
        if finding.kind == "conflict":
            assert {r.regel for r in advice.redenen} >= {"t1-basis", "d-melden"}
        text = str(finding).split("Tegenvoorbeeld (plak in voorbeelden/):\n", 1)[1]
        entry = yaml.safe_load(text)[0]
        assert entry["casus"] == finding.case and entry["verwacht"]["route"] == advice.route


def test_clean_policy_has_no_findings_and_streng_passes(capsys):
    assert _found(CLEAN)[1] == set()
    assert main(["controleer", "--streng", str(CLEAN)]) == 0
    assert "0 fouten, 0 waarschuwingen" in capsys.readouterr().out


def test_controleer_exit_codes(capsys):
    assert main(["controleer", str(PLANTED)]) == 1  # errors always fail
    out = capsys.readouterr().out
    assert "fout [nooit-van-toepassing] regel 'nooit'" in out and "b_thema.yaml:" in out and "Traceback" not in out


def test_warnings_fail_only_with_streng(tmp_path, capsys):
    rules = yaml.safe_load((PLANTED / "a_thema.yaml").read_text(encoding="utf-8"))["regels"]
    directory = write_policy(tmp_path / "r", [r for r in rules if r["id"] in ("t1-basis", "t2-basis", "a-licht")])
    assert main(["controleer", str(directory)]) == 0
    assert main(["controleer", "--streng", str(directory)]) == 1
    assert "[niet-gedekt]" in capsys.readouterr().out


def test_domain_classes_stand_for_every_grid_case():
    policy = grenzen.load_policy(PLANTED)
    analysis = analyse_policy(policy, pairs=False)
    domain = analysis.domain
    singles = [p for p in domain.points(pairs=False) if p.signals == 1]
    vocab = policy.vocabulary
    assert sum(p.weight for p in singles) == len(vocab.signalen) * 4 * len(vocab.taken) * (1 + len(vocab.scholing))
    # the classes are exact: the concrete grid gives no advice-relevant outcome the representatives miss
    def applicable(case):
        return tuple(policy.applicable(policy.validate_case(case)))

    represented = {applicable(p.case) for p in singles if "eerdere_aanpak" not in p.case}
    grid = {
        applicable({"leeftijd": 14, "taak": task, "signalen": [{"soort": kind, "ernst": severity}],
                    "mentor": {"scholing": training}})
        for task in vocab.taken for kind in vocab.signalen for severity in ("licht", "matig", "ernstig", "acuut")
        for training in [list[str]()] + [[t] for t in vocab.scholing]
    }
    assert grid == represented


def test_pairs_left_out_where_no_rule_asks_under_niet_equal_their_two_single_signals(default):
    """Where the only rules that read two signals ask for both (the default's exceptions for a kind marked
    'familie_niet_benaderen', for every task), the domain pairs only the signals those rules ask for (controleer took
    twice as long when it paired every signal there). Every other pair gives the rules of its two single signals."""
    from grenzen.toolkit._analysis import condition_rules, safety_kinds
    from grenzen.toolkit._domain import build_domain

    vocab = default.vocabulary
    domain = build_domain([condition_rules(default)], list(vocab.signalen), list(vocab.taken), list(vocab.scholing),
                          safety=safety_kinds(default))
    every = max((both for *_, both in domain.pair_blocks), key=lambda both: len(both.cases))
    cross = [(task, training, both) for task, training, _, both in domain.pair_blocks if both is not every]
    assert cross and all(0 < len(both.cases) < len(every.cases) for *_, both in cross)
    enumerated = {tuple(item.index for item in pair) for pair in cross[0][2].cases}

    def applicable(task, training, items):
        case = {"leeftijd": 14, "taak": task, "signalen": [item.signal() for item in items]}
        if training:
            case["mentor"] = {"scholing": list(training)}
        return set(default.applicable(default.validate_case(case)))

    for task, training, _ in cross[:: max(1, len(cross) // 3)]:
        single = {item.index: applicable(task, training, [item]) for item in domain.items}
        differ = {(a.index, b.index) for a, b in itertools.combinations(domain.items, 2)
                  if applicable(task, training, [a, b]) != single[a.index] | single[b.index]}
        assert differ and differ <= enumerated, (task, training, sorted(differ - enumerated)[:5])

@pytest.mark.slow
def test_bundled_policy_is_clean_under_streng_and_fully_covered(default, capsys):
    analysis = analyse_policy(default)
    assert [str(f).splitlines()[0] for f in analysis.errors + analysis.warnings] == []
    # the tasks that stay the mentor's even when an absolute rule refers the case away: noted, by design
    assert all(f.case is not None for f in analysis.notes)
    assert {(f.rule, (f.case or {})["taak"]) for f in analysis.notes} == {
        ("fnv-signaleren", "signaleren"), ("fnv-doorverwijzen", "doorverwijzen"),
        ("overleggen-hoort-bij-mentor", "overleggen"), ("eerste-opvang-hoort-bij-mentor", "eerste_opvang")}
    assert analysis.cases > 18_000
    report = run_tests(default)
    assert report.ok and report.coverage == 100.0
    assert main(["test", "--minimaal-dekking", "100"]) == 0
    count = len(default.rules)  # every rule of the policy, whatever their number
    assert f"Dekking: {count} van {count} regels geoefend (100%)" in capsys.readouterr().out


def test_coverage_lists_unexercised_rules_and_fails_under_minimum(tmp_path, capsys):
    directory = write_policy(tmp_path / "r", [
        {"id": "x", "titel": "t", "bron": "b", "als": {"taak": "t1"}, "dan": {"route": "mentor", "uitleg": "u"}},
        {"id": "y", "titel": "t", "bron": "b", "als": {"taak": "t2"}, "dan": {"route": "mentor", "uitleg": "u"}},
    ])
    (directory / "voorbeelden").mkdir()
    (directory / "voorbeelden" / "v.yaml").write_text(
        "voorbeelden:\n  - {naam: een, casus: {taak: t1}, verwacht: {route: mentor}}\n", encoding="utf-8")
    assert main(["test", "--dekking", str(directory)]) == 0
    out = capsys.readouterr().out
    assert "geoefend        x (1 voorbeeld)" in out and "NOOIT GEOEFEND  y (" in out and "(50%)" in out
    assert main(["test", "--minimaal-dekking", "60", str(directory)]) == 1
    assert "lager dan de gevraagde 60%" in capsys.readouterr().err


def test_coverage_says_which_rules_only_ever_went_aside(tmp_path, capsys):
    """A trial: a rule that an example showed to be set aside read as "geoefend" and "100%", while it never took
    part in an advice."""
    directory = write_policy(tmp_path / "r", [
        {"id": "x", "titel": "t", "bron": "b", "als": {"taak": "t1"}, "dan": {"route": "mentor", "uitleg": "u"}},
        {"id": "y", "titel": "t", "bron": "b", "als": {"taak": "t1"}, "dan": {"route": "zorgteam", "uitleg": "u"},
         "zet_opzij": ["x"]},
    ])
    (directory / "voorbeelden").mkdir()
    (directory / "voorbeelden" / "v.yaml").write_text(
        "voorbeelden:\n  - {naam: een, casus: {taak: t1}, verwacht: {route: zorgteam}}\n", encoding="utf-8")
    report = run_tests(directory)
    assert report.exercised == {"x": 1, "y": 1} and report.counted == {"x": 0, "y": 1} and report.coverage == 100
    assert main(["test", "--dekking", str(directory)]) == 0
    out = capsys.readouterr().out
    assert "  alleen opzij    x (1 voorbeeld): geldt, maar telt in geen voorbeeld mee" in out
    assert "  geoefend        y (1 voorbeeld)" in out
    assert "Dekking: 2 van 2 regels geoefend (100%); 1 daarvan alleen opzij gezet" in out


def test_verschil_groups_changes_with_one_example_each(tmp_path, capsys):
    new = tmp_path / "nieuw"
    shutil.copytree(CLEAN, new)
    text = (new / "a_thema.yaml").read_text(encoding="utf-8")
    (new / "a_thema.yaml").write_text(text.replace("route: mentor\n    mentor_doet:\n    - Doe t3.",
                                                   "route: zorgteam\n    mentor_doet:\n    - Doe t3."), encoding="utf-8")
    result = compare_policies(CLEAN, new)
    assert result.rules_changed == ["t3-basis"] and not result.rules_added and not result.rules_removed
    groups = {(c.field, c.old, c.new): c for c in result.domain}
    # the route, and the rule's step where it now stays beside a referral that set it aside before
    assert set(groups) == {("route", "mentor", "zorgteam"), ("mentor_doet", None, "Doe t3.")}
    change = groups[("route", "mentor", "zorgteam")]
    assert change.case is not None
    assert change.case["taak"] == "t3" and grenzen.load_policy(new).advise(change.case).route == "zorgteam"
    assert compare_policies(CLEAN, CLEAN).domain == []
    assert main(["verschil", str(CLEAN), str(new)]) == 0
    out = capsys.readouterr().out
    assert "route mentor → zorgteam:" in out and "Regels gewijzigd: t3-basis" in out
    assert "  stap erbij: 'Doe t3.': " in out and "verwacht:\n          mentor_doet: [Doe t3.]" in out


def test_verschil_reads_git_revisions(tmp_path, monkeypatch, capsys):
    if shutil.which("git") is None:
        pytest.skip("git ontbreekt")
    repo = tmp_path / "repo"
    shutil.copytree(CLEAN, repo / "regels")
    examples = repo / "regels" / "voorbeelden" / "v.yml"
    examples.parent.mkdir()
    example = "  - {{naam: {0}, casus: {{taak: {0}}}, verwacht: {{route: {1}}}}}\n"
    examples.write_text("voorbeelden:\n" + example.format("t1", "mentor") + example.format("t2", "zorgteam"),
                        encoding="utf-8")
    run = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    run("add", ".")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    examples.write_text("voorbeelden:\n" + example.format("t1", "mentor") + example.format("t3", "mentor"),
                        encoding="utf-8")
    monkeypatch.chdir(repo)
    # t1 is in both versions, t2 only in the committed one, t3 only in the working copy: all three run
    assert compare_policies("HEAD:regels", "regels").examples_run == 3
    assert main(["verschil", "HEAD:regels", "regels"]) == 0
    out = capsys.readouterr().out
    assert "Geen verschil" in out and "Voorbeelden: 0 van 3 casussen" in out
    assert main(["verschil", "HEAD~5:regels", "regels"]) == 1
    assert "Git kent de versie" in capsys.readouterr().err


def test_beleid_is_deterministic_and_safety_first(default):
    text = render_policy(default)
    assert text == render_policy(grenzen.load_policy())
    assert text.index("## Veiligheid eerst") < text.index("## Veiligheid\n") < text.index("## Verwijsafspraken")
    for rule in default.rules:
        assert f"· {rule.id}\n" in text
    page = render_policy(default, "html")
    assert page.startswith("<!DOCTYPE html>") and "<h2>Veiligheid eerst</h2>" in page


def test_safety_first_lists_the_absolute_mentor_rules_apart_from_the_referrals(default):
    """A trial read 'blijft bij de mentor' under "Deze regels zijn absoluut" in "Veiligheid eerst" as referrals that
    keep a case at the mentor: the rules that stay the mentor's in danger (signalling, first aid) have their own list."""
    text = render_policy(default)
    section = text[text.index("## Veiligheid eerst"):text.index("## ", text.index("## Veiligheid eerst") + 3)]
    referrals, staying = section.split("Ook bij gevaar blijven deze taken bij de mentor")
    absolute = [r for r in default.rules if r.absoluut]
    assert absolute and all((f"(`{r.id}`)" in staying) == (r.dan.route == "mentor") for r in absolute)
    assert all((f"(`{r.id}`)" in referrals) == (r.dan.route != "mentor") for r in absolute)
    assert "blijft bij de mentor" not in referrals


def test_rendered_default_policy_in_docs_is_up_to_date(default):
    committed = (ROOT / "docs" / "beleid.md").read_text(encoding="utf-8")
    assert committed == render_policy(default), "docs/beleid.md is verouderd: grenzen beleid > docs/beleid.md"


def test_beleid_command(capsys):
    assert main(["beleid", str(CLEAN), "--formaat", "html"]) == 0
    assert "<h1>Gegenereerd beleid</h1>" in capsys.readouterr().out


@pytest.mark.slow
def test_school_overlay_on_the_default(default):
    school = grenzen.load_policy(SCHOOL)
    assert [layer.naam for layer in school.layers] == [default.name, "Beleid mentoraat Voorbeeldcollege"]
    assert school.version == "+".join(layer.versie for layer in school.layers)
    assert len(school.rules) == len(default.rules) + 3
    advice = school.advise({"taak": "signaleren", "signalen": [{"soort": "taalachterstand", "ernst": "licht"}]})
    assert advice.route == "mentor" and advice.verwijzen_naar == ["NT2-coördinator"]
    info = json.loads(advice.model_dump_json())["beleid"]
    assert set(info) == {"naam", "versie"} and info["naam"] == f"{default.name} + Beleid mentoraat Voorbeeldcollege"
    assert json.loads(default.advise({"taak": "signaleren"}).model_dump_json())["beleid"] == {
        "naam": default.name, "versie": default.version}
    same = grenzen.load_policy([default_rules_dir(), SCHOOL])
    assert same.version == school.version
    assert run_tests(school).ok


def test_overlay_cannot_set_aside_an_absolute_default_rule(tmp_path):
    overlay = tmp_path / "school"
    overlay.mkdir()
    (overlay / "laag.yaml").write_text("naam: School\nbasis: standaard\n", encoding="utf-8")
    (overlay / "s.yaml").write_text(
        "thema: S\nregels:\n  - id: s-uit\n    titel: t\n    bron: b\n    als: {taak: signaleren}\n"
        "    dan: {route: mentor, uitleg: u}\n    zet_opzij: [suicidaal-plan]\n", encoding="utf-8")
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(overlay)
    assert "suicidaal-plan' is absoluut" in str(info.value) and "s.yaml:" in str(info.value)
    (overlay / "s.yaml").write_text(
        "thema: S\nregels:\n  - id: suicidaal-plan\n    titel: t\n    bron: b\n    als: {taak: signaleren}\n"
        "    dan: {route: mentor, uitleg: u}\n", encoding="utf-8")
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(overlay)
    assert "bestaat al" in str(info.value)


@pytest.mark.slow
def test_overlay_chain_and_errors(tmp_path):
    first = tmp_path / "bestuur"
    shutil.copytree(SCHOOL, first)
    (first / "voorbeelden" / "school.yaml").unlink()
    second = tmp_path / "locatie"
    second.mkdir()
    (second / "laag.yaml").write_text("naam: Locatie\nbasis: ../bestuur\nscholing: {ehbo: {label: EHBO, omschrijving: e}}\n",
                                      encoding="utf-8")
    policy = grenzen.load_policy(second)
    assert [layer.naam for layer in policy.layers][1:] == ["Beleid mentoraat Voorbeeldcollege", "Locatie"]
    assert "ehbo" in policy.vocabulary.scholing and "taalachterstand" in policy.vocabulary.signalen
    (second / "laag.yaml").write_text("naam: Locatie\nbasis: .\n", encoding="utf-8")
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(second)
    assert "kring" in str(info.value)


def test_examples_in_yml_files_run_and_a_typo_in_verwacht_is_a_located_problem(tmp_path, capsys):
    directory = write_policy(tmp_path / "r", [
        {"id": "x", "titel": "t", "bron": "b", "als": {"taak": "t1"}, "dan": {"route": "mentor", "uitleg": "u"}},
    ])
    (directory / "voorbeelden").mkdir()
    (directory / "voorbeelden" / "a.yml").write_text(
        "voorbeelden:\n  - {naam: een, casus: {taak: t1}, verwacht: {route: mentor}}\n", encoding="utf-8")
    report = run_tests(directory)
    assert [o.name for o in report.outcomes] == ["een"] and report.ok
    (directory / "voorbeelden" / "b.yaml").write_text(
        "voorbeelden:\n  - naam: twee\n    casus: {taak: t1}\n    verwacht: {route: extrn}\n", encoding="utf-8")
    report = run_tests(directory)
    [problem] = report.problems
    assert problem.file.endswith("b.yaml") and (problem.line, problem.column) == (4, 23)
    assert "ongeldige waarde voor 'route'" in problem.message and "extern" in problem.fix


def test_verwacht_indented_too_far_or_not_far_enough_says_so_once(tmp_path):
    """A trial: 'verwacht:' indented as far as the case's keys gave "verplichte sleutel 'verwacht' ontbreekt" beside
    "de casus klopt niet: verwacht: onbekend veld"."""
    directory = write_policy(tmp_path / "r", [
        {"id": "x", "titel": "t", "bron": "b", "als": {"taak": "t1"}, "dan": {"route": "mentor", "uitleg": "u"}},
    ])
    (directory / "voorbeelden").mkdir()
    (directory / "voorbeelden" / "a.yaml").write_text(
        "voorbeelden:\n  - naam: een\n    casus:\n      taak: t1\n      verwacht:\n        route: mentor\n"
        "  - naam: twee\n    casus: {taak: t1}\n    verwacht:\n    route: mentor\n"
        "  - naam: drie\n    casus: {taak: t1}\n    verwacht: {route: mentor}\n", encoding="utf-8")
    report = run_tests(directory)
    assert [o.name for o in report.outcomes] == ["drie"] and report.unreadable == 2
    assert [(p.line, p.column, p.code) for p in report.problems] == [(5, 7, "verkeerd-ingesprongen"),
                                                                      (10, 5, "verkeerd-ingesprongen")]
    deep, shallow = report.problems
    assert deep.message == "'verwacht:' staat te ver ingesprongen: zo hoort het bij de casus"
    assert "recht onder 'casus:'" in deep.fix
    assert shallow.message.startswith("'route:' staat niet ver genoeg ingesprongen")
    assert "onder 'verwacht:'" in shallow.fix


def test_test_without_examples_says_why_it_fails(tmp_path, capsys):
    directory = write_policy(tmp_path / "r", [
        {"id": "x", "titel": "t", "bron": "b", "als": {"taak": "t1"}, "dan": {"route": "mentor", "uitleg": "u"}},
    ])
    assert main(["test", str(directory)]) == 1
    captured = capsys.readouterr()
    assert "0 geslaagd, 0 mislukt" in captured.out
    assert "er zijn geen voorbeelden om te testen" in captured.err and "voorbeelden/" in captured.err


def test_verschil_sees_the_safety_guard_like_advise_does(tmp_path):
    # the same rules; the new version marks 'e' as a safety kind, so 'e-licht' no longer keeps it at the mentor
    old = tmp_path / "oud"
    shutil.copytree(PLANTED, old)
    vocabulary = (old / "woordenlijst.yaml").read_text(encoding="utf-8")
    (old / "woordenlijst.yaml").write_text(vocabulary.replace("    veiligheid: ja\n", ""), encoding="utf-8")
    result = compare_policies(old, PLANTED, pairs=False)
    groups = {(c.field, c.old, c.new): c for c in result.domain}
    change = groups[("route", "mentor", "zorgteam")]
    assert change.case is not None
    assert change.case["signalen"][0]["soort"] == "e"
    assert grenzen.load_policy(PLANTED).advise(change.case).redenen[0].regel == "veiligheid-nooit-alleen-bij-mentor"


def _rule(rule_id: str, cond: dict, route: str, mine: bool) -> dict:
    return {"id": rule_id, "titel": "T", "bron": "B", "als": cond,
            "dan": {"route": route, "uitleg": "u", "taak_hoort_bij_mentor": "ja" if mine else "nee"}}


@pytest.mark.parametrize("against", [1, 3])
def test_conflicts_of_a_rule_with_several_in_the_same_files_are_one_finding(tmp_path, against):
    # a 600-rule overlay gave 27,321 conflict warnings, up to 279 for one rule (a trial): one per rule that says 'ja'
    rules = [_rule("t1-mentor", {"taak": "t1"}, "mentor", True)]
    rules += [_rule(f"nee-{kind}", {"signaal": {"soort": kind}}, "zorgteam", False) for kind in "abc"[:against]]
    analysis = analyse_policy(grenzen.load_policy(write_policy(tmp_path / "regels", rules)))
    [finding] = [f for f in analysis.findings if f.kind == "conflict"]
    assert finding.rule == "t1-mentor" and finding.message.endswith("Leg met zet_opzij vast wie voorgaat")
    if against == 1:
        assert "regel 'nee-a' zegt van niet; geen van beide is een uitzondering op de ander" in finding.message
    else:
        assert "3 andere regels zeggen van niet, bijvoorbeeld 'nee-a'" in finding.message
    assert finding.case is not None
    advice = grenzen.load_policy(tmp_path / "regels").advise(finding.case)
    assert {r.regel for r in advice.redenen} >= {"t1-mentor", "nee-a"}


def test_an_uncovered_task_of_an_overlay_names_every_task_of_its_class_at_its_place_and_pastes_as_printed(tmp_path):
    # two new tasks without a rule: one was named with the count of both, at school/woordenlijst.yaml:1:1 (a file an
    # overlay does not have), and its counterexample, pasted as printed under the example there, broke the file
    school = Path(shutil.copytree(SCHOOL, tmp_path / "school"))
    with (school / "laag.yaml").open("a", encoding="utf-8") as laag:
        laag.write("taken:\n  huiswerk_na_ziekte:\n    label: H\n    omschrijving: H.\n"
                   "  gesprek_wijkagent:\n    label: G\n    omschrijving: G.\n")
    [gap] = [f for f in analyse_policy(grenzen.load_policy(school)).findings if f.kind == "niet-gedekt"]
    assert "bij de taken 'huiswerk_na_ziekte' en 'gesprek_wijkagent' geldt in" in gap.message
    assert (Path(gap.file).name, gap.line, gap.column) == ("laag.yaml", 10, 3)
    pasted = str(gap).split("Tegenvoorbeeld (plak in voorbeelden/):\n", 1)[1]
    examples = next((school / "voorbeelden").glob("*.yaml"))
    before = run_tests(school)
    examples.write_text(examples.read_text(encoding="utf-8").rstrip("\n") + "\n" + pasted, encoding="utf-8")
    after = run_tests(school)
    assert not after.unreadable and not after.problems and len(after.outcomes) == len(before.outcomes) + 1


def test_the_policy_document_puts_mentor_rules_that_hold_only_in_danger_apart(tmp_path):
    """A trial's overlay rule 'mentor, at sexting' was printed under "Hoort bij de mentor", though an absolute
    referral (or the safety guard) sets it aside wherever it holds. It now stands under its own heading; a mentor rule
    that also holds without a safety signal stays where it was."""
    from strategies import VOCABULARY

    from grenzen.toolkit._render import render_policy

    vocabulary = {**VOCABULARY, "signalen": {**VOCABULARY["signalen"],
                                             "a": {**VOCABULARY["signalen"]["a"], "veiligheid": "ja"}}}

    def rule(rule_id: str, als: dict, route: str = "mentor", **extra) -> dict:
        return {"id": rule_id, "titel": f"Titel {rule_id}", "bron": "test", "als": als,
                "dan": {"route": route, "urgentie": "vandaag", "uitleg": "u"}, **extra}

    directory = write_policy(tmp_path / "r", [
        rule("veilig", {"signaal": {"veiligheid": "ja"}}, "extern", absoluut="ja"),
        rule("alleen-bij-gevaar", {"alle": [{"taak": "t1"}, {"signaal": {"soort": "a"}}]}),
        rule("ook-zonder-gevaar", {"een_van": [{"signaal": {"soort": "a"}}, {"signaal": {"soort": "b"}}]}),
        rule("gewoon", {"signaal": {"soort": "b"}}),
    ], vocabulary=vocabulary)
    document = render_policy(grenzen.load_policy(directory))

    def heading_over(rule_id: str) -> str:
        above = document[:document.index(f"#### Titel {rule_id}")]
        return above[above.rindex("\n### ") + 1:].splitlines()[0]

    assert heading_over("alleen-bij-gevaar") == "### Gaat altijd opzij bij gevaar"
    assert heading_over("ook-zonder-gevaar") == heading_over("gewoon") == "### Hoort bij de mentor"
    # its entry says it never counts, and what it would advise is not called its advice (a second trial read
    # "Advies: blijft bij de mentor" there as the school's policy)
    entry = document[document.index("#### Titel alleen-bij-gevaar"):]
    entry = entry[:entry.index("\n#")]
    assert "**Telt nooit mee:** deze regel geldt alleen bij een veiligheidssignaal" in entry
    assert "**Zou adviseren:** blijft bij de mentor" in entry and "**Advies:**" not in entry
    gewoon = document[document.index("#### Titel gewoon"):]
    assert "**Advies:** blijft bij de mentor" in gewoon and "Telt nooit mee" not in gewoon


def test_an_overlays_own_rule_that_never_counts_is_marked_in_the_list_of_its_rules(tmp_path):
    careless = {"id": "tc-zelfbeschadiging-licht", "titel": "Lichte zelfbeschadiging bespreekt de mentor",
                "bron": "Zorgplan", "als": {"signaal": {"soort": "zelfbeschadiging", "ernst_hoogstens": "licht"}},
                "dan": {"route": "mentor", "mentor_doet": ["Bespreek het zelf met de leerling."], "uitleg": "Test."}}
    school = tmp_path / "school"
    school.mkdir()
    (school / "laag.yaml").write_text("naam: Testschool\nbasis: standaard\n", encoding="utf-8")
    (school / "school.yaml").write_text(yaml.safe_dump({"thema": "Testschool", "regels": [careless]},
                                                       allow_unicode=True), encoding="utf-8")
    from grenzen.toolkit._render import render_policy

    document = render_policy(grenzen.load_policy(school))
    own = document[document.index("## Waar de school afwijkt van de basis"):]
    own = own[:own.index("\n## ")]
    assert ("(`tc-zelfbeschadiging-licht`) — **telt nooit mee:** deze regel geldt alleen bij een "
            "veiligheidssignaal") in own
