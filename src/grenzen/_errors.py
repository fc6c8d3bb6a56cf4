"""Error types of grenzen. Messages are Dutch; they never contain case content."""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass

#: Why a file or folder could not be read or written, in Dutch (the OS's own text is English).
OS_REASONS = {
    errno.ENOENT: "bestand of map bestaat niet",
    errno.EISDIR: "is een map",
    errno.EACCES: "geen toegang",
    errno.EPERM: "geen toegang",
    errno.ENOTDIR: "een deel van het pad is geen map",
    errno.ENOSPC: "de schijf is vol",
    errno.EROFS: "hier mag niets geschreven worden",
    errno.ENAMETOOLONG: "de naam is te lang",
    errno.EEXIST: "die bestaat al",
    errno.EADDRINUSE: "dit adres en deze poort zijn al in gebruik",
    errno.EADDRNOTAVAIL: "dit adres hoort niet bij deze computer",
}


def os_reason(exc: OSError) -> str:
    """Why ``exc`` happened, in Dutch (``OS_REASONS``; "onbekende fout" for anything else)."""
    return OS_REASONS.get(exc.errno or 0, "onbekende fout")


MAX_SUGGESTED = 64  # longer names get no "bedoel je ...?": difflib's cost grows with the name's length
MIN_PREFIX = 4  # a name this long or longer that starts one option only gets that option as its hint


def closest(name: str, options: Iterable[str]) -> str | None:
    """The option a misspelt ``name`` most likely meant, for a "bedoel je ...?" hint; None if none is close."""
    if len(name) > MAX_SUGGESTED:
        return None
    import difflib  # only when a name is unknown: not every run pays for the import

    options = list(options)
    matches = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    # the start of one name, too short for difflib ('huiswerk' for 'huiswerkbegeleiding': a trial got no hint)
    starting = [option for option in options if len(name) >= MIN_PREFIX and option.startswith(name)]
    return starting[0] if len(starting) == 1 else None


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a rules directory, located by file, line and column (line 0: the file or folder as a whole)."""

    file: str
    line: int
    column: int
    message: str
    fix: str = ""
    rule: str | None = None
    #: A stable machine code for the kind of problem (e.g. ``onbekende-sleutel``, ``dubbele-sleutel``): test and
    #: act on this, not on the Dutch message, which may be reworded.
    code: str = ""

    def __str__(self) -> str:
        # line 0: a problem of a whole file or folder (it is missing, or not read): no place in it to point at
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        rule = f" regel '{self.rule}':" if self.rule else ""
        fix = f" Oplossing: {self.fix}" if self.fix else ""
        return f"{where}:{rule} {self.message}.{fix}"


class GrenzenError(Exception):
    """Base class of every error grenzen raises on purpose."""


class PolicyError(GrenzenError):
    """A rules directory that cannot be loaded; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        lines = "\n".join(str(p) for p in self.problems)
        count = len(self.problems)
        noun = "probleem" if count == 1 else "problemen"
        super().__init__(f"Het beleid kan niet geladen worden ({count} {noun}):\n{lines}")


@dataclass(frozen=True)
class FieldError:
    """One invalid field of a case: its path (e.g. ``signalen.0.soort``) and what is wrong (``message``: never
    anything of the value sent, so safe to log). ``hint``: "bedoel je 'suicidaal_plan'?", the vocabulary's name
    closest to the value sent: it tells what the case is about, so it is for whoever sent it, never for a log (an
    integrator trial: 'SUICIDAAL_PLAN' was refused with the hint in the message that the docs called safe to log)."""

    field: str
    message: str
    code: str = ""  # a stable machine code (e.g. ``verplicht-veld-ontbreekt``), as ``Problem.code``
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"  # without the hint: safe to log

    @property
    def text(self) -> str:
        """The message with its hint, for the one who sent the case (the command line, the web page); never a log."""
        return f"{self.message}; {self.hint}" if self.hint else self.message

    def as_json(self) -> dict[str, str]:
        """The error item of JSON Lines mode and the HTTP API: ``{"veld", "melding", "code"}``, and ``"suggestie"``
        with a hint."""
        item = {"veld": self.field, "melding": self.message, "code": self.code}
        if self.hint:
            item["suggestie"] = self.hint
        return item


#: what an error object says when there is no advice: never "mentor", always the zorgteam
NO_ADVICE = "geen advies — leg de casus voor aan het zorgteam"


def engine_failure(exc: Exception) -> FieldError:
    """The error item of a case the engine failed on (``EngineError``), in every channel that writes JSON."""
    return FieldError("(engine)", f"{exc}; {NO_ADVICE}", "engine")


class CaseError(GrenzenError, ValueError):
    """A case that does not fit the contract or the policy's vocabulary. Names fields, never values."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(f"De casus is ongeldig:\n{lines}")

    def with_hints(self) -> str:
        """The message with each error's hint ("bedoel je …?"), for the one who sent the case; ``str`` leaves the
        hints out (they say what the case is about), so it is safe to log."""
        return "De casus is ongeldig:\n" + "\n".join(f"  {e.field}: {e.text}" for e in self.errors)


class EngineError(GrenzenError, RuntimeError):
    """The rule engine failed on one case. No advice is given; the policy stays usable."""
