"""Many cases at once: JSON Lines in, one JSON line out per input line, in order, optionally over processes.

Every input line gives exactly one output line, so output line n answers input line n: the advice, or an error
object ``{"fout": {"regelnummer": n, "fouten": [...]}}``. Whatever goes wrong with one line (not UTF-8, not JSON,
a duplicate key, too long, too deep, a case outside the contract, an engine failure, anything) becomes that line's
error object; only reading or writing the streams themselves ends a run. Errors name fields, never values.

Input is read once, as a stream (a file, a pipe, a FIFO, standard input), line by line with a cap on a line's
length, so memory stays flat however long the input or a line is. The engine holds the GIL, so throughput scales
with processes, not threads: each worker process gets chunks of lines over a pipe, one chunk at a time; it is forked
with the policy the command loaded, or (in a process with other threads, or without ``fork``) a new interpreter
(``spawn``) that loads its own. Workers ignore SIGINT and SIGTERM; the parent decides: on an interrupt it kills them,
writes the whole lines it has and says how many (``run_batch``).
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import signal
import stat
import struct
import sys
import threading
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager, suppress
from itertools import chain, islice
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, TextIO

from .._errors import CaseError, EngineError, GrenzenError
from ..pipeline._policy import Policy, load_policy
from ..pipeline._read import MAX_CASE_BYTES, read_case_text, too_large

if TYPE_CHECKING:  # multiprocessing is imported when a batch starts workers, not by every grenzen command
    import multiprocessing.process
    from multiprocessing.connection import Connection

CHUNK = 500  # lines per message to a worker: about 50 ms of work, so an interrupt is answered quickly
TOO_LONG = None  # what the line reader yields for a line over the cap (its bytes were skipped, never kept)


class WorkerError(GrenzenError):
    """A worker process could not load the policy, or stopped; the batch ends instead of hanging."""


class WriteError(GrenzenError):
    """The output could not be written (disk full, closed pipe); says how far the output is complete."""


class Interrupted(GrenzenError):
    """SIGINT or SIGTERM during a batch; ``signum`` gives the exit code 128 + signum."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def error_line(number: int, field: str, message: str) -> str:
    """The error object of one input line."""
    return json.dumps({"fout": {"regelnummer": number, "fouten": [{"veld": field, "melding": message}]}},
                      ensure_ascii=False)


#: True while a line is advised in this process: a signal then waits for the line to finish (``Signals``), so it
#: never lands inside the engine or the validation, whose own error handling would turn it into an error line.
_advising = [False]


def advise_line(policy: Policy, line: str | bytes | None, number: int, max_bytes: int = MAX_CASE_BYTES) -> str:
    """One input line → one output line: the advice JSON, or an error object naming fields, never values.

    ``None`` stands for a line the reader skipped because it was longer than ``max_bytes``. Never raises.
    """
    _advising[0] = True
    try:
        return _advise_line(policy, line, number, max_bytes).decode()
    finally:
        _advising[0] = False


class Block(NamedTuple):
    """The output of a chunk: ``data`` holds ``lines`` whole lines (UTF-8, each ending in a line break), of which
    ``failed`` are error objects. Counted as the lines are advised, so no process reads the block again to count."""

    data: bytes
    lines: int
    failed: int


def advise_chunk(policy: Policy, chunk: Iterable[tuple[int, str | bytes | None]], max_bytes: int = MAX_CASE_BYTES,
                 ) -> Block:
    """The output lines of (number, line) pairs as one ``Block``.

    A signal waits for the whole chunk (``Signals``). No output line holds a line break of its own (JSON escapes it
    in a string), so the lines of a block are its line breaks. Never raises.
    """
    _advising[0] = True
    try:
        lines = [_advise_line(policy, line, number, max_bytes) for number, line in chunk]
    finally:
        _advising[0] = False
    failed = sum(line.startswith(b'{"fout"') for line in lines)  # an advice starts with another key
    count = len(lines)
    lines.append(b"")
    return Block(b"\n".join(lines), count, failed)


def _advise_line(policy: Policy, line: str | bytes | None, number: int, max_bytes: int) -> bytes:
    """The output line as UTF-8 (the advice straight from its serialiser: ``model_dump_json`` is its ``decode``)."""
    if line is TOO_LONG:
        return error_line(number, "(casus)", too_large(max_bytes)).encode()
    try:
        case = read_case_text(line, json_only=True, max_bytes=max_bytes)
        advice = policy.advise(case)
        return advice.__pydantic_serializer__.to_json(advice)
    except CaseError as exc:
        fouten = [{"veld": e.field, "melding": e.message} for e in exc.errors]
        return json.dumps({"fout": {"regelnummer": number, "fouten": fouten}}, ensure_ascii=False).encode()
    except EngineError as exc:
        return error_line(number, "(engine)", f"{exc}; geen advies — leg de casus voor aan het zorgteam").encode()
    except Exception as exc:  # noqa: BLE001 - one bad line never stops a batch (type name only: no content)
        return error_line(number, "(casus)", f"onverwachte fout bij deze regel ({type(exc).__name__}); "
                                             "geen advies — leg de casus voor aan het zorgteam").encode()


class LineReader:
    """Lines of a byte stream, read once, without their line break; a line over ``max_bytes`` is skipped in
    pieces (never held in memory) and yielded as ``None``. ``consumed`` counts the bytes read (for progress)."""

    def __init__(self, stream: BinaryIO, max_bytes: int = MAX_CASE_BYTES) -> None:
        self.stream, self.max_bytes, self.consumed = stream, max_bytes, 0

    def __iter__(self) -> Iterator[bytes | None]:
        size = self.max_bytes + 3  # the content, "\r\n", and one byte that shows the line goes on
        while line := self.stream.readline(size):
            self.consumed += len(line)
            if len(line) == size and not line.endswith(b"\n"):
                while rest := self.stream.readline(1 << 16):
                    self.consumed += len(rest)
                    if rest.endswith(b"\n"):
                        break
                yield TOO_LONG
                continue
            content = line.rstrip(b"\r\n")
            yield TOO_LONG if len(content) > self.max_bytes else content


def advise_lines(directory: Path, lines: Iterable[str | bytes | None], processes: int = 1,
                 policy: Policy | None = None, max_bytes: int = MAX_CASE_BYTES) -> Generator[str, None, None]:
    """One advice line (or error object) per input line, in input order.

    Lines may be text or bytes (decoded as UTF-8 per line). ``policy``, when given, is ``directory`` already
    loaded: a single process uses it instead of loading again, and so does a batch whose whole input is less than one
    chunk (``CHUNK`` lines). ``processes`` is capped at the CPU count. Raises
    ``WorkerError`` if a worker's policy does not load or a worker stops. Close the iterator (or let it finish)
    to stop the workers. Lines come a chunk at a time (``advised_blocks``).
    """
    for block in advised_blocks(directory, lines, processes, policy, max_bytes):
        yield from block.data.decode().split("\n")[:-1]


def advised_blocks(directory: Path, lines: Iterable[str | bytes | None], processes: int = 1,
                   policy: Policy | None = None, max_bytes: int = MAX_CASE_BYTES) -> Generator[Block, None, None]:
    """``advise_lines`` as blocks (``advise_chunk``), in input order: the output as it is written, without a step per
    line in this process. A block holds a chunk, at most ``CHUNK`` lines."""
    numbered: Iterator[tuple[int, Any]] = enumerate(lines, start=1)
    processes = max(1, min(processes, os.cpu_count() or 1))
    if processes > 1 and policy is not None:
        first = list(islice(numbered, CHUNK))
        if len(first) < CHUNK:  # the whole input is one chunk: starting workers would cost more than they save
            processes = 1
        numbered = chain(first, numbered)
    if processes == 1:
        if policy is None:
            policy = load_policy(directory)
        while chunk := list(islice(numbered, CHUNK)):
            yield advise_chunk(policy, chunk, max_bytes)
        return
    yield from _parallel(directory, numbered, processes, max_bytes, policy)


def _parallel(directory: Path, numbered: Iterator[tuple[int, Any]], processes: int, max_bytes: int,
              policy: Policy | None = None) -> Iterator[Block]:
    """The blocks advised over ``processes`` processes, in input order. With ``policy`` (already loaded here) this
    process is one of them: it starts one worker fewer and takes a share in every round beside the workers' chunks;
    a spawned worker loads the policy first, and meanwhile this process advises on its own (a forked one has it).
    A worker sends its chunk's block as it is written (bytes and its counts, not a list of lines to unpickle), so this
    process does nothing per line of a worker."""
    local = policy is not None
    wait = not local or _start_method(policy) == "fork"  # a forked worker is ready at once: no chunk alone first
    workers = _Worker.start_all(directory, processes - 1 if local else processes, max_bytes, wait=wait,
                                policy=policy)
    try:
        if not wait and policy is not None:
            while not any(worker.conn.poll() for worker in workers):  # the workers are still loading the policy
                if not (chunk := list(islice(numbered, CHUNK))):
                    break
                yield advise_chunk(policy, chunk, max_bytes)
            for worker in workers:
                worker.ready()
        share = CHUNK if local else 0
        busy, own = _deal(workers, numbered, share)
        while True:  # a round: each busy worker advises one chunk, this process its share
            advised = advise_chunk(policy, own, max_bytes) if own and policy is not None else None
            if own:
                share = _next_share(share, busy)
            done = [worker.receive() for worker in busy]
            busy, own = _deal(workers, numbered, share)  # the next round starts before this one is written
            yield from done
            if advised is not None:
                yield advised
            if not busy and not own:
                break
    except BaseException:  # an interrupt, a closed iterator, a worker that stopped: no worker is left behind
        _Worker.stop_all(workers, kill=True)
        raise
    _Worker.stop_all(workers, kill=False)


def _next_share(share: int, busy: list[_Worker]) -> int:
    """This process's chunk in the next round. Besides its own chunk it receives and writes every worker's lines, so
    an equal chunk makes the workers wait for it: when they are all done by the time its own chunk is, it takes a
    little less next round; when one is still busy, a little more (between an eighth of a chunk and a whole one)."""
    step = CHUNK // 16
    if all(worker.conn.poll() for worker in busy):
        return max(CHUNK // 8, share - step)
    return min(CHUNK, share + step)


def _deal(workers: list[_Worker], numbered: Iterator[tuple[int, Any]], share: int,
          ) -> tuple[list[_Worker], list[tuple[int, Any]]]:
    """The next round: a chunk sent to each worker, in order, and this process's ``share`` of lines after them;
    returns the workers that got a chunk, and the share. When the input ends within the round, its lines are split in
    the same proportion, so no process waits long for the others at the end."""
    lines = list(islice(numbered, CHUNK * len(workers) + share))
    mine = len(lines) * share // (CHUNK * len(workers) + share)
    theirs, own = lines[:len(lines) - mine], lines[len(lines) - mine:]
    size = -(-len(theirs) // len(workers))  # rounded up: the last worker may get fewer lines, or none
    busy = []
    for worker, first in zip(workers, range(0, len(theirs), size or 1), strict=False):
        worker.conn.send(theirs[first:first + size])
        busy.append(worker)
    return busy, own


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, conn: Connection, process: multiprocessing.process.BaseProcess) -> None:
        self.conn, self.process = conn, process

    def receive(self) -> Block:
        """The block of the chunk the worker advises (``_send``)."""
        try:
            lines, failed = _COUNTS.unpack(self._message())
            return Block(self._message(), lines, failed)
        except struct.error:
            raise WorkerError("Een werkproces stuurde een onverwacht antwoord; de uitvoer is onvolledig.") from None

    def _message(self) -> bytes:
        try:
            return self.conn.recv_bytes()
        except (EOFError, OSError):
            raise WorkerError("Een werkproces stopte onverwacht; de uitvoer is onvolledig.") from None

    def ready(self) -> None:
        """Wait for the worker's first message: its policy loaded, or why not (``WorkerError``)."""
        kind, message = pickle.loads(self._message())  # sent with ``send``: ``recv`` is this
        if kind != "klaar":
            raise WorkerError(message)

    @staticmethod
    def start_all(directory: Path, processes: int, max_bytes: int, wait: bool = True,
                  policy: Policy | None = None) -> list[_Worker]:
        """Start workers with SIGINT and SIGTERM blocked (a child inherits the mask), then (``wait``) wait until each is
        ready; else the caller calls ``ready`` on each before sending it work. ``policy``: ``directory`` already loaded
        here, which a forked worker uses as it is (see ``_start_method``)."""
        import multiprocessing
        from multiprocessing import resource_tracker

        forked = _start_method(policy) == "fork"
        context = multiprocessing.get_context("fork") if forked else multiprocessing.get_context("spawn")
        inherited = policy if forked else None
        workers: list[_Worker] = []
        try:
            if not forked:  # a spawned worker needs the resource tracker; a forked one never uses it
                # starting it (a new interpreter: ~40 ms of CPU beside the batch) unblocks SIGINT and SIGTERM: do it
                # before the block
                resource_tracker.ensure_running()
            with _signals_blocked():
                for _ in range(processes):
                    parent, child = context.Pipe()
                    process = context.Process(target=_serve, args=(child, str(directory), max_bytes, inherited),
                                              daemon=True)
                    process.start()
                    child.close()
                    workers.append(_Worker(parent, process))
            if wait:
                for worker in workers:
                    worker.ready()
        except BaseException:
            _Worker.stop_all(workers, kill=True)
            raise
        return workers

    @staticmethod
    def stop_all(workers: list[_Worker], *, kill: bool) -> None:
        """Ask the workers to stop (or kill them at once), wait briefly, kill what is left; signals wait meanwhile."""
        with _signals_blocked():
            for worker in workers:
                if not kill:
                    with suppress(OSError):
                        worker.conn.send(None)
                    worker.process.join(timeout=2.0)
                if worker.process.is_alive():
                    worker.process.kill()
                    worker.process.join(timeout=2.0)
                worker.conn.close()


def _start_method(policy: Policy | None) -> str:
    """``fork`` when this process holds the policy already and runs no other thread (the command line): a worker then
    starts with the policy in its memory at once, instead of a new interpreter that imports grenzen and loads the
    policy again (about a quarter of a second, a real share of a batch of some thousands of lines). With other threads
    a fork could copy a lock that one of them holds (the policy's engine lock among them), so then ``spawn``, as on
    systems without ``fork``."""
    import multiprocessing

    if (policy is not None and threading.active_count() == 1 and sys.platform == "linux"
            and "fork" in multiprocessing.get_all_start_methods()):
        return "fork"
    return "spawn"


@contextmanager
def _signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (main thread only; other threads never get them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _serve(conn: Connection, directory: str, max_bytes: int, policy: Policy | None = None) -> None:
    """A worker: load the policy (unless it came with a fork), then answer chunks of (number, line) until told to stop
    or the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        try:
            policy = policy or load_policy(directory)
        except GrenzenError as exc:
            conn.send(("fout", f"Een werkproces kon het beleid niet laden:\n{exc}"))
            return
        except Exception as exc:  # noqa: BLE001 - any failure must end the batch, not hang it
            conn.send(("fout", f"Een werkproces kon het beleid niet laden ({type(exc).__name__})."))
            return
        conn.send(("klaar", None))
        while (chunk := conn.recv()) is not None:
            _send(conn, advise_chunk(policy, chunk, max_bytes))
    except (EOFError, OSError):  # the parent is gone
        return


_COUNTS = struct.Struct("<II")  # a block's lines and failed, sent before its data


def _send(conn: Connection, block: Block) -> None:
    """A block to the parent: its counts, then its data as it is (``_Worker.receive``)."""
    conn.send_bytes(_COUNTS.pack(block.lines, block.failed))
    conn.send_bytes(block.data)


class Signals:
    """SIGINT and SIGTERM raise ``Interrupted``, except inside ``deferred()``, which finishes first, and while a line is
    advised (``check`` raises it after that line).

    Only the main thread can receive signals; elsewhere this does nothing.
    """

    def __init__(self) -> None:
        self.deferring, self.ignoring, self.pending = False, False, 0
        self._old: dict[int, Any] = {}

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._old[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._old.items():
            signal.signal(signum, handler)

    def ignore(self) -> None:
        """From now on a signal is only noted, never raised (while a run ends after the first one)."""
        self.ignoring = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.deferring or self.ignoring or _advising[0]:  # acted on at the next safe point (``check``, ``deferred``)
            self.pending = signum
            return
        raise Interrupted(signum)

    def check(self) -> None:
        """Between lines: raise ``Interrupted`` for a signal that came while a line was advised."""
        if self.pending and not (self.deferring or self.ignoring):
            signum, self.pending = self.pending, 0  # raised once: the cleanup after it must not raise it again
            raise Interrupted(signum)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        self.check()


class LineWriter:
    """Blocks of whole lines (UTF-8, each line ending in a line break) to a stream, flushed once ``block`` lines are
    waiting; ``written`` counts the lines certainly out.

    A failed write raises ``WriteError``, which names the last complete line.
    """

    def __init__(self, stream: TextIO, signals: Signals, block: int = 256) -> None:
        self.binary: BinaryIO | None = getattr(stream, "buffer", None)
        self.stream, self.signals, self.block = stream, signals, block
        self.written = self._waiting = 0
        self._blocks: list[bytes] = []

    def write(self, block: bytes, lines: int) -> None:
        """``block`` holds ``lines`` whole lines."""
        self._blocks.append(block)
        self._waiting += lines
        if self._waiting >= self.block:
            self.flush()

    def flush(self) -> None:
        if not self._blocks:
            return
        data = b"".join(self._blocks)
        with self.signals.deferred():
            try:
                if self.binary is not None:
                    self.stream.flush()  # anything written as text before
                    self.binary.write(data)
                    self.binary.flush()
                else:
                    self.stream.write(data.decode())
                    self.stream.flush()
            except OSError as exc:
                raise WriteError(write_problem(exc, self.written)) from None
            self.written += self._waiting  # before a signal that waited for the write is raised (``deferred``)
            self._waiting = 0
            self._blocks.clear()


def write_problem(exc: OSError, complete: int | None) -> str:
    """A Dutch message for a failed write of the output; with ``complete``, how far the output is complete."""
    reasons = {errno.ENOSPC: "de schijf is vol", errno.EPIPE: "de uitvoer is gesloten"}
    reason = reasons.get(exc.errno or 0, "schrijffout")
    if complete is None:
        return f"Kan de uitvoer niet schrijven ({reason})."
    done = f"volledig tot en met regel {complete}" if complete else "leeg of onvolledig"
    return f"Kan de uitvoer niet schrijven ({reason}); de uitvoer is {done}."


def input_size(stream: BinaryIO) -> int | None:
    """The size in bytes of a regular file; None for a pipe, a FIFO, a terminal or a stream without a file."""
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def run_batch(policy: Policy, directory: Path, stream: BinaryIO, processes: int = 1,
              max_bytes: int = MAX_CASE_BYTES, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The ``grenzen advies`` batch: lines of ``stream`` → ``out``; returns the exit code.

    0 every line advised, 1 some lines are error objects (or a worker or a write failed), 128 + the signal number
    after SIGINT or SIGTERM. Messages go to ``err`` in Dutch; output always ends at a line boundary.
    """
    out, err = out or sys.stdout, err or sys.stderr
    reader = LineReader(stream, max_bytes)
    progress, failed = Progress(input_size(stream), err), 0
    with Signals() as signals:
        writer = LineWriter(out, signals)
        results = advised_blocks(directory, reader, processes, policy=policy, max_bytes=max_bytes)
        try:
            for block in results:
                failed += block.failed
                writer.write(block.data, block.lines)
                progress.step(reader.consumed, block.lines)
                signals.check()
            writer.flush()
        except (Interrupted, WorkerError) as exc:
            signals.ignore()
            results.close()
            progress.close()
            with suppress(WriteError):
                writer.flush()  # the whole lines already advised
            written = f"{_lines(writer.written)} geschreven; de uitvoer is volledig tot en met regel {writer.written}"
            if isinstance(exc, Interrupted):
                print(f"Onderbroken ({exc}): {written}.", file=err)
                return 128 + exc.signum
            print(f"{exc} ({written}.)", file=err)
            return 1
        except WriteError as exc:
            signals.ignore()
            results.close()
            progress.close()
            print(str(exc), file=err)
            return 1
    progress.close()
    if failed:
        print(f"{failed} casussen zonder advies (zie de regels met \"fout\").", file=err)
    return 1 if failed else 0


def _lines(count: int) -> str:
    return f"{count} regel{'' if count == 1 else 's'}"


class Progress:
    """A one-line progress display on a terminal (stderr); silent when stderr is not a terminal.

    With ``total`` (the input's size in bytes, for a regular file) a bar and a percentage, else a running count.
    """

    def __init__(self, total: int | None, stream: TextIO = sys.stderr) -> None:
        self.total, self.stream, self.done = total, stream, 0
        self.active = stream.isatty()

    def step(self, position: int | None = None, lines: int = 1) -> None:
        """``lines`` more lines done (shown every 500 lines)."""
        self.done += lines
        if self.active and self.done // 500 != (self.done - lines) // 500:
            self.show(position)

    def show(self, position: int | None) -> None:
        if self.total and position is not None:
            part = min(1.0, position / self.total)
            bar = "#" * int(30 * part) + "." * (30 - int(30 * part))
            self.stream.write(f"\r[{bar}] {int(100 * part):3d}% · {self.done} casussen")
        else:
            self.stream.write(f"\r{self.done} casussen")
        self.stream.flush()

    def close(self) -> None:
        if self.active and self.done:
            self.show(self.total)
            self.stream.write("\n")
            self.done = 0
