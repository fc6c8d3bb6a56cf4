"""Cases and examples written back as YAML, in the format of ``voorbeelden/*.yaml`` (ready to paste)."""

from __future__ import annotations

from typing import Any

import yaml


def ja_nee(value: bool) -> str:
    """A yes/no as policy writers write it in the rule files."""
    return "ja" if value else "nee"


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return ja_nee(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def example_yaml(name: str, case: dict[str, Any], expected: dict[str, Any]) -> str:
    """One entry of a ``voorbeelden:`` list: name, case and the expected advice."""
    entry = {"naam": name, "casus": case, "verwacht": _plain(expected)}
    return yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, default_flow_style=None, width=100).rstrip()


def indent(text: str, spaces: int) -> str:
    """Every non-empty line of ``text`` shifted right by ``spaces``."""
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())
