"""Many cases at once: JSON Lines in, one JSON line out per input line, in order, optionally over processes.

Every input line gives exactly one output line, so output line n answers input line n: the advice, or an error
object ``{"fout": {"regelnummer": n, "fouten": [...]}}``. Whatever goes wrong with one line (not UTF-8, not JSON,
a duplicate key, too long, too deep, a case outside the contract, an engine failure, anything) becomes that line's
error object; only reading or writing the streams themselves ends a run. Errors name fields, never values.

Input is read once, as a stream (a file, a pipe, a FIFO, standard input), line by line with a cap on a line's
length, so memory stays flat however long the input or a line is. The engine holds the GIL, so throughput scales
with processes, not threads: each worker process gets chunks of lines over a pipe, and always holds the next one, while
this process advises the lines the workers do not take (``_Dispatch``); a worker is forked with the policy the command
loaded, or (in a process with other threads, or without ``fork``) a new interpreter (``spawn``) that loads its own.
Workers ignore SIGINT, SIGTERM and SIGHUP (``STOP``); the parent decides: on one of those it kills them, writes the
whole lines it has and says how many (``run_batch``). A forked worker closes its copies of the parent's pipe ends, so
a parent that is killed outright leaves it a closed pipe, and it ends too.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import select
import signal
import stat
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import chain, islice
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, TextIO

from .._errors import NO_ADVICE, CaseError, EngineError, FieldError, GrenzenError, engine_failure, os_reason
from ..pipeline._policy import Policy, load_policy
from ..pipeline._read import MAX_CASE_BYTES, read_case_text, too_large

if TYPE_CHECKING:  # multiprocessing is imported when a batch starts workers, not by every grenzen command
    import multiprocessing.process
    from multiprocessing.connection import Connection

#: the signals that end a batch: Ctrl-C, ``kill``, and a terminal or session that hangs up (not on every system)
STOP = frozenset(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
CHUNK = 500  # lines per block in one process (about 30 ms of work, so an interrupt is answered quickly); less input
# than this starts no worker
TOO_LONG = None  # what the line reader yields for a line over the cap (its bytes were skipped, never kept)


#: The exit code of a batch whose output is not complete (a worker or a write failed): apart from 1, "complete, some
#: lines are error objects", so that a script can tell a batch to keep from one to run again (a trial).
INCOMPLETE = 3


class WorkerError(GrenzenError):
    """A worker process could not load the policy, or stopped; the batch ends instead of hanging."""


class WriteError(GrenzenError):
    """The output could not be written (disk full, closed pipe); says how far the output is complete."""


class Interrupted(GrenzenError):
    """SIGINT, SIGTERM or SIGHUP during a batch (``STOP``); ``signum`` gives the exit code 128 + signum."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def error_line(number: int, *errors: FieldError) -> str:
    """The error object of one input line: its number and an item per error (``FieldError.as_json``)."""
    return json.dumps({"fout": {"regelnummer": number, "fouten": [error.as_json() for error in errors]}},
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
        return error_line(number, FieldError("(casus)", too_large(max_bytes), "te-groot")).encode()
    try:
        case = read_case_text(line, json_only=True, max_bytes=max_bytes)
        advice = policy.advise(case)
        return advice.__pydantic_serializer__.to_json(advice)
    except CaseError as exc:
        return error_line(number, *exc.errors).encode()
    except EngineError as exc:
        return error_line(number, engine_failure(exc)).encode()
    except Exception as exc:  # noqa: BLE001 - one bad line never stops a batch (type name only: no content)
        return error_line(number, FieldError("(casus)", f"onverwachte fout bij deze regel ({type(exc).__name__}); "
                                                        f"{NO_ADVICE}", "onverwacht")).encode()


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
    process is one of them: it starts one worker fewer and advises lines of its own between the workers' chunks
    (``_Dispatch``); a spawned worker loads the policy first, and meanwhile this process advises on its own (a forked
    one has it). A worker sends its chunk's block as it is written (bytes and its counts, not a list of lines to
    unpickle), so this process does nothing per line of a worker."""
    local = policy is not None
    wait = not local or _start_method(policy) == "fork"  # a forked worker is ready at once: no chunk alone first
    workers = _Worker.start_all(directory, processes - 1 if local else processes, max_bytes, wait=wait,
                                policy=policy)
    try:
        if not wait and policy is not None:
            while not any(worker.inbox.poll() for worker in workers):  # the workers are still loading the policy
                if not (chunk := list(islice(numbered, CHUNK))):
                    break
                yield advise_chunk(policy, chunk, max_bytes)
            for worker in workers:
                worker.ready()
        yield from _Dispatch(workers, numbered, policy, max_bytes).blocks()
    except BaseException:  # an interrupt, a closed iterator, a worker that stopped: no worker is left behind
        _Worker.stop_all(workers, kill=True)
        raise
    _Worker.stop_all(workers, kill=False)


WORKER_LINES = 250  # at most this many lines in a chunk for a worker (about 15 ms of work on the default policy)
OWN_LINES = 100  # this process advises this many lines at a time, and looks at its workers in between
AHEAD = 2  # chunks a worker holds: the one it advises and the next, so it never waits for this process
HELD = 2 * CHUNK  # at most this many lines advised here wait for a worker's earlier block; then this process waits


class _Dispatch:
    """Chunks to the workers as they take them, this process's own lines in between (with a policy), and the blocks
    out in input order.

    Nobody waits for a round: each worker always holds its next chunk (``AHEAD``), this process advises what the
    workers do not take, so a process that is slower for a while (another program on its core) simply advises fewer
    lines. A second chunk goes to a worker only when it fits in the pipe, so this process never waits on a send
    while the worker waits for it to read. Near the end of the input a worker gets no second chunk: the last lines are
    shared, and no process waits long for the other at the end.
    """

    def __init__(self, workers: list[_Worker], numbered: Iterator[tuple[int, Any]], policy: Policy | None,
                 max_bytes: int) -> None:
        self.workers, self.numbered, self.policy, self.max_bytes = workers, numbered, policy, max_bytes
        self.upcoming: list[tuple[int, Any]] = []  # lines read, not given out yet: the end of the input shows early
        self.ended = False
        self.given = 0  # the number of the next chunk given out (to a worker or advised here)
        self.advised: dict[int, Block] = {}  # blocks not out yet, by chunk number
        self.out = 0  # the number of the next block out
        self.held = 0  # lines in ``advised``

    def blocks(self) -> Iterator[Block]:
        from multiprocessing.connection import wait

        while True:
            for worker in self.workers:  # what the workers have finished
                while worker.queue and worker.inbox.poll():
                    self._keep(worker.queue.popleft(), worker.receive())
            while self.out in self.advised:
                block = self.advised.pop(self.out)
                self.held -= block.lines
                self.out += 1
                yield block
            self._supply()
            if self.policy is not None and self.held < HELD and (own := self._take(OWN_LINES)):
                self._keep(self.given, advise_chunk(self.policy, own, self.max_bytes))
                self.given += 1
                continue
            waiting = [worker.inbox for worker in self.workers if worker.queue]
            if not waiting:
                if self.ended and not self.upcoming and not self.advised:
                    return
                continue  # nothing to wait for: the next turn gives out or advises the lines read
            wait(waiting)

    def _keep(self, number: int, block: Block) -> None:
        self.advised[number] = block
        self.held += block.lines

    def _supply(self) -> None:
        """Each worker its chunks (``AHEAD``), as far as the input goes and the pipes allow."""
        for worker in self.workers:
            while len(worker.queue) < AHEAD:
                second = bool(worker.queue)
                lines = WORKER_LINES
                if self.policy is not None and not self._more(2 * WORKER_LINES):  # near the end: share what is left
                    if second:
                        break
                    lines = max(1, len(self.upcoming) // 2)
                chunk = self._take(lines, worker.capacity // 2 if second else None)  # a second one fits in the pipe
                if not chunk:
                    return
                data = pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL)
                if second and len(data) > worker.capacity:
                    self.upcoming[:0] = chunk  # a very long line: it waits for a worker with nothing to do
                    break
                worker.outbox.send_bytes(data)
                worker.queue.append(self.given)
                self.given += 1

    def _more(self, lines: int) -> bool:
        """Does the input hold at least ``lines`` more lines (read ahead as needed)?"""
        if len(self.upcoming) < lines and not self.ended:
            more = list(islice(self.numbered, lines - len(self.upcoming)))
            self.ended = len(more) < lines - len(self.upcoming)
            self.upcoming += more
        return len(self.upcoming) >= lines

    def _take(self, lines: int, limit: int | None = None) -> list[tuple[int, Any]]:
        """The next ``lines`` lines of the input (fewer at its end), and with ``limit`` no more than that many bytes
        of input unless the first line alone has more."""
        self._more(lines)
        count = min(lines, len(self.upcoming))
        if limit is not None:
            size = 0
            for index, (_, line) in enumerate(self.upcoming[:count]):
                size += len(line) if line is not TOO_LONG else 0
                if size > limit:
                    count = max(1, index)
                    break
        chunk = self.upcoming[:count]
        del self.upcoming[:count]
        return chunk


class _Worker:
    """One worker process, the parent's ends of its two pipes, and the numbers of the chunks it holds."""

    def __init__(self, inbox: Connection, outbox: Connection, process: multiprocessing.process.BaseProcess) -> None:
        self.inbox, self.outbox, self.process = inbox, outbox, process  # inbox: from the worker; outbox: to it
        self.queue: deque[int] = deque()
        self.capacity = _pipe_capacity(outbox)

    def receive(self) -> Block:
        """The block of the chunk the worker advises (``_send``)."""
        try:
            lines, failed = _COUNTS.unpack(self._message())
            return Block(self._message(), lines, failed)
        except struct.error:
            raise WorkerError("Een werkproces stuurde een onverwacht antwoord; de uitvoer is onvolledig.") from None

    def _message(self) -> bytes:
        try:
            return self.inbox.recv_bytes()
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
        """Start workers with the ``STOP`` signals blocked (a child inherits the mask), then (``wait``) wait until each
        is ready; else the caller calls ``ready`` on each before sending it work. ``policy``: ``directory`` already
        loaded here, which a forked worker uses as it is (see ``_start_method``)."""
        import multiprocessing
        from multiprocessing import resource_tracker

        forked = _start_method(policy) == "fork"
        context = multiprocessing.get_context("fork") if forked else multiprocessing.get_context("spawn")
        inherited = policy if forked else None
        workers: list[_Worker] = []
        try:
            if not forked:  # a spawned worker needs the resource tracker; a forked one never uses it
                # starting it (a new interpreter: ~40 ms of CPU beside the batch) unblocks the STOP signals: do it
                # before the block
                resource_tracker.ensure_running()
            with _signals_blocked():
                for _ in range(processes):
                    inbox, answers = context.Pipe(duplex=False)  # (reading end, writing end)
                    chunks, outbox = context.Pipe(duplex=False)
                    for end in (answers, outbox):
                        _grow(end)
                    # a forked worker has copies of every pipe end made so far: it closes the parent's
                    parents = [end for worker in workers for end in (worker.inbox, worker.outbox)] + [inbox, outbox]
                    process = context.Process(target=_serve, args=(chunks, answers, str(directory), max_bytes,
                                                                   inherited, parents if forked else []),
                                              daemon=True)
                    process.start()
                    chunks.close()
                    answers.close()
                    workers.append(_Worker(inbox, outbox, process))
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
                        worker.outbox.send(None)
                    worker.process.join(timeout=2.0)
                if worker.process.is_alive():
                    worker.process.kill()
                    worker.process.join(timeout=2.0)
                worker.inbox.close()
                worker.outbox.close()


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
    """The ``STOP`` signals wait until the block ends (main thread only; other threads never get them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


PIPE_BYTES = 1 << 20  # a pipe to or from a worker is grown to this where the system allows it (Linux)


def _grow(conn: Connection) -> None:
    """Grow a pipe (best effort): a worker's block then rarely waits for this process to read it."""
    with suppress(OSError, AttributeError):
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _pipe_capacity(conn: Connection) -> int:
    """The bytes a pipe holds; on a system that does not say, the least any has (``PIPE_BUF`` on Linux: 4 KiB)."""
    try:
        import fcntl

        return int(fcntl.fcntl(conn.fileno(), fcntl.F_GETPIPE_SZ))
    except (OSError, AttributeError):
        return 4096


def _serve(chunks: Connection, answers: Connection, directory: str, max_bytes: int,
           policy: Policy | None = None, parents: Sequence[Connection] = ()) -> None:
    """A worker: load the policy (unless it came with a fork), then answer chunks of (number, line) until told to stop
    or the parent is gone. ``parents``: the parent's pipe ends that a fork copied, closed first: with a copy open here,
    the pipes would never tell this worker that the parent is gone (it would wait for ever)."""
    for end in parents:
        end.close()
    for signum in STOP:  # Ctrl-C and a hang-up reach the whole process group: the parent decides
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP)
    try:
        try:
            policy = policy or load_policy(directory)
        except GrenzenError as exc:
            answers.send(("fout", f"Een werkproces kon het beleid niet laden:\n{exc}"))
            return
        except Exception as exc:  # noqa: BLE001 - any failure must end the batch, not hang it
            answers.send(("fout", f"Een werkproces kon het beleid niet laden ({type(exc).__name__})."))
            return
        answers.send(("klaar", None))
        while (chunk := chunks.recv()) is not None:
            _send(answers, advise_chunk(policy, chunk, max_bytes))
    except (EOFError, OSError):  # the parent is gone
        return


_COUNTS = struct.Struct("<II")  # a block's lines and failed, sent before its data


def _send(conn: Connection, block: Block) -> None:
    """A block to the parent: its counts, then its data as it is (``_Worker.receive``)."""
    conn.send_bytes(_COUNTS.pack(block.lines, block.failed))
    conn.send_bytes(block.data)


GRACE = 2.0  # seconds a run goes on writing after a signal (then it ends at a line), or may write nothing (then it
# ends in the middle of a line: the reader stopped reading); at most twice this after the signal; see ``Signals``
PIECE = 1 << 15  # the output is written in pieces of at most this many bytes, each counted as it is out (a piece
# under way when a signal comes must be out within GRACE: a reader of 16 KB a second is not cut off)
LAST_PIECE = 1 << 12  # after a signal: small pieces, so a slow reader shows progress (PIPE_BUF: all or nothing)


class Signals:
    """The ``STOP`` signals raise ``Interrupted``, except inside ``deferred()``, which finishes first, and while a line
    is advised (``check`` raises it after that line).

    After a signal the output goes on for ``GRACE`` seconds (what is advised already: a file gets it all), then ends
    at the end of a line (``LineWriter``; ``late``). A reader that stopped reading would keep the run waiting for ever,
    so when no piece of the output goes out for ``GRACE`` seconds (``moved``), when a very slow reader has not taken
    the line under way ``2 * GRACE`` seconds after the signal, or at a second signal, the write is cut off (``cut``):
    ``Interrupted`` is raised inside it, and the output may end in part of a line. Only the main thread can receive
    signals; elsewhere this does nothing (and without ``setitimer``, as on Windows, only a second signal cuts a write
    off).
    """

    def __init__(self) -> None:
        self.deferring, self.ignoring, self.pending, self.cut = False, False, 0, False
        self.came = 0  # the first signal of the run (``pending`` is cleared once raised)
        self._since = 0.0  # when it came (``time.monotonic``)
        self._old: dict[int, Any] = {}
        self._timed = False  # a timer cuts a write off (``GRACE``)
        self._moved_at = 0.0  # when the last piece of the output went out

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP:
                if signal.getsignal(signum) is not signal.SIG_IGN:  # ignored by the caller (nohup, '&' in a script):
                    self._old[signum] = signal.signal(signum, self._handle)  # it stays so (an integrator trial)
            if hasattr(signal, "setitimer"):
                self._old[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._expire)
                self._timed = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._disarm()
        for signum, handler in self._old.items():
            signal.signal(signum, handler)

    def ignore(self) -> None:
        """From now on a signal is only noted, never raised (while a run ends after the first one); a write still must
        make progress (``deferred``)."""
        self.ignoring = True

    def moved(self) -> None:
        """A piece of the output is out (``LineWriter``)."""
        self._moved_at = time.monotonic()

    def late(self) -> bool:
        """Has the output gone on for ``GRACE`` seconds since the first signal? Then it ends at the next line end."""
        return bool(self.came) and time.monotonic() - self._since >= GRACE

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        again, self.came = bool(self.came), self.came or signum
        if not again:
            self._since = time.monotonic()
        if self.deferring:  # a write is under way: it may finish while it makes progress (``_expire``)
            if again:  # a second signal: no more waiting
                self._cut()
            self.pending = signum
            self._arm()
            return
        if self.ignoring or _advising[0]:  # acted on at the next safe point (``check``, ``deferred``)
            self.pending = signum
            return
        raise Interrupted(signum)

    def _expire(self, signum: int, frame: FrameType | None) -> None:
        if not self.deferring:
            return
        now = time.monotonic()
        idle = now - self._moved_at
        if idle < GRACE and now - self._since < 2 * GRACE:  # the reader reads: it gets the rest, for a while
            self._set(GRACE - idle)
            return
        self._cut()

    def _cut(self) -> None:
        self.cut = True
        self._disarm()
        raise Interrupted(self.came)

    def _arm(self) -> None:
        """Time the write from now: ``_expire`` cuts it off after ``GRACE`` seconds without output."""
        self._moved_at = time.monotonic()
        self._set(GRACE)

    def _set(self, seconds: float) -> None:
        if self._timed:  # never later than 2 * GRACE after the signal
            left = self._since + 2 * GRACE - time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, max(0.001, min(seconds, left)))

    def _disarm(self) -> None:
        if self._timed:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def check(self) -> None:
        """Between lines: raise ``Interrupted`` for a signal that came while a line was advised."""
        if self.pending and not (self.deferring or self.ignoring):
            signum, self.pending = self.pending, 0  # raised once: the cleanup after it must not raise it again
            raise Interrupted(signum)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """A write that a signal waits for while it makes progress (timed from the signal, or from the start when one
        came before: the last write of an interrupted run)."""
        self.deferring = True
        if self.came:
            self._arm()
        try:
            yield
        finally:
            self.deferring = False
            self._disarm()
        self.check()


class LineWriter:
    """Blocks of whole lines (UTF-8, each line ending in a line break) to a stream, flushed once ``block`` lines are
    waiting; ``written`` counts the lines certainly out.

    The blocks go straight to the stream's file (under its buffer), in pieces (``PIECE``), so the writer knows what is
    out: ``written`` counts the whole lines of a block that a failure or a cut (``Signals.cut``) stopped, too. A
    failed write raises ``WriteError``, which names the last complete line; a cut raises ``Interrupted``. Nothing is
    written after either.
    """

    def __init__(self, stream: TextIO, signals: Signals, block: int = 256) -> None:
        self.binary: BinaryIO | None = getattr(stream, "buffer", None)
        self.stream, self.signals, self.block = stream, signals, block
        self.written = self._waiting = 0
        self._blocks: list[tuple[bytes, int]] = []
        self._sent = 0  # bytes of the first block that are out
        self._stopped = False

    def write(self, block: bytes, lines: int) -> None:
        """``block`` holds ``lines`` whole lines."""
        self._blocks.append((block, lines))
        self._waiting += lines
        if self._waiting >= self.block:
            self.flush()

    def flush(self) -> None:
        if not self._blocks or self._stopped:  # after a failure or a cut the output ends where it is
            return
        with self.signals.deferred():
            try:
                if self.binary is not None:
                    self.stream.flush()  # anything written as text before
                    self.binary.flush()
                    out = getattr(self.binary, "raw", self.binary)  # under the buffer: each piece is out when written
                    while self._blocks:  # as they are: no copy into one
                        if not self._send(out, self._blocks[0][0]):  # ended at a line, GRACE after a signal
                            self._stop()
                            break
                        self._sent = 0
                        self._done(self._blocks.pop(0)[1])  # before a signal that waited is raised (``deferred``)
                else:
                    self.stream.write(b"".join(block for block, _ in self._blocks).decode())
                    self.stream.flush()
                    self._done(self._waiting)
                    self._blocks.clear()
            except OSError as exc:
                self._stop()
                raise WriteError(write_problem(exc, self.written)) from None
            except Interrupted:
                self._stop()
                raise

    def _send(self, out: BinaryIO, data: bytes) -> bool:
        """``data`` from ``_sent`` on, a piece at a time: a raw file may write a part (a signal during a write to a
        pipe), or nothing (a non-blocking output that is full: wait until it takes more). After a signal in smaller
        pieces, and once it is ``late``, up to the end of the line under way: then False, else True (all of it)."""
        view, end = memoryview(data), len(data)
        while self._sent < end:
            if self.signals.came and end == len(data) and self.signals.late():
                end = data.find(b"\n", self._sent - 1) + 1 if self._sent else 0  # the line under way, or none
                continue
            written = out.write(view[self._sent:min(end, self._sent + (LAST_PIECE if self.signals.came else PIECE))])
            if written is None:
                select.select([], [out], [])
                continue
            self._sent += written
            self.signals.moved()
        return end == len(data)

    def _stop(self) -> None:
        """The write failed or was cut off: count the whole lines of the part of the block that is out; no more
        writes."""
        self._stopped = True
        if self._blocks and self._sent:
            self.written += self._blocks[0][0].count(b"\n", 0, self._sent)

    def _done(self, lines: int) -> None:
        self.written += lines
        self._waiting -= lines


def write_problem(exc: OSError, complete: int | None) -> str:
    """A Dutch message for a failed write of the output; with ``complete``, how far the output is complete."""
    reasons = {errno.ENOSPC: "de schijf is vol", errno.EPIPE: "de uitvoer is gesloten"}
    reason = reasons.get(exc.errno or 0, "schrijffout")
    if complete is None:
        return f"Kan de uitvoer niet schrijven ({reason})."
    return f"Kan de uitvoer niet schrijven ({reason}); de uitvoer is {_complete(complete)}."


def _complete(lines: int) -> str:
    """How far the output is complete, after ``lines`` lines certainly written."""
    return f"volledig tot en met regel {lines}" if lines else "leeg of onvolledig"


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

    0 every line advised, 1 some lines are error objects (the output is complete), ``INCOMPLETE`` (3) a worker or a
    write failed (the output is not complete: stderr names its last whole line), 128 + the signal number after
    SIGINT, SIGTERM or SIGHUP. Messages go to ``err`` in Dutch; output always ends at a line boundary.
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
            with suppress(WriteError, Interrupted):
                writer.flush()  # the whole lines already advised (``GRACE`` at most: Signals)
            written = f"{_lines(writer.written)} geschreven; de uitvoer is {_complete(writer.written)}"
            if signals.cut:  # what is still buffered for the output must not keep the exit waiting
                drop_output(out)
                use = f"gebruik alleen regel 1 tot en met {writer.written}" if writer.written else "gebruik niets"
                written += (". Het schrijven is midden in een regel afgebroken (de uitvoer werd niet op tijd gelezen, "
                            f"of er kwam een tweede signaal): {use}")
            if isinstance(exc, Interrupted):
                print(f"Onderbroken ({exc}): {written}.", file=err)
                return 128 + exc.signum
            print(f"{exc} ({written}.)", file=err)
            return INCOMPLETE
        except WriteError as exc:
            signals.ignore()
            results.close()
            progress.close()
            if signals.came:  # Ctrl-C that ended the reader too: the signal stopped the run
                print(f"Onderbroken ({signal.Signals(signals.came).name}). {exc}", file=err)
                return 128 + signals.came
            print(str(exc), file=err)
            return INCOMPLETE
        except OSError as exc:  # the input failed half-way: what was answered is whole, the rest is not (a review)
            signals.ignore()
            results.close()
            progress.close()
            with suppress(WriteError, Interrupted):
                writer.flush()
            print(f"Kan de invoer niet verder lezen ({os_reason(exc)}); {_lines(writer.written)} geschreven; de "
                  f"uitvoer is {_complete(writer.written)}.", file=err)
            return INCOMPLETE
    progress.close()
    if failed:
        print(f"{failed} {'casus' if failed == 1 else 'casussen'} zonder advies (zie de regels met \"fout\").",
              file=err)
    return 1 if failed else 0


def drop_output(stream: TextIO) -> None:
    """Point ``stream``'s file at /dev/null, so that nothing still buffered for it (a write that failed or was cut
    off) keeps the exit waiting or fails again; for a stream without a file, nothing."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, stream.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):  # no real file behind the stream (e.g. captured in tests)
        pass


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
