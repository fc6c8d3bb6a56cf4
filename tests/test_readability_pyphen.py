"""Pyphen's Dutch patterns are parsed as words need them (``_readability.lazy_hyph_dict``): every pattern and every
hyphenation is what ``pyphen.HyphDict`` gives, so every syllable count and score is textstat's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyphen  # type: ignore[import-untyped]
import pytest
from conftest import FIXTURES

import grenzen
from grenzen.toolkit import _readability
from grenzen.toolkit._readability import lazy_hyph_dict, mentor_texts, words

DUTCH = pyphen.LANGUAGES[pyphen.language_fallback("nl")]

#: A made-up dictionary with what the Dutch one lacks: a hex escape, nonstandard hyphenation, comments and settings,
#: a pattern of zeros only, the same letters twice (the last kept one wins) and a line of zeros after a kept one.
MADE_UP = """UTF-8
LEFTHYPHENMIN 2
% a comment
# another
.ab1c
a1b
2b1c
b0c0
x^^e9y1
1ff/f=f,1,2
c1d
c3d
d1e
d0e
"""


def _same_patterns(path: Path) -> None:
    eager, lazy = pyphen.HyphDict(path), lazy_hyph_dict(path)
    keys = set(eager.patterns) | set(lazy.patterns._lines)
    for key in keys:
        assert lazy.patterns.get(key) == eager.patterns.get(key), key
    assert lazy.maxlen >= eager.maxlen
    assert lazy.patterns.get("nothing-like-it") is None


def test_every_dutch_pattern_is_pyphens():
    _same_patterns(DUTCH)


def test_every_pattern_of_a_made_up_dictionary_is_pyphens(tmp_path):
    path = tmp_path / "hyph_xx.dic"
    path.write_text(MADE_UP, encoding="utf-8")
    _same_patterns(path)
    eager, lazy = pyphen.HyphDict(path), lazy_hyph_dict(path)
    for word in ["abc", "abcd", "xéy", "xéyabc", "affe", "cde", "bcde"]:
        assert lazy.positions(word) == eager.positions(word)
        assert [p.data for p in lazy.positions(word)] == [p.data for p in eager.positions(word)]


@pytest.mark.parametrize("where", [None, FIXTURES / "school"])
def test_every_word_of_the_rule_texts_hyphenates_as_with_pyphen(where):
    policy = grenzen.load_policy(where)
    found = {w.lower() for text in mentor_texts(policy.source.rules) for w in words(text.text)}
    eager, lazy = pyphen.HyphDict(DUTCH), lazy_hyph_dict(DUTCH)
    assert found
    for word in sorted(found):
        assert lazy.positions(word) == eager.positions(word), word


def test_textstat_scores_with_the_lazy_patterns():
    out = subprocess.run([sys.executable, "-c", (
        "import pyphen; from grenzen.toolkit._readability import _textstat; t = _textstat(); "
        "t.flesch_reading_ease('Een zin van woorden.'); "
        "print(type(pyphen.Pyphen(lang='nl').hd.patterns).__name__)")],
        check=True, capture_output=True, text=True).stdout.strip()
    assert out == "_LazyPatterns"


def test_a_dictionary_made_before_is_kept(monkeypatch):
    made = object()
    monkeypatch.setitem(pyphen.hdcache, DUTCH, made)
    _readability._lazy_hyphenation("nl")
    assert pyphen.hdcache[DUTCH] is made
