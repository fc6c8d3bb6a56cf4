"""Many cases at once: JSON Lines in, one JSON line out per input line, in order, optionally over processes.

The engine holds the GIL, so throughput scales with processes, not threads. Each worker process loads
its own policy (``spawn``: no engine state is ever shared or forked). Input is read in bounded chunks so
that memory stays flat however long the input is.

Every input line gives exactly one output line, so output line n answers input line n: the advice, or an
error object ``{"fout": {"regelnummer": n, "fouten": [...]}}`` for a blank line, a line that is not UTF-8,
not JSON or not a JSON object, or a case that does not fit the contract. Errors name fields, never values.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TextIO

from ._errors import CaseError, EngineError, GrenzenError
from ._policy import Policy, load_policy

CHUNK = 2_000

_worker: Policy | None = None
_worker_failure: str | None = None  # set by a worker whose policy did not load


class WorkerError(GrenzenError):
    """A worker process could not load the policy; the batch stops instead of respawning workers forever."""


def _error(number: int, field: str, message: str) -> str:
    return json.dumps({"fout": {"regelnummer": number, "fouten": [{"veld": field, "melding": message}]}},
                      ensure_ascii=False)


def advise_line(policy: Policy, line: str | bytes, number: int) -> str:
    """One input line → one output line: the advice JSON, or an error object naming fields, never values."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            return _error(number, "(casus)", "geen UTF-8")
    if not line.strip():
        return _error(number, "(casus)", "lege regel")
    try:
        case = json.loads(line)
    except ValueError:
        return _error(number, "(casus)", "geen geldige JSON")
    if not isinstance(case, dict):  # a JSON string would otherwise be read as a YAML case
        return _error(number, "(casus)", "moet een JSON-object zijn")
    try:
        return policy.advise(case).model_dump_json()
    except CaseError as exc:
        error = {"regelnummer": number, "fouten": [{"veld": e.field, "melding": e.message} for e in exc.errors]}
    except EngineError as exc:
        error = {"regelnummer": number, "fouten": [{"veld": "(engine)", "melding": str(exc)}]}
    return json.dumps({"fout": error}, ensure_ascii=False)


def _start_worker(directory: str) -> None:
    # An exception here would make multiprocessing.Pool start a new worker, forever: keep the failure and let
    # every task report it, so that the parent stops the batch.
    global _worker, _worker_failure
    try:
        _worker = load_policy(directory)
    except GrenzenError as exc:
        _worker_failure = f"Een werkproces kon het beleid niet laden:\n{exc}"
    except Exception as exc:  # noqa: BLE001 - any failure must end the batch, not hang it
        _worker_failure = f"Een werkproces kon het beleid niet laden ({type(exc).__name__})."


def _work(item: tuple[int, str | bytes]) -> str:
    if _worker is None:
        raise WorkerError(_worker_failure or "Een werkproces kon het beleid niet laden.")
    return advise_line(_worker, item[1], item[0])


def advise_lines(directory: Path, lines: Iterable[str | bytes], processes: int = 1,
                 policy: Policy | None = None) -> Iterator[str]:
    """One advice line (or error object) per input line, in input order.

    Lines may be text or bytes (decoded as UTF-8 per line). ``policy``, when given, is ``directory`` already
    loaded: a single process uses it instead of loading again. Raises ``WorkerError`` if a worker's policy
    does not load.
    """
    numbered = enumerate(lines, start=1)
    if processes <= 1:
        if policy is None:
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
