"""Consistency report (``grenzen samenhang``): where did the route actually taken differ from the policy's advice?

Input is JSON Lines, one past case per line::

    {"code": "2A", "casus": {...}, "route": "mentor"}

``code`` is a pseudonymous class or mentor code (never a name: letters and digits with at least one digit,
at most 12 characters), ``casus`` a case in the contract, ``route`` the route actually taken. Other keys are
refused, so no name can travel along. The report counts, per code, the cases whose actual route was lighter
("te licht") or heavier ("te zwaar") than the advice, safety cases first (a signal whose kind the vocabulary
marks ``veiligheid: ja``, or advice from an absolute rule), and marks codes that deviate clearly more than the
others (a one-sided binomial z-score against the other codes).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .._errors import CaseError, EngineError
from .._models import ROUTE_RANK, Advies
from ..pipeline._policy import Policy
from ..pipeline._read import MAX_CASE_BYTES, read_case_text, too_large

CODE_PATTERN = re.compile(r"(?=.*[0-9])[A-Za-z0-9][A-Za-z0-9_-]{0,11}")  # used with fullmatch: no trailing newline
CODE_RULE = ("een klas- of mentorcode (bijv. 2A, H3b, M07): letters en cijfers met minstens één cijfer, "
             "hoogstens 12 tekens")
KEYS = {"code", "casus", "route"}
NOTABLE_Z = 3.0  # a code is "opvallend" when its deviation count is this many standard deviations above the rest
MIN_NOTABLE = 3  # ... and it has at least this many deviations in that direction


@dataclass
class CodeStats:
    """Counts for one class or mentor code."""

    code: str
    cases: int = 0
    lighter: int = 0
    heavier: int = 0
    safety_cases: int = 0
    safety_lighter: int = 0
    safety_heavier: int = 0
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (advised, actual) of deviations
    safety_pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # the same, safety cases only
    kinds: Counter[str] = field(default_factory=Counter)  # signal kinds of deviating cases
    notable: list[str] = field(default_factory=list)  # "te licht" / "te zwaar" when clearly above the rest

    @property
    def deviations(self) -> int:
        return self.lighter + self.heavier

    @property
    def rate(self) -> float:
        return self.deviations / self.cases if self.cases else 0.0

    @property
    def safety_deviations(self) -> int:
        return self.safety_lighter + self.safety_heavier


@dataclass
class Report:
    """The whole report: per-code counts, in report order (safety deviations, then notable, then by rate)."""

    policy: str
    version: str
    codes: list[CodeStats]
    skipped: list[str]  # Dutch messages for lines that were not used (line number and field, never content)

    @property
    def cases(self) -> int:
        return sum(c.cases for c in self.codes)

    def total(self, name: str) -> int:
        return sum(getattr(c, name) for c in self.codes)


def line_problems(record: Any) -> list[str]:
    """What is wrong with one parsed line, apart from the case itself (Dutch, without content)."""
    if not isinstance(record, dict):
        return ["de regel is geen JSON-object"]
    problems = ["onbekende velden; alleen code, casus en route"] if set(record) - KEYS else []
    problems += [f"veld '{key}' ontbreekt" for key in sorted(KEYS - set(record))]
    code = record.get("code")
    if "code" in record and not (isinstance(code, str) and CODE_PATTERN.fullmatch(code)):
        problems.append(f"code moet {CODE_RULE} zijn; nooit een naam")
    if "casus" in record and not isinstance(record["casus"], dict):
        problems.append("veld 'casus' moet een JSON-object zijn")
    if "route" in record and record["route"] not in ROUTE_RANK:
        problems.append("route moet mentor, zorgteam of extern zijn")
    return problems


def build_report(policy: Policy, lines: Iterable[str | bytes | None], max_bytes: int = MAX_CASE_BYTES) -> Report:
    """Read JSON Lines of past cases (text, or bytes in UTF-8) and compare each actual route with the advice.

    A line that cannot be used (``None``: longer than ``max_bytes``) is listed in ``Report.skipped`` with its
    number, never its content; the report still comes.
    """
    absolute = {rule.id for rule in policy.rules if rule.absoluut}
    safety_kinds = set(policy.safety_kinds)
    stats: dict[str, CodeStats] = {}
    skipped: list[str] = []
    cache: dict[str, tuple[Advies, bool, frozenset[str]]] = {}
    for number, line in enumerate(lines, start=1):
        if line is not None and not line.strip():
            continue
        try:
            problem = _use_line(policy, line, max_bytes, stats, cache, absolute, safety_kinds)
        except Exception as exc:  # noqa: BLE001 - one bad line never costs the report (type name only: no content)
            problem = f"onverwachte fout ({type(exc).__name__})"
        if problem:
            skipped.append(f"regel {number}: {problem}")
    codes = list(stats.values())
    _mark_notable(codes)
    codes.sort(key=lambda c: (-c.safety_lighter, -c.safety_deviations, not c.notable, -c.rate, c.code))
    return Report(policy.name, policy.version, codes, skipped)


def _use_line(policy: Policy, line: str | bytes | None, max_bytes: int, stats: dict[str, CodeStats],
              cache: dict[str, tuple[Advies, bool, frozenset[str]]], absolute: set[str], safety_kinds: set[str]) -> str:
    """Count one history line; returns why it could not be used ("" when it was)."""
    if line is None:
        return too_large(max_bytes)
    try:
        record = read_case_text(line, json_only=True, max_bytes=max_bytes)
    except CaseError as exc:
        return "; ".join(e.message for e in exc.errors)
    problems = line_problems(record)
    if problems:
        return "; ".join(problems)
    key = json.dumps(record["casus"], sort_keys=True)
    if key not in cache:
        try:
            case = policy.validate_case(record["casus"])
            advice = policy.advise(case)
        except CaseError as exc:
            return "casus ongeldig: " + "; ".join(str(e) for e in exc.errors)
        except EngineError:
            return "de regelengine gaf geen advies"
        kinds = frozenset(signal.soort for signal in case.signalen)
        safety = bool(kinds & safety_kinds) or any(reason.regel in absolute for reason in advice.redenen)
        cache[key] = (advice, safety, kinds)
    advice, safety, kinds = cache[key]
    _count(stats.setdefault(record["code"], CodeStats(record["code"])), advice, safety, kinds, record["route"])
    return ""


def _count(entry: CodeStats, advice: Advies, safety: bool, kinds: frozenset[str], route: str) -> None:
    entry.cases += 1
    entry.safety_cases += safety
    step = ROUTE_RANK[route] - ROUTE_RANK[advice.route]
    if step == 0:
        return
    lighter = step < 0
    entry.lighter += lighter
    entry.heavier += not lighter
    if safety:
        entry.safety_lighter += lighter
        entry.safety_heavier += not lighter
        entry.safety_pairs[(advice.route, route)] += 1
    entry.pairs[(advice.route, route)] += 1
    entry.kinds.update(kinds)


def _mark_notable(codes: list[CodeStats]) -> None:
    """Mark codes whose too-light or too-heavy count is far above what the other codes' rate predicts."""
    total_cases = sum(c.cases for c in codes)
    for name, label in (("lighter", "te licht"), ("heavier", "te zwaar")):
        total = sum(getattr(c, name) for c in codes)
        for entry in codes:
            count = getattr(entry, name)
            rest_cases = total_cases - entry.cases
            rest_rate = (total - count) / rest_cases if rest_cases else 0.0
            expected = entry.cases * rest_rate
            spread = math.sqrt(max(entry.cases * rest_rate * (1 - rest_rate), 0.25))
            if count >= MIN_NOTABLE and (count - expected) / spread >= NOTABLE_Z:
                entry.notable.append(label)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%".replace(".", ",") if whole else "-"


def _pairs(entry: CodeStats, safety: bool = False) -> str:
    pairs = entry.safety_pairs if safety else entry.pairs
    return ", ".join(f"{a}→{b} {n}" for (a, b), n in pairs.most_common(3))


def _kinds(entry: CodeStats) -> str:
    return ", ".join(f"{k} {n}" for k, n in entry.kinds.most_common(3))


def report_text(report: Report) -> str:
    """The report for a terminal, in Dutch."""
    n = report.cases
    lines = [
        f"Samenhang: {n} casussen van {len(report.codes)} codes, beleid {report.policy} (versie {report.version})",
        f"Afwijkend van het advies: {report.total('deviations')} ({_percent(report.total('deviations'), n)}): "
        f"{report.total('lighter')} te licht, {report.total('heavier')} te zwaar.",
        "Te licht: de gekozen route was lichter dan het advies (bijv. advies zorgteam, gekozen mentor). "
        "Te zwaar: andersom.",
        "",
        f"1. Veiligheidscasussen (een signaal met 'veiligheid: ja' of advies uit een regel met 'absoluut: ja'): "
        f"{report.total('safety_cases')} casussen, "
        f"{report.total('safety_lighter')} te licht, {report.total('safety_heavier')} te zwaar.",
    ]
    unsafe = [c for c in report.codes if c.safety_deviations]
    if unsafe:
        lines.append(f"   {'code':<12} {'veiligheid':>10} {'te licht':>9} {'te zwaar':>9}  advies→gekozen")
        for c in unsafe:
            lines.append(f"   {c.code:<12} {c.safety_cases:>10} {c.safety_lighter:>9} {c.safety_heavier:>9}  "
                         f"{_pairs(c, True)}")
    else:
        lines.append("   Geen afwijkingen bij veiligheidscasussen.")
    lines += [
        "",
        "2. Alle casussen per code (veiligheid en opvallende codes eerst)",
        f"   {'code':<12} {'casussen':>8} {'afwijkend':>9} {'%':>6} {'te licht':>9} {'te zwaar':>9}  "
        f"{'opvallend':<18} advies→gekozen; signalen",
    ]
    for c in report.codes:
        notable = ", ".join(c.notable) if c.notable else "-"
        detail = f"{_pairs(c)}; {_kinds(c)}" if c.deviations else ""
        lines.append(
            f"   {c.code:<12} {c.cases:>8} {c.deviations:>9} {_percent(c.deviations, c.cases):>6} {c.lighter:>9} "
            f"{c.heavier:>9}  {notable:<18} {detail}".rstrip()
        )
    notable_codes = [c.code for c in report.codes if c.notable]
    lines += ["", "Opvallend (duidelijk vaker afwijkend dan de andere codes): "
              + (", ".join(notable_codes) if notable_codes else "geen")]
    if report.skipped:
        lines += ["", f"Overgeslagen regels: {len(report.skipped)}"]
        lines += [f"  {message}" for message in report.skipped[:20]]
        if len(report.skipped) > 20:
            lines.append(f"  … en nog {len(report.skipped) - 20}")
    return "\n".join(lines)


LIGHTER_COLOUR = "#c0392b"  # te licht: red
HEAVIER_COLOUR = "#2471a3"  # te zwaar: blue
SAFETY_COLOUR = "#000000"


def report_html(report: Report) -> str:
    """A self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched) for the team meeting."""
    from html import escape

    n = report.cases
    unsafe = [c for c in report.codes if c.safety_deviations]
    safety_rows = "".join(
        f"<tr><td>{escape(c.code)}</td><td>{c.safety_cases}</td><td class='licht'>{c.safety_lighter}</td>"
        f"<td class='zwaar'>{c.safety_heavier}</td><td class='tekst'>{escape(_pairs(c, True))}</td></tr>"
        for c in unsafe
    ) or "<tr><td colspan='5'>Geen afwijkingen bij veiligheidscasussen.</td></tr>"
    rows = "".join(
        f"<tr{' class=opvallend' if c.notable else ''}><td>{escape(c.code)}</td><td>{c.cases}</td>"
        f"<td>{c.deviations}</td><td>{_percent(c.deviations, c.cases)}</td><td class='licht'>{c.lighter}</td>"
        f"<td class='zwaar'>{c.heavier}</td><td>{escape(', '.join(c.notable) or '-')}</td>"
        f"<td class='tekst'>{escape(_pairs(c))}</td><td class='tekst'>{escape(_kinds(c))}</td></tr>"
        for c in report.codes
    )
    skipped = ""
    if report.skipped:
        items = "".join(f"<li>{escape(m)}</li>" for m in report.skipped[:50])
        skipped = f"<h2>Overgeslagen regels ({len(report.skipped)})</h2><ul>{items}</ul>"
    return f"""<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Samenhang in de route — {escape(report.policy)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; max-width: 70em; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
th:first-child, td:first-child, .tekst {{ text-align: left; }}
td.licht {{ color: {LIGHTER_COLOUR}; font-weight: bold; }}
td.zwaar {{ color: {HEAVIER_COLOUR}; font-weight: bold; }}
tr.opvallend {{ background: #fdf2e9; }}
.legenda span {{ display: inline-block; width: 1em; height: 1em; vertical-align: middle; margin: 0 0.3em 0 1em; }}
</style>
</head>
<body>
<h1>Samenhang in de route</h1>
<p>{n} casussen van {len(report.codes)} klassen of mentoren, vergeleken met het advies van
<strong>{escape(report.policy)}</strong> (versie {escape(report.version)}). Alleen codes, nooit namen.</p>
<p id="totaal">Afwijkend van het advies: <strong>{report.total('deviations')}</strong>
({_percent(report.total('deviations'), n)}): {report.total('lighter')} te licht, {report.total('heavier')} te zwaar.
<em>Te licht</em>: de gekozen route was lichter dan het advies (bijvoorbeeld advies zorgteam, gekozen mentor);
<em>te zwaar</em>: andersom.</p>
<h2>1. Veiligheidscasussen</h2>
<p>Casussen met een signaal waarvan de soort <code>veiligheid: ja</code> heeft, of waarin een regel met
<code>absoluut: ja</code> het advies gaf: {report.total('safety_cases')},
waarvan {report.total('safety_lighter')} te licht en {report.total('safety_heavier')} te zwaar.</p>
<table id="veiligheid"><tr><th>code</th><th>veiligheidscasussen</th><th>te licht</th><th>te zwaar</th>
<th class="tekst">advies→gekozen</th></tr>{safety_rows}</table>
<h2>2. Afwijkingen per klas of mentor</h2>
<p class="legenda">Deel van de casussen dat afweek:<span style="background:{LIGHTER_COLOUR}"></span>te licht
<span style="background:{HEAVIER_COLOUR}"></span>te zwaar
<span style="background:#fff;border:2px solid {SAFETY_COLOUR}"></span>met afwijking bij veiligheid</p>
{_chart(report.codes)}
<table id="codes"><tr><th>code</th><th>casussen</th><th>afwijkend</th><th>%</th><th>te licht</th><th>te zwaar</th>
<th>opvallend</th><th class="tekst">advies→gekozen</th><th class="tekst">signalen</th></tr>{rows}</table>
{skipped}
</body>
</html>
"""


def _chart(codes: list[CodeStats]) -> str:
    """Horizontal stacked bars: per code the share of cases too light (red) and too heavy (blue)."""
    from html import escape

    bar, row, label, width = 400.0, 22, 110, 620
    top = max((c.rate for c in codes), default=0.0) or 1.0
    parts = []
    for i, c in enumerate(codes):
        y = i * row + 4
        light = bar * (c.lighter / c.cases) / top if c.cases else 0.0
        heavy = bar * (c.heavier / c.cases) / top if c.cases else 0.0
        mark = " ⚠" if c.safety_deviations else ""
        parts.append(
            f'<text x="{label - 8}" y="{y + 14}" text-anchor="end">{escape(c.code)}{mark}</text>'
            f'<rect class="te-licht" x="{label}" y="{y}" width="{light:.1f}" height="16" fill="{LIGHTER_COLOUR}"/>'
            f'<rect class="te-zwaar" x="{label + light:.1f}" y="{y}" width="{heavy:.1f}" height="16" '
            f'fill="{HEAVIER_COLOUR}"/>'
            + (f'<rect class="veiligheid" x="{label - 2}" y="{y - 2}" width="{light + heavy + 4:.1f}" height="20" '
               f'fill="none" stroke="{SAFETY_COLOUR}" stroke-width="2"/>' if c.safety_deviations else "")
            + f'<text x="{label + light + heavy + 6:.1f}" y="{y + 14}">{_percent(c.deviations, c.cases)}</text>'
        )
    height = len(codes) * row + 8
    return (
        f'<svg id="grafiek" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13" role="img" '
        f'aria-label="Afwijkingen per code">{"".join(parts)}</svg>'
    )
