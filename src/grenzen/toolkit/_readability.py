"""Plain-language warnings for the texts a mentor reads (``grenzen controleer``, issue 15, point 4).

Checked per rule: ``titel``, ``dan.uitleg`` and every line of ``dan.mentor_doet`` and ``dan.mentor_doet_niet``.
Four kinds of warning, never an error (the school decides):

==================  ========================================================================================
kind                meaning
==================  ========================================================================================
``lange-zin``       a sentence of more than ``SENTENCE_LIMIT`` words
``moeilijk-woord``  a word of the short ``JARGON`` list; the message names a plainer word
``lage-leesscore``  a Flesch-Douma score below ``SCORE_LIMIT``, for a text of at least ``SCORE_MIN_WORDS`` words
``stap-in-stukken`` a step (``mentor_doet``, ``mentor_doet_niet``) that starts with a small letter: likely broken off
                    at a comma of a list between [ ]
==================  ========================================================================================

A writer who keeps the hard text on purpose writes a reason in a comment on the text's line or on the comment lines
directly above it: ``# leesbaarheid: <reden>``. Its warnings are then not shown but counted (``justified``), so a
reason is visible, not a silent switch.

Thresholds and their basis:

* ``SENTENCE_LIMIT`` 20: Onze Taal advises an average of 15 to 20 words per sentence
  (https://onzetaal.nl/taalloket/lengte-van-zinnen). Taking 20 as a limit for every sentence (not the average) is
  this project's choice: a mentor reads one instruction at a time.
* ``SCORE_LIMIT`` 60: in Douma's own table of scores 60-70 is "normaal" and 45-60 "tamelijk moeilijk"
  (quoted at https://dbnl.org/tekst/_taa014197701_01/_taa014197701_01_0089.php; nl.wikipedia "Leesbaarheid":
  60-70 "lager middelbaar onderwijs"). No source we found ties a Flesch-Douma score to language level B1; warning
  below "normaal" is this project's choice.
* The score itself comes from textstat with ``set_lang("nl")``: 206.835 - 0.93 x words per sentence - 77 x syllables
  per word (textstat ``LANG_CONFIGS["nl"]``, syllables by Pyphen's Dutch hyphenation). That is Douma's formula:
  206.84 - 0.77 x syllables per 100 words - 0.93 x words per sentence.

textstat (with nltk) is imported only when a score is needed, so ``import grenzen`` stays fast.
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..pipeline._load import LoadedRule
from ._comments import justified, lines_of

SENTENCE_LIMIT = 20
SCORE_LIMIT = 60.0
#: Douma's formula was made for samples of about 100 words. In a short text one word weighs heavily: with 20 words
#: one syllable more or less moves the score by 77 / 20, about 4 points, less than half a band of Douma's table
#: (10 points); with a title of 5 words it moves 15 points. Below this many words no score is given.
SCORE_MIN_WORDS = 20

LONG_SENTENCE, HARD_WORD, LOW_SCORE, SPLIT_STEP = "lange-zin", "moeilijk-woord", "lage-leesscore", "stap-in-stukken"
KINDS = (LONG_SENTENCE, HARD_WORD, LOW_SCORE, SPLIT_STEP)
#: The fields whose items are steps: each starts a sentence, with a capital
STEPS = ("mentor_doet", "mentor_doet_niet")

#: Words mentors and parents often do not know: the word shown, the forms it matches (the whole word, lower case)
#: and a plainer way to say it. Kept short on purpose; names people must know (meldcode, Veilig Thuis, zorgteam,
#: aandachtsfunctionaris) are not jargon here.
JARGON: dict[str, tuple[str, str]] = {
    "multidisciplinair": (r"multidisciplinaire?", "met hulpverleners van verschillende vakken samen"),
    "interventie": (r"interventies?", "aanpak of hulp"),
    "casuïstiek": (r"casu[iï]stiek", "het bespreken van leerlingen"),
    "casusoverleg": (r"casusoverleg(gen)?", "overleg over de leerling"),
    "signalering": (r"signaleringen?", "wat je ziet en hoort"),
    "risicotaxatie": (r"risicotaxaties?", "inschatting van het gevaar"),
    "bagatelliseren": (r"(ge)?bagatellise\w*", "afdoen als iets kleins"),
    "escaleren": (r"(ge)?escal(eer|eren|eert|eerde|eerden|eerd|atie|aties)", "uit de hand lopen, erger worden"),
    "adequaat": (r"adequa(at|te)", "goed of passend"),
    "indien": (r"indien", "als"),
    "tevens": (r"tevens", "ook"),
    "middels": (r"middels", "met of door"),
    "laagdrempelig": (r"laagdrempelige?", "makkelijk en snel"),
    "problematiek": (r"problematiek", "problemen"),
    "ambulant": (r"ambulante?", "van buiten de school, op afspraak"),
    # three that a trial wrote in a rule and that passed unremarked
    "derden": (r"derden", "anderen"),
    "gezamenlijkheid": (r"gezamenlijkheid", "samen"),
    "gerede": (r"gerede", "grote of echte"),
    # officialese a second trial wrote and that passed unremarked
    "derhalve": (r"derhalve", "daarom"),
    "teneinde": (r"teneinde", "om"),
    "interveniëren": (r"(ge)?interveni(ë|e)(ren|ert|erde|erden|erd)", "ingrijpen"),
    "inventariseren": (r"(ge)?inventaris(eer|eren|eert|eerde|eerden|eerd|atie|aties)", "op een rij zetten"),
    "faciliteren": (r"(ge)?facilit(eren|eer|eert|eerde|eerden|eerd)", "mogelijk maken, helpen"),
    "noodzakelijk": (r"noodzakelijke?", "nodig"),
}
_JARGON = [(re.compile(pattern), word, plain) for word, (pattern, plain) in JARGON.items()]
#: Matches a word exactly when one of ``_JARGON``'s patterns does: most words match none, and are tested once.
_ANY_JARGON = re.compile("|".join(f"(?:{pattern})" for pattern, _ in JARGON.values()))

#: A step that starts with a small letter: in a list between [ ] every comma starts a new step, so "[Maak
#: schermafdrukken, ook van de reacties, en meld het]" is three steps, two of them broken off (a trial).
SPLIT_MESSAGE = ("deze stap begint met een kleine letter: is een stap bij een komma in stukken gebroken? In een lijst "
                 "tussen [ ] begint na elke komma een nieuwe stap. Zet de stap tussen aanhalingstekens, of zet elke "
                 "stap op een eigen regel met een streepje ervoor")
#: After each warning: how a school keeps a text it wants as it is.
WAY_OUT = ". Moet de tekst zo blijven, zet dan direct erboven '# leesbaarheid: <reden>'"
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Text:
    """One text a mentor reads, with where it stands."""

    file: str
    line: int
    column: int
    rule: str
    field: str  # titel, uitleg, mentor_doet or mentor_doet_niet
    text: str
    source: Path | None = None  # the file itself (``file`` is how messages show it: ``standaard/...`` under a layer)


@dataclass(frozen=True)
class Remark:
    """One readability warning at a text (``_analysis`` makes a ``Finding`` of it)."""

    kind: str
    message: str
    file: str
    line: int
    column: int
    rule: str


@dataclass
class Readability:
    """What ``check_rules`` found: the warnings shown, and the texts whose warnings a reason silenced."""

    remarks: list[Remark] = field(default_factory=list)
    justified: list[Text] = field(default_factory=list)
    texts: int = 0


def mentor_texts(items: Iterable[LoadedRule]) -> Iterator[Text]:
    """Every text a mentor reads in these rules, located at its key (titel, uitleg) or its list item."""
    for item in items:
        where = item.located.where
        rule, path, file, source = item.rule, item.path, item.file, item.source
        yield Text(file, *where((*path, "titel"), key=True), rule.id, "titel", rule.titel, source)
        yield Text(file, *where((*path, "dan", "uitleg"), key=True), rule.id, "uitleg", rule.dan.uitleg, source)
        for name in ("mentor_doet", "mentor_doet_niet"):
            for index, text in enumerate(getattr(rule.dan, name)):
                yield Text(file, *where((*path, "dan", name, index)), rule.id, name, text, source)


def check_rules(items: Iterable[LoadedRule]) -> Readability:
    """The readability warnings of these rules' mentor texts; a text with a ``# leesbaarheid:`` reason is counted
    as justified instead."""
    result = Readability()
    files: dict[str, list[str]] = {}  # read again for the comments (the YAML reader drops them), once per call
    for text in mentor_texts(items):
        result.texts += 1
        problems = list(problems_of(text.text))
        if text.field in STEPS and text.text[:1].islower():
            problems.append((SPLIT_STEP, SPLIT_MESSAGE))
        if not problems:
            continue
        if text.file not in files:
            files[text.file] = lines_of(text.source or Path(text.file))
        if justified(files[text.file], text.line):
            result.justified.append(text)
            continue
        result.remarks += [Remark(kind, f"{text.field}: {message}{WAY_OUT}", text.file, text.line, text.column,
                                  text.rule) for kind, message in problems]
    return result


def problems_of(text: str) -> Iterator[tuple[str, str]]:
    """(kind, Dutch message) for each readability problem of one text."""
    long = [n for n in map(len, map(words, sentences(text))) if n > SENTENCE_LIMIT]
    if long:
        which = "een zin" if len(long) == 1 else f"{len(long)} zinnen"
        yield LONG_SENTENCE, (f"{which} van meer dan {SENTENCE_LIMIT} woorden (de langste: {max(long)} woorden). "
                              "Knip de zin in kortere zinnen")
    for word, plain in hard_words(text):
        yield HARD_WORD, f"'{word}' is een moeilijk woord; schrijf liever '{plain}'"
    score = flesch_douma(text)
    if score is not None and score < SCORE_LIMIT:
        shown = f"{score:.1f}".replace(".", ",")  # one decimal: 59,6 is below 60, "60" would not look it
        yield LOW_SCORE, (f"leesscore {shown} (Flesch-Douma; onder {SCORE_LIMIT:.0f} is een tekst tamelijk "
                          "moeilijk). Schrijf kortere zinnen en kortere woorden")


def sentences(text: str) -> list[str]:
    """The sentences of a text: split after '.', '!' or '?' followed by a space."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def words(text: str) -> list[str]:
    """The words of a text (letters and digits; a hyphen or apostrophe inside a word keeps it one word)."""
    return _WORD.findall(text)


def hard_words(text: str) -> list[tuple[str, str]]:
    """(word as written, plainer alternative) for each jargon word in the text, once each."""
    found: dict[str, tuple[str, str]] = {}
    for written in words(text):
        lower = written.lower()
        if _ANY_JARGON.fullmatch(lower) is None:
            continue
        for pattern, word, plain in _JARGON:
            if word not in found and pattern.fullmatch(lower):
                found[word] = (written, plain)
    return list(found.values())


def flesch_douma(text: str) -> float | None:
    """The Flesch-Douma score of a text (higher is easier), or None below ``SCORE_MIN_WORDS`` words."""
    if len(words(text)) < SCORE_MIN_WORDS:
        return None
    return float(_textstat().flesch_reading_ease(text))


@functools.cache
def _textstat() -> Any:
    """textstat set to Dutch, imported on first use. textstat imports nltk when it is imported (about 0.2 s, a fifth
    of ``grenzen controleer``) for English syllables only (``get_cmudict``); Dutch ones come from Pyphen. So nltk is
    imported when textstat first touches it, if ever (``_LaterNltk``)."""
    later = "nltk" not in sys.modules
    if later:
        sys.modules["nltk"] = _LaterNltk("nltk")
    try:
        import textstat  # type: ignore[import-untyped]
    finally:
        if later and isinstance(sys.modules.get("nltk"), _LaterNltk):
            del sys.modules["nltk"]  # whoever imports nltk next gets nltk itself
    textstat.set_lang("nl")
    _lazy_hyphenation("nl")
    return textstat


def _lazy_hyphenation(lang: str) -> None:
    """Pyphen's patterns for ``lang`` parsed when a word needs them (``lazy_hyph_dict``), for every ``Pyphen`` of the
    language that is made after this (textstat makes one at its first syllable), unless one was made already."""
    import pyphen  # type: ignore[import-untyped]

    path = pyphen.LANGUAGES[pyphen.language_fallback(lang)]
    if path not in pyphen.hdcache:
        pyphen.hdcache[path] = lazy_hyph_dict(path)


def lazy_hyph_dict(path: Path) -> Any:
    """A ``pyphen.HyphDict`` of the dictionary at ``path`` (read as ``HyphDict.__init__`` reads it) whose patterns
    are parsed as words need them (``_LazyPatterns``); its ``positions`` are ``HyphDict``'s own."""
    import pyphen

    with path.open("rb") as fd:
        encoding = fd.readline().decode()
    if encoding.lower() == "microsoft-cp1251":
        encoding = "cp1251"
    found = pyphen.HyphDict.__new__(pyphen.HyphDict)
    found.patterns = _LazyPatterns(path.read_text(encoding).split("\n")[1:])
    found.cache = {}
    found.maxlen = found.patterns.longest
    return found


class _LazyPatterns:
    """Pyphen's ``HyphDict.patterns`` (pattern letters -> (start, values)), each pattern parsed at its first lookup.

    ``HyphDict`` parses all of a dictionary's patterns when it is made (about 16,000 for Dutch: 0.12 s, more than
    the syllables of every text ``controleer`` scores), while a word looks up a few dozen. Here a line is only
    filed under its letters (the pattern without its digits) and parsed as ``HyphDict.__init__`` parses it when
    asked; of lines with the same letters the last one that ``HyphDict`` keeps wins, as there.
    ``tests/test_readability_pyphen.py`` compares every entry with ``HyphDict``'s."""

    def __init__(self, lines: list[str]) -> None:
        import pyphen

        self._parsed: dict[str, tuple[int, tuple[int, ...]] | None] = {}
        self._lines: dict[str, list[str]] = {}
        kept = [line for line in map(str.strip, lines) if line and not line.startswith(pyphen.ignored)]
        # the letters of a plain line (ASCII, no '^^' or '/') are the line without digits: all at once, then the
        # others one by one
        keys = "\n".join(kept).encode().translate(None, b"0123456789").decode().split("\n")  # UTF-8: a digit is a byte
        for at in [at for at, line in enumerate(kept) if not line.isascii() or "^^" in line or "/" in line]:
            keys[at] = _letters(kept[at])
        for letters, line in zip(keys, kept, strict=True):
            self._lines.setdefault(letters, []).append(line)
        self.longest = max(map(len, self._lines), default=0)

    def get(self, letters: str) -> tuple[int, tuple[int, ...]] | None:
        if letters in self._parsed:
            return self._parsed[letters]
        found = None
        for line in reversed(self._lines.get(letters, ())):
            found = _pattern(line)
            if found is not None:
                break
        self._parsed[letters] = found
        return found


_DIGITS = str.maketrans("", "", "0123456789")


def _letters(line: str) -> str:
    """The letters a pattern line is filed under in ``HyphDict.patterns`` (its key)."""
    import pyphen

    if "^^" in line:
        line = pyphen.parse_hex(lambda match: chr(int(match.group(1), 16)), line)
    if "/" in line and "=" in line:
        line = line.split("/", 1)[0]
    if line.isascii():
        return line.translate(_DIGITS)
    return "".join(tag for _, tag in pyphen.parse(line))


def _pattern(line: str) -> tuple[int, tuple[int, ...]] | None:
    """What ``HyphDict.__init__`` stores for one pattern line, or None when it skips the line (only zeros)."""
    import pyphen

    pattern = pyphen.parse_hex(lambda match: chr(int(match.group(1), 16)), line)
    factory: Any = int
    if "/" in pattern and "=" in pattern:
        pattern, alternative = pattern.split("/", 1)
        factory = pyphen.AlternativeParser(pattern, alternative)
    values = tuple(factory(i or "0") for i, _ in pyphen.parse(pattern))
    if max(values) == 0:
        return None
    start, end = 0, len(values)
    while not values[start]:
        start += 1
    while not values[end - 1]:
        end -= 1
    return start, values[start:end]




class _LaterNltk(types.ModuleType):
    """Stands in for nltk while textstat is imported; the first attribute asked imports nltk and answers from it."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get("nltk") is self:  # asked while textstat is imported
            del sys.modules["nltk"]
        return getattr(importlib.import_module("nltk"), name)
