"""Batch advice over JSON Lines: order kept, bad lines reported in place, processes give the same output."""

from __future__ import annotations

import errno
import io
import json
import os
import pickle
import signal
import subprocess
import sys
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import FIXTURES

import grenzen
from grenzen.cli import main
from grenzen.pipeline._read import MAX_CASE_BYTES
from grenzen.team import _batch
from grenzen.team._batch import Progress, advise_lines

BASIS = FIXTURES / "basis"
LINES = [
    '{"taak": "signaleren"}',
    "",
    '{"taak": "begeleidingsgesprekken", "signalen": [{"soort": "rouw", "ernst": "matig"}], "mentor": {"scholing": ["rouwbegeleiding"]}}',
    '{"taak": "signaleren", "naam": "Sanne Bakker"}',
    "geen json {",
    '{"taak": "signaleren", "signalen": [{"soort": "suicidaal_plan", "ernst": "licht"}]}',
]


#: the stable code of each text refusal these tests meet (every error item carries one, for systems outside Python)
CODES = {"de tekst is leeg": "leeg", "geen geldige JSON": "geen-geldige-json", "de tekst is geen UTF-8": "geen-utf8",
         "moet een object met velden zijn (een JSON-object)": "geen-object"}


def _error(number, message):
    code = next(code for text, code in CODES.items() if message.endswith(text))
    return {"fout": {"regelnummer": number, "fouten": [{"veld": "(casus)", "melding": message, "code": code}]}}


def test_one_line_out_per_input_line_in_order_with_errors_in_place():
    out = [json.loads(line) for line in advise_lines(BASIS, LINES)]
    assert [o.get("route") for o in out] == ["mentor", None, "mentor", None, None, "extern"]
    assert out[1] == _error(2, "de tekst is leeg")
    assert out[3]["fout"]["regelnummer"] == 4 and out[3]["fout"]["fouten"][0]["melding"].startswith("onbekend veld")
    assert out[4] == _error(5, "kolom 1: geen geldige JSON")
    assert "Sanne" not in json.dumps(out)


def test_an_advice_line_ends_with_the_case_id(tmp_path, capsys):
    """As the HTTP API answers: a line can be matched by its case's id, not only by its number (an integrator trial);
    a case without an id gets id null, and each line is the library's advice, which carries the id, read back by
    ``Advies``."""
    lines = ['{"id": "casus-1", "taak": "signaleren"}', '{"taak": "signaleren"}',
             '{"id": "x:2.b_c-3", "taak": "begeleidingsgesprekken", "signalen": [{"soort": "rouw", "ernst": "matig"}]}']
    out = [json.loads(line) for line in advise_lines(BASIS, lines)]
    policy = grenzen.load_policy(BASIS)
    for line, answer in zip(lines, out, strict=True):
        case = json.loads(line)
        expected = policy.advise(case).model_dump(mode="json")
        assert answer == ({**expected, "id": case["id"]} if "id" in case else expected)
    assert list(out[0])[-1] == "id" and out[1]["id"] is None
    assert all(grenzen.Advies.model_validate(answer).id == answer["id"] for answer in out)
    path = tmp_path / "casus.json"
    path.write_text(lines[2], encoding="utf-8")
    assert main(["advies", str(path), "--json", "--regels", str(BASIS)]) == 0
    assert json.loads(capsys.readouterr().out) == out[2]


@pytest.mark.parametrize("line, message", [
    ("taak: signaleren", "kolom 1: geen geldige JSON"),  # YAML is not JSON Lines
    ("{taak: signaleren, naam: Sanne}", "kolom 2: geen geldige JSON"),
    ('"taak: signaleren"', "moet een object met velden zijn (een JSON-object)"),  # never read as YAML
    ('["Sanne"]', "moet een object met velden zijn (een JSON-object)"),
    ("   \t", "de tekst is leeg"),
    (b'{"taak": "signaleren", "id": "\xff Sanne"}', "kolom 31: de tekst is geen UTF-8"),  # where it stops being UTF-8
])
def test_each_line_is_strict_json(line, message):
    good = LINES[0].encode() if isinstance(line, bytes) else LINES[0]
    out = list(advise_lines(BASIS, [good, line, good]))
    assert [json.loads(o) for o in out[::2]] == [json.loads(out[0])] * 2 and "route" in json.loads(out[0])
    assert json.loads(out[1]) == _error(2, message) and "Sanne" not in out[1]


def test_a_given_policy_is_not_loaded_again(monkeypatch, basis):
    import grenzen.team._batch as batch

    def no_loading(directory):
        raise AssertionError("loaded again")

    monkeypatch.setattr(batch, "load_policy", no_loading)
    assert json.loads(next(advise_lines(BASIS, [LINES[0]], policy=basis)))["route"] == "mentor"


def test_cli_loads_the_policy_once(monkeypatch, tmp_path, capsys):
    import grenzen.cli._main as cli
    import grenzen.team._batch as batch

    loads = []
    real = grenzen.load_policy  # the function cli and batch imported

    def counted(d):
        loads.append(d)
        return real(d)

    monkeypatch.setattr(cli, "load_policy", counted)
    monkeypatch.setattr(batch, "load_policy", counted)
    path = tmp_path / "casussen.jsonl"
    path.write_text(LINES[0] + "\n", encoding="utf-8")
    assert main(["advies", str(path), "--regels", str(BASIS), "--processen", "1"]) == 0
    assert len(loads) == 1


WORKER_FAILS = """
import json, sys
from pathlib import Path
import grenzen
from grenzen.team._batch import WorkerError, advise_lines
try:
    list(advise_lines(Path(sys.argv[2]), ['{"taak": "signaleren"}'] * 1000, processes=2))
except WorkerError as exc:
    print(str(exc))
    sys.exit(3)
"""


@pytest.mark.slow
def test_a_worker_that_cannot_load_the_policy_ends_the_batch(tmp_path):
    # the workers are given a directory that does not load: this used to respawn workers forever
    # (multiprocessing.Pool restarts a worker whose initializer raised)
    src = Path(grenzen.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", WORKER_FAILS, str(BASIS), str(tmp_path / "weg")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the batch hangs when a worker cannot load the policy")
    assert process.returncode == 3, err
    assert out.startswith("Een werkproces kon het beleid niet laden") and "Traceback" not in out


FORKED = """
import sys
from pathlib import Path
import grenzen
from grenzen.team._batch import _start_method, advise_lines
policy = grenzen.load_policy(sys.argv[1])
lines = ['{"taak": "signaleren"}', '{"taak": "hulpverlenen", "leeftijd": 15}', 'geen json'] * 700
# the workers get a directory that does not load: only a worker forked with the policy can answer
forked = list(advise_lines(Path(sys.argv[2]), lines, processes=2, policy=policy))
assert _start_method(policy) == "fork" and forked == list(advise_lines(Path(sys.argv[1]), lines)), "different"
print(len(forked))
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="fork is used on Linux only")
def test_a_batch_with_the_policy_loaded_forks_workers_that_use_it(tmp_path):
    # as the command line runs it (one thread, the policy loaded): a worker starts with the policy in its memory
    src = Path(grenzen.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", FORKED, str(BASIS), str(tmp_path / "weg")], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "2100", done.stderr


def test_workers_are_spawned_when_another_thread_runs_or_no_policy_is_loaded(basis):
    # a fork copies only the forking thread: a lock another thread holds (the engine's) would stay held in the child
    import threading

    assert _batch._start_method(None) == "spawn"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _batch._start_method(basis) == "spawn"
    finally:
        stop.set()
        other.join()


@pytest.mark.slow
def test_processes_give_the_same_lines():
    many = [LINES[0], LINES[2], LINES[5]] * 700
    assert list(advise_lines(BASIS, many, processes=2)) == list(advise_lines(BASIS, many, processes=1))


@pytest.mark.slow
def test_this_process_and_a_worker_sharing_small_chunks_keep_the_order(monkeypatch, basis):
    # With the policy given, this process advises what the worker does not take (_Dispatch); tiny chunks make many
    # turns. Every line carries its own id, so a line out of place shows.
    monkeypatch.setattr(_batch, "WORKER_LINES", 7)
    monkeypatch.setattr(_batch, "OWN_LINES", 3)
    monkeypatch.setattr(_batch, "HELD", 20)
    many = [json.loads(LINES[(2, 5, 0)[i % 3]]) | {"id": f"c{i}"} for i in range(3000)]
    lines = [json.dumps(case) for case in many] + ["geen json {"]
    here: list[int] = []
    real = _batch.advise_chunk

    def noted(policy, chunk, max_bytes=MAX_CASE_BYTES):
        here.append(len(chunk))  # in this process only: the forked worker's list is its own
        return real(policy, chunk, max_bytes)

    monkeypatch.setattr(_batch, "advise_chunk", noted)
    two = list(advise_lines(BASIS, lines, processes=2, policy=basis))
    assert 0 < sum(here) < len(lines) and max(here) <= 3  # both advised, this process in pieces of OWN_LINES
    assert two == list(advise_lines(BASIS, lines))


class _Outbox:
    def __init__(self):
        self.sent = []

    def send_bytes(self, data):
        self.sent.append([number for number, _ in pickle.loads(data)])


def _worker(capacity):
    return SimpleNamespace(queue=deque(), capacity=capacity, outbox=_Outbox())


def test_a_worker_holds_two_chunks_and_a_second_one_fits_its_pipe(basis):
    worker = _worker(4096)
    lines = [(n, b"x" * 100) for n in range(1, 2001)]
    dispatch = _batch._Dispatch([worker], iter(lines), basis, MAX_CASE_BYTES)
    dispatch._supply()
    first, second = worker.outbox.sent
    assert first == list(range(1, _batch.WORKER_LINES + 1))  # the first: whole, the worker has nothing to do
    assert second == list(range(first[-1] + 1, first[-1] + 21))  # 20 lines of 100 bytes: half the pipe
    dispatch._supply()
    assert len(worker.outbox.sent) == 2 and list(worker.queue) == [0, 1]  # no third
    worker.queue.popleft()
    dispatch._supply()
    assert worker.outbox.sent[-1][0] == second[-1] + 1 and list(worker.queue) == [1, 2]


def test_a_line_longer_than_the_pipe_waits_for_an_idle_worker(basis):
    worker = _worker(4096)
    lines = [(n, b"x" * (10_000 if n == 251 else 100)) for n in range(1, 2001)]
    dispatch = _batch._Dispatch([worker], iter(lines), basis, MAX_CASE_BYTES)
    dispatch._supply()
    assert len(worker.outbox.sent) == 1 and dispatch.upcoming[0][0] == 251  # not sent ahead: it stays next in line
    worker.queue.clear()
    dispatch._supply()
    assert worker.outbox.sent[1][0] == 251


def test_near_the_end_a_worker_gets_half_of_what_is_left_and_no_second_chunk(basis):
    worker = _worker(1 << 20)
    dispatch = _batch._Dispatch([worker], iter([(n, b"{}") for n in range(1, 301)]), basis, MAX_CASE_BYTES)
    dispatch._supply()
    assert worker.outbox.sent == [list(range(1, 151))] and len(dispatch.upcoming) == 150
    alone = _worker(1 << 20)  # with no policy here the workers get every line
    _batch._Dispatch([alone], iter([(n, b"{}") for n in range(1, 301)]), None, MAX_CASE_BYTES)._supply()
    assert [len(chunk) for chunk in alone.outbox.sent] == [250, 50]


LONG_LINES = """
import sys
import grenzen
from grenzen.pipeline._load import default_rules_dir
from grenzen.pipeline._read import MAX_CASE_BYTES
from grenzen.team import _batch
_batch._grow = lambda conn: None  # pipes as the system makes them (64 KiB on Linux)
policy = grenzen.load_policy()  # the default policy: advice of about 2 KB a line, so a block fills a pipe
case = '{"taak": "hulpverlenen", "leeftijd": 15, "signalen": [{"soort": "rouw", "ernst": "matig"}]}'
lines = [case] * 2000 + ['{"taak": "signaleren", "id": "' + "x" * 200_000 + '"}'] * 40 + [case] * 1000
two = list(_batch.advise_lines(default_rules_dir(), lines, processes=2, policy=policy))
assert two == list(_batch.advise_lines(default_rules_dir(), lines, policy=policy)), "different"
print(len(two))
"""


@pytest.mark.slow
def test_long_lines_and_long_blocks_through_small_pipes_do_not_block():
    # a worker waits on its full pipe back until this process reads; this process must then never wait on a send to it
    src = Path(grenzen.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", LONG_LINES], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        out, err = process.communicate(timeout=120)  # about 2 s; it hung for good when a long line went ahead
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("a batch with long lines hangs")
    assert process.returncode == 0 and out.strip() == "3040", err


def test_cli_batch_file(tmp_path, capsys):
    path = tmp_path / "casussen.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    assert main(["advies", str(path), "--regels", str(BASIS)]) == 1  # three lines had no advice
    captured = capsys.readouterr()
    assert [json.loads(o) for o in captured.out.splitlines()] == [json.loads(o) for o in advise_lines(BASIS, LINES)]
    assert "3 casussen zonder advies" in captured.err and "Sanne" not in captured.err


def test_cli_batch_reads_bytes_and_keeps_lines_aligned(tmp_path, capsys):
    path = tmp_path / "casussen.jsonl"
    path.write_bytes(b'{"taak": "signaleren"}\n\n\xff\xfe Sanne\r\n{"taak": "signaleren"}\r\n')
    assert main(["advies", str(path), "--regels", str(BASIS)]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o.get("route") for o in out] == ["mentor", None, None, "mentor"]
    assert out[1:3] == [_error(2, "de tekst is leeg"), _error(3, "kolom 1: de tekst is geen UTF-8")]


def test_cli_batch_reads_bytes_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"taak": "signaleren"}\n\xff\n')))
    assert main(["advies", "-", "--jsonl", "--regels", str(BASIS)]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["route"] == "mentor" and out[1] == _error(2, "kolom 1: de tekst is geen UTF-8")


def test_progress_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    quiet, loud, counting = io.StringIO(), Tty(), Tty()
    for stream, total in ((quiet, 50_000), (loud, 50_000), (counting, None)):
        progress = Progress(total, stream)  # total: the input's size in bytes, when it is a regular file
        for n in range(1, 1001):
            progress.step(50 * n)
        progress.close()
    assert quiet.getvalue() == ""
    assert "#" * 30 + "] 100% · 1000 casussen" in loud.getvalue() and "[" + "#" * 15 + "." * 15 in loud.getvalue()
    assert counting.getvalue().endswith("\r1000 casussen\n") and "%" not in counting.getvalue()


def test_an_input_smaller_than_one_chunk_starts_no_worker(monkeypatch, basis):
    import grenzen.team._batch as batch

    def no_workers(*args, **kwargs):
        raise AssertionError("workers started for a small input")

    monkeypatch.setattr(batch._Worker, "start_all", no_workers)
    out = list(advise_lines(BASIS, [LINES[0]] * 10, processes=2, policy=basis))
    assert [json.loads(o)["route"] for o in out] == ["mentor"] * 10


def test_blocks_are_the_lines_and_a_chunk_is_one_block(basis):
    # run_batch writes blocks as they come (from a worker: the bytes it sent), counting lines and error objects by
    # their line breaks: no output line may hold a line break of its own
    lines = [*LINES, '{"taak": "signaleren", "id": "a\\nb\\u2028c"}'] * 150  # 1050 lines: 3 chunks
    for processes in (1, 2):
        blocks = list(_batch.advised_blocks(BASIS, lines, processes, policy=basis))
        assert [block.data.count(b"\n") for block in blocks] == [block.lines for block in blocks]
        assert sum(block.lines for block in blocks) == len(lines)
        data = b"".join(block.data for block in blocks).decode().split("\n")[:-1]
        assert data == [_batch.advise_line(basis, line, n) for n, line in enumerate(lines, start=1)]
        assert [block.failed for block in blocks] == [sum(line.startswith('{"fout"') for line in block.data.decode()
                                                          .split("\n")) for block in blocks]
        assert sum(block.failed for block in blocks) > 0
    assert [block.lines for block in _batch.advised_blocks(BASIS, lines, policy=basis)] == [_batch.CHUNK] * 2 + [50]
    assert list(advise_lines(BASIS, lines, policy=basis)) == data


@pytest.mark.parametrize("processes", ["1", "2"])
def test_cli_batch_counts_error_lines_over_blocks(tmp_path, capsys, processes):
    path = tmp_path / "casussen.jsonl"
    path.write_text("\n".join(LINES * 200) + "\n", encoding="utf-8")  # 1200 lines, 600 of them errors
    assert main(["advies", str(path), "--regels", str(BASIS), "--processen", processes]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == list(advise_lines(BASIS, LINES * 200))
    assert captured.err.startswith("600 casussen zonder advies")


def test_one_line_without_advice_is_one_casus(tmp_path, capsys):
    path = tmp_path / "casussen.jsonl"
    path.write_text('{"taak": "signaleren"}\n{"taak": "signaleren", "leeftijd": 40}\n', encoding="utf-8")
    assert main(["advies", str(path), "--regels", str(BASIS)]) == 1
    assert capsys.readouterr().err == '1 casus zonder advies (zie de regels met "fout").\n'


def test_progress_counts_lines_a_block_at_a_time():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    shown = Tty()
    progress = Progress(None, shown)
    for lines in (300, 300, 100, 500, 400):  # 300, 600, 700, 1200, 1600: past 500, 1000 and 1500
        progress.step(None, lines)
    assert shown.getvalue() == "\r600 casussen\r1200 casussen\r1600 casussen"


def test_ctrl_c_that_also_ends_the_reader_exits_as_an_interrupt(tmp_path):
    # Ctrl-C reaches the whole pipeline: the reader ends too, so the write fails on a closed pipe; that is the signal's
    # doing, and the exit code says so (130), not "some lines failed" (1)
    class ReaderGone(io.RawIOBase):
        def writable(self):
            return True

        def write(self, data):
            os.kill(os.getpid(), signal.SIGINT)
            raise BrokenPipeError(errno.EPIPE, "gesloten")

    class Output(io.StringIO):
        buffer: Any = ReaderGone()

    path = tmp_path / "casussen.jsonl"
    path.write_text('{"taak": "signaleren"}\n' * 600, encoding="utf-8")
    err = io.StringIO()
    with open(path, "rb") as stream:
        code = _batch.run_batch(grenzen.load_policy(BASIS), BASIS, stream, out=Output(), err=err)
    assert code == 128 + signal.SIGINT
    assert err.getvalue().startswith("Onderbroken (SIGINT). Kan de uitvoer niet schrijven (de uitvoer is gesloten)")


def test_input_that_fails_half_way_ends_with_exit_code_3_and_the_whole_lines_kept():
    """A review: an OSError while reading the input escaped the batch and gave exit code 1, which says the output is
    complete. The lines answered before it are written whole; the exit code says the output is not complete."""
    class Failing(io.RawIOBase):
        def __init__(self) -> None:
            self.lines = [b'{"taak": "signaleren"}\n'] * 700

        def readable(self):
            return True

        def readinto(self, buffer):
            if not self.lines:
                raise OSError(errno.EIO, "Input/output error")
            data = self.lines.pop()
            buffer[:len(data)] = data
            return len(data)

    out, err = io.StringIO(), io.StringIO()
    code = _batch.run_batch(grenzen.load_policy(BASIS), BASIS, io.BufferedReader(Failing(), 64), out=out, err=err)
    assert code == _batch.INCOMPLETE == 3
    written = out.getvalue().splitlines()
    assert written and all(json.loads(line)["route"] for line in written)
    assert err.getvalue().startswith("Kan de invoer niet verder lezen (")
    assert f"de uitvoer is volledig tot en met regel {len(written)}." in err.getvalue()


def test_a_signal_during_a_write_stops_after_it_with_the_lines_counted():
    # the signal waits for the write (Signals.deferred) and is raised after it: the lines written must be counted
    # by then, or the final flush of the interrupted run writes them again and the message names too few lines
    signals = _batch.Signals()

    class Interrupting(io.BytesIO):
        armed = False

        def write(self, data):
            if self.armed:
                signals._handle(signal.SIGINT, None)  # as if Ctrl-C came during the write
            return super().write(data)

    raw = Interrupting()
    writer = _batch.LineWriter(io.TextIOWrapper(raw, encoding="utf-8"), signals, block=2)
    writer.write(b'{"a": 1}\n{"a": 2}\n', 2)
    raw.armed = True
    with pytest.raises(_batch.Interrupted):
        writer.write(b'{"a": 3}\n{"a": 4}\n', 2)
    assert writer.written == 4
    signals.ignore()
    writer.flush()  # what run_batch does after an interrupt
    assert raw.getvalue() == b'{"a": 1}\n{"a": 2}\n{"a": 3}\n{"a": 4}\n'


def test_a_write_that_fails_after_some_blocks_counts_the_blocks_that_are_out():
    # one flush can write several blocks; the lines of those written before the failure are out, and the message says so
    class FillsUp(io.BytesIO):
        def write(self, data):
            if self.tell() + len(data) > 40:
                raise OSError(errno.ENOSPC, "vol")
            return super().write(data)

    raw = FillsUp()
    writer = _batch.LineWriter(io.TextIOWrapper(raw, encoding="utf-8"), _batch.Signals(), block=5)
    for block in (b'{"a": 1}\n{"a": 2}\n', b'{"a": 3}\n', b'{"a": 4}\n{"a": 5}\n'):
        lines = block.count(b"\n")
        if block.startswith(b'{"a": 4}'):
            with pytest.raises(_batch.WriteError, match="volledig tot en met regel 3"):
                writer.write(block, lines)
        else:
            writer.write(block, lines)
    assert writer.written == 3 and raw.getvalue() == b'{"a": 1}\n{"a": 2}\n{"a": 3}\n'


def test_an_unbuffered_output_that_writes_a_part_gets_the_rest():
    # with python -u (PYTHONUNBUFFERED) the output under the text layer is a raw file: a write to a pipe that a signal
    # interrupts writes a part and says how much; the rest must follow, or the output loses bytes in the middle of a line
    class Partial(io.BytesIO):
        def write(self, data):
            return super().write(bytes(data[:1000]))

    class Unbuffered(io.StringIO):
        buffer = Partial()

    blocks = [json.dumps({"n": n, "tekst": "x" * 3000}).encode() + b"\n" for n in range(5)]
    stream = Unbuffered()
    writer = _batch.LineWriter(stream, _batch.Signals(), block=2)
    for block in blocks:
        writer.write(block, 1)
    writer.flush()
    assert stream.buffer.getvalue() == b"".join(blocks) and writer.written == 5


def test_a_non_blocking_output_that_is_full_gets_the_rest_when_it_takes_more():
    import threading

    read, write = os.pipe()
    os.set_blocking(write, False)
    data = bytes(range(256)) * 4096  # 1 MiB: more than the pipe holds
    received = bytearray()

    def drain():
        with open(read, "rb", buffering=0) as source:
            while chunk := source.read(65536):
                received.extend(chunk)

    class Unbuffered(io.StringIO):
        buffer: Any = None

    reader = threading.Thread(target=drain)
    reader.start()
    with open(write, "wb", buffering=0) as sink:  # a raw file: write says None when the pipe is full
        stream = Unbuffered()
        stream.buffer = sink
        writer = _batch.LineWriter(stream, _batch.Signals(), block=1)
        writer.write(data, data.count(b"\n"))
    reader.join(timeout=30)
    assert bytes(received) == data and writer.written == data.count(b"\n")
