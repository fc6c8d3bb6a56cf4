"""JSON Schema of the case and the advice: committed, current, and it accepts exactly what the models accept."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import grenzen
from grenzen.cli import main
from grenzen.toolkit._schema import advice_schema, case_schema, schema_text

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "schema"
EXAMPLES = sorted((ROOT / "rules" / "voorbeelden").glob("*.yaml"))


def _ecma_pattern(validator, pattern, instance, schema):
    """``pattern`` as JSON Schema means it (ECMA-262): ``$`` is the end of the text.

    The jsonschema package uses Python's ``re.search``, where ``$`` also matches before a final newline,
    so it would accept ``"abc\\n"`` for ``^[a-z]+$`` while every other implementation (and pydantic) refuses it.
    """
    if isinstance(instance, str) and not re.search(pattern.replace("$", r"\Z"), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _ecma_pattern})


@pytest.fixture(scope="module")
def policy():
    return grenzen.load_policy()


@pytest.fixture(scope="module")
def case_validator(policy):
    schema = case_schema(policy)
    jsonschema.Draft202012Validator.check_schema(schema)
    return Validator(schema)


@pytest.fixture(scope="module")
def advice_validator(policy):
    return Validator(advice_schema(policy))


@pytest.mark.parametrize("which", ["casus", "advies"])
def test_committed_schema_of_the_default_policy_is_current(policy, which):
    committed = (DOCS / f"{which}.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(policy, which), (
        f"docs/schema/{which}.schema.json is stale; regenerate it with: "
        f"grenzen schema {which} > docs/schema/{which}.schema.json"
    )


def test_cli_prints_the_schema(capsys, policy):
    assert main(["schema", "advies"]) == 0
    assert capsys.readouterr().out == schema_text(policy, "advies")
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["properties"]["taak"]["enum"] == list(policy.vocabulary.taken)


def test_schema_of_another_policy_has_its_vocabulary(basis, capsys):
    assert main(["schema", "casus", "--regels", str(basis.path)]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$defs"]["Signaal"]["properties"]["soort"]["enum"] == list(basis.vocabulary.signalen)
    assert basis.name in schema["title"]


def test_schema_is_dutch_and_valid_draft_2020_12(policy):
    for schema in (case_schema(policy), advice_schema(policy)):
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        for definition in [schema, *schema["$defs"].values()]:
            assert "title" not in definition.get("properties", {}).get("route", {})
            for prop in definition.get("properties", {}).values():
                assert prop["description"] and "title" not in prop


def _example_cases():
    for path in EXAMPLES:
        for example in yaml.safe_load(path.read_text(encoding="utf-8"))["voorbeelden"]:
            yield pytest.param(example["casus"], id=f"{path.stem}:{example['naam'][:40]}")


@pytest.mark.parametrize("case", list(_example_cases()))
def test_every_bundled_example_case_fits_the_schema_and_its_advice_too(case, case_validator, advice_validator, policy):
    case_validator.validate(case)
    advice_validator.validate(json.loads(policy.advise(case).model_dump_json()))


# --- the schema rejects what the models reject, and accepts what they accept ---------------------------------

ODD_VALUES = st.sampled_from(
    [None, True, False, 0, -1, 3, 4, 14, 14.0, 14.5, 25, 26, 520, 521, 10**20, "14", "", "x", "pesten",
     "Pesten", "pesten\n", "a" * 65, "licht", "acuut", "heel erg", "geen", [], [1], {}, {"x": 1}]
).map(copy.deepcopy)


def _valid_cases(policy):
    vocab = policy.vocabulary
    signal = st.fixed_dictionaries(
        {"soort": st.sampled_from(list(vocab.signalen)), "ernst": st.sampled_from(["licht", "matig", "ernstig", "acuut"])},
        optional={"duur_weken": st.one_of(st.none(), st.integers(0, 520))},
    )
    return st.fixed_dictionaries(
        {"taak": st.sampled_from(list(vocab.taken))},
        optional={
            "id": st.one_of(st.none(), st.from_regex(r"\A[A-Za-z0-9._:-]{1,64}\Z")),
            "leeftijd": st.one_of(st.none(), st.integers(4, 25)),
            "signalen": st.lists(signal, max_size=3),
            "mentor": st.one_of(
                st.none(), st.fixed_dictionaries({}, optional={"scholing": st.lists(st.sampled_from(list(vocab.scholing)))})
            ),
            "eerdere_aanpak": st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {"weken": st.integers(0, 520), "effect": st.sampled_from(["geen", "onvoldoende", "voldoende"])}
                ),
            ),
        },
    )


def _containers(value, path=()):
    """Every (path, container) in a JSON tree, so a mutation can reach any depth."""
    if isinstance(value, (dict, list)):
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            yield from _containers(child, (*path, key))


@st.composite
def mutated_cases(draw, policy):
    case = copy.deepcopy(draw(_valid_cases(policy)))
    for _ in range(draw(st.integers(0, 2))):
        _, target = draw(st.sampled_from(list(_containers(case))))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if isinstance(target, dict):
            if action == "add" or not target:
                target[draw(st.sampled_from(["naam", "opmerking", "soort", "ernst", "leeftijd"]))] = draw(ODD_VALUES)
            elif action == "delete":
                del target[draw(st.sampled_from(sorted(target)))]
            else:
                target[draw(st.sampled_from(sorted(target)))] = draw(ODD_VALUES)
        elif action == "add" or not target:
            target.append(draw(ODD_VALUES))
        elif action == "delete":
            target.pop(draw(st.integers(0, len(target) - 1)))
        else:
            target[draw(st.integers(0, len(target) - 1))] = draw(ODD_VALUES)
    if draw(st.integers(0, 9)) == 0:  # sometimes the whole case is not even an object
        return draw(ODD_VALUES)
    return case


def _model_accepts(policy, case) -> bool:
    try:
        policy.validate_case(case)
    except grenzen.CaseError:
        return False
    return True


@pytest.mark.slow
@settings(max_examples=600)
@given(data=st.data())
def test_schema_and_models_agree_on_generated_good_and_bad_cases(data, policy, case_validator):
    case = data.draw(mutated_cases(policy))
    by_model = _model_accepts(policy, case) if isinstance(case, dict) else False
    by_schema = case_validator.is_valid(case)
    assert by_model == by_schema, f"model {'accepts' if by_model else 'rejects'}, schema {'accepts' if by_schema else 'rejects'}"


def test_known_differences_are_gone(policy, case_validator):
    """Cases where lax pydantic used to accept what the JSON Schema refuses."""
    for bad in ({"taak": "signaleren", "leeftijd": "14"}, {"taak": "signaleren", "leeftijd": True},
                {"taak": "signaleren", "eerdere_aanpak": {"weken": "6", "effect": "geen"}}):
        assert not _model_accepts(policy, bad) and not case_validator.is_valid(bad)
    whole_float = {"taak": "signaleren", "leeftijd": 14.0}
    assert _model_accepts(policy, whole_float) and case_validator.is_valid(whole_float)
