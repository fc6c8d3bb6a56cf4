"""grenzen: what belongs to the mentor, and what goes to the zorgteam or external help — with reasons.

    >>> import grenzen
    >>> advice = grenzen.advise({"taak": "signaleren", "signalen": [{"soort": "pesten", "ernst": "licht"}]})
    >>> advice.route in ("mentor", "zorgteam", "extern")
    True
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

try:  # the engine's C extension (cheap to import): a broken build fails at import, with its fix, not at first use
    import durable_rules_engine  # noqa: F401
except ImportError:
    from .pipeline import _engine  # noqa: F401  (raises the ImportError that says how to build it)

    raise

if TYPE_CHECKING:
    from ._errors import CaseError, EngineError, FieldError, GrenzenError, PolicyError, Problem
    from ._models import Advies, BeleidInfo, Casus, EerdereAanpak, Mentor, OpzijGezet, Reden, Signaal
    from .pipeline._audit import AuditError, AuditRecord, Vangnet
    from .pipeline._explain import explain
    from .pipeline._policy import CaseInput, Policy, check_policy, load_policy
    from .pipeline._whatif import WhatIf
    from .toolkit._analysis import Analysis, Finding, analyse_policy
    from .toolkit._coverage import TestReport, run_tests
    from .toolkit._diff import Change, Comparison, Difference, compare_policies
    from .toolkit._examples import Outcome
    from .toolkit._render import render_policy

#: Every public name, imported on first use: ``import grenzen`` itself loads neither pydantic nor the engine (a
#: program pays for what it touches; the policy writers' toolkit only when it is used).
_LAZY = {
    "CaseError": "_errors", "EngineError": "_errors", "FieldError": "_errors", "GrenzenError": "_errors",
    "PolicyError": "_errors", "Problem": "_errors",
    "Advies": "_models", "BeleidInfo": "_models", "Casus": "_models", "EerdereAanpak": "_models", "Mentor": "_models",
    "OpzijGezet": "_models", "Reden": "_models", "Signaal": "_models",
    "AuditError": "pipeline._audit", "AuditRecord": "pipeline._audit", "Vangnet": "pipeline._audit",
    "explain": "pipeline._explain", "WhatIf": "pipeline._whatif",
    "CaseInput": "pipeline._policy", "Policy": "pipeline._policy", "check_policy": "pipeline._policy",
    "load_policy": "pipeline._policy",
    "Analysis": "toolkit._analysis", "Finding": "toolkit._analysis", "analyse_policy": "toolkit._analysis",
    "TestReport": "toolkit._coverage", "run_tests": "toolkit._coverage", "Outcome": "toolkit._examples",
    "Change": "toolkit._diff", "Comparison": "toolkit._diff", "Difference": "toolkit._diff",
    "compare_policies": "toolkit._diff", "render_policy": "toolkit._render",
}


def __getattr__(name: str) -> Any:
    if name == "advise":  # defined below; its annotations name CaseInput and Advies, so those come first
        for needed in ("CaseInput", "Advies"):
            __getattr__(needed)
        globals()["advise"] = _advise
        return _advise
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'grenzen' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "Advies",
    "Analysis",
    "AuditError",
    "AuditRecord",
    "BeleidInfo",
    "CaseError",
    "CaseInput",
    "Casus",
    "Change",
    "Comparison",
    "Difference",
    "EerdereAanpak",
    "EngineError",
    "FieldError",
    "Finding",
    "GrenzenError",
    "Mentor",
    "OpzijGezet",
    "Outcome",
    "Policy",
    "PolicyError",
    "Problem",
    "Reden",
    "Signaal",
    "TestReport",
    "Vangnet",
    "WhatIf",
    "advise",
    "analyse_policy",
    "check_policy",
    "compare_policies",
    "explain",
    "load_policy",
    "render_policy",
    "run_tests",
]

__version__ = "0.1.0"

_default: Policy | None = None
_default_lock = threading.Lock()


def _advise(case: CaseInput) -> Advies:
    """Advice for one case under the bundled default policy (loaded once, on first use)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                from .pipeline._policy import load_policy

                _default = load_policy()
    return _default.advise(case)


_advise.__name__ = _advise.__qualname__ = "advise"
if TYPE_CHECKING:
    advise = _advise
