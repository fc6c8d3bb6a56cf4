"""The OpenAPI document: the routes and answers from FastAPI (pydantic models), the case from the policy's own JSON
Schema (``toolkit._schema``: the vocabulary's kinds as enums, the severity anchors), rebuilt per policy version."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .._errors import CaseError
from ..pipeline._policy import Policy
from ..toolkit._schema import case_schema
from ._guard import API, OPEN_PATHS, VERSION_HEADER
from ._settings import MAX_BATCH

_CASE_REF = {"$ref": "#/components/schemas/Casus"}
CASE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": _CASE_REF}}}}
BATCH_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Batch"}}}}}
_cache: dict[tuple[int, str], dict[str, Any]] = {}
_VERSION = {"description": "de versie van het beleid dat dit antwoord gaf (zoals beleid.versie)",
            "schema": {"type": "string"}}


def openapi_document(app: FastAPI, policy: Policy) -> dict[str, Any]:
    """The document for this app and policy (cached per policy version)."""
    key = (id(app), policy.version)
    if key not in _cache:
        _cache.clear()  # only the serving policy's document is kept
        _cache[key] = _build(app, policy)
    return _cache[key]


def _build(app: FastAPI, policy: Policy) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    document["info"]["x-beleid"] = {"naam": policy.name, "versie": policy.version}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    case = _refs(copy.deepcopy(case_schema(policy)))
    for name, definition in case.pop("$defs", {}).items():
        schemas[name] = definition
    case.pop("$schema", None)
    schemas["Casus"] = case
    schemas["Batch"] = {
        "type": "object", "description": f"Hoogstens {MAX_BATCH} casussen; het antwoord heeft ze in dezelfde volgorde.",
        # a case that does not fit gets its own error object in the answer (200), so any item is accepted
        "properties": {"casussen": {"type": "array", "maxItems": MAX_BATCH, "items": {"anyOf": [
            _CASE_REF, {"description": "iets anders dan een geldige casus: het antwoord heeft er een foutobject"}]}}},
        "required": ["casussen"], "additionalProperties": False,
    }
    _examples(document["paths"], policy)
    for operations in document["paths"].values():  # every answer names the policy that gave it (an integrator trial)
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                response.setdefault("headers", {})[VERSION_HEADER.title()] = _VERSION
    settings = getattr(app.state, "settings", None)
    if settings is not None and not settings.tokens:  # a service that asks none (an integrator trial: it said bearer)
        for operations in document["paths"].values():
            for operation in operations.values():
                operation.get("responses", {}).pop("401", None)  # never answered without a token to check
        return document
    document["components"]["securitySchemes"] = {"token": {"type": "http", "scheme": "bearer"}}
    for path, operations in document["paths"].items():
        if path.startswith(API) and path not in OPEN_PATHS:
            for operation in operations.values():
                operation["security"] = [{"token": []}]
    return document


def _examples(paths: dict[str, Any], policy: Policy) -> None:
    """An example case for the advice calls, in this policy's own words, and the advice this policy gives it: a case a
    client can send as it is ("Try it out"), and what comes back (an integrator trial found no examples)."""
    vocabulary = policy.vocabulary
    kinds = sorted(vocabulary.signalen, key=lambda kind: vocabulary.signalen[kind].veiligheid)  # a safety kind last
    case: dict[str, Any] = {"id": "casus-001", "leeftijd": 14, "taak": next(iter(vocabulary.taken), ""),
                            "signalen": [{"soort": kind, "ernst": "matig", "duur_weken": 3} for kind in kinds[:1]]}
    try:
        advice = policy.advise(case).model_dump(mode="json")
    except CaseError:  # a policy without a task or a kind: no example
        return
    for path, request, answer in (("/v1/advies", case, advice), ("/v1/wat-als", case, None),
                                  ("/v1/advies/batch", {"casussen": [case]}, None)):
        operation = paths.get(path, {}).get("post")
        if operation is None:
            continue
        operation["requestBody"]["content"]["application/json"]["example"] = request
        if answer is not None:
            operation["responses"]["200"]["content"]["application/json"]["example"] = answer


def _refs(node: Any) -> Any:
    """JSON Schema's ``#/$defs/X`` as OpenAPI's ``#/components/schemas/X``."""
    if isinstance(node, dict):
        return {k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" and isinstance(v, str)
                    else _refs(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_refs(item) for item in node]
    return node
