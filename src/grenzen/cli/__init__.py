"""The `grenzen` command line, in Dutch."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from . import _startup


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grenzen`` command; returns the exit code (``_main.main``). Without ``argv`` (the console
    script, ``python -m grenzen``) it is the program itself, whose start-up runs with the collector paused
    (``_startup``) and without pydantic plugins: the command's modules are imported here, inside that start-up."""
    if argv is None:
        _startup.pause()
        _startup.shield()
    try:
        from ._main import main as run

        return run(argv)
    except KeyboardInterrupt:  # Ctrl-C while the command's modules are imported (later, _main answers it itself)
        print("Onderbroken.", file=sys.stderr)
        return 130
    finally:
        _startup.end()


__all__ = ["main"]
