"""The edges of case input: one reader for every channel, streams, bad lines, interrupts, full disks, size caps.

Each test here failed on main before the reader (``_read``) and the streaming batch: a duplicate key in a batch
line advised an acute suicide plan as "mentor"; a pipe given as a path gave 0 lines; a 1000-deep line ended the
batch with a traceback; Ctrl-C could hang the workers; a full disk said "lezen"; difflib ran on 100 MB keys.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

import grenzen
from grenzen.cli import main
from grenzen.team import _batch
from grenzen.team._batch import LineReader, advise_lines
from grenzen.team._consistency import build_report

BASIS = FIXTURES / "basis"
GRENZEN = [sys.executable, "-m", "grenzen"]
SUICIDE_DUPLICATE = '{"taak":"signaleren","signalen":[{"soort":"suicidaal_plan","ernst":"acuut"}],"signalen":[]}'
GOOD = '{"taak": "signaleren"}'
DUPLICATE = "deze sleutel staat twee keer in hetzelfde blok; voeg ze samen"
TOO_DEEP = "de tekst is te diep genest"
BAD_NUMBER = "dit getal is te groot of geen gewoon getal"

# (text, what the message must say): the same refusal through every channel
BAD_TEXTS = [
    (SUICIDE_DUPLICATE, DUPLICATE),
    ('{"taak": "signaleren", "taak": "signaleren"}', DUPLICATE),
    ('{"taak": "signaleren", "leeftijd": ' + "1" * 5000 + "}", BAD_NUMBER),
    ('{"taak": "signaleren", "leeftijd": 1e400}', BAD_NUMBER),
    ('{"taak": "signaleren", "leeftijd": NaN}', BAD_NUMBER),
    ("[" * 1000 + "]" * 1000, TOO_DEEP),
    ('{"taak": "signaleren", "x": ' + "[" * 70 + "]" * 70 + "}", TOO_DEEP),
    ("", "de tekst is leeg"),
    ('["Sanne"]', "moet een object met velden zijn"),
]


def _run(args, stdin=None, **kw):
    src = Path(grenzen.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(GRENZEN + args, input=stdin, capture_output=True, env=env, timeout=120, **kw)


def _single_messages(policy, text: str | bytes) -> list[str]:
    with pytest.raises(grenzen.CaseError) as info:
        policy.advise(text)
    return [e.message for e in info.value.errors]


@pytest.mark.parametrize("text, message", BAD_TEXTS)
def test_one_reader_gives_every_channel_the_same_refusal(basis, tmp_path, capsys, text, message):
    for given_text in (text, text.encode()):  # Policy.advise(str) and (bytes)
        assert any(message in m for m in _single_messages(basis, given_text))
    batch = json.loads(next(advise_lines(BASIS, [text.encode()], policy=basis)))  # one JSON Lines line
    assert batch["fout"]["regelnummer"] == 1 and "route" not in batch
    assert any(message in e["melding"] for e in batch["fout"]["fouten"])
    with pytest.raises(grenzen.CaseError) as refused:  # the line's items carry the codes Python gets (a trial: none)
        basis.advise(text)
    assert [e["code"] for e in batch["fout"]["fouten"]] == [e.code for e in refused.value.errors] != []
    case_file = tmp_path / "casus.json"
    case_file.write_text(text, encoding="utf-8")
    assert main(["advies", str(case_file), "--regels", str(BASIS)]) == 1  # a case file
    assert message in capsys.readouterr().err
    history = [json.dumps({"code": "2A", "casus": json.loads(GOOD), "route": "mentor"}),
               '{"code": "2A", "route": "mentor", "casus": ' + text + "}"]
    report = build_report(basis, [line.encode() for line in history])
    if text:  # an empty casus inside a history line is not JSON at all
        assert report.cases == 1 and len(report.skipped) == 1 and report.skipped[0].startswith("regel 2: ")


@pytest.mark.slow
def test_duplicate_key_in_a_batch_line_never_becomes_mentor(tmp_path):
    path = tmp_path / "casussen.jsonl"
    path.write_text(GOOD + "\n" + SUICIDE_DUPLICATE + "\n" + GOOD + "\n", encoding="utf-8")
    result = _run(["advies", str(path)])
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("route") for o in out] == ["mentor", None, "mentor"] and result.returncode == 1
    assert DUPLICATE in out[1]["fout"]["fouten"][0]["melding"]


def test_a_bom_is_accepted_everywhere(basis, tmp_path):
    bom = "\ufeff"
    assert basis.advise(bom + "taak: signaleren\n").route == "mentor"
    assert basis.advise((bom + GOOD).encode()).route == "mentor"
    assert json.loads(next(advise_lines(BASIS, [(bom + GOOD).encode()], policy=basis)))["route"] == "mentor"
    report = build_report(basis, [(bom + json.dumps({"code": "2A", "casus": json.loads(GOOD), "route": "mentor"})).encode()])
    assert report.cases == 1 and not report.skipped


def test_yaml_tags_and_aliases_are_refused_in_a_case(basis):
    assert any("YAML-tags" in m for m in _single_messages(basis, "taak: !!python/name:os.system signaleren\n"))
    assert any("ankers" in m for m in _single_messages(basis, "taak: &t signaleren\nid: *t\n"))


def test_a_duplicate_key_in_a_yaml_case_is_never_named(basis):
    # a rule file's duplicate key is named with its first line; a case's key may be a name, so it is not
    assert _single_messages(basis, "taak: signaleren\nSanne de Vries: 1\nSanne de Vries: 2\n") == [
        f"regel 3, kolom 1: {DUPLICATE}"]


# --- streams -------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_stdin_as_dash_and_as_dev_stdin_for_one_case_and_for_lines():
    for args in (["advies", "-"], ["advies", "/dev/stdin"]):
        result = _run(args + ["--json", "--regels", str(BASIS)], stdin=b"taak: signaleren\n")
        assert result.returncode == 0 and json.loads(result.stdout)["route"] == "mentor"
    lines = (GOOD + "\n") * 3 + "kapot\n"
    for args in (["advies", "-", "--jsonl"], ["advies", "/dev/stdin", "--jsonl"]):
        result = _run(args + ["--regels", str(BASIS)], stdin=lines.encode())
        out = [json.loads(line) for line in result.stdout.splitlines()]
        assert [o.get("route") for o in out] == ["mentor"] * 3 + [None] and result.returncode == 1


def test_a_fifo_as_the_path_is_read_once(tmp_path):
    fifo = tmp_path / "casussen.jsonl"
    os.mkfifo(fifo)
    src = Path(grenzen.__file__).resolve().parents[1]
    process = subprocess.Popen(GRENZEN + ["advies", str(fifo), "--regels", str(BASIS)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(src)})
    with open(fifo, "w", encoding="utf-8") as writer:  # blocks until grenzen opens it
        writer.write((GOOD + "\n") * 5)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert [json.loads(line)["route"] for line in out.splitlines()] == ["mentor"] * 5


def test_input_is_read_once_as_a_stream(monkeypatch, capsys, tmp_path):
    class Once(io.BytesIO):  # a stream that cannot be read a second time, like a pipe
        def seek(self, *args):
            raise OSError("not seekable")

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(Once(((GOOD + "\n") * 1200).encode())))
    assert main(["advies", "-", "--jsonl", "--regels", str(BASIS)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1200


# --- a bad line never stops a batch ------------------------------------------------------------------------

NASTY = [
    b"[" * 1000 + b"]" * 1000,  # RecursionError in json
    b'{"taak": "signaleren", "leeftijd": ' + b"9" * 5000 + b"}",  # past Python's digit limit
    b'{"taak": "signaleren", "x\\ud800": 1}',  # a lone surrogate in a key
    b'{"taak": "signaleren", "id": "\\ud800"}',  # ... in a value
    b"\xff\xfe",
    b"\x00",
    b'{"taak": "signaleren", "signalen": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
]


def test_any_bad_line_is_its_own_error_object(basis):
    lines = [GOOD.encode()]
    for nasty in NASTY:
        lines += [nasty, GOOD.encode()]
    out = [json.loads(line) for line in advise_lines(BASIS, lines, policy=basis)]
    assert len(out) == len(lines)
    assert all(o["route"] == "mentor" for o in out[::2])
    assert all(o["fout"]["regelnummer"] == n for n, o in enumerate(out, start=1) if n % 2 == 0)


def test_an_unexpected_failure_in_one_line_is_that_lines_error(monkeypatch, basis):
    real = basis.advise

    def flaky(case):
        if case.get("leeftijd") == 13:
            raise ZeroDivisionError("Sanne")  # anything at all, with content in its text
        return real(case)

    monkeypatch.setattr(basis, "advise", flaky)
    out = list(advise_lines(BASIS, [GOOD, '{"taak": "signaleren", "leeftijd": 13}', GOOD], policy=basis))
    assert json.loads(out[0])["route"] == json.loads(out[2])["route"] == "mentor"
    error = json.loads(out[1])["fout"]
    assert error["regelnummer"] == 2 and "ZeroDivisionError" in error["fouten"][0]["melding"] and "Sanne" not in out[1]
    assert "zorgteam" in error["fouten"][0]["melding"]


@given(st.lists(st.binary(max_size=60) | st.text(max_size=60).map(str.encode), max_size=8))
def test_every_input_line_gets_exactly_one_output_line(basis, chunks):
    data = b"\n".join(chunks)
    expected = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    out = list(advise_lines(BASIS, LineReader(io.BytesIO(data), max_bytes=40), policy=basis, max_bytes=40))
    assert len(out) == expected
    assert [json.loads(o).get("fout", {}).get("regelnummer", n) for n, o in enumerate(out, start=1)] == \
        list(range(1, expected + 1))


def test_samenhang_counts_bad_lines_and_still_reports(tmp_path, capsys):
    good = json.dumps({"code": "2A", "casus": json.loads(GOOD), "route": "mentor"}).encode()
    history = tmp_path / "geschiedenis.jsonl"
    history.write_bytes(b"\n".join([good, *NASTY, good, b"x" * 2_000_100, good]) + b"\n")
    assert main(["samenhang", str(history), "--regels", str(BASIS)]) == 0
    out = capsys.readouterr().out
    assert "Samenhang: 3 casussen" in out and f"Overgeslagen regels: {len(NASTY) + 1}" in out
    assert f"regel {len(NASTY) + 3}: de tekst is te groot" in out


# --- interrupts and full disks -------------------------------------------------------------------------------

def _big_batch(tmp_path: Path, lines: int = 60_000) -> Path:
    path = tmp_path / "veel.jsonl"
    case = '{"taak": "begeleidingsgesprekken", "signalen": [{"soort": "rouw", "ernst": "matig"}]}\n'
    path.write_text(case * lines, encoding="utf-8")
    return path


def _processes() -> list[tuple[int, int, str, str]]:
    """(parent pid, process group, state, command line) of every process, read from /proc (no ps needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (name) ": state, ppid, pgrp, ...
        found.append((int(fields[1]), int(fields[2]), fields[0], command))
    return found


def _alive(group: int) -> list[str]:
    return [state for _, pgrp, state, _ in _processes() if pgrp == group and state != "Z"]


def _ended(process: subprocess.Popen[bytes], timeout: float, hangs: str) -> str:
    """Standard error of a batch that should end within ``timeout`` seconds, with no worker left behind."""
    try:
        err = process.communicate(timeout=timeout)[1].decode()  # a worker left behind holds standard error open
    except subprocess.TimeoutExpired:
        pytest.fail(hangs)
    for _ in range(100):
        if not _alive(process.pid):
            break
        time.sleep(0.05)
    assert not _alive(process.pid), "a worker was left behind"
    return err


@pytest.mark.slow
@pytest.mark.parametrize("processes, signum, whole_group",
                         [("2", signal.SIGINT, True), ("2", signal.SIGTERM, False), ("1", signal.SIGINT, True)])
def test_interrupt_during_processes_ends_quickly_at_a_line_boundary(tmp_path, processes, signum, whole_group):
    # with one process (and with --processen 2, where this process advises too) the signal mostly lands while a
    # line is advised: it must stop the batch, not become an error line
    path, out = _big_batch(tmp_path), tmp_path / "uit.jsonl"
    src = Path(grenzen.__file__).resolve().parents[1]
    with open(out, "wb") as sink:
        process = subprocess.Popen(GRENZEN + ["advies", str(path), "--regels", str(BASIS), "--processen", processes],
                                   stdout=sink, stderr=subprocess.PIPE, start_new_session=True,
                                   env={**os.environ, "PYTHONPATH": str(src)})
        deadline = time.monotonic() + 60
        while out.stat().st_size < 100_000 and time.monotonic() < deadline:  # the workers are busy
            time.sleep(0.05)
        start = time.monotonic()
        if whole_group:  # Ctrl-C in a terminal reaches every process of the foreground group
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        try:
            err = process.communicate(timeout=10)[1].decode()
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail("the batch hangs after an interrupt")
        took = time.monotonic() - start
    assert process.returncode == 128 + signum and took < 2.0, (took, err)
    data = out.read_bytes()
    written = data.count(b"\n")
    assert data.endswith(b"\n") and 0 < written < 60_000
    assert all("route" in json.loads(line) for line in data.splitlines())
    assert err.startswith("Onderbroken") and f"volledig tot en met regel {written}." in err and "Traceback" not in err
    for _ in range(40):  # no worker left behind (the multiprocessing resource tracker ends with its pipe)
        if not _alive(process.pid):
            break
        time.sleep(0.05)
    assert not _alive(process.pid)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGHUP])
def test_a_worker_ends_when_the_batch_process_is_killed_or_hung_up(tmp_path, signum):
    # a supervisor's kill -9 or a closed session (SIGHUP) reaches the main process only; a forked worker kept copies of
    # the parent's pipe ends, so it never saw the parent go and waited for ever (ignoring SIGINT and SIGTERM)
    path, out = _big_batch(tmp_path), tmp_path / "uit.jsonl"
    src = Path(grenzen.__file__).resolve().parents[1]
    with open(out, "wb") as sink:
        process = subprocess.Popen(GRENZEN + ["advies", str(path), "--regels", str(BASIS), "--processen", "2"],
                                   stdout=sink, stderr=subprocess.PIPE, start_new_session=True,
                                   env={**os.environ, "PYTHONPATH": str(src)})
    try:
        deadline = time.monotonic() + 60
        while out.stat().st_size < 100_000 and time.monotonic() < deadline:  # the worker is busy
            time.sleep(0.05)
        assert len(_alive(process.pid)) == 2
        process.send_signal(signum)
        err = _ended(process, 10, "a worker was left behind")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    if signum == signal.SIGHUP:  # handled as SIGINT and SIGTERM are: whole lines, and how many
        written = out.read_bytes().count(b"\n")
        assert process.returncode == 128 + signum and f"volledig tot en met regel {written}." in err


@pytest.mark.slow
@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_signal_the_caller_ignores_stays_ignored(tmp_path, processes):
    """``nohup grenzen advies veel.jsonl &``: SIGHUP (and SIGINT for a job a script starts with '&') is ignored when
    the run starts, and must stay so. An integrator trial: the batch put its own handler in, and logging out stopped
    a nightly run at line 21,500 (exit 129)."""
    path, out = _big_batch(tmp_path, 30_000), tmp_path / "uit.jsonl"
    src = Path(grenzen.__file__).resolve().parents[1]

    def ignore() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    with open(out, "wb") as sink:
        process = subprocess.Popen(GRENZEN + ["advies", str(path), "--regels", str(BASIS), "--processen", processes],
                                   stdout=sink, stderr=subprocess.PIPE, start_new_session=True, preexec_fn=ignore,
                                   env={**os.environ, "PYTHONPATH": str(src)})
    try:
        deadline = time.monotonic() + 60
        while out.stat().st_size < 100_000 and time.monotonic() < deadline:  # well into the run
            time.sleep(0.05)
        process.send_signal(signal.SIGHUP)
        process.send_signal(signal.SIGINT)
        err = process.communicate(timeout=120)[1].decode()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert (process.returncode, err) == (0, ""), err
    assert out.read_bytes().count(b"\n") == 30_000


def _unread(fd: int) -> int:
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


CUT = "Het schrijven is midden in een regel afgebroken"


def _batch_with_grace(path: Path, grace: float, processes: str, stdout: Any) -> subprocess.Popen[bytes]:
    """``grenzen advies`` on ``path`` in a new session, with ``GRACE`` set to ``grace`` seconds."""
    program = ("import sys; import grenzen.team._batch as b; b.GRACE = float(sys.argv[1]); from grenzen.cli import main; "
               "sys.argv[1:] = sys.argv[2:]; sys.exit(main())")
    return subprocess.Popen([sys.executable, "-c", program, str(grace), "advies", str(path), "--regels", str(BASIS),
                             "--processen", processes], stdout=stdout, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(Path(grenzen.__file__).resolve().parents[1])})


def _written(err: str) -> int:
    """The lines a stopped run says are complete."""
    found = re.search(r"volledig tot en met regel (\d+)\.", err)
    return int(found.group(1)) if found else 0


@pytest.mark.slow
@pytest.mark.parametrize("processes, signals, grace", [("1", [signal.SIGTERM], 0.5), ("2", [signal.SIGHUP], 0.5),
                                                       ("1", [signal.SIGINT, signal.SIGINT], 60),
                                                       ("2", [signal.SIGINT, signal.SIGINT], 60)])
def test_a_signal_ends_a_batch_whose_output_is_no_longer_read(tmp_path, processes, signals, grace):
    # a signal waits for a write under way, so that the output ends at a line boundary; but a program that stopped
    # reading the output (a stuck pipeline) kept that write, and so the run, waiting for ever: SIGINT and SIGTERM did
    # nothing. Now a write that makes no progress for GRACE seconds is cut off, or at a second signal; the output may
    # then end in half a line, and the message counts the whole lines that are out
    read, write = os.pipe()
    process = _batch_with_grace(_big_batch(tmp_path, 5000), grace, processes, write)
    os.close(write)
    try:
        deadline = time.monotonic() + 60
        while _unread(read) < 65536 and time.monotonic() < deadline:  # the pipe is full: nobody reads it
            time.sleep(0.05)
        time.sleep(0.3)
        process.send_signal(signals[0])
        if len(signals) > 1:  # the write may take a minute: the run still waits, until a second signal
            with pytest.raises(subprocess.TimeoutExpired):
                process.wait(timeout=1.0)
            process.send_signal(signals[1])
        err = _ended(process, 20, "the batch waits for ever for a reader that does not read")
        os.set_blocking(read, False)
        out = os.read(read, 1 << 20)  # what the reader would find, had it read on
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        os.close(read)
    assert process.returncode == 128 + signals[0], err
    assert err.startswith(f"Onderbroken ({signal.Signals(signals[0]).name}): ") and CUT in err
    assert "Traceback" not in err and "Exception" not in err
    assert 0 < _written(err) == out.count(b"\n") and not out.endswith(b"\n")


@pytest.mark.slow
@pytest.mark.parametrize("grace, piece, pause", [(60, 16384, 0.01), (1.0, 1024, 0.01)])
def test_a_signal_still_lets_a_slow_reader_read_and_ends_at_a_line_boundary(tmp_path, grace, piece, pause):
    # a reader that is slow but reads is never cut off in the middle of a line: the write under way goes on (GRACE
    # long), and then ends at the end of the line it is writing; the message counts the lines exactly
    process = _batch_with_grace(_big_batch(tmp_path, 5000), grace, "1", subprocess.PIPE)
    received = bytearray()
    with process, contextlib.ExitStack() as stack:
        stack.callback(lambda: os.killpg(process.pid, signal.SIGKILL) if process.poll() is None else None)
        assert process.stdout is not None and process.stderr is not None
        fd = process.stdout.fileno()
        deadline = time.monotonic() + 60
        while _unread(fd) < 65536 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        while chunk := os.read(fd, piece):  # about 1.6 MB or 100 KB a second
            received += chunk
            time.sleep(pause)
        err = process.stderr.read().decode()
        process.wait(timeout=20)
    lines = bytes(received).splitlines()
    assert process.returncode == 128 + signal.SIGTERM and received.endswith(b"\n") and lines, err
    assert all("route" in json.loads(line) for line in lines)
    assert _written(err) == len(lines) and CUT not in err
    if grace < 60:  # the block under way was not written whole: the run ended at a line within it
        assert len(lines) % _batch.CHUNK


def test_a_full_disk_says_schrijven(tmp_path):
    path = _big_batch(tmp_path, 2000)
    with open("/dev/full", "wb") as full:
        result = subprocess.run(GRENZEN + ["advies", str(path), "--regels", str(BASIS)], stdout=full,
                                stderr=subprocess.PIPE, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(Path(grenzen.__file__).resolve().parents[1])})
    err = result.stderr.decode()
    assert result.returncode == 3 and "schrijven" in err and "schijf is vol" in err and "lezen" not in err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_a_closed_pipe_names_the_last_complete_line(tmp_path):
    path = _big_batch(tmp_path, 5000)
    src = Path(grenzen.__file__).resolve().parents[1]
    process = subprocess.Popen(GRENZEN + ["advies", str(path), "--regels", str(BASIS)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(src)})
    with process:
        assert process.stdout is not None and process.stderr is not None
        import fcntl

        capacity = fcntl.fcntl(process.stdout.fileno(), fcntl.F_GETPIPE_SZ)
        read = [process.stdout.readline() for _ in range(600)]  # more than the first block (CHUNK lines)
        process.stdout.close()  # like `| head -600`
        err = process.stderr.read().decode()
        process.wait(timeout=60)
    assert all(json.loads(line)["route"] for line in read) and process.returncode == 3
    assert "schrijven" in err and "de uitvoer is gesloten" in err and "Traceback" not in err
    # lines 1 to N are said to be complete: they were written whole, to the reader or into the pipe it closed (with
    # PYTHONUNBUFFERED a write that the closed pipe cut short was once counted whole); the lines are all alike
    complete = _written(err)
    assert complete > 0 and complete * len(read[0]) <= len(read) * len(read[0]) + io.DEFAULT_BUFFER_SIZE + capacity


def test_the_html_report_is_written_whole_or_not_at_all(tmp_path):
    history = tmp_path / "geschiedenis.jsonl"
    history.write_text(json.dumps({"code": "2A", "casus": json.loads(GOOD), "route": "mentor"}) + "\n", encoding="utf-8")
    page = tmp_path / "rapport.html"
    page.write_text("OUD", encoding="utf-8")

    def small_files():  # files may grow to 1 kB: the HTML page is larger, so its write fails half-way
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    src = Path(grenzen.__file__).resolve().parents[1]
    result = subprocess.run(GRENZEN + ["samenhang", str(history), "--regels", str(BASIS), "--html", str(page)],
                            capture_output=True, preexec_fn=small_files, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(src)})
    assert result.returncode == 1 and "schrijven" in result.stderr.decode() and str(page) in result.stderr.decode()
    assert page.read_text(encoding="utf-8") == "OUD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["geschiedenis.jsonl", "rapport.html"]  # no temporary left
    assert main(["samenhang", str(history), "--regels", str(BASIS), "--html", str(page)]) == 0
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --- bounded resources ---------------------------------------------------------------------------------------

def test_a_case_text_over_the_cap_is_refused_before_it_is_parsed(basis):
    big = '{"taak": "signaleren", "id": "' + "a" * 1_000_000 + '"}'
    for text in (big, big.encode()):
        assert any("te groot (meer dan 1.000.000 bytes)" in m for m in _single_messages(basis, text))
    basis.max_case_bytes = 2_000_000  # configurable per policy
    try:
        assert any("ongeldige tekens of lengte" in m for m in _single_messages(basis, big))
    finally:
        basis.max_case_bytes = 1_000_000


def test_a_long_line_is_skipped_without_holding_it(tmp_path, capsys):
    path = tmp_path / "casussen.jsonl"
    with open(path, "wb") as file:
        file.write(GOOD.encode() + b"\n" + b'{"taak": "' + b"x" * 30_000_000 + b'"}\n' + GOOD.encode() + b"\n")
    assert main(["advies", str(path), "--regels", str(BASIS)]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o.get("route") for o in out] == ["mentor", None, "mentor"]
    assert out[1]["fout"]["fouten"][0]["melding"] == "de tekst is te groot (meer dan 1.000.000 bytes)"
    assert main(["advies", str(path), "--regels", str(BASIS), "--max-grootte", "100"]) == 1  # the cap is an option
    assert [json.loads(o).get("route") for o in capsys.readouterr().out.splitlines()] == ["mentor", None, "mentor"]


@pytest.mark.slow
def test_a_huge_single_case_file_costs_little_memory(tmp_path):
    path = tmp_path / "casus.json"
    with open(path, "wb") as file:
        file.write(b'{"taak": "signaleren", "id": "')
        file.truncate(100_000_000)  # 100 MB (sparse)
    code = ("import resource, sys\nfrom grenzen.cli import main\nbefore = resource.getrusage(resource.RUSAGE_SELF)"
            ".ru_maxrss\nrc = main(['advies', sys.argv[1]])\nprint(rc, resource.getrusage(resource.RUSAGE_SELF)"
            ".ru_maxrss - before)")
    src = Path(grenzen.__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(src)})
    rc, grown_kb = map(int, result.stdout.split())
    assert rc == 1 and "te groot" in result.stderr and grown_kb < 50_000


def test_an_unknown_key_of_any_length_gets_no_similarity_search(basis):
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(grenzen.CaseError) as info:
            basis.advise({"taak": "signaleren", "x" * 5_000_000: 1})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.errors[0].field == "<onbekend veld>" and peak < 20_000_000  # difflib needed ~45 bytes/char
    with pytest.raises(grenzen.CaseError) as info:
        basis.advise({"taak": "signaleren", "leeftjid": 14})
    assert info.value.errors[0].hint == "bedoel je 'leeftijd'?"  # short names still get a hint


def test_processes_are_capped_at_the_cpu_count(capsys, tmp_path):
    path = tmp_path / "casussen.jsonl"
    path.write_text(GOOD + "\n", encoding="utf-8")
    asked = (os.cpu_count() or 1) + 7
    assert main(["advies", str(path), "--regels", str(BASIS), "--processen", str(asked)]) == 0
    assert f"grenzen gebruikt er {os.cpu_count()}" in capsys.readouterr().err


# --- no case content through any channel -------------------------------------------------------------------

MARKER = "GEHEIM-Sanne"


@pytest.mark.parametrize("case", [
    {"taak": "signaleren", MARKER.encode(): 1},
    {"taak": "signaleren", (MARKER,): 1},
    {"taak": "signaleren", None: MARKER},
    {"taak": "signaleren", 7: MARKER},
    {"taak": "signaleren", "signalen": [{"soort": "rouw", "ernst": "licht", (MARKER, 1): 2}]},
    {"taak": "signaleren", "mentor": {frozenset([MARKER]): 1}},
    {"taak": MARKER},
    {"taak": "signaleren", "id": MARKER + " de Vries"},
    {"taak": "signaleren", "signalen": [{"soort": MARKER.lower().replace("-", "_"), "ernst": "licht"}]},
    '{"taak": "signaleren", "' + MARKER + '": 1, "' + MARKER + '": 2}',
    "taak: signaleren\n" + MARKER + ": [",
    ("taak: " + MARKER).encode("utf-16"),
])
def test_no_case_error_carries_case_content(basis, case):
    with pytest.raises(grenzen.CaseError) as info:
        basis.advise(case)
    seen = []
    error: BaseException | None = info.value
    while error is not None:  # the whole chain: __cause__ and __context__
        seen.append(error)
        error = error.__cause__ or error.__context__
    assert len(seen) == 1, [type(e).__name__ for e in seen]  # no ValidationError (it holds the raw input)
    text = repr(info.value.errors) + str(info.value) + repr(info.value.args)
    assert MARKER not in text and MARKER.lower() not in text and "Vries" not in text


@pytest.mark.slow
def test_ctrl_c_while_the_workers_start_leaves_no_traceback(tmp_path):
    # the workers start with SIGINT blocked (they ignore it once running); starting multiprocessing's resource
    # tracker unblocked it again in the parent, so workers spawned after it died with a KeyboardInterrupt traceback
    # (on Linux the command line forks its worker with the policy loaded: it starts at once, and this is Ctrl-C while
    # the worker has just started and this process advises beside it)
    path = _big_batch(tmp_path, 20000)
    src = Path(grenzen.__file__).resolve().parents[1]
    process = subprocess.Popen(GRENZEN + ["advies", str(path), "--regels", str(BASIS), "--processen", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                               env={**os.environ, "PYTHONPATH": str(src)})
    with process:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the worker exists (--processen 2: this process and one worker)
            children = [command for ppid, _, _, command in _processes() if ppid == process.pid]
            if sum("resource_tracker" not in command for command in children) >= 1:
                break
            time.sleep(0.01)
        time.sleep(0.15)  # well into their imports (spawned) or their first chunk (forked)
        os.killpg(process.pid, signal.SIGINT)
        err = process.communicate(timeout=30)[1].decode()
    assert process.returncode == 130 and err.startswith("Onderbroken") and "Traceback" not in err, err


# --- found by a user trial: closed streams, option bounds, YAML quirks -------------------------------------------

def _shell(command: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    src = Path(grenzen.__file__).resolve().parents[1]
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(src), "G": f"{sys.executable} -m grenzen"})


@pytest.mark.slow
@pytest.mark.parametrize("command", ["advies casus.yaml", "tabel", "controleer --alleen-laden", "schema casus"])
def test_closed_or_full_standard_output_is_a_dutch_write_error(tmp_path, command):
    (tmp_path / "casus.yaml").write_text("taak: signaleren\n", encoding="utf-8")
    closed = _shell(f"$G {command} >&-", tmp_path)  # print() to a missing stdout would drop everything, exit 0
    assert closed.returncode == 1 and "Kan de uitvoer niet schrijven" in closed.stderr, closed.stderr
    full = _shell(f"$G {command} > /dev/full", tmp_path)
    assert full.returncode == 1 and "Kan de uitvoer niet schrijven (de schijf is vol)" in full.stderr, full.stderr
    for result in (closed, full):
        assert "Traceback" not in result.stderr and "lezen" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", ["advies casus.yaml", "beleid", "tabel"])
def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path, command):
    """``grenzen beleid | head``: the reader stops and the command ends as a Unix tool does, with the exit code of
    SIGPIPE and no message (a trial got "Kan de uitvoer niet schrijven" and exit 1 after every ``| head``)."""
    (tmp_path / "casus.yaml").write_text("taak: signaleren\n", encoding="utf-8")
    result = _shell(f"bash -c 'set -o pipefail; $G {command} | true'", tmp_path)
    assert (result.returncode, result.stderr) == (141, ""), result.stderr


@pytest.mark.slow
def test_closed_standard_input_is_a_dutch_read_error(tmp_path):
    for flags in ("", " --jsonl"):
        result = _shell(f"$G advies -{flags} <&-", tmp_path)
        assert result.returncode == 1 and "geen standaardinvoer" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("option", ["--max-grootte 0", "--max-grootte -5", "--max-grootte 999999999999",
                                    "--max-grootte 99999999999999999999999", "--processen 0", "--processen -1"])
def test_option_values_out_of_range_are_refused_in_dutch(tmp_path, capsys, option):
    (tmp_path / "casus.yaml").write_text("taak: signaleren\n", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["advies", str(tmp_path / "casus.yaml"), *option.split()])
    assert info.value.code == 2 and "moet een geheel getal van 1 tot en met" in capsys.readouterr().err


def test_samenhang_never_writes_its_page_over_its_input(tmp_path, capsys):
    history = tmp_path / "geschiedenis.jsonl"
    text = json.dumps({"code": "2A", "casus": json.loads(GOOD), "route": "mentor"}) + "\n"
    history.write_text(text, encoding="utf-8")
    assert main(["samenhang", str(history), "--regels", str(BASIS), "--html", str(history)]) == 1
    assert "--html mag niet het invoerbestand zijn" in capsys.readouterr().err
    assert history.read_text(encoding="utf-8") == text


def test_options_that_do_not_apply_to_json_lines_are_refused(tmp_path, capsys):
    path = tmp_path / "CASUSSEN.JSONL"  # the extension in capitals is JSON Lines too
    path.write_text(GOOD + "\n", encoding="utf-8")
    assert main(["advies", str(path), "--regels", str(BASIS), "--waarom"]) == 1
    assert "--waarom werkt bij één casus" in capsys.readouterr().err
    assert main(["advies", str(path), "--regels", str(BASIS)]) == 0
    assert json.loads(capsys.readouterr().out)["route"] == "mentor"


def test_yaml_explicit_tags_are_refused_and_dates_stay_text(basis):
    assert any("YAML-tags" in m for m in _single_messages(basis, 'taak: signaleren\nleeftijd: !!int "14"\n'))
    assert any("YAML-tags" in m for m in _single_messages(basis, "taak: !!str 5\n"))
    assert any("voorloopnul" in m for m in _single_messages(basis, "taak: signaleren\nleeftijd: 016\n"))
    assert basis.validate_case("taak: signaleren\nid: 2024-01-01\n").id == "2024-01-01"  # not a date object


def test_a_file_given_as_the_rules_folder_is_named_a_file(tmp_path):
    not_a_folder = tmp_path / "regels.yaml"
    not_a_folder.write_text("thema: x\n", encoding="utf-8")
    assert [p.message for p in grenzen.check_policy(not_a_folder)] == ["dit is een bestand, geen map"]
    assert [p.message for p in grenzen.check_policy(tmp_path / "weg")] == ["deze map bestaat niet"]


def test_a_contract_field_in_the_wrong_block_says_where_it_belongs(basis):
    # found by a trial: a top-level 'scholing' only listed the allowed keys; naming contract fields is safe
    with pytest.raises(grenzen.CaseError) as info:
        basis.advise({"taak": "signaleren", "scholing": ["rouwbegeleiding"]})
    assert info.value.errors[0].message == "onbekend veld; 'scholing' hoort onder 'mentor'"
    with pytest.raises(grenzen.CaseError) as info:
        basis.advise({"taak": "signaleren", "mentor": {"ernst": "licht"}, "Sanne": 1})
    messages = sorted(e.message for e in info.value.errors)
    assert messages[0] == "onbekend veld; 'ernst' hoort onder 'signalen'" and "Sanne" not in str(info.value)


def _depth_and_count(value, depth=0) -> tuple[int, int]:
    """The deepest value's depth and the number of values, by plain recursion (the definition of the limits)."""
    children = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
    found = [_depth_and_count(child, depth + 1) for child in children]
    return max([depth, *(d for d, _ in found)]), 1 + sum(n for _, n in found)


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=2), inner, max_size=4),
                     max_leaves=40)


def test_a_shallow_case_of_too_many_values_is_not_called_too_deep():
    """An integrator trial: 25,000 short lists in one list (a shallow text under the byte cap) was refused with "de
    tekst is te diep genest"; the code stays ``te-diep``, the message says what is wrong."""
    text = json.dumps({"taak": "signaleren", "signalen": [[0] * 9] * 25_000})
    with pytest.raises(grenzen.CaseError) as raised:
        grenzen.advise(text)
    assert [(e.field, e.message, e.code) for e in raised.value.errors] == [
        ("(casus)", "de tekst heeft te veel waarden (meer dan 200.000)", "te-diep")]


@pytest.mark.parametrize("text, message", [
    ("taak: signaleren\nsignalen:\n" + "- [0, 0, 0, 0, 0, 0, 0, 0, 0]\n" * 25_000,
     "de tekst heeft te veel waarden (meer dan 200.000)"),
    ("taak: signaleren\nx: " + "[" * 100 + "]" * 100 + "\n", "de tekst is te diep genest"),
])
def test_a_yaml_case_past_the_limits_is_refused_as_a_json_one(text, message):
    """A review: a YAML case past the reader's limits said "het bestand is te diep genest of te groot" with code
    geen-geldige-yaml, where the guide's table gives the JSON messages and code te-diep for any case."""
    with pytest.raises(grenzen.CaseError) as raised:
        grenzen.advise(text)
    assert [(e.field, e.message, e.code) for e in raised.value.errors] == [("(casus)", message, "te-diep")]


@settings(max_examples=300)
@given(_JSON, st.integers(0, 5), st.integers(1, 30))
def test_the_limits_on_a_json_case_are_its_depth_and_number_of_values(data, depth, nodes):
    from grenzen.pipeline import _read

    deepest, count = _depth_and_count(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_read, "MAX_DEPTH", depth)
        patch.setattr(_read, "MAX_NODES", nodes)
        beyond = _read._beyond_limits(data)
    deep, many = deepest > depth, count > nodes
    assert (beyond is None) == (not deep and not many)
    if deep != many:  # one limit passed: its own message
        assert beyond == (_read.TOO_DEEP if deep else _read.TOO_MANY)
    if beyond:
        assert _read.code_of(beyond) == "te-diep"


@pytest.mark.parametrize("wrap", [dict, types.MappingProxyType])
def test_the_vocabulary_refuses_unknown_kinds_from_any_mapping_and_only_with_one(wrap):
    # ``Policy`` passes a dict; a read-only mapping works the same; without a vocabulary any well-formed kind is taken
    from pydantic import ValidationError

    from grenzen import Casus

    vocabulary: dict[str, dict[str, Any]] = {"signalen": {"rouw": {}}, "taken": {"gesprek": {}}, "scholing": {}}
    case = {"taak": "gesprek", "signalen": [{"soort": "rouw", "ernst": "licht"}, {"soort": "rouwen", "ernst": "licht"}]}
    with pytest.raises(ValidationError) as raised:
        Casus.model_validate(case, context=wrap({"vocabulary": vocabulary}))
    assert [(e["loc"], e["type"]) for e in raised.value.errors()] == [(("signalen", 1, "soort"), "onbekende_soort")]
    assert raised.value.errors()[0]["ctx"]["hint"] == "bedoel je 'rouw'?"  # apart from the message (FieldError.hint)
    for context in (None, wrap({}), wrap({"vocabulary": None}), ["not", "a", "mapping"]):
        assert len(Casus.model_validate(case, context=context).signalen) == 2
