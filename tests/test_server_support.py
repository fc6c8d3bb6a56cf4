"""A live grenzen service on loopback for the server and web tests (uvicorn in a thread, a free port), and a check
that it serves. Imported by test_server*.py and test_web*.py; skipped as a whole without the server extra."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

pytest.importorskip("fastapi")
import httpx  # noqa: E402
import uvicorn  # noqa: E402

from grenzen.server._app import create_app  # noqa: E402
from grenzen.server._settings import HTTP_PARSER, Settings  # noqa: E402

TOKEN = "een-lang-geheim-token-voor-de-tests"


class LiveServer:
    """One service (``create_app(settings)``) on 127.0.0.1 at a free port, in a thread of this process."""

    def __init__(self, settings: Settings, log_level: str = "warning") -> None:
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level=log_level, lifespan="on",
                                http=HTTP_PARSER)  # as `grenzen serve` runs it
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    @property
    def holder(self) -> Any:
        return self.app.state.holder

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, trust_env=False)


@contextmanager
def live(settings: Settings | None = None, log_level: str = "warning") -> Iterator[LiveServer]:
    with LiveServer(settings or Settings(), log_level) as server:
        yield server


def random_cases(policy: Any, count: int, seed: int = 14) -> list[dict[str, Any]]:
    """Valid cases over the policy's whole vocabulary: every field, absent or present, at random."""
    rng = random.Random(seed)
    vocabulary = policy.vocabulary
    kinds, tasks, trainings = list(vocabulary.signalen), list(vocabulary.taken), list(vocabulary.scholing)
    cases = []
    for number in range(count):
        case: dict[str, Any] = {"id": f"c-{number}", "taak": rng.choice(tasks)}
        if rng.random() < 0.7:
            case["leeftijd"] = rng.randint(10, 20)
        if rng.random() < 0.5:
            case["leerjaar"] = rng.randint(1, 6)
        case["signalen"] = [
            {"soort": rng.choice(kinds), "ernst": rng.choice(["licht", "matig", "ernstig", "acuut"])}
            | ({"duur_weken": rng.randint(0, 30)} if rng.random() < 0.5 else {})
            for _ in range(rng.choice([0, 1, 1, 2, 3, 4]))
        ]
        if trainings and rng.random() < 0.3:
            case["mentor"] = {"scholing": rng.sample(trainings, rng.randint(1, min(2, len(trainings))))}
        if rng.random() < 0.3:
            case["eerdere_aanpak"] = {"weken": rng.randint(0, 20), "effect": rng.choice(["geen", "onvoldoende",
                                                                                       "voldoende"])}
        cases.append(case)
    return cases


def test_the_live_server_answers():
    with live() as server, server.client() as client:
        assert client.get("/v1/gezondheid").json() == {"status": "ok"}
        assert server.holder.policy.version == client.get("/v1/gereed").json()["beleid"]["versie"]
