"""Issue 15, point 3: the policy as a Word file (read back with python-docx), and the HTML form on paper."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES

import grenzen
from grenzen import GrenzenError
from grenzen.toolkit._docx import MISSING, NEEDS_OUTPUT, dutch_date, policy_docx, write_docx
from grenzen.toolkit._render import URL, Link, Plain, linked, render_policy

docx = pytest.importorskip("docx")  # the test extra installs it; without it only the missing-package test matters

SCHOOL = FIXTURES / "school"
DAY = date(2026, 12, 3)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def school():
    return grenzen.load_policy(SCHOOL)


@pytest.fixture(scope="module")
def word(school, tmp_path_factory):
    path = tmp_path_factory.mktemp("word") / "beleid.docx"
    write_docx(school, path, DAY)
    return docx.Document(str(path))


def _styled(word, style: str) -> list[str]:
    return [p.text for p in word.paragraphs if p.style.name == style]


def _all_text(word) -> str:
    cells = [p.text for table in word.tables for row in table.rows for cell in row.cells for p in cell.paragraphs]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def _table(word, first_header: str):
    return next(t for t in word.tables if t.rows[0].cells[0].text == first_header)


def test_the_title_the_version_and_date_line_and_a4(word, school):
    assert _styled(word, "Title") == [school.name]
    assert _styled(word, "Subtitle") == [f"Versie {school.version} · gemaakt op 3 december 2026"]
    section = word.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    properties = word.core_properties
    assert properties.title == school.name and properties.language == "nl-NL"
    assert properties.created.date() == DAY
    defaults = word.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang")
    assert [d.get(f"{W}val") for d in defaults] == ["nl-NL"], "Dutch spelling check"
    mode = word.settings.element.xpath("w:compat/w:compatSetting[@w:name='compatibilityMode']")
    assert [m.get(f"{W}val") for m in mode] == ["15"], "not opened in compatibility mode"


def test_every_theme_is_a_heading_and_every_rule_a_heading_below_it(word, school):
    sections = _styled(word, "Heading 1")
    themes = {item.theme for item in school.source.rules}
    assert themes <= set(sections)
    assert {"Zo komt een advies tot stand", "Veiligheid eerst", "Waar de school afwijkt van de basis",
            "Verwijsafspraken", "Woordenlijst"} <= set(sections)
    assert set(_styled(word, "Heading 2")) >= {"Hoort bij de mentor", "Gaat naar het zorgteam"}
    rules = _styled(word, "Heading 3")
    for item in school.source.rules:
        rule = item.rule
        assert f"{rule.titel}{' (absoluut)' if rule.absoluut else ''} · {rule.id}" in rules


def test_every_rule_has_its_source_and_web_addresses_are_links(word, school):
    text = _all_text(word)
    for item in school.source.rules:
        assert " ".join(item.rule.bron.split()) in text, item.rule.id
    links = {h.url for p in word.paragraphs for h in p.hyperlinks}
    links |= {h.url for t in word.tables for r in t.rows for c in r.cells for p in c.paragraphs for h in p.hyperlinks}
    addresses = {m.group() for item in school.source.rules for m in URL.finditer(item.rule.bron)}
    assert addresses and addresses <= links
    destination = " ".join((school.agreements.bestemmingen["zorgcoordinator"].bron or "").split())
    assert destination.startswith("https://") and destination in links
    hyperlink = next(h for p in word.paragraphs for h in p.hyperlinks)
    assert hyperlink.runs[0].style.name == "Hyperlink" and hyperlink.text == hyperlink.url


def test_referral_agreements_and_consent_are_tables_with_a_header_row(word, school):
    agreements = _table(word, "Wie")
    assert [c.text for c in agreements.rows[0].cells] == ["Wie", "Waar", "Wat", "Bron"]
    assert len(agreements.rows) == 1 + len(school.agreements.bestemmingen)
    assert [r.cells[0].text for r in agreements.rows[1:]] == [d.naam for d in school.agreements.bestemmingen.values()]
    consent = _table(word, "Leeftijd")
    assert [c.text for c in consent.rows[0].cells] == ["Leeftijd", "Toestemming van"]
    assert consent.rows[-1].cells[0].text == "leeftijd onbekend"
    for table in (agreements, consent):
        header = table.rows[0]
        assert header._tr.trPr.find(f"{W}tblHeader") is not None, "Word repeats the header row on every page"
        assert all(run.bold for cell in header.cells for run in cell.paragraphs[0].runs)
        assert all(row._tr.trPr.find(f"{W}cantSplit") is not None for row in table.rows[1:])


@pytest.mark.parametrize("label, count", [("Opzij gezet door de school:", 3), ("Toegevoegd door de school:", 3)])
def test_the_schools_changes_are_marked_with_words_and_colour(word, label, count):
    marked = [p for p in word.paragraphs if p.text.startswith(label)]
    assert len(marked) == count
    for paragraph in marked:
        run = paragraph.runs[0]
        assert run.text == label and run.bold and run.font.color.rgb is not None
        shading = run._r.rPr.find(f"{W}shd")
        assert shading is not None and shading.get(f"{W}fill") not in (None, "auto", "FFFFFF")


def test_the_overview_of_the_schools_changes(word, school):
    overview = _styled(word, "List Bullet")
    for rule in ("loopbaankeuze-licht-matig", "tumult-vaardigheden", "loopbaangesprek-eerste-lijn"):
        assert f"({rule}) — opzij gezet door vc-loopbaan-decaan" in "\n".join(overview)
    own = [item.rule for item in school.source.rules if school.source.rule_layers[item.rule.id] == "school"]
    assert len(own) == 3
    for rule in own:
        assert f"{rule.titel} ({rule.id})" in overview
    rules = [p.text for p in word.paragraphs if p.style.name in ("Heading 3", "List Bullet")]
    for rule in own:  # the label is the first line under the rule's own heading
        assert rules[rules.index(f"{rule.titel} · {rule.id}") + 1].startswith("Toegevoegd door de school:")


def test_the_default_policy_has_no_marks(tmp_path):
    document = docx.Document(str(_write(grenzen.load_policy(), tmp_path / "standaard.docx")))
    text = _all_text(document)
    assert "Opzij gezet" not in text and "Toegevoegd door" not in text and "Waar de school afwijkt" not in text
    assert [p.text for p in document.paragraphs if p.style.name == "Title"] == [grenzen.load_policy().name]


def test_page_numbers_in_the_footer_and_themes_start_a_page(word):
    footer = word.sections[0].footer.paragraphs[0]
    fields = [f.get(f"{W}instr").strip() for f in footer._p.iter(f"{W}fldSimple")]
    assert fields == ["PAGE", "NUMPAGES"] and "pagina" in footer.text
    breaks = {p.text for p in word.paragraphs if p.style.name == "Heading 1" and p.paragraph_format.page_break_before}
    assert {"Veiligheid", "Woordenlijst", "Voorbeeldcollege"} <= breaks
    assert "Zo komt een advies tot stand" not in breaks  # short sections follow the title on page 1


def test_an_existing_file_is_replaced_whole(school, tmp_path):
    path = tmp_path / "beleid.docx"
    path.write_bytes(b"oud")
    write_docx(school, path, DAY)
    assert docx.Document(str(path)).paragraphs[0].text == school.name
    assert [p.name for p in tmp_path.iterdir()] == ["beleid.docx"], "no temporary file left behind"


def test_a_file_that_cannot_be_written_is_an_oserror_naming_it(school, tmp_path):
    missing = tmp_path / "bestaat-niet" / "beleid.docx"
    with pytest.raises(OSError) as raised:
        write_docx(school, missing, DAY)
    assert raised.value.filename == str(missing)


def test_without_python_docx_a_dutch_message_names_the_extra(school, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "docx", None)  # import docx now raises ImportError
    with pytest.raises(GrenzenError) as raised:
        write_docx(school, tmp_path / "beleid.docx")
    assert str(raised.value) == MISSING and 'pip install "grenzen[docx]"' in MISSING
    assert not list(tmp_path.iterdir())


def test_without_python_docx_the_command_line_says_so_without_a_traceback(tmp_path):
    block = "import sys; sys.modules['docx'] = None; from grenzen.cli import main; sys.exit(main(sys.argv[1:]))"
    out = tmp_path / "beleid.docx"
    result = subprocess.run([sys.executable, "-c", block, "beleid", "--formaat", "docx", "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and 'pip install "grenzen[docx]"' in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
    result = subprocess.run([sys.executable, "-m", "grenzen", "beleid", "--formaat", "docx"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and NEEDS_OUTPUT in result.stderr and result.stdout == ""


def test_the_format_follows_the_file_name_and_a_name_for_another_format_is_refused(tmp_path, capsys):
    from grenzen.cli import main

    # a trial: 'grenzen beleid school -o beleid.docx' wrote Markdown into a .docx that Word calls damaged
    assert main(["beleid", str(SCHOOL), "-o", str(tmp_path / "beleid.docx")]) == 0
    assert (tmp_path / "beleid.docx").read_bytes()[:2] == b"PK" and "Word-bestand geschreven" in capsys.readouterr().out
    assert main(["beleid", str(SCHOOL), "-o", str(tmp_path / "beleid.html")]) == 0
    assert (tmp_path / "beleid.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["beleid", str(SCHOOL), "-o", str(tmp_path / "beleid.txt")]) == 0  # another name: Markdown
    assert (tmp_path / "beleid.txt").read_text(encoding="utf-8").startswith("# ")
    capsys.readouterr()
    for argv in (["--formaat", "md", "-o", "x.docx"], ["--formaat", "docx", "-o", "x.html"], ["-o", "x.pdf"],
                 ["--formaat", "docx", "-o", "x.pdf"]):
        assert main(["beleid", str(SCHOOL), *[str(tmp_path / a) if a.startswith("x.") else a for a in argv]]) == 1
        err = capsys.readouterr().err
        assert ("past bij --formaat" in err or "geen PDF" in err) and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["beleid.docx", "beleid.html", "beleid.txt"]


def test_a_word_file_and_dutch_dates(school):
    assert policy_docx(school, DAY)[:2] == b"PK"
    assert dutch_date(DAY) == "3 december 2026" and dutch_date(date(2027, 5, 1)) == "1 mei 2027"


# --- web addresses in the document model ---------------------------------------------------------


def test_only_http_addresses_become_links_without_the_punctuation_after_them():
    assert linked("zie https://a.nl/b. En (http://c.nl/d?x=1), of javascript:alert(1)") == [
        Plain("zie "), Link("https://a.nl/b", "https://a.nl/b"), Plain(". En ("),
        Link("http://c.nl/d?x=1", "http://c.nl/d?x=1"), Plain("), of javascript:alert(1)")]
    assert linked("") == [Plain("")] and linked("geen adres") == [Plain("geen adres")]


def test_markdown_is_unchanged_by_links_and_marks(school):
    text = render_policy(school)
    assert "**Opzij gezet door de school:** `vc-loopbaan-decaan`" in text
    assert "- **Toegevoegd door de school:** deze regel staat niet in de basis." in text
    assert "[" not in text.replace("\\[", "") and "<http" not in text


# --- the HTML on paper --------------------------------------------------------------------------


def test_the_html_page_has_a_print_stylesheet(school):
    page = render_policy(school, "html")
    style = page[page.index("<style>"):page.index("</style>")]
    printing = style[style.index("@media print"):]
    assert re.search(r"h2\{break-before:page", printing), "every theme on a new page"
    assert "h2:first-of-type{break-before:auto" in printing, "but not the first section after the title"
    assert "break-after:avoid" in printing, "no heading alone at the foot of a page"
    assert 'a:not(.url)[href]::after{content:" (" attr(href) ")"}' in printing
    assert "tr,li{break-inside:avoid" in printing and "thead{display:table-header-group}" in printing
    assert "nav," in printing and "display:none" in printing


def test_the_html_links_sources_and_marks_the_schools_changes(school):
    page = render_policy(school, "html")
    address = "https://www.nji.nl/kindermishandeling/afwegingskader-meldcode"
    assert f'<a href="{address}" class="url">{address}</a>' in page
    assert '<strong class="school">Opzij gezet door de school:</strong>' in page
    assert "<thead><tr><th>wie</th>" in page


@pytest.mark.slow
def test_the_html_prints_each_theme_on_its_own_page(school, tmp_path):
    """In Chromium with print media: a page break before every section but the first, and a PDF comes out."""
    import shutil

    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.skip("chromium is not installed")
    page_file = tmp_path / "beleid.html"
    page_file.write_text(render_policy(school, "html"), encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        page = browser.new_page()
        page.goto(page_file.as_uri())
        page.emulate_media(media="print")
        breaks = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => getComputedStyle(h).breakBefore)")
        shown = page.evaluate("() => getComputedStyle(document.querySelector('a'), '::after').content")
        pdf = page.pdf(format="A4")
        browser.close()
    assert breaks[0] == "auto" and set(breaks[1:]) == {"page"}
    assert shown == "none", "a link that shows its own address does not repeat it"
    assert pdf[:4] == b"%PDF"


def _write(policy, path: Path) -> Path:
    write_docx(policy, path, DAY)
    return path
