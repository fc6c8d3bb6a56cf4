"""schemathesis against the service's own OpenAPI document: generated requests for every operation (positive and
negative), never a server error, and every answer fits the document.

Driven from one test with hypothesis per operation, not through schemathesis' pytest plugin (its fixture support
does not run on pytest 9).
"""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from test_server_support import live  # noqa: E402

from grenzen.server._settings import Settings  # noqa: E402

TOKEN = "een-token-voor-schemathesis-123"
EXAMPLES = 60  # per operation and mode


@pytest.mark.slow
def test_no_server_error_and_answers_fit_the_document():
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import ignored_auth

    with live(Settings(tokens=(TOKEN,))) as server:
        schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} >= {"/v1/advies", "/v1/advies/batch", "/v1/wat-als", "/v1/beleid"}
        calls = 0
        for operation in operations:
            if operation.path == "/v1/beheer/herladen":
                continue  # reloading 120 times proves nothing here; test_server covers it
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @given(case=operation.as_strategy(generation_mode=mode))
                @settings(max_examples=EXAMPLES, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
                def run(case):
                    nonlocal calls
                    calls += 1
                    case.headers = {**(case.headers or {}), "authorization": f"Bearer {TOKEN}"}
                    # ignored_auth takes the real token for a generated one; test_server.test_tokens checks 401s
                    case.call_and_validate(excluded_checks=[ignored_auth])

                try:
                    run()
                except Unsatisfiable:  # a GET without parameters has no invalid request to make
                    assert mode == GenerationMode.NEGATIVE and operation.method.upper() == "GET"
        assert calls > 300
