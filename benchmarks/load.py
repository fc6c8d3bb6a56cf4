"""Load on the decision service: N concurrent clients for S seconds on loopback, and a reload under that load.

    python benchmarks/load.py --clients 50 --seconds 30 --workers 1
    python benchmarks/load.py --clients 50 --seconds 30 --workers 2

Starts `grenzen serve` (with a token, on a free port of 127.0.0.1, on a copy of the default policy), then runs the
clients: each keeps one HTTP/1.1 connection and posts realistic cases to /v1/advies one after another (a small
client of raw asyncio streams, so that the client's own cost stays low on the same machine). A third of the way in
the policy changes and is reloaded with POST /v1/beheer/herladen, two thirds in it changes again and the server gets
SIGHUP. Reports requests, throughput, p50/p99 latency, every non-200 answer or failed connection (the run fails when
there is one), and the policy versions seen (all three, when both reloads swapped under load). Everything goes to
127.0.0.1 only, and the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import grenzen
from grenzen.pipeline._load import default_rules_dir

TOKEN = "benchmark-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """`grenzen serve --workers N` on a copy of the default policy (so a reload can change it), with a token."""

    def __init__(self, workers: int = 1) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="grenzen-bench-"))
        self.rules = self.folder / "regels"
        shutil.copytree(default_rules_dir(), self.rules)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRENZEN_")} | {"GRENZEN_TOKEN": TOKEN}
        self.log = open(self.folder / "serve.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grenzen", "serve", "--regels", str(self.rules), "--port", str(self.port),
             "--workers", str(workers)], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit((self.folder / "serve.log").read_text())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/gezondheid", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("grenzen serve did not start")

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                         headers={"authorization": f"Bearer {TOKEN}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def touch_policy(self, note: str) -> None:
        """Change the policy's version without changing an advice: a comment in a rule file."""
        vocabulary = self.rules / "woordenlijst.yaml"
        vocabulary.write_text(vocabulary.read_text(encoding="utf-8") + f"\n# {note}\n", encoding="utf-8")

    def rss_mb(self) -> float:
        """Resident memory of the server process and its workers."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        page = os.sysconf("SC_PAGE_SIZE")
        return sum(int(Path(f"/proc/{pid}/statm").read_text().split()[1]) for pid in pids) * page / 2**20

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def cases(count: int, seed: int = 14) -> list[dict]:
    """Realistic cases over the default policy's vocabulary: a task and zero to three signals."""
    import random

    rng = random.Random(seed)
    vocabulary = grenzen.load_policy().vocabulary
    kinds, tasks = list(vocabulary.signalen), list(vocabulary.taken)
    return [{"leeftijd": rng.randint(11, 18), "taak": rng.choice(tasks),
             "signalen": [{"soort": rng.choice(kinds), "ernst": rng.choice(["licht", "matig", "ernstig", "acuut"]),
                           "duur_weken": rng.randint(0, 12)} for _ in range(rng.randint(0, 3))]}
            for _ in range(count)]


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.versions: dict[str, int] = {}


async def _client(port: int, bodies: list[bytes], deadline: float, stats: Stats, offset: int) -> None:
    """One keep-alive connection, one request at a time until the deadline."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    try:
        while time.monotonic() < deadline:
            body = bodies[i % len(bodies)]
            i += 1
            request = (f"POST /v1/advies HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {TOKEN}\r\n"
                       f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n").encode() + body
            start = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            length, version = 0, ""
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "x-grenzen-beleidsversie":
                    version = value.strip()
            await reader.readexactly(length)
            stats.latencies.append(time.perf_counter() - start)
            stats.versions[version] = stats.versions.get(version, 0) + 1
            if not status_line.startswith(b"HTTP/1.1 200"):
                stats.errors.append(status_line.decode("latin-1").strip())
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        stats.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        writer.close()


async def _reloads(service: Service, seconds: float, outcome: list[str]) -> None:
    await asyncio.sleep(seconds / 3)
    service.touch_policy("herladen onder belasting (POST)")
    status, body = await asyncio.to_thread(service.request, "POST", "/v1/beheer/herladen")
    outcome.append(f"POST /v1/beheer/herladen: {status} {json.loads(body).get('herladen')}")
    await asyncio.sleep(seconds / 3)
    service.touch_policy("herladen onder belasting (SIGHUP)")
    service.process.send_signal(signal.SIGHUP)
    outcome.append("SIGHUP sent")


async def _run(service: Service, clients: int, seconds: float, bodies: list[bytes]) -> tuple[Stats, list[str], float]:
    stats, outcome = Stats(), []
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(_reloads(service, seconds, outcome),
                         *(_client(service.port, bodies, deadline, stats, n * 7) for n in range(clients)))
    return stats, outcome, time.monotonic() - start


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.clients <= 200 or not 1 <= args.seconds <= 600:
        parser.error("--clients 1..200, --seconds 1..600: a bounded run")
    bodies = [json.dumps(case).encode() for case in cases(2000)]
    service = Service(args.workers)
    try:
        stats, outcome, elapsed = asyncio.run(_run(service, args.clients, args.seconds, bodies))
        time.sleep(1)
        final = json.loads(service.request("GET", "/v1/gereed")[1])["beleid"]["versie"]
    finally:
        service.stop()
    count = len(stats.latencies)
    print(f"python {sys.version.split()[0]}; {os.cpu_count()} CPUs; grenzen serve --workers {args.workers}; "
          f"{args.clients} clients for {args.seconds:.0f} s on 127.0.0.1")
    print(f"requests: {count}, {count / elapsed:.0f} per second ({count / elapsed / args.workers:.0f} per worker)")
    print(f"latency: p50 {_percentile(stats.latencies, 0.50):.1f} ms, p99 {_percentile(stats.latencies, 0.99):.1f} ms")
    print("reloads: " + "; ".join(outcome) + f"; serving at the end: {final}")
    print("policy versions answered: " + ", ".join(f"{v} ({n})" for v, n in stats.versions.items()))
    print(f"errors: {len(stats.errors)}" + (f" (first: {stats.errors[:3]})" if stats.errors else ""))
    swapped = len(stats.versions) == 3
    if not swapped:
        print("the reloads did not both swap the policy under load")
    return 0 if not stats.errors and swapped else 1


if __name__ == "__main__":
    sys.exit(main())
