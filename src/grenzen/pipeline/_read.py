"""Step 1 for cases: the one reader of case text.

Every channel that receives a case as text parses it here, under one set of rules: a case file or standard input
(``grenzen advies``), each line of a JSON Lines batch, each line of a ``samenhang`` history and
``Policy.advise(str | bytes)``. JSON is read with the ``json`` module (fast); other text, where YAML is allowed, with
the located YAML reader (``_yaml.read_yaml``). Either way: a text over the size cap, a text that is not UTF-8, a
duplicate key, a YAML tag or alias, a number that is not finite or has more digits than Python converts, and nesting
deeper than ``MAX_DEPTH`` are refused; a UTF-8 byte order mark is skipped. Every refusal is a ``CaseError`` on the
field ``(casus)`` with a Dutch message that quotes nothing of the text and chains no exception that holds it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .._errors import CaseError, FieldError
from ._yaml import (
    ALIASES,
    BAD_NUMBER,
    DUPLICATE,
    MAX_DEPTH,
    MAX_NODES,
    NO_TAGS,
    ODD_NUMBER,
    YamlProblem,
    byte_position,
    read_yaml,
)
from ._yaml import TOO_MANY as TOO_MANY_YAML

MAX_CASE_BYTES = 1_000_000  # one case (a file, standard input, one JSON Lines line); Policy.max_case_bytes

EMPTY = "de tekst is leeg"
NOT_UTF8 = "de tekst is geen UTF-8"
NOT_JSON = "geen geldige JSON"
NOT_OBJECT = "moet een object met velden zijn (een JSON-object of een YAML-blok)"
NOT_OBJECT_JSON = "moet een object met velden zijn (een JSON-object)"  # only JSON is read (JSON Lines, HTTP)
TOO_DEEP = "de tekst is te diep genest"
#: more values than the reader takes (``MAX_NODES``), however shallow: code ``te-diep`` as well, the one limit on size
#: within the byte cap (an integrator trial got "te diep genest" for 25,000 short lists in one list)
TOO_MANY = f"de tekst heeft te veel waarden (meer dan {MAX_NODES:_})".replace("_", ".")
_BOM = "\ufeff"


def too_large(max_bytes: int) -> str:
    """The message for a text over the cap (also used by the line readers of batch and samenhang)."""
    return f"de tekst is te groot (meer dan {max_bytes:,} bytes)".replace(",", ".")


class _Refused(Exception):
    """Raised inside the json hooks; turned into a CaseError outside any ``except`` block."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Refused(DUPLICATE)
    return result


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(BAD_NUMBER)
    return value


def _constant(text: str) -> Any:  # NaN, Infinity, -Infinity: not JSON
    raise _Refused(BAD_NUMBER)


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_float=_float, parse_constant=_constant)


def read_case_text(text: str | bytes, *, json_only: bool = False, max_bytes: int = MAX_CASE_BYTES) -> dict[str, Any]:
    """The object a case text holds (JSON, or YAML unless ``json_only``); ``CaseError`` on ``(casus)`` otherwise."""
    message = _problem(text, json_only, max_bytes)
    if isinstance(message, str):
        raise CaseError([FieldError("(casus)", message, code_of(message))])
    return message


#: The stable code of each refusal; a message ends with its refusal's text (a position may come before it).
_CODES = {EMPTY: "leeg", NOT_UTF8: "geen-utf8", NOT_JSON: "geen-geldige-json", NOT_OBJECT: "geen-object",
          NOT_OBJECT_JSON: "geen-object",
          TOO_DEEP: "te-diep", TOO_MANY: "te-diep", DUPLICATE: "dubbele-sleutel", BAD_NUMBER: "ongeldig-getal",
          ODD_NUMBER: "vreemd-getal",
          NO_TAGS: "tag", ALIASES: "anker"}


def code_of(message: str) -> str:
    """The stable code of a refusal message of this reader (``te-groot`` for the size cap)."""
    return next((code for text, code in _CODES.items() if message.endswith(text)),
                "te-groot" if message.startswith("de tekst is te groot") else "geen-geldige-yaml")


def _problem(text: str | bytes, json_only: bool, max_bytes: int) -> dict[str, Any] | str:
    """The parsed object, or the Dutch message of why there is none (never raises for any text)."""
    if len(text) > max_bytes:
        return too_large(max_bytes)
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:  # where, as for the other refusals (a case file in Latin-1: a trial)
            return _Failed(NOT_UTF8, *byte_position(raw, exc.start)).shown(raw.decode("utf-8", "replace"))
    else:
        try:
            if len(text.encode("utf-8")) > max_bytes:
                return too_large(max_bytes)
        except UnicodeEncodeError:  # a lone surrogate: no UTF-8 text can hold it
            return NOT_UTF8
    text = text.removeprefix(_BOM)
    if not text.strip():
        return EMPTY
    data = _json(text)
    if (isinstance(data, _Failed) and data.message in (NOT_JSON, DUPLICATE)
            and not (json_only and data.message == NOT_JSON)):
        located = _yaml(text)  # YAML, or where the duplicate key of a JSON text is
        if not json_only or (isinstance(located, _Failed) and located.message == DUPLICATE):
            data = located
    if isinstance(data, _Failed):
        return data.shown(text)
    beyond = _beyond_limits(data)  # first: how deep Python's json goes before a RecursionError differs per version
    if beyond:
        return beyond
    return data if isinstance(data, dict) else NOT_OBJECT_JSON if json_only else NOT_OBJECT


@dataclass(frozen=True)
class RefusedCase:
    """An item of a batch that the reader refuses on its own (``read_batch_text``): ``message`` says why, in Dutch."""

    message: str

    @property
    def code(self) -> str:
        return code_of(self.message)


def read_batch_text(text: str | bytes, *, list_key: str, max_bytes: int = MAX_CASE_BYTES) -> dict[str, Any]:
    """A JSON object whose ``list_key`` holds cases, read as ``read_case_text`` reads one case, except that what it
    refuses inside one of those cases (a duplicate key, a number that is not finite or too long, nesting deeper than
    ``MAX_DEPTH`` counted from the case) refuses only that case: it comes back as a ``RefusedCase`` in its place, and
    the other cases as they are. Anything else the reader refuses refuses the whole text, as ``read_case_text`` does
    (a batch line with a duplicate key had cost every case of its request, an acute one among them: a trial)."""
    strict = _problem(text, True, max_bytes)
    if not isinstance(strict, str):
        return strict
    code = code_of(strict)  # never past the size cap, nor for text that is empty or not JSON; bytes not UTF-8 only
    data = _lenient(text) if code in _PER_CASE or (code == "geen-utf8" and isinstance(text, bytes)) else None
    if data is None or not _outside_is_clean(data, list_key):
        raise CaseError([FieldError("(casus)", strict, code_of(strict))])
    data[list_key] = [_refusal(item) or item for item in data[list_key]]
    return data


#: The codes of what the reader may refuse inside one case of a batch, and so for that case alone.
_PER_CASE = frozenset({"dubbele-sleutel", "ongeldig-getal", "te-diep"})


class _Doubled(dict[str, Any]):
    """An object of the lenient reader that had a key twice (the last value kept, as ``dict`` keeps it)."""


@dataclass(frozen=True)
class _Bad:
    """A number the lenient reader met that the strict reader refuses, in the number's place."""

    message: str


def _lenient_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    return result if len(result) == len(pairs) else _Doubled(result)


def _lenient_float(text: str) -> Any:
    value = float(text)
    return _Bad(BAD_NUMBER) if value in (float("inf"), float("-inf")) else value


def _lenient_int(text: str) -> Any:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts
        return _Bad(BAD_NUMBER)


_LENIENT = json.JSONDecoder(object_pairs_hook=_lenient_pairs, parse_float=_lenient_float, parse_int=_lenient_int,
                            parse_constant=lambda _: _Bad(BAD_NUMBER))


def _lenient(text: str | bytes) -> dict[str, Any] | None:
    """The text as the lenient decoder reads it (the strict reader has checked its size), or None; a byte that is not
    UTF-8 is kept as a lone surrogate (``surrogateescape``): inside a string, ``_marked`` finds it in its case."""
    try:
        decoded = text.decode("utf-8", "surrogateescape") if isinstance(text, bytes) else text
        data = _LENIENT.decode(decoded.removeprefix(_BOM))
    except (ValueError, RecursionError):  # not JSON at all (a bad byte outside a string, too), or nested past what
        return None  # Python's json reads: the whole text is refused
    return data if isinstance(data, dict) else None


def _outside_is_clean(data: dict[str, Any], list_key: str) -> bool:
    """Does ``data`` hold its cases as a list, with nothing refused outside them and within the reader's limits?"""
    cases = data.get(list_key)
    return type(data) is dict and isinstance(cases, list) and _marked([data.keys(), *(
        v for k, v in data.items() if k != list_key)]) is None


def _refusal(item: Any) -> RefusedCase | None:
    """Why the strict reader would refuse this case (as the text of a case of its own), or None."""
    found = _marked([item])
    if found is not None:
        return RefusedCase(found)
    beyond = _beyond_limits(item)
    return None if beyond is None else RefusedCase(beyond)


def _marked(values: Any) -> str | None:
    """The message of the first refused value in ``values`` and the containers under them (keys included), or
    None."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _ESCAPED_BYTE(value):
                return NOT_UTF8
        elif isinstance(value, _Bad):
            return value.message
        elif isinstance(value, _Doubled):
            return DUPLICATE
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, type({}.keys()))):
            stack.extend(value)
    return None


#: A byte that is not UTF-8, as ``surrogateescape`` keeps it (``_lenient``).
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]").search


class _Failed:
    """Why a text did not parse, and where when the parser knows it."""

    def __init__(self, message: str, line: int | None = None, column: int = 1) -> None:
        self.message, self.line, self.column = message, line, column

    def shown(self, text: str) -> str:
        if self.line is None:
            return self.message
        where = f"regel {self.line}, kolom {self.column}" if "\n" in text.rstrip("\r\n") else f"kolom {self.column}"
        return f"{where}: {self.message}"


def _json(text: str) -> Any:
    try:
        return _DECODER.decode(text)
    except _Refused as exc:
        return _Failed(exc.message)
    except json.JSONDecodeError as exc:
        return _Failed(NOT_JSON, exc.lineno, exc.colno)
    except RecursionError:
        return _Failed(TOO_DEEP)
    except ValueError:  # an integer with more digits than Python converts
        return _Failed(BAD_NUMBER)


def _yaml(text: str) -> Any:
    try:
        return read_yaml(text).data
    except YamlProblem as exc:
        if exc.code == "te-diep-of-te-groot":  # the same limits as for JSON, said as for JSON (code te-diep)
            return _Failed(TOO_MANY if exc.message == TOO_MANY_YAML else TOO_DEEP)
        return _Failed(exc.message, exc.line, exc.column)
    except RecursionError:
        return _Failed(TOO_DEEP)


def _beyond_limits(data: Any) -> str | None:
    """The YAML reader's limits on JSON results: no value deeper than ``MAX_DEPTH`` (the whole text is depth 0), at most
    ``MAX_NODES`` values in all; the message of the one passed (``TOO_DEEP``, ``TOO_MANY``), else None. Without
    recursion, and visiting only the containers (the hot path of a batch line)."""
    stack: list[tuple[Any, int]] = [(data, 0)] if isinstance(data, (dict, list)) else []
    nodes = 1
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if not children:
            continue
        nodes += len(children)
        if depth >= MAX_DEPTH:  # its children are at depth + 1
            return TOO_DEEP
        if nodes > MAX_NODES:
            return TOO_MANY
        for item in children:
            if isinstance(item, (dict, list)):
                stack.append((item, depth + 1))
    return None
