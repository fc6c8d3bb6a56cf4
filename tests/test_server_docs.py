"""The curl examples of docs/integratie.md's HTTP API section run against a live service: each ``$`` line in a
```console block is run by bash (with curl), and the answer under it is checked: JSON in part (the keys shown must
have the values shown; lists item by item), any other text exactly."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from test_server_support import TOKEN, live  # noqa: E402

from grenzen.server._settings import Settings  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "integratie.md"
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
DOC_URL = "http://127.0.0.1:8000"


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## HTTP API")
    return text[start:text.index("\n## ", start + 1)]


def _examples() -> list[tuple[str, str]]:
    """(command, expected answer) for every ``$`` line of the section's console blocks; a line ending in a
    backslash continues on the next."""
    examples = []
    for block in CONSOLE.findall(_section()):
        command: list[str] = []
        expected: list[str] = []
        continued = False
        for line in block.splitlines():
            if line.startswith("$ ") or continued:
                if line.startswith("$ ") and command:
                    examples.append((" ".join(command), "\n".join(expected)))
                    command, expected = [], []
                command.append(line.removeprefix("$ ").rstrip("\\").strip())
                continued = line.endswith("\\")
            else:
                expected.append(line)
        if command:
            examples.append((" ".join(command), "\n".join(expected)))
    return examples


def _contains(actual: Any, shown: Any) -> bool:
    if isinstance(shown, dict):
        return isinstance(actual, dict) and all(k in actual and _contains(actual[k], v) for k, v in shown.items())
    if isinstance(shown, list):
        return isinstance(actual, list) and len(actual) == len(shown) and all(map(_contains, actual, shown))
    return actual == shown


def test_the_section_has_curl_examples():
    examples = _examples()
    assert len(examples) >= 5 and all(command.startswith("curl ") for command, _ in examples)
    assert any(expected == "401" for _, expected in examples)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_examples_hold():
    with live(Settings(tokens=(TOKEN,))) as server:
        for command, expected in _examples():
            run = command.replace(DOC_URL, server.url)
            env = {**os.environ, "GRENZEN_TOKEN": TOKEN, "no_proxy": "*", "NO_PROXY": "*"}
            out = subprocess.run(["bash", "-c", run], capture_output=True, text=True, env=env, timeout=60).stdout
            try:
                shown = json.loads(expected)
            except json.JSONDecodeError:
                assert out.strip() == expected.strip(), command
                continue
            assert _contains(json.loads(out), shown), (command, out[:500])
