"""What a running service is told at start: the rules, the tokens, the body cap, the decision log.

``grenzen serve`` passes its options to the app through the environment (``GRENZEN_…``), so that every worker
process of ``--workers N`` builds the same app from the same settings (``Settings.from_environment``).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from .._errors import GrenzenError, os_reason
from ..pipeline._read import MAX_CASE_BYTES

TOKEN = "GRENZEN_TOKEN"  # one token (an operator's secret): the only setting a user sets directly
TOKEN_FILE = "GRENZEN_TOKEN_BESTAND"  # the others are how `grenzen serve` talks to its workers
RULES = "GRENZEN_REGELS"
MAX_BYTES = "GRENZEN_MAX_GROOTTE"
DECISION_LOG = "GRENZEN_BESLISLOG"
ACTIVITY = "GRENZEN_VERWERKING"
WORKERS = "GRENZEN_WERKPROCESSEN"
MAX_BATCH = 1000  # cases in one POST /v1/advies/batch
BODY_SECONDS = 30.0  # the longest wait for the next part of a body (then 408)
BODY_TOTAL_SECONDS = 120.0  # the longest time a whole body may take (then 408): a trickle of bytes held a shutdown
#: uvicorn's HTTP parser. Not httptools: with it a request that also asks to upgrade to HTTP/2 (``Upgrade: h2c``, which
#: Java's HttpClient sends by default) lost its body: an acute case came back as "de tekst is leeg" or a bare 400 (an
#: integrator trial; Kludex/uvicorn#2722). h11 answers such a request over HTTP/1.1, body and all, about a tenth slower.
HTTP_PARSER = "h11"


@dataclass(frozen=True)
class Settings:
    """One service's settings; ``rules`` None is the bundled default policy."""

    rules: Path | None = None
    tokens: tuple[str, ...] = ()
    max_bytes: int = MAX_CASE_BYTES
    decision_log: Path | None = None
    activity: str | None = None
    workers: int = 1
    body_seconds: float = BODY_SECONDS
    body_total_seconds: float = BODY_TOTAL_SECONDS

    @classmethod
    def from_environment(cls) -> Settings:
        """The settings ``grenzen serve`` put in the environment (or an operator's ``GRENZEN_TOKEN``)."""
        env = os.environ
        return cls(
            rules=Path(env[RULES]) if env.get(RULES) else None,
            tokens=configured_tokens(env.get(TOKEN_FILE) or None),
            max_bytes=int(env.get(MAX_BYTES) or MAX_CASE_BYTES),
            decision_log=Path(env[DECISION_LOG]) if env.get(DECISION_LOG) else None,
            activity=env.get(ACTIVITY) or None,
            workers=int(env.get(WORKERS) or 1),
        )

    def token_ok(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries one of the tokens (always true without tokens)."""
        if not self.tokens:
            return True
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return False
        offered = given.strip().encode("utf-8", "surrogateescape")
        found = False
        for token in self.tokens:  # compare with every token, in constant time: the answer's time says nothing
            found |= hmac.compare_digest(offered, token.encode("utf-8"))
        return found


def configured_tokens(token_file: str | None) -> tuple[str, ...]:
    """The tokens of a token file (``read_tokens``) and of ``GRENZEN_TOKEN``, each held to the same rules: at least 16
    characters, no spaces (an integrator trial's 'abcdefgh ijklmnopqrst' started; no client sends it)."""
    tokens = read_tokens(Path(token_file)) if token_file else ()
    value = os.environ.get(TOKEN, "").strip()
    if value:
        if len(value) < 16:
            raise GrenzenError("GRENZEN_TOKEN is korter dan 16 tekens; kies een lang, willekeurig token.")
        if len(value.split()) > 1:
            raise GrenzenError("GRENZEN_TOKEN heeft een spatie; een token heeft geen spaties.")
        tokens = (*tokens, value)
    return tokens


def read_tokens(path: Path) -> tuple[str, ...]:
    """The tokens of a token file: one a line; blank lines and lines starting with ``#`` are skipped. A line with a
    space inside (a comment after the token) is refused: a bearer token has none, so no client could send it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GrenzenError(f"Kan het tokenbestand niet lezen: {path} ({os_reason(exc)}).") from None
    except UnicodeDecodeError:
        raise GrenzenError(f"Kan het tokenbestand niet lezen: {path} (geen UTF-8-tekst).") from None
    tokens = tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    if not tokens:
        raise GrenzenError(f"Het tokenbestand {path} bevat geen token.")
    if any(len(token.split()) > 1 for token in tokens):  # 'token # uitleg': never what a client sends (a trial)
        raise GrenzenError(f"Een regel in {path} heeft een spatie in het token; een token heeft geen spaties. Zet "
                           "uitleg op een eigen regel die met # begint.")
    if any(len(token) < 16 for token in tokens):
        raise GrenzenError(f"Een token in {path} is korter dan 16 tekens; kies een lang, willekeurig token.")
    return tokens


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
