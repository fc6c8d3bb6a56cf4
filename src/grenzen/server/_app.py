"""The decision service: the JSON API under ``/v1/``, the OpenAPI document, and the mentors' pages (``_web``).

Request bodies are read by the library's own strict reader (``pipeline._read``: duplicate keys, odd numbers and deep
nesting refused), never by FastAPI's parser, and errors have the batch mode's shape:
``{"fout": {"fouten": [{"veld", "melding", "code"}]}}``, naming fields, never values.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from .. import __version__
from .._errors import NO_ADVICE, CaseError, EngineError, FieldError, engine_failure
from .._models import Advies, BeleidInfo
from ..pipeline._policy import Policy
from ..pipeline._read import NOT_OBJECT_JSON, RefusedCase, too_large
from ..pipeline._whatif import has_safety_signal, notes, what_if
from ..toolkit._schema import advice_schema, case_schema
from ._answers import (
    BatchAntwoord,
    BeleidAntwoord,
    Fout,
    Gereed,
    Gezondheid,
    Herladen,
    Verandering,
    WatAlsAntwoord,
    fout,
    policy_answer,
)
from ._decisions import DecisionLog
from ._guard import API, AccessLogFilter, Guard, plain_page, too_large_page
from ._holder import PolicyHolder
from ._openapi import BATCH_BODY, CASE_BODY, openapi_document
from ._request import BodyTooLarge, BodyTooSlow, read_batch_json, read_body, read_json, request_policy
from ._settings import MAX_BATCH, Settings
from ._web import add_web_routes

#: What every address may answer: a method it does not take, and an unexpected error (``Guard``). An address the
#: service does not have gets 404 in the same shape (the API's description says so: it has no route to declare it on).
ANY: dict[int | str, dict[str, Any]] = {
    405: {"model": Fout, "description": "deze methode kan hier niet (verkeerde-methode)"},
    500: {"model": Fout, "description": f"onverwachte fout; {NO_ADVICE} (onverwacht)"},
}
#: What an address under /v1/ that asks a token may answer besides its own answer (``Guard._refusal``).
GUARDED: dict[int | str, dict[str, Any]] = {
    401: {"model": Fout, "description": "geen geldig token"},
    415: {"model": Fout, "description": "de tekst is ingepakt (Content-Encoding): stuur hem zonder compressie"},
    422: {"model": Fout, "description": "het adres heeft parameters (na '?'): de dienst leest ze niet"},
    **ANY,
}
#: What an address that takes a POST may answer besides what a guarded one may (``Guard._refusal``).
POSTED: dict[int | str, dict[str, Any]] = {
    **GUARDED,
    403: {"model": Fout, "description": "een andere website liet een browser dit verzoek versturen (andere-website)"},
}
#: What the addresses that take a case may answer besides the advice.
ERRORS: dict[int | str, dict[str, Any]] = {
    **POSTED,
    408: {"model": Fout, "description": "de tekst kwam niet op tijd binnen (te-traag): stuur hem opnieuw"},
    413: {"model": Fout, "description": "de tekst is te groot"},
    422: {"model": Fout, "description": "de casus past niet bij het contract of de woordenlijst (of het adres heeft "
                                        "parameters)"},
    503: {"model": Fout, "description": NO_ADVICE},
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The whole service for ``settings`` (default: from the environment ``grenzen serve`` set up)."""
    settings = settings or Settings.from_environment()
    _log_to_stderr()
    holder = PolicyHolder(settings.rules, settings.max_bytes)
    log = DecisionLog(settings.decision_log, settings.activity)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        with suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests), no SIGHUP
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, holder.reload_on_signal))
        yield
        with suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGHUP)
        log.close()

    # redirect_slashes=False: /v1/advies/ is a 404 in the errors' shape, not a 307 to an address the proxy may not know
    app = FastAPI(title="grenzen", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None, redirect_slashes=False,
                  description="Hoort deze taak bij de mentor, bij het zorgteam of bij externe hulp? "
                              "Advies met redenen uit het beleid van de school. Elke fout heeft de vorm Fout; een "
                              "adres dat niet bestaat, geeft 404 (onbekend-adres).")
    app.state.holder, app.state.settings, app.state.log = holder, settings, log
    _errors(app)
    _advice_routes(app, settings, log)
    _policy_routes(app, holder, settings)
    add_web_routes(app)
    paths = frozenset(getattr(route, "path", "") for route in app.routes)
    _access_log_without_addresses(paths)
    app.add_middleware(Guard, holder=holder, settings=settings, paths=paths)
    return app


def _access_log_without_addresses(paths: frozenset[str]) -> None:
    """uvicorn's access log names only the service's own addresses, never a query (``AccessLogFilter``)."""
    access = logging.getLogger("uvicorn.access")
    for old in [f for f in access.filters if isinstance(f, AccessLogFilter)]:
        access.removeFilter(old)
    access.addFilter(AccessLogFilter(paths))


def _log_to_stderr() -> None:
    """The service's own messages (reloads, unexpected failures: never case content) on standard error."""
    log = logging.getLogger("grenzen.server")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     grenzen: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def _errors(app: FastAPI) -> None:
    """Every error answer in the batch mode's shape, in Dutch, without content."""

    @app.exception_handler(CaseError)
    async def case_error(request: Request, exc: CaseError) -> Response:
        return JSONResponse(_fouten(exc.errors), status_code=422)

    @app.exception_handler(EngineError)
    async def engine_error(request: Request, exc: EngineError) -> Response:
        return JSONResponse(_fouten([engine_failure(exc)]), status_code=503)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, exc: BodyTooLarge) -> Response:
        cap = app.state.settings.max_bytes
        if not request.url.path.startswith(API):  # a mentor's form: a page, not JSON
            return HTMLResponse(too_large_page(cap), status_code=413, headers={"connection": "close"})
        return JSONResponse(fout("(casus)", too_large(cap), "te-groot"), status_code=413,
                            headers={"connection": "close"})

    @app.exception_handler(BodyTooSlow)
    async def body_too_slow(request: Request, exc: BodyTooSlow) -> Response:
        settings = app.state.settings
        message = (f"de tekst kwam niet op tijd binnen (na {settings.body_seconds:g} seconden zonder nieuw deel, of "
                   f"na {settings.body_total_seconds:g} seconden in totaal); stuur hem opnieuw")
        if not request.url.path.startswith(API):  # a mentor's form: a page, not JSON
            return HTMLResponse(plain_page("Te traag", f"Het formulier kan niet worden gelezen: {message}."),
                                status_code=408, headers={"connection": "close"})
        return JSONResponse(fout("(verzoek)", message, "te-traag"), status_code=408, headers={"connection": "close"})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message, code = {404: ("deze pagina bestaat niet", "onbekend-adres"),
                         405: ("deze methode kan hier niet", "verkeerde-methode")}.get(
            exc.status_code, ("het verzoek kan niet worden verwerkt", "verzoek"))
        if not request.url.path.startswith(API) and "text/html" in request.headers.get("accept", ""):  # a browser
            return HTMLResponse(plain_page("Niet gevonden" if exc.status_code == 404 else "Dat kan hier niet",
                                           message[0].upper() + message[1:] + "."),
                                status_code=exc.status_code, headers=exc.headers)
        return JSONResponse(fout("(verzoek)", message, code), status_code=exc.status_code, headers=exc.headers)


def _fouten(errors: list[FieldError], number: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"fouten": [error.as_json() for error in errors]}
    if number is not None:
        body["nummer"] = number
    return {"fout": body}


def advise(policy: Policy, data: dict[str, Any], log: DecisionLog, path: str, trace: str | None) -> dict[str, Any]:
    """The advice on one case as JSON (with the case's id, as every advice); logged when the decision log is on."""
    if log.enabled:
        case = policy.validate_case(data)
        advice = policy.advise(case)
        log.write(policy, case, advice, path, trace)
    else:
        advice = policy.advise(data)
    return advice.model_dump(mode="json")


def _batch_item(policy: Policy, item: Any, number: int, log: DecisionLog, trace: str | None) -> dict[str, Any]:
    """One case of a batch: its advice, or its error object (never raises)."""
    if isinstance(item, RefusedCase):  # the reader refused this case alone (a duplicate key, a bad number, too deep)
        return _fouten([FieldError("(casus)", item.message, item.code)], number)
    if not isinstance(item, dict):
        return _fouten([FieldError("(casus)", NOT_OBJECT_JSON, "geen-object")], number)
    try:
        return advise(policy, item, log, "grenzen/v1/advies/batch", trace)
    except CaseError as exc:
        return _fouten(exc.errors, number)
    except EngineError as exc:
        return _fouten([engine_failure(exc)], number)
    except Exception as exc:  # noqa: BLE001 - one bad case never stops a batch (type name only: no content)
        return _fouten([FieldError("(casus)", f"onverwachte fout bij deze casus ({type(exc).__name__}); {NO_ADVICE}",
                                   "onverwacht")], number)


def _batch_cases(data: dict[str, Any]) -> list[Any]:
    """The list under ``casussen``, at most ``MAX_BATCH`` long; ``CaseError`` otherwise."""
    extra = [key for key in data if key != "casussen"]
    if extra:
        raise CaseError([FieldError("<onbekend veld>", "onbekend veld; toegestaan: casussen", "onbekende-sleutel")])
    if "casussen" not in data:  # it said "moet een lijst zijn" (an integrator's trial)
        raise CaseError([FieldError("casussen", "verplicht veld ontbreekt", "verplicht-veld-ontbreekt")])
    cases = data["casussen"]
    if not isinstance(cases, list):
        raise CaseError([FieldError("casussen", "moet een lijst van casussen zijn", "geen-lijst")])
    if len(cases) > MAX_BATCH:
        raise CaseError([FieldError("casussen", f"hoogstens {MAX_BATCH} casussen per verzoek; "
                                                "deel de lijst op", "te-lang")])  # a list over its maximum
    return cases


def _advice_routes(app: FastAPI, settings: Settings, log: DecisionLog) -> None:
    """POST /v1/advies, /v1/advies/batch, /v1/wat-als."""

    @app.post("/v1/advies", response_model=Advies, responses=ERRORS, openapi_extra=CASE_BODY,
              summary="Advies op één casus", tags=["advies"])
    async def advies(request: Request) -> Response:
        data = await read_json(request, settings.max_bytes)
        policy = request_policy(request)
        answer = advise(policy, data, log, "grenzen/v1/advies", _traceparent(request))
        return JSONResponse(answer)

    @app.post("/v1/advies/batch", response_model=BatchAntwoord, responses=ERRORS, openapi_extra=BATCH_BODY,
              summary=f"Advies op hoogstens {MAX_BATCH} casussen, in volgorde", tags=["advies"])
    async def batch(request: Request) -> Response:
        cases = _batch_cases(await read_batch_json(request, settings.max_bytes, "casussen"))
        policy = request_policy(request)
        trace = _traceparent(request)
        results = await run_in_threadpool(
            lambda: [_batch_item(policy, item, n, log, trace) for n, item in enumerate(cases, start=1)])
        return JSONResponse({"resultaten": results, "beleid": {"naam": policy.name, "versie": policy.version}})

    @app.post("/v1/wat-als", response_model=WatAlsAntwoord, responses=ERRORS, openapi_extra=CASE_BODY,
              summary="Advies en de kleinste veranderingen die het zouden veranderen", tags=["advies"])
    async def wat_als(request: Request) -> Response:
        data = await read_json(request, settings.max_bytes)
        policy = request_policy(request)
        answer = advise(policy, data, log, "grenzen/v1/wat-als", _traceparent(request))
        changes = await run_in_threadpool(what_if, policy, data)
        items = [Verandering(veld=c.path, als=c.change, dan=c.outcome, route=c.advice.route,
                             urgentie=c.advice.urgentie).model_dump() for c in changes]
        safety = has_safety_signal(policy, policy.validate_case(data))
        return JSONResponse({"advies": answer, "wat_als": items, "let_op": notes(safety)})


def _policy_routes(app: FastAPI, holder: PolicyHolder, settings: Settings) -> None:
    """The policy, its schemas, health, readiness, reload, and the OpenAPI document with its page."""

    @app.get("/v1/beleid", response_model=BeleidAntwoord, responses=GUARDED,
             summary="Het beleid: naam, versie, lagen en woordenlijst", tags=["beleid"])
    async def beleid(request: Request) -> BeleidAntwoord:
        return policy_answer(request_policy(request))

    @app.get("/v1/schema/casus", responses=GUARDED, tags=["beleid"],
             summary="JSON Schema (draft 2020-12) van de casus voor dit beleid")
    async def schema_casus(request: Request) -> dict[str, Any]:
        return case_schema(request_policy(request))

    @app.get("/v1/schema/advies", responses=GUARDED, tags=["beleid"],
             summary="JSON Schema (draft 2020-12) van het advies")
    async def schema_advies(request: Request) -> dict[str, Any]:
        return advice_schema(request_policy(request))

    @app.get("/v1/gezondheid", response_model=Gezondheid, responses={**ANY, 415: GUARDED[415]}, tags=["beheer"],
             summary="Leeft de dienst? (geen token)")
    async def gezondheid() -> Gezondheid:
        return Gezondheid(status="ok")

    @app.get("/v1/gereed", response_model=Gereed, responses=GUARDED, tags=["beheer"],
             summary="Is er een beleid geladen?")
    async def gereed(request: Request) -> Gereed:
        policy = request_policy(request)
        return Gereed(status="gereed", beleid=BeleidInfo(naam=policy.name, versie=policy.version))

    # the body of a refused reload is a Herladen with its 'fout'; a query in the address gives the Guard's Fout
    not_loaded = {"model": Herladen | Fout, "description": "het beleid laadt niet: het oude blijft werken (Herladen, "
                                                          "met fout); of het adres heeft parameters of het verzoek "
                                                          "een body (Fout)"}

    @app.post("/v1/beheer/herladen", response_model=Herladen, responses={**POSTED, 422: not_loaded},
              tags=["beheer"], summary="Laad het beleid opnieuw; bij een fout blijft het oude werken")
    async def herladen(request: Request) -> Response:
        if (await read_body(request, settings.max_bytes)).strip():  # never silently ignored (an integrator trial)
            return JSONResponse(fout("(body)", RELOAD_READS_NO_BODY, "verzoek"), status_code=422)
        outcome = await run_in_threadpool(holder.reload)
        if outcome.ok and settings.workers > 1:
            holder.reload_others(os.getppid())  # the supervisor passes it on: every other worker reloads
        info = {"naam": outcome.policy.name, "versie": outcome.policy.version}
        if outcome.ok:
            return JSONResponse({"herladen": True, "beleid": info, "waarschuwingen": outcome.warnings},
                                headers=_version(outcome.policy))
        problems = [FieldError(f"{p.file}:{p.line}" if p.line else str(p.file or "(regels)"), p.message,
                               p.code or "beleid") for p in outcome.problems] or [
            FieldError("(regels)", outcome.message, "beleid")]
        return JSONResponse({"herladen": False, "beleid": info, **_fouten(problems)}, status_code=422)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(app, request_policy(request)))


#: A reload that came with a body: it reads none, so the caller may think it sent rules (an integrator trial).
RELOAD_READS_NO_BODY = ("herladen leest geen body: de dienst laadt het beleid opnieuw uit zijn eigen map met regels; "
                        "zet nieuwe regels daar neer en stuur het verzoek zonder body")


def _version(policy: Policy) -> dict[str, str]:
    """The header of a policy that is newer than the one the request started with."""
    return {"x-grenzen-beleidsversie": policy.version}


def _traceparent(request: Request) -> str | None:
    """The request's ``traceparent`` header when it has exactly one: with two (a wrong one, then the caller's) the
    first was logged; W3C Trace Context treats more than one as no valid trace context, so the log then names none."""
    values = request.headers.getlist("traceparent")
    return values[0] if len(values) == 1 else None
