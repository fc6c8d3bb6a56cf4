"""Hypothesis strategies: rule directories (as YAML-able dicts) and cases over a small vocabulary."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

KINDS = ["a", "b", "c", "d"]
TASKS = ["t1", "t2", "t3"]
TRAININGS = ["x", "y"]
SEVERITIES = ["licht", "matig", "ernstig", "acuut"]
ROUTES = ["mentor", "zorgteam", "extern"]
URGENCIES = ["direct", "vandaag", "deze_week", "regulier"]
EFFECTS = ["geen", "onvoldoende", "voldoende"]

#: The group of each kind (selected with ``signaal: {groep: ...}``); ``a`` and ``b`` have none (a test marks one of
#: them ``veiligheid: ja`` by replacing its whole entry).
GROUP_OF = {"c": "g1", "d": "g2"}
GROUPS = sorted(set(GROUP_OF.values()))

VOCABULARY: dict[str, Any] = {
    "naam": "Gegenereerd beleid",
    "signalen": {k: {"label": k.upper(), "omschrijving": f"signaal {k}"} | ({"groep": GROUP_OF[k]} if k in GROUP_OF else {})
                 for k in KINDS},
    "taken": {t: {"label": t.upper(), "omschrijving": f"taak {t}"} for t in TASKS},
    "scholing": {x: {"label": x.upper(), "omschrijving": f"scholing {x}"} for x in TRAININGS},
}
AGREEMENTS: dict[str, Any] = {
    "bestemmingen": {
        "zc": {"naam": "zorgcoördinator", "soort": "intern"},
        "ha": {"naam": "huisarts", "soort": "extern"},
    },
    "toestemming": {
        "bron": "NVO",
        "leeftijden": [
            {"tot_en_met": 11, "wie": "ouders"},
            {"vanaf": 12, "tot_en_met": 15, "wie": "ouders en leerling"},
            {"vanaf": 16, "wie": "leerling"},
        ],
        "onbekende_leeftijd": "onbekend",
    },
}


def one_or_many(values: list[str]):
    return st.one_of(st.sampled_from(values), st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))


@st.composite
def signal_conditions(draw):
    cond = {}
    choice = draw(st.integers(0, 5))
    if choice in (1, 2, 3, 4):
        cond["soort"] = draw(one_or_many(KINDS))
    elif choice == 5:
        cond["behalve_soort"] = draw(one_or_many(KINDS))
    # selectors combine with everything above (AND); 'veiligheid: ja' selects no kind unless a test marks one
    if draw(st.integers(0, 3)) == 0:
        cond["groep"] = draw(one_or_many(GROUPS))
    if draw(st.integers(0, 3)) == 0:
        cond["veiligheid"] = draw(st.sampled_from(["ja", "nee"]))
    if draw(st.integers(0, 7)) == 0:  # no generated kind is marked so: 'ja' selects none, 'nee' every kind
        cond["familie_niet_benaderen"] = draw(st.sampled_from(["ja", "nee"]))
    bounds = draw(st.sampled_from([0, 0, 1, 1, 1, 2]))
    options = ["ernst_minstens", "ernst_hoogstens", "duur_minstens_weken"]
    for name in draw(st.permutations(options))[:bounds]:
        if name == "duur_minstens_weken":
            cond[name] = draw(st.integers(0, 8))
        else:
            cond[name] = draw(st.sampled_from(SEVERITIES))
    if "ernst_minstens" in cond and "ernst_hoogstens" in cond:
        low, high = sorted([cond["ernst_minstens"], cond["ernst_hoogstens"]], key=SEVERITIES.index)
        cond["ernst_minstens"], cond["ernst_hoogstens"] = low, high
    return {"signaal": cond}


@st.composite
def count_conditions(draw):
    """``aantal_signalen``: the keys of a signal block (any number of bounds: no limit under niet), and minstens."""
    block = dict(draw(signal_conditions())["signaal"])
    if draw(st.booleans()) and "ernst_hoogstens" not in block:
        block["ernst_hoogstens"] = draw(st.sampled_from(SEVERITIES[SEVERITIES.index(block.get("ernst_minstens", "licht")):]))
    block["minstens"] = draw(st.integers(1, 4))
    return {"aantal_signalen": block}


@st.composite
def age_conditions(draw):
    cond = {}
    if draw(st.booleans()):
        cond["vanaf"] = draw(st.integers(3, 20))
    if draw(st.booleans()) or not cond:
        cond["tot_en_met"] = draw(st.integers(cond.get("vanaf", 3), 22))
    return {"leeftijd": cond}


@st.composite
def school_year_conditions(draw):
    cond = {}
    if draw(st.booleans()):
        cond["vanaf"] = draw(st.integers(1, 6))
    if draw(st.booleans()) or not cond:
        cond["tot_en_met"] = draw(st.integers(cond.get("vanaf", 1), 6))
    return {"leerjaar": cond}


@st.composite
def approach_conditions(draw):
    cond = {}
    if draw(st.booleans()):
        cond["weken_minstens"] = draw(st.integers(0, 10))
    if draw(st.booleans()) or not cond:
        cond["effect"] = draw(one_or_many(EFFECTS))
    return {"eerdere_aanpak": cond}


atoms = st.one_of(
    signal_conditions(),
    signal_conditions(),
    st.builds(lambda t: {"taak": t}, one_or_many(TASKS)),
    st.builds(lambda x: {"scholing": x}, one_or_many(TRAININGS)),
    age_conditions(),
    school_year_conditions(),
    approach_conditions(),
    count_conditions(),
)


def _merge(a: dict, b: dict) -> dict:
    merged = dict(a)
    for key, value in b.items():
        merged.setdefault(key, value)
    return merged


conditions = st.recursive(
    atoms,
    lambda children: st.one_of(
        st.builds(lambda xs: {"alle": xs}, st.lists(children, max_size=3)),
        st.builds(lambda xs: {"een_van": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda x: {"niet": x}, children),
        st.builds(_merge, children, children),
    ),
    max_leaves=6,
)


@st.composite
def rule_sets(draw, min_rules: int = 1, max_rules: int = 8, exceptions: bool = True):
    count = draw(st.integers(min_rules, max_rules))
    rules: list[dict[str, Any]] = []
    for i in range(count):
        absolute = draw(st.integers(0, 5)) == 0
        rule = {
            "id": f"r{i}",
            "titel": f"Regel {i}",
            "bron": f"bron {i}",
            "absoluut": "ja" if absolute else "nee",
            "als": draw(conditions),
            "dan": {
                "route": draw(st.sampled_from(ROUTES)),
                "urgentie": draw(st.sampled_from(URGENCIES)),
                "mentor_doet": draw(st.lists(st.sampled_from(["A", "B", "C"]), max_size=2)),
                "mentor_doet_niet": draw(st.lists(st.sampled_from(["D", "E"]), max_size=2)),
                "verwijzen_naar": draw(st.lists(st.sampled_from(["zc", "ha"]), max_size=2)),
                "uitleg": f"uitleg {i}",
            },
        }
        verdict = draw(st.sampled_from([None, "ja", "nee"]))
        if verdict:
            rule["dan"]["taak_hoort_bij_mentor"] = verdict
        if draw(st.booleans()):
            rule["dan"]["toestemming"] = draw(st.sampled_from(["ja", "nee"]))
        targets = [r["id"] for r in rules if r["absoluut"] == "nee"]
        if exceptions and targets and draw(st.integers(0, 2)) == 0:
            rule["zet_opzij"] = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2, unique=True))
        rules.append(rule)
    return rules


signals = st.fixed_dictionaries(
    {"soort": st.sampled_from(KINDS), "ernst": st.sampled_from(SEVERITIES)},
    optional={"duur_weken": st.one_of(st.none(), st.integers(0, 12))},
)

cases = st.fixed_dictionaries(
    {"taak": st.sampled_from(TASKS), "signalen": st.lists(signals, max_size=4)},
    optional={
        "leeftijd": st.integers(4, 25),
        "leerjaar": st.integers(1, 6),
        "mentor": st.builds(lambda xs: {"scholing": xs}, st.lists(st.sampled_from(TRAININGS), max_size=2, unique=True)),
        "eerdere_aanpak": st.fixed_dictionaries({"weken": st.integers(0, 12), "effect": st.sampled_from(EFFECTS)}),
    },
)


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):  # shared sub-dicts must be written out: the loader refuses aliases
        return True


def dump(data) -> str:
    return yaml.dump(data, Dumper=_NoAliases, allow_unicode=True, sort_keys=False)


def write_policy(directory: Path, rules: list[dict], vocabulary: dict = VOCABULARY, agreements: dict = AGREEMENTS) -> Path:
    """Write a rules directory; rules go into two theme files to exercise multi-file loading."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "woordenlijst.yaml").write_text(dump(vocabulary), encoding="utf-8")
    (directory / "afspraken.yaml").write_text(dump(agreements), encoding="utf-8")
    half = (len(rules) + 1) // 2
    for name, part in (("a_thema.yaml", rules[:half]), ("b_thema.yaml", rules[half:])):
        if part:
            (directory / name).write_text(
                dump({"thema": name, "regels": part}), encoding="utf-8"
            )
    return directory


@contextmanager
def policy_dir(rules: list[dict]):
    with tempfile.TemporaryDirectory() as tmp:
        yield write_policy(Path(tmp) / "regels", rules)


@st.composite
def _rising_signal(draw):
    cond = {}
    if draw(st.integers(0, 3)):
        cond["soort"] = draw(one_or_many(KINDS))
    if draw(st.booleans()):
        cond["ernst_minstens"] = draw(st.sampled_from(SEVERITIES))
    if draw(st.booleans()):
        cond["duur_minstens_weken"] = draw(st.integers(0, 8))
    return {"signaal": cond}


#: Conditions without ``niet`` and without upper severity bounds: raising a severity can only make more hold.
monotone_conditions = st.recursive(
    st.one_of(_rising_signal(), _rising_signal(), st.builds(lambda t: {"taak": t}, one_or_many(TASKS)), age_conditions(),
              school_year_conditions()),
    lambda children: st.one_of(
        st.builds(lambda xs: {"alle": xs}, st.lists(children, max_size=3)),
        st.builds(lambda xs: {"een_van": xs}, st.lists(children, min_size=1, max_size=3)),
    ),
    max_leaves=5,
)
