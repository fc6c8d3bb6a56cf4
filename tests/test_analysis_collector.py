"""``analyse_policy`` runs with Python's cyclic garbage collector paused (``_analysis.collector_paused``) and leaves
it as it found it: on after, also when the analysis fails; off stays off."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

import grenzen
from grenzen.toolkit import _analysis


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def _watching(monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> list[bool]:
    seen: list[bool] = []
    collect = _analysis._collect

    def watched(*args: Any) -> Any:
        seen.append(gc.isenabled())
        if fail:
            raise RuntimeError("stop")
        return collect(*args)

    monkeypatch.setattr(_analysis, "_collect", watched)
    return seen


def test_the_collector_is_paused_during_the_analysis_and_on_after(collector, monkeypatch):
    gc.enable()
    seen = _watching(monkeypatch)
    _analysis.analyse_policy(grenzen.load_policy(), pairs=False)
    assert seen == [False]
    assert gc.isenabled()


def test_the_collector_is_on_again_when_the_analysis_fails(collector, monkeypatch):
    gc.enable()
    seen = _watching(monkeypatch, fail=True)
    with pytest.raises(RuntimeError):
        _analysis.analyse_policy(grenzen.load_policy(), pairs=False)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector, monkeypatch):
    gc.disable()
    seen = _watching(monkeypatch)
    _analysis.analyse_policy(grenzen.load_policy(), pairs=False)
    assert seen == [False]
    assert not gc.isenabled()
