"""Many cases at once: JSON Lines in, one JSON line out per case, in order, optionally over processes.

The engine holds the GIL, so throughput scales with processes, not threads. Each worker process loads
its own policy (``spawn``: no engine state is ever shared or forked). Input is read in bounded chunks so
that memory stays flat however long the input is.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TextIO

from ._errors import CaseError, EngineError
from ._policy import Policy, load_policy

CHUNK = 2_000

_worker: Policy | None = None


def advise_line(policy: Policy, line: str, number: int) -> str:
    """One input line → one output line: the advice JSON, or an error object naming fields, never values."""
    try:
        return policy.advise(line).model_dump_json()
    except CaseError as exc:
        error = {"regelnummer": number, "fouten": [{"veld": e.field, "melding": e.message} for e in exc.errors]}
    except EngineError as exc:
        error = {"regelnummer": number, "fouten": [{"veld": "(engine)", "melding": str(exc)}]}
    return json.dumps({"fout": error}, ensure_ascii=False)


def _start_worker(directory: str) -> None:
    global _worker
    _worker = load_policy(directory)


def _work(item: tuple[int, str]) -> str:
    assert _worker is not None
    return advise_line(_worker, item[1], item[0])


def advise_lines(directory: Path, lines: Iterable[str], processes: int = 1) -> Iterator[str]:
    """Advice lines for non-empty input lines, in input order."""
    numbered = ((n, line) for n, line in enumerate(lines, start=1) if line.strip())
    if processes <= 1:
        policy = load_policy(directory)
        for number, line in numbered:
            yield advise_line(policy, line, number)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_start_worker, initargs=(str(directory),)) as pool:
        while chunk := list(islice(numbered, CHUNK * processes)):
            yield from pool.imap(_work, chunk, chunksize=max(1, len(chunk) // (processes * 4)))


class Progress:
    """A one-line progress counter on a terminal (stderr); silent when stderr is not a terminal."""

    def __init__(self, total: int | None, stream: TextIO = sys.stderr) -> None:
        self.total, self.stream, self.done = total, stream, 0
        self.active = stream.isatty()

    def step(self) -> None:
        self.done += 1
        if self.active and (self.done % 500 == 0 or self.done == self.total):
            if self.total:
                filled = int(30 * self.done / self.total)
                bar = "#" * filled + "." * (30 - filled)
                self.stream.write(f"\r[{bar}] {self.done}/{self.total} casussen")
            else:
                self.stream.write(f"\r{self.done} casussen")
            self.stream.flush()

    def close(self) -> None:
        if self.active and self.done:
            self.stream.write("\n")
