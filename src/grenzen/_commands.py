"""Output of the policy writers' commands (test, controleer, verschil, beleid), in Dutch. Used by ``cli``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._analysis import analyse_policy
from ._coverage import coverage_text, run_tests
from ._diff import Change, compare_policies
from ._policy import Policy, load_policy
from ._render import render_policy
from ._yaml_out import example_yaml, indent


def add_arguments(commands: argparse._SubParsersAction, test: argparse.ArgumentParser,
                  controleer: argparse.ArgumentParser) -> None:
    """The options of ``test`` and ``controleer``, and the commands ``verschil`` and ``beleid``."""
    test.add_argument("--dekking", action="store_true", help="toon per regel of een voorbeeld hem oefent, en een percentage")
    test.add_argument("--minimaal-dekking", metavar="P", type=float,
                      help="mislukt als minder dan P procent van de regels geoefend wordt (toont de dekking)")
    controleer.add_argument("--streng", action="store_true", help="ook waarschuwingen laten de controle mislukken")
    controleer.add_argument("--alleen-laden", action="store_true",
                            help="alleen laden en controleren op fouten in de bestanden, zonder het domein door te rekenen")
    verschil = commands.add_parser(
        "verschil", help="vergelijk twee versies van het beleid",
        description="Vergelijk twee versies van het beleid op alle voorbeelden en op alle situaties die het beleid "
                    "onderscheidt. Een versie is een map of een git-versie als REVISIE:MAP, bijvoorbeeld HEAD~1:rules.")
    verschil.add_argument("oud", metavar="OUD", help="de oude versie (map of REVISIE:MAP)")
    verschil.add_argument("nieuw", metavar="NIEUW", help="de nieuwe versie (map of REVISIE:MAP)")
    beleid = commands.add_parser(
        "beleid", help="maak het leesbare beleidsdocument",
        description="Maak van de regels het leesbare beleidsdocument van de school (Markdown of HTML).")
    beleid.add_argument("map", metavar="MAP", nargs="?", help="map met regelbestanden (standaard: meegeleverd)")
    beleid.add_argument("--formaat", choices=("md", "html"), default="md", help="md (standaard) of html")


def run_test(policy: Policy, args: argparse.Namespace) -> int:
    report = run_tests(policy)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    for outcome in report.failed:
        print(f"MISLUKT {outcome.file}:{outcome.line}: {outcome.name}")
        for difference in outcome.differences:
            print(f"    {difference}")
        if outcome.advice is not None:
            print("    regels: " + ", ".join(r.regel for r in outcome.advice.redenen))
    minimum = getattr(args, "minimaal_dekking", None)
    if getattr(args, "dekking", False) or minimum is not None:
        print(coverage_text(report))
    print(f"{len(report.outcomes) - len(report.failed)} geslaagd, {len(report.failed)} mislukt")
    if minimum is not None and report.coverage < minimum:
        print(f"De dekking is lager dan de gevraagde {minimum:g}%.", file=sys.stderr)
        return 1
    return 0 if report.ok else 1


def run_check(policy: Policy, args: argparse.Namespace) -> int:
    print(f"In orde: {policy.name} (versie {policy.version}), {len(policy.rules)} regels.")
    if getattr(args, "alleen_laden", False):
        return 0
    analysis = analyse_policy(policy)
    for finding in analysis.findings:
        print(finding)
        print()
    errors, warnings = len(analysis.errors), len(analysis.warnings)
    print(f"Domein: {analysis.cases} situaties doorgerekend in {analysis.seconds:.1f} s; "
          f"{errors} fout{'en' if errors != 1 else ''}, {warnings} waarschuwing{'en' if warnings != 1 else ''}.")
    if errors or (warnings and args.streng):
        return 1
    return 0


def run_diff(args: argparse.Namespace) -> int:
    result = compare_policies(args.oud, args.nieuw)
    old, new = result.old, result.new
    print(f"Oud:   {old.name} (versie {old.version}), {len(old.rules)} regels")
    print(f"Nieuw: {new.name} (versie {new.version}), {len(new.rules)} regels")
    for label, names in (("nieuw", result.rules_added), ("weg", result.rules_removed), ("gewijzigd", result.rules_changed)):
        if names:
            print(f"Regels {label}: {', '.join(names)}")
    print()
    print(f"Voorbeelden: {result.examples_changed} van {result.examples_run} casussen krijgen een ander advies"
          + (f" ({result.examples_skipped} overgeslagen: een versie kent een soort niet)" if result.examples_skipped else ""))
    for change in result.examples:
        print(f"  {_change(change)}: {change.cases} casus{'sen' if change.cases != 1 else ''}, "
              f"bijvoorbeeld {change.example}")
    print()
    print(f"Domein: {result.domain_changed} van {result.domain_cases} situaties krijgen een ander advies")
    for change in result.domain:
        print(f"  {_change(change)}: {change.cases} situatie{'s' if change.cases != 1 else ''}, bijvoorbeeld:")
        assert change.case is not None
        print(indent(example_yaml(f"verschil: {_change(change)}", change.case, {change.field: change.new}), 6))
    if not result.examples and not result.domain:
        print("Geen verschil in route, urgentie of taak.")
    return 0


def run_render(args: argparse.Namespace, directory: Path) -> int:
    print(render_policy(load_policy(directory), args.formaat), end="")
    return 0


def _change(change: Change) -> str:
    show = {True: "ja", False: "nee"}
    names = {"route": "route", "urgentie": "urgentie", "taak_hoort_bij_mentor": "taak hoort bij mentor"}
    return f"{names[change.field]} {show.get(change.old, change.old)} → {show.get(change.new, change.new)}"
