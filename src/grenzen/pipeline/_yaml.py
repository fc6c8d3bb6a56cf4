"""Safe YAML reading that keeps line and column numbers.

PyYAML's composer (libyaml when available) gives us nodes with positions; we build plain Python
data ourselves so that we can refuse what a policy file must never contain: aliases (no "billion
laughs": an alias is a node we meet twice, refused before anything is expanded), tags that
construct objects, non-string keys and duplicate keys (a duplicate would silently drop a rule).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

MAX_DEPTH = 60
MAX_NODES = 200_000
BAD_NUMBER = "dit getal is te groot of geen gewoon getal"
ODD_NUMBER = "schrijf dit getal gewoon uit, zonder voorloopnul, 0x, 0b, '_' of ':'"
_INT = "tag:yaml.org,2002:int"
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_SCALAR_NODE, _SEQUENCE_NODE = yaml.ScalarNode, yaml.SequenceNode  # the composer makes these classes, no subclasses


@dataclass
class Located:
    """Plain data plus the (line, column) of every node, both 1-based."""

    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    constructor: yaml.constructor.SafeConstructor = field(
        default_factory=yaml.constructor.SafeConstructor, repr=False
    )

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Position of the deepest known node on ``path``."""
        table = self.key_positions if key else self.positions
        for end in range(len(path), -1, -1):
            prefix = tuple(path[:end])
            if prefix in table:
                return table[prefix]
            if prefix in self.positions:
                return self.positions[prefix]
        return (1, 1)


class YamlProblem(Exception):
    """A YAML text that cannot be read; message in Dutch, with position.

    ``named``: the message with the text it is about (a key), only when the reader was asked to name keys (the policy's
    own files; a case's keys may hold a name and are never put in a message, ``read_yaml``)."""

    def __init__(self, message: str, line: int, column: int, code: str = "geen-geldige-yaml",
                 named: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.code = code  # stable, as Problem.code
        self.named = named


_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:float",
}


#: a text past the reader's limits (code ``te-diep-of-te-groot``): nested deeper than ``MAX_DEPTH``, or more than
#: ``MAX_NODES`` values
TOO_DEEP = "het bestand is te diep genest; splits het op"
TOO_MANY = "het bestand heeft te veel waarden; splits het op"
#: a key written twice in one block (for a case: never which key, see ``YamlProblem.named``)
DUPLICATE = "deze sleutel staat twee keer in hetzelfde blok; voeg ze samen"


def _clipped(text: str, most: int = 40) -> str:
    """``text`` on one line and at most ``most`` characters, for a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= most else flat[:most - 1] + "…"


def _pos(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


# Messages never quote the text itself: the same reader parses cases, whose content must not be echoed.
NO_TAGS = "YAML-tags (!...) zijn niet toegestaan; schrijf de waarde gewoon uit"
ALIASES = "ankers en verwijzingen (& en *) zijn niet toegestaan; schrijf de waarde uit"
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: ~10x faster


class _Implicit(str):
    """A tag the loader's resolver gave a node written without one (``_Loader``); a tag written in the text (``!!str``,
    ``!!map``, ``!``, ``!foo``) arrives as a plain ``str``, even where it names the tag the node would have had."""

    __slots__ = ()


#: The implicit resolvers of PyYAML's ``Resolver`` (YAML 1.1: bool, int, float, null, timestamp, ...) by the first
#: character of a plain scalar, as ``Resolver.resolve`` looks them up ('' for the empty scalar; None: any character).
_RESOLVERS = {first: tuple((_Implicit(tag), regexp) for tag, regexp in resolvers)
              for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()}
_WILDCARD = _RESOLVERS.pop(None, ())
_BY_FIRST = {first: (*resolvers, *_WILDCARD) for first, resolvers in _RESOLVERS.items()}


class _Loader(_BASE_LOADER):  # type: ignore[misc]
    """The safe loader with ``Resolver.resolve`` for a policy's files: the same tags (it has no path resolvers), as
    ``_Implicit`` for a plain scalar without a tag, so that ``_scalar`` need not work the implicit tag out again;
    about 7,500 calls for the default policy."""

    def resolve(self, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:  # quoted (False, True); written with the non-specific tag "!": (False, False)
                return _IMPLICIT_STR if implicit[1] else _STR
            for tag, regexp in _BY_FIRST.get(value[:1], _WILDCARD):
                if regexp.match(value):
                    return _IMPLICIT_STR if tag == _BOOL and value.lower() not in _BOOLEANS else tag
            return _IMPLICIT_STR
        return _IMPLICIT_SEQ if kind is yaml.SequenceNode else _IMPLICIT_MAP


_IMPLICIT_STR, _IMPLICIT_SEQ, _IMPLICIT_MAP = _Implicit(_STR), _Implicit(_SEQ), _Implicit(_MAP)
_BOOL = "tag:yaml.org,2002:bool"
#: The words YAML 1.2 reads as true and false. YAML 1.1 (PyYAML) also reads yes, no, on and off so; here they
#: stay text, as in a JSON Schema aware editor: a ja/nee field then says "moet ja of nee zijn" (a trial wrote
#: ``veiligheid: on`` and ``yes``, which loaded although the guide says ja or nee).
_BOOLEANS = frozenset({"true", "false"})


def _explained(exc: yaml.MarkedYAMLError, text: str) -> tuple[str, int, int] | None:
    """The mistakes a writer makes most, said where the writer must look (1-based line and column): a quoted text or
    a list or block in brackets left open (where it opens: the end of the file, where the parser noticed, says
    nothing), a colon in a text that should have been quoted, a key indented too far (or the line above it too little),
    a tab. None: another error."""
    context, problem = str(exc.context), str(exc.problem)
    opened, mark = exc.context_mark, exc.problem_mark
    if "mapping values are not allowed" in problem and mark is not None:
        lines = text.splitlines()
        line = lines[mark.line] if mark.line < len(lines) else ""
        if ": " in line[:mark.column]:  # 'titel: Licht signaal: de mentor …'
            return ("dit is geen geldige YAML: hier staat een tweede dubbele punt in een waarde; zet de hele tekst "
                    "tussen aanhalingstekens (\"…\")", mark.line + 1, mark.column + 1)
        indent = len(line) - len(line.lstrip(" "))
        above = next((n for n in range(mark.line - 1, -1, -1) if lines[n].strip() and not lines[n].lstrip().startswith(
            "#")), None)  # the line with the value: it may be the one indented too little ('    urgentie: vandaag')
        where = f" (regel {above + 1}, die al een waarde heeft)" if above is not None else ""
        return (f"dit is geen geldige YAML: deze sleutel staat verder ingesprongen dan de regel erboven{where}; zet "
                "beide even ver in als de sleutels waar ze bij horen", mark.line + 1, indent + 1)
    if ("tab" in problem or "cannot start any token" in problem) and mark is not None and \
            text[mark.index:mark.index + 1] == "\t":
        return ("dit is geen geldige YAML: hier staat een tab; spring in met spaties, niet met tabs", mark.line + 1,
                mark.column + 1)
    if opened is None:
        return None
    if "quoted scalar" in context and "end of stream" in problem:
        left = "een tekst tussen aanhalingstekens die nergens wordt afgesloten"
        fix = "zet aan het eind van de tekst hetzelfde teken (\" of ')"
    elif "flow sequence" in context and "did not find expected" in problem:
        left, fix = "een lijst met '[' die niet goed wordt afgesloten", "zet een komma tussen de items en ']' erna"
    elif "flow mapping" in context and "did not find expected" in problem:
        left, fix = "een blok met '{' dat niet goed wordt afgesloten", "zet een komma tussen de delen en '}' erna"
    else:
        return None
    return f"dit is geen geldige YAML: hier begint {left}; {fix}", opened.line + 1, opened.column + 1


def read_yaml(text: str, name_keys: bool = False) -> Located:
    """Parse one YAML document into plain data with positions; ``name_keys``: a problem with a key names it
    (``YamlProblem.named``; for the policy's own files, never for a case)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if "single document" in str(exc.context):
            raise YamlProblem("een bestand mag maar één YAML-document bevatten (verwijder '---')", line, col,
                              "meer-documenten") from None
        explained = _explained(exc, text)
        if explained:
            raise YamlProblem(*explained) from None
        raise YamlProblem(
            "dit is geen geldige YAML; controleer hier de inspringing, dubbele punten en aanhalingstekens", line, col
        ) from None
    except yaml.YAMLError:
        raise YamlProblem("dit is geen geldige YAML (onleesbare tekens?)", 1, 1, "onleesbaar") from None
    located = Located(data=None)
    if node is None:
        return located
    # an alias needs a '*' in the text: without one, no node can be met twice and the walk need not look
    # an anchor, and the non-specific tag "!", leave no trace in the node: they are found in the text, where it starts
    marked = "!" in text or "&" in text
    located.data = _Builder(located, aliases="*" in text, text=text if marked else None,
                            name_keys=name_keys).walk(node, (), 0)
    return located


class _Builder:
    """Plain data from a composed document, with the position of every node and key (``Located``)."""

    def __init__(self, out: Located, aliases: bool, text: str | None = None, name_keys: bool = False) -> None:
        self.out, self.aliases, self.text, self.name_keys = out, aliases, text, name_keys
        self.positions, self.key_positions = out.positions, out.key_positions
        self.seen: set[int] = set()

    def walk(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        if self.aliases:
            if id(node) in self.seen:  # the composer shares the node of an anchor with every alias to it
                raise YamlProblem(ALIASES, *_pos(node), "anker")
            self.seen.add(id(node))
        self._refuse_marks(node)
        mark = node.start_mark
        where = (mark.line + 1, mark.column + 1)
        positions = self.positions
        positions[path] = where  # one entry per node: the count of nodes so far
        if depth > MAX_DEPTH or len(positions) > MAX_NODES:
            raise YamlProblem(TOO_DEEP if depth > MAX_DEPTH else TOO_MANY, *where, "te-diep-of-te-groot")
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node, where, self.out)
        depth += 1
        if type(node) is _SEQUENCE_NODE:
            return [self.walk(item, (*path, i), depth) for i, item in enumerate(node.value)]
        result: dict[str, Any] = {}
        key_positions = self.key_positions
        for key_node, value_node in node.value:
            if type(key_node) is _SCALAR_NODE:
                self._refuse_marks(key_node)
            if type(key_node) is not _SCALAR_NODE or key_node.tag != _STR:
                raise YamlProblem("een sleutel moet tekst zijn", *_pos(key_node), "sleutel-geen-tekst")
            key = key_node.value
            if key in result:
                named = (f"de sleutel '{_clipped(key)}' staat twee keer in hetzelfde blok (eerst op regel "
                         f"{key_positions[(*path, key)][0]}); houd er één over, of voeg ze samen"
                         if self.name_keys else None)
                raise YamlProblem(DUPLICATE, *_pos(key_node), "dubbele-sleutel", named)
            sub = (*path, key)
            key_positions[sub] = _pos(key_node)
            result[key] = self.walk(value_node, sub, depth)
        return result

    def _refuse_marks(self, node: yaml.Node) -> None:
        """Refuse a tag or an anchor written on ``node``: its tag is not the one the loader gave it (``_Implicit``; also
        a tag that names that same one: !!str x, !!map {}), or its text starts with '!' or '&' (a plain scalar never
        does; the non-specific tag '!' and an anchor leave no other trace in the node)."""
        index = node.start_mark.index
        first = self.text[index:index + 1] if self.text is not None else ""
        if first == "&":
            raise YamlProblem(ALIASES, *_pos(node), "anker")
        if first == "!" or type(node.tag) is not _Implicit:
            raise YamlProblem(NO_TAGS, *_pos(node), "tag")


def _scalar(node: yaml.ScalarNode, where: tuple[int, int], out: Located) -> Any:
    """A scalar as JSON would have it: no explicit tags, decimal integers, finite numbers; other text as text."""
    tag, value = node.tag, node.value  # the tag the loader gave it (``_Builder._refuse_marks`` refused any other)
    if tag == _STR or tag not in _SCALAR_TAGS:  # text; a date, '=': kept as the text it is, as JSON would have it
        return value
    if tag == _INT:
        if not _DECIMAL.fullmatch(value):  # YAML 1.1 reads 017 as 15, 1:30 as 90
            raise YamlProblem(ODD_NUMBER, *where, "vreemd-getal")
        try:
            return int(value)  # what PyYAML's constructor gives for a decimal integer
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise YamlProblem(BAD_NUMBER, *where, "ongeldig-getal") from None
    constructed = out.constructor.construct_object(node)  # null, bool, float
    if isinstance(constructed, float) and not math.isfinite(constructed):  # .nan, .inf, 1.0e+400
        raise YamlProblem(BAD_NUMBER, *where, "ongeldig-getal")
    return constructed


def byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """Line and column (from 1; the column in characters, as the text before it reads) of byte ``offset`` of ``raw``:
    where a text stops being UTF-8."""
    start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, len(raw[start:offset].decode("utf-8", "replace")) + 1
