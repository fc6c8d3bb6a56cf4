"""controleer on adapted policies (issue 10): a referral that keeps the mentor, lost safety kinds, grouped conflicts in an overlay,
exceptions that only act next to an overlay's kind."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import grenzen
from grenzen.cli import main
from grenzen.toolkit._analysis import _fewer_safety_kinds, analyse_policy

FAMILY = "Neem geen contact op met de familie."
CONTACT = "Wees het vaste aanspreekpunt voor de leerling en de ouders."


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def overlay(directory: Path, kinds: dict, rules: list[dict]) -> Path:
    """A school overlay on the bundled default: extra signal kinds and one theme file."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "laag.yaml").write_text(_dump({"naam": "Testcollege", "basis": "standaard", "signalen": kinds}),
                                         encoding="utf-8")
    if rules:
        (directory / "school.yaml").write_text(_dump({"thema": "Testcollege", "regels": rules}), encoding="utf-8")
    return directory


def forced_marriage(veiligheid: bool = True) -> dict:
    term = {"label": "Huwelijksdwang", "omschrijving": "De leerling wordt gedwongen tot een huwelijk."}
    if veiligheid:
        term["veiligheid"] = "ja"
    return {"huwelijksdwang": term}


MARRIAGE_RULE: dict[str, Any] = {
    "id": "tc-huwelijksdwang",
    "titel": "Huwelijksdwang, direct naar Veilig Thuis",
    "bron": "Meldcode",
    "absoluut": "ja",
    "als": {"signaal": {"soort": "huwelijksdwang"}},
    "dan": {
        "route": "extern",
        "urgentie": "direct",
        "mentor_doet": ["Waarschuw direct de aandachtsfunctionaris."],
        "mentor_doet_niet": [FAMILY, "Beloof geen geheimhouding."],
        "verwijzen_naar": ["aandachtsfunctionaris", "veilig_thuis"],
        "toestemming": "nee",
        "uitleg": "Contact met de familie kan de leerling in gevaar brengen.",
    },
}

CONVERSATIONS = ["begeleidingsgesprekken", "conflict_bemiddelen", "oudercontact"]
PROTECTION = {
    "id": "tc-huwelijksdwang-gesprekken",
    "titel": "Bij huwelijksdwang voert de mentor geen gesprekken alleen",
    "bron": "Meldcode",
    "absoluut": "ja",
    "als": {"taak": CONVERSATIONS, "signaal": {"soort": "huwelijksdwang"}},
    "dan": {"route": "zorgteam", "urgentie": "vandaag", "taak_hoort_bij_mentor": "nee",
            "mentor_doet_niet": ["Voer geen gesprekken over dit signaal alleen."], "uitleg": "Dat regelt het zorgteam."},
    "zet_opzij": ["fnv-aanspreekpunt", "begeleidingsgesprekken-licht", "conflict-bemiddelen-licht",
                  "scholing-rouwbegeleiding", "scholing-coaching", "scholing-sova", "scholing-faalangstreductie",
                  "scholing-mediation"],
}


def kept_at_mentor(analysis):
    """The findings of an absolute rule that keeps the mentor in danger, with or without a reason."""
    return [f for f in analysis.findings if f.kind in ("mentor-bij-gevaar", "mentor-bij-gevaar-zonder-reden")]


def keeps_the_mentor(advice) -> bool:
    return advice.route != "mentor" and (advice.taak_hoort_bij_mentor or CONTACT in advice.mentor_doet)


#: the default's tasks that stay the mentor's even in danger: their rules are absolute (rules/mentortaken.yaml)
DANGER_TASKS = {"signaleren": "fnv-signaleren", "overleggen": "overleggen-hoort-bij-mentor",
                "doorverwijzen": "fnv-doorverwijzen", "eerste_opvang": "eerste-opvang-hoort-bij-mentor"}


# --- point 3: an absolute rule that refers away never leaves the task or a lighter rule's steps at the mentor ------

@pytest.mark.slow
@pytest.mark.parametrize("veiligheid", [True, False], ids=["veiligheid-ja", "zonder-vlag"])
def test_an_added_kind_referred_away_never_keeps_the_mentor(tmp_path, veiligheid):
    # the overlay: a meldcode form with one absolute rule, route extern, urgency direct. Before, task
    # oudercontact said "hoort bij de mentor" and "Wees het vaste aanspreekpunt voor de leerling en de ouders".
    policy = grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(veiligheid), [MARRIAGE_RULE]))
    by_id = {rule.id: rule for rule in policy.rules}
    for task in policy.vocabulary.taken:
        for severity in ("licht", "matig", "ernstig", "acuut"):
            for training in ([], list(policy.vocabulary.scholing)):
                advice = policy.advise({"leeftijd": 15, "taak": task, "mentor": {"scholing": training},
                                        "signalen": [{"soort": "huwelijksdwang", "ernst": severity}]})
                assert advice.route == "extern" and FAMILY in advice.mentor_doet_niet
                assert CONTACT not in advice.mentor_doet
                assert advice.taak_hoort_bij_mentor is (task in DANGER_TASKS), (task, severity)
                lighter = [r.regel for r in advice.redenen if by_id[r.regel].dan.route == "mentor"]
                assert set(lighter) <= set(DANGER_TASKS.values()), (task, lighter)
    advice = policy.advise({"taak": "aanspreekpunt_leerling", "signalen": [{"soort": "huwelijksdwang", "ernst": "licht"}]})
    assert ("fnv-aanspreekpunt", "tc-huwelijksdwang") in {(o.regel, o.door) for o in advice.opzij_gezet}
    noted = {(f.rule, f.case["taak"]) for f in kept_at_mentor(analyse_policy(policy))}
    assert noted == {(rule, task) for task, rule in DANGER_TASKS.items()}  # the same notes as the default's


def test_the_training_exceptions_are_set_aside_next_to_an_added_kind(tmp_path):
    # [rouw licht, huwelijksdwang licht] with rouwbegeleiding: the training exception names no kind of the school,
    # yet the school's absolute rule sets it aside, as the default's do for its own safety kinds
    policy = grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(False), [MARRIAGE_RULE]))
    for kind in ("huwelijksdwang", "sexting"):
        advice = policy.advise({"taak": "begeleidingsgesprekken", "mentor": {"scholing": ["rouwbegeleiding"]},
                                "signalen": [{"soort": "rouw", "ernst": "licht"}, {"soort": kind, "ernst": "licht"}]})
        assert advice.taak_hoort_bij_mentor is False
        assert not any(r.regel.startswith("scholing-") for r in advice.redenen), kind


OWN_PARENTS = dict(MARRIAGE_RULE, id="tc-ouders-informeren", als={"taak": "oudercontact"},
                   dan={"route": "mentor", "taak_hoort_bij_mentor": "ja",
                        "mentor_doet": ["Houd de mentorcollega's op de hoogte."],
                        "uitleg": "Test."})


@pytest.mark.slow
def test_every_situation_that_keeps_the_mentor_in_a_referred_case_is_reported(tmp_path, capsys):
    # only an absolute rule can keep the mentor in a case referred away; controleer lists each task and rule
    directory = overlay(tmp_path / "school", forced_marriage(), [MARRIAGE_RULE, OWN_PARENTS])
    policy = grenzen.load_policy(directory)
    found = {(f.rule, f.case["taak"]): f for f in kept_at_mentor(analyse_policy(policy))}
    assert set(found) == {(rule, task) for task, rule in DANGER_TASKS.items()} | {("tc-ouders-informeren", "oudercontact")}
    finding = found[("tc-ouders-informeren", "oudercontact")]
    # the school's rule has no reason for it: a warning (a trial's absolute "Voer de gesprekken zelf, ook over zware
    # onderwerpen" stood beside an acute suicide plan, and --streng said "In orde"); the default's four have one
    assert {f.rule: f.level for f in found.values()} == {**dict.fromkeys(DANGER_TASKS.values(), "let op"),
                                                         "tc-ouders-informeren": "waarschuwing"}
    assert finding.kind == "mentor-bij-gevaar-zonder-reden" and finding.file.endswith("school.yaml")
    assert finding.count > 0 and "haal dan 'absoluut: ja' weg" in finding.message
    assert finding.message.endswith("zet dan direct boven 'absoluut: ja' de regel '# ook bij gevaar: <reden>'")
    by_id = {rule.id: rule for rule in policy.rules}
    shown = policy.advise(finding.case)  # the counterexample shows it
    assert shown.route != "mentor" and "Houd de mentorcollega's op de hoogte." in shown.mentor_doet
    assert any(by_id[r.regel].absoluut and r.route != "mentor" for r in shown.redenen)
    assert main(["controleer", str(directory)]) == 0  # a warning fails only --streng
    out = capsys.readouterr().out
    assert "waarschuwing [mentor-bij-gevaar-zonder-reden] regel 'tc-ouders-informeren'" in out and "Tegenvoorbeeld" in out
    assert main(["controleer", "--streng", str(directory)]) == 1
    capsys.readouterr()
    # with the reason above 'absoluut: ja' it is a note again: the school decides
    theme = directory / "school.yaml"
    lines = theme.read_text(encoding="utf-8").splitlines(keepends=True)
    at = [n for n, line in enumerate(lines) if line.strip() == "absoluut: ja"][1]  # the second rule's
    lines.insert(at, "  # ook bij gevaar: de mentorcollega's moeten het weten\n")
    theme.write_text("".join(lines), encoding="utf-8")
    again = [f for f in kept_at_mentor(analyse_policy(grenzen.load_policy(directory))) if f.rule == finding.rule]
    assert [f.kind for f in again] == ["mentor-bij-gevaar"]
    assert main(["controleer", str(directory)]) == 0
    out = capsys.readouterr().out
    assert "let op [mentor-bij-gevaar] regel 'tc-ouders-informeren'" in out and "zonder-reden" not in out
    # without 'absoluut: ja' the school's absolute referral sets the rule aside: nothing left to report
    lighter = dict(OWN_PARENTS, absoluut="nee")
    policy = grenzen.load_policy(overlay(tmp_path / "b", forced_marriage(), [MARRIAGE_RULE, lighter]))
    assert "tc-ouders-informeren" not in {f.rule for f in kept_at_mentor(analyse_policy(policy))}


@pytest.mark.parametrize("comment, reason", [
    ("# ook bij gevaar: de mentorcollega's moeten het weten", True),
    ("# Ook bij gevaar blijft deze taak bij de mentor: een absolute doorverwijzing zet deze regel niet opzij.", True),
    ("# OOK BIJ GEVAAR : signaleren", True),
    ("# ook bij gevaar niet", False),  # a review: any word after it counted as a reason
    ("# ook bij gevaar", False),
    ("# ook bij gevaar:", False),
])
def test_what_counts_as_a_reason_to_keep_the_mentor_in_danger(comment, reason):
    from grenzen.toolkit._comments import IN_DANGER, justified

    assert justified([f"    {comment}", "    absoluut: ja"], 2, IN_DANGER) is reason


@pytest.mark.parametrize("lines, text", [
    (["    # ook bij gevaar: de mentorcollega's", "    # moeten het weten", "    absoluut: ja"],
     "de mentorcollega's moeten het weten"),
    (["    # eerst iets anders", "    # Ook bij gevaar: signaleren is stap 1.", "    absoluut: ja"], "signaleren is stap 1."),
    (["    absoluut: ja  # ook bij gevaar: op dezelfde regel"], "op dezelfde regel"),
    (["    # ook bij gevaar niet", "    absoluut: ja"], None),
])
def test_the_reason_to_keep_the_mentor_in_danger_is_read_whole(lines, text):
    from grenzen.toolkit._comments import IN_DANGER, comment_reason

    assert comment_reason(lines, len(lines), IN_DANGER) == text


def test_the_policy_document_gives_the_reason_an_absolute_mentor_rule_stays_in_danger(tmp_path):
    """A trial: the reason stood only in the rule file; the team and the MR read the policy document."""
    directory = overlay(tmp_path / "school", forced_marriage(), [MARRIAGE_RULE, OWN_PARENTS])
    theme = directory / "school.yaml"
    lines = theme.read_text(encoding="utf-8").splitlines(keepends=True)
    at = [n for n, line in enumerate(lines) if line.strip() == "absoluut: ja"][1]  # the second rule's
    lines[at:at] = ["  # ook bij gevaar: de mentorcollega's moeten het weten,\n", "  # ook als het zorgteam het overneemt\n"]
    theme.write_text("".join(lines), encoding="utf-8")
    document = grenzen.render_policy(grenzen.load_policy(directory))
    staying = document[document.index("Ook bij gevaar blijven deze taken bij de mentor"):]
    assert ("(`tc-ouders-informeren`). Waarom: de mentorcollega's moeten het weten, ook als het zorgteam het "
            "overneemt") in staying
    assert "(`fnv-signaleren`). Waarom: signaleren is stap 1 van de meldcode." in staying  # the default's own


REPLACING = {"id": "tc-gesprekken-zelf", "titel": "Gesprekken voert de mentor zelf", "bron": "Zorgplan",
             "als": {"taak": "begeleidingsgesprekken"},
             "dan": {"route": "mentor", "taak_hoort_bij_mentor": "ja", "mentor_doet": ["Voer de gesprekken zelf."],
                     "uitleg": "Test."},
             "zet_opzij": ["begeleidingsgesprekken-zwaar", "verwijzing-eigen-gesprekken-stoppen"]}


def test_a_base_rule_the_writer_sets_aside_gives_no_warnings_about_its_own_exceptions(tmp_path):
    """A trial followed the advice of 'conflict' (zet_opzij two rules of the base) and got five warnings
    'uitzondering-zonder-effect' at standaard/verwijzing.yaml: the base rule it set aside is gone wherever its own
    exceptions would act, and its file is not the writer's. As for 'overschaduwd', such a rule is left out."""
    policy = grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(), [REPLACING]))
    idle = [f for f in analyse_policy(policy).findings if f.kind == "uitzondering-zonder-effect"]
    assert idle == []
    # the school's own rule is still checked: a target it never meets is reported at its own file
    never = dict(REPLACING, zet_opzij=[*REPLACING["zet_opzij"], "verzuimgesprek-hoort-bij-mentor"])
    policy = grenzen.load_policy(overlay(tmp_path / "b", forced_marriage(), [never]))
    idle = [f for f in analyse_policy(policy).findings if f.kind == "uitzondering-zonder-effect"]
    assert [(f.rule, Path(f.file).name) for f in idle] == [("tc-gesprekken-zelf", "school.yaml")]


# --- point 6: conflicts of an overlay rule are one finding at the writer's rule ------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SCHOOL = ROOT / "tests" / "fixtures" / "school"


def docs_overlay_rule() -> dict:
    """The overlay rule of docs/beleid-bijhouden.md that says taak_hoort_bij_mentor: nee, as a writer copies it."""
    text = (ROOT / "docs" / "beleid-bijhouden.md").read_text(encoding="utf-8")
    block = next(part.split("```", 1)[0] for part in text.split("```yaml\n")[1:] if "taak_hoort_bij_mentor: nee" in part)
    [rule] = yaml.safe_load(block)
    rule["dan"]["uitleg"] = "Op het Voorbeeldcollege voert de decaan deze gesprekken."
    return rule


def conflicts(analysis):
    return [f for f in analysis.findings if f.kind == "conflict"]


@pytest.mark.slow
def test_the_docs_overlay_rule_without_its_exceptions_is_one_conflict_at_the_writers_rule(tmp_path):
    rule = docs_overlay_rule()
    assert rule["dan"]["taak_hoort_bij_mentor"] == "nee" and rule["zet_opzij"]
    del rule["zet_opzij"]  # written before the writer knows which default rules say 'ja'
    directory = overlay(tmp_path / "school", {}, [rule])
    (directory / "afspraken.yaml").write_text((SCHOOL / "afspraken.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    [finding] = conflicts(analyse_policy(grenzen.load_policy(directory)))
    assert finding.rule == rule["id"] and finding.file.endswith("school.yaml")
    assert "2 regels van de basis" in finding.message and "laat taak_hoort_bij_mentor dan weg" in finding.message
    assert "zet_opzij: [" in finding.message and finding.case["taak"] == "loopbaangesprek"


@pytest.mark.slow
def test_a_signal_rule_that_says_nee_gives_one_warning_not_a_flood(tmp_path):
    rule = dict(MARRIAGE_RULE, dan=dict(MARRIAGE_RULE["dan"], taak_hoort_bij_mentor="nee"))
    policy = grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(), [rule]))
    found = conflicts(analyse_policy(policy))
    assert [(f.rule, f.file.endswith("school.yaml")) for f in found] == [("tc-huwelijksdwang", True)]
    counted = int(found[0].message.split(" regels van de basis")[0].rsplit(" ", 1)[1])
    # only the default's absolute mentor rules remain: a referral sets every other mentor rule aside
    assert counted == len(DANGER_TASKS) and "'fnv-" in found[0].message
    # those cannot be set aside: no "zet_opzij: []" to follow (a trial), but why not
    assert "zet_opzij: [" not in found[0].message and "zijn absoluut: zet_opzij kan ze niet" in found[0].message
    advice = policy.advise(found[0].case)
    assert advice.taak_hoort_bij_mentor is False and "tc-huwelijksdwang" in {r.regel for r in advice.redenen}


# --- point 6: an exception that acts only next to an overlay's kind is not idle -------------------------------------

CARE = {"zorgtaken_thuis": {"label": "Jonge mantelzorger", "omschrijving": "De leerling zorgt thuis voor een ziek familielid."}}
CARE_RULE = {
    "id": "tc-zorgtaken-rouw",
    "titel": "Bij een jonge mantelzorger voert de mentor geen rouwgesprekken alleen",
    "bron": "Zorgplan Testcollege",
    "als": {"alle": [{"taak": "begeleidingsgesprekken"}, {"signaal": {"soort": "zorgtaken_thuis"}}]},
    "dan": {"route": "zorgteam", "verwijzen_naar": ["zorgcoordinator"],
            "uitleg": "Rouw en zorg thuis samen vragen meer dan de mentor kan bieden."},
    # the first is set aside in a real case (below); the second needs another task and never holds here
    "zet_opzij": ["scholing-rouwbegeleiding", "scholing-mediation"],
}


@pytest.mark.slow
def test_an_exception_for_an_added_kind_under_a_default_rules_niet_is_not_idle(tmp_path):
    policy = grenzen.load_policy(overlay(tmp_path / "school", CARE, [CARE_RULE]))
    advice = policy.advise({"leeftijd": 14, "taak": "begeleidingsgesprekken", "mentor": {"scholing": ["rouwbegeleiding"]},
                            "signalen": [{"soort": "rouw", "ernst": "licht"}, {"soort": "zorgtaken_thuis", "ernst": "licht"}]})
    assert [(o.regel, o.door) for o in advice.opzij_gezet] == [("scholing-rouwbegeleiding", "tc-zorgtaken-rouw")]
    idle = [f for f in analyse_policy(policy).findings if f.kind == "uitzondering-zonder-effect"]
    assert [(f.rule, "'scholing-mediation'" in f.message) for f in idle] == [("tc-zorgtaken-rouw", True)]


# --- point 5: a copy of the default with fewer safety kinds --------------------------------------------------------

def default_copy(directory: Path, unflag: str | None = None, rename: tuple[str, str] | None = None) -> Path:
    """The bundled default copied as a full policy, with one kind's 'veiligheid: ja' removed and one kind renamed."""
    shutil.copytree(grenzen.load_policy().path, directory)
    for path in directory.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if rename:
            text = text.replace(rename[0], rename[1])
        if unflag and path.name == "woordenlijst.yaml":
            text, found = re.subn(rf"(\n  {unflag}:\n(?:    .*\n)*?)    veiligheid: ja\n", r"\1", text)
            assert found == 1
        path.write_text(text, encoding="utf-8")
    return directory


@pytest.mark.slow
def test_a_copy_that_lost_safety_kinds_is_warned_with_their_names(tmp_path, capsys):
    directory = default_copy(tmp_path / "kopie", unflag="sexting",
                             rename=("grensoverschrijdend_personeel", "grensoverschrijdend_medewerker"))
    policy = grenzen.load_policy(directory)  # loads: nothing refuses a kind without the flag
    assert not policy.vocabulary.signalen["sexting"].veiligheid
    found = [f for f in analyse_policy(policy, pairs=False).findings if f.kind == "minder-veiligheidssignalen"]
    [finding] = found
    assert finding.level == "waarschuwing" and finding.file.endswith("woordenlijst.yaml")
    assert "zonder 'veiligheid: ja': sexting" in finding.message
    assert "weggehaald: grensoverschrijdend_personeel" in finding.message
    lines = (directory / "woordenlijst.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[finding.line - 1].strip() == "sexting:"


@pytest.mark.slow
def test_an_overlay_cannot_drop_a_safety_kind_but_one_on_a_copy_inherits_the_loss(tmp_path):
    redeclared = overlay(tmp_path / "school", {"sexting": {"label": "Sexting", "omschrijving": "Zonder vlag."}}, [])
    with pytest.raises(grenzen.PolicyError) as refused:
        grenzen.load_policy(redeclared)
    [problem] = refused.value.problems
    assert "'sexting' staat al in de signalen van de basis" in problem.message
    on_default = overlay(tmp_path / "gewoon", forced_marriage(), [MARRIAGE_RULE])
    assert _fewer_safety_kinds(grenzen.load_policy(on_default)) == []
    copy = default_copy(tmp_path / "kopie", unflag="zelfbeschadiging")
    on_copy = overlay(tmp_path / "op-kopie", {}, [])
    (on_copy / "laag.yaml").write_text(_dump({"naam": "Testcollege", "basis": "../kopie"}), encoding="utf-8")
    [finding] = _fewer_safety_kinds(grenzen.load_policy(on_copy))
    assert "zelfbeschadiging" in finding.message and Path(finding.file).parent.name == copy.name
    # the bundled default itself and an unrelated policy are not judged
    assert _fewer_safety_kinds(grenzen.load_policy()) == []
    assert _fewer_safety_kinds(grenzen.load_policy(ROOT / "tests" / "fixtures" / "schoon")) == []


# --- a misspelt group ---------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("group, hint", [("veilgheid", "veiligheid"), ("veiligheid", None), ("meldcode", None)])
def test_a_misspelt_group_is_warned_with_the_group_it_likely_meant(tmp_path, group, hint):
    from grenzen.toolkit._analysis import _misspelt_groups

    kinds = forced_marriage(True)
    kinds["huwelijksdwang"]["groep"] = group
    policy = grenzen.load_policy(overlay(tmp_path / "school", kinds, [MARRIAGE_RULE]))
    findings = _misspelt_groups(policy)
    if hint is None:  # a real group, or a new one that resembles none: nothing to say
        assert findings == []
        return
    (finding,) = findings
    assert finding.kind == "groep-verschrijving" and f"bedoel je '{hint}'" in finding.message
    lines = (tmp_path / "school" / "laag.yaml").read_text(encoding="utf-8").splitlines()
    assert finding.file.endswith("laag.yaml") and lines[finding.line - 1].strip().startswith("groep:")
    assert [f.kind for f in grenzen.analyse_policy(policy).warnings] == ["groep-verschrijving"]


@pytest.mark.parametrize("flagged, group, warned", [(False, "veiligheid", True), (True, "veiligheid", False),
                                                     (False, "thuis", False), (False, None, False)])
def test_a_kind_without_the_safety_flag_in_the_safety_group_is_warned(tmp_path, flagged, group, warned):
    # a school's own kind in group 'veiligheid' that lost 'veiligheid: ja' passed controleer unseen (a trial): no
    # check guards a kind that is not flagged, so its group, the class it belongs to, has to say it
    from grenzen.toolkit._analysis import _unflagged_in_safety_groups

    kinds = forced_marriage(flagged)
    if group:
        kinds["huwelijksdwang"]["groep"] = group
    findings = _unflagged_in_safety_groups(grenzen.load_policy(overlay(tmp_path / "school", kinds, [MARRIAGE_RULE])))
    assert [f.kind for f in findings] == (["veiligheidsgroep"] if warned else [])
    if warned:
        lines = (tmp_path / "school" / "laag.yaml").read_text(encoding="utf-8").splitlines()
        assert "'huwelijksdwang'" in findings[0].message and "17 van de 17 andere" in findings[0].message
        assert findings[0].file.endswith("laag.yaml") and lines[findings[0].line - 1].strip() == "groep: veiligheid"


@pytest.mark.slow
def test_a_conflict_never_suggests_setting_aside_an_absolute_rule(tmp_path):
    # an overlay rule that says the task is the mentor's, against the default's absolute rule that says it is not
    kind = forced_marriage()
    own = dict(MARRIAGE_RULE, id="tc-ouders-informeren", absoluut="nee",
               als={"taak": "oudercontact", "signaal": {"soort": "huwelijksdwang"}},
               dan={"route": "zorgteam", "taak_hoort_bij_mentor": "ja",
                    "mentor_doet": ["Houd de mentorcollega's op de hoogte."],
                    "uitleg": "Test."})
    policy = grenzen.load_policy(overlay(tmp_path / "school", kind, [MARRIAGE_RULE, own]))
    found = [f for f in conflicts(analyse_policy(policy)) if f.rule == "tc-ouders-informeren"]
    assert found and "zet_opzij" not in found[0].message  # the only rule saying 'nee' is absolute
    assert "absoluut en gaan altijd voor: laat taak_hoort_bij_mentor hier weg" in found[0].message


@pytest.mark.slow
def test_a_conflict_at_a_rule_that_keeps_a_safety_signal_at_the_mentor_never_says_to_set_rules_aside(tmp_path):
    # a trial followed "Moet deze regel voorgaan, schrijf dan zet_opzij: [fnv-niet-behandelen, ...]" at such a rule:
    # the conflict went away and the situations that leave a safety signal at the mentor rose from 234 to 342
    referral = dict(MARRIAGE_RULE, absoluut="nee", als={"signaal": {"soort": "huwelijksdwang", "ernst_minstens": "matig"}})
    mentor = {"id": "tc-licht-bij-mentor", "titel": "Test", "bron": "Test",
              "als": {"signaal": {"soort": "huwelijksdwang", "ernst_hoogstens": "licht"}},
              "dan": {"route": "mentor", "taak_hoort_bij_mentor": "ja", "mentor_doet": ["Test."], "uitleg": "Test."}}
    # Since the safety net acts wherever no absolute referral takes a safety signal, it sets this rule aside wherever
    # it holds: its 'ja' is never in an advice, so there is no conflict to fix, and nothing says to set rules aside
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(), [referral, mentor])))
    assert any(f.kind == "veiligheid-bij-mentor" and f.rule == "tc-licht-bij-mentor" for f in analysis.errors)
    at_rule = {f.kind for f in analysis.findings if f.rule == "tc-licht-bij-mentor"}
    assert at_rule == {"veiligheid-bij-mentor", "overschaduwd"}, at_rule
    assert not [f for f in analysis.findings if "zet_opzij: [" in f.message]


@pytest.mark.slow
def test_a_conflict_says_which_side_the_advice_takes(tmp_path):
    """Next to an absolute referral only absolute rules decide whose task it is, so an absolute overlay rule that says
    'ja' wins there; the finding said "nu wint 'nee'" (an integrator trial). It now says what the advice gives."""
    own = {"id": "tc-plan-bij-mentor", "titel": "Test", "bron": "Test", "absoluut": "ja",
           "als": {"signaal": {"soort": "suicidaal_plan"}},
           "dan": {"route": "mentor", "taak_hoort_bij_mentor": "ja", "mentor_doet": ["Test."], "uitleg": "Test."}}
    policy = grenzen.load_policy(overlay(tmp_path / "school", {}, [own]))
    [finding] = [f for f in conflicts(analyse_policy(policy)) if f.rule == "tc-plan-bij-mentor"]
    assert "nu wint 'ja'" in finding.message or "maar 'ja' in " in finding.message
    assert "een absolute regel die verwijst, laat alleen absolute regels meetellen" in finding.message
    case = {"taak": "mentale_problemen_behandelen", "signalen": [{"soort": "suicidaal_plan", "ernst": "acuut"}]}
    advice = policy.advise(case)
    assert advice.route == "extern" and advice.taak_hoort_bij_mentor is True  # what the finding now says


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_policy_document_names_every_safety_kind_and_the_guard(tmp_path, fmt):
    """A team reading the rendered policy could not see which signals are protected, nor the guard (an integrator
    trial); an overlay's own safety kind is listed with the default's."""
    policy = grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(), [MARRIAGE_RULE]))
    text = grenzen.render_policy(policy, fmt)

    def code(kind: str) -> str:
        return f"`{kind}`" if fmt == "md" else f"<code>{kind}</code>"

    safety = text[text.index("Veiligheid eerst"):text.index("Deze regels zijn absoluut")]
    assert policy.safety_kinds and all(code(kind) in safety for kind in policy.safety_kinds)
    assert code("huwelijksdwang") in safety and code("pesten") not in safety
    assert code("veiligheid-nooit-alleen-bij-mentor") in text[:text.index("Veiligheid eerst")]
    unsafe = grenzen.load_policy(overlay(tmp_path / "zonder", forced_marriage(veiligheid=False), [MARRIAGE_RULE]))
    assert code("huwelijksdwang") not in grenzen.render_policy(unsafe, fmt).split("Deze regels zijn absoluut")[0]


def test_a_count_of_situations_beyond_a_billion_is_said_in_words():
    # a rule counting 40 signals stands for lists of 40 signals of several kinds each: a trial read
    # "779222785095757078945 situatie(s)" next to a domain of 35 million situations and thought it a bug
    from grenzen.toolkit._analysis import MANY, _situations

    assert _situations(16170) == "16170 situatie(s)" and _situations(MANY) == f"{MANY} situatie(s)"
    assert _situations(779222785095757078945) == _situations(MANY + 1) == "meer dan een miljard situaties"


BULLYING: dict[str, Any] = {
    "id": "tc-pesten-licht-matig",
    "titel": "Pesten, de mentor pakt aan met de pestcoördinator van de school",
    "bron": "Pestprotocol Testcollege",
    "als": {"signaal": {"soort": "pesten", "ernst_hoogstens": "matig"}},
    "dan": {"route": "mentor", "urgentie": "deze_week", "mentor_doet": ["Meld het bij de pestcoördinator."],
            "uitleg": "De mentor pakt pesten aan, samen met de pestcoördinator."},
}


def test_a_base_rule_the_school_replaces_as_the_docs_say_is_not_shadowed(tmp_path):
    """docs/beleid-bijhouden.md: a school changes a default rule with a rule of its own that sets it aside. That made
    the default rule 'overschaduwd', a warning at standaard/sociaal.yaml that the school cannot act on and that failed
    --streng (a trial). A rule of the school that only repeats a base rule, without zet_opzij, is still shadowed: a
    warning about the school's own file, which the school can act on."""
    replacing = analyse_policy(grenzen.load_policy(overlay(
        tmp_path / "school", {}, [{**BULLYING, "zet_opzij": ["pesten-licht-matig"]}])))
    assert not [f for f in replacing.findings if f.level != "let op"], [str(f) for f in replacing.findings]
    repeating = analyse_policy(grenzen.load_policy(overlay(
        tmp_path / "herhaalt", {}, [{**BULLYING, "dan": {**BULLYING["dan"], "mentor_doet": []}}])))
    assert ("overschaduwd", "tc-pesten-licht-matig") in {(f.kind, f.rule) for f in repeating.findings}


def test_a_safety_kind_the_rules_refer_later_than_today_is_a_warning(tmp_path):
    """A school's own safety kind with a non-absolute zorgteam rule and no urgency got 'regulier' where no rule of the
    default applied with it, without a word from controleer (a policy writer's trial). Now the safety net takes such a
    referral (at least 'vandaag') and controleer says the kind has no absolute referral; an absolute referral later
    than today is an error."""
    rule: dict[str, Any] = {"id": "tc-huwelijksdwang", "titel": "Huwelijksdwang naar het zorgteam", "bron": "Meldcode",
            "als": {"signaal": {"soort": "huwelijksdwang"}}, "dan": {"route": "zorgteam", "uitleg": "Het zorgteam."}}
    policy = grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(), [rule]))
    analysis = analyse_policy(policy)
    [finding] = [f for f in analysis.findings if f.kind == "veiligheid-niet-absoluut"]
    assert finding.rule == "tc-huwelijksdwang" and finding.level == "waarschuwing" and finding.count > 0
    assert finding.case and any(s["soort"] == "huwelijksdwang" for s in finding.case["signalen"])
    assert finding.expected and finding.expected["urgentie"] == "vandaag"
    assert finding.expected["regels"][0] == "veiligheid-nooit-alleen-bij-mentor"
    assert not [f for f in analysis.findings if f.kind == "veiligheid-niet-vandaag"]
    absolute = {**rule, "absoluut": "ja"}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "absoluut", forced_marriage(), [absolute])))
    [finding] = [f for f in analysis.findings if f.kind == "veiligheid-niet-vandaag"]
    assert finding.rule == "tc-huwelijksdwang" and finding.level == "fout" and "'regulier'" in finding.message
    assert finding.expected and finding.expected["urgentie"] == "regulier"
    assert not [f for f in analysis.findings if f.kind == "veiligheid-niet-absoluut"]
    today = {**absolute, "dan": {**rule["dan"], "urgentie": "vandaag"}}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "vandaag", forced_marriage(), [today])))
    assert not [f for f in analysis.findings if f.kind in ("veiligheid-niet-vandaag", "veiligheid-niet-absoluut")]


def test_a_school_kind_left_at_the_mentor_is_reported_at_its_declaration(tmp_path):
    """Where no mentor rule about the kind keeps it there (a general rule of the default does), the error stood at
    that default rule in standaard/..., a file the school cannot edit (a policy writer's trial); now at the kind's
    line in laag.yaml."""
    rule: dict[str, Any] = {**MARRIAGE_RULE, "als": {"signaal": {"soort": "huwelijksdwang", "ernst_minstens": "ernstig"}}}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(), [rule])))
    [finding] = [f for f in analysis.findings if f.kind == "veiligheid-bij-mentor"]
    assert finding.file.endswith("laag.yaml") and finding.line > 1 and finding.rule is None
    assert "'huwelijksdwang'" in finding.message


def test_a_school_safety_kind_without_a_rule_of_its_own_is_reported_at_its_declaration(tmp_path):
    """With no rule for the kind, veiligheid-niet-vandaag stood at a general rule of the default (standaard/...), and
    said "geef de regel voor ... urgentie" about a rule that did not exist (a trial); now at the kind's line."""
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(), [])))
    found = [f for f in analysis.findings if f.kind in ("veiligheid-niet-vandaag", "veiligheid-bij-mentor")]
    assert found and all(f.file.endswith("laag.yaml") and f.rule is None for f in found), [str(f) for f in found]


def test_a_conflict_at_a_rule_about_a_safety_kind_never_says_to_set_the_other_rules_aside(tmp_path):
    """A school rule about a safety kind that said the task is the mentor's got "Moet deze regel voorgaan, schrijf dan
    zet_opzij: [niet-meldcode-afwegen, niet-mishandeling-onderzoeken, ...]"; doing so gave the mentor those tasks for
    a gun rumour (a second policy writer's trial)."""
    rule: dict[str, Any] = {"id": "tc-huwelijksdwang-mentor", "titel": "Huwelijksdwang: de mentor blijft betrokken",
                            "bron": "Zorgplan", "als": {"signaal": {"soort": "huwelijksdwang"}},
                            "dan": {"route": "zorgteam", "urgentie": "vandaag", "taak_hoort_bij_mentor": "ja",
                                    "uitleg": "Het zorgteam, met de mentor."}}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(), [rule])))
    conflicts = [f for f in analysis.findings if f.kind == "conflict" and f.rule == rule["id"]]
    assert conflicts and all("schrijf dan zet_opzij" not in f.message and "gaat over een veiligheidssignaal"
                             in f.message for f in conflicts), [f.message for f in conflicts]


def test_a_conflict_with_an_absolute_rule_among_the_others_never_says_to_set_the_others_aside(tmp_path):
    """A trial followed "schrijf dan zet_opzij: [begeleidingsgesprekken-zwaar, verwijzing-eigen-gesprekken-stoppen]";
    the third rule saying 'nee' was absolute, so a second round said to leave taak_hoort_bij_mentor out after all, and
    the two rules set aside took "Begin niet op eigen houtje een reeks gesprekken" with them. With an absolute rule
    among them the message says at once to leave taak_hoort_bij_mentor out."""
    rule = {"id": "tc-gesprekken", "titel": "De mentor voert de gesprekken", "bron": "Zorgplan", "absoluut": "ja",
            "als": {"taak": "begeleidingsgesprekken"},
            "dan": {"route": "mentor", "taak_hoort_bij_mentor": "ja", "uitleg": "De mentor kent de leerling."}}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(), [rule])))
    [conflict] = [f for f in analysis.findings if f.kind == "conflict" and f.rule == rule["id"]]
    assert "zet_opzij:" not in conflict.message
    assert conflict.message.endswith("'veiligheid-gesprekken-niet-alleen' is absoluut en gaat altijd voor, dus "
                                     "zet_opzij lost dit niet op: laat taak_hoort_bij_mentor hier weg")


#: a school's mentor rule about its own safety kind, and its referral (neither absolute): what trials wrote
MENTOR_TALKS: dict[str, Any] = {"id": "tc-huwelijksdwang-mentor", "titel": "De mentor praat", "bron": "Eigen afspraak",
                                "als": {"signaal": {"soort": "huwelijksdwang"}},
                                "dan": {"route": "mentor", "mentor_doet": ["Voer zelf de gesprekken."],
                                        "uitleg": "De mentor kent de leerling."}}
REFERRAL: dict[str, Any] = {"id": "tc-huwelijksdwang", "titel": "Huwelijksdwang naar het zorgteam", "bron": "Meldcode",
                            "als": {"signaal": {"soort": "huwelijksdwang"}},
                            "dan": {"route": "zorgteam", "urgentie": "vandaag", "uitleg": "Het zorgteam."}}


def test_a_referral_of_a_safety_kind_that_is_not_absolute_is_a_warning_and_the_net_drops_the_mentor_steps(tmp_path):
    """A trial followed controleer's messages: it added a zorgteam rule (not absolute) for its own safety kind beside
    its mentor rule "De mentor voert zelf de gesprekken", and --streng said "In orde" while 27,360 situations kept that
    step next to the referral. Now the safety net takes such a referral over (the mentor rule goes aside), and
    controleer says the kind has no absolute referral; made absolute, the referral sets the mentor rule aside itself."""
    mentor, referral = MENTOR_TALKS, REFERRAL
    directory = overlay(tmp_path / "school", forced_marriage(), [mentor, referral])
    analysis = analyse_policy(grenzen.load_policy(directory))
    [finding] = [f for f in analysis.findings if f.kind == "veiligheid-niet-absoluut"]
    assert finding.rule == "tc-huwelijksdwang" and finding.level == "waarschuwing" and finding.count > 0
    assert "absoluut: ja" in finding.message and finding.case
    advice = grenzen.load_policy(directory).advise(finding.case)
    assert "Voer zelf de gesprekken." not in advice.mentor_doet and advice.redenen[0].regel == SAFETY_NET
    assert ("tc-huwelijksdwang-mentor", SAFETY_NET) in {(o.regel, o.door) for o in advice.opzij_gezet}
    absolute = {**referral, "absoluut": "ja"}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "absoluut", forced_marriage(), [mentor, absolute])))
    assert not [f for f in analysis.findings if f.kind == "veiligheid-niet-absoluut"]
    # the mentor rule then never stays: controleer says so, at the school's own rule
    assert ("overschaduwd", "tc-huwelijksdwang-mentor") in {(f.kind, f.rule) for f in analysis.findings}


def test_a_rule_the_safety_net_makes_idle_is_shadowed_by_the_net_not_by_the_rule_it_set_aside(tmp_path):
    """A trial: a mentor rule and a referral (neither absolute) about a school's safety kind were each 'overschaduwd'
    by the other ("waar hij geldt, geven 'tc-huwelijksdwang-mentor' al hetzelfde"), while the net gave the advice and
    had set the mentor rule aside."""
    mentor, referral = MENTOR_TALKS, REFERRAL
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(), [mentor, referral])))
    shadowed = {f.rule: f.message for f in analysis.findings if f.kind == "overschaduwd"}
    assert set(shadowed) == {mentor["id"], referral["id"]}
    assert all(f"het vangnet '{SAFETY_NET}'" in message for message in shadowed.values())
    assert f"'{mentor['id']}'" not in shadowed[referral["id"]]


def test_a_mentor_rule_the_safety_rules_set_aside_is_said_to_be_about_safety(tmp_path):
    """A trial's mentor rule on light self-harm was 'overschaduwd' with "waar hij geldt, geven 'zelfbeschadiging' al
    hetzelfde": no word about safety, and the advice was not the same (zorgteam, not mentor)."""
    careless = {"id": "tc-zelfbeschadiging-licht", "titel": "Lichte zelfbeschadiging bespreekt de mentor",
                "bron": "Zorgplan", "als": {"signaal": {"soort": "zelfbeschadiging", "ernst_hoogstens": "licht"}},
                "dan": {"route": "mentor", "mentor_doet": ["Bespreek het zelf met de leerling."], "uitleg": "Test."}}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", {}, [careless])))
    [message] = [f.message for f in analysis.findings if f.kind == "overschaduwd" and f.rule == careless["id"]]
    assert message.startswith("de regel verandert nooit een advies: hij geldt alleen bij een veiligheidssignaal, en "
                              "dan zet een absolute doorverwijzing of het vangnet hem altijd opzij (hier: "
                              "'zelfbeschadiging'). Bij gevaar blijft de leerling niet alleen bij de mentor.")
    assert "al hetzelfde" not in message
    # also where an absolute mentor rule stays beside the referral (a review: 'signaleren' kept fnv-signaleren, and
    # the message went back to "geven 'fnv-signaleren' en 'zelfbeschadiging' al hetzelfde")
    at_task = {**careless, "id": "tc-signaleren", "als": {"alle": [{"taak": "signaleren"}, careless["als"]]}}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "taak", {}, [at_task])))
    [message] = [f.message for f in analysis.findings if f.kind == "overschaduwd" and f.rule == at_task["id"]]
    assert message.startswith("de regel verandert nooit een advies: hij geldt alleen bij een veiligheidssignaal")


def test_an_absolute_mentor_rule_about_a_safety_kind_fails_streng(tmp_path, capsys):
    """A trial made its mentor rule about its own safety kind absolute ("De mentor voert zelf de gesprekken", absoluut:
    ja) next to an absolute referral: --streng passed with 'let op' notes only, while the step stood in every case of
    the kind. An absolute rule is never set aside, by a referral or by the safety net; controleer now warns at the
    rule, with a case that shows it. Taken out of 'absoluut', the referral sets the rule aside and the warning goes."""
    mentor = {**MENTOR_TALKS, "absoluut": "ja"}
    directory = overlay(tmp_path / "school", forced_marriage(), [mentor, MARRIAGE_RULE])
    analysis = analyse_policy(grenzen.load_policy(directory))
    [finding] = [f for f in analysis.findings if f.kind == "veiligheid-vast-bij-mentor"]
    assert finding.rule == mentor["id"] and finding.level == "fout" and finding.count > 0
    assert "'huwelijksdwang'" in finding.message and "absoluut: ja" in finding.message and finding.case
    # said once: no 'let op [mentor-bij-gevaar]' per task beside it (a trial got 22)
    assert not [f for f in analysis.findings if f.kind == "mentor-bij-gevaar" and f.rule == mentor["id"]]
    assert main(["controleer", str(directory)]) != 0
    advice = grenzen.load_policy(directory).advise(finding.case)
    assert "Voer zelf de gesprekken." in advice.mentor_doet and advice.route == "extern"  # what it warns about
    assert main(["controleer", "--streng", str(directory)]) != 0
    assert "[veiligheid-vast-bij-mentor]" in capsys.readouterr().out
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "gewoon", forced_marriage(),
                                                          [MENTOR_TALKS, MARRIAGE_RULE])))
    assert not [f for f in analysis.findings if f.kind == "veiligheid-vast-bij-mentor"]
    # under 'niet' a safety kind is no reason to keep the mentor at work: no warning
    unless = {**mentor, "als": {"alle": [{"taak": ["oudercontact"]},
                                         {"niet": {"signaal": {"soort": "huwelijksdwang"}}}]}}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "niet", forced_marriage(), [unless, MARRIAGE_RULE])))
    assert not [f for f in analysis.findings if f.kind == "veiligheid-vast-bij-mentor"]


def test_a_step_said_the_other_way_round_is_a_contradiction(tmp_path):
    """A trial: a school's zorgteam rule told the mentor "Spreek de pleger zelf aan." beside "Spreek de pleger niet zelf
    aan." and --streng said "In orde": tegenstrijdig only found the same sentence in both lists. Now a step is matched
    without case, punctuation and 'niet'/'geen'/'nooit'; two rules that both say not to do something agree."""
    family: dict[str, Any] = {"id": "tc-familie", "titel": "De mentor praat met de familie", "bron": "Eigen afspraak",
                              "als": {"signaal": {"soort": "huwelijksdwang"}},
                              "dan": {"route": "zorgteam", "urgentie": "vandaag", "mentor_doet": ["neem contact op met de familie"],
                                      "uitleg": "Het zorgteam, met de mentor."}}
    perpetrator = {"id": "tc-pleger", "titel": "De mentor spreekt de pleger aan", "bron": "Eigen afspraak",
                   "als": {"signaal": {"soort": "huwelijksdwang"}},
                   "dan": {"route": "zorgteam", "urgentie": "vandaag", "uitleg": "Het zorgteam.",
                           "mentor_doet": ["Spreek de pleger zelf aan.", "Spreek de pleger niet zelf aan!"]}}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", forced_marriage(),
                                                          [family, perpetrator, MARRIAGE_RULE])))
    found = {(f.rule, f.message.split("'")[1]) for f in analysis.findings if f.kind == "tegenstrijdig"}
    assert found == {("tc-familie", "neem contact op met de familie"), ("tc-pleger", "Spreek de pleger zelf aan.")}
    agreeing = {**family, "dan": {**family["dan"], "mentor_doet": ["Neem nooit contact op met de familie.",
                                                                   "Neem geen contact op met de familie."]}}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "eens", forced_marriage(),
                                                          [agreeing, MARRIAGE_RULE])))
    assert not [f for f in analysis.findings if f.kind == "tegenstrijdig"]


def test_a_kind_misspelt_where_it_is_declared_is_said_to_be_misspelt_there(tmp_path):
    """A trial renamed its kind to 'belagin' in laag.yaml only. The fix said first "voeg 'belaging' toe aan laag.yaml";
    doing that made a second kind, without 'veiligheid: ja'. When no rule names the close name, the fix says so."""
    kinds = {"belagin": {"label": "Belaging", "omschrijving": "Stalking.", "veiligheid": "ja"}}
    rule = {"id": "bk-belaging", "titel": "Belaging naar het zorgteam", "bron": "Meldcode", "absoluut": "ja",
            "als": {"signaal": {"soort": "belaging"}},
            "dan": {"route": "zorgteam", "urgentie": "vandaag", "uitleg": "Het zorgteam."}}
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(overlay(tmp_path / "school", kinds, [rule]))
    [problem] = info.value.problems
    assert problem.fix.endswith("Maar geen regel noemt 'belagin': staat de naam in laag.yaml verkeerd, verbeter hem "
                                "dan daar (en voeg niets toe)")
    # a close kind that rules do name stays a hint after the fix that keeps the rule as it is
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(overlay(tmp_path / "pesten", {}, [{**rule, "als": {"signaal": {"soort": "pestenn"}}}]))
    [problem] = info.value.problems
    assert problem.fix.startswith("voeg 'pestenn' toe aan laag.yaml; of is het een tikfout: bedoel je 'pesten'?")
    assert "Maar geen regel noemt" not in problem.fix


def test_a_misspelt_safety_kind_is_told_as_a_typo_first_and_never_becomes_an_ordinary_kind(tmp_path):
    """A trial misspelt 'zelfbeschadiging' in a mentor rule, followed the first fix ("voeg 'zelfbeschadging' toe aan
    laag.yaml"), and a light self-harm case stayed at the mentor with "In orde" from controleer."""
    careless = {"id": "tc-zelfbeschadiging-licht", "titel": "Lichte zelfbeschadiging bespreekt de mentor",
                "bron": "Zorgplan", "als": {"signaal": {"soort": "zelfbeschadging", "ernst_hoogstens": "licht"}},
                "dan": {"route": "mentor", "mentor_doet": ["Bespreek het zelf met de leerling."], "uitleg": "Test."}}
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(overlay(tmp_path / "typo", {}, [careless]))
    [problem] = info.value.problems
    assert problem.fix.startswith("is het een tikfout? bedoel je 'zelfbeschadiging'? ('zelfbeschadiging' is een "
                                  "veiligheidssignaal).")
    assert problem.fix.endswith("met 'veiligheid: ja' als het over gevaar gaat")
    # following the other fix anyway: the new kind without the flag does not load either, with its line
    added = {"zelfbeschadging": {"label": "Zelfbeschadiging (licht)", "omschrijving": "Licht krassen."}}
    [problem] = look_alike_problems(overlay(tmp_path / "toegevoegd", added, [careless]))
    assert problem.file.endswith("laag.yaml") and problem.line == 4
    assert "lijkt op het veiligheidssignaal 'zelfbeschadiging'" in problem.message
    assert problem.fix.startswith("is 'zelfbeschadging' een tikfout in een regel")
    # by its label alone, or by its name alone
    for kinds in ({"krassen": {"label": "Zelfbeschadiging (vermoeden)", "omschrijving": "Vermoeden."}},
                  {"zelfbeschadigingen": {"label": "Krassen", "omschrijving": "Krassen."}}):
        assert len(look_alike_problems(overlay(tmp_path / next(iter(kinds)), kinds, []))) == 1, kinds
    # with the flag, or with a name and label of its own, or numbered beside a numbered safety kind, it loads
    for name, term in (("zelfbeschadging", {**added["zelfbeschadging"], "veiligheid": "ja"}),
                       ("huiswerk", {"label": "Huiswerk", "omschrijving": "Huiswerk."})):
        grenzen.load_policy(overlay(tmp_path / f"ok-{name}", {name: term}, []))


def test_a_light_form_of_a_safety_kind_without_the_flag_does_not_load_for_any_command(tmp_path):
    """The last trial: "Suïcidale gedachten (licht)" without 'veiligheid: ja', with a mentor rule, was an error of
    controleer only; advies, beleid, verschil and test loaded it, and such a case was advised MENTOR."""
    kinds = {"suicidale_gedachten_licht": {"label": "Suïcidale gedachten (licht)", "omschrijving": "Soms."}}
    rule = {"id": "tc-licht", "titel": "Lichte gedachten bespreekt de mentor", "bron": "Zorgplan",
            "als": {"signaal": {"soort": "suicidale_gedachten_licht"}},
            "dan": {"route": "mentor", "mentor_doet": ["Bespreek het met de leerling."], "uitleg": "Test."}}
    directory = overlay(tmp_path / "school", kinds, [rule])
    [problem] = look_alike_problems(directory)
    assert "'suicidale_gedachten'" in problem.message and not problem.fix.startswith("is ")  # by its label: no typo
    case = tmp_path / "casus.json"
    case.write_text('{"taak": "begeleidingsgesprekken", "signalen": [{"soort": "suicidale_gedachten_licht", '
                    '"ernst": "licht"}]}', encoding="utf-8")
    for command in (["advies", "--regels", str(directory), str(case)], ["beleid", str(directory)],
                    ["test", str(directory)], ["verschil", "standaard", str(directory)]):
        assert main(command) != 0, command
    # flagged, the same policy loads, and the case goes to the zorgteam today (the guard)
    kinds["suicidale_gedachten_licht"]["veiligheid"] = "ja"
    advice = grenzen.load_policy(overlay(tmp_path / "school", kinds, [rule])).advise(case.read_text(encoding="utf-8"))
    assert (advice.route, advice.urgentie) == ("zorgteam", "vandaag")


@pytest.mark.parametrize("typo", ["drop", "double", "swap", "first", "last", "digit", "plural"])
def test_every_misspelt_safety_kind_of_the_default_is_refused_as_a_new_kind(tmp_path, typo):
    """Safety is a property of a class of signals: any typo of any safety kind, added without the flag (a review found
    'zelfbeschadiging2', 'dreiging1' and 'suicidaal_plannen' let through)."""
    policy = grenzen.load_policy()
    for kind in sorted(policy.safety_kinds):
        at = len(kind) // 2
        name = {"drop": kind[:at] + kind[at + 1:], "double": kind[:at] + kind[at] + kind[at:],
                "swap": kind[:at - 1] + kind[at] + kind[at - 1] + kind[at + 1:], "first": kind[1:],
                "last": kind[:-1], "digit": kind + "2", "plural": kind + "en"}[typo]
        if name in policy.vocabulary.signalen or name == kind:
            continue
        added = {name: {"label": f"Iets anders {len(name)}", "omschrijving": "Test."}}
        problems = look_alike_problems(overlay(tmp_path / f"{typo}-{kind}", added, []))
        assert [p.code for p in problems] == ["naam-als-veiligheidssignaal"], (kind, name)


def test_a_heavier_safety_kind_beside_an_ordinary_kind_of_the_base_loads(tmp_path):
    """A review: an overlay's safety kind 'Agressie (ernstig)' made the default's 'agressie' a look-alike, and the
    policy did not load, with a fix in the default's file that a school cannot edit."""
    kinds = {"agressie_ernstig": {"label": "Agressie (ernstig)", "omschrijving": "Ernstige agressie.",
                                  "veiligheid": "ja"}}
    rule = {"id": "tc-agressie-ernstig", "titel": "Ernstige agressie", "bron": "Zorgplan", "absoluut": "ja",
            "als": {"signaal": {"soort": "agressie_ernstig"}},
            "dan": {"route": "zorgteam", "urgentie": "vandaag", "uitleg": "Test."}}
    policy = grenzen.load_policy(overlay(tmp_path / "school", kinds, [rule]))
    assert "agressie_ernstig" in policy.safety_kinds and "agressie" not in policy.safety_kinds
    # the other way round, a school's unflagged lighter form of a safety kind, does not load
    lighter = {"agressie_licht": {"label": "Agressie (licht)", "omschrijving": "Lichte agressie."}}
    [problem] = look_alike_problems(overlay(tmp_path / "lighter", {**kinds, **lighter}, [rule]))
    assert "'agressie_licht'" in problem.message and problem.file.endswith("laag.yaml")


def look_alike_problems(directory: Path) -> list[grenzen.Problem]:
    """The problems that keep ``directory`` from loading, all of them look-alikes of a safety kind."""
    with pytest.raises(grenzen.PolicyError) as info:
        grenzen.load_policy(directory)
    assert {p.code for p in info.value.problems} == {"naam-als-veiligheidssignaal"}, info.value.problems
    return list(info.value.problems)


def test_a_kind_an_overlay_adds_that_looks_like_another_gets_a_note(tmp_path):
    """A trial added 'loverboy_mensenhandel' beside the default's 'seksuele_uitbuiting' ("Seksuele uitbuiting
    (loverboys, mensenhandel)"): two kinds for one thing, with different advice, and mentors pick one at random."""
    kinds = {"loverboy_mensenhandel": {"label": "Loverboyproblematiek of mensenhandel", "omschrijving": "Uitbuiting.",
                                       "veiligheid": "ja"},
             "huiswerk_hulp": {"label": "Hulp bij huiswerk", "omschrijving": "Huiswerk."}}
    findings = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", kinds, []))).findings
    alike = [f for f in findings if f.kind == "lijkt-op-soort"]
    assert [(f.level, f.file.endswith("laag.yaml")) for f in alike] == [("let op", True)]
    assert alike[0].message.startswith("soort 'loverboy_mensenhandel' ('Loverboyproblematiek of mensenhandel') lijkt "
                                       "op 'seksuele_uitbuiting'")
    assert "lijkt-op-soort" not in {f.kind for f in analyse_policy(grenzen.load_policy()).findings}


def test_a_new_kind_with_the_words_of_a_safety_kind_is_warned_until_the_school_says_why_not(tmp_path):
    """A trial renamed the look-alike 'Suïcidale gedachten (licht)', refused at load, to 'doodsgedachten', and light
    self-harm to 'krassen': both passed --streng, and thoughts of death stayed at the mentor."""
    kinds = {"doodsgedachten": {"label": "Gedachten aan de dood (terloops)", "omschrijving": "Soms."},
             "krassen": {"label": "Krassen of snijden (vermoeden)", "omschrijving": "Misschien."}}
    ordinary = {k: {"label": label, "omschrijving": "Test."} for k, label in (
        ("projectweek", "Projectweek"), ("hoogbegaafd", "Hoogbegaafdheid"), ("rouw_ouder", "Rouw om overlijden ouder"),
        ("schoolweigering", "Schoolweigering"), ("slaap", "Slaapproblemen"), ("gokken", "Online gokken"),
        ("ruzie_thuis", "Ruzie thuis"), ("diefstal", "Diefstal"), ("drugs_dealen", "Drugs dealen"))}
    directory = overlay(tmp_path / "school", {**kinds, **ordinary}, [])
    found = [f for f in analyse_policy(grenzen.load_policy(directory)).findings if f.kind.startswith("lijkt-op-gevaar")]
    assert [(f.kind, f.level, f.file.endswith("laag.yaml")) for f in found] == [
        ("lijkt-op-gevaar-zonder-reden", "waarschuwing", True)] * 2
    assert "'gedachten' uit het veiligheidssignaal 'suicidale_gedachten'" in found[0].message
    assert "'krassen' en 'snijden' uit het veiligheidssignaal 'zelfbeschadiging'" in found[1].message
    lines = (directory / "laag.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[found[0].line - 1].strip() == "doodsgedachten:"
    # the school's reason, directly above the kind, makes it a note that shows the reason
    lines.insert(found[1].line - 1, "  # geen gevaar: krassen op tafels, niet op de huid")
    (directory / "laag.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = [f for f in analyse_policy(grenzen.load_policy(directory)).findings if f.kind.startswith("lijkt-op-gevaar")]
    assert [(f.kind, f.level) for f in found] == [("lijkt-op-gevaar-zonder-reden", "waarschuwing"),
                                                  ("lijkt-op-gevaar", "let op")]
    assert found[1].message.endswith("Volgens de school is het geen gevaar: krassen op tafels, niet op de huid")
    # flagged, nothing is said
    flagged = {k: {**term, "veiligheid": "ja"} for k, term in kinds.items()}
    findings = analyse_policy(grenzen.load_policy(overlay(tmp_path / "flagged", flagged, []))).findings
    assert not [f for f in findings if f.kind.startswith("lijkt-op-gevaar")]


def test_numbered_kinds_and_bracketed_qualifiers_are_not_alike_but_a_second_label_is_warned(tmp_path):
    """A trial: 'Projectweek 1' and 'Projectweek 2' were told to merge, 'Zelfbeschadiging (vermoeden)' looked like
    'Vermoeden van een leerprobleem', and a second 'Faalangst' kind beside the default's got only a note."""
    kinds = {"project_1": {"label": "Projectweek 1", "omschrijving": "Week 1."},
             "project_2": {"label": "Projectweek 2", "omschrijving": "Week 2."},
             "zelfbeschadiging_vermoeden": {"label": "Zelfbeschadiging (vermoeden)", "omschrijving": "Misschien.",
                                            "veiligheid": "ja"},
             "faalangst_baken": {"label": "Faalangst", "omschrijving": "Bang om te falen."}}
    findings = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", kinds, []))).findings
    said = {(f.kind, f.message.split("'")[1]): f for f in findings if f.kind in ("lijkt-op-soort", "zelfde-label")}
    assert set(said) == {("lijkt-op-soort", "zelfbeschadiging_vermoeden"), ("zelfde-label", "faalangst_baken")}
    assert "leerprobleem" not in said["lijkt-op-soort", "zelfbeschadiging_vermoeden"].message
    assert said["zelfde-label", "faalangst_baken"].level == "waarschuwing"


def test_beleid_and_verschil_say_when_controleer_finds_errors(tmp_path, capsys):
    """A trial made the team's document of, and compared, a policy that controleer did not pass, without a word."""
    kinds = {"doodsgedachten": {"label": "Gedachten aan de dood", "omschrijving": "Soms.", "veiligheid": "ja"}}
    rule = {"id": "tc-dood", "titel": "Gedachten bespreekt de mentor", "bron": "Zorgplan",
            "als": {"signaal": {"soort": "doodsgedachten", "ernst_hoogstens": "matig"}},
            "dan": {"route": "mentor", "mentor_doet": ["Bespreek het met de leerling."], "uitleg": "Test."}}
    directory = overlay(tmp_path / "school", kinds, [rule])
    assert main(["beleid", str(directory)]) == 0
    said = capsys.readouterr()
    assert "# " in said.out and said.err.startswith("Let op: grenzen controleer vindt 1 fout (veiligheid-bij-mentor)")
    assert main(["verschil", "standaard", str(directory)]) == 0
    assert "Let op: grenzen controleer vindt 1 fout (veiligheid-bij-mentor) in de nieuwe versie" in capsys.readouterr().out
    assert main(["beleid"]) == 0 and capsys.readouterr().err == ""  # the default: nothing to say


def test_no_kind_of_the_default_is_named_like_a_safety_kind():
    from grenzen.pipeline._layers import layered_source
    from grenzen.pipeline._load import default_rules_dir
    from grenzen.pipeline._validate import _check_safety_look_alikes

    assert list(_check_safety_look_alikes(layered_source([default_rules_dir()]))) == []


def test_an_unflagged_kind_referred_absolutely_today_gets_a_note(tmp_path):
    """A trial: its own kind had neither 'veiligheid: ja' nor the group 'veiligheid', absolute rules sent it to extern
    'direct', and --streng said "In orde" with nothing about the flag. Now a warning (a second trial: the removed flag
    took 'Bel 112' and 'direct' from the advice), at the kind's line in laag.yaml; with the flag it goes."""
    rule = {**MARRIAGE_RULE, "als": {"signaal": {"soort": "huwelijksdwang", "ernst_minstens": "ernstig"}}}
    directory = overlay(tmp_path / "school", forced_marriage(veiligheid=False), [rule])
    analysis = analyse_policy(grenzen.load_policy(directory))
    [note] = [f for f in analysis.findings if f.kind == "lijkt-veiligheidssignaal"]
    assert note.level == "waarschuwing" and note.file.endswith("laag.yaml") and "'huwelijksdwang'" in note.message
    assert "veiligheid: ja" in note.message and "'direct'" in note.message
    flagged = overlay(tmp_path / "vlag", forced_marriage(), [MARRIAGE_RULE])
    assert not [f for f in analyse_policy(grenzen.load_policy(flagged)).findings if f.kind == "lijkt-veiligheidssignaal"]
    assert not [f for f in analyse_policy(grenzen.load_policy()).findings if f.kind == "lijkt-veiligheidssignaal"]


def test_a_conflict_never_says_to_set_aside_a_rule_that_keeps_a_task_from_the_mentor(tmp_path):
    """A trial gave its own topsport rule taak_hoort_bij_mentor: ja and pasted the zet_opzij list that 'conflict'
    offered: niet-meldcode-afwegen, niet-mishandeling-onderzoeken and the like went aside, and an abuse inquiry became
    the mentor's task, with --streng "In orde". Rules that say a task is never the mentor's are named as ones to
    keep, with the fix to give the rule its own tasks."""
    kinds = {"topsport": {"label": "Topsport", "omschrijving": "De leerling doet aan topsport."}}
    rule = {"id": "tc-topsport", "titel": "Topsport", "bron": "Eigen afspraak",
            "als": {"signaal": {"soort": "topsport", "ernst_hoogstens": "matig"}},
            "dan": {"route": "mentor", "taak_hoort_bij_mentor": "ja", "uitleg": "De mentor begeleidt."}}
    analysis = analyse_policy(grenzen.load_policy(overlay(tmp_path / "school", kinds, [rule])))
    [conflict] = [f for f in analysis.findings if f.kind == "conflict" and f.rule == "tc-topsport"]
    offered = conflict.message.split("zet_opzij: [", 1)[1].split("]", 1)[0] if "zet_opzij: [" in conflict.message \
        else ""
    assert "niet-mishandeling-onderzoeken" not in offered and "niet-meldcode-afwegen" not in offered
    assert "niet opzij: volgens die regels hoort zo'n taak nooit bij de mentor" in conflict.message
    assert "Geef deze regel 'taak:' met alleen de taken waar hij over gaat" in conflict.message


def test_the_default_policy_has_no_absolute_mentor_rule_about_a_safety_kind():
    """Its absolute mentor rules (signalling, first aid, referring, consulting) are about a task, never a signal."""
    analysis = analyse_policy(grenzen.load_policy())
    assert not [f for f in analysis.findings if f.kind == "veiligheid-vast-bij-mentor"]


SAFETY_NET = "veiligheid-nooit-alleen-bij-mentor"


def test_a_counterexample_that_names_the_safety_net_passes_when_pasted_as_an_example(tmp_path):
    """controleer's counterexample for veiligheid-bij-mentor expects 'regels: [veiligheid-nooit-alleen-bij-mentor,
    …]'; pasted into voorbeelden/ it failed with "de regel … bestaat niet in dit beleid" (a review)."""
    from grenzen.toolkit._coverage import run_tests

    rule: dict[str, Any] = {**MARRIAGE_RULE, "als": {"signaal": {"soort": "huwelijksdwang", "ernst_minstens": "ernstig"}}}
    directory = overlay(tmp_path / "school", forced_marriage(), [rule])
    [finding] = [f for f in analyse_policy(grenzen.load_policy(directory)).findings
                 if f.kind == "veiligheid-bij-mentor"]
    assert finding.case and finding.expected and "veiligheid-nooit-alleen-bij-mentor" in finding.expected["regels"]
    (directory / "voorbeelden").mkdir()
    example = {"naam": "tegenvoorbeeld", "casus": finding.case, "verwacht": finding.expected}
    (directory / "voorbeelden" / "vangnet.yaml").write_text(_dump({"voorbeelden": [example]}), encoding="utf-8")
    report = run_tests(directory)
    assert [o.differences for o in report.outcomes] == [[]] and not report.problems
    mended = {**example, "casus": {**finding.case, "signalen": [{"soort": "huwelijksdwang", "ernst": "acuut"}]}}
    (directory / "voorbeelden" / "vangnet.yaml").write_text(_dump({"voorbeelden": [mended]}), encoding="utf-8")
    [outcome] = run_tests(directory).outcomes  # where the net does not fire, the example says so
    assert any("veiligheid-nooit-alleen-bij-mentor" in d and "deed niet mee" in d for d in outcome.differences)


# --- a misspelt destination ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, hint", [("zorgcoordinatr", "zorgcoordinator"), ("zorgcoordinator", None),
                                       ("buurtsportcoach", None)])
def test_a_misspelt_destination_in_an_overlay_is_warned_with_the_one_it_likely_meant(tmp_path, key, hint):
    """A trial renamed the zorgcoördinator in its overlay's afspraken.yaml under a misspelt key: a new destination no
    rule names, and the advice kept the old name, without a word."""
    from grenzen.toolkit._analysis import _misspelt_destinations

    school = overlay(tmp_path / "school", forced_marriage(True), [MARRIAGE_RULE])
    (school / "afspraken.yaml").write_text(
        f"bestemmingen:\n  {key}:\n    naam: Mevrouw de zorgcoördinator\n    soort: intern\n", encoding="utf-8")
    policy = grenzen.load_policy(school)
    findings = _misspelt_destinations(policy)
    if hint is None:  # a destination of the base renamed, or a new one that resembles none: nothing to say
        assert findings == []
        return
    (finding,) = findings
    assert finding.kind == "bestemming-verschrijving" and f"bedoel je '{hint}'" in finding.message
    assert finding.file.endswith("afspraken.yaml") and finding.line == 2


# --- the family approached in danger (familie-benaderd) -----------------------------------------------------------

def _family_kinds() -> dict:
    kinds = forced_marriage(True)
    kinds["huwelijksdwang"]["familie_niet_benaderen"] = "ja"
    return kinds


INVITE_PARENTS: dict[str, Any] = {
    "id": "tc-verzuim-ouders", "titel": "Verzuim: ouders uitnodigen", "bron": "Testcollege",
    "als": {"signaal": {"soort": "verzuim", "ernst_minstens": "matig"}},
    "dan": {"route": "zorgteam", "urgentie": "deze_week", "uitleg": "Samen met de ouders.",
            "mentor_doet": ["Nodig de ouders uit voor een gesprek met jou en de zorgcoördinator."]},
}


def test_a_school_rule_that_sends_the_mentor_to_the_parents_in_family_danger_is_an_error(tmp_path):
    """A trial: its own zorgteam rule said "Nodig de ouders uit" beside "Neem geen contact op met de ouders of de
    familie" for its kind marked familie_niet_benaderen, and --streng said "In orde"."""
    policy = grenzen.load_policy(overlay(tmp_path / "school", _family_kinds(), [MARRIAGE_RULE, INVITE_PARENTS]))
    findings = [f for f in grenzen.analyse_policy(policy).errors if f.kind == "familie-benaderd"]
    assert [f.rule for f in findings] == ["tc-verzuim-ouders"]
    (finding,) = findings
    assert finding.case is not None and finding.expected is not None
    assert "'Nodig de ouders uit voor een gesprek met jou en de zorgcoördinator.'" in finding.message
    family = [k for k, t in policy.vocabulary.signalen.items() if t.familie_niet_benaderen]
    assert "huwelijksdwang" in family  # the school's kind, beside the default's
    (kind,) = [k for k in family if f"signaal '{k}' is" in finding.message]
    assert "familie_niet_benaderen: ja" in finding.message
    # the counterexample is a case with that kind, and the advice it gets has the step
    assert {"soort": kind, "ernst": "matig"} in finding.case["signalen"]
    assert "tc-verzuim-ouders" in finding.expected["regels"]
    advice = policy.advise(finding.case)
    assert INVITE_PARENTS["dan"]["mentor_doet"][0] in advice.mentor_doet
    # an absolute mentor rule is never set aside: its step to the parents stays in danger, and is reported too
    parents = dict(OWN_PARENTS, dan={**OWN_PARENTS["dan"], "mentor_doet": ["Houd de ouders op de hoogte."]})
    policy = grenzen.load_policy(overlay(tmp_path / "school2", _family_kinds(), [MARRIAGE_RULE, parents]))
    assert "tc-ouders-informeren" in {f.rule for f in grenzen.analyse_policy(policy).errors
                                      if f.kind == "familie-benaderd"}


def test_consent_asked_in_family_danger_is_an_error_that_names_the_absolute_rule(tmp_path):
    """A trial's absolute rule for its family kind had no 'toestemming: nee', so a rule about another signal had
    "ouders en leerling" asked for consent."""
    no_withholding = {**MARRIAGE_RULE, "dan": {k: v for k, v in MARRIAGE_RULE["dan"].items() if k != "toestemming"}}
    policy = grenzen.load_policy(overlay(tmp_path / "school", _family_kinds(), [no_withholding]))
    findings = [f for f in grenzen.analyse_policy(policy).errors if f.kind == "familie-benaderd"]
    assert findings and all("of zet 'toestemming: nee' in de absolute regel voor 'huwelijksdwang'" in f.message
                            or "toestemming vragen" in f.message for f in findings)
    assert any(f.case is not None and policy.advise(f.case).toestemming is not None for f in findings)
    # with 'toestemming: nee' on the absolute rule, and the default's steps that leave consent to the
    # aandachtsfunctionaris in the meldcode, nothing is said
    policy = grenzen.load_policy(overlay(tmp_path / "school2", _family_kinds(), [MARRIAGE_RULE]))
    assert [f for f in grenzen.analyse_policy(policy).errors if f.kind == "familie-benaderd"] == []


@pytest.mark.parametrize("step", ["Bel naar huis over het verzuim.", "Informeer vader of moeder over het verzuim.",
                                  "Laat de verzorgers weten dat het verzuim gemeld wordt.", "Stuur een mail naar thuis."])
def test_other_words_for_the_parents_are_reported_too(tmp_path, step):
    """A second trial: 'Bel dezelfde dag de ouders' was caught, the same step said otherwise passed."""
    rule = dict(INVITE_PARENTS, dan={**INVITE_PARENTS["dan"], "mentor_doet": [step]})
    policy = grenzen.load_policy(overlay(tmp_path / "school", _family_kinds(), [MARRIAGE_RULE, rule]))
    assert "tc-verzuim-ouders" in {f.rule for f in grenzen.analyse_policy(policy).errors if f.kind == "familie-benaderd"}


def test_a_topic_at_home_or_a_parent_and_child_adviser_is_no_contact():
    from grenzen.toolkit._analysis import _to_family

    assert not _to_family("Vraag door naar somberheid, problemen thuis of verzuim en bespreek de leerling met de "
                          "zorgcoördinator.")
    assert not _to_family("Bespreek met de zorgcoördinator of de ouder- en kindadviseur kan helpen.")
    assert not _to_family("Neem geen contact op met de ouders of de familie.")
