"""grenzen samenhang: a generated history with planted deviations is found exactly; codes only; HTML renders."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import grenzen
from grenzen.cli import main
from grenzen.team._consistency import HEAVIER_COLOUR, LIGHTER_COLOUR, build_report, report_html, report_text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from geschiedenis import generate  # noqa: E402


@pytest.fixture(scope="module")
def policy():
    return grenzen.load_policy()


@pytest.fixture(scope="module")
def history():
    records, plan = generate(10_000, seed=1)
    return [json.dumps(r, ensure_ascii=False) for r in records], plan


@pytest.fixture(scope="module")
def report(policy, history):
    return build_report(policy, history[0])


@pytest.mark.slow
def test_report_finds_every_planted_deviation(report, history):
    _, plan = history
    assert report.cases == 10_000 and not report.skipped
    found = {c.code: c for c in report.codes}
    for code, planted in plan["per_code"].items():
        entry = found[code]
        assert entry.lighter == planted.get("te licht", 0), code
        assert entry.heavier == planted.get("te zwaar", 0), code
        assert entry.safety_lighter == planted.get("veiligheid te licht", 0), code
    # notability is statistical (a z-score over all codes): the planted codes that still stand out under the current
    # default policy (3A no longer does since default policy 2.0; 4C, with its planted safety cases, does)
    notable = {c.code: c.notable for c in report.codes if c.notable}
    assert {"2B", "M07"} <= set(notable) and all(notable[k] == [v] for k, v in plan["opvallend"].items() if k in notable)
    assert report.codes[0].code == "4C" and report.codes[0].safety_lighter == 6, "safety cases first"


def test_text_report(report):
    text = report_text(report)
    assert text.startswith("Samenhang: 10000 casussen van 30 codes")
    assert text.index("1. Veiligheidscasussen") < text.index("2. Alle casussen per code")
    assert re.search(r"^   4C +\d+ +6 +0 ", text, re.M)
    notable = ", ".join(c.code for c in report.codes if c.notable)  # the planted codes: see the test above
    assert {"2B", "M07"} <= set(notable.split(", "))
    assert f"Opvallend (duidelijk vaker afwijkend dan de andere codes): {notable}" in text


def _write(tmp_path, lines):
    path = tmp_path / "casussen.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


GOOD = {"taak": "signaleren", "signalen": [{"soort": "pesten", "ernst": "licht"}]}


@pytest.mark.parametrize(
    "line, message",
    [
        ({"code": "Fatima", "casus": GOOD, "route": "mentor"}, "code moet een klas- of mentorcode"),
        ({"code": "de Vries 2", "casus": GOOD, "route": "mentor"}, "code moet een klas- of mentorcode"),
        ({"code": "2A", "naam": "Fatima de Vries", "casus": GOOD, "route": "mentor"}, "onbekende velden"),
        ({"code": "2A", "casus": GOOD, "route": "huisarts"}, "route moet mentor, zorgteam of extern zijn"),
        ({"code": "2A", "casus": {**GOOD, "opmerking": "Fatima"}, "route": "mentor"}, "casus ongeldig: <onbekend veld>"),
        ({"code": "2A", "route": "mentor"}, "veld 'casus' ontbreekt"),
        (["Fatima"], "moet een object met velden zijn"),
    ],
)
def test_lines_with_names_or_mistakes_are_skipped_without_echoing_them(tmp_path, capsys, line, message):
    path = _write(tmp_path, [json.dumps({"code": "2A", "casus": GOOD, "route": "mentor"}), json.dumps(line), "{kapot"])
    html = tmp_path / "rapport.html"
    assert main(["samenhang", path, "--html", str(html)]) == 0
    out = capsys.readouterr().out
    assert "regel 2: " in out and message in out and "regel 3: kolom 2: geen geldige JSON" in out
    for shown in (out, html.read_text(encoding="utf-8")):
        assert "Fatima" not in shown and "Vries" not in shown and "huisarts" not in shown


def test_nothing_usable_is_exit_1(tmp_path, capsys):
    assert main(["samenhang", _write(tmp_path, ["{kapot"])]) == 1


def test_html_is_self_contained(report):
    page = report_html(report)
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    for external in ("<script", "src=", "href=", "url(", "@import", "<link"):
        assert external not in page
    assert "default-src 'none'" in page


def test_a_case_that_is_not_an_object_is_skipped_not_a_crash(policy):
    lines = [json.dumps({"code": "2A", "casus": casus, "route": "extern"})
             for casus in ("taak: signaleren", ["taak", "Fatima"], 7, None)]
    report = build_report(policy, lines)
    assert report.cases == 0
    assert report.skipped == [f"regel {n}: veld 'casus' moet een JSON-object zijn" for n in (1, 2, 3, 4)]
    assert "Fatima" not in report_text(report) and "signaleren" not in report_text(report)


@pytest.mark.parametrize("code", ["2A\n", "2A\r", "\n2A", "2A\n\n"])
def test_a_code_with_a_line_break_is_not_a_code(policy, code):
    report = build_report(policy, [json.dumps({"code": code, "casus": GOOD, "route": "mentor"})])
    assert report.cases == 0 and "code moet een klas- of mentorcode" in report.skipped[0]


def test_undecodable_bytes_are_reported_per_line(policy):
    good = json.dumps({"code": "2A", "casus": GOOD, "route": "mentor"}).encode()
    report = build_report(policy, [good, b'{"code": "2A", "casus": {"taak": "\xff"}, "route": "mentor"}', good])
    assert report.cases == 2 and report.skipped == ["regel 2: kolom 35: de tekst is geen UTF-8"]


def test_standard_input_is_read_as_bytes(monkeypatch, capsys):
    import io

    good = json.dumps({"code": "2A", "casus": GOOD, "route": "mentor"}).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(good + b"\n\xff Fatima\n")))
    assert main(["samenhang", "-"]) == 0
    out = capsys.readouterr().out
    assert "Samenhang: 1 casussen" in out and "regel 2: kolom 1: de tekst is geen UTF-8" in out and "Fatima" not in out


def test_a_safety_kind_makes_a_safety_case_without_an_absolute_rule(tmp_path):
    rules = tmp_path / "regels"
    shutil.copytree(ROOT / "tests" / "fixtures" / "basis", rules)
    vocabulary = rules / "woordenlijst.yaml"
    vocabulary.write_text(vocabulary.read_text(encoding="utf-8").replace(
        "omschrijving: De leerling wordt gepest.}", "omschrijving: De leerling wordt gepest., veiligheid: ja}"),
        encoding="utf-8")
    marked = grenzen.load_policy(rules)
    assert marked.vocabulary.signalen["pesten"].veiligheid
    bullying = {"taak": "signaleren", "signalen": [{"soort": "pesten", "ernst": "ernstig"}]}
    advice = marked.advise(bullying)
    assert advice.route == "zorgteam" and not any(r.absoluut for r in marked.rules if r.id in
                                                  {reason.regel for reason in advice.redenen})
    lines = [json.dumps({"code": "2A", "casus": bullying, "route": "mentor"}),
             json.dumps({"code": "2A", "casus": {"taak": "signaleren"}, "route": "mentor"})]
    entry = build_report(marked, lines).codes[0]
    assert (entry.cases, entry.safety_cases, entry.safety_lighter, entry.lighter) == (2, 1, 1, 1)
    assert entry.kinds == {"pesten": 1}


# --- the page in a real browser -------------------------------------------------------------------------------


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _browser(tmp_path, *args: str) -> subprocess.CompletedProcess:
    binary = _chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed here (Debian: apt-get install -y chromium); CI installs it")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profiel'}"]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120, check=True)


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit, non-interlaced PNG (what chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0
    channels = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r) for r in rows] if channels == 3 else [
        b"".join(r[i:i + 3] for i in range(0, len(r), 4)) for r in rows
    ]


@pytest.mark.slow
def test_html_report_renders_in_a_headless_browser(tmp_path, report):
    page = tmp_path / "samenhang.html"
    page.write_text(report_html(report), encoding="utf-8")
    dom = _browser(tmp_path, "--dump-dom", page.as_uri()).stdout
    assert "<h1>Samenhang in de route</h1>" in dom
    chart = dom[dom.index('<svg id="grafiek"'):dom.index("</svg>")]
    labels = re.findall(r"<text[^>]*text-anchor=\"end\"[^>]*>([^<]+)</text>", chart)
    assert [label.replace(" ⚠", "") for label in labels] == [c.code for c in report.codes]
    assert labels[0] == "4C ⚠" and chart.count('class="te-licht"') == len(report.codes)

    shot = tmp_path / "samenhang.png"
    _browser(tmp_path, f"--screenshot={shot}", "--window-size=1200,1400", page.as_uri())
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 1400)
    pixels = b"".join(rows)
    counts = {}
    for name, colour in (("licht", LIGHTER_COLOUR), ("zwaar", HEAVIER_COLOUR)):
        rgb = bytes.fromhex(colour[1:])
        counts[name] = sum(1 for i in range(0, len(pixels), 3) if pixels[i:i + 3] == rgb)
    # 2B's bar alone is ~320 px wide and 16 px high in red; the chart paints thousands of pixels of each colour
    assert counts["licht"] > 5000 and counts["zwaar"] > 5000, counts
