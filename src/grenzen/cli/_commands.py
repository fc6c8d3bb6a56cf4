"""The policy writers' commands (nieuw, controleer, test, verschil, beleid): their options, handlers and Dutch
output."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import GrenzenError, os_reason
from ..pipeline._layers import DEFAULT_BASE, is_overlay
from ..pipeline._load import EXAMPLES_DIR, LAYER_FILE, VOCABULARY_FILE, default_rules_dir
from ..pipeline._policy import load_policy

# The toolkit is imported by each handler when it runs: ``grenzen advies`` never pays for it.
if TYPE_CHECKING:
    from typing import TypeAlias

    from ..pipeline._policy import Policy
    from ..toolkit._analysis import Finding
    from ..toolkit._diff import Change, Comparison, Difference

    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]  # the parser's subcommands

MAP_HELP = "map met regelbestanden (standaard: meegeleverd)"


def add_writers_commands(commands: Commands) -> None:
    """The commands ``nieuw``, ``controleer``, ``test``, ``verschil`` and ``beleid``, each with its handler."""
    nieuw = commands.add_parser(
        "nieuw", help="maak een nieuw beleid voor uw school, bovenop het standaardbeleid",
        description="Maak een nieuwe map met het beleid van uw school, bovenop het standaardbeleid: laag.yaml, een "
                    "bestand met een voorbeeldregel, een voorbeeldcasus, hulp voor de editor en LEESMIJ.md met de "
                    "volgende stappen. Een map die al bestaat, blijft zoals hij is.")
    nieuw.add_argument("map", metavar="MAP", help="de nieuwe map (die mag nog niet bestaan)")
    nieuw.add_argument("--naam", metavar="NAAM",
                       help="de naam van het beleid, bijvoorbeeld \"Beleid mentoraat Voorbeeldcollege\" "
                            "(standaard: Beleid mentoraat en de naam van de map)")
    nieuw.set_defaults(handler=run_new)
    controleer = commands.add_parser(
        "controleer", help="controleer een map met regels", description="Controleer een map met regelbestanden."
    )
    controleer.add_argument("map", metavar="MAP", nargs="?", help=MAP_HELP)
    controleer.add_argument("--streng", action="store_true", help="ook waarschuwingen laten de controle mislukken")
    controleer.add_argument("--alleen-laden", action="store_true",
                            help="alleen laden en controleren op fouten in de bestanden, "
                                 "zonder het domein door te rekenen")
    controleer.set_defaults(handler=run_check)
    test = commands.add_parser(
        "test", help="draai de voorbeeldcasussen", description="Draai de voorbeeldcasussen van een map met regels."
    )
    test.add_argument("map", metavar="MAP", nargs="?", help=MAP_HELP)
    test.add_argument("--dekking", action="store_true",
                      help="toon per regel of een voorbeeld hem oefent, en een percentage")
    test.add_argument("--minimaal-dekking", metavar="P", type=float,
                      help="mislukt als minder dan P procent van de regels geoefend wordt (toont de dekking)")
    test.set_defaults(handler=run_test)
    _add_verschil_and_beleid(commands)


def _add_verschil_and_beleid(commands: Commands) -> None:
    """The commands ``verschil`` and ``beleid``, each with its handler."""
    verschil = commands.add_parser(
        "verschil", help="vergelijk twee versies van het beleid",
        description="Vergelijk twee versies van het beleid op alle voorbeelden en op alle situaties die het beleid "
                    "onderscheidt. Een versie is een map of een git-versie als REVISIE:MAP, bijvoorbeeld HEAD~1:rules.")
    verschil.add_argument("oud", metavar="OUD", help="de oude versie (map of REVISIE:MAP)")
    verschil.add_argument("nieuw", metavar="NIEUW", help="de nieuwe versie (map of REVISIE:MAP)")
    verschil.set_defaults(handler=run_diff)
    beleid = commands.add_parser(
        "beleid", help="maak het leesbare beleidsdocument",
        description="Maak van de regels het leesbare beleidsdocument van de school (Markdown, HTML of Word).")
    beleid.add_argument("map", metavar="MAP", nargs="?", help=MAP_HELP)
    beleid.add_argument("--formaat", choices=("md", "html", "docx"),
                        help="md (standaard), html of docx (een Word-bestand, met -o); met -o volgt het formaat "
                             "anders uit de naam (.md, .html, .docx)")
    beleid.add_argument("-o", "--uitvoer", metavar="BESTAND",
                        help="schrijf naar dit bestand (nodig bij docx); een bestaand bestand wordt vervangen")
    beleid.set_defaults(handler=run_render)


def rules_dir(value: str | None) -> Path:
    """The folder given (a file or the examples folder in its place is refused: ``folder_not_file``), or the bundled
    default policy."""
    folder_not_file(value)
    return Path(value) if value else default_rules_dir()


def folder_not_file(value: str | None) -> None:
    """A rules file, or a policy's ``voorbeelden/`` folder, given where the policy's folder is meant: say which folder
    to give instead (a trial gave ``baken/voorbeelden`` to ``test``, and got eight fixes that would wreck it)."""
    if value is None:
        return
    path = Path(value)
    if path.is_file():
        raise GrenzenError(f"'{value}' is een bestand. Geef de map met de regelbestanden, niet één bestand; "
                           f"hier is dat de map '{path.parent}'.")
    parent = path.resolve().parent
    if path.resolve().name == EXAMPLES_DIR and any((parent / name).is_file() for name in (LAYER_FILE, VOCABULARY_FILE)):
        raise GrenzenError(f"'{value}' is de map met voorbeelden van een beleid. Geef de map van het beleid zelf; "
                           f"hier is dat de map '{os.path.relpath(parent)}'. 'grenzen test' vindt de voorbeelden "
                           "daarin.")


def run_new(args: argparse.Namespace) -> int:
    """``grenzen nieuw``: a school's overlay, ready to check and test; what was made and what comes next."""
    from ..toolkit._scaffold import README_FILE, create_overlay, default_name

    folder = Path(args.map)
    name = args.naam if args.naam is not None else default_name(folder)
    made = create_overlay(folder, name)
    print(f"Gemaakt: {folder} ({name})")
    for path in made:
        print(f"  {path.relative_to(folder)}")
    shown = f'"{folder}"' if " " in str(folder) else str(folder)
    print(f"Lees nu {folder / README_FILE}. Probeer daarna: grenzen controleer {shown} en grenzen test {shown}")
    return 0


def run_test(args: argparse.Namespace) -> int:
    """``grenzen test``: the examples of a policy, what failed, the coverage if asked."""
    from ..toolkit._coverage import coverage_text, run_tests

    report = run_tests(load_policy(rules_dir(args.map)))
    for problem in report.problems:
        print(problem, file=sys.stderr)
    for outcome in report.failed:
        print(f"MISLUKT {outcome.file}:{outcome.line}: {outcome.name}")
        for difference in outcome.differences:
            print(f"    {difference}")
        if outcome.advice is not None:  # what the advice came from (beside a difference about 'regels': a trial read
            # two 'regels:' lines as one)
            print("    het advies kwam van: " + ", ".join(r.regel for r in outcome.advice.redenen))
    minimum: float | None = args.minimaal_dekking
    if args.dekking or minimum is not None:
        print(coverage_text(report))
    failed = len(report.failed) + report.unreadable
    print(f"{len(report.outcomes) - len(report.failed)} geslaagd, {failed} mislukt"
          + (f", waarvan {report.unreadable} niet te gebruiken (zie de meldingen)" if report.unreadable else ""))
    if minimum is not None and report.coverage < minimum:
        print(f"De dekking is lager dan de gevraagde {minimum:g}%.", file=sys.stderr)
        return 1
    return 0 if report.ok else 1


def run_check(args: argparse.Namespace) -> int:
    """``grenzen controleer``; the verdict comes last, after the findings: 'In orde' never stands above an error."""
    policy = load_policy(rules_dir(args.map))  # rules_dir: a file or a voorbeelden/ folder is refused first
    loaded = f"{policy.name} (versie {policy.version}), {len(policy.rules)} regels"
    _say_if_schemas_are_stale(policy, args.map)
    if args.alleen_laden:
        print(f"In orde: {loaded}. Alleen geladen; het domein is niet doorgerekend.")
        return 0
    print(f"Geladen: {loaded}.")
    from ..toolkit._analysis import analyse_policy

    analysis = analyse_policy(policy)
    base_notes = _base_notes(policy, analysis.findings)
    for finding in analysis.findings:
        if finding not in base_notes:
            print(finding)
            print()
    errors, warnings, notes = len(analysis.errors), len(analysis.warnings), len(analysis.notes) - len(base_notes)
    errors_text = f"{errors} fout{'en' if errors != 1 else ''}"
    warnings_text = f"{warnings} waarschuwing{'en' if warnings != 1 else ''}"
    notes_text = f", {notes} keer let op (bedoeld? dan is het in orde)" if notes else ""
    print(f"Domein: {analysis.cases} situaties doorgerekend in {analysis.seconds:.1f} s; "
          f"{errors_text}, {warnings_text}{notes_text}.")
    if analysis.justified:
        n = len(analysis.justified)
        print(f"{n} {'tekst heeft' if n == 1 else 'teksten hebben'} moeilijke taal met een reden erbij "
              "('# leesbaarheid: …'); die staan hierboven niet als waarschuwing.")
    if base_notes:
        where = ("grenzen controleer (zonder map)" if all(f.file.startswith(f"{DEFAULT_BASE}/") for f in base_notes)
                 else "grenzen controleer met de map van de basis")
        print(f"Niet getoond: {len(base_notes)} keer let op over de basis, niet over uw eigen bestanden. "
              f"Die ziet u met {where}.")
    if errors:
        print(f"Niet in orde: {errors_text} (zie hierboven).")
        return 1
    if warnings and args.streng:
        print(f"Niet in orde met --streng: {warnings_text} (zie hierboven).")
        return 1
    print(f"In orde: {loaded}" + (f", met {warnings_text}." if warnings else "."))
    return 0


def _say_if_schemas_are_stale(policy: Policy, given: str | None) -> None:
    """The editor help in the folder's ``schema/`` (made by ``grenzen nieuw``) no longer fits the policy, for
    instance after a new kind in laag.yaml: the editor would underline that kind. Said, never a failure. Without that
    folder (the bundled policy) ``_schema`` is not imported."""
    from ..toolkit import SCHEMA_DIR

    if not (policy.path / SCHEMA_DIR).is_dir():
        return
    from ..toolkit._schema import stale_schemas

    stale = stale_schemas(policy)
    if stale:
        folder = given if given is not None else str(policy.path)
        shown = f'"{folder}"' if " " in folder else folder
        print(f"Let op: de hulp voor de editor in {Path(folder) / 'schema'} past niet meer bij het beleid "
              f"({', '.join(stale)}). Werk hem bij met: grenzen schema --bijwerken {shown}")


def _base_notes(policy: Policy, findings: list[Finding]) -> list[Finding]:
    """In an overlay: the notes ('let op', never a failure) at files of the policy it builds on. They are the base's
    own (the default policy has four), and a school cannot change those files: ``controleer`` counts them on one
    line instead of showing them above the school's own findings. Errors and warnings are always shown."""
    from ..toolkit._analysis import NOTE

    if not is_overlay(policy.path):
        return []
    own = policy.path.resolve()
    return [f for f in findings
            if f.level == NOTE and own not in (Path(f.file).resolve(), Path(f.file).resolve().parent)]


def _errors_of(policy: Policy) -> str | None:
    """What ``controleer`` finds wrong in a policy that loads, as "1 fout (veiligheid-bij-mentor)"; None when nothing.
    ``beleid`` and ``verschil`` say it: a trial made the document for the team, and compared versions, of a policy that
    ``controleer`` did not pass, without a word."""
    from ..toolkit._analysis import analyse_policy

    errors = analyse_policy(policy).errors
    if not errors:
        return None
    return f"{len(errors)} fout{'en' if len(errors) != 1 else ''} ({', '.join(dict.fromkeys(f.kind for f in errors))})"


def run_diff(args: argparse.Namespace) -> int:
    """``grenzen verschil``: what changed between two versions of a policy; 1 if a safety signal lost its guard."""
    folder_not_file(args.oud)
    folder_not_file(args.nieuw)
    for spec in (args.oud, args.nieuw):
        if spec == DEFAULT_BASE and Path(spec).is_dir():
            print(f"Let op: '{DEFAULT_BASE}' is het meegeleverde standaardbeleid. Bedoelt u de map met die naam, "
                  f"schrijf dan ./{DEFAULT_BASE}.", file=sys.stderr)
    from ..toolkit._diff import compare_policies
    from ..toolkit._yaml_out import example_yaml, indent

    result = compare_policies(args.oud, args.nieuw)
    old, new = result.old, result.new
    print(f"Oud:   {old.name} (versie {old.version}), {len(old.rules)} regels")
    print(f"Nieuw: {new.name} (versie {new.version}), {len(new.rules)} regels")
    _print_texts(result)
    print()
    skipped = result.examples_skipped
    print(f"Voorbeelden: {result.examples_changed} van {result.examples_run} casussen krijgen een ander advies"
          + (f" ({skipped} overgeslagen: een versie kent een soort niet)" if skipped else ""))
    for problem in result.examples_unread:  # left out without a word before (a trial); grenzen test shows them too
        print(f"  Niet gelezen en dus niet vergeleken: {problem}")
    for change in result.examples:
        print(f"  {_change(change)}: {change.cases} casus{'sen' if change.cases != 1 else ''}, "
              f"bijvoorbeeld {change.example}")
    print()
    print(f"Domein: {result.domain_changed} van {result.domain_cases} situaties krijgen een ander advies")
    if result.not_compared:  # "geen verschil" read as true for a new safety kind the domain leaves out (a trial)
        print(f"  Niet vergeleken: de situaties met {', '.join(result.not_compared)}: één versie kent ze niet. Bekijk "
              "hun advies met grenzen tabel, grenzen controleer of voorbeelden.")
    for change in result.domain:
        print(f"  {_change(change)}: {change.cases} situatie{'s' if change.cases != 1 else ''}, bijvoorbeeld:")
        assert change.case is not None
        expected = ({} if change.new is None else {change.field: [change.new]}) if change.field in _STEP_NAMES \
            else {change.field: change.new}  # a step that went cannot be written as expected
        print(indent(example_yaml(f"verschil: {_change(change)}", change.case, expected), 6))
    if not result.examples and not result.domain:
        print("Geen verschil in route, urgentie, taak of stappen" + (" in wat beide versies kennen."
                                                                       if result.not_compared else "."))
    _print_reach(result)
    _print_new_kinds(result)
    lost = result.safety_lost
    if lost:
        print()
        print(f"FOUT: {_count(len(lost), 'veiligheidssignaal', 'veiligheidssignalen')} niet meer beschermd: "
              f"{', '.join(lost)}. Zonder 'veiligheid: ja' controleert grenzen niet meer dat zo'n signaal nooit "
              "alleen bij de mentor blijft. Zet 'veiligheid: ja' terug bij dat signaal.")
    errors = _errors_of(new)
    if errors:
        print()
        print(f"Let op: grenzen controleer vindt {errors} in de nieuwe versie. Zie grenzen controleer {args.nieuw}")
    family = result.family_lost
    if family:
        print()
        print(f"FOUT: bij {', '.join(family)} is 'familie_niet_benaderen: ja' weggehaald. Dan gelden de uitzonderingen "
              "niet meer die het contact met de ouders aan de aandachtsfunctionaris laten. Zet het terug.")
    return 1 if lost or family else 0


def _print_reach(result: Comparison) -> None:
    """Where each rule the new version adds or changes holds and counts in the domain (``verschil``): a rule that
    changes no advice, because other rules or the safety rules set it aside, is said so."""
    if not result.reach:
        return
    print()
    print("Bereik van de nieuwe en gewijzigde regels (in de vergeleken situaties):")
    for reach in result.reach:
        if not reach.cases and result.not_compared:  # e.g. a rule about a new kind
            print(f"  {reach.rule}: geldt in geen van de vergeleken situaties (zie 'Niet vergeleken' hierboven).")
            continue
        if not reach.cases:
            print(f"  {reach.rule}: geldt in geen enkele situatie. Klopt de voorwaarde (als:)?")
            continue
        print(f"  {reach.rule}: geldt in {reach.cases} situatie{'s' if reach.cases != 1 else ''}, telt mee in "
              f"{reach.kept}.")
        if reach.by:
            by = ", ".join(f"{rule} ({count})" for rule, count in reach.by.items())
            print(f"    Opzij gezet door: {by}.")
        if not reach.kept:
            print("    Let op: deze regel verandert dus geen enkel advies.")
        if reach.in_danger:
            print(f"    In {reach.in_danger} van die situaties is er een veiligheidssignaal. Daar zou deze regel de "
                  "casus bij de mentor houden, maar de veiligheid gaat voor: hij gaat daar opzij. Zie grenzen "
                  "controleer.")


def _print_new_kinds(result: Comparison) -> None:
    """How the new version advises each signal kind it adds, alone, per severity (``verschil``)."""
    if not result.new_kinds:
        return
    from ..pipeline._whatif import outcome_words

    tasks = len(result.new.vocabulary.taken)
    print()
    print(f"Nieuwe signalen: zo adviseert de nieuwe versie een casus met alleen dat signaal (bij elk van de {tasks} "
          "taken, zonder scholing):")
    for kind in result.new_kinds:
        print(f"  {kind.name} ('{kind.label}'{', veiligheidssignaal' if kind.safety else ''}):")
        for severity, outcomes in kind.outcomes.items():
            said = "; ".join(outcome_words(route, urgency)
                             + ("" if len(outcomes) == 1 else f" ({n} {'taak' if n == 1 else 'taken'})")
                             for (route, urgency), n in outcomes.items())
            print(f"    {severity}: {said}{' (elke taak)' if len(outcomes) == 1 else ''}")


#: What one item of each part is called in ``verschil``'s output.
PART_NAMES = {"signalen": "signaal", "taken": "taak", "scholing": "scholing", "bestemmingen": "bestemming"}


def _print_texts(result: Comparison) -> None:
    """Vocabulary, agreements and rule texts that changed, in that order (``verschil``)."""
    if result.vocabulary:
        print("\nWoordenlijst:")
        for difference in result.vocabulary:
            print(f"  {_vocabulary_line(difference)}")
    destinations = [d for d in result.agreements if d.part == "bestemmingen"]
    consent = [d for d in result.agreements if d.part == "toestemming"]
    if destinations:
        print("\nVerwijsafspraken:")
        for difference in destinations:
            print(f"  {_item_line(difference)}")
    if consent:
        print("\nToestemming (wie geeft toestemming voor een verwijzing):")
        for difference in consent:
            where = difference.name or "bron"
            print(f"  {where}: {_value(difference.old)} → {_value(difference.new)}")
    _print_rules(result)


def _print_rules(result: Comparison) -> None:
    """The rules that came, went or changed, and each changed key of a rule (``verschil``)."""
    if result.rules_added or result.rules_removed or result.rules_changed:
        print()
    changed = (("nieuw", result.rules_added), ("weg", result.rules_removed), ("gewijzigd", result.rules_changed))
    for label, names in changed:
        if names:
            print(f"Regels {label}: {', '.join(names)}")
    shown = None
    for difference in result.rule_texts:
        if difference.name != shown:
            print(f"  {difference.name}:")
            shown = difference.name
        for line in _text_lines(difference):
            print(f"    {line}")


def _vocabulary_line(difference: Difference) -> str:
    """A kind that came, went or changed; a safety signal that lost its guard is an error."""
    noun = PART_NAMES[difference.part]
    if difference.error and difference.field == "familie_niet_benaderen":
        return (f"FOUT: bij {noun} {difference.name} is 'familie_niet_benaderen: ja' weggehaald: de regels die de "
                "leerling dan beschermen tegen contact met de familie, gelden er niet meer voor.")
    if difference.error and difference.field:
        return (f"FOUT: {noun} {difference.name} is geen veiligheidssignaal meer: 'veiligheid: ja' is weggehaald.")
    if difference.error:
        return f"FOUT: veiligheidssignaal {difference.name} is weggehaald."
    line = _item_line(difference)
    flags = [f"{flag}: ja" for flag in ("veiligheid", "familie_niet_benaderen")
             if difference.new is not None and not difference.field and difference.new.get(flag)]
    if flags:
        line += f" ({', '.join(flags)})"
    return line


def _item_line(difference: Difference) -> str:
    """A kind or destination added, removed, or one of its keys changed."""
    noun = PART_NAMES[difference.part]
    if difference.old is None and not difference.field:
        return f"{noun} nieuw: {difference.name} ({_value(difference.new.get('label') or difference.new.get('naam'))})"
    if difference.new is None and not difference.field:
        return f"{noun} weg: {difference.name} ({_value(difference.old.get('label') or difference.old.get('naam'))})"
    return f"{noun} {difference.name}, {difference.field}: {_value(difference.old)} → {_value(difference.new)}"


def _text_lines(difference: Difference) -> list[str]:
    """One changed key of a rule; a list shows the items that came and went."""
    if isinstance(difference.old, list) and isinstance(difference.new, list):
        return ([f"{difference.field} weg: {_value(item)}" for item in difference.old if item not in difference.new]
                + [f"{difference.field} nieuw: {_value(item)}" for item in difference.new if item not in difference.old]
                or [f"{difference.field}: andere volgorde"])
    return [f"{difference.field}: {_value(difference.old)} → {_value(difference.new)}"]


def _value(value: Any) -> str:
    """A value as the policy writer wrote it: ja/nee, texts between quotes, nothing as 'leeg'."""
    if value is None or value == []:
        return "leeg"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value)
    return str(value)


def _count(number: int, one: str, many: str) -> str:
    """'1 signaal is' or '2 signalen zijn'."""
    return f"{number} {one} is" if number == 1 else f"{number} {many} zijn"


def run_render(args: argparse.Namespace) -> int:
    """``grenzen beleid``: the readable policy document."""
    from ..toolkit._render import render_policy

    args.formaat = _document_format(args.formaat, args.uitvoer)
    if args.formaat == "docx":
        return _render_docx(args)
    policy = load_policy(rules_dir(args.map))
    text = render_policy(policy, args.formaat)
    if not args.uitvoer:
        print(text, end="")
        _warn_before_sharing(policy, args.map)
        return 0
    try:
        write_atomically(Path(args.uitvoer), text)
    except OSError as exc:
        print(os_problem(exc, "schrijven"), file=sys.stderr)
        return 1
    print(f"{'HTML' if args.formaat == 'html' else 'Markdown'}-bestand geschreven: {args.uitvoer}")
    _warn_before_sharing(policy, args.map)
    return 0


def _warn_before_sharing(policy: Policy, given: str | None) -> None:
    """On standard error (the document may go to standard output): the errors ``controleer`` finds in the policy."""
    errors = _errors_of(policy)
    if errors:
        folder = f" {given}" if given else ""
        print(f"Let op: grenzen controleer vindt {errors} in dit beleid. Los die op voordat u het document deelt: "
              f"grenzen controleer{folder}", file=sys.stderr)


#: The document format a file name asks for, by its extension; .pdf is not one grenzen writes.
_BY_SUFFIX = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".docx": "docx", ".pdf": "pdf"}


def _document_format(chosen: str | None, output: str | None) -> str:
    """The format of ``grenzen beleid``: ``--formaat`` if given, else the output file's extension, else Markdown.
    A file name whose extension says another format is refused: a Word program cannot open Markdown named .docx."""
    suffix = Path(output).suffix.lower() if output else ""
    named = _BY_SUFFIX.get(suffix)
    if named == "pdf":
        raise GrenzenError(f"grenzen maakt geen PDF ('{output}'). Maak een Word-bestand (--formaat docx -o "
                           "beleid.docx) en bewaar het in Word als PDF, of druk de HTML-pagina af als PDF.")
    if chosen is None:
        return named or "md"
    if named is not None and named != chosen:
        raise GrenzenError(f"De naam '{output}' past bij --formaat {named}, niet bij --formaat {chosen}. Kies een "
                           f"naam die eindigt op .{'md' if chosen == 'md' else chosen}, of laat --formaat weg.")
    return chosen


def _render_docx(args: argparse.Namespace) -> int:
    """``grenzen beleid --formaat docx -o BESTAND``: the policy document as a Word file (needs python-docx)."""
    from ..toolkit._docx import NEEDS_OUTPUT, write_docx

    if not args.uitvoer:
        raise GrenzenError(NEEDS_OUTPUT)
    policy = load_policy(rules_dir(args.map))
    try:
        write_docx(policy, args.uitvoer)
    except OSError as exc:
        print(os_problem(exc, "schrijven"), file=sys.stderr)
        return 1
    print(f"Word-bestand geschreven: {args.uitvoer}")
    _warn_before_sharing(policy, args.map)
    return 0


#: How ``verschil`` names a step that came or went, per list of steps.
_STEP_NAMES = {"mentor_doet": ("stap erbij", "stap weg"), "mentor_doet_niet": ("niet doen erbij", "niet doen weg")}


def _change(change: Change) -> str:
    """One changed field of the advice, old → new, or a step that came or went, in the words of the output."""
    if change.field in _STEP_NAMES:
        came, went = _STEP_NAMES[change.field]
        return f"{came}: '{change.new}'" if change.old is None else f"{went}: '{change.old}'"
    show = {True: "ja", False: "nee"}
    names = {"route": "route", "urgentie": "urgentie", "taak_hoort_bij_mentor": "taak hoort bij mentor"}
    return f"{names[change.field]} {show.get(change.old, change.old)} → {show.get(change.new, change.new)}"


def os_problem(exc: OSError, verb: str) -> str:
    """A Dutch message for a file that could not be read or written (the OS's own text is English)."""
    reason = os_reason(exc)
    return f"Kan het bestand niet {verb}: {exc.filename} ({reason})" if exc.filename else f"Kan niet {verb} ({reason})"


def write_atomically(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temporary file beside it, then a rename over it."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):  # name the file the user asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
