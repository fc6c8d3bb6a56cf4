"""The policy a service answers with, and its reload: load and check the new one, then swap it in atomically.

A request takes ``holder.policy`` once, at its start, and answers with that policy to the end (its advice and its
version header agree). A reload builds a whole new ``Policy`` beside the serving one, outside any request; only
when it loads and passes its load-time checks does one assignment put it in place. Requests that still hold the
old policy finish with it; it is freed when the last of them is done. A policy that fails to load changes nothing:
the old one goes on serving, and the reasons (located problems of the rule files) are returned and logged.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .._errors import GrenzenError, PolicyError, Problem, os_reason
from ..pipeline._policy import Policy, load_policy

LOG = logging.getLogger("grenzen.server")


@dataclass(frozen=True)
class Reload:
    """The outcome of one reload: whether the new policy serves now, and the problems if it does not."""

    ok: bool
    policy: Policy
    problems: list[Problem] = field(default_factory=list)
    message: str = ""
    #: after a reload that worked, what it took away that kept students safe (as the log says it)
    warnings: list[str] = field(default_factory=list)


class PolicyHolder:
    """The serving policy of one process; ``reload()`` is safe from any thread, one reload at a time."""

    def __init__(self, rules: Path | None, max_bytes: int) -> None:
        self.rules, self.max_bytes = rules, max_bytes
        self.policy = self._load()  # a policy that does not load stops the start: there is nothing to serve
        LOG.info("Beleid geladen: %s, versie %s (%d regels).", self.policy.name, self.policy.version,
                 len(self.policy.rules))  # which policy answers, in the service's log (a trial)
        self.reloads = 0
        self._lock = threading.Lock()
        self._echo = False  # this process reloaded and asked the supervisor for the others: its SIGHUP comes back here

    def _load(self) -> Policy:
        policy = load_policy(self.rules)
        policy.max_case_bytes = self.max_bytes
        return policy

    def reload_others(self, supervisor: int) -> None:
        """After a reload in this worker: SIGHUP to the ``supervisor``, which passes it on to every worker. The signal
        that comes back to this worker is then not a second reload (an integrator trial: one POST logged three reloads
        for two workers)."""
        self._echo = True
        try:
            os.kill(supervisor, signal.SIGHUP)
        except OSError:  # no supervisor to pass it on: no echo comes, and the next SIGHUP must reload
            self._echo = False
            raise

    def reload_on_signal(self) -> None:
        """SIGHUP: reload, unless it is the echo of ``reload_others``."""
        if self._echo:
            self._echo = False
            return
        self.reload()

    def reload(self) -> Reload:
        """Load the rules again; on success swap the new policy in, otherwise keep the old one serving."""
        with self._lock:
            old = self.policy
            try:
                new = self._load()
            except PolicyError as exc:
                LOG.error("Herladen mislukt; het oude beleid (versie %s) blijft werken:\n%s", old.version, exc)
                return Reload(False, old, list(exc.problems), str(exc))
            except (GrenzenError, OSError) as exc:  # e.g. the rules folder is gone or unreadable
                why = os_reason(exc) if isinstance(exc, OSError) else str(exc)
                LOG.error("Herladen mislukt (%s); het oude beleid (versie %s) blijft werken.", why, old.version)
                return Reload(False, old, [], f"het beleid kon niet geladen worden ({why})")
            self.policy = new  # one assignment: a request sees the old policy or the new one, never a mix
            self.reloads += 1
            lost = sorted(old.safety_kinds - new.safety_kinds)  # names of the vocabulary, never case content
            warnings = []
            if gone := [kind for kind in lost if kind not in new.vocabulary.signalen]:
                warnings.append(f"deze veiligheidssignalen staan niet meer in het beleid: {', '.join(gone)}. Een "
                                "mentor die er een aanvinkte, krijgt een fout. Vergelijk de versies met 'grenzen "
                                "verschil'.")
            if unflagged := [kind for kind in lost if kind in new.vocabulary.signalen]:  # said as gone (a trial)
                warnings.append(f"deze soorten zijn geen veiligheidssignaal meer (zonder 'veiligheid: ja'): "
                                f"{', '.join(unflagged)}. grenzen bewaakt dan niet meer dat ze nooit alleen bij de "
                                "mentor blijven. Vergelijk de versies met 'grenzen verschil'.")
            for warning in warnings:
                LOG.warning("Herladen: %s", warning)
            del old
            LOG.info("Beleid herladen: %s, versie %s.", new.name, new.version)
            return Reload(True, new, warnings=warnings)
