"""The mentors' pages, rendered on the server (Jinja2), in plain Dutch, without JavaScript and storing nothing.

``/`` asks what is going on (task, age, school year, training, what was tried, which signals), ``/ernst`` how
serious each signal is (each severity with the policy's own anchor text beside it) and how long it lasts,
``/advies`` gives the advice: route and urgency first, then what to do and not to do, where to refer (with what the
agreements say about the destination), consent, the reasons with their sources, and what would change it.
``/beleid`` is the rendered policy, ``/docs`` the API's reference page.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from .._errors import CaseError, EngineError
from .._models import EFFECTS, MAX_YEAR, MIN_YEAR, SEVERITIES, Advies
from ..pipeline._combine import SAFETY_GUARD
from ..pipeline._explain import ROUTE_SENTENCES, URGENCY_WORDS, verdict_sentence
from ..pipeline._policy import Policy
from ..pipeline._whatif import SAFETY_NOTE, WhatIf, has_safety_signal, what_if
from ..toolkit._render import render_policy
from ._form import (
    STEP_ONE,
    Form,
    FormError,
    FormUnreadable,
    carried,
    case_from_form,
    chosen_kinds,
    form_errors,
    form_problems,
    parse_form,
    shown,
    without_unticked,
)
from ._openapi import openapi_document
from ._request import read_body, request_policy

_ENV = Environment(loader=PackageLoader("grenzen.server", "templates"), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)
_ENV.globals["VANGNET"] = SAFETY_GUARD.regel  # a rule the safety guard set aside reads "door het vangnet"
_CSS = resources.files("grenzen.server").joinpath("static/stijl.css").read_bytes()
_BODY = re.compile(r"<body>(.*)</body>", re.S)
GROUP_WORDS = {"leren": "Leren en school", "sociaal": "Sociaal en groep", "verzuim": "Verzuim",
               "welzijn": "Welzijn en gezondheid", "thuis": "Thuis", "veiligheid": "Veiligheid"}
SEVERITY_WORDS = {"licht": "Licht", "matig": "Matig", "ernstig": "Ernstig", "acuut": "Acuut"}
EFFECT_WORDS = {"geen": "Geen effect", "onvoldoende": "Te weinig effect", "voldoende": "Genoeg effect"}
ROUTE_TITLES = {"mentor": "Dit hoort bij de mentor", "zorgteam": "Naar het zorgteam", "extern": "Externe hulp nodig"}


def _page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(_ENV.get_template(name).render(**values), status_code=status)


def _groups(policy: Policy) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The signal kinds by group, in the vocabulary's order (kinds without a group last)."""
    groups: dict[str, list[tuple[str, Any]]] = {}
    for kind, term in policy.vocabulary.signalen.items():
        groups.setdefault(term.groep or "", []).append((kind, term))
    return [(GROUP_WORDS.get(g, g.capitalize() if g else "Overig"), kinds)
            for g, kinds in sorted(groups.items(), key=lambda item: item[0] == "")]


def _common(policy: Policy) -> dict[str, Any]:
    return {"policy": policy, "years": range(MIN_YEAR, MAX_YEAR + 1), "effects": EFFECTS,
            "effect_words": EFFECT_WORDS, "severities": SEVERITIES, "severity_words": SEVERITY_WORDS}


def _step_one(policy: Policy, form: Form, errors: list[FormError], status: int = 200) -> HTMLResponse:
    form = shown(form)
    return _page("vraag.html", status, **_common(policy), groups=_groups(policy), form=form, errors=errors,
                 ticked=set(chosen_kinds(form, policy)), hidden=carried(form, policy))


def _checked_step_one(policy: Policy, form: Form) -> list[FormError]:
    """The problems of step 1's answers: what the form would lose, then what the contract refuses (signals aside)."""
    if problems := form_problems(form, policy, advice=False)[0]:
        return problems
    case = case_from_form(form, policy, with_signals=False)
    try:
        policy.validate_case(case)
    except CaseError as exc:
        return form_errors(exc.errors, case, policy)
    return []


def _hidden(form: Form, policy: Policy, with_signals: bool) -> list[tuple[str, str]]:
    """The form's answers as hidden fields, to carry them to the next step or back (nothing is kept on the server)."""
    names = set(STEP_ONE)
    if with_signals:
        names |= {f"{field}_{kind}" for kind in chosen_kinds(form, policy) for field in ("ernst", "duur")}
    return [(name, value) for name, values in form.items() if name in names for value in values]


def _step_two(policy: Policy, form: Form, errors: list[FormError], status: int = 200) -> HTMLResponse:
    form = shown(form)
    kinds = [(kind, policy.vocabulary.signalen[kind]) for kind in chosen_kinds(form, policy)]
    return _page("ernst.html", status, **_common(policy), kinds=kinds, form=form, errors=errors,
                 hidden=_hidden(form, policy, with_signals=False))


def _destinations(policy: Policy, advice: Advies) -> list[tuple[str, str | None]]:
    """Each destination named in the advice, with the agreements' description of it (who they are, how to reach)."""
    by_name = {d.naam: d for d in policy.agreements.bestemmingen.values()} if policy.agreements else {}
    return [(name, by_name[name].omschrijving if name in by_name else None) for name in advice.verwijzen_naar]


async def _advice_page(policy: Policy, form: Form) -> HTMLResponse:
    step_one, step_two = form_problems(form, policy)
    if step_one:
        return _step_one(policy, form, step_one, 422)
    if step_two:
        return _step_two(policy, form, step_two, 422)
    case = case_from_form(form, policy)
    try:
        advice = policy.advise(case)
        changes = await run_in_threadpool(what_if, policy, case)
    except CaseError as exc:  # each error on the step where it can be mended: a signal's on step 2, the rest on step 1
        first = [error for error in exc.errors if not error.field.startswith("signalen.")]
        if first or not chosen_kinds(form, policy):
            return _step_one(policy, form, form_errors(first or exc.errors, case, policy), 422)
        return _step_two(policy, form, form_errors(exc.errors, case, policy), 422)
    except EngineError:
        return _page("geen-advies.html", 503, policy=policy)
    safety_note = SAFETY_NOTE if has_safety_signal(policy, policy.validate_case(case)) else None
    return _page("advies.html", advice=advice, changes=_changes_shown(changes), safety_note=safety_note,
                 route_title=ROUTE_TITLES[advice.route],
                 route_sentence=ROUTE_SENTENCES[advice.route], urgency=URGENCY_WORDS[advice.urgentie],
                 verdict=verdict_sentence(advice, "Wat je wel doet, staat hieronder.", _task_label(policy, case)),
                 destinations=_destinations(policy, advice), policy=policy,
                 hidden=_hidden(form, policy, with_signals=True), has_signals=bool(chosen_kinds(form, policy)),
                 titles={rule.id: rule.titel for rule in policy.rules})


def _changes_shown(changes: list[WhatIf]) -> list[str]:
    """The what-if lines a mentor reads: not what another kind of signal would get (a mentor trial: "Als het signaal
    niet 'Pesten' maar 'Sexting en beeldmisbruik' was" is noise to whoever saw what they saw; the API still gives
    them), and the outcome as a sentence ("dan gaat het naar het zorgteam", not "dan zorgteam")."""
    return [f"Als {change.change}, dan {_THEN[change.advice.route]}, {URGENCY_WORDS[change.advice.urgentie]}."
            for change in changes if not change.path.endswith(".soort")]


#: a what-if's outcome as the page says it: "Als ..., dan gaat het naar het zorgteam, vandaag nog."
_THEN = {"mentor": "blijft het bij de mentor", "zorgteam": "gaat het naar het zorgteam",
         "extern": "is externe hulp nodig"}


def _task_label(policy: Policy, case: dict[str, object]) -> str:
    """The label of the case's task, as the form showed it."""
    task = policy.vocabulary.taken.get(str(case.get("taak", "")))
    return task.label if task is not None else ""


async def _form_of(request: Request) -> Form:
    """The form sent (``FormUnreadable`` for anything else: answered with step 1 and what went wrong)."""
    body = await read_body(request, request.app.state.settings.max_bytes)
    return parse_form(body, request.headers.get("content-type", ""), request.url.query)


def add_web_routes(app: FastAPI) -> None:
    """The pages: /, /ernst, /advies, /beleid, /docs and the style sheet."""
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def vraag(request: Request) -> HTMLResponse:
        parse_form(b"", query=request.url.query)  # answers in the address: FormUnreadable, never dropped
        return _step_one(request_policy(request), {}, [])

    @app.exception_handler(FormUnreadable)
    async def unreadable(request: Request, exc: FormUnreadable) -> HTMLResponse:
        return _step_one(request_policy(request), {}, [FormError("Formulier", str(exc), "taak")], 422)

    @app.get("/ernst", response_class=HTMLResponse, include_in_schema=False)
    @app.get("/advies", response_class=HTMLResponse, include_in_schema=False)
    async def opnieuw(request: Request) -> HTMLResponse:  # a reload or a bookmark: nothing is kept, so step 1 again
        return await vraag(request)

    @app.post("/", response_class=HTMLResponse, include_in_schema=False)
    async def vraag_aanpassen(request: Request) -> HTMLResponse:  # back to step 1 with the answers given
        policy, form = request_policy(request), await _form_of(request)
        problems = _checked_step_one(policy, form)
        return _step_one(policy, form, problems, 422 if problems else 200)

    @app.post("/ernst", response_class=HTMLResponse, include_in_schema=False)
    async def ernst(request: Request) -> HTMLResponse:
        policy, form = request_policy(request), await _form_of(request)
        if problems := _checked_step_one(policy, form):
            return _step_one(policy, form, problems, 422)
        form = without_unticked(form)
        if not chosen_kinds(form, policy):
            return await _advice_page(policy, form)
        return _step_two(policy, form, [])

    @app.post("/advies", response_class=HTMLResponse, include_in_schema=False)
    async def advies(request: Request) -> HTMLResponse:
        return await _advice_page(request_policy(request), await _form_of(request))

    @app.get("/beleid", response_class=HTMLResponse, include_in_schema=False)
    async def beleid(request: Request) -> HTMLResponse:
        policy = request_policy(request)
        document = await run_in_threadpool(render_policy, policy, "html")
        found = _BODY.search(document)
        return _page("beleid.html", policy=policy, body=Markup(found.group(1) if found else ""))  # noqa: S704

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        document = openapi_document(app, request_policy(request))
        return _page("docs.html", policy=request_policy(request), document=document)

    @app.get("/stijl.css", include_in_schema=False)
    async def stijl() -> Response:
        return Response(_CSS, media_type="text/css")
