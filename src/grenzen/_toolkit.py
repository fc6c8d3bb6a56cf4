"""The policy writers' toolkit as Python functions (the ``grenzen test/controleer/verschil/beleid`` commands)."""

from __future__ import annotations

from ._analysis import analyse_policy
from ._coverage import run_tests
from ._diff import compare_policies
from ._render import render_policy

__all__ = ["analyse_policy", "compare_policies", "render_policy", "run_tests"]
