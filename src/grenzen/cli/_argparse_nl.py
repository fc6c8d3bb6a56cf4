"""argparse in Dutch: the parser's own texts (usage, help, errors) for the people who use grenzen.

Why this module exists: argparse writes its own texts in English ("usage:", "options", "the following arguments
are required", "invalid choice", "error"), and the users of grenzen (mentors, zorgteams, the school's policy
writers) read Dutch. Every message grenzen writes itself is Dutch; a mistyped option should not be the one
English line they meet.

How: argparse looks each of its texts up through its module global ``_`` (gettext) at the moment it needs one:
when a parser is built, when help is formatted and when an error is reported. ``parse_in_dutch`` builds the
parser and parses while that ``_`` is replaced by a lookup in ``DUTCH`` which answers in Dutch to the calling
thread only; other threads keep argparse's own texts, and a lock keeps concurrent calls from restoring each
other's replacement. A text missing from ``DUTCH`` (a new Python version may add one) stays English: it degrades,
it does not break. ``whole_number`` is an argparse type with a Dutch message of its own.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Sequence

#: argparse's English texts (exactly as argparse passes them to ``_``) and their Dutch.
DUTCH = {
    "usage: ": "gebruik: ",
    "positional arguments": "argumenten",
    "options": "opties",
    "show this help message and exit": "toon deze hulp en stop",
    "the following arguments are required: %s": "deze argumenten ontbreken: %s",
    "unrecognized arguments: %s": "onbekende argumenten: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ongeldige keuze: %(value)r (kies uit %(choices)s)",
    "expected one argument": "verwacht één waarde",
    "expected at most one argument": "verwacht hoogstens één waarde",
    "expected at least one argument": "verwacht minstens één waarde",
    "ignored explicit argument %r": "overbodige waarde %r",
    "ambiguous option: %(option)s could match %(matches)s": "dubbelzinnige optie: %(option)s kan %(matches)s zijn",
    "argument %(argument_name)s: %(message)s": "bij %(argument_name)s: %(message)s",
    "invalid %(type)s value: %(value)r": "ongeldige waarde %(value)r: verwacht een getal",  # only int/float types
    "%(prog)s: error: %(message)s\n": "%(prog)s: fout: %(message)s\n",
}
_LOCK = threading.Lock()


def parse_in_dutch(build: Callable[[], argparse.ArgumentParser], argv: Sequence[str] | None) -> argparse.Namespace:
    """Build the parser with ``build`` and parse ``argv``, with argparse's own texts in Dutch for this thread."""
    me = threading.get_ident()
    with _LOCK:
        # argparse._ is argparse's module-level gettext alias; typeshed leaves that private name out, hence the ignores
        original: Callable[[str], str] = argparse._  # type: ignore[attr-defined]

        def dutch(text: str) -> str:
            return DUTCH.get(text, text) if threading.get_ident() == me else original(text)

        argparse._ = dutch  # type: ignore[attr-defined]
        try:
            return build().parse_args(argv)
        finally:
            argparse._ = original  # type: ignore[attr-defined]


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, with a Dutch message otherwise."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"moet een geheel getal van {low} tot en met {high} zijn")
        return value

    return parse
