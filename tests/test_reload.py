"""Reloading frees everything: rulesets and their engine sessions (docs/ontwerp.md, "The engine's memory")."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import durable_rules_engine as _dre  # the C extension grenzen.pipeline._engine drives
import pytest
from strategies import write_policy

import grenzen
from grenzen import EngineError
from grenzen.pipeline import _engine

PAGE = os.sysconf("SC_PAGE_SIZE")
CASES: list[dict[str, Any]] = [
    {"taak": "t1"},
    {"taak": "t2", "leeftijd": 12, "signalen": [{"soort": "a", "ernst": "acuut"}]},
    {"taak": "t3", "signalen": [{"soort": "b", "ernst": "licht", "duur_weken": 2}]},
]


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


def _rule(i: int, cond: dict, route: str = "mentor") -> dict:
    return {"id": f"r{i}", "titel": f"R{i}", "bron": "b", "als": cond, "dan": {"route": route, "uitleg": "u"}}


def _policy(directory: Path, route: str = "mentor") -> grenzen.Policy:
    rules = [_rule(0, {"taak": "t1"}, route), _rule(1, {"signaal": {"soort": "a"}}, "zorgteam")]
    return grenzen.load_policy(write_policy(directory, rules))


@pytest.fixture
def freed(monkeypatch):
    """Records what the driver frees: ``("state", handle, sid)`` and ``("ruleset", handle)``, in order."""
    log: list[tuple] = []
    delete_state, delete_ruleset = _dre.delete_state, _dre.delete_ruleset

    def spy_state(handle, sid):
        log.append(("state", handle, sid))
        return delete_state(handle, sid)

    def spy_ruleset(handle):
        log.append(("ruleset", handle))
        return delete_ruleset(handle)

    monkeypatch.setattr(_dre, "delete_state", spy_state)
    monkeypatch.setattr(_dre, "delete_ruleset", spy_ruleset)
    return log


def _assert_gone(handle: int) -> None:
    with pytest.raises(_dre.error, match="error code: 111"):  # ERR_INVALID_HANDLE
        _dre.get_state(handle, _engine.SESSION)


@pytest.mark.slow
def test_reloading_the_default_policy_does_not_grow_memory():
    # Each load runs the safety check through the engine, so each ruleset has a live session of
    # about 1.4 MB; before the fix delete_ruleset left it behind (~70 MB over these 50 reloads).
    cases: list[dict[str, Any]] = [{"taak": "signaleren"}, {"taak": "signaleren", "leeftijd": 14}]

    def reload() -> None:
        policy = grenzen.load_policy()
        for case in cases:
            policy.advise(case)

    for _ in range(3):  # allocator pools and caches settle
        reload()
    gc.collect()
    start = _rss_mb()
    for _ in range(50):
        reload()
    gc.collect()
    assert _rss_mb() - start < 15


def test_a_dropped_policy_frees_its_rulesets_and_sessions(tmp_path, freed):
    policy = _policy(tmp_path / "a")
    assert policy.advise(CASES[1]).route == "zorgteam"
    handles = list(policy._engine._handles)
    del policy
    gc.collect()
    for handle in handles:
        assert freed.index(("state", handle, _engine.SESSION)) < freed.index(("ruleset", handle))
        _assert_gone(handle)


@pytest.mark.slow
@pytest.mark.parametrize("history", ["never used", "matched nothing", "fired"])
def test_freeing_is_safe_whatever_the_session_went_through(history, freed):
    # delete_state on a session that never started an action frees uninitialised pointers (a crash
    # in the engine); the driver makes the session fire first, whatever happened before.
    definition = '{"r0":{"all":[{"m":{"$and":[{"$ex":{"_g0":1}},{"taak":"t1"}]}}]}}'
    fact = {"never used": None, "matched nothing": '{"_g0":1,"taak":"t2"}', "fired": '{"_g0":1,"taak":"t1"}'}[history]
    for _ in range(200):
        engine = _engine.Engine([definition])
        if fact is not None:
            assert engine.match(fact) == ([] if "t2" in fact else ["r0"])
        handle = engine._handles[0]
        del engine
        gc.collect()
        assert ("state", handle, _engine.SESSION) in freed
        _assert_gone(handle)


def test_policies_side_by_side_and_one_dropped(tmp_path, freed):
    one = _policy(tmp_path / "een", "mentor")
    two = _policy(tmp_path / "twee", "extern")
    kept = list(two._engine._handles)
    assert one.advise(CASES[0]).route == "mentor"
    assert two.advise(CASES[0]).route == "extern"
    del one
    gc.collect()
    assert two.advise(CASES[0]).route == "extern"
    assert two.advise(CASES[1]).route == "zorgteam"
    assert not [entry for entry in freed if entry[1] in kept]
    again = _policy(tmp_path / "een", "zorgteam")  # a reload next to the survivor
    assert again.advise(CASES[0]).route == "zorgteam"
    assert two.advise(CASES[0]).route == "extern"


def test_recovery_after_an_interrupted_drain_frees_the_old_session(tmp_path, monkeypatch, freed):
    # The engine fails halfway through a case's activations: the session stays leased. Recovery
    # rebuilds the rulesets and must free the old ones with their (leased) session, not leak them.
    policy = _policy(tmp_path / "a")
    real = _dre.complete_and_start_action

    def broken(handle, state):
        raise _dre.error("Could not complete action, error code: 304")

    for _ in range(20):
        old = list(policy._engine._handles)
        monkeypatch.setattr(_dre, "complete_and_start_action", broken)
        with pytest.raises(EngineError) as info:
            policy.advise(CASES[1])
        assert "acuut" not in str(info.value)  # names no case content
        monkeypatch.setattr(_dre, "complete_and_start_action", real)
        for handle in old:
            assert ("state", handle, _engine.SESSION) in freed
            _assert_gone(handle)
        assert policy.advise(CASES[1]).route == "zorgteam"
        assert policy.advise(CASES[0]).route == "mentor"
