"""``grenzen beleid --formaat docx``: the policy document as a Word file, from the same blocks as Markdown and HTML.

python-docx is an optional extra (``grenzen[docx]``); it is imported only when a Word file is made. The file uses
Word's own styles (Title, Heading 1-3, List Bullet, Table Grid), so that Word's navigation pane and a table of
contents work; the sections of the policy become Heading 1, a route Heading 2 and a rule Heading 3.
"""

from __future__ import annotations

import io
import os
import tempfile
from contextlib import suppress
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import GrenzenError
from ..pipeline._policy import Policy
from ._render import Block, Bold, Bullets, Code, Heading, Link, Mark, Paragraph, Plain, Table, Text, policy_blocks

if TYPE_CHECKING:
    from docx.document import Document as WordDocument
    from docx.table import Table as WordTable
    from docx.text.paragraph import Paragraph as WordParagraph
    from docx.text.run import Run

MISSING = ('Voor een Word-bestand is het pakket python-docx nodig. Installeer het met: pip install "grenzen[docx]" '
           "en probeer het daarna opnieuw.")
#: For the command line: a Word file is not text, so it goes to a file (-o), never to the terminal.
NEEDS_OUTPUT = ("Een Word-bestand kan niet naar het scherm. Geef met -o aan in welk bestand het moet, bijvoorbeeld: "
                "grenzen beleid --formaat docx -o beleid.docx")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
#: The Word style (its id) of each heading level of the block model (1 is the title of the document). Styles are
#: set by id: python-docx looks a style up by its name with a scan of all styles, per paragraph.
HEADING_STYLES = {1: "Title", 2: "Heading1", 3: "Heading2", 4: "Heading3"}
HYPERLINK_STYLE = "Hyperlink"  # added by _setup (the template lacks it); its id is its name
TABLE_TEXT_STYLE = "Tabeltekst"  # likewise: 9 points, no space after
INK = "1F2A44"  # headings: a dark blue that prints well in black and white
LINK_BLUE = "0563C1"  # Word's own colour for a hyperlink
CODE_GREY = "4A4A4A"
MARK_INK, MARK_FILL = "7A3B00", "FDE9C8"  # a school's change: dark orange words on light orange, bold
HEADER_FILL = "DCE3EE"
SHORT_COLUMN = 24  # characters: a column whose texts are all this short gets just the width it needs
FONT = "Calibri"
CODE_FONT = "Consolas"


def policy_docx(policy: Policy, today: date | None = None) -> bytes:
    """The policy document as the bytes of a Word file (.docx); ``today`` is the date on its title page."""
    buffer = io.BytesIO()
    _word(policy_blocks(policy), policy, today or date.today()).save(buffer)
    return buffer.getvalue()


def write_docx(policy: Policy, path: Path | str, today: date | None = None) -> None:
    """Write the policy document as a Word file to ``path``: a whole file or nothing (an existing file is replaced,
    as ``>`` replaces it for Markdown and HTML). Raises :class:`GrenzenError` without python-docx, ``OSError`` when
    the file cannot be written (with ``path`` as its file name)."""
    data = policy_docx(policy, today)
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as exc:
        with suppress(OSError):
            os.unlink(temporary)
        raise OSError(exc.errno, exc.strerror, str(target)) from None


def dutch_date(day: date) -> str:
    """'3 december 2026'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


# --- the document -------------------------------------------------------------------------------


def _word(blocks: list[Block], policy: Policy, today: date) -> WordDocument:
    """The blocks as a Word document: A4, Dutch, a date and version line under the title, page numbers below."""
    try:
        import docx
    except ImportError:
        raise GrenzenError(MISSING) from None
    document = docx.Document()
    _setup(document, policy, today)
    breaks = _new_pages(blocks)
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            heading = _paragraph(document, HEADING_STYLES[block.level], block.text)
            heading.paragraph_format.keep_with_next = True
            heading.paragraph_format.page_break_before = index in breaks or None
        else:
            _block(document, block)
        if isinstance(block, Heading) and block.level == 1:
            _paragraph(document, "Subtitle").add_run(f"Versie {policy.version} · gemaakt op {dutch_date(today)}")
    return document


def _new_pages(blocks: list[Block]) -> set[int]:
    """The section headings that start a new page: those of a long section (a theme, the vocabulary: a section with
    headings of its own), so that a printed theme starts on its own page and short sections follow each other."""
    starts = [i for i, block in enumerate(blocks) if isinstance(block, Heading) and block.level == 2]
    ends = [*starts[1:], len(blocks)]
    return {start for start, end in zip(starts, ends, strict=True)
            if any(isinstance(block, Heading) and block.level == 3 for block in blocks[start:end])}


def _setup(document: WordDocument, policy: Policy, today: date) -> None:
    """Page size and margins, the language, the styles this renderer uses, the footer, the file's properties."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Cm, Pt, RGBColor

    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(10.5)
    _language_and_mode(document, "nl-NL")
    for name, size in (("Title", 24), ("Subtitle", 11), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        font = styles[name].font
        font.name, font.size, font.color.rgb = FONT, Pt(size), RGBColor.from_string(INK)
        font.italic = False
    link = styles.add_style(HYPERLINK_STYLE, WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb, link.font.underline = RGBColor.from_string(LINK_BLUE), True
    table_text = styles.add_style(TABLE_TEXT_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    table_text.font.size = Pt(9)
    table_text.paragraph_format.space_after = Pt(0)
    _footer(document, policy)
    properties = document.core_properties
    properties.title, properties.author, properties.language = policy.name, "grenzen", "nl-NL"
    properties.subject = "Wat hoort bij de mentor, wat bij het zorgteam en wat bij externe hulp"
    properties.keywords, properties.version = "mentoraat; zorgteam; beleid", policy.version
    properties.comments = "Gemaakt met grenzen beleid uit de regelbestanden."
    moment = datetime.combine(today, time(), UTC)
    properties.created = properties.modified = moment
    properties.last_modified_by, properties.revision = "grenzen", 1


def _footer(document: WordDocument, policy: Policy) -> None:
    """The policy's name and 'pagina N van M' at the foot of every page (Word fields, so Word counts)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    footer = document.styles["Footer"].font
    footer.name, footer.size, footer.color.rgb = FONT, Pt(8.5), RGBColor.from_string("595959")
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.style = document.styles["Footer"]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, field in ((f"{policy.name} · pagina ", "PAGE"), (" van ", "NUMPAGES")):
        paragraph.add_run(text)
        _field(paragraph, field)


def _field(paragraph: WordParagraph, instruction: str) -> None:
    """A simple Word field (PAGE, NUMPAGES) at the end of ``paragraph``, showing '1' until Word updates it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = paragraph.add_run("1")
    field.append(run._r)
    paragraph._p.append(field)


def _language_and_mode(document: WordDocument, tag: str) -> None:
    """All text in language ``tag`` (Word's spelling check and hyphenation), and the file in the mode of current Word
    (15), so that Word does not open it in compatibility mode (the template says Word 2010, 14)."""
    from docx.oxml.ns import qn

    for language in document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang"):
        language.set(qn("w:val"), tag)
    settings = document.settings.element
    for language in settings.xpath("w:themeFontLang"):
        language.set(qn("w:val"), tag)
    for mode in settings.xpath("w:compat/w:compatSetting[@w:name='compatibilityMode']"):
        mode.set(qn("w:val"), "15")


# --- blocks and spans ---------------------------------------------------------------------------


def _paragraph(document: WordDocument, style_id: str, text: str = "") -> WordParagraph:
    """A new paragraph at the end of ``document`` in the style with id ``style_id``."""
    paragraph = document.add_paragraph(text)
    paragraph._p.style = style_id
    return paragraph


def _block(document: WordDocument, block: Block) -> None:
    """One block of the document model in Word (headings: see ``_word``)."""
    match block:
        case Paragraph(text):
            _spans(document.add_paragraph(), text)
        case Bullets(items):
            for item in items:
                _spans(_paragraph(document, "ListBullet"), item)
        case Table(header, rows):
            _table(document, header, rows)
            document.add_paragraph()  # Word glues two tables, or a table and a heading, without it


def _table(document: WordDocument, header: list[str], rows: list[list[Text]]) -> None:
    """A table with a bold, shaded header row that Word repeats on every page; rows are not split over pages."""
    from docx.enum.table import WD_TABLE_ALIGNMENT

    table = document.add_table(rows=1 + len(rows), cols=len(header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, name in zip(table.rows[0].cells, header, strict=True):
        paragraph = cell.paragraphs[0]
        paragraph._p.style = TABLE_TEXT_STYLE
        paragraph.add_run(name[:1].upper() + name[1:]).bold = True
        _shade(cell._tc.get_or_add_tcPr(), HEADER_FILL)
    _row_flag(table.rows[0], "w:tblHeader")
    for row, cells in zip(table.rows[1:], rows, strict=True):
        _row_flag(row, "w:cantSplit")
        for cell, text in zip(row.cells, cells, strict=True):
            paragraph = cell.paragraphs[0]
            paragraph._p.style = TABLE_TEXT_STYLE
            _spans(paragraph, text)
    _widths(table, header, rows, document.sections[0])


def _widths(table: WordTable, header: list[str], rows: list[list[Text]], section: object) -> None:
    """Column widths over the text width: a column of short texts (a word or three) as wide as its longest text,
    the others sharing the rest by how much text they hold."""
    from docx.shared import Cm, Emu

    width = int(section.page_width - section.left_margin - section.right_margin)  # type: ignore[attr-defined]
    lengths = [[len(name), *(sum(len(span.text) for span in row[i]) for row in rows)] for i, name in enumerate(header)]
    short = {i: int(Cm(0.45 + 0.18 * max(n))) for i, n in enumerate(lengths) if max(n) <= SHORT_COLUMN}
    weights = {i: (sum(n) / len(n)) ** 0.5 for i, n in enumerate(lengths) if i not in short}
    rest = width - sum(short.values())
    for index, column in enumerate(table.columns):
        column.width = Emu(short[index] if index in short else int(rest * weights[index] / sum(weights.values())))
        for cell in column.cells:
            cell.width = column.width


def _row_flag(row: object, tag: str) -> None:
    """Switch on a row property: ``w:tblHeader`` (repeat as header row) or ``w:cantSplit`` (keep on one page)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    flag = OxmlElement(tag)
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)  # type: ignore[attr-defined]


def _shade(properties: object, fill: str) -> None:
    """A background colour on a cell or run (``w:shd`` in its properties)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)  # type: ignore[attr-defined]


def _spans(paragraph: WordParagraph, text: Text) -> None:
    """Styled text as runs of ``paragraph``: bold, a name in a fixed-width font, a link, a school's change marked."""
    from docx.shared import Pt, RGBColor

    for span in text:
        match span:
            case Link(shown, url):
                _hyperlink(paragraph, shown, url)
            case Mark(words):
                run = paragraph.add_run(words)
                run.bold, run.font.color.rgb = True, RGBColor.from_string(MARK_INK)
                _shade(run._r.get_or_add_rPr(), MARK_FILL)
            case Code(name):
                run = paragraph.add_run(name)
                run.font.name, run.font.color.rgb = CODE_FONT, RGBColor.from_string(CODE_GREY)
                run.font.size = Pt(9.5)  # a fixed-width font looks larger than the text beside it
            case Bold(words):
                paragraph.add_run(words).bold = True
            case Plain(words):
                paragraph.add_run(words)


def _hyperlink(paragraph: WordParagraph, shown: str, url: str) -> Run:
    """A clickable link to ``url`` showing ``shown``, in Word's Hyperlink style."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True))
    run = paragraph.add_run(shown)
    run._r.style = HYPERLINK_STYLE
    link.append(run._r)
    paragraph._p.append(link)
    return run
