"""controleer records the enumerated cases in classes (``_analysis._classes``), asks the engine per group of rules
(``_factored``) and leaves out what no finding reads (``_judge``). Its findings, counts and examples must be what
the plain way gives: every case put to the whole engine, judged in full with no memory shared between cases, and
recorded one by one in enumeration order."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import VOCABULARY, rule_sets, write_policy

import grenzen
from grenzen.toolkit import _analysis
from grenzen.toolkit._analysis import _Collected, _judge, _record, _Seen, analyse_policy

#: The generated vocabulary with kind ``a`` marked ``veiligheid: ja``: the safety guard and its findings come in.
SAFE_VOCABULARY: dict[str, Any] = {**VOCABULARY, "signalen": {**VOCABULARY["signalen"], "a": {
    "label": "A", "omschrijving": "signaal a", "veiligheid": "ja"}}}


def _collect_case_by_case(policy: grenzen.Policy, asked: list, domain: Any, pairs: bool) -> _Collected:
    """``_collect`` the plain way (the reference)."""
    state = _Collected(policy, asked, domain, [_Seen() for _ in policy.rules],
                       {item.rule.id: item for item in policy.source.rules})
    nothing_seen = [_Seen() for _ in policy.rules]  # _judge then asks about every rule
    for point in domain.points(pairs):
        applicable = tuple(policy.applicable(policy.validate_case(point.case)))
        state.cases += 1
        _record(state, point, applicable, _judge(policy, applicable, point, {}, nothing_seen))
    return state


def _shown(analysis: _analysis.Analysis) -> tuple[int, list[str], list[int]]:
    return analysis.cases, [str(f) for f in analysis.findings], [f.count for f in analysis.findings]


def _both(policy: grenzen.Policy, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = _shown(analyse_policy(policy))
    with monkeypatch.context() as patch:
        patch.setattr(_analysis, "_collect", _collect_case_by_case)
        plain = _shown(analyse_policy(policy))
    return fast, plain


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rules=rule_sets(), safe=st.booleans())
def test_findings_equal_the_plain_way_on_generated_policies(rules, safe, monkeypatch):
    with tempfile.TemporaryDirectory() as tmp:
        directory = write_policy(Path(tmp) / "regels", rules, SAFE_VOCABULARY if safe else VOCABULARY)
        try:
            policy = grenzen.load_policy(directory)
        except grenzen.PolicyError:
            assume(False)
        fast, plain = _both(policy, monkeypatch)
    assert fast == plain


def test_findings_equal_the_plain_way_on_the_planted_policy(monkeypatch):
    fast, plain = _both(grenzen.load_policy(FIXTURES / "geplant"), monkeypatch)
    assert fast == plain and len(fast[1]) > 3
