"""Every ```python block in the docs runs: in order, one namespace per document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if _blocks(p)], ids=lambda p: p.name)
def test_python_examples_run(path, capsys):
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    for number, block in enumerate(_blocks(path), start=1):
        code = compile(block, f"{path.name} (voorbeeld {number})", "exec")
        exec(code, namespace)  # noqa: S102 - our own documentation


def test_the_integrator_guide_has_examples():
    assert len(_blocks(ROOT / "docs" / "integratie.md")) >= 6
