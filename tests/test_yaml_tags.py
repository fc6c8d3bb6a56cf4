"""The YAML reader's tags: its loader resolves as PyYAML does, and every tag written in the text is refused, also one
that names the tag the node has anyway (``_yaml._Loader`` marks the tags it gives; the non-specific tag ``!`` is found
in the text). The docs say tags are refused; an integrator trial found ``!!str``, ``!!map`` and ``!!timestamp``
accepted."""

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
    """... except YAML 1.1's yes, no, on and off: text, as in YAML 1.2 (a ja/nee field takes ja, nee, true, false)."""
    ours, pyyaml = _Loader(""), yaml.resolver.Resolver()
    for kind in (yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode):
        for value in VALUES:
            expected = pyyaml.resolve(kind, value, implicit)
            if expected == "tag:yaml.org,2002:bool" and value.lower() not in ("true", "false"):
                expected = "tag:yaml.org,2002:str"
            assert ours.resolve(kind, value, implicit) == expected, (kind, value)


@pytest.mark.parametrize("text, value", [
    ("a: 5", 5), ("a: yes", "yes"), ("a: off", "off"), ("a: True", True), ("a: ~", None), ("a:", None), ("a: 1.5", 1.5), ("a: -0", 0),
    ("a: '5'", "5"), ('a: "yes"', "yes"), ("a: 2024-01-01", "2024-01-01"), ("a: 1e400", "1e400"), ("a: =", "="),
    ("a: |\n  5\n", "5\n"), ("a: Let op!", "Let op!"), ('a: "!x"', "!x"), ("a: |\n  !x\n", "!x\n"),
    ("a: b # !c", "b"), ("a: x!y", "x!y"), ("a: ouders & school", "ouders & school"), ('a: "&x"', "&x"),
    ("a: # &x", None),
])
def test_values_without_tags_and_an_exclamation_mark_that_is_no_tag(text, value):
    assert read_yaml(text).data == {"a": value}


@pytest.mark.parametrize("text", [
    'a: ! "5"', "a: !!str 5", 'a: !!int "14"', "a: !!float 1", "a: !!null ''", "a: !", "a: ! |\n  5\n",
    "a: !foo bar", "a: !!binary aGk=", "a: !!python/name:os.system x", "a: !<tag:yaml.org,2002:str> 5",
    # tags that name the tag the node has anyway
    "a: !!str foo", "a: !!int 14", "a: !!bool yes", "a: ! 5", "a: ! foo", "a: !<tag:yaml.org,2002:int> 5",
    "a: !!null", "a: !!timestamp 2001-12-14", "a: !!map {}", "a: !!seq []", "a: ! {b: 1}",
])
def test_a_tag_is_refused_where_it_stands(text):
    with pytest.raises(YamlProblem) as caught:
        read_yaml(text)
    assert (caught.value.code, caught.value.line, caught.value.column) == ("tag", 1, 4)


@pytest.mark.parametrize("text, line, column", [
    ("%TAG ! tag:yaml.org,2002:\n---\na: !int 5", 3, 4), ("a: [1, ! x]", 1, 8), ("a: [1, !!seq []]", 1, 8),
    ("!!map {a: 1}", 1, 1), ("a:\n  - !!str x", 2, 5), ("!!str 5: a", 1, 1), ("! a: 1", 1, 1), ("b: 1\n! a: 1", 2, 1),
])
def test_a_tag_anywhere_is_refused(text, line, column):
    with pytest.raises(YamlProblem) as caught:
        read_yaml(text)
    assert (caught.value.code, caught.value.line, caught.value.column) == ("tag", line, column)


@pytest.mark.parametrize("text, column", [("a: &x foo", 4), ("a: &x [1]", 4), ("a: &x ! foo", 4), ("a: &x\n  b: 1", 4),
                                          ("&x a: 1", 1)])
def test_an_anchor_is_refused_also_without_an_alias(text, column):
    with pytest.raises(YamlProblem) as caught:
        read_yaml(text)
    assert (caught.value.code, caught.value.line, caught.value.column) == ("anker", 1, column)


def test_keys_are_text():
    with pytest.raises(YamlProblem, match="een sleutel moet tekst zijn"):
        read_yaml("5: a")


@pytest.mark.parametrize("path", sorted([*ROOT.glob("rules/*.yaml"), *FIXTURES.glob("*/*.yaml")]), ids=str)
def test_the_policy_files_read_as_pyyaml_reads_them(path):
    text = path.read_text(encoding="utf-8")
    assert read_yaml(text).data == yaml.load(text, Loader=yaml.SafeLoader)
