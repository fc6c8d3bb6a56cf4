"""Reasons a policy writer gives as comments in a rule file, on a key's line or the comment lines directly above it:
``# leesbaarheid: <reden>`` (a hard text kept on purpose), ``# ook bij gevaar: <reden>`` (an absolute rule that
keeps a task or steps at the mentor in danger) and, in a vocabulary, ``# geen gevaar: <reden>`` (a kind that shares
words with a safety kind, but is none). The YAML reader drops comments, so the files are read again."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..pipeline._load import LoadedRule

#: The comment that gives a reason for hard language; the reason may not be empty.
JUSTIFICATION = re.compile(r"(?:^|\s)#\s*leesbaarheid\s*:\s*\S", re.IGNORECASE)
#: The reason for an absolute rule that keeps the task or steps at the mentor in danger, above its ``absoluut:``.
#: The default's older "# Ook bij gevaar blijft deze taak bij de mentor: ..." is such a reason; "# ook bij gevaar
#: niet" is none.
IN_DANGER = re.compile(r"(?:^|\s)#\s*ook bij gevaar\s*(?::\s*\S|blijft\b)", re.IGNORECASE)
#: The reason a kind without ``veiligheid: ja`` whose words are a safety kind's is no danger, above its key.
NO_DANGER = re.compile(r"(?:^|\s)#\s*geen gevaar\s*:\s*\S", re.IGNORECASE)
_COMMENT_LINE = re.compile(r"^\s*#")
_PREFIX = re.compile(r"^\s*#\s*(?:(?:ook bij|geen) gevaar\s*:)?\s*", re.IGNORECASE)


def comment_reason(lines: list[str], line: int, reason: re.Pattern[str] = JUSTIFICATION) -> str | None:
    """The text of a ``reason`` comment on this line (1-based) of a file or on the comment lines directly above it,
    with the comment lines between it and the key (a reason written over several lines); None without one."""
    if not 1 <= line <= len(lines):
        return None
    found = reason.search(lines[line - 1])
    if found:  # after the key, on its own line
        return _text(lines[line - 1][found.start():])
    above = line - 2
    while above >= 0 and _COMMENT_LINE.match(lines[above]):
        if reason.search(lines[above]):
            return " ".join(_text(text) for text in lines[above:line - 1])
        above -= 1
    return None


def _text(comment: str) -> str:
    """A comment without its ``#`` and a leading ``ook bij gevaar:`` or ``geen gevaar:``."""
    return _PREFIX.sub("", comment).strip()


def justified(lines: list[str], line: int, reason: re.Pattern[str] = JUSTIFICATION) -> bool:
    """Does a ``# leesbaarheid: <reden>`` comment (or another ``reason``) stand on this line (1-based) of a file, or on
    the comment lines directly above it?"""
    return comment_reason(lines, line, reason) is not None


def lines_of(path: Path) -> list[str]:
    """The lines of a rule file ([] if it cannot be read: then no reason is found)."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def danger_reason(item: LoadedRule, files: dict[str, list[str]] | None = None) -> str | None:
    """The reason its writer gives for an absolute rule that keeps a task or steps at the mentor in danger (``# ook
    bij gevaar: <reden>`` on or above its ``absoluut:``), or None; ``files``: lines already read, by file."""
    file = item.source or Path(item.file)
    cache = {} if files is None else files
    if str(file) not in cache:
        cache[str(file)] = lines_of(file)
    return comment_reason(cache[str(file)], item.located.where((*item.path, "absoluut"), key=True)[0], IN_DANGER)
