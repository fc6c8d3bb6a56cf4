"""Plain-language warnings of controleer (issue 15, point 4): long sentences, hard words and a low Flesch-Douma
score in the texts a mentor reads, each at its own line; a '# leesbaarheid: <reden>' comment justifies a text."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

import grenzen
from grenzen.cli import main
from grenzen.pipeline._load import default_rules_dir
from grenzen.toolkit import _comments, _readability
from grenzen.toolkit._analysis import WARNING, _plain_language, analyse_policy

LONG = ("Als de leerling na een gesprek met de mentor en de ouders nog steeds niet naar school komt, bespreekt de mentor "
        "dat in de eerstvolgende leerlingbespreking.")  # 26 words, one sentence
#: Short sentences, long words: only the score is low.
HARD = ("Onderwijsondersteuningsafspraken vereisen zorgvuldige documentatie. Zorgcoördinatoren beoordelen "
        "ondersteuningsbehoeften systematisch. Aandachtsfunctionarissen registreren meldingsprocedures nauwkeurig. "
        "Vertrouwensinspecteurs adviseren schoolbesturen voortdurend. Leerlingbesprekingen evalueren "
        "ontwikkelingsperspectieven periodiek.")
UITLEG = "    uitleg: uitleg t1-basis\n"


def policy_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the small 'schoon' policy with one text of rule t1-basis replaced (raw YAML, comments kept)."""
    directory = tmp_path / "beleid"
    shutil.copytree(FIXTURES / "schoon", directory)
    file = directory / "a_thema.yaml"
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1
    file.write_text(text.replace(old, new), encoding="utf-8")
    return directory


def line_of(file: Path, start: str) -> int:
    return next(n for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(start))


def test_long_sentence_is_warned_at_the_line_of_its_field(tmp_path):
    directory = policy_with(tmp_path, UITLEG, f"    uitleg: {LONG}\n")
    analysis = analyse_policy(grenzen.load_policy(directory))
    [finding] = [f for f in analysis.findings if f.kind == "lange-zin"]
    line = line_of(directory / "a_thema.yaml", "    uitleg:")
    assert (Path(finding.file).name, finding.line, finding.column, finding.rule) == ("a_thema.yaml", line, 5, "t1-basis")
    assert finding.level == WARNING and finding in analysis.warnings
    assert str(finding).startswith(f"{finding.file}:{line}:5: waarschuwing [lange-zin] regel 't1-basis': uitleg: ")
    assert "de langste: 26 woorden" in finding.message


def test_hard_word_is_warned_at_its_list_item_with_a_plainer_word(tmp_path):
    directory = policy_with(tmp_path, "    - Doe t1.\n", "    - Doe t1.\n    - Bespreek de interventies met de ouders.\n")
    [finding] = [f for f in analyse_policy(grenzen.load_policy(directory)).findings if f.kind == "moeilijk-woord"]
    assert finding.line == line_of(directory / "a_thema.yaml", "    - Bespreek")
    assert finding.message == ("mentor_doet: 'interventies' is een moeilijk woord; schrijf liever 'aanpak of hulp'. "
                               "Moet de tekst zo blijven, zet dan direct erboven '# leesbaarheid: <reden>'")


@pytest.mark.parametrize("text, word, plain", [
    ("Er is een gerede kans op herhaling.", "gerede", "grote of echte"),
    ("Informeer geen derden.", "derden", "anderen"),
    ("Pak het in gezamenlijkheid op.", "gezamenlijkheid", "samen"),
    # a second trial
    ("Maak een adequaat plan.", "adequaat", "goed of passend"),
    ("Derhalve gaat het naar het zorgteam.", "Derhalve", "daarom"),
    ("Bel teneinde hulp te krijgen.", "teneinde", "om"),
    ("De mentor intervenieert niet zelf.", "intervenieert", "ingrijpen"),
    ("Inventariseer de signalen.", "Inventariseer", "op een rij zetten"),
    ("Faciliteer het gesprek.", "Faciliteer", "mogelijk maken, helpen"),
    ("Dat is noodzakelijk.", "noodzakelijk", "nodig"),
])
def test_words_a_trial_wrote_are_on_the_list(text, word, plain):
    assert _readability.hard_words(text) == [(word, plain)]


def test_low_score_is_warned_only_for_texts_long_enough_to_score(tmp_path):
    score = _readability.flesch_douma(HARD)
    assert score is not None and score < _readability.SCORE_LIMIT
    directory = policy_with(tmp_path, UITLEG, f"    uitleg: {HARD}\n")
    kinds = [f.kind for f in analyse_policy(grenzen.load_policy(directory)).findings]
    assert kinds == ["lage-leesscore"]  # short sentences, no jargon of the list: only the score
    # a title of a few hard words is too short for a reliable score: no score, no warning
    title = "Ondersteuningsbehoeften zorgcoördinatoren"
    assert _readability.flesch_douma(title) is None and list(_readability.problems_of(title)) == []


def test_a_step_broken_off_at_a_comma_is_warned_at_each_piece(tmp_path):
    """A trial: "[Maak schermafdrukken, ook van de reacties, en meld het vandaag.]" is three steps; two start with a
    small letter, and controleer --streng said "In orde"."""
    directory = policy_with(tmp_path, "    mentor_doet:\n    - Doe t1.\n",
                            "    mentor_doet: [Maak schermafdrukken, ook van de reacties, en meld het vandaag.]\n")
    findings = [f for f in analyse_policy(grenzen.load_policy(directory)).findings if f.kind == "stap-in-stukken"]
    line = line_of(directory / "a_thema.yaml", "    mentor_doet: [")
    written = (directory / "a_thema.yaml").read_text(encoding="utf-8").splitlines()[line - 1]
    assert [(f.line, f.column, f.rule, f.level) for f in findings] == [
        (line, written.index(piece) + 1, "t1-basis", WARNING) for piece in ("ook van", "en meld")]
    assert findings[0].message.startswith("mentor_doet: deze stap begint met een kleine letter")
    # quoted, it is one step, and no warning
    quoted = policy_with(tmp_path / "b", "    mentor_doet:\n    - Doe t1.\n",
                         '    mentor_doet: ["Maak schermafdrukken, ook van de reacties, en meld het vandaag."]\n')
    assert "stap-in-stukken" not in [f.kind for f in analyse_policy(grenzen.load_policy(quoted)).findings]


@pytest.mark.parametrize("comment", [
    "    # leesbaarheid: de ouders kennen deze zin uit de schoolgids\n",  # directly above
    "    # leesbaarheid: de ouders kennen deze zin uit de schoolgids\n    # (en nog een regel commentaar)\n",
])
def test_a_reason_above_the_text_silences_it_and_is_counted(tmp_path, capsys, comment):
    directory = policy_with(tmp_path, UITLEG, f"{comment}    uitleg: {LONG}\n")
    analysis = analyse_policy(grenzen.load_policy(directory))
    assert [f.kind for f in analysis.findings] == []
    [text] = analysis.justified
    assert (text.rule, text.field, text.line) == ("t1-basis", "uitleg", line_of(directory / "a_thema.yaml", "    uitleg:"))
    capsys.readouterr()
    assert main(["controleer", "--streng", str(directory)]) == 0
    assert "1 tekst heeft moeilijke taal met een reden erbij" in capsys.readouterr().out


def test_a_reason_on_the_line_itself_counts_and_an_empty_one_does_not(tmp_path):
    directory = policy_with(tmp_path, UITLEG, f"    uitleg: >-  # leesbaarheid: zo staat het in de wet\n      {LONG}\n")
    analysis = analyse_policy(grenzen.load_policy(directory))
    assert analysis.findings == [] and len(analysis.justified) == 1
    empty = policy_with(tmp_path / "leeg", UITLEG, f"    # leesbaarheid:\n    uitleg: {LONG}\n")
    analysis = analyse_policy(grenzen.load_policy(empty))
    assert [f.kind for f in analysis.findings] == ["lange-zin"] and analysis.justified == []
    # a reason further up, with a text line between, is not this text's reason
    apart = policy_with(tmp_path / "ver", "    taak_hoort_bij_mentor: ja\n",
                        "    # leesbaarheid: ver weg\n    taak_hoort_bij_mentor: ja\n")
    apart_file = apart / "a_thema.yaml"
    apart_file.write_text(apart_file.read_text(encoding="utf-8").replace(UITLEG, f"    uitleg: {LONG}\n"),
                          encoding="utf-8")
    assert [f.kind for f in analyse_policy(grenzen.load_policy(apart)).findings] == ["lange-zin"]


def test_readability_warnings_never_become_errors(tmp_path, capsys):
    """Without --streng the verdict stays 'In orde' (exit 0). --streng means that every warning fails the check,
    so it fails on a readability warning too, until the text is rewritten or given a reason."""
    directory = policy_with(tmp_path, UITLEG, f"    uitleg: {LONG} Bespreek de interventie. {HARD}\n")
    theme = directory / "a_thema.yaml"
    theme.write_text(theme.read_text(encoding="utf-8").replace("    - Doe t1.\n", "    - Doe t1,\n    - en t2.\n"),
                     encoding="utf-8")
    analysis = analyse_policy(grenzen.load_policy(directory))
    assert analysis.errors == [] and {f.kind for f in analysis.warnings} == set(_readability.KINDS)
    assert main(["controleer", str(directory)]) == 0
    out = capsys.readouterr().out
    assert "0 fouten, 4 waarschuwingen" in out and "In orde:" in out
    assert main(["controleer", "--streng", str(directory)]) == 1
    assert "Niet in orde met --streng: 4 waarschuwingen" in capsys.readouterr().out


def test_the_default_policy_has_no_unjustified_readability_warning():
    policy = grenzen.load_policy(default_rules_dir())
    result = _plain_language(policy)
    assert [f"{r.file}:{r.line}: [{r.kind}] {r.message}" for r in result.remarks] == []
    assert result.texts > 500
    for text in result.justified:  # each kept hard text says why
        lines = (text.source or Path(text.file)).read_text(encoding="utf-8").splitlines()
        assert _comments.justified(lines, text.line)


def test_an_overlay_is_checked_on_its_own_rules_only():
    policy = grenzen.load_policy(FIXTURES / "school")
    result = _plain_language(policy)
    own = [item for item in policy.source.rules if policy.source.rule_layers.get(item.rule.id) != "standaard"]
    assert result.texts == len(list(_readability.mentor_texts(own))) < 100
    assert all(Path(r.file).parent.name == "school" for r in result.remarks)


def test_textstat_dutch_is_flesch_douma():
    """206.84 - 0.77 x syllables per 100 words - 0.93 x words per sentence (Douma); textstat writes the syllable
    weight per word (77) and rounds the base to 206.835."""
    from textstat.backend.utils.constants import LANG_CONFIGS  # type: ignore[import-untyped]

    assert LANG_CONFIGS["nl"] == {"fre_base": 206.835, "fre_sentence_length": 0.93, "fre_syll_per_word": 77}


def test_import_grenzen_does_not_load_textstat():
    code = ("import sys, grenzen, grenzen.toolkit._analysis; "
            "print(sorted(m for m in ('textstat', 'nltk', 'pyphen') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_one_jargon_pattern_matches_a_word_exactly_when_one_of_the_patterns_does():
    """``hard_words`` tests each word against all patterns at once first (``_ANY_JARGON``)."""
    words = ["indien", "indiende", "interventie", "interventies", "interventiess", "gebagatelliseerd", "bagatelliseren",
             "escaleerde", "escaleerdenn", "casuistiek", "casuïstiek", "casusoverleggen", "casusoverlegge", "adequaat",
             "adequate", "ambulant", "ambulanten", "mentor", "zorgteam", "", "problematiek", "problematieken"]
    words += [form for _, word, _ in _readability._JARGON for form in (word, word + "e", word[:-1], "ge" + word)]
    for word in words:
        one = _readability._ANY_JARGON.fullmatch(word) is not None
        assert one == any(pattern.fullmatch(word) for pattern, _, _ in _readability._JARGON), word


def test_a_reason_is_found_in_the_file_itself_not_where_its_shown_name_points(tmp_path, monkeypatch):
    """A review: the reasons were read again from the file as problems show it (relative to the working directory
    at load, ``standaard/...`` under a layer), so from elsewhere a justified text came back as a warning."""
    monkeypatch.chdir(default_rules_dir().parent)
    policy = grenzen.load_policy(default_rules_dir())
    assert not Path(policy.source.rules[0].file).is_absolute()  # shown relative to where it was loaded
    here = _plain_language(policy)
    assert here.remarks == [] and here.justified  # the default keeps some hard texts, each with its reason
    monkeypatch.chdir(tmp_path)
    elsewhere = _plain_language(policy)
    assert elsewhere.remarks == [] and elsewhere.justified == here.justified
