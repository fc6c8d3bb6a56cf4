"""Case validation: the JSON contract, the policy's vocabulary, and no case content in errors."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grenzen import Advies, CaseError, Casus

VALID = {
    "id": "casus-17",
    "leeftijd": 14,
    "taak": "begeleidingsgesprekken",
    "signalen": [{"soort": "rouw", "ernst": "matig", "duur_weken": 3}],
    "mentor": {"scholing": ["rouwbegeleiding"]},
    "eerdere_aanpak": {"weken": 2, "effect": "onvoldoende"},
}


def fields_of(policy, case) -> dict[str, str]:
    with pytest.raises(CaseError) as info:
        policy.advise(case)
    return {e.field: e.text for e in info.value.errors}


def test_dict_json_yaml_and_model_give_the_same_advice(basis):
    yaml_text = "\n".join(
        [
            "id: casus-17",
            "leeftijd: 14",
            "taak: begeleidingsgesprekken",
            "signalen: [{soort: rouw, ernst: matig, duur_weken: 3}]",
            "mentor: {scholing: [rouwbegeleiding]}",
            "eerdere_aanpak: {weken: 2, effect: onvoldoende}",
        ]
    )
    answers = [
        basis.advise(VALID),
        basis.advise(json.dumps(VALID)),
        basis.advise(json.dumps(VALID).encode()),
        basis.advise(yaml_text),
        basis.advise(Casus.model_validate(VALID)),
    ]
    assert all(a == answers[0] for a in answers)


@pytest.mark.parametrize(
    "patch,field,fragment",
    [
        ({"naam": "Jan Jansen"}, "<onbekend veld>", "onbekend veld; toegestaan: id, leeftijd, leerjaar, taak"),
        ({"signalen": [{"soort": "rouw", "ernst": "matig", "duur": 3}]}, "signalen.0.<onbekend veld>",
         "onbekend veld; bedoel je 'duur_weken'?"),  # the start of one key
        ({"signalen": [{"soort": "rouw", "ernst": "matig", "wanneer": 3}]}, "signalen.0.<onbekend veld>",
         "toegestaan: soort, ernst, duur_weken"),
        ({"taak": None}, "taak", "tekst"),
        ({"leeftijd": 3}, "leeftijd", "minstens 4"),
        ({"leeftijd": 26}, "leeftijd", "hoogstens 25"),
        ({"leeftijd": "veertien"}, "leeftijd", "geheel getal"),
        ({"signalen": [{"soort": "rouw", "ernst": "heel erg"}]}, "signalen.0.ernst", "kies uit licht, matig, ernstig, acuut"),
        ({"signalen": [{"soort": "rouw", "ernst": "licht", "duur_weken": -1}]}, "signalen.0.duur_weken", "minstens 0"),
        ({"eerdere_aanpak": {"weken": 6}}, "eerdere_aanpak.effect", "ontbreekt"),
        ({"id": "Jan Jansen"}, "id", "ongeldige tekens"),
        ({"signalen": [{"soort": "rouw", "ernst": "licht"}] * 51}, "signalen", "te lang"),
    ],
)
def test_malformed_case_names_the_field_not_the_value(basis, patch, field, fragment):
    case = {**VALID, **patch}
    errors = fields_of(basis, case)
    assert field in errors and fragment in errors[field], errors
    assert "Jan" not in str(errors) and "veertien" not in str(errors) and "heel erg" not in str(errors)


def test_missing_task(basis):
    case = dict(VALID)
    del case["taak"]
    assert "verplicht" in fields_of(basis, case)["taak"]


@pytest.mark.parametrize(
    "patch,field,fragment",
    [
        ({"taak": "therapie"}, "taak", "onbekende taak (niet in de woordenlijst)"),
        ({"signalen": [{"soort": "pestn", "ernst": "licht"}]}, "signalen.0.soort", "bedoel je 'pesten'"),
        ({"mentor": {"scholing": ["yoga"]}}, "mentor.scholing.0", "onbekende scholing (niet in de woordenlijst)"),
    ],
)
def test_kinds_the_policy_does_not_know(basis, patch, field, fragment):
    errors = fields_of(basis, {**VALID, **patch})
    assert fragment in errors[field]


def test_a_hint_from_the_value_sent_is_apart_from_the_message_that_may_be_logged(basis):
    """An integrator trial: 'SUICIDAAL_PLAN' was refused with "bedoel je 'suicidaal_plan'?" in the message that the
    docs call safe to log. The hint says what the case is about: it goes in ``hint`` (JSON ``suggestie``)."""
    for case in ({**VALID, "signalen": [{"soort": "SUICIDAAL_PLAN", "ernst": "acuut"}]},
                 {**VALID, "signalen": [{"soort": "suicidaal_pla", "ernst": "acuut"}]}):
        with pytest.raises(CaseError) as info:
            basis.advise(case)
        [error] = info.value.errors
        assert "suicid" not in error.message.lower() and error.hint == "bedoel je 'suicidaal_plan'?"
        assert error.as_json()["suggestie"] == error.hint and "suicid" not in error.as_json()["melding"].lower()
        assert error.text.endswith("; bedoel je 'suicidaal_plan'?")  # for whoever sent it
        assert "suicid" not in str(error).lower() and "suicid" not in str(info.value).lower()  # logged as is
        assert "bedoel je 'suicidaal_plan'?" in info.value.with_hints()


@pytest.mark.parametrize("name, options, hint", [
    ("huiswerk", ["huiswerkbegeleiding", "signaleren"], "huiswerkbegeleiding"),  # a trial got no hint
    ("huis", ["huiswerkbegeleiding", "huisbezoek"], None),  # the start of two: no guess
    ("hui", ["huiswerkbegeleiding"], None),  # too short to guess from
    ("pestn", ["pesten", "rouw"], "pesten"),
])
def test_a_hint_for_the_start_of_one_name(name, options, hint):
    from grenzen._errors import closest

    assert closest(name, options) == hint


def test_broken_text_is_a_case_error(basis):
    assert "(casus)" in fields_of(basis, "taak: [")
    assert "(casus)" in fields_of(basis, b"\xff\xfe")
    assert "(casus)" in fields_of(basis, "- alleen\n- een lijst\n")


def test_pydantic_errors_hide_input():
    with pytest.raises(Exception) as info:
        Casus.model_validate({**VALID, "leeftijd": "geheim-1234"})
    assert "geheim-1234" not in str(info.value)


def test_advice_json_contract_keys(basis):
    data = json.loads(basis.advise(VALID).model_dump_json())
    assert list(data) == [
        "route", "urgentie", "taak_hoort_bij_mentor", "mentor_doet", "mentor_doet_niet",
        "verwijzen_naar", "toestemming", "redenen", "opzij_gezet", "beleid", "id",
    ]
    assert set(data["redenen"][0]) == {"regel", "titel", "bron", "uitleg", "route"}
    assert set(data["beleid"]) == {"naam", "versie"}
    assert Advies.model_validate_json(json.dumps(data)) == basis.advise(VALID)


junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(), st.text(max_size=30)),
    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=15), c, max_size=5)),
    max_leaves=25,
)


@pytest.mark.slow
@settings(max_examples=400)
@given(st.one_of(junk, st.fixed_dictionaries({"taak": junk, "signalen": junk}, optional={"leeftijd": junk, "mentor": junk})))
def test_any_input_gives_an_advice_or_a_case_error(basis, value):
    try:
        advice = basis.advise(value)
    except CaseError as exc:
        assert exc.errors and all(e.field for e in exc.errors)
    else:
        assert advice.route in ("mentor", "zorgteam", "extern")


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_any_text_gives_an_advice_or_a_case_error(basis, text):
    with contextlib.suppress(CaseError):
        basis.advise(text)


_ITEMS = {  # case texts: fine ones and ones the reader refuses, each for its own reason
    "fine": '{"taak":"signaleren","id":"a1"}',
    "nested": '{"taak":"signaleren","x":' + "[" * 58 + "]" * 58 + "}",  # fine alone, too deep in a body before
    "doubled": '{"taak":"signaleren","signalen":[{"soort":"suicidaal_plan","soort":"pesten"}]}',
    "nan": '{"leeftijd":NaN}',
    "infinite": '{"leeftijd":-1e400}',
    "long": '{"leeftijd":' + "9" * 5000 + "}",
    "deep": '{"x":' + "[" * 70 + "]" * 70 + "}",
    "list": "[1, 2]",
}


@settings(max_examples=60)
@given(st.lists(st.sampled_from(sorted(_ITEMS)), max_size=8))
def test_a_batch_reads_each_case_as_the_case_reader_reads_it_alone(names):
    """``read_batch_text`` gives each case what ``read_case_text`` gives its text alone: the same object, or a refusal
    with the same message (without the position, which would count from the body's start) and code."""
    from grenzen.pipeline._read import RefusedCase, read_batch_text, read_case_text

    body = '{"casussen":[' + ",".join(_ITEMS[name] for name in names) + "]}"
    items = read_batch_text(body, list_key="casussen")["casussen"]
    assert len(items) == len(names)
    for name, item in zip(names, items, strict=True):
        if name == "list":  # not an object: kept, for the batch to refuse as it always did (geen-object)
            assert item == [1, 2]
            continue
        try:
            alone: object = read_case_text(_ITEMS[name], json_only=True)
        except CaseError as exc:
            [error] = exc.errors
            assert isinstance(item, RefusedCase) and error.message.endswith(item.message), (name, item)
            assert item.code == error.code
        else:
            assert item == alone, (name, item)


def test_a_batch_text_over_the_cap_or_not_utf8_is_refused_whole():
    """The lenient reading is only for what one case can hold: never past the size cap, nor for a whole text the
    reader cannot read."""
    from grenzen.pipeline._read import read_batch_text

    doubled = '{"casussen":[{"taak":"signaleren","taak":"pesten"}]}'
    for text, code in ((doubled, "te-groot"), (doubled.encode() + b"\xff", "geen-utf8"), ("", "leeg"),
                       ('{"casussen":[{"taak":"signaleren"}]', "geen-geldige-json")):
        with pytest.raises(CaseError) as info:
            read_batch_text(text, list_key="casussen", max_bytes=40 if code == "te-groot" else 1000)
        assert [e.code for e in info.value.errors] == [code], text


def test_a_large_valid_batch_is_not_refused_as_too_deep():
    """1,000 cases of 50 signals (about 205,000 values, past the reader's 200,000 for one text) were refused whole as
    "te diep genest" (an integrator's trial): the limit is one case's, as for a case sent alone."""
    from grenzen.pipeline._read import RefusedCase, read_batch_text

    signal = {"soort": "pesten", "ernst": "licht", "duur_weken": 2}
    body = json.dumps({"casussen": [{"taak": "signaleren", "signalen": [signal] * 50}] * 1000})
    items = read_batch_text(body, list_key="casussen", max_bytes=10**7)["casussen"]
    assert len(items) == 1000 and not any(isinstance(item, RefusedCase) for item in items)


def test_a_byte_that_is_not_utf8_in_one_case_of_a_batch_refuses_that_case_only():
    """A bad byte inside one case's string refused the whole batch, with a column counted from the body's start (an
    integrator's trial); one outside any string still refuses the whole text."""
    from grenzen.pipeline._read import RefusedCase, read_batch_text

    body = b'{"casussen":[{"taak":"signaleren"},{"taak":"signaleren","id":"a\xffb"},{"t\xc3":1},{"taak":"pesten"}]}'
    items = read_batch_text(body, list_key="casussen")["casussen"]
    assert [item.code if isinstance(item, RefusedCase) else item for item in items] == [
        {"taak": "signaleren"}, "geen-utf8", "geen-utf8", {"taak": "pesten"}]
    with pytest.raises(CaseError) as info:
        read_batch_text(b'{"casussen":[{"taak":"signaleren"}\xff]}', list_key="casussen")
    assert [e.code for e in info.value.errors] == ["geen-utf8"]
