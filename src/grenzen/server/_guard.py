"""Around every request: the policy it is answered with, the token, the body cap, the headers of every answer,
and a last net that turns any unexpected failure into a Dutch answer without content (never a traceback of a case).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect

from .._errors import NO_ADVICE
from ..pipeline._read import too_large
from ._answers import fout
from ._holder import PolicyHolder
from ._request import DRAIN_BYTES, discard
from ._settings import Settings

LOG = logging.getLogger("grenzen.server")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

VERSION_HEADER = "x-grenzen-beleidsversie"
NO_TOKEN = "geen geldig token: stuur de kop 'Authorization: Bearer <token>'"
API = "/v1/"  # the API's paths start so; the rest are the mentors' pages
OPEN_PATHS = frozenset({"/v1/gezondheid"})  # liveness: a load balancer asks it without a token
NO_QUERY = "het adres mag geen parameters hebben (na '?'): de dienst leest ze niet; zet de gegevens in de body"
ENCODED = ("de dienst leest geen ingepakte tekst (Content-Encoding); stuur de casus als gewone JSON, zonder gzip of "
           "andere compressie")
CROSS_SITE = ("de dienst neemt geen verzoek aan dat een andere website laat versturen: stuur het vanaf de pagina van "
              "de dienst zelf of vanuit het schoolsysteem")
#: What a browser says (``Sec-Fetch-Site``) of a request another site makes it send: a page on any site could otherwise
#: have a staff member's browser post cases (into the decision log) or reload the policy (an integrator trial, on a
#: service without a token). Fetch metadata first, ``Origin`` against ``Host`` only for a browser that sends no fetch
#: metadata (``_foreign``): a proxy may rewrite ``Host``. Clients other than browsers send neither.
FOREIGN_SITES = frozenset({b"cross-site", b"same-site"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNKNOWN_PATH = "(onbekend adres)"  # what the logs say for an address the service does not have: it may hold a name
#: The page loads nothing from elsewhere and runs no script: styles from this server, forms only to this server.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
_ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store"),
           (b"referrer-policy", b"no-referrer")]
_HTML = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
         (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
         (b"cross-origin-opener-policy", b"same-origin"), (b"cross-origin-resource-policy", b"same-origin")]

#: an answer the guard gives before the app: status, body (JSON, or an HTML page), extra headers
Refusal = tuple[int, dict[str, Any] | str, list[tuple[bytes, bytes]]]


class Guard:
    """ASGI middleware: policy per request, token, body cap, headers, last net."""

    def __init__(self, app: ASGIApp, holder: PolicyHolder, settings: Settings, paths: frozenset[str] = frozenset(),
                 ) -> None:
        self.app, self.holder, self.settings = app, holder, settings
        self.paths = paths  # the service's addresses: only these are named in a log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.holder.policy  # taken once: this request is answered by this policy, whatever reloads
        scope.setdefault("state", {})["policy"] = policy
        version = policy.version.encode("ascii", "replace")
        started = False
        head = scope.get("method") == "HEAD"
        if head:  # HEAD wherever GET works (RFC 9110): answered as GET, with the same headers and no body
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if not any(k.lower() == VERSION_HEADER.encode() for k, _ in headers):  # a reload names its new one
                    headers.append((VERSION_HEADER.encode(), version))
                headers += _ALWAYS
                if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    headers += _HTML
                message["headers"] = headers
            await send(message)

        refusal = self._refusal(scope)
        try:
            if refusal is not None:
                await self._refuse(refusal, scope, receive, send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
        except ClientDisconnect:  # the client left while it sent the body: nobody to answer, nothing went wrong here
            LOG.info("De client verbrak de verbinding tijdens %s %s", scope.get("method"), self._shown(scope))
        except Exception as exc:  # noqa: BLE001 - the type only: an exception's text may hold case content
            shown = self._shown(scope)
            LOG.error("Onverwachte fout bij %s %s (%s)", scope.get("method"), shown, type(exc).__name__)
            if not started:
                body = fout("(verzoek)", f"onverwachte fout; {NO_ADVICE}", "onverwacht")
                await _send_answer(send_with_headers, 500, body, [])

    async def _refuse(self, refusal: Refusal, scope: Scope, receive: Receive, send: Send) -> None:
        """Send a refusal; a body over the cap that the client sends anyway is read and thrown away first
        (``discard``), within the service's time limits for a body."""
        if refusal[0] == 413 and _body_follows(scope):
            deadline = asyncio.get_running_loop().time() + self.settings.body_total_seconds
            await discard(_body_parts(receive), self.settings.body_seconds, deadline)
        await _send_answer(send, *refusal)

    def _shown(self, scope: Scope) -> str:
        """The request's address as a log may name it (one the service does not have may hold a name)."""
        path = scope.get("path", "")
        return path if path in self.paths else UNKNOWN_PATH

    def _refusal(self, scope: Scope) -> Refusal | None:
        """403 for a request another website has a browser send (``FOREIGN_SITES``), 401 without a valid token on /v1/
        (liveness aside), 422 for a query, 415 for a body with a Content-Encoding, 413 when the declared body is over
        the cap."""
        headers = dict((k.lower(), v) for k, v in scope.get("headers", []))
        path: str = scope.get("path", "")
        if scope.get("method") not in SAFE_METHODS and _foreign(headers):
            return 403, (fout("(verzoek)", CROSS_SITE, "andere-website") if path.startswith(API)
                         else plain_page("Niet toegestaan", CROSS_SITE[0].upper() + CROSS_SITE[1:] + ".")), []
        if path.startswith(API) and path not in OPEN_PATHS:
            authorization = headers.get(b"authorization", b"").decode("latin-1")
            # two tokens: which one counts? (an integrator trial: a wrong one, then a right one, was let in)
            twice = self.settings.tokens and sum(k.lower() == b"authorization" for k, _ in scope.get("headers", [])) > 1
            if twice or not self.settings.token_ok(authorization):
                challenge = [(b"www-authenticate", b'Bearer realm="grenzen"')]
                return 401, fout("(verzoek)", NO_TOKEN, "geen-token"), challenge
        # never read, so never silently dropped either; liveness aside: a load balancer's check may add one
        if path.startswith(API) and path not in OPEN_PATHS and scope.get("query_string"):
            return 422, fout("(adres)", NO_QUERY, "vraag-in-adres"), []
        # a gzip body was read as text ("de tekst is geen UTF-8"), and a plain one sent as gzip as if plain (trials)
        if path.startswith(API) and _packed(scope.get("headers", [])):
            return 415, fout("(verzoek)", ENCODED, "ingepakt"), [(b"accept-encoding", b"identity")]
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.settings.max_bytes:
            cap = self.settings.max_bytes
            body = fout("(casus)", too_large(cap), "te-groot") if path.startswith(API) else too_large_page(cap)
            return 413, body, [(b"connection", b"close")]
        return None


def _foreign(headers: dict[bytes, bytes]) -> bool:
    """Did another website have a browser send this request? The browser's fetch metadata says so (``FOREIGN_SITES``).
    A browser without it (Safari before 16.4, an integrator trial) still sends ``Origin`` with every POST: then the
    origin must name the host the request went to (``Host``, default ports aside); ``null`` (a sandboxed page, a file)
    or another host is another website. A request with neither header comes from a program."""
    site = headers.get(b"sec-fetch-site")
    if site is not None:
        return site.lower() in FOREIGN_SITES
    origin = headers.get(b"origin")
    if origin is None:
        return False
    return _without_default_port(origin.lower().partition(b"://")[2]) != _without_default_port(
        headers.get(b"host", b"").lower())


def _without_default_port(host: bytes) -> bytes:
    return host.removesuffix(b":80").removesuffix(b":443")


def _body_follows(scope: Scope) -> bool:
    """Does a client send a body over the cap without waiting for an answer, small enough to read and throw away
    (``DRAIN_BYTES``)? One that asks ``Expect: 100-continue`` waits, and gets the 413 instead of the go-ahead."""
    headers = scope.get("headers", [])
    if any(k.lower() == b"expect" and v.strip().lower() == b"100-continue" for k, v in headers):
        return False
    lengths = [v.strip() for k, v in headers if k.lower() == b"content-length"]
    return len(lengths) == 1 and lengths[0].isdigit() and int(lengths[0]) <= DRAIN_BYTES


async def _body_parts(receive: Receive) -> AsyncIterator[bytes]:
    """The parts of a request's body as the server hands them over, until the last or a disconnect."""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


def _packed(headers: list[tuple[bytes, bytes]]) -> bool:
    """Does the request say its body is packed: a Content-Encoding other than identity, or a Transfer-Encoding other
    than chunked (every header of the name, every item of its comma-separated list; an empty one says nothing)?"""
    plain = {b"content-encoding": b"identity", b"transfer-encoding": b"chunked"}
    return any(item.strip().lower() not in (b"", plain[key])
               for name, value in headers if (key := name.lower()) in plain for item in value.split(b","))


class AccessLogFilter(logging.Filter):
    """uvicorn's access log without what a request's address may carry: the query (``?leerling=…``) is left out, and
    an address the service does not have is logged as ``UNKNOWN_PATH`` (``/v1/leerling/Jan%20Jansen``)."""

    def __init__(self, paths: frozenset[str]) -> None:
        super().__init__()
        self.paths = paths

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args  # uvicorn: client, method, path, http version, status
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path = args[2].partition("?")[0]
            record.args = (args[0], args[1], path if path in self.paths else UNKNOWN_PATH, args[3], args[4])
        return True


def plain_page(title: str, message: str) -> str:
    """A small Dutch page for a mentor's browser where the API answers JSON (``title`` and ``message`` are ours)."""
    return (f'<!DOCTYPE html>\n<html lang="nl">\n<head><meta charset="utf-8"><title>{title}</title></head>\n<body>\n'
            f'<main><h1>{title}</h1><p>{message}</p>\n<p><a href="/">Naar het formulier</a></p></main>\n</body>\n'
            '</html>\n')


def too_large_page(max_bytes: int) -> str:
    """What a mentor's browser shows for a form over the cap (the API answers JSON)."""
    return plain_page("Te groot", f"Het formulier kan niet worden gelezen: {too_large(max_bytes)}.")


async def _send_answer(send: Send, status: int, body: dict[str, Any] | str, extra: list[tuple[bytes, bytes]]) -> None:
    """An answer made here, before the app: JSON, or (``body`` a str) an HTML page."""
    html = isinstance(body, str)
    data = (body if isinstance(body, str)
            else json.dumps(body, ensure_ascii=False, separators=(",", ":"))).encode("utf-8")  # as JSONResponse does
    kind = b"text/html; charset=utf-8" if html else b"application/json"
    headers = [(b"content-type", kind), (b"content-length", str(len(data)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
