"""The decision service over HTTP: every endpoint, every error shape, tokens, the body cap, reload, the decision log."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

import httpx  # noqa: E402
from test_server_support import TOKEN, live, random_cases  # noqa: E402

import grenzen  # noqa: E402
from grenzen.pipeline._whatif import SAFETY_NOTE  # noqa: E402
from grenzen.server._command import check  # noqa: E402
from grenzen.server._settings import Settings, is_loopback, read_tokens  # noqa: E402

CASE = {"id": "casus-2024-117", "leeftijd": 14, "taak": "begeleidingsgesprekken",
        "signalen": [{"soort": "rouw", "ernst": "matig", "duur_weken": 3}]}
SECRET = "Jantje-de-Vries"  # stands for case content that must never come back in an error


@pytest.fixture(scope="module")
def server():
    with live() as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


@pytest.fixture(scope="module")
def policy():
    return grenzen.load_policy()


def test_import_grenzen_does_not_import_the_server():
    code = ("import sys, grenzen, grenzen.cli; grenzen.advise({'taak': 'signaleren'}); "
            "from grenzen.cli._main import build_parser; build_parser(); "
            "print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_advies_gives_the_librarys_advice_with_the_case_id(client, policy):
    response = client.post("/v1/advies", content=json.dumps(CASE))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "casus-2024-117"
    assert body == policy.advise(CASE).model_dump(mode="json")  # the library's advice carries the case's id too
    assert response.headers["x-grenzen-beleidsversie"] == policy.version
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in response.headers  # no CORS


def test_advies_without_id_echoes_null(client):
    assert client.post("/v1/advies", json={"taak": "signaleren"}).json()["id"] is None


@pytest.mark.parametrize(("body", "field", "message", "code"), [
    (b'{"taak": "signaleren", "taak": "signaleren"}', "(casus)",
     "kolom 24: deze sleutel staat twee keer in hetzelfde blok; voeg ze samen", "dubbele-sleutel"),
    (b'{"taak": "signaleren", "leeftijd": 1e400}', "(casus)", "dit getal is te groot of geen gewoon getal",
     "ongeldig-getal"),
    (b'{"taak": "signaleren", "leeftijd": NaN}', "(casus)", "dit getal is te groot of geen gewoon getal",
     "ongeldig-getal"),
    (b'["taak"]', "(casus)", "moet een object met velden zijn (een JSON-object)", "geen-object"),
    (b"taak: signaleren", "(casus)", "kolom 1: geen geldige JSON", "geen-geldige-json"),
    (b"", "(casus)", "de tekst is leeg", "leeg"),
    (b"\xff\xfe", "(casus)", "kolom 1: de tekst is geen UTF-8", "geen-utf8"),
    (b"[" * 100 + b"]" * 100, "(casus)", "de tekst is te diep genest", "te-diep"),
    (json.dumps({"taak": "signaleren", "leeftijd": 40}).encode(), "leeftijd", "mag hoogstens 25 zijn", "te-groot"),
])
def test_a_bad_case_is_422_in_the_batch_shape(client, body, field, message, code):
    # every error item carries its stable code: outside Python there was only the Dutch message to act on (a trial)
    response = client.post("/v1/advies", content=body)
    assert response.status_code == 422
    assert response.json() == {"fout": {"fouten": [{"veld": field, "melding": message, "code": code}]}}


def test_errors_never_echo_case_content(client):
    for case in ({"taak": "signaleren", SECRET: 1}, {"taak": SECRET},
                 {"taak": "signaleren", "signalen": [{"soort": SECRET, "ernst": "licht"}]},
                 {"taak": "signaleren", "leeftijd": SECRET}, {"taak": "signaleren", "id": SECRET + " "}):
        for path in ("/v1/advies", "/v1/wat-als"):
            response = client.post(path, json=case)
            assert response.status_code == 422, (path, case)
            assert SECRET not in response.text and SECRET.lower() not in response.text.lower()
            assert set(response.json()) == {"fout"}
    batch = client.post("/v1/advies/batch", json={"casussen": [{"taak": SECRET}]})
    assert SECRET not in batch.text


def test_batch_answers_each_case_in_order(client, policy):
    cases = [CASE, {"taak": "signaleren", "leeftijd": 40}, "geen object", {"taak": "signaleren"}]
    response = client.post("/v1/advies/batch", json={"casussen": cases})
    assert response.status_code == 200
    results = response.json()["resultaten"]
    assert len(results) == 4
    assert results[0]["route"] == policy.advise(CASE).route and results[0]["id"] == CASE["id"]
    assert results[1] == {"fout": {"fouten": [{"veld": "leeftijd", "melding": "mag hoogstens 25 zijn",
                                                "code": "te-groot"}], "nummer": 2}}
    assert results[2]["fout"]["nummer"] == 3 and results[2]["fout"]["fouten"][0]["veld"] == "(casus)"
    assert results[3]["route"] == policy.advise({"taak": "signaleren"}).route
    assert response.json()["beleid"] == {"naam": policy.name, "versie": policy.version}


def test_a_case_the_reader_refuses_costs_only_itself_in_a_batch(client, policy):
    """A duplicate key in one case (here in a suicidal plan's signal) refused the whole batch with 422 and no number,
    and the other cases, an acute one among them, got no advice (an integrator trial). Now that case gets its error
    object with its number, as a wrong type always did; the same for a number that is not finite and for nesting too
    deep. A problem outside the cases still refuses the whole body."""
    acute = {"taak": "signaleren", "signalen": [{"soort": "suicidaal_plan", "ernst": "acuut"}]}
    deep = '{"taak":"signaleren","x":' + "[" * 70 + "]" * 70 + "}"
    body = ('{"casussen":[{"taak":"signaleren","signalen":[{"soort":"suicidaal_plan","soort":"pesten",'
            '"ernst":"licht"}]},' + json.dumps(acute) + ',{"taak":"signaleren","leeftijd":NaN},' + deep +
            ',{"taak":"signaleren","leeftijd":1' + "0" * 5000 + '},{"taak":"signaleren"}]}')
    response = client.post("/v1/advies/batch", content=body.encode())
    assert response.status_code == 200, response.text
    results = response.json()["resultaten"]
    codes = {n: r["fout"]["fouten"][0]["code"] for n, r in enumerate(results, start=1) if "fout" in r}
    assert codes == {1: "dubbele-sleutel", 3: "ongeldig-getal", 4: "te-diep", 5: "ongeldig-getal"}, results
    assert all(results[n - 1]["fout"]["nummer"] == n for n in codes)
    assert results[0]["fout"]["fouten"][0]["veld"] == "(casus)" and "twee keer" in results[0]["fout"]["fouten"][0][
        "melding"]
    assert results[1]["route"] == policy.advise(acute).route != "mentor"
    assert results[5]["route"] == policy.advise({"taak": "signaleren"}).route
    doubled_list = client.post("/v1/advies/batch", content=b'{"casussen":[],"casussen":[{"taak":"signaleren"}]}')
    assert doubled_list.status_code == 422
    assert doubled_list.json()["fout"]["fouten"][0]["code"] == "dubbele-sleutel"
    assert client.post("/v1/advies/batch", content=b'{"casussen":[{"taak":"signaleren"}').status_code == 422
    # nesting past what Python's json reads refuses the whole body; Python 3.13's json reads 5,000 levels, and then
    # only that case is refused
    deepest = client.post("/v1/advies/batch", content=b'{"casussen":[' + b"[" * 5000 + b"]" * 5000 + b"]}")
    assert deepest.status_code == 422 or deepest.json()["resultaten"][0]["fout"]["fouten"][0]["code"] == "te-diep"


def test_batch_limits_and_shape(client):
    too_many = client.post("/v1/advies/batch", json={"casussen": [{"taak": "signaleren"}] * 1001})
    assert too_many.status_code == 422
    assert too_many.json()["fout"]["fouten"][0]["veld"] == "casussen"
    # a list over its maximum, as the docs say (an integrator trial: it was te-groot, the code of a body over the cap)
    assert too_many.json()["fout"]["fouten"][0]["code"] == "te-lang"
    assert len(client.post("/v1/advies/batch", json={"casussen": [{"taak": "signaleren"}] * 1000})
               .json()["resultaten"]) == 1000
    bodies: list[dict] = [{"casussen": {}}, {}, {"casussen": [], "extra": 1}]
    codes = ["geen-lijst", "verplicht-veld-ontbreekt", "onbekende-sleutel"]  # {}: it said geen-lijst (a trial)
    for body, code in zip(bodies, codes, strict=True):
        answer = client.post("/v1/advies/batch", json=body)
        assert answer.status_code == 422 and answer.json()["fout"]["fouten"][0]["code"] == code, body
    assert client.post("/v1/advies/batch", json={"casussen": []}).json()["resultaten"] == []


def test_wat_als_is_the_librarys_what_if(client, policy):
    case = {"leeftijd": 14, "taak": "begeleidingsgesprekken", "signalen": [{"soort": "rouw", "ernst": "matig"}]}
    body = client.post("/v1/wat-als", json=case).json()
    expected = policy.what_if(case)
    assert [item["veld"] for item in body["wat_als"]] == [c.path for c in expected]
    assert [f"Als {item['als']}, dan {item['dan']}." for item in body["wat_als"]] == [str(c) for c in expected]
    assert body["advies"]["route"] == policy.advise(case).route
    assert body["let_op"] == []
    # beside a safety signal the answer says what the changes leave out (an integrator trial: no word of it)
    danger = {"taak": "begeleidingsgesprekken", "signalen": [{"soort": "suicidaal_plan", "ernst": "licht"}]}
    body = client.post("/v1/wat-als", json=danger).json()
    assert body["let_op"] == [SAFETY_NOTE]
    assert all(item["veld"] != "signalen.0.soort" for item in body["wat_als"])


def test_beleid_has_the_vocabulary_with_labels_groups_and_anchors(client, policy):
    body = client.get("/v1/beleid").json()
    assert (body["naam"], body["versie"]) == (policy.name, policy.version)
    assert body["lagen"] == [{"naam": policy.name, "versie": policy.version}]
    signals = body["woordenlijst"]["signalen"]
    assert set(signals) == set(policy.vocabulary.signalen)
    for kind, term in policy.vocabulary.signalen.items():
        assert signals[kind]["label"] == term.label and signals[kind]["groep"] == term.groep
        assert signals[kind]["ernst"] == term.anchors() and signals[kind]["veiligheid"] == term.veiligheid
    assert set(body["woordenlijst"]["taken"]) == set(policy.vocabulary.taken)


def test_schemas_are_the_toolkits(client, policy):
    from grenzen.toolkit._schema import advice_schema, case_schema

    assert client.get("/v1/schema/casus").json() == case_schema(policy)
    assert client.get("/v1/schema/advies").json() == advice_schema(policy)


def test_every_advice_the_api_gives_validates_against_the_published_advice_schema(client, policy):
    # the API echoes the case's id; the published advice schema forbade any key it did not list, so an integrator who
    # validated the answers as the docs say saw each one fail (a trial)
    import jsonschema

    from grenzen.team._batch import advise_line

    validator = jsonschema.Draft202012Validator(client.get("/v1/schema/advies").json())
    case = {"id": "c-1", "taak": "signaleren", "signalen": [{"soort": "pesten", "ernst": "matig"}]}
    answers = [client.post("/v1/advies", json=case).json(),
               *client.post("/v1/advies/batch", json={"casussen": [case, {"taak": "signaleren"}]}).json()["resultaten"],
               client.post("/v1/wat-als", json=case).json()["advies"],
               json.loads(advise_line(policy, json.dumps(case), 1))]  # a JSON Lines line, which has no id
    assert answers[0]["id"] == "c-1"
    for answer in answers:
        validator.validate(answer)
    # every key is in every answer, id too (null without one): both schemas say so (an integrator trial found id not
    # required, so a generated client typed it as possibly missing)
    required = set(client.get("/v1/schema/advies").json()["required"])
    assert all(set(answer) == required for answer in answers)
    assert set(client.get("/openapi.json").json()["components"]["schemas"]["Advies"]["required"]) == required


def test_the_openapi_examples_are_a_case_of_this_policy_and_its_real_advice(client):
    """An integrator trial: the OpenAPI document had no examples. The example case is one a client can send as it is,
    and the example answer is what the service answers to it."""
    import jsonschema

    document = client.get("/openapi.json").json()
    posts = {path: document["paths"][path]["post"] for path in ("/v1/advies", "/v1/wat-als", "/v1/advies/batch")}
    case = posts["/v1/advies"]["requestBody"]["content"]["application/json"]["example"]
    jsonschema.Draft202012Validator(client.get("/v1/schema/casus").json()).validate(case)
    assert case["signalen"] and case["signalen"][0]["soort"] not in grenzen.load_policy().safety_kinds
    answer = client.post("/v1/advies", json=case).json()
    assert posts["/v1/advies"]["responses"]["200"]["content"]["application/json"]["example"] == answer
    assert posts["/v1/wat-als"]["requestBody"]["content"]["application/json"]["example"] == case
    batch = posts["/v1/advies/batch"]["requestBody"]["content"]["application/json"]["example"]
    assert client.post("/v1/advies/batch", json=batch).json()["resultaten"] == [answer]


def test_health_and_readiness(client, policy):
    assert client.get("/v1/gezondheid").json() == {"status": "ok"}
    assert client.get("/v1/gereed").json() == {"status": "gereed",
                                               "beleid": {"naam": policy.name, "versie": policy.version}}


def test_openapi_document_and_docs_page(client, policy):
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {"/v1/advies", "/v1/advies/batch", "/v1/wat-als", "/v1/beleid", "/v1/schema/casus", "/v1/schema/advies",
            "/v1/gezondheid", "/v1/gereed", "/v1/beheer/herladen"} <= set(document["paths"])
    casus = document["components"]["schemas"]["Casus"]
    assert casus["properties"]["taak"]["enum"] == list(policy.vocabulary.taken)
    assert "#/$defs/" not in json.dumps(document)
    assert document["info"]["x-beleid"]["versie"] == policy.version
    page = client.get("/docs")
    assert page.status_code == 200 and "/v1/advies/batch" in page.text
    assert "cdn" not in page.text.lower() and "<script" not in page.text


def test_every_error_a_route_answers_is_in_the_openapi_document():
    """A trial: the document declared 401, 413, 415, 422 and 503, and a client generated from it met 405, 408 and 500
    as undeclared answers. Each refusal is provoked on every route and looked up in the document."""
    with live(Settings(tokens=(TOKEN,))) as server, server.client() as anonymous, server.client(TOKEN) as client:
        document = client.get("/openapi.json").json()
        for path, methods in document["paths"].items():
            for method, operation in methods.items():
                declared = {int(code) for code in operation["responses"]}
                other = "delete"
                answers = {client.request(other, path).status_code}  # a method the address does not take
                if path != "/v1/gezondheid":
                    answers.add(anonymous.request(method, path).status_code)  # no token
                    answers.add(client.request(method, path + "?x=1").status_code)  # a query
                    answers.add(client.request(method, path, content=b"x",
                                               headers={"content-encoding": "gzip"}).status_code)
                if method == "post":  # another website has a browser send it
                    answers.add(client.request(method, path, headers={"sec-fetch-site": "cross-site"}).status_code)
                if method == "post" and path != "/v1/beheer/herladen":
                    answers.add(client.request(method, path, content=b"{").status_code)  # not JSON
                    answers.add(client.request(method, path, content=b"x" * (server.app.state.settings.max_bytes + 1)
                                               ).status_code)
                assert answers - {200} <= declared, (method, path, sorted(answers - declared))
                assert {405, 500} <= declared, (method, path)
                # every answer carries the policy's version header, and the document says so (an integrator trial)
                assert all(response["headers"]["X-Grenzen-Beleidsversie"]["schema"] == {"type": "string"}
                           for response in operation["responses"].values()), (method, path)
                if method == "post" and path != "/v1/beheer/herladen":
                    assert {408, 413, 503} <= declared, (method, path)
        assert "404 (onbekend-adres)" in document["info"]["description"]


FOREIGN_POSTS = (("/v1/advies", json.dumps(CASE)), ("/v1/advies/batch", json.dumps([CASE])),
                 ("/v1/wat-als", json.dumps(CASE)), ("/v1/beheer/herladen", ""))


def _refused_everywhere(client: httpx.Client, headers: dict[str, str]) -> None:
    """A POST with ``headers`` is refused as sent by another website, on every API address and on the page."""
    for path, body in FOREIGN_POSTS:
        answer = client.post(path, content=body, headers={**headers, "content-type": "text/plain"})
        assert answer.status_code == 403, (headers, path)
        assert answer.json()["fout"]["fouten"][0]["code"] == "andere-website"
    page = client.post("/", data={"taak": "signaleren"}, headers=headers)
    assert page.status_code == 403 and "andere website" in page.text


def test_a_post_another_website_has_a_browser_send_is_refused(tmp_path):
    """An integrator trial, on a service without a token: any web page a staff member had open could reload the policy
    or post cases into the decision log (a form or fetch with Content-Type text/plain needs no permission). A browser
    says so in Sec-Fetch-Site; programs and the service's own page are not refused."""
    log = tmp_path / "besluiten.jsonl"
    with live(Settings(decision_log=log)) as server, server.client() as client:
        for site in ("cross-site", "same-site", "CROSS-SITE"):
            _refused_everywhere(client, {"sec-fetch-site": site})
        assert not log.exists() or log.read_text(encoding="utf-8") == ""  # nothing reached the decision log
        for headers in ({}, {"sec-fetch-site": "same-origin"}, {"sec-fetch-site": "none"}):
            assert client.post("/v1/advies", json=CASE, headers=headers).status_code == 200
            assert client.post("/", data={"taak": "signaleren"}, headers=headers).status_code == 200
        assert client.get("/v1/beleid", headers={"sec-fetch-site": "cross-site"}).status_code == 200  # reading


def test_a_browser_without_fetch_metadata_is_judged_by_its_origin(tmp_path):
    """An integrator trial: Safari before 16.4 sends no Sec-Fetch-Site, so a page on another site could still have it
    post cases (text/plain is read as JSON) or reload the policy. Such a browser sends Origin with every POST: another
    host, or "null" (a sandboxed page, a file), is refused; the service's own host, with or without its default port,
    is not, nor a program that sends neither header."""
    log = tmp_path / "besluiten.jsonl"
    with live(Settings(decision_log=log)) as server, server.client() as client:
        own = server.url.rstrip("/")
        host = own.partition("://")[2]
        for origin in ("https://kwaadaardig.example", "null", f"http://{host}.example", "http://127.0.0.2"):
            _refused_everywhere(client, {"origin": origin})
        assert not log.exists() or log.read_text(encoding="utf-8") == ""  # nothing reached the decision log
        assert client.post("/", data={"taak": "signaleren"}, headers={"origin": own}).status_code == 200
        assert client.post("/v1/advies", json=CASE, headers={"origin": own.upper()}).status_code == 200
        answer = client.post("/v1/advies", json=CASE, headers={"origin": "http://school.example",
                                                                 "host": "school.example:80"})
        assert answer.status_code == 200
        # fetch metadata, where the browser sends it, decides: a proxy may have rewritten Host
        assert client.post("/v1/advies", json=CASE, headers={"origin": "https://school.example",
                                                              "sec-fetch-site": "same-origin"}).status_code == 200


def test_two_tokens_are_refused_and_a_service_without_one_declares_none():
    """An integrator trial: a wrong token, then a right one, in two Authorization headers was let in; and the OpenAPI
    document of a service without a token said every call needs a bearer token."""
    with live(Settings(tokens=(TOKEN,))) as server, server.client() as client:
        headers = [("authorization", "Bearer verkeerd-token-123"), ("authorization", f"Bearer {TOKEN}")]
        assert client.get("/v1/beleid", headers=headers).status_code == 401
        assert client.get("/v1/beleid", headers=[headers[1], headers[0]]).status_code == 401
        assert client.get("/v1/beleid", headers=[headers[1]]).status_code == 200  # one, right
        assert "securitySchemes" in client.get("/openapi.json").json()["components"]
    with live() as server, server.client() as client:
        document = client.get("/openapi.json").json()
        assert "securitySchemes" not in document["components"] and "security" not in json.dumps(document["paths"])
        assert all("401" not in operation["responses"] for methods in document["paths"].values()
                   for operation in methods.values())


def test_unknown_paths_and_methods_are_dutch(client):
    assert client.get("/v1/niets").json() == {"fout": {"fouten": [{"veld": "(verzoek)",
                                                                   "melding": "deze pagina bestaat niet",
                                                                   "code": "onbekend-adres"}]}}
    wrong = client.get("/v1/advies")
    assert wrong.status_code == 405 and wrong.json()["fout"]["fouten"][0]["melding"] == "deze methode kan hier niet"
    assert wrong.json()["fout"]["fouten"][0]["code"] == "verkeerde-methode"
    assert "x-grenzen-beleidsversie" in wrong.headers


def test_a_trailing_slash_is_a_dutch_404_not_a_redirect(client):
    """It was a 307 with an empty body to an address built from the Host header (behind a proxy: an inner one)."""
    for method, path in (("POST", "/v1/advies/"), ("GET", "/v1/beleid/"), ("POST", "/advies/")):
        answer = client.request(method, path, json={"taak": "signaleren"}, follow_redirects=False)
        assert answer.status_code == 404 and "location" not in answer.headers
        assert answer.json() == {"fout": {"fouten": [{"veld": "(verzoek)", "melding": "deze pagina bestaat niet",
                                                      "code": "onbekend-adres"}]}}


def test_body_over_the_cap_is_413():
    with live(Settings(max_bytes=2000)) as server, server.client() as client:
        big = json.dumps({"taak": "signaleren", "id": "x" * 3000}).encode()
        response = client.post("/v1/advies", content=big)
        assert response.status_code == 413 and response.headers["x-grenzen-beleidsversie"]
        assert response.json() == {"fout": {"fouten": [{"veld": "(casus)",
                                                         "melding": "de tekst is te groot (meer dan 2.000 bytes)",
                                                         "code": "te-groot"}]}}
        assert response.content.startswith(b'{"fout":{"fouten":[{"veld":')  # compact, as every other answer

        def chunked():  # no Content-Length: refused while it streams
            for _ in range(10):
                yield b" " * 1000

        streamed = client.post("/v1/advies", content=chunked())
        assert streamed.status_code == 413
        assert client.post("/v1/advies", json={"taak": "signaleren"}).status_code == 200


@pytest.mark.parametrize("chunked", [False, True])
def test_a_client_that_sends_a_large_body_first_reads_the_413_not_a_reset(chunked):
    """Node's http sends the whole body before it reads the answer: with 20 MB it got ECONNRESET, not the 413 (an
    integrator trial), because the service closed the connection with the body unread. Now a body over the cap is read
    and thrown away first (up to ``DRAIN_BYTES``)."""
    part = b" " * (1 << 16)
    size = 320 * len(part)  # about 20 MB
    with live(Settings(max_bytes=2000)) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as raw:
            framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % size
            raw.sendall(b"POST /v1/advies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing
                        + b"\r\n\r\n")
            for _ in range(size // len(part)):
                raw.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
            if chunked:
                raw.sendall(b"0\r\n\r\n")
            answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:60]
    assert b'"code":"te-groot"' in answer


def test_a_request_that_asks_to_upgrade_to_http2_keeps_its_body():
    """Java's HttpClient asks every request on http:// to upgrade to HTTP/2 (``Upgrade: h2c``): uvicorn's httptools
    parser then lost the body, and an acute suicide plan came back as "de tekst is leeg" (an integrator trial). The
    service answers over HTTP/1.1 with the body read, as `grenzen serve` runs it (``HTTP_PARSER``)."""
    body = json.dumps({"taak": "signaleren", "signalen": [{"soort": "suicidaal_plan", "ernst": "acuut"}]}).encode()
    with live(Settings()) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"POST /v1/advies HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                        b"Upgrade: h2c\r\nHTTP2-Settings: AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA\r\n"
                        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            answer = b""
            while b'"beleid"' not in answer and (part := raw.recv(65536)):
                answer += part
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:80]
    assert b'"route":"extern"' in answer and b'"urgentie":"direct"' in answer


def test_a_client_that_waits_for_100_continue_gets_the_413_at_once():
    # curl asks first for a large body: it then gets the 413 instead of the go-ahead, and sends nothing
    with live(Settings(max_bytes=2000)) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"POST /v1/advies HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n"
                        b"Expect: 100-continue\r\n\r\n")
            answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:60]


def test_a_body_with_a_content_encoding_is_415(client):
    """A gzip body got "de tekst is geen UTF-8", and a plain body sent as gzip was advised as if plain (a trial)."""
    import gzip

    plain = json.dumps({"taak": "signaleren"}).encode()
    for body, encoding in ((gzip.compress(plain), "gzip"), (plain, "gzip"), (plain, "br"), (plain, "GZIP, identity")):
        answer = client.post("/v1/advies", content=body, headers={"content-encoding": encoding})
        assert answer.status_code == 415, (encoding, answer.text)
        assert answer.json()["fout"]["fouten"][0]["code"] == "ingepakt"
        assert answer.headers["accept-encoding"] == "identity" and answer.headers["x-grenzen-beleidsversie"]
    assert client.post("/v1/advies", content=plain, headers={"content-encoding": "identity"}).status_code == 200


def test_a_body_that_stops_coming_is_408_and_the_server_stays_usable():
    """A client that sent the headers and part of a body held its request open for good, and a shutdown waited for it
    (an integrator's trial). Now the request ends with 408 once no part came for ``body_seconds``."""
    with live(Settings(body_seconds=0.5)) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"POST /v1/advies HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"taak\"")
            started = time.monotonic()
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                part = raw.recv(4096)
                if not part:
                    break
                answer += part
            waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b'"code":"te-traag"' in answer and 0.4 < waited < 5
        with server.client() as client:
            assert client.post("/v1/advies", json={"taak": "signaleren"}).status_code == 200


def test_a_body_that_trickles_in_is_408_after_the_total_time():
    """A byte every few seconds kept a request, and a shutdown, waiting for ever (a second integrator's trial)."""
    with live(Settings(body_seconds=1.0, body_total_seconds=1.5)) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"POST /v1/advies HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            started, answer = time.monotonic(), b""
            raw.settimeout(0.4)
            while not answer and time.monotonic() - started < 5:
                with contextlib.suppress(TimeoutError):
                    answer = raw.recv(4096)
                if not answer:
                    raw.sendall(b" ")  # a byte within body_seconds, again and again
            waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408") and 1.3 < waited < 4, (answer[:100], waited)


def test_every_packed_encoding_is_refused_and_only_those(client):
    """'identity, identity' and an empty Content-Encoding were refused as packed, and a Transfer-Encoding of gzip
    was read as plain (a second integrator's trial)."""
    plain = json.dumps({"taak": "signaleren"}).encode()
    for headers in ({"content-encoding": "identity, identity"}, {"content-encoding": ""},
                    {"content-encoding": "Identity"}):
        assert client.post("/v1/advies", content=plain, headers=headers).status_code == 200, headers
    from grenzen.server._guard import _packed

    assert _packed([(b"Transfer-Encoding", b"gzip, chunked")]) and _packed([(b"content-encoding", b"identity"),
                                                                           (b"content-encoding", b"br")])
    assert not _packed([(b"transfer-encoding", b"chunked"), (b"content-encoding", b"identity")])


def test_a_client_that_leaves_is_no_unexpected_error(caplog):
    """A client that went away while it sent its body was logged as "Onverwachte fout ... (ClientDisconnect)" at ERROR
    level, and the guard tried to answer it with a 500 (an integrator's trial)."""
    import asyncio
    import logging
    from types import SimpleNamespace

    from starlette.requests import ClientDisconnect

    from grenzen.server._guard import Guard

    async def leaves(scope, receive, send):
        raise ClientDisconnect

    sent: list = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.disconnect"}

    holder = SimpleNamespace(policy=SimpleNamespace(version="v1"))
    guard = Guard(leaves, holder, Settings())  # type: ignore[arg-type]
    scope = {"type": "http", "method": "POST", "path": "/advies", "headers": [], "query_string": b""}
    with caplog.at_level(logging.INFO, logger="grenzen.server"):
        asyncio.run(guard(scope, receive, send))
    assert sent == [] and not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("verbrak de verbinding" in r.getMessage() for r in caplog.records)


def test_tokens():
    with live(Settings(tokens=(TOKEN, "een-tweede-token-van-16"))) as server:
        with server.client() as anonymous:
            refused = anonymous.post("/v1/advies", json={"taak": "signaleren"})
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert refused.headers["x-grenzen-beleidsversie"] == server.holder.policy.version  # every answer has it
            assert refused.json()["fout"]["fouten"][0]["veld"] == "(verzoek)"
            for path in ("/v1/beleid", "/v1/gereed", "/v1/schema/casus"):
                assert anonymous.get(path).status_code == 401
            assert anonymous.post("/v1/beheer/herladen").status_code == 401
            assert anonymous.get("/v1/gezondheid").status_code == 200  # liveness needs no token
            head = anonymous.head("/v1/gezondheid")  # as load balancers often ask
            assert head.status_code == 200 and head.content == b""
            assert anonymous.head("/v1/gereed").status_code == 401
            assert anonymous.get("/v1/gereed", headers={"authorization": "Bearer fout-token"}).status_code == 401
            assert anonymous.get("/v1/gereed", headers={"authorization": TOKEN}).status_code == 401  # no scheme
        with server.client(TOKEN) as client:  # HEAD wherever GET works, with GET's headers (a second trial: 405)
            for path in ("/v1/gereed", "/v1/beleid", "/v1/schema/casus", "/openapi.json", "/", "/beleid",
                         "/stijl.css", "/v1/gezondheid"):
                got, head = client.get(path), client.head(path)
                assert head.status_code == got.status_code == 200 and head.content == b"", path
                assert head.headers["content-type"] == got.headers["content-type"], path
            assert client.head("/v1/advies").status_code == 405  # POST only
        for token in (TOKEN, "een-tweede-token-van-16"):
            with server.client(token) as client:
                assert client.post("/v1/advies", json={"taak": "signaleren"}).status_code == 200


def test_token_file_and_settings(tmp_path, monkeypatch):
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# de koppeling met het leerlingvolgsysteem\n{TOKEN}\n\nnog-een-token-van-lengte\n")
    assert read_tokens(tokens) == (TOKEN, "nog-een-token-van-lengte")
    tokens.write_text("kort\n")
    with pytest.raises(grenzen.GrenzenError, match="korter dan 16"):
        read_tokens(tokens)
    # a comment after the token made it part of the token, which no client can send (a trial); never echoed
    tokens.write_text(f"{TOKEN} # de koppeling met het leerlingvolgsysteem\n")
    with pytest.raises(grenzen.GrenzenError, match="spatie in het token") as refused:
        read_tokens(tokens)
    assert TOKEN not in str(refused.value)
    monkeypatch.setenv("GRENZEN_TOKEN", TOKEN)
    monkeypatch.delenv("GRENZEN_TOKEN_BESTAND", raising=False)
    assert Settings.from_environment().tokens == (TOKEN,)
    assert Settings(tokens=(TOKEN,)).token_ok(f"bearer {TOKEN}") and not Settings(tokens=(TOKEN,)).token_ok(None)


def _args(**given):
    import argparse

    values = {"port": 8000, "workers": 1, "max_grootte": 1_000_000, "token_bestand": None, "host": "127.0.0.1",
              "zonder_token": False} | given
    return argparse.Namespace(**values)


def test_serve_refuses_another_address_without_a_token(monkeypatch):
    monkeypatch.delenv("GRENZEN_TOKEN", raising=False)
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.8.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.7") and not is_loopback("school.example")
    check(_args())
    with pytest.raises(grenzen.GrenzenError, match="zonder token"):
        check(_args(host="0.0.0.0"))
    check(_args(host="0.0.0.0", zonder_token=True))
    monkeypatch.setenv("GRENZEN_TOKEN", TOKEN)
    check(_args(host="0.0.0.0"))
    for wrong in ({"port": 0}, {"workers": 0}, {"max_grootte": 10}):
        with pytest.raises(grenzen.GrenzenError):
            check(_args(**wrong))


def test_a_token_with_a_space_is_refused_and_an_open_api_is_said_at_the_start(monkeypatch, capsys):
    """An integrator trial: GRENZEN_TOKEN 'abcdefgh ijklmnopqrst' started (the docs say a token has no spaces; no
    client sends it), and a service on loopback without a token was open without a word."""
    import uvicorn

    from grenzen.cli import main

    monkeypatch.setenv("GRENZEN_TOKEN", "abcdefgh ijklmnopqrst")
    with pytest.raises(grenzen.GrenzenError, match="GRENZEN_TOKEN heeft een spatie"):
        check(_args())
    with pytest.raises(grenzen.GrenzenError, match="GRENZEN_TOKEN heeft een spatie"):  # the app factory started as is
        Settings.from_environment()
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *args, **kwargs: None)  # start, and stop at once
    monkeypatch.delenv("GRENZEN_TOKEN")
    import socket

    with socket.socket() as probe:  # a port that is free now
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    assert main(["serve", "--port", port]) == 0
    assert "Let op: de API (/v1/) op 127.0.0.1 vraagt geen token; alleen wie deze computer gebruikt" in \
        capsys.readouterr().err
    monkeypatch.setenv("GRENZEN_TOKEN", TOKEN)
    assert main(["serve", "--port", port]) == 0
    assert "vraagt geen token" not in capsys.readouterr().err
    # with a token on another address: the mentors' page is not behind it, and that is said (an integrator trial)
    assert main(["serve", "--host", "0.0.0.0", "--port", port]) == 0
    assert "het token geldt alleen voor de API (/v1/). De webpagina voor mentoren (/) op 0.0.0.0 vraagt geen token" \
        in capsys.readouterr().err


def test_serve_command_refuses_in_dutch(monkeypatch):
    from grenzen.cli import main

    monkeypatch.delenv("GRENZEN_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0"]) == 1
    assert main(["serve", "--regels", "/geen/map"]) == 1


def test_serve_says_in_dutch_that_the_port_is_taken(monkeypatch, capsys, tmp_path):
    """uvicorn said it in English (``[Errno 98] ... address already in use``, exit 3): an integrator trial."""
    import socket

    from grenzen.cli import main

    monkeypatch.delenv("GRENZEN_TOKEN", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"Kan niet luisteren op 127.0.0.1 poort {port}: dit adres en deze poort zijn al in gebruik" in err
    assert "Errno" not in err and "Traceback" not in err
    assert main(["serve", "--host", "192.0.2.7", "--zonder-token"]) == 1  # an address of another computer
    err = capsys.readouterr().err
    assert "dit adres hoort niet bij deze computer. Kies met --host een adres van deze computer" in err
    assert "--port" not in err  # the port is not the problem (a second trial)
    missing = tmp_path / "geen-tokens"
    assert main(["serve", "--token-bestand", str(missing)]) == 1
    err = capsys.readouterr().err
    assert "Kan het tokenbestand niet lezen" in err and "(bestand of map bestaat niet)" in err and "Error" not in err


def test_serve_without_the_extra_says_how_to_install_it(monkeypatch, capsys):
    from grenzen.cli import main

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if grenzen[server] was not installed
    assert main(["serve"]) == 1
    assert "pip install 'grenzen[server]'" in capsys.readouterr().err


def test_engine_failure_is_503_and_no_advice(server, monkeypatch):
    with server.client() as client:
        def broken(*args, **kwargs):
            raise grenzen.EngineError("de regelmachine faalde")

        monkeypatch.setattr(server.holder.policy, "advise", broken)
        response = client.post("/v1/advies", json={"taak": "signaleren"})
        assert response.status_code == 503
        assert response.json() == {"fout": {"fouten": [{
            "veld": "(engine)", "melding": "de regelmachine faalde; geen advies — leg de casus voor aan het zorgteam",
            "code": "engine"}]}}
        batch = client.post("/v1/advies/batch", json={"casussen": [{"taak": "signaleren"}]}).json()
        assert batch["resultaten"][0]["fout"]["fouten"][0]["veld"] == "(engine)"
        page = client.post("/advies", data={"taak": "signaleren"})
        assert page.status_code == 503 and "leg de casus voor aan het zorgteam" in page.text


def test_an_unexpected_failure_is_500_without_content(server, monkeypatch):
    with server.client() as client:
        def broken(*args, **kwargs):
            raise KeyError(SECRET)

        monkeypatch.setattr(server.holder.policy, "advise", broken)
        response = client.post("/v1/advies", json={"taak": "signaleren"})
        assert response.status_code == 500 and SECRET not in response.text
        assert "zorgteam" in response.json()["fout"]["fouten"][0]["melding"]


def _copy_rules(tmp_path: Path) -> Path:
    from grenzen.pipeline._load import default_rules_dir

    target = tmp_path / "regels"
    shutil.copytree(default_rules_dir(), target)
    return target


def test_a_reload_with_a_body_is_refused_and_reloads_nothing(tmp_path):
    """An integrator trial: POST /v1/beheer/herladen with new rules in its body answered 200 and ignored them. It reads
    no body, so one is refused (nothing reloaded); an empty one, or only white space, is no body."""
    rules = _copy_rules(tmp_path)
    with live(Settings(rules=rules)) as server, server.client() as client:
        before = client.get("/v1/gereed").json()["beleid"]["versie"]
        (rules / "woordenlijst.yaml").write_text((rules / "woordenlijst.yaml").read_text(encoding="utf-8") + "\n# anders\n",
                                                 encoding="utf-8")
        for body in ('{"regels": "thema_nieuw.yaml"}', "naam: x"):
            refused = client.post("/v1/beheer/herladen", content=body)
            assert refused.status_code == 422 and refused.json()["fout"]["fouten"][0]["code"] == "verzoek"
            assert "leest geen body" in refused.json()["fout"]["fouten"][0]["melding"]
            assert client.get("/v1/gereed").json()["beleid"]["versie"] == before
        reloaded = client.post("/v1/beheer/herladen", content=" \n")
        assert reloaded.status_code == 200 and reloaded.json()["beleid"]["versie"] != before


@pytest.mark.slow
def test_reload_swaps_and_a_broken_policy_keeps_the_old_one(tmp_path):
    rules = _copy_rules(tmp_path)
    with live(Settings(rules=rules)) as server, server.client() as client:
        before = client.get("/v1/gereed").json()["beleid"]["versie"]
        vocabulary = rules / "woordenlijst.yaml"
        good = vocabulary.read_text(encoding="utf-8")
        vocabulary.write_text(good + "\n# een opmerking verandert de versie\n", encoding="utf-8")
        reloaded = client.post("/v1/beheer/herladen")
        assert reloaded.status_code == 200 and reloaded.json()["herladen"] is True
        after = reloaded.json()["beleid"]["versie"]
        assert after != before and reloaded.headers["x-grenzen-beleidsversie"] == after
        assert client.post("/v1/advies", json={"taak": "signaleren"}).json()["beleid"]["versie"] == after
        vocabulary.write_text(good + "\nnaam: [\n", encoding="utf-8")
        refused = client.post("/v1/beheer/herladen")
        assert refused.status_code == 422 and refused.json()["herladen"] is False
        assert refused.json()["beleid"]["versie"] == after
        problem = refused.json()["fout"]["fouten"][0]
        assert "woordenlijst.yaml:" in problem["veld"] and "geen geldige YAML" in problem["melding"]
        assert problem["code"] == "geen-geldige-yaml"  # the rules' problem's own code
        assert client.post("/v1/advies", json={"taak": "signaleren"}).json()["beleid"]["versie"] == after
        # both answers are what the OpenAPI document declares (a trial: the 422 was declared as a bare Fout)
        document = client.get("/openapi.json").json()
        declared = document["paths"]["/v1/beheer/herladen"]["post"]["responses"]
        assert declared["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Herladen"}
        assert {"$ref": "#/components/schemas/Herladen"} in declared["422"]["content"]["application/json"]["schema"][
            "anyOf"]
        herladen = document["components"]["schemas"]["Herladen"]
        assert set(refused.json()) <= set(herladen["properties"]) and set(reloaded.json()) <= set(herladen["properties"])
        # a reload that takes a safety flag away says so in its answer, not only in the log (a trial)
        text = good.replace("    veiligheid: ja", "    veiligheid: nee", 1)
        vocabulary.write_text(text, encoding="utf-8")
        unsafe = client.post("/v1/beheer/herladen").json()
        assert unsafe["herladen"] is True and len(unsafe["waarschuwingen"]) == 1
        assert unsafe["waarschuwingen"][0].startswith("deze soorten zijn geen veiligheidssignaal meer")
        assert reloaded.json()["waarschuwingen"] == []


def test_the_echo_of_a_reload_is_skipped_once_and_a_failed_hand_on_skips_nothing(tmp_path):
    """``reload_others``: the SIGHUP this worker has the supervisor pass on comes back to it and is not a second
    reload; when the supervisor cannot be reached no echo comes, and the next real SIGHUP must reload (a review)."""
    import subprocess as sp

    from grenzen.server._holder import PolicyHolder

    holder = PolicyHolder(_copy_rules(tmp_path), 1_000_000)
    sleeper = sp.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
                        "time.sleep(30)"])
    try:
        time.sleep(0.3)  # its handler is in
        holder.reload_others(sleeper.pid)
    finally:
        sleeper.kill()
        sleeper.wait()
    holder.reload_on_signal()  # the echo
    assert holder.reloads == 0
    holder.reload_on_signal()  # a real one
    assert holder.reloads == 1
    with pytest.raises(ProcessLookupError):
        holder.reload_others(sleeper.pid)  # gone
    holder.reload_on_signal()
    assert holder.reloads == 2


def test_a_reload_that_loses_a_safety_kind_is_logged(tmp_path, caplog):
    """A reload that renamed a safety kind was accepted without a word (a second trial); it still is (the policy
    loads), but the service log names the kinds that are gone."""
    from grenzen.server._holder import PolicyHolder

    rules = _copy_rules(tmp_path)
    holder = PolicyHolder(rules, 1_000_000)
    vocabulary = rules / "woordenlijst.yaml"
    text = vocabulary.read_text(encoding="utf-8")
    flag = text.index("    veiligheid: ja", text.index("  sexting:\n"))  # the flag of sexting's entry
    vocabulary.write_text(text[:flag] + "    veiligheid: nee" + text[flag + len("    veiligheid: ja"):], encoding="utf-8")
    with caplog.at_level("WARNING", logger="grenzen.server"):
        outcome = holder.reload()
    assert outcome.ok and "sexting" not in holder.policy.safety_kinds
    # the kind is still there, without its flag: it said "staan niet meer in het beleid … krijgt een fout" (a trial)
    [record] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "geen veiligheidssignaal meer" in record.getMessage() and "sexting" in record.getMessage()
    caplog.clear()
    with caplog.at_level("WARNING", logger="grenzen.server"):
        assert holder.reload().ok  # nothing lost since the last reload: no warning
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    holder = PolicyHolder(_copy_rules(tmp_path / "opnieuw"), 1_000_000)  # now renamed: gone from the policy
    text = (tmp_path / "opnieuw" / "regels" / "woordenlijst.yaml").read_text(encoding="utf-8")
    for path in (tmp_path / "opnieuw" / "regels").glob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("sexting", "sekstingg"), encoding="utf-8")
    with caplog.at_level("WARNING", logger="grenzen.server"):
        assert holder.reload().ok
    [record] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "staan niet meer in het beleid: sexting" in record.getMessage() and "sexting" in text


def test_the_policy_served_is_named_in_the_log_at_start(tmp_path, caplog):
    # the log said which policy a reload brought, but not which one the service started with (a trial)
    from grenzen.server._holder import PolicyHolder

    with caplog.at_level("INFO", logger="grenzen.server"):
        holder = PolicyHolder(_copy_rules(tmp_path), 1_000_000)
    [record] = [r for r in caplog.records if r.getMessage().startswith("Beleid geladen: ")]
    assert f"versie {holder.policy.version} ({len(holder.policy.rules)} regels)" in record.getMessage()


@pytest.mark.slow
def test_requests_during_reloads_all_succeed(tmp_path):
    import threading

    rules = _copy_rules(tmp_path)
    with live(Settings(rules=rules)) as server:
        failures, done = [], threading.Event()

        def ask():
            with server.client() as client:
                while not done.is_set():
                    response = client.post("/v1/advies", json=CASE)
                    if response.status_code != 200 or response.json()["route"] != "zorgteam":
                        failures.append(response.status_code)

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        with server.client() as client:
            for _ in range(5):
                assert client.post("/v1/beheer/herladen").json()["herladen"] is True
        done.set()
        for thread in threads:
            thread.join()
        assert failures == [] and server.holder.reloads == 5


@pytest.mark.slow
def test_decision_log_has_only_audit_fields(tmp_path, policy):
    log = tmp_path / "beslissingen.jsonl"
    with live(Settings(decision_log=log, activity="va-0042")) as server, server.client() as client:
        case = dict(CASE, leerjaar=2)
        trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        client.post("/v1/advies", json=case, headers={"traceparent": trace})
        client.post("/v1/advies", json=case, headers={"traceparent": "00-" + SECRET})
        # two traceparent headers are no trace context (W3C Trace Context): the first one was logged (a trial)
        client.post("/v1/advies", json=case, headers=[("traceparent", trace.replace("4bf9", "aaaa")),
                                                     ("traceparent", trace)])
        client.post("/v1/advies/batch", json={"casussen": [case, {"taak": SECRET}]})
        client.post("/v1/wat-als", json=case)
        client.post("/advies", data={"taak": "signaleren"})  # the mentors' page is never logged
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 5  # three advices, the one valid case of the batch, the what-if's advice
    first = lines[0]
    record = policy.audit_record(case, policy.advise(case))
    assert first["input"] == record.gebruikte_gegevens
    assert first["result"]["route"] == record.route and first["result"]["regels"] == record.regels
    assert first["bundles"] == {policy.name: {"revision": policy.version}}
    assert first["labels"] == {"app": "grenzen", "verwerkingsactiviteit": "va-0042"}
    assert first["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736" and first["span_id"] == "00f067aa0ba902b7"
    assert "trace_id" not in lines[1] and "trace_id" not in lines[2] and lines[3]["path"] == "grenzen/v1/advies/batch"
    text = log.read_text(encoding="utf-8")
    assert lines[4]["path"] == "grenzen/v1/wat-als"
    assert "casus-2024-117" not in text and SECRET not in text and len({e["decision_id"] for e in lines}) == 5
    assert oct(log.stat().st_mode & 0o777) == "0o600"


def test_decision_log_is_off_by_default(server, monkeypatch):
    assert Settings().decision_log is None and not server.app.state.log.enabled
    monkeypatch.setattr(os, "write", lambda *a: pytest.fail("the decision log wrote"))
    with server.client() as client:
        assert client.post("/v1/advies", json=CASE).status_code == 200


def test_no_outgoing_network(monkeypatch, client):
    seen = []
    original = socket.socket.connect

    def watch(self, address):
        seen.append(address)
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", watch)
    for path in ("/", "/beleid", "/docs", "/openapi.json", "/v1/beleid"):
        client.get(path)
    client.post("/v1/wat-als", json=CASE)
    client.post("/advies", data={"taak": "signaleren", "soort": "rouw", "ernst_rouw": "matig"})
    assert all(isinstance(a, tuple) and a[0] == "127.0.0.1" for a in seen)  # only the test's own client


def test_the_service_gives_the_librarys_advice_for_random_cases(client, policy):
    cases = random_cases(policy, 1000)
    results = client.post("/v1/advies/batch", json={"casussen": cases}).json()["resultaten"]
    for case, result in zip(cases, results, strict=True):
        assert result["id"] == case["id"] and result == policy.advise(case).model_dump(mode="json")


@pytest.mark.slow
def test_one_request_per_case_for_1000_random_cases(client, policy):
    for case in random_cases(policy, 1000, seed=15):
        body = client.post("/v1/advies", json=case).json()
        assert body["id"] == case["id"] and body == policy.advise(case).model_dump(mode="json")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen, token: str | None = None) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            if httpx.get(url + "/v1/gezondheid", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("grenzen serve did not start")


def _until_new_version(url: str, headers: dict[str, str], before: str) -> None:
    """Wait until every worker answers with one version, not ``before`` (at most 30 s)."""
    import httpx

    deadline, versions = time.monotonic() + 30, {before}
    while time.monotonic() < deadline:
        versions = {httpx.get(url + "/v1/gereed", headers=headers, trust_env=False).json()["beleid"]["versie"]
                    for _ in range(8)}
        if before not in versions:
            break
        time.sleep(0.2)
    assert before not in versions and len(versions) == 1


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_grenzen_serve_reloads_on_sighup(tmp_path, workers):
    import httpx

    rules = _copy_rules(tmp_path)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRENZEN_")} | {"GRENZEN_TOKEN": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "grenzen", "serve", "--regels", str(rules), "--port", str(port),
                             "--workers", str(workers)], env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    headers = {"authorization": f"Bearer {TOKEN}"}
    try:
        _wait(url, proc)
        before = httpx.get(url + "/v1/gereed", headers=headers, trust_env=False).json()["beleid"]["versie"]
        (rules / "woordenlijst.yaml").write_text((rules / "woordenlijst.yaml").read_text() + "\n# nieuw\n")
        proc.send_signal(signal.SIGHUP)
        _until_new_version(url, headers, before)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    # each worker process says what it serves when it starts. Not an exact count: uvicorn may start a worker again (a
    # late health ping, or its own SIGHUP handling), and one started just before SIGTERM says 'Beleid geladen' but
    # never 'Started server process' (two CI runs: three for two workers, once with the machine idle)
    assert "Beleid herladen" in err and err.count("Beleid geladen: ") >= workers


@pytest.mark.slow
def test_a_reload_through_the_api_reloads_each_worker_once(tmp_path):
    """With two workers, the one that answers POST /v1/beheer/herladen reloads and has the supervisor pass SIGHUP on;
    the signal came back to it as well, so one reload logged three times for two workers (an integrator trial)."""
    import httpx

    rules = _copy_rules(tmp_path)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRENZEN_")} | {"GRENZEN_TOKEN": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "grenzen", "serve", "--regels", str(rules), "--port", str(port),
                             "--workers", "2"], env=env, stderr=subprocess.PIPE, text=True)
    url, headers = f"http://127.0.0.1:{port}", {"authorization": f"Bearer {TOKEN}"}
    try:
        _wait(url, proc)
        before = httpx.get(url + "/v1/gereed", headers=headers, trust_env=False).json()["beleid"]["versie"]
        (rules / "woordenlijst.yaml").write_text((rules / "woordenlijst.yaml").read_text() + "\n# nieuw\n")
        answer = httpx.post(url + "/v1/beheer/herladen", headers=headers, trust_env=False, timeout=30)
        assert answer.status_code == 200 and answer.json()["herladen"] is True
        _until_new_version(url, headers, before)
        time.sleep(1.0)  # a second reload of the answering worker would come now
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert err.count("Beleid herladen") == 2, err


@pytest.mark.parametrize("method, path", [("POST", "/v1/advies"), ("POST", "/v1/wat-als"), ("GET", "/v1/beleid")])
def test_the_api_refuses_answers_in_the_address(client, method, path):
    # a query string was silently ignored (a trial: ?leerling=Jan%20Jansen got an advice); it is never read, so it is
    # refused, and its content is not echoed
    answer = client.request(method, f"{path}?leerling={SECRET}", json=CASE if method == "POST" else None)
    assert answer.status_code == 422 and SECRET not in answer.text
    assert answer.json()["fout"]["fouten"][0]["veld"] == "(adres)"
    assert client.request(method, path, json=CASE if method == "POST" else None).status_code == 200


def test_the_api_asks_for_the_token_before_it_looks_at_the_address():
    with live(Settings(tokens=(TOKEN,))) as server, server.client() as anonymous:
        assert anonymous.post(f"/v1/advies?leerling={SECRET}", json=CASE).status_code == 401


def test_the_access_log_names_no_query_and_no_unknown_address():
    # uvicorn's access log wrote "POST /v1/advies?leerling=Jan%20Jansen" and "GET /v1/leerling/Jan%20Jansen"
    import logging

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    keep, access = Keep(), logging.getLogger("uvicorn.access")
    with live(log_level="info") as running, running.client(TOKEN) as client:
        access.addHandler(keep)  # after uvicorn set up its logging
        try:
            client.post(f"/v1/advies?leerling={SECRET}", json=CASE)
            client.get(f"/v1/leerling/{SECRET}")
            client.get(f"/{SECRET}")
            client.post("/v1/advies", json=CASE)
            client.get("/v1/gezondheid?x=1")
        finally:
            access.removeHandler(keep)
    assert len(lines) == 5 and not any(SECRET in line for line in lines), lines
    assert [line.split(" - ")[1] for line in lines] == ['"POST /v1/advies HTTP/1.1" 422', '"GET (onbekend adres) HTTP/1.1" 404', '"GET (onbekend adres) HTTP/1.1" 404',
            '"POST /v1/advies HTTP/1.1" 200', '"GET /v1/gezondheid HTTP/1.1" 200']
