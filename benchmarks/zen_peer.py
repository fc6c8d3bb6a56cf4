"""The same decisions in a peer engine: GoRules ZEN (zen-engine), in two shapes.

* The fair peer (``array_expression``, ``array_advise``): every rule condition of the policy in ONE ZEN
  expression, compiled once (``zen.compile_expression``), that returns the indexes of the rules whose condition
  holds: ``filter([(c0) ? 0 : -1, (c1) ? 1 : -1, ...], # >= 0)``. This is the fastest way to run these
  conditions in ZEN from Python: one call into the engine per case, no decision graph around it.
* The old peer (``decision_table``, ``table_advise``): one "collect" decision table with one row per rule,
  the same condition as the row's single input cell. Around ten times slower than the array; kept for
  comparison.

Both read the rules with their signal selectors resolved (``Policy.resolved_rules``: ``groep`` and
``veiligheid`` become plain ``soort`` lists, as the engine sees them), validate the case with grenzen's own
``Policy.validate_case`` and combine the matched rules with grenzen's own ``Policy.combine``, so their advice
must equal ``Policy.advise``; ``bench.py`` checks that on every case. Benchmark-only: ZEN is not a dependency
of grenzen.

Unknown values are ``null`` in the ZEN input and every comparison on them is guarded (``x != null and x >= n``;
ZEN refuses to compare null with a number), so an unknown age satisfies no ``leeftijd``, an unknown duration no
``duur_minstens_weken`` and a missing ``eerdere_aanpak`` no ``eerdere_aanpak``, exactly as the rule language says.
Severities are compared by rank (licht 1 .. acuut 4). ZEN numbers are decimals: the indexes come back as floats
(0.0, 1.0, ...) and are turned into ints.
"""

from __future__ import annotations

import json
from typing import Any

import zen

import grenzen
from grenzen._models import SEVERITY_RANK, Casus
from grenzen.pipeline._rulefile import SignaalVoorwaarde, Voorwaarde


def _names(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _signal_expression(s: SignaalVoorwaarde) -> str:
    """A ``signaal`` block: some signal of the case meets all of its keys."""
    return f"some(signalen, {_signal_checks(s)})"


def _signal_checks(s: SignaalVoorwaarde) -> str:
    """What one signal (``#``) must meet for a ``signaal`` block (or what an ``aantal_signalen`` block counts)."""
    if s.groep is not None or s.veiligheid is not None:
        raise ValueError("signal selector left: give the rules with selectors resolved (Policy.resolved_rules)")
    checks = []
    if s.soort:
        checks.append(f"#.soort in {_names(s.soort)}")
    if s.behalve_soort:
        checks.append(f"not (#.soort in {_names(s.behalve_soort)})")
    if s.ernst_minstens:
        checks.append(f"#.e >= {SEVERITY_RANK[s.ernst_minstens]}")
    if s.ernst_hoogstens:
        checks.append(f"#.e <= {SEVERITY_RANK[s.ernst_hoogstens]}")
    if s.duur_minstens_weken is not None:
        checks.append(f"#.d != null and #.d >= {s.duur_minstens_weken}")
    return " and ".join(checks) or "true"


def _range(name: str, low: int | None, high: int | None) -> str:
    """``name`` is known and lies in [low, high] (a missing bound is open)."""
    parts = [f"{name} != null"]
    if low is not None:
        parts.append(f"{name} >= {low}")
    if high is not None:
        parts.append(f"{name} <= {high}")
    return "(" + " and ".join(parts) + ")"


def expression(cond: Voorwaarde) -> str:
    """A condition in the ZEN expression language (all keys of one block must hold; ``alle: []`` holds)."""
    parts = []
    if cond.alle is not None:
        parts.append("(" + " and ".join(expression(c) for c in cond.alle) + ")" if cond.alle else "true")
    if cond.een_van is not None:
        parts.append("(" + " or ".join(expression(c) for c in cond.een_van) + ")")
    if cond.niet is not None:
        parts.append(f"not {expression(cond.niet)}")
    if cond.signaal is not None:
        parts.append(_signal_expression(cond.signaal))
    if cond.aantal_signalen is not None:
        parts.append(f"count(signalen, {_signal_checks(cond.aantal_signalen)}) >= {cond.aantal_signalen.minstens}")
    parts += _plain_parts(cond)
    return "(" + " and ".join(parts) + ")"


def _plain_parts(cond: Voorwaarde) -> list[str]:
    """The keys of a block that are neither signals nor nesting: task, training, age, school year, approach."""
    parts = []
    if cond.taak is not None:
        parts.append(f"taak in {_names(cond.taak)}")
    if cond.scholing is not None:
        parts.append(f"some(scholing, # in {_names(cond.scholing)})")
    if cond.leeftijd is not None:
        parts.append(_range("lft", cond.leeftijd.vanaf, cond.leeftijd.tot_en_met))
    if cond.leerjaar is not None:
        parts.append(_range("lj", cond.leerjaar.vanaf, cond.leerjaar.tot_en_met))
    if cond.eerdere_aanpak is not None:
        tried = ["ea != null"]
        if cond.eerdere_aanpak.weken_minstens is not None:
            tried.append(f"ea.w >= {cond.eerdere_aanpak.weken_minstens}")
        if cond.eerdere_aanpak.effect:
            tried.append(f"ea.e in {_names(cond.eerdere_aanpak.effect)}")
        parts.append("(" + " and ".join(tried) + ")")
    return parts


def array_expression(policy: grenzen.Policy) -> str:
    """All rule conditions of ``policy`` in one ZEN expression: the indexes of the rules whose condition holds."""
    items = [f"{expression(rule.als)} ? {i} : -1" for i, rule in enumerate(policy.resolved_rules)]
    return "filter([" + ", ".join(items) + "], # >= 0)"


def compiled_array(policy: grenzen.Policy) -> Any:
    """``array_expression`` compiled once by ZEN (``evaluate(context)`` runs it)."""
    return zen.compile_expression(array_expression(policy))


def decision_table(policy: grenzen.Policy) -> Any:
    """The policy as a ZEN decision (one collect table, one row per rule)."""
    rows = [{"_id": f"r{i}", "c": expression(rule.als), "o": f"'{i}'"} for i, rule in enumerate(policy.resolved_rules)]
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
    """A valid case as ZEN input: unknown values are null."""
    tried = case.eerdere_aanpak
    return {
        "taak": case.taak,
        "lft": case.leeftijd,
        "lj": case.leerjaar,
        "scholing": list(case.mentor.scholing) if case.mentor else [],
        "ea": {"w": tried.weken, "e": tried.effect} if tried else None,
        "signalen": [{"soort": s.soort, "e": SEVERITY_RANK[s.ernst], "d": s.duur_weken} for s in case.signalen],
    }


def array_advise(policy: grenzen.Policy, compiled: Any, raw: dict[str, Any]) -> grenzen.Advies:
    """Validate like grenzen, match in ZEN (one compiled expression), combine like grenzen."""
    case = policy.validate_case(raw)
    return policy.combine([int(i) for i in compiled.evaluate(zen_input(case))], case)


def table_advise(policy: grenzen.Policy, decision: Any, raw: dict[str, Any]) -> grenzen.Advies:
    """Validate like grenzen, match in ZEN (collect decision table), combine like grenzen."""
    case = policy.validate_case(raw)
    rows = decision.evaluate(zen_input(case))["result"]
    return policy.combine(sorted(int(row["regel"]) for row in rows), case)
