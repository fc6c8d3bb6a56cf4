"""The ``grenzen`` command, in Dutch: its one parser, the dispatch to each command's handler, and the handlers of
advies, tabel, schema and samenhang (the policy writers' commands are in ``_commands``)."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .._errors import CaseError, EngineError, GrenzenError, engine_failure
from ..pipeline._explain import explain
from ..pipeline._policy import load_policy
from ..pipeline._read import MAX_CASE_BYTES
from ..team._batch import LineReader, WriteError, drop_output, write_problem
from . import _startup
from ._argparse_nl import parse_in_dutch, whole_number
from ._commands import MAP_HELP, add_writers_commands, folder_not_file, os_problem, rules_dir, write_atomically

if TYPE_CHECKING:
    from ._commands import Commands

_WRITE_ERRORS = {errno.EPIPE, errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
#: The exit code of a command whose reader stopped reading (``| head``): what a Unix tool killed by SIGPIPE gives
SIGPIPE_EXIT = 128 + 13
MAX_CAP = 100_000_000  # the highest --max-grootte: one case of 100 MB
_RULES_HELP = "map met regelbestanden (standaard: het meegeleverde beleid)"
#: The schemas ``grenzen schema`` shows (``toolkit._schema.SCHEMAS``; not imported here: ``advies`` never loads the
#: toolkit).
_SCHEMAS = ("casus", "advies", "regels", "woordenlijst", "afspraken", "voorbeelden", "laag")


def build_parser() -> argparse.ArgumentParser:
    """The whole ``grenzen`` parser; every command sets its handler with ``set_defaults(handler=…)``."""
    from ..server._command import add_serve_command

    parser, commands = _parser()
    _add_advies(commands)
    add_writers_commands(commands)  # controleer, test, verschil, beleid
    _add_tabel(commands)
    _add_schema(commands)
    _add_samenhang(commands)
    add_serve_command(commands)  # grenzen serve (the server extra)
    return parser


def advies_parser() -> argparse.ArgumentParser:
    """``build_parser`` with the command advies alone, for ``grenzen advies …``: a command's arguments, help and
    errors do not depend on the other commands (the usage of ``grenzen`` itself names them as OPDRACHT), and
    ``advies`` need not build the others nor import the server's options (issue 12, point 3)."""
    parser, commands = _parser()
    _add_advies(commands)
    return parser


def _parser() -> tuple[argparse.ArgumentParser, Commands]:
    """The parser of ``grenzen`` itself, and the action its commands are added to."""
    parser = argparse.ArgumentParser(
        prog="grenzen",
        description="Hoort deze taak bij de mentor, bij het zorgteam of bij externe hulp? Met redenen uit het beleid.",
    )
    commands = parser.add_subparsers(dest="opdracht", metavar="OPDRACHT", title="opdrachten")
    commands.required = True
    return parser, commands


def _add_advies(commands: Commands) -> None:
    """The command ``advies``: one case, or JSON Lines of cases."""
    advies = commands.add_parser("advies", help="geef advies op een casus", description="Geef advies op een casus.")
    advies.add_argument("casus", metavar="CASUS", help="casusbestand (YAML of JSON); '-' leest van standaardinvoer")
    advies.add_argument("--regels", metavar="MAP", help=_RULES_HELP)
    advies.add_argument("--json", action="store_true", help="geef het advies als JSON (het vaste contract)")
    advies.add_argument("--jsonl", action="store_true",
                        help="CASUS bevat JSON Lines: één casus per regel, één advies per regel terug "
                             "(vanzelf bij .jsonl en .ndjson); de antwoorden komen in blokken van honderden regels")
    advies.add_argument("--processen", metavar="N", type=whole_number(1, 1024), default=1,
                        help="aantal processen voor JSON Lines (standaard 1, hoogstens het aantal processors)")
    advies.add_argument("--max-grootte", metavar="BYTES", type=whole_number(1, MAX_CAP), default=MAX_CASE_BYTES,
                        help=f"hoogste grootte van één casus of één regel in bytes (standaard {MAX_CASE_BYTES})")
    advies.add_argument("--waarom", action="store_true",
                        help="toon ook de kleinste veranderingen aan de casus die het advies zouden veranderen")
    advies.set_defaults(handler=_advies)


def _add_tabel(commands: Commands) -> None:
    """The command ``tabel``."""
    tabel = commands.add_parser(
        "tabel",
        help="toon per signaalsoort de route bij elke ernst",
        description="Toon per signaalsoort de route bij elke ernst, berekend met het beleid zelf.",
    )
    tabel.add_argument("map", metavar="MAP", nargs="?", help=MAP_HELP)
    tabel.add_argument("--taak", metavar="TAAK", help="de taak in elke casus (standaard: signaleren)")
    tabel.set_defaults(handler=_tabel)


def _add_schema(commands: Commands) -> None:
    """The command ``schema``."""
    schema = commands.add_parser(
        "schema",
        help="toon het JSON Schema van de casus, het advies of een regelbestand",
        description="Toon het JSON Schema (draft 2020-12) van de casus of het advies, met de woordenlijst van het "
        "beleid. Of van een soort regelbestand (regels, woordenlijst, afspraken, voorbeelden, laag): daarmee helpt "
        "een editor u bij het schrijven, met aanvullen, uitleg en rode strepen onder fouten.",
    )
    schema.add_argument("soort", metavar="SOORT", nargs="?", choices=_SCHEMAS, default=None,
                        help="casus (standaard), advies, regels, woordenlijst, afspraken, voorbeelden of laag")
    schema.add_argument("--regels", metavar="MAP", help=_RULES_HELP)
    schema.add_argument("--bijwerken", metavar="MAP",
                        help="schrijf de schema's van alle regelbestanden van MAP in MAP/schema/ (na een nieuwe "
                             "soort, taak, scholing of bestemming), in plaats van één schema te tonen")
    schema.set_defaults(handler=_schema)


def _add_samenhang(commands: Commands) -> None:
    """The command ``samenhang``."""
    samenhang = commands.add_parser(
        "samenhang",
        help="vergelijk gekozen routes in eerdere casussen met het advies, per klas of mentor",
        description="Vergelijk de gekozen route in eerdere casussen (JSON Lines: code, casus, route) met het advies, "
        "per klas- of mentorcode; veiligheidscasussen eerst.",
    )
    samenhang.add_argument("casussen", metavar="CASUSSEN", help="JSON Lines-bestand; '-' leest van standaardinvoer")
    samenhang.add_argument("--regels", metavar="MAP", help=_RULES_HELP)
    samenhang.add_argument("--html", metavar="BESTAND",
                           help="schrijf ook een HTML-pagina met grafiek voor het teamoverleg")
    samenhang.add_argument("--max-grootte", metavar="BYTES", type=whole_number(1, MAX_CAP), default=MAX_CASE_BYTES,
                           help=f"hoogste grootte van één regel in bytes (standaard {MAX_CASE_BYTES})")
    samenhang.set_defaults(handler=_samenhang)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grenzen`` command: parse once, run the command's handler; returns the exit code."""
    command = (sys.argv[1:] if argv is None else list(argv))[:1]
    args = parse_in_dutch(advies_parser if command == ["advies"] else build_parser, argv)
    if sys.stdout is None:  # started with standard output closed (>&-): print() would drop everything silently
        print("Kan de uitvoer niet schrijven: er is geen standaarduitvoer.", file=sys.stderr)
        return 1
    handler: Callable[[argparse.Namespace], int] = args.handler
    if handler is not _advies:  # advies ends the start-up once it has its policy (_startup)
        _startup.end()
    try:
        code = handler(args)
        sys.stdout.flush()  # a full disk shows here, as a message, not as a traceback at exit
        return code
    except WriteError as exc:
        print(str(exc), file=sys.stderr)
        drop_output(sys.stdout)
        return 1
    except GrenzenError as exc:  # PolicyError, CaseError, EngineError, WorkerError: Dutch, without case content
        print(str(exc), file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.filename is None and exc.errno == errno.EPIPE:  # the reader stopped (| head): quiet, as Unix tools are
            drop_output(sys.stdout)
            return SIGPIPE_EXIT
        if exc.filename is None and exc.errno in _WRITE_ERRORS:  # standard output: a full disk, a closed pipe
            print(write_problem(exc, None), file=sys.stderr)
            drop_output(sys.stdout)
            return 1
        print(os_problem(exc, "lezen"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C outside a batch (a batch answers it itself, see _batch.run_batch)
        print("Onderbroken.", file=sys.stderr)
        return 130


#: After an unknown name in a case asked of the bundled policy: the name may be a school's own (a trial)
OVERLAY_HINT = ("Staat die naam in de eigen regels van uw school (een schoollaag)? Geef dan die map mee: "
                "grenzen advies --regels MAP CASUS")


def _advies(args: argparse.Namespace) -> int:
    """``grenzen advies``: the advice on one case (with --waarom the changes that would change it), or a batch."""
    if args.jsonl or args.casus.lower().endswith((".jsonl", ".ndjson")):
        if args.waarom:
            raise GrenzenError("--waarom werkt bij één casus, niet bij JSON Lines.")
        return _advies_batch(args)
    policy = load_policy(rules_dir(args.regels))
    _startup.end()
    policy.max_case_bytes = args.max_grootte
    with _input(args.casus) as stream:
        data = stream.read(args.max_grootte + 4)  # the BOM, and one byte that shows the text is too large
    try:
        advice = policy.advise(data)
    except (CaseError, EngineError) as exc:
        if args.json:  # a program reads standard output: the error object of JSON Lines mode, not only Dutch text
            print(json.dumps({"fout": {"fouten": _error_items(exc)}}, ensure_ascii=False))
        if isinstance(exc, CaseError):
            print(_case_refused(exc, data, args), file=sys.stderr)
            return 1
        raise
    if args.waarom:
        from ..pipeline._whatif import has_safety_signal, whatif_json, whatif_text

        changes = policy.what_if(data)
        safety = has_safety_signal(policy, policy.validate_case(data))
        print(whatif_json(advice, changes, safety) if args.json
              else explain(advice) + "\n\n" + whatif_text(advice, changes, safety))
        return 0
    print(advice.model_dump_json(indent=2) if args.json else explain(advice))
    return 0


def _case_refused(exc: CaseError, data: bytes, args: argparse.Namespace) -> str:
    """What ``grenzen advies`` says of a refused case: each error at its place in the text (not with --json: the
    place is for a person), and after an unknown name asked of the bundled policy the hint to give the school's own
    rules."""
    from ..toolkit._examples import case_error_lines

    placed = None if args.json else case_error_lines(exc, data, None if args.casus == "-" else args.casus)
    said = "De casus is ongeldig:\n" + "\n".join(f"  {line}" for line in placed) if placed else exc.with_hints()
    if args.regels is None and any(e.code == "onbekende-naam" for e in exc.errors):
        said += f"\n{OVERLAY_HINT}"  # a school's own kind or task, asked of the default (a trial)
    return said


def _error_items(exc: CaseError | EngineError) -> list[dict[str, str]]:
    """The error items of JSON Lines mode and the HTTP API (``{"veld", "melding", "code"}``) for one case."""
    errors = [engine_failure(exc)] if isinstance(exc, EngineError) else exc.errors
    return [error.as_json() for error in errors]


@contextmanager
def _input(name: str) -> Iterator[BinaryIO]:
    """The input as bytes, read once: '-' is standard input; a path may be a file, /dev/stdin, a pipe or a FIFO."""
    if name == "-":
        if sys.stdin is None:  # started with standard input closed (<&-)
            raise GrenzenError("Kan niet lezen: er is geen standaardinvoer.")
        yield sys.stdin.buffer
        return
    with open(name, "rb") as stream:
        yield stream


def _processes(asked: int) -> int:
    """The processes asked for, at most the number of processors (said on standard error when fewer)."""
    cpus = os.cpu_count() or 1
    if asked > cpus:
        print(f"--processen {asked} is meer dan het aantal processors; grenzen gebruikt er {cpus}.", file=sys.stderr)
    return max(1, min(asked, cpus))


def _advies_batch(args: argparse.Namespace) -> int:
    """``grenzen advies`` on JSON Lines: one advice per line."""
    from ..team._batch import run_batch

    directory = rules_dir(args.regels)
    policy = load_policy(directory)  # a broken policy fails once, here, not in every worker
    _startup.end()
    processes = _processes(args.processen)
    with _input(args.casus) as stream:  # bytes: each line is decoded on its own
        return run_batch(policy, directory, stream, processes, args.max_grootte)


def _tabel(args: argparse.Namespace) -> int:
    """``grenzen tabel``: per kind of signal the route at each severity."""
    from ..toolkit._table import table_markdown

    policy = load_policy(rules_dir(args.map))
    if args.taak and args.taak not in policy.vocabulary.taken:
        print(f"Onbekende taak '{args.taak}'; kies uit: {', '.join(policy.vocabulary.taken)}", file=sys.stderr)
        return 1
    print(table_markdown(policy, args.taak))
    return 0


def _schema(args: argparse.Namespace) -> int:
    """``grenzen schema``: the JSON Schema of the case, the advice or a kind of rule file; with --bijwerken the
    schemas of a folder's rule files, written into its ``schema/`` folder."""
    from ..toolkit._schema import schema_text, write_schemas

    if args.bijwerken is None:
        sys.stdout.write(schema_text(load_policy(rules_dir(args.regels)), args.soort or "casus"))
        return 0
    if args.regels is not None or args.soort is not None:
        raise GrenzenError("Gebruik --bijwerken MAP zonder SOORT en zonder --regels: grenzen schrijft dan de schema's "
                           "van alle regelbestanden, uit MAP zelf.")
    folder = Path(args.bijwerken)
    folder_not_file(args.bijwerken)
    try:
        written = write_schemas(load_policy(folder), folder, write_atomically)
    except OSError as exc:
        print(os_problem(exc, "schrijven"), file=sys.stderr)
        return 1
    print(f"Bijgewerkt in {folder / 'schema'}: {', '.join(path.name for path in written)}")
    return 0


def _samenhang(args: argparse.Namespace) -> int:
    """``grenzen samenhang``: earlier chosen routes against the advice, per code; optionally an HTML page."""
    from ..team._consistency import build_report, report_html, report_text

    policy = load_policy(rules_dir(args.regels))
    if args.html and args.casussen != "-" and Path(args.html).exists() and os.path.samefile(args.html, args.casussen):
        raise GrenzenError("--html mag niet het invoerbestand zijn: kies een ander bestand voor de HTML-pagina.")
    with _input(args.casussen) as stream:  # bytes: a line that is not UTF-8 is reported, not replaced
        report = build_report(policy, LineReader(stream, args.max_grootte), args.max_grootte)
    print(report_text(report))
    if args.html:
        try:
            write_atomically(Path(args.html), report_html(report))
        except OSError as exc:
            print(os_problem(exc, "schrijven"), file=sys.stderr)
            return 1
        print(f"HTML-pagina geschreven: {args.html}")
    if not report.cases:
        print("Geen bruikbare casussen gevonden.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
