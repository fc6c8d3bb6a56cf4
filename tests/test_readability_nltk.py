"""textstat is imported without nltk (``_readability._textstat``): nltk only comes in when something asks for it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from grenzen.toolkit._readability import _LaterNltk


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def test_scoring_a_dutch_text_leaves_nltk_unimported():
    out = _run("import sys; from grenzen.toolkit._readability import flesch_douma; "
               "print(flesch_douma('De mentor praat met de leerling over school en thuis, zegt wat hij ziet en vraagt wat de leerling zelf nodig heeft om weer rustig te kunnen werken.'), "
               "'nltk' in sys.modules)")
    score, imported = out.split()
    assert float(score) > 0 and imported == "False"


def test_the_score_is_textstats_own():
    """The same score as textstat imported the usual way (nltk first)."""
    text = ("Bespreek de zorgen met de ouders en leg vast wat jullie samen afspreken over de begeleiding. Vraag na "
            "twee weken hoe het gaat en overleg met het zorgteam als er niets verandert.")
    plain = _run(f"import nltk, textstat; textstat.set_lang('nl'); print(textstat.flesch_reading_ease({text!r}))")
    later = _run(f"from grenzen.toolkit._readability import flesch_douma; print(flesch_douma({text!r}))")
    assert float(plain) == float(later)


@pytest.mark.parametrize("during_import", [False, True])
def test_the_stand_in_answers_from_nltk_itself(during_import, monkeypatch):
    stand_in = _LaterNltk("nltk")
    if during_import:
        monkeypatch.delitem(sys.modules, "nltk", raising=False)
        monkeypatch.setitem(sys.modules, "nltk", stand_in)
    data = stand_in.data
    assert data.__name__ == "nltk.data" and not isinstance(sys.modules["nltk"], _LaterNltk)
