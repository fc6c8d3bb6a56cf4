"""grenzen: what belongs to the mentor, and what goes to the zorgteam or external help — with reasons.

    >>> import grenzen
    >>> advice = grenzen.advise({"taak": "signaleren", "signalen": [{"soort": "pesten", "ernst": "licht"}]})
    >>> advice.route in ("mentor", "zorgteam", "extern")
    True
"""

from __future__ import annotations

import threading

from ._analysis import analyse_policy
from ._audit import AuditError, AuditRecord, Vangnet
from ._coverage import run_tests
from ._diff import compare_policies
from ._errors import CaseError, EngineError, FieldError, GrenzenError, PolicyError, Problem
from ._explain import explain
from ._models import Advies, BeleidInfo, Casus, EerdereAanpak, Mentor, OpzijGezet, Reden, Signaal
from ._policy import CaseInput, Policy, check_policy, load_policy
from ._render import render_policy
from ._whatif import WhatIf

__all__ = [
    "Advies",
    "AuditError",
    "AuditRecord",
    "BeleidInfo",
    "CaseError",
    "CaseInput",
    "Casus",
    "EerdereAanpak",
    "EngineError",
    "FieldError",
    "GrenzenError",
    "Mentor",
    "OpzijGezet",
    "Policy",
    "PolicyError",
    "Problem",
    "Reden",
    "Signaal",
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


def advise(case: CaseInput) -> Advies:
    """Advice for one case under the bundled default policy (loaded once, on first use)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = load_policy()
    return _default.advise(case)
