"""The decision log (off by default): one JSON line per decision, in the shape of OPA's decision log.

Only what an audit record keeps of the case goes in (``Policy.audit_record``: the fields the applied rules read,
never the case id), with the policy as OPA's bundle revision, the processing activity the school registered
(``--verwerking``) and the W3C ``traceparent`` trace id when the request has a valid one: the fields of the Logboek
Dataverwerkingen standard. Lines are appended with one ``write`` on a file opened with ``O_APPEND``, so the worker
processes of one service can share a file without mixing lines.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .._models import Advies, Casus
from ..pipeline._policy import Policy

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


def trace_ids(header: str | None) -> tuple[str, str] | None:
    """The trace id and parent span id of a valid W3C ``traceparent`` header; None otherwise (never echoed)."""
    match = _TRACEPARENT.match((header or "").strip())
    if match is None or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
        return None
    return match.group(1), match.group(2)


class DecisionLog:
    """Appends decisions to one file; ``None`` as path: a log that writes nothing."""

    def __init__(self, path: Path | None, activity: str | None) -> None:
        self.path, self.activity = path, activity
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if path is not None else None

    @property
    def enabled(self) -> bool:
        return self._fd is not None

    def entry(self, policy: Policy, case: Casus, advice: Advies, path: str, traceparent: str | None) -> dict[str, Any]:
        """One decision as OPA's decision log has it, with only the audit record's fields of the case."""
        record = policy.audit_record(case, advice)
        entry: dict[str, Any] = {
            "decision_id": record.advies_id,
            "timestamp": record.tijd,
            "path": path,
            "bundles": {record.beleid.naam: {"revision": record.beleid.versie}},
            "input": record.gebruikte_gegevens,
            "result": {"route": record.route, "urgentie": record.urgentie, "regels": record.regels,
                       "opzij_gezet": record.opzij_gezet,
                       "vangnet": record.vangnet.model_dump() if record.vangnet else None},
            "labels": {"app": "grenzen"},
        }
        if self.activity:
            entry["labels"]["verwerkingsactiviteit"] = self.activity
        ids = trace_ids(traceparent)
        if ids is not None:
            entry["trace_id"], entry["span_id"] = ids
        return entry

    def write(self, policy: Policy, case: Casus, advice: Advies, path: str, traceparent: str | None) -> None:
        """Log one decision (nothing when the log is off)."""
        if self._fd is None:
            return
        line = json.dumps(self.entry(policy, case, advice, path, traceparent), ensure_ascii=False) + "\n"
        os.write(self._fd, line.encode("utf-8"))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
