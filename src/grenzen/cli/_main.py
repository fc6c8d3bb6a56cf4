"""The ``grenzen`` command, in Dutch: advies, controleer, test, tabel."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from ..team._batch import LineReader, WriteError, write_problem
from .._errors import GrenzenError
from ..pipeline._explain import explain
from ..pipeline._policy import Policy, default_rules_dir, load_policy
from ..pipeline._read import MAX_CASE_BYTES

_ARGPARSE_DUTCH = {
    "usage: ": "gebruik: ",
    "positional arguments": "argumenten",
    "options": "opties",
    "show this help message and exit": "toon deze hulp en stop",
    "the following arguments are required: %s": "deze argumenten ontbreken: %s",
    "unrecognized arguments: %s": "onbekende argumenten: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ongeldige keuze: %(value)r (kies uit %(choices)s)",
    "expected one argument": "verwacht één waarde",
    "expected at most one argument": "verwacht hoogstens één waarde",
    "expected at least one argument": "verwacht minstens één waarde",
    "ignored explicit argument %r": "overbodige waarde %r",
    "ambiguous option: %(option)s could match %(matches)s": "dubbelzinnige optie: %(option)s kan %(matches)s zijn",
    "argument %(argument_name)s: %(message)s": "bij %(argument_name)s: %(message)s",
    "invalid %(type)s value: %(value)r": "ongeldige waarde %(value)r: verwacht een getal",  # only int/float types
    "%(prog)s: error: %(message)s\n": "%(prog)s: fout: %(message)s\n",
}
_ARGPARSE_LOCK = threading.Lock()

_OS_DUTCH = {
    errno.ENOENT: "bestand of map bestaat niet",
    errno.EISDIR: "is een map",
    errno.EACCES: "geen toegang",
    errno.EPERM: "geen toegang",
    errno.ENOTDIR: "een deel van het pad is geen map",
    errno.ENOSPC: "de schijf is vol",
}


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse with argparse's own messages in Dutch.

    argparse looks every message up through its module global ``_`` when it needs it, so ``_`` is replaced
    for the duration of the parse by a lookup that answers in Dutch to this thread only; other threads keep
    argparse's own messages. The lock keeps concurrent calls from restoring each other's replacement.
    """
    me = threading.get_ident()
    with _ARGPARSE_LOCK:
        original = argparse._  # type: ignore[attr-defined]

        def dutch(text: str) -> str:
            return _ARGPARSE_DUTCH.get(text, text) if threading.get_ident() == me else original(text)

        argparse._ = dutch  # type: ignore[attr-defined]
        try:
            return _parser().parse_args(argv)
        finally:
            argparse._ = original  # type: ignore[attr-defined]


def _os_problem(exc: OSError, verb: str) -> str:
    """A Dutch message for a file that could not be read or written (the OS's own text is English)."""
    reason = _OS_DUTCH.get(exc.errno or 0, "onbekende fout")
    return f"Kan het bestand niet {verb}: {exc.filename} ({reason})" if exc.filename else f"Kan niet {verb} ({reason})"


MAX_CAP = 100_000_000  # the highest --max-grootte: one case of 100 MB


def _count(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, with a Dutch message otherwise."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"moet een geheel getal van {low} tot en met {high} zijn")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grenzen",
        description="Hoort deze taak bij de mentor, bij het zorgteam of bij externe hulp? Met redenen uit het beleid.",
    )
    commands = parser.add_subparsers(dest="opdracht", metavar="OPDRACHT", title="opdrachten")
    commands.required = True

    advies = commands.add_parser("advies", help="geef advies op een casus", description="Geef advies op een casus.")
    advies.add_argument("casus", metavar="CASUS", help="casusbestand (YAML of JSON); '-' leest van standaardinvoer")
    advies.add_argument("--regels", metavar="MAP", help="map met regelbestanden (standaard: het meegeleverde beleid)")
    advies.add_argument("--json", action="store_true", help="geef het advies als JSON (het vaste contract)")
    advies.add_argument("--jsonl", action="store_true",
                        help="CASUS bevat JSON Lines: één casus per regel, één advies per regel terug "
                             "(vanzelf bij .jsonl en .ndjson)")
    advies.add_argument("--processen", metavar="N", type=_count(1, 1024), default=1,
                        help="aantal processen voor JSON Lines (standaard 1, hoogstens het aantal processors)")
    advies.add_argument("--max-grootte", metavar="BYTES", type=_count(1, MAX_CAP), default=MAX_CASE_BYTES,
                        help=f"hoogste grootte van één casus of één regel in bytes (standaard {MAX_CASE_BYTES})")
    advies.add_argument("--waarom", action="store_true",
                        help="toon ook de kleinste veranderingen aan de casus die het advies zouden veranderen")

    controleer = commands.add_parser(
        "controleer", help="controleer een map met regels", description="Controleer een map met regelbestanden."
    )
    controleer.add_argument("map", metavar="MAP", nargs="?", help="map met regelbestanden (standaard: meegeleverd)")

    test = commands.add_parser(
        "test", help="draai de voorbeeldcasussen", description="Draai de voorbeeldcasussen van een map met regels."
    )
    test.add_argument("map", metavar="MAP", nargs="?", help="map met regelbestanden (standaard: meegeleverd)")
    from ._commands import add_arguments

    add_arguments(commands, test, controleer)  # --dekking, --streng, verschil, beleid

    tabel = commands.add_parser(
        "tabel",
        help="toon per signaalsoort de route bij elke ernst",
        description="Toon per signaalsoort de route bij elke ernst, berekend met het beleid zelf.",
    )
    tabel.add_argument("map", metavar="MAP", nargs="?", help="map met regelbestanden (standaard: meegeleverd)")
    tabel.add_argument("--taak", metavar="TAAK", help="de taak in elke casus (standaard: signaleren)")

    schema = commands.add_parser(
        "schema",
        help="toon het JSON Schema van de casus of het advies",
        description="Toon het JSON Schema (draft 2020-12) van de casus of het advies, met de woordenlijst van het beleid.",
    )
    schema.add_argument("soort", metavar="SOORT", nargs="?", choices=["casus", "advies"], default="casus",
                        help="casus (standaard) of advies")
    schema.add_argument("--regels", metavar="MAP", help="map met regelbestanden (standaard: het meegeleverde beleid)")

    samenhang = commands.add_parser(
        "samenhang",
        help="vergelijk gekozen routes in eerdere casussen met het advies, per klas of mentor",
        description="Vergelijk de gekozen route in eerdere casussen (JSON Lines: code, casus, route) met het advies, "
        "per klas- of mentorcode; veiligheidscasussen eerst.",
    )
    samenhang.add_argument("casussen", metavar="CASUSSEN", help="JSON Lines-bestand; '-' leest van standaardinvoer")
    samenhang.add_argument("--regels", metavar="MAP", help="map met regelbestanden (standaard: het meegeleverde beleid)")
    samenhang.add_argument("--html", metavar="BESTAND", help="schrijf ook een HTML-pagina met grafiek voor het teamoverleg")
    samenhang.add_argument("--max-grootte", metavar="BYTES", type=_count(1, MAX_CAP), default=MAX_CASE_BYTES,
                           help=f"hoogste grootte van één regel in bytes (standaard {MAX_CASE_BYTES})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grenzen`` command; returns the exit code."""
    args = _parse(argv)
    if sys.stdout is None:  # started with standard output closed (>&-): print() would drop everything silently
        print("Kan de uitvoer niet schrijven: er is geen standaarduitvoer.", file=sys.stderr)
        return 1
    try:
        code = _run(args)
        sys.stdout.flush()  # a full disk shows here, as a message, not as a traceback at exit
        return code
    except WriteError as exc:
        print(str(exc), file=sys.stderr)
        _drop_stdout()
        return 1
    except GrenzenError as exc:  # PolicyError, CaseError, EngineError, WorkerError: Dutch, without case content
        print(str(exc), file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.filename is None and exc.errno in _WRITE_ERRORS:  # standard output: a full disk, a closed pipe
            print(write_problem(exc, None), file=sys.stderr)
            _drop_stdout()
            return 1
        print(_os_problem(exc, "lezen"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C outside a batch (a batch answers it itself, see _batch.run_batch)
        print("Onderbroken.", file=sys.stderr)
        return 130


_WRITE_ERRORS = {errno.EPIPE, errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


def _run(args: argparse.Namespace) -> int:
    if args.opdracht == "advies":
        return _advies(args)
    if args.opdracht == "controleer":
        return _controleer(args)
    if args.opdracht in ("verschil", "beleid"):
        from ._commands import run_diff, run_render

        if args.opdracht == "beleid":
            return run_render(args, _directory(args.map))
        _folder_not_file(args.oud)
        _folder_not_file(args.nieuw)
        return run_diff(args)
    if args.opdracht == "tabel":
        return _tabel(args)
    if args.opdracht == "schema":
        return _schema(args)
    if args.opdracht == "samenhang":
        return _samenhang(args)
    return _test(args)


def _drop_stdout() -> None:
    """After a failed write, point standard output at /dev/null so that Python's exit does not try again."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):  # no real file behind sys.stdout (e.g. captured in tests)
        pass


def _directory(value: str | None) -> Path:
    return Path(value) if value else default_rules_dir()


def _advies(args: argparse.Namespace) -> int:
    if args.jsonl or args.casus.lower().endswith((".jsonl", ".ndjson")):
        if args.waarom:
            raise GrenzenError("--waarom werkt bij één casus, niet bij JSON Lines.")
        return _advies_batch(args)
    policy = load_policy(_directory(args.regels))
    policy.max_case_bytes = args.max_grootte
    with _input(args.casus) as stream:
        data = stream.read(args.max_grootte + 4)  # the BOM, and one byte that shows the text is too large
    advice = policy.advise(data)
    if args.waarom:
        from ..pipeline._whatif import whatif_json, whatif_text

        changes = policy.what_if(data)
        print(whatif_json(advice, changes) if args.json else explain(advice) + "\n\n" + whatif_text(advice, changes))
        return 0
    print(advice.model_dump_json(indent=2) if args.json else explain(advice))
    return 0


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
    cpus = os.cpu_count() or 1
    if asked > cpus:
        print(f"--processen {asked} is meer dan het aantal processors; grenzen gebruikt er {cpus}.", file=sys.stderr)
    return max(1, min(asked, cpus))


def _advies_batch(args: argparse.Namespace) -> int:
    from ..team._batch import run_batch

    directory = _directory(args.regels)
    policy = load_policy(directory)  # a broken policy fails once, here, not in every worker
    processes = _processes(args.processen)
    with _input(args.casus) as stream:  # bytes: each line is decoded on its own
        return run_batch(policy, directory, stream, processes, args.max_grootte)


def _folder_not_file(value: str | None) -> None:
    """A rules file given where the folder is meant: say which folder to give instead."""
    if value is not None and Path(value).is_file():
        raise GrenzenError(f"'{value}' is een bestand. Geef de map met de regelbestanden, niet één bestand; "
                           f"hier is dat de map '{Path(value).parent}'.")


def _controleer(args: argparse.Namespace) -> int:
    _folder_not_file(args.map)
    policy = load_policy(_directory(args.map))
    from ._commands import run_check

    return run_check(policy, args)


def _test(args: argparse.Namespace) -> int:
    from ._commands import run_test

    policy: Policy = load_policy(_directory(args.map))
    return run_test(policy, args)


def _tabel(args: argparse.Namespace) -> int:
    from ..toolkit._table import table_markdown

    policy = load_policy(_directory(args.map))
    if args.taak and args.taak not in policy.vocabulary.taken:
        print(f"Onbekende taak '{args.taak}'; kies uit: {', '.join(policy.vocabulary.taken)}", file=sys.stderr)
        return 1
    print(table_markdown(policy, args.taak))
    return 0


def _schema(args: argparse.Namespace) -> int:
    from ..toolkit._schema import schema_text

    sys.stdout.write(schema_text(load_policy(_directory(args.regels)), args.soort))
    return 0


def _samenhang(args: argparse.Namespace) -> int:
    from ..team._consistency import build_report, report_html, report_text

    policy = load_policy(_directory(args.regels))
    if args.html and args.casussen != "-" and Path(args.html).exists() and os.path.samefile(args.html, args.casussen):
        raise GrenzenError("--html mag niet het invoerbestand zijn: kies een ander bestand voor de HTML-pagina.")
    with _input(args.casussen) as stream:  # bytes: a line that is not UTF-8 is reported, not replaced
        report = build_report(policy, LineReader(stream, args.max_grootte), args.max_grootte)
    print(report_text(report))
    if args.html:
        try:
            _write_atomically(Path(args.html), report_html(report))
        except OSError as exc:
            print(_os_problem(exc, "schrijven"), file=sys.stderr)
            return 1
        print(f"HTML-pagina geschreven: {args.html}")
    if not report.cases:
        print("Geen bruikbare casussen gevonden.", file=sys.stderr)
        return 1
    return 0


def _write_atomically(path: Path, text: str) -> None:
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
