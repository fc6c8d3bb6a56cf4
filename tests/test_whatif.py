"""What-if: every reported change is one field, its advice is the policy's, and nothing nearer was missed.

The brute-force checks ask the policy about every value on each axis (every severity, every duration and
number of weeks up to past the largest threshold, every age, every kind, task and training) and compare with
what ``Policy.what_if`` reports, so the threshold shortcut in ``_whatif`` is checked against the real policy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import grenzen
from grenzen.cli import main
from grenzen.pipeline._whatif import SAFETY_NOTE, _thresholds

ROOT = Path(__file__).resolve().parents[1]
SEVERITIES = ["licht", "matig", "ernstig", "acuut"]


@pytest.fixture(scope="module")
def policy():
    return grenzen.load_policy()


def _key(advice):
    return advice.route, advice.urgentie


def _dump(case):
    data = case.model_dump(exclude_none=True)
    if not data.get("mentor", {}).get("scholing"):
        data.pop("mentor", None)
    return data


def _differences(a: dict, b: dict, path=""):
    """Leaf paths where two case dumps differ (lists of signals compared item by item)."""
    out = set()
    for key in set(a) | set(b):
        x, y = a.get(key), b.get(key)
        where = f"{path}{key}"
        if isinstance(x, dict) and isinstance(y, dict):
            out |= _differences(x, y, where + ".")
        elif key == "signalen" and isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (s, t) in enumerate(zip(x, y, strict=True)):
                out |= _differences(s, t, f"{where}.{i}.")
        elif x != y:
            out.add(where)
    return out


def _check(policy, data):
    base = policy.validate_case(data)
    before = _key(policy.advise(base))
    changes = policy.what_if(data)
    for change in changes:
        assert _key(change.advice) != before
        assert change.advice == policy.advise(change.case), "the advice must be the policy's own"
        differing = _differences(_dump(base), _dump(change.case))
        assert len(differing) == 1, differing
        assert str(change).startswith("Als ") and ", dan " in str(change)
    _check_nearest(policy, base, before, changes)
    return changes


def _check_nearest(policy, base, before, changes):
    durations, ages, weeks = _thresholds(policy)
    found: dict[str, list[Any]] = {}
    for change in changes:
        found.setdefault(change.path, []).append(change)

    def outcome(data):
        return _key(policy.advise(data))

    def expect_nearest(field, current, values, make, value_of, heavier_only=False):
        """values: the whole axis in order (None first); the nearest changing value on each side must be reported
        (``heavier_only``: a safety signal's, only on the heavier side, and nothing on the lighter)."""
        reported = [value_of(c.case) for c in found.get(field, [])]
        position = values.index(current)
        if heavier_only:
            assert not [v for v in reported if v in values[:position]], (field, reported)
        for side in (values[position + 1:], *([] if heavier_only else [list(reversed(values[:position]))])):
            nearest = next((v for v in side if outcome(make(v)) != before), "none")
            hits = [v for v in reported if v in side]
            assert hits == ([] if nearest == "none" else [nearest]), (field, current, nearest, hits)

    data = base.model_dump(exclude_none=True)
    top = max(durations + [0]) + 3
    for i, signal in enumerate(base.signalen):
        def with_signal(i=i, **change):  # i bound now: the function is used within this iteration only anyway
            copy = json.loads(json.dumps(data))
            copy["signalen"][i].update(change)
            copy["signalen"][i] = {k: v for k, v in copy["signalen"][i].items() if v is not None}
            return copy

        safe = signal.soort in policy.safety_kinds  # only ever heavier (``_whatif``: never a way out of safety)
        expect_nearest(f"signalen.{i}.ernst", signal.ernst, SEVERITIES, lambda v: with_signal(ernst=v),
                       lambda c, i=i: c.signalen[i].ernst, heavier_only=safe)
        if signal.duur_weken is None or signal.duur_weken <= top:
            axis = [None, *range(0, top + 1)]
            expect_nearest(f"signalen.{i}.duur_weken", signal.duur_weken, axis,
                           lambda v: with_signal(duur_weken=v), lambda c, i=i: c.signalen[i].duur_weken,
                           heavier_only=safe)
        kinds = [] if safe else list(policy.vocabulary.signalen)
        changing = {k for k in kinds if k != signal.soort and outcome(with_signal(soort=k)) != before}
        reported = {c.case.signalen[i].soort for c in found.get(f"signalen.{i}.soort", [])}
        assert reported <= changing
        # every kind that changes the advice is named, or counted ("of nog 7 andere soorten": at most 3 named)
        labels = [f"'{policy.vocabulary.signalen[k].label}'" for k in changing]
        swaps = [c.change for c in found.get(f"signalen.{i}.soort", [])]
        counted = [int(m.group(1)) if (m := re.search(r"of nog (\d+) andere soorten", text)) else 0 for text in swaps]
        assert sum(sum(label in text for label in labels) for text in swaps) + sum(counted) == len(changing)
        assert all(sum(label in text for label in labels) <= 4 for text in swaps)
    axis = [None, *range(4, 26)]
    expect_nearest("leeftijd", base.leeftijd, axis, lambda v: {**data, "leeftijd": v}, lambda c: c.leeftijd)
    if base.eerdere_aanpak is not None and base.eerdere_aanpak.weken <= max(weeks) + 3:
        axis = list(range(0, max(weeks) + 4))
        expect_nearest("eerdere_aanpak.weken", base.eerdere_aanpak.weken, axis,
                       lambda v: {**data, "eerdere_aanpak": {**data["eerdere_aanpak"], "weken": v}},
                       lambda c: c.eerdere_aanpak.weken)
    tasks = {t for t in policy.vocabulary.taken if t != base.taak and outcome({**data, "taak": t}) != before}
    named = " ".join(c.change for c in found.get("taak", []))
    assert all(f"'{policy.vocabulary.taken[t].label}'" in named for t in tasks)
    held = set(base.mentor.scholing) if base.mentor else set()
    for training in policy.vocabulary.scholing:
        new = sorted(held ^ {training})
        changes_it = outcome({**data, "mentor": {"scholing": new}}) != before
        label = f"'{policy.vocabulary.scholing[training].label}'"
        assert changes_it == any(label in c.change for c in found.get("mentor.scholing", []))


@pytest.mark.slow
def test_mourning_case_reads_as_als_dan(policy):
    case = {"leeftijd": 14, "taak": "begeleidingsgesprekken", "signalen": [{"soort": "rouw", "ernst": "matig", "duur_weken": 3}]}
    changes = _check(policy, case)
    texts = [str(c) for c in changes]
    assert "Als de mentor ook geschoold was in 'Rouwbegeleiding', dan mentor, deze week." in texts
    assert "Als het signaal 'Rouw' licht was in plaats van matig, dan mentor, deze week." in texts


def test_another_kind_keeps_and_names_the_severity(policy):
    """A trial read "Als het signaal niet 'Studievaardigheden' maar 'Somberheid of angst' was, dan mentor" as
    "somberheid is for the mentor": the swap keeps the severity, and now says so."""
    case = {"taak": "begeleidingsgesprekken", "signalen": [{"soort": "studievaardigheden", "ernst": "licht"}]}
    swaps = [c for c in policy.what_if(case) if c.path == "signalen.0.soort"]
    assert swaps and all(c.case.signalen[0].ernst == "licht" for c in swaps)
    assert all(str(c).startswith("Als het signaal niet 'Studievaardigheden' maar '") and " was, met dezelfde ernst (licht), dan " in
               str(c) for c in swaps), [str(c) for c in swaps]


def test_duration_and_weeks_thresholds_are_found(policy):
    case = {"leeftijd": 13, "taak": "verzuimgesprek", "signalen": [{"soort": "verzuim", "ernst": "matig", "duur_weken": 1}],
            "eerdere_aanpak": {"weken": 2, "effect": "onvoldoende"}}
    changes = _check(policy, case)
    assert {c.path for c in changes} >= {"eerdere_aanpak.weken"}


@pytest.mark.parametrize("path", sorted((ROOT / "rules" / "voorbeelden").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_example(policy, path):
    for example in yaml.safe_load(path.read_text(encoding="utf-8"))["voorbeelden"][:6]:
        _check(policy, example["casus"])


@st.composite
def cases(draw, policy):
    vocab = policy.vocabulary
    signal = st.fixed_dictionaries(
        {"soort": st.sampled_from(list(vocab.signalen)), "ernst": st.sampled_from(SEVERITIES)},
        optional={"duur_weken": st.integers(0, 12)},
    )
    case = {"taak": draw(st.sampled_from(list(vocab.taken))), "signalen": draw(st.lists(signal, max_size=2))}
    if draw(st.booleans()):
        case["leeftijd"] = draw(st.integers(4, 25))
    if draw(st.booleans()):
        case["mentor"] = {"scholing": draw(st.lists(st.sampled_from(list(vocab.scholing)), max_size=2, unique=True))}
    if draw(st.booleans()):
        case["eerdere_aanpak"] = {"weken": draw(st.integers(0, 12)), "effect": draw(st.sampled_from(["geen", "onvoldoende", "voldoende"]))}
    return case


@pytest.mark.slow
@settings(max_examples=25)
@given(data=st.data())
def test_generated_cases(policy, data):
    _check(policy, data.draw(cases(policy)))


@pytest.mark.parametrize("ernst", ["licht", "acuut"])
def test_a_safety_signal_is_never_left_out_lighter_or_another_kind(policy, ernst):
    """Beside an acute suicide plan, "if there were no such signal: mentor" read as a way out (a trial), and "if it
    were suicidal thoughts instead of a plan: zorgteam, vandaag nog" as a milder label (an integrator trial). For
    every safety kind of the policy (what the vocabulary marks, not a list here), beside an ordinary signal."""
    ordinary = next(k for k in policy.vocabulary.signalen if k not in policy.safety_kinds)
    assert policy.safety_kinds
    for kind in policy.safety_kinds:
        case = {"taak": "signaleren", "signalen": [{"soort": kind, "ernst": ernst}, {"soort": ordinary, "ernst": "licht"}]}
        changes = policy.what_if(case)
        for change in changes:
            signal = change.case.signalen[0]  # the safety signal stays first, the same kind, never lighter
            assert signal.soort == kind and SEVERITIES.index(signal.ernst) >= SEVERITIES.index(ernst), change
        assert [c for c in changes if c.path == "signalen"] == [c for c in changes if len(c.case.signalen) == 1]


def test_cli_waarom_says_what_it_leaves_out_beside_a_safety_signal(tmp_path, capsys):
    path = tmp_path / "casus.yaml"
    path.write_text("taak: signaleren\nsignalen: [{soort: suicidaal_plan, ernst: acuut}]\n", encoding="utf-8")
    assert main(["advies", str(path), "--waarom"]) == 0
    out = capsys.readouterr().out
    assert "geen signaal" not in out and "dan mentor" not in out
    assert "Aan een veiligheidssignaal verandert hier alleen iets dat het zwaarder maakt." in out
    assert main(["advies", str(path), "--waarom", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["let_op"] == [SAFETY_NOTE]
    path.write_text("taak: signaleren\nsignalen: [{soort: rouw, ernst: matig}]\n", encoding="utf-8")
    assert main(["advies", str(path), "--waarom"]) == 0
    assert "Aan een veiligheidssignaal" not in capsys.readouterr().out


def test_what_if_refuses_a_bad_case_without_echoing_it(policy):
    with pytest.raises(grenzen.CaseError) as info:
        policy.what_if({"taak": "signaleren", "naam": "Fatima"})
    assert "Fatima" not in str(info.value)


@pytest.mark.slow
def test_cli_waarom(tmp_path, capsys):
    path = tmp_path / "casus.yaml"
    path.write_text("leeftijd: 14\ntaak: begeleidingsgesprekken\nsignalen: [{soort: rouw, ernst: matig}]\n", encoding="utf-8")
    assert main(["advies", str(path), "--waarom"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Advies: ZORGTEAM") and "Wat zou het advies veranderen? (nu: zorgteam, deze week)" in out
    assert "  - Als de mentor ook geschoold was in 'Rouwbegeleiding', dan mentor, deze week." in out
    assert main(["advies", str(path), "--waarom", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["advies"]["route"] == "zorgteam"
    assert {"veld": "mentor.scholing", "route": "mentor", "urgentie": "deze_week"}.items() <= next(
        item for item in data["wat_als"] if item["veld"] == "mentor.scholing"
    ).items()


def test_the_names_before_0_2_still_work_with_a_warning(policy):
    case = {"taak": "begeleidingsgesprekken", "signalen": [{"soort": "rouw", "ernst": "matig"}]}
    change = policy.what_if(case)[0]
    for old, new in (("field", "path"), ("als", "change"), ("dan", "outcome")):
        with pytest.warns(DeprecationWarning, match=f"WhatIf.{new}"):
            assert getattr(change, old) == getattr(change, new)
