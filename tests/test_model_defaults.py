"""The defaults of the contract's and the rule files' list and dict fields: a new empty one for every instance, made
by a Python function or ``dict``, never by the builtin ``list`` (pydantic would parse its signature with ``tokenize``,
about 6 ms of every ``grenzen advies``; ``_models.new_list``)."""

from __future__ import annotations

import inspect

import pytest
from pydantic import BaseModel

from grenzen import _models
from grenzen.pipeline import _rulefile

MODELS = sorted({model for module in (_models, _rulefile) for model in vars(module).values()
                 if inspect.isclass(model) and issubclass(model, BaseModel) and model.__module__ == module.__name__},
                key=lambda model: model.__qualname__)
FACTORIES = [(model, name, field) for model in MODELS for name, field in model.model_fields.items()
             if field.default_factory is not None]


def test_the_fields_with_a_default_factory_are_found():
    assert {(model.__name__, name) for model, name, _ in FACTORIES} >= {
        ("Casus", "signalen"), ("Mentor", "scholing"), ("Gevolg", "mentor_doet"), ("Regel", "zet_opzij"),
        ("Woordenlijst", "scholing"), ("Afspraken", "bestemmingen")}


@pytest.mark.parametrize("model, name, field", FACTORIES, ids=lambda x: getattr(x, "__name__", str(x)))
def test_each_default_is_a_new_empty_one_made_without_a_builtin_signature(model, name, field):
    first, second = field.get_default(call_default_factory=True), field.get_default(call_default_factory=True)
    assert first in ([], {}) and first == second and first is not second
    assert field.default_factory is not list


def test_instances_do_not_share_a_default_list():
    one, two = _models.Casus(taak="signaleren"), _models.Casus(taak="signaleren")
    assert one.signalen == two.signalen == [] and one.signalen is not two.signalen
    assert _models.Casus.model_validate({"taak": "signaleren", "mentor": {}}).mentor == _models.Mentor(scholing=[])
