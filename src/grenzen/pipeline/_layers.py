"""School overlays: a directory with only a school's own additions, layered on a base policy.

An overlay directory has ``laag.yaml`` instead of ``woordenlijst.yaml``::

    naam: Beleid mentoraat Voorbeeldcollege
    basis: standaard          # the bundled default policy (default), or a path to another rules directory
    signalen: {...}           # extra kinds, same shape as in woordenlijst.yaml (also taken, scholing)

Its ``afspraken.yaml`` (optional) replaces destinations by key and, if given, the consent table. Its theme files
add rules; a rule may set aside a base rule with ``zet_opzij`` (never an absolute one: that is refused at load,
as in a single directory). Rule ids must be new. The layered policy's ``naam`` and ``versie`` join those of the
layers (`` + `` and ``+``); ``Policy.layers`` lists each layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .._errors import PolicyError, Problem
from .._models import BeleidInfo
from ._load import (
    AGREEMENTS_FILE,
    LAYER_FILE,
    Source,
    default_rules_dir,
    is_overlay,
    load_source,
    parse_located,
    parse_model,
    read_located,
    rule_files,
    shown_path,
)
from ._rulefile import Kind, Signaalterm, Term, Text
from ._yaml import Located

__all__ = ["DEFAULT_BASE", "Laag", "declared_file", "declared_in", "is_overlay", "layer_chain", "layered_source"]

DEFAULT_BASE = "standaard"
MAX_LAYERS = 8


class Laag(BaseModel):
    """``laag.yaml``: the overlay's name, what it builds on, and the kinds it adds."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, defer_build=True)
    naam: Text
    basis: str = DEFAULT_BASE
    beschrijving: Text | None = None
    signalen: dict[Kind, Signaalterm] = Field(default_factory=dict)
    taken: dict[Kind, Term] = Field(default_factory=dict)
    scholing: dict[Kind, Term] = Field(default_factory=dict)


def layer_chain(directory: Path) -> list[Path]:
    """The directories from the full base policy up to ``directory``, following each overlay's ``basis``."""

    chain = [directory]
    while is_overlay(chain[0]):
        read = _read_layer(chain[0], [])
        target = read[0].basis if read is not None else DEFAULT_BASE
        parent = default_rules_dir() if target == DEFAULT_BASE else (chain[0] / target)
        line, column = read[1].where(("basis",)) if read is not None else (1, 1)
        shown = shown_path(chain[0] / LAYER_FILE)
        if not parent.is_dir():
            raise PolicyError([Problem(shown, line, column, f"de basis '{target}' is geen map",
                                       f"laat 'basis' naar een map met regels wijzen, of schrijf '{DEFAULT_BASE}' "
                                       "voor het meegeleverde beleid", code="basis-geen-map")])
        if parent.resolve() in {p.resolve() for p in chain} or len(chain) >= MAX_LAYERS:
            raise PolicyError([Problem(shown, line, column, "de lagen verwijzen in een kring naar "
                                       "elkaar of zijn te diep", "laat 'basis' naar een volledig beleid wijzen",
                                       code="lagen-in-een-kring")])
        chain.insert(0, parent)
    return chain


def declared_in(directory: Path, names: tuple[str, ...], where: tuple[str, ...]) -> tuple[str, int, int]:
    """(file as shown, line, column) of ``where`` (a section, a key in it, and perhaps a key under that) in the top-most
    layer of ``directory`` whose file of one of ``names`` has the key; else the first line of its own file of the last
    name."""
    found = declared_file(directory, names, where)
    return (shown_path(found[0]), found[1], found[2]) if found else (shown_path(directory / names[-1]), 1, 1)


def declared_file(directory: Path, names: tuple[str, ...], where: tuple[str, ...]) -> tuple[Path, int, int] | None:
    """``declared_in`` with the file itself (to read its comments), or None when no layer's file has the key."""
    section, key = where[:2]
    for layer in reversed(layer_chain(directory)):
        for name in names:
            file = layer / name
            located = read_located(file, shown_path(file), []) if file.is_file() else None
            if located is not None and isinstance(located.data, dict) and key in (located.data.get(section) or {}):
                line, column = located.where(where, key=True)
                return file, line, column
    return None


def layered_source(layers: Sequence[str | Path]) -> Source:
    """One source from a full policy and the overlays on top of it (in that order)."""
    paths = [Path(p) for p in layers]
    if len(paths) == 1:
        paths = layer_chain(paths[0])
    merged = load_source(paths[0])
    if len(paths) > 1:
        merged.digest = ""  # the digest is of one directory; a layered policy has none
        _name_default_files(merged, paths[1:])
    if is_overlay(paths[0]):
        merged.problems.append(Problem(shown_path(paths[0] / LAYER_FILE), 1, 1, "de onderste laag moet een volledig "
                                       "beleid zijn", "begin met het standaardbeleid of een map met woordenlijst.yaml",
                                       code="onderste-laag-onvolledig"))
        return merged
    if merged.vocabulary is None:
        return merged
    names = [merged.vocabulary.naam]
    merged.base_kinds = frozenset(merged.vocabulary.signalen) if len(paths) > 1 else frozenset()
    merged.layers = [BeleidInfo(naam=merged.vocabulary.naam, versie=merged.version)]
    merged.rule_layers = {item.rule.id: _label(paths[0]) for item in merged.rules}
    vocabulary = merged.vocabulary
    for path in paths[1:]:
        layer = load_source(path)
        merged.problems.extend(layer.problems)
        read = _read_layer(path, merged.problems, layer)
        if read is None:
            continue
        header, located = read
        additions = {}
        for table in ("signalen", "taken", "scholing"):
            known = getattr(vocabulary, table)
            for kind in getattr(header, table):
                if kind in known:
                    line, column = located.where((table, kind), key=True)
                    merged.problems.append(Problem(shown_path(path / LAYER_FILE), line, column,
                                                   f"'{kind}' staat al in de {table} van de basis",
                                                   "kies een andere naam of laat hem weg", code="al-in-de-basis"))
            additions[table] = {**known, **getattr(header, table)}
        vocabulary = vocabulary.model_copy(update=additions)
        if (path / AGREEMENTS_FILE).is_file():
            destinations = {**merged.agreements.bestemmingen, **layer.agreements.bestemmingen}
            consent = layer.agreements.toestemming or merged.agreements.toestemming
            merged.agreements = merged.agreements.model_copy(update={"bestemmingen": destinations,
                                                                     "toestemming": consent})
            if layer.agreements.toestemming is not None or merged.agreements_file is None:
                merged.agreements_file, merged.agreements_located = layer.agreements_file, layer.agreements_located
        merged.rules.extend(layer.rules)
        merged.rule_layers.update({item.rule.id: _label(path) for item in layer.rules})
        merged.themes.update(layer.themes)
        merged.broken_ids |= layer.broken_ids
        merged.unread_rules = merged.unread_rules or layer.unread_rules
        merged.agreements_unread = merged.agreements_unread or layer.agreements_unread
        merged.layers.append(BeleidInfo(naam=header.naam, versie=layer.version))
        names.append(header.naam)
        merged.directory = path
    merged.vocabulary = vocabulary.model_copy(update={"naam": " + ".join(names)})
    merged.version = "+".join(layer.versie for layer in merged.layers)
    return merged


def _name_default_files(source: Source, overlays: Sequence[Path]) -> None:
    """Under an overlay, the bundled policy's files are named ``standaard/<file>`` in every message (not the path
    of the installed package, which the policy writer neither knows nor edits). An overlay in a folder that is
    itself shown as ``standaard`` keeps the real paths, so that no two files share a name."""

    if source.directory.resolve() != default_rules_dir().resolve():
        return
    if any(shown_path(path) == DEFAULT_BASE for path in overlays):
        return
    names = {shown_path(path): f"{DEFAULT_BASE}/{path.name}" for path in rule_files(source.directory)}
    for item in source.rules:
        item.file = names.get(item.file, item.file)
    source.themes = {names.get(file, file): title for file, title in source.themes.items()}
    source.problems = [replace(p, file=names.get(p.file, p.file)) for p in source.problems]
    if source.agreements_file is not None:
        source.agreements_file = names.get(source.agreements_file, source.agreements_file)


def _read_layer(directory: Path, problems: list[Problem], source: Source | None = None) -> tuple[Laag, Located] | None:
    """An overlay's ``laag.yaml`` (from the bytes ``source``, its directory's, read: never read again), or None after
    adding its problems."""
    file, shown = directory / LAYER_FILE, shown_path(directory / LAYER_FILE)
    located = (parse_located(source.raws.get(LAYER_FILE), file, shown, problems) if source is not None
               else read_located(file, shown, problems))
    header = None if located is None else parse_model(Laag, located.data, located, shown, problems)
    return None if header is None or located is None else (header, located)


def _label(directory: Path) -> str:

    return DEFAULT_BASE if directory.resolve() == default_rules_dir().resolve() else directory.resolve().name
