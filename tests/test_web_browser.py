"""The mentors' pages in headless Chromium: axe-core finds no WCAG 2.1 A/AA violation on any page, the form works
by keyboard alone and without JavaScript, the browser reports no CSP violation; screenshots go to artefacts/web/.

Needs the system's Chromium (/usr/bin/chromium; Playwright's own browser download is not used) and axe-core from
npm in .axe/ (``npm install --prefix .axe axe-core@4``; .ci/run does both). Skipped without them, failed in CI.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
playwright = pytest.importorskip("playwright.sync_api")

from test_server_support import live  # noqa: E402

import grenzen  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "artefacts" / "web"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = pytest.mark.slow


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "chromium is not installed"
    if not AXE.exists():
        return "axe-core is not installed (npm install --prefix .axe axe-core@4)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server():
    with live() as running:
        yield running


@pytest.fixture(scope="module")
def policy():
    return grenzen.load_policy()


def _axe(page) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now (axe is injected past the page's CSP)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]} for v in result["violations"]]


def _shot(page, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def _fill_in(page, kinds: list[str]) -> None:
    page.select_option("#taak", "begeleidingsgesprekken")
    page.fill("#leeftijd", "14")
    for kind in kinds:
        page.check(f"#soort_{kind}")
    page.click("button[type=submit]")


def test_every_page_has_no_axe_violations(browser, server):
    context = browser.new_context(bypass_csp=True)  # only to inject axe; the CSP itself is checked below
    page = context.new_page()
    found = {}
    page.goto(server.url + "/")
    found["vraag"] = _axe(page)
    _shot(page, "1-vraag")
    page.fill("#leeftijd", "40")
    page.click("button[type=submit]")  # the browser's own check stops it: submit past it, as an old browser would
    page.evaluate("document.querySelector('form').noValidate = true")
    page.click("button[type=submit]")
    found["vraag-met-fout"] = _axe(page)
    _shot(page, "2-vraag-met-fout")
    page.goto(server.url + "/")
    _fill_in(page, ["rouw", "pesten"])
    found["ernst"] = _axe(page)
    _shot(page, "3-ernst")
    page.check("#ernst_rouw_matig")
    page.check("#ernst_pesten_ernstig")
    page.fill("#duur_rouw", "3")
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Advies"
    found["advies"] = _axe(page)
    _shot(page, "4-advies")
    for name, path in (("beleid", "/beleid"), ("docs", "/docs")):
        page.goto(server.url + path)
        found[name] = _axe(page)
        _shot(page, f"5-{name}", full_page=name != "beleid")  # the whole policy is a 15 MB picture
    page.set_content("<!DOCTYPE html><html><body><img src='x.png'></body></html>")  # axe does see violations
    assert {"image-alt", "html-has-lang"} <= {v["id"] for v in _axe(page)}
    context.close()
    (SHOTS / "axe.json").write_text(json.dumps(found, indent=2), encoding="utf-8")
    assert found == {name: [] for name in found}


def test_the_form_without_javascript_gives_the_librarys_advice(browser, server, policy):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.goto(server.url + "/")
    _fill_in(page, ["rouw"])
    assert "Naast elke keuze staat wat het beleid daarmee bedoelt" in page.content()
    page.check("#ernst_rouw_matig")
    page.click("button[type=submit]")
    advice = policy.advise({"taak": "begeleidingsgesprekken", "leeftijd": 14,
                            "signalen": [{"soort": "rouw", "ernst": "matig"}]})
    heading = page.locator("#uitkomst-kop").inner_text()
    assert heading.startswith({"mentor": "Dit hoort bij de mentor", "zorgteam": "Naar het zorgteam",
                               "extern": "Externe hulp nodig"}[advice.route])
    assert page.locator(".redenen > li").count() == len(advice.redenen)
    page.click("text=Ernst of duur aanpassen")  # back, with the answers carried in the form, not stored
    assert page.is_checked("#ernst_rouw_matig")
    page.click("text=Terug: signalen aanpassen")
    assert page.is_checked("#soort_rouw") and page.input_value("#leeftijd") == "14"
    page.goto(server.url + "/beleid")
    context.close()
    assert violations == []


def _tab_to(page, element_id: str, limit: int = 400) -> None:
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} is not reachable by Tab")


def test_the_form_works_by_keyboard_alone(browser, server, policy):
    page = browser.new_page()
    page.goto(server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"  # the skip link comes first
    _tab_to(page, "taak")
    tasks = list(policy.vocabulary.taken)
    for _ in range(tasks.index("begeleidingsgesprekken") + 1):  # past the first option, "Kies een taak"
        page.keyboard.press("ArrowDown")
    assert page.input_value("#taak") == "begeleidingsgesprekken"
    _tab_to(page, "leeftijd")
    page.keyboard.type("14")
    _tab_to(page, "soort_rouw")
    page.keyboard.press("Space")
    _tab_to(page, "soort_pesten")
    page.keyboard.press("Space")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in a form submits it
    assert page.locator("h1").inner_text() == "Hoe ernstig is het?"
    _tab_to(page, "ernst_rouw_licht")
    page.keyboard.press("ArrowDown")  # arrows move within a radio group and select
    assert page.is_checked("#ernst_rouw_matig")
    _tab_to(page, "ernst_pesten_licht")
    page.keyboard.press("Space")
    _tab_to(page, "duur_pesten")
    page.keyboard.type("2")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Advies"
    _shot(page, "6-advies-met-toetsenbord")
    advice = policy.advise({"taak": "begeleidingsgesprekken", "leeftijd": 14, "signalen": [
        {"soort": "pesten", "ernst": "licht", "duur_weken": 2}, {"soort": "rouw", "ernst": "matig"}]})
    assert page.locator(".redenen > li").count() == len(advice.redenen)
    assert page.locator(f".route-{advice.route}").count() == 1
    page.close()
