"""The same decisions in a peer engine: GoRules ZEN (zen-engine), as one decision table.

Each rule of the policy becomes one row of a "collect" decision table whose single input cell is the
rule's condition written in the ZEN expression language. The rows ZEN returns go through grenzen's own
combiner, so the two engines must give identical advice; ``bench.py`` checks that on every case.
Benchmark-only: ZEN is not a dependency of grenzen.
"""

from __future__ import annotations

import json
from typing import Any

import zen

import grenzen
from grenzen._models import ERNST_RANG, Casus
from grenzen.pipeline._rulefile import SignaalVoorwaarde, Voorwaarde


def _names(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _signal_expression(s: SignaalVoorwaarde) -> str:
    """A ``signaal`` block: some signal of the case meets all of its keys."""
    checks = [f"#.e >= {ERNST_RANG[s.ernst_minstens] if s.ernst_minstens else 1}"]
    if s.soort:
        checks.append(f"#.soort in {_names(s.soort)}")
    if s.behalve_soort:
        checks.append(f"not (#.soort in {_names(s.behalve_soort)})")
    if s.ernst_hoogstens:
        checks.append(f"#.e <= {ERNST_RANG[s.ernst_hoogstens]}")
    if s.duur_minstens_weken is not None:
        checks.append(f"#.d >= {s.duur_minstens_weken}")
    return f"some(signalen, {' and '.join(checks)})"


def expression(cond: Voorwaarde) -> str:
    """A condition in the ZEN expression language (all keys of one block must hold)."""
    parts = []
    if cond.alle is not None:
        parts.append("(" + " and ".join(expression(c) for c in cond.alle) + ")" if cond.alle else "true")
    if cond.een_van is not None:
        parts.append("(" + " or ".join(expression(c) for c in cond.een_van) + ")")
    if cond.niet is not None:
        parts.append(f"not ({expression(cond.niet)})")
    if cond.signaal is not None:
        parts.append(_signal_expression(cond.signaal))
    if cond.taak is not None:
        parts.append(f"taak in {_names(cond.taak)}")
    if cond.scholing is not None:
        parts.append(f"some(scholing, # in {_names(cond.scholing)})")
    if cond.leeftijd is not None:
        age = [f"lft >= {max(cond.leeftijd.vanaf or 0, 0)}"]
        if cond.leeftijd.tot_en_met is not None:
            age.append(f"lft <= {cond.leeftijd.tot_en_met}")
        parts.append("(" + " and ".join(age) + ")")
    if cond.eerdere_aanpak is not None:
        tried = [f"ea_w >= {cond.eerdere_aanpak.weken_minstens or 0}"]
        if cond.eerdere_aanpak.effect:
            tried.append(f"ea_e in {_names(cond.eerdere_aanpak.effect)}")
        parts.append("(" + " and ".join(tried) + ")")
    return "(" + " and ".join(parts) + ")"


def decision_table(policy: grenzen.Policy) -> Any:
    """The policy as a ZEN decision (one collect table, one row per rule)."""
    rows = [{"_id": f"r{i}", "c": expression(rule.als), "o": f"'{i}'"} for i, rule in enumerate(policy.rules)]
    graph = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Casus", "position": {"x": 0, "y": 0}},
            {"id": "dt", "type": "decisionTableNode", "name": "Beleid", "position": {"x": 200, "y": 0},
             "content": {"hitPolicy": "collect", "inputs": [{"id": "c", "name": "voorwaarde"}],
                         "outputs": [{"id": "o", "field": "regel", "name": "regel"}], "rules": rows}},
            {"id": "out", "type": "outputNode", "name": "Advies", "position": {"x": 400, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "dt", "type": "edge"},
            {"id": "e2", "sourceId": "dt", "targetId": "out", "type": "edge"},
        ],
    }
    return zen.ZenEngine().create_decision(json.dumps(graph))


def zen_input(case: Casus) -> dict[str, Any]:
    return {
        "taak": case.taak,
        "lft": case.leeftijd if case.leeftijd is not None else -1,
        "scholing": list(case.mentor.scholing) if case.mentor else [],
        "ea_w": case.eerdere_aanpak.weken if case.eerdere_aanpak else -1,
        "ea_e": case.eerdere_aanpak.effect if case.eerdere_aanpak else "_",
        "signalen": [
            {"soort": s.soort, "e": ERNST_RANG[s.ernst], "d": s.duur_weken if s.duur_weken is not None else -1}
            for s in case.signalen
        ],
    }


def zen_advise(policy: grenzen.Policy, decision: Any, raw: dict[str, Any]) -> grenzen.Advies:
    """Validate like grenzen, match in ZEN, combine like grenzen."""
    case = policy.validate_case(raw)
    rows = decision.evaluate(zen_input(case))["result"]
    return policy.combine(sorted(int(row["regel"]) for row in rows), case)
