"""Step 1, load: read a rules directory into typed rule files, reporting every problem in Dutch."""

from __future__ import annotations

import hashlib
import re
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .._errors import Problem, closest
from .._models import KIND_PATTERN
from .._translate import context, did_you_mean, fill, plain_name, wording
from ._rulefile import RULE_ID_PATTERN, Afspraken, Regel, ThemaKop, Voorwaarde, Woordenlijst
from ._yaml import Located, YamlProblem, byte_position, read_yaml

VOCABULARY_FILE = "woordenlijst.yaml"
AGREEMENTS_FILE = "afspraken.yaml"
EXAMPLES_DIR = "voorbeelden"
LAYER_FILE = "laag.yaml"  # marks a school overlay (see _layers)
MAX_FILE_BYTES = 2_000_000
YAML_SUFFIXES = (".yaml", ".yml")
#: The key a file of this name starts with (theme files: ``thema``), for the message when a file is no mapping.
FIRST_KEY = {VOCABULARY_FILE: "naam", AGREEMENTS_FILE: "bestemmingen", LAYER_FILE: "naam"}
#: Condition keys that take one name or a list of names (``_rulefile._one_or_many``).
ONE_OR_MANY = frozenset({"soort", "behalve_soort", "groep", "taak", "scholing", "effect"})

M = TypeVar("M", bound=BaseModel)


@dataclass
class LoadedRule:
    """A rule with where it stands."""

    rule: Regel
    file: str
    theme: str
    line: int
    column: int
    located: Located = field(repr=False)
    path: tuple[str | int, ...] = ()
    source: Path | None = None  # the file itself (``file`` is how messages show it: ``standaard/...`` under a layer)


@dataclass
class Source:
    """Everything read from one rules directory."""

    directory: Path
    version: str
    digest: str = ""  # digest_of(directory); empty for a layered source
    vocabulary: Woordenlijst | None = None
    agreements: Afspraken = field(default_factory=Afspraken)
    rules: list[LoadedRule] = field(default_factory=list)
    themes: dict[str, str] = field(default_factory=dict)  # file -> theme title
    problems: list[Problem] = field(default_factory=list)
    broken_ids: set[str] = field(default_factory=set)  # ids of rules that did not parse
    #: a theme file could not be read (or its header did not parse): the ids of its rules are not known, so a reference
    #: to a rule not found is not reported (it may be in that file, and the file's own problem comes first)
    unread_rules: bool = False
    layers: list[Any] = field(default_factory=list)  # BeleidInfo per layer of an overlay policy (see _layers)
    rule_layers: dict[str, str] = field(default_factory=dict)  # rule id -> layer label, for overlay policies
    agreements_file: str | None = None  # the afspraken.yaml in use (None: the directory has none)
    agreements_located: Located | None = field(default=None, repr=False)
    #: an afspraken.yaml could not be read or did not parse: its own problems are reported, and what rules name in it
    #: (destinations, who gives consent) is not checked against an empty one (a typo there gave 200 more problems)
    agreements_unread: bool = False
    #: the signal kinds of the full policy at the bottom of a layered one: they loaded with it, and an overlay's safety
    #: kind beside one of them (``Agressie (ernstig)`` beside ``Agressie``) is no look-alike of it (``_validate``)
    base_kinds: frozenset[str] = frozenset()
    #: each policy file's bytes as read, by name (None: could not be read): ``digest`` is of these, and nothing reads
    #: the files again (``_layers`` reads laag.yaml from here)
    raws: dict[str, bytes | None] = field(default_factory=dict, repr=False)


def rule_files(directory: Path) -> list[Path]:
    """The YAML files of a rules directory that make up the policy, in a stable order."""
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in YAML_SUFFIXES)


def unread_files(directory: Path, policy_folder: bool = True) -> list[Problem]:
    """Files in a rules directory that look meant for the policy but that ``rule_files`` does not read: a name ending
    in ``.YAML`` or ``.yaml.txt`` (Notepad adds ``.txt``), a link to a file that is not there, a subfolder other than
    ``voorbeelden`` with YAML files. Each is a problem: a rule file quietly left out changes the policy without a word
    (a trial saw only "regel bestaat niet" about the rules in it, no hint that the file was not read)."""
    problems: list[Problem] = []
    folder = shown_path(directory)  # a link is named by its own name, not by where it points (shown_path resolves)
    for path in sorted(directory.iterdir()):
        if path.name.startswith("."):
            continue  # hidden: an editor's or git's own files
        shown = str(Path(folder) / path.name)
        if path.is_dir():
            if path.name != EXAMPLES_DIR and _has_yaml(path):
                problems.append(_unread_folder(shown, path.name, policy_folder))
            continue
        meant = _meant_name(path.name)
        if not path.exists() and path.suffix.lower() in YAML_SUFFIXES:  # a link to nothing
            problems.append(Problem(
                shown, 0, 0, "dit bestand wordt niet gelezen: het is een koppeling naar een bestand dat er niet is",
                "zet het bestand zelf in de beleidsmap of herstel de koppeling", code="niet-gelezen"))
        elif meant:
            ending = path.name[len(meant) - len(Path(meant).suffix):]
            fix = (f"hernoem het naar '{meant}': grenzen leest alleen namen die eindigen op .yaml of .yml, in kleine "
                   "letters") if not (directory / meant).exists() else (
                   f"'{meant}' staat er al: is dit een oude kopie, haal hem dan uit de beleidsmap")
            problems.append(Problem(shown, 0, 0, f"dit bestand wordt niet gelezen: de naam eindigt op '{ending}'", fix,
                                    code="niet-gelezen"))
    return problems


def _unread_folder(shown: str, name: str, policy_folder: bool) -> Problem:
    """A subfolder with YAML files that is not read: of the policy folder (``voorbeelden`` is read, ``Voorbeelden`` is
    not: a trial), or of ``voorbeelden`` itself (``policy_folder`` False: examples are read from it, not below it)."""
    if not policy_folder:
        where, fix = f"'{EXAMPLES_DIR}'", f"zet de voorbeeldbestanden direct in '{EXAMPLES_DIR}'"
    elif name.lower() == EXAMPLES_DIR:
        where, fix = "de beleidsmap", f"hernoem de map naar '{EXAMPLES_DIR}', in kleine letters"
    else:
        where, fix = "de beleidsmap", (f"zet de regelbestanden direct in de beleidsmap; alleen '{EXAMPLES_DIR}' mag "
                                       "een submap met YAML-bestanden zijn")
    return Problem(shown, 0, 0, f"deze submap wordt niet gelezen: grenzen leest alleen de bestanden die direct in "
                   f"{where} staan", fix, code="niet-gelezen")


def _meant_name(name: str) -> str:
    """The name a file was meant to have when it is a YAML file under a name ``rule_files`` skips (``Online.YAML``,
    ``online.yaml.txt``: ``Online.yaml``, ``online.yaml``), else ``""``."""
    base = name[:-4] if name.lower().endswith(".txt") else name
    suffix = Path(base).suffix
    if suffix.lower() not in YAML_SUFFIXES or base == name and suffix in YAML_SUFFIXES:
        return ""
    return base[:len(base) - len(suffix)] + suffix.lower()


def _has_yaml(folder: Path) -> bool:
    try:
        return any(p.suffix.lower() in YAML_SUFFIXES for p in folder.iterdir())
    except OSError:  # not readable: nothing grenzen could read either
        return False


def digest_of(directory: Path) -> str:
    """The SHA-256 of the policy files' names and content, in hex (the version is its first 12 digits)."""
    return _digest({path.name: _read_capped(path) for path in rule_files(directory)})


def _digest(raws: dict[str, bytes | None]) -> str:
    """``digest_of`` over files already read (by name, in ``rule_files`` order; None: could not be read)."""
    digest = hashlib.sha256()
    for name, raw in raws.items():
        digest.update(name.encode() + b"\0")
        digest.update(raw or b"")
        digest.update(b"\0")
    return digest.hexdigest()


def _read_capped(path: Path) -> bytes | None:
    """A file's bytes, never more than ``MAX_FILE_BYTES`` + 1 (a huge file costs neither time nor memory, and is
    refused as too large); None when it cannot be read (it went away, or may not be read)."""
    try:
        with path.open("rb") as file:
            return file.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None


def is_overlay(directory: Path) -> bool:
    """A school overlay: ``laag.yaml`` instead of ``woordenlijst.yaml`` (see ``_layers``)."""
    return (directory / LAYER_FILE).is_file() and not (directory / VOCABULARY_FILE).is_file()


def load_source(directory: Path) -> Source:
    """Read and shape-check every file; problems are collected, not raised."""
    source = Source(directory=directory, version="")
    if not directory.is_dir():
        source.problems.append(
            Problem(str(directory), 0, 0, "dit is een bestand, geen map" if directory.exists() else
                    "deze map bestaat niet", "geef de map met regelbestanden op",
                    code="geen-map")
        )
        return source
    files = rule_files(directory)
    # each file is read once, and the version is the digest of what was read: a file saved during a reload can never
    # give the rules of one content the version of another (an integrator trial: 19 of 60 reloads did) and never the
    # version of the checked default (``CHECKED``: its load-time safety check is then skipped)
    source.raws = {path.name: _read_capped(path) for path in files}
    source.digest = _digest(source.raws)
    source.version = source.digest[:12]
    source.problems += unread_files(directory)
    overlay = is_overlay(directory)
    if (directory / LAYER_FILE).is_file() and (directory / VOCABULARY_FILE).is_file():
        # which of the two is meant is not known: reading on would read laag.yaml as a theme file (a trial, who had
        # followed "voeg ... toe aan woordenlijst.yaml" in an overlay)
        source.problems.append(Problem(
            shown_path(directory / VOCABULARY_FILE), 1, 1, f"deze map heeft zowel {LAYER_FILE} als {VOCABULARY_FILE}",
            f"is dit een schoollaag, zet dan de eigen soorten, taken en scholing in {LAYER_FILE} (onder "
            f"'signalen:', 'taken:' en 'scholing:') en haal {VOCABULARY_FILE} weg; is het een volledig beleid, haal "
            f"dan {LAYER_FILE} weg", code="laag-en-woordenlijst"))
        return source
    misnamed = {_meant_name(p.name) for p in directory.iterdir()}  # laag.yaml.txt: not read, and said so above
    if VOCABULARY_FILE not in [p.name for p in files] and not overlay and misnamed.isdisjoint({VOCABULARY_FILE,
                                                                                               LAYER_FILE}):
        source.problems.append(
            Problem(
                str(directory / VOCABULARY_FILE),
                0,
                0,
                "de woordenlijst ontbreekt",
                f"maak {VOCABULARY_FILE} met naam, signalen, taken en scholing",
                code="woordenlijst-ontbreekt",
            )
        )
    for path in files:
        shown = shown_path(path)
        if overlay and path.name == LAYER_FILE:
            continue  # read by _layers
        located = parse_located(source.raws[path.name], path, shown, source.problems)
        if located is None:
            source.unread_rules = source.unread_rules or path.name not in (VOCABULARY_FILE, AGREEMENTS_FILE)
            source.agreements_unread = source.agreements_unread or path.name == AGREEMENTS_FILE
            continue
        if path.name == VOCABULARY_FILE:
            source.vocabulary = parse_model(Woordenlijst, located.data, located, shown, source.problems)
        elif path.name == AGREEMENTS_FILE:
            agreements = parse_model(Afspraken, located.data, located, shown, source.problems)
            source.agreements, source.agreements_unread = agreements or Afspraken(), agreements is None
            source.agreements_file, source.agreements_located = shown, located
        else:
            _read_theme(source, located, shown, path)
    if not source.rules and not overlay and not any(p.file.lower().endswith(YAML_SUFFIXES) for p in source.problems):
        source.problems.append(
            Problem(str(directory), 0, 0, "er staan geen regels in deze map", "voeg een themabestand met 'regels:' toe",
                    code="geen-regels")
        )
    return source


def _read_theme(source: Source, located: Located, shown: str, file: Path) -> None:
    """A theme file: its header, and each rule that has the right shape (the ids of the others are kept)."""
    header = parse_model(ThemaKop, located.data, located, shown, source.problems)
    if header is None:
        source.unread_rules = True
        return
    source.themes[shown] = header.thema
    for index, raw in enumerate(header.regels):
        path_ = ("regels", index)
        rule = parse_model(Regel, raw, located, shown, source.problems, path_)
        if rule is None:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                source.broken_ids.add(raw["id"])
            continue
        line, col = located.where(path_)
        source.rules.append(LoadedRule(rule, shown, header.thema, line, col, located, path_, file))


def shown_path(path: Path) -> str:
    """A path as shown in problems: relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_located(path: Path, shown: str, problems: list[Problem], first_key: str | None = None) -> Located | None:
    """A YAML file with positions, or None after adding its problem (not readable, too large, not UTF-8, no mapping)."""
    return parse_located(_read_capped(path), path, shown, problems, first_key)


def parse_located(raw: bytes | None, path: Path, shown: str, problems: list[Problem], first_key: str | None = None,
                  ) -> Located | None:
    """``read_located`` on the bytes of ``path`` as read (None: it could not be read), never reading it again."""
    if raw is None:
        problems.append(Problem(shown, 0, 0, "het bestand kan niet gelezen worden",
                                "controleer of het bestand bestaat en leesbaar is", code="onleesbaar-bestand"))
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.append(Problem(shown, 1, 1, "het bestand is te groot (meer dan 2 MB)", "splits het in thema's",
                                code="bestand-te-groot"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # at the first byte that is not UTF-8 (it was always 1:1, a trial)
        line, column = byte_position(raw, exc.start)
        problems.append(Problem(shown, line, column, "het bestand is geen UTF-8-tekst (hier staat het eerste teken "
                                "dat het niet is)", "sla het op als UTF-8 (in Kladblok: Opslaan als, codering UTF-8)",
                                code="geen-utf8"))
        return None
    try:
        located = read_yaml(text, name_keys=True)  # the policy's own files: a problem may name its key
    except YamlProblem as exc:
        problems.append(Problem(shown, exc.line, exc.column, exc.named or exc.message, code=exc.code))
        return None
    if not isinstance(located.data, dict):
        first = first_key or FIRST_KEY.get(path.name, "thema")
        problems.append(Problem(shown, 1, 1, "het bestand moet een blok met sleutels zijn", f"begin met '{first}:'",
                                code="geen-blok"))
        return None
    return located


def parse_model(
    model: type[M], data: Any, located: Located, shown: str, problems: list[Problem], prefix: tuple[Any, ...] = ()
) -> M | None:
    """``data`` as ``model``, or None after adding one located Dutch problem per validation error."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        meant = _misspelt(errors, model)
        for error in errors:
            if error["type"] != "missing" or _relative(error) not in meant:
                problems.append(translate_error(error, model, located, shown, prefix))
        return None


def _relative(error: Any) -> tuple[Any, ...]:
    """Where a pydantic error is, as keys and list positions in the file (below where its model stands)."""
    return tuple(p for p in error["loc"]
                 if p != "[key]" and not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))


def _misspelt(errors: list[Any], model: type[BaseModel]) -> set[tuple[Any, ...]]:
    """The required keys that an unknown key beside them is a misspelling of ('nam:' for 'naam:'): the unknown key's
    "bedoel je 'naam'?" says it all, so "'naam' ontbreekt" is not said as well (following both doubles the key)."""
    meant = set()
    for error in errors:
        where = _relative(error)
        if (error["type"] == "extra_forbidden" and where and isinstance(where[-1], str)
                and (close := closest(where[-1], _allowed_keys(model, where[:-1])))):
            meant.add((*where[:-1], close))
    return meant


def translate_error(error: Any, model: type[BaseModel], located: Located, shown: str, prefix: tuple[Any, ...] = (),
                    ) -> Problem:
    """One pydantic error as a Dutch problem located in the file (``prefix``: where ``model`` stands in it)."""
    relative = _relative(error)
    path = prefix + relative
    kind = error["type"]
    ctx = context(error)
    rule_id = _rule_id(located, path)
    last = path[-1] if path else ""
    single = bool(path) and path[-1] == 0 and isinstance(_value_at(located.data, path[:-1]), str)
    name = _named(path[:-1] if single else path)  # 'soort: Rouw' is 'soort', not item 1 of a list
    said = wording(kind)
    code = said.code
    if kind == "extra_forbidden":
        line, col = located.where(path, key=True)
        return Problem(shown, line, col, fill(said.rule, last=last), _unknown_key_fix(model, relative, last), rule_id,
                       code)
    message = fill(said.rule, name=name, last=last, **ctx)
    fix = _dedented(kind, model, relative, fill(said.fix, last=last, **ctx))
    if kind == "missing":
        path = path[:-1]
    elif kind == "string_pattern_mismatch" and "[key]" in error["loc"]:  # a name that is a key: 'Rouw:' in signalen
        message = f"ongeldige naam '{last}'" if isinstance(last, str) else "ongeldige naam in de lijst"
        if isinstance(last, str) and (hint := _spelling(last)):
            fix = f"{fix}; {hint}"
        line, col = located.where(path, key=True)  # the key's own line, not the block under it
        return Problem(shown, line, col, message, fix, rule_id, code)
    elif kind == "string_pattern_mismatch" and (hint := _plain_hint(located.data, path)):
        fix = f"{fix}; {hint}"
    elif kind == "literal_error" and isinstance(value := _value_at(located.data, path), str):
        fix = f"{fix}; {hint}" if (hint := did_you_mean(value, ctx.get("expected", "").split(", "))) else fix
    elif kind == "list_type" and last in ONE_OR_MANY:
        code, message = "geen-naam-of-lijst", f"{name} moet een naam of een lijst van namen zijn"
        fix = f"schrijf bijvoorbeeld '{last}: naam' of '{last}: [naam1, naam2]'"
    elif kind == "value_error" and "behalve_soort" in error["msg"]:
        code, message = "soort-en-behalve-soort", "soort en behalve_soort staan samen in één signaal"
        fix = "gebruik één van beide"
    elif kind == "value_error" and "ernst_bron zonder ernst" in error["msg"]:
        code, message = "ernst-bron-zonder-ernst", "'ernst_bron' staat er, maar 'ernst' niet"
        fix = "zet onder 'ernst:' wat licht, matig, ernstig en acuut bij deze soort betekenen, of haal 'ernst_bron' weg"
    elif kind == "value_error" and "familie_niet_benaderen zonder veiligheid" in error["msg"]:
        code = "familie-zonder-veiligheid"
        message = "'familie_niet_benaderen: ja' vraagt ook 'veiligheid: ja' bij deze soort"
        fix = ("zet ook 'veiligheid: ja' bij deze soort: als contact met de familie de leerling in gevaar kan brengen, "
               "is het een veiligheidssignaal")
        line, col = located.where((*path, "familie_niet_benaderen"), key=True)
        return Problem(shown, line, col, message, fix, rule_id, code)
    elif kind == "value_error" and "lege voorwaarde" in error["msg"]:
        code, message = "lege-voorwaarde", "lege voorwaarde"
        fix = "gebruik een van: " + ", ".join(Voorwaarde.model_fields)
    line, col = located.where(path)
    return Problem(shown, line, col, message, fix, rule_id, code)


def _dedented(kind: str, model: type[BaseModel], relative: tuple[Any, ...], fix: str) -> str:
    """``fix``; for a name whose value should be a block, first whether it is a key of the block above, one level too
    far left: 'veiligheid: ja' under 'signalen' was read as a kind named 'veiligheid' (a trial)."""
    last = relative[-1] if relative else None
    if (kind in ("model_type", "model_attributes_type", "dict_type") and len(relative) >= 2 and isinstance(last, str)
            and last in _allowed_keys(model, relative)):
        return f"hoort '{last}' bij het blok erboven? Zet het dan even ver in als 'label' daarin; anders: {fix}"
    return fix


#: keys whose names are rule ids (they may hold '-'): no hint from ``plain_name``, which writes '_'
_ID_KEYS = frozenset({"id", "zet_opzij"})


def _value_at(data: Any, path: tuple[Any, ...]) -> Any:
    """The value a file has at ``path`` (None when it has none there); a single name where a list may stand is item 1
    of that list."""
    value = data
    for part in path:
        if isinstance(value, str) and part == 0:
            break
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _plain_hint(data: Any, path: tuple[Any, ...]) -> str | None:
    """For a name refused for its letters ('Rouw', 'Suïcidaal plan'), "bedoel je 'rouw'?": how names are written.
    Whether the policy knows that name is said when the file is read again (an unknown name gets its own hint)."""
    value = _value_at(data, path)
    if not isinstance(value, str):
        return None
    if _ID_KEYS.intersection(p for p in path if isinstance(p, str)):  # a rule id: 'School-Regel' is 'school-regel'
        return _spelling(value, "-", RULE_ID_PATTERN)
    return _spelling(value)


def _spelling(value: str, joiner: str = "_", pattern: str = KIND_PATTERN) -> str | None:
    """"bedoel je 'rouw'?" for 'Rouw': the name as names are written (``joiner`` for spaces and dashes), when that
    is a name (``pattern``)."""
    plain = plain_name(value, joiner)
    return f"bedoel je '{plain}'?" if plain != value and re.fullmatch(pattern, plain) else None


def _named(path: tuple[Any, ...]) -> str:
    """The place in a file as a policy writer reads it: a key ('taak') or an item of a list (item 2 van 'taak')."""
    if not path:
        return "het bestand"
    last = path[-1]
    if isinstance(last, int):
        parent = next((p for p in reversed(path[:-1]) if isinstance(p, str)), None)
        return f"item {last + 1} van '{parent}'" if parent else f"item {last + 1}"
    return f"'{last}'"


def _rule_id(located: Located, path: tuple[Any, ...]) -> str | None:
    if len(path) >= 2 and path[0] == "regels" and isinstance(path[1], int):
        try:
            value = located.data["regels"][path[1]]["id"]
        except (KeyError, IndexError, TypeError):
            return None
        return value if isinstance(value, str) else None
    return None


def _unknown_key_fix(model: type[BaseModel], relative: tuple[Any, ...], last: Any) -> str:
    """The fix for the unknown key ``last`` at ``relative`` in ``model`` (``relative`` may be empty: a key pydantic
    does not place, such as '0['): where it belongs when a block above or beside has it (one level too deep or too
    shallow), else the near key or the keys allowed."""
    allowed = sorted(_allowed_keys(model, relative[:-1]))
    above = relative[-2] if len(relative) >= 2 else None
    if isinstance(above, str) and last in _allowed_keys(model, relative[:-2]):  # 'zet_opzij' under 'dan'
        return f"'{last}' hoort niet onder '{above}', maar op dezelfde hoogte: zet het even ver in als '{above}'"
    home = next((key for key in allowed if last in _allowed_keys(model, (*relative[:-1], key))), None)
    if home is not None:  # 'mentor_doet_niet' beside 'dan' instead of under it (a trial got only the allowed keys)
        return f"'{last}' hoort onder '{home}': zet het verder in, onder '{home}:'"
    return did_you_mean(str(last), allowed) or "toegestaan zijn: " + ", ".join(allowed)


def _allowed_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """The keys allowed in the block at ``path`` of ``model``."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        target = _model_in(current)
        if target is None or part not in target.model_fields:
            # a dict of models: the key is a free name, go to the value type
            current = _dict_value(current)
            continue
        current = target.model_fields[part].annotation
    target = _model_in(current)
    return list(target.model_fields) if target else []


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType, list):
        return [x for arg in typing.get_args(tp) for x in _unwrap(arg)]
    return [tp]


def _model_in(tp: Any) -> type[BaseModel] | None:
    for candidate in _unwrap(tp):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _dict_value(tp: Any) -> Any:
    for candidate in _unwrap(tp):
        if typing.get_origin(candidate) is dict:
            return typing.get_args(candidate)[1]
    return tp


def default_rules_dir() -> Path:
    """The bundled default policy: inside the installed package, or ``rules/`` of a source checkout."""
    packaged = Path(str(resources.files("grenzen"))) / "_default_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "rules"
