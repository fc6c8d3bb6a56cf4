"""Reduced versions of the at-scale runs in benchmarks/scale.py (full: 1,000,000 cases; 8 threads x 100,000)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import scale  # noqa: E402

COUNT = int(os.environ.get("GRENZEN_SCALE_CASES", "4000"))


@pytest.mark.slow
def test_default_policy_engine_matches_reference_on_realistic_cases():
    assert scale.differential_default(COUNT) == 0


@pytest.mark.slow
def test_generated_policies_engine_matches_reference():
    policies, cases, mismatches = scale.differential_generated(COUNT)
    assert policies > 0 and cases > 0 and mismatches == 0


@pytest.mark.slow
def test_eight_threads_and_a_reloader_on_one_policy():
    assert scale.threads(8, max(200, COUNT // 4)) == (0, 0)
