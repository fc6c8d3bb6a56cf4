"""The YAML reader's tags: its loader resolves as PyYAML does, and a tag written in the text is refused unless it is
the one the scalar has anyway (``_yaml._Loader`` marks the tags it gives, so that ``_scalar`` need not resolve twice)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES

from grenzen.pipeline._yaml import YamlProblem, _Loader, read_yaml

ROOT = Path(__file__).resolve().parents[1]
VALUES = ["", "a", "naam", "yes", "No", "on", "OFF", "true", "null", "Null", "~", "5", "-5", "+5", "017", "0x1f", "0b11",
          "1_000", "1:30", "1.5", ".5", "-.inf", ".nan", "1e400", "2024-01-01", "2024-01-01 10:00:00", "=", "<<", "!",
          "&", "*", "-", "+", ".", "0", "9a", "n", "ja", "nee", "é", " spaced", "1 2"]


@pytest.mark.parametrize("implicit", [(True, False), (False, True), (True, True), (False, False)])
def test_the_loader_resolves_every_node_as_pyyaml_does(implicit):
    ours, pyyaml = _Loader(""), yaml.resolver.Resolver()
    for kind in (yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode):
        for value in VALUES:
            assert ours.resolve(kind, value, implicit) == pyyaml.resolve(kind, value, implicit), (kind, value)


@pytest.mark.parametrize("text, value", [
    ("a: 5", 5), ("a: yes", True), ("a: off", False), ("a: ~", None), ("a:", None), ("a: 1.5", 1.5), ("a: -0", 0),
    ("a: '5'", "5"), ('a: "yes"', "yes"), ("a: 2024-01-01", "2024-01-01"), ("a: 1e400", "1e400"), ("a: =", "="),
    ("a: |\n  5\n", "5\n"),
    # a tag that is the scalar's own tag anyway, or '!' on a plain scalar: kept
    ("a: !!str foo", "foo"), ("a: !!int 14", 14), ("a: !!bool yes", True), ("a: ! 5", 5), ("a: ! foo", "foo"),
    ("a: !<tag:yaml.org,2002:int> 5", 5), ("%TAG ! tag:yaml.org,2002:\n---\na: !int 5", 5),
    ("a: [1, ! x, !!seq [], !!map {}]", [1, "x", [], {}]), ("a: ! {b: 1}", {"b": 1}),
])
def test_values_and_the_tags_that_change_nothing(text, value):
    assert read_yaml(text).data == {"a": value}


@pytest.mark.parametrize("text", [
    'a: ! "5"', "a: !!str 5", 'a: !!int "14"', "a: !!float 1", "a: !!null ''", "a: !", "a: ! |\n  5\n",
    "a: !foo bar", "a: !!binary aGk=", "a: !!python/name:os.system x", "a: !<tag:yaml.org,2002:str> 5",
])
def test_a_tag_that_changes_a_scalar_is_refused_where_it_stands(text):
    with pytest.raises(YamlProblem) as caught:
        read_yaml(text)
    assert (caught.value.code, caught.value.line, caught.value.column) == ("tag", 1, 4)


def test_keys_are_text_unless_tagged_as_text():
    assert read_yaml("!!str 5: a").data == {"5": "a"}
    with pytest.raises(YamlProblem, match="een sleutel moet tekst zijn"):
        read_yaml("5: a")


@pytest.mark.parametrize("path", sorted([*ROOT.glob("rules/*.yaml"), *FIXTURES.glob("*/*.yaml")]), ids=str)
def test_the_policy_files_read_as_pyyaml_reads_them(path):
    text = path.read_text(encoding="utf-8")
    assert read_yaml(text).data == yaml.load(text, Loader=yaml.SafeLoader)
