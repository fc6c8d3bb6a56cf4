"""The route table of a policy: per signal kind, the advice at each severity, computed by asking the policy."""

from __future__ import annotations

from dataclasses import dataclass

from .._models import ROUTE_RANK, SEVERITIES, Advies
from ..pipeline._policy import Policy


@dataclass
class Row:
    """One signal kind: the advice per severity for the chosen task, and the lowest route over all tasks/trainings."""

    kind: str
    cells: list[Advies]
    lowest: list[str]


def route_table(policy: Policy, task: str | None = None, age: int = 14) -> tuple[str, list[Row]]:
    """Ask the policy about every signal kind at every severity (a single signal, no training)."""
    tasks = list(policy.vocabulary.taken)
    chosen = task or ("signaleren" if "signaleren" in tasks else tasks[0])
    trainings: list[list[str]] = [[]] + [[t] for t in policy.vocabulary.scholing]
    rows = []
    for kind in policy.vocabulary.signalen:
        cells: list[Advies] = []
        lowest: list[str] = []
        for severity in SEVERITIES:
            signal = {"soort": kind, "ernst": severity}
            cells.append(policy.advise({"taak": chosen, "leeftijd": age, "signalen": [signal]}))
            routes = [
                policy.advise({"taak": t, "leeftijd": age, "signalen": [signal], "mentor": {"scholing": s}}).route
                for t in tasks
                for s in trainings
            ]
            lowest.append(min(routes, key=ROUTE_RANK.__getitem__))
        rows.append(Row(kind, cells, lowest))
    return chosen, rows


def table_markdown(policy: Policy, task: str | None = None) -> str:
    """The table as Markdown, in Dutch."""
    chosen, rows = route_table(policy, task)
    lines = [
        f"Routes per signaalsoort — {policy.name}, versie {policy.version}",
        "",
        f"Eén signaal, taak `{chosen}`, leeftijd 14, mentor zonder scholing. Per cel: route (urgentie).",
        "De laatste kolom geeft per ernst de laagste route over álle taken en elke scholing.",
        "",
        "| signaal | " + " | ".join(SEVERITIES) + " | laagste route (l/m/e/a) |",
        "|---|" + "---|" * (len(SEVERITIES) + 1),
    ]
    for row in rows:
        cells = [f"{a.route} ({a.urgentie})" for a in row.cells]
        lines.append(f"| {row.kind} | " + " | ".join(cells) + " | " + " / ".join(row.lowest) + " |")
    return "\n".join(lines + severity_anchors(policy))


def severity_anchors(policy: Policy) -> list[str]:
    """Per signal kind whose vocabulary entry says so, what each severity means (with the source), as Markdown
    lines after the table; nothing when no kind has anchors."""
    kinds = [(key, term) for key, term in policy.vocabulary.signalen.items() if term.anchors()]
    if not kinds:
        return []
    lines = ["", "Wat de ernst betekent, per signaalsoort (uit de woordenlijst):"]
    for key, term in kinds:
        lines += ["", f"**{term.label}** (`{key}`)", ""]
        lines += [f"- {severity}: {' '.join(text.split())}" for severity, text in term.anchors().items()]
        if term.ernst_bron:
            lines.append(f"- bron: {' '.join(term.ernst_bron.split())}")
    return lines
