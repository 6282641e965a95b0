"""``etat-des-lieux.docx``: the decision document as an editable Word file, for the last touches.

Built from the rendered HTML of the decision document (python-docx): headings, paragraphs,
lists, tables with their caption and header row, figure captions (the maps and charts stay in
the HTML and PDF: a figure is replaced by its caption and text alternative), and the committee's
commentaries. The table of contents is left to Word (« Références › Table des matières »).
Deterministic: fixed document dates and zip timestamps.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from html.parser import HTMLParser

DOCX_NAME = "etat-des-lieux.docx"
SKIPPED = {"style", "script", "nav", "svg", "title", "footer"}
HEADINGS = {"h1": 0, "h2": 1, "h3": 2, "h4": 3}
FIXED = datetime(2000, 1, 1)  # as the xlsx files


class _Builder(HTMLParser):
    """Walk the HTML once and write its blocks into a python-docx ``Document``."""

    def __init__(self, document) -> None:
        super().__init__(convert_charrefs=True)
        self.doc = document
        self.skip = 0
        self.runs: list[tuple[str, bool, bool]] | None = None  # the block being read
        self.block = ""
        self.bold = self.italic = 0
        self.table: list[list[str]] | None = None
        self.header_rows = 0
        self.caption = ""
        self.cell: list[str] | None = None
        self.in_head = False
        self.note = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIPPED or self.skip:
            self.skip += tag not in ("br", "meta", "link")  # void elements never close
            return
        if tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        if tag == "table":
            self.table, self.header_rows, self.caption = [], 0, ""
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = []
        elif tag in (*HEADINGS, "p", "li", "figcaption", "caption"):
            self.runs, self.block = [], tag
            self.note = "note" in (attrs.get("class") or "") or tag == "figcaption"

    def handle_endtag(self, tag):
        if self.skip:
            self.skip -= tag not in ("br", "meta", "link")
            return
        if tag in ("strong", "b"):
            self.bold -= 1
        elif tag in ("em", "i"):
            self.italic -= 1
        if tag == "thead":
            self.in_head = False
            self.header_rows = len(self.table or [])
        elif tag in ("td", "th") and self.cell is not None and self.table is not None:
            self.table[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.table is not None:
            self._write_table()
        elif tag == self.block and self.runs is not None:
            self._write_block(tag)

    def handle_data(self, data):
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.runs is not None:
            self.runs.append((data, self.bold > 0, self.italic > 0))

    def _text(self) -> str:
        return " ".join("".join(text for text, _, _ in self.runs or []).split())

    def _write_block(self, tag: str) -> None:
        text = self._text()
        runs, self.runs, self.block = self.runs or [], None, ""
        if not text:
            return
        if tag == "caption":
            self.caption = text
            return
        if tag in HEADINGS:
            self.doc.add_heading(text, HEADINGS[tag])
            return
        paragraph = self.doc.add_paragraph(style="List Bullet" if tag == "li" else None)
        runs[0] = (runs[0][0].lstrip(), *runs[0][1:])
        for piece, bold, italic in runs:
            run = paragraph.add_run(re.sub(r"\s+", " ", piece))
            run.bold = bold or None
            run.italic = (italic or self.note) or None

    def _write_table(self) -> None:
        rows = [row for row in self.table or [] if row]
        self.table = None
        if not rows:
            return
        if self.caption:
            self.doc.add_paragraph().add_run(self.caption).bold = True
        width = max(len(row) for row in rows)
        table = self.doc.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        for r, (row, line) in enumerate(zip(rows, table.rows, strict=True)):
            for text, cell in zip(row, line.cells, strict=False):
                run = cell.paragraphs[0].add_run(text)
                run.bold = r < self.header_rows or None
        for r in range(self.header_rows):  # repeated on each page
            _repeat_header(table.rows[r])
        self.doc.add_paragraph()


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def html_to_docx(html: str, titre: str) -> bytes:
    """The Word document of a rendered HTML document (same bytes for the same HTML)."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10)
    properties = document.core_properties
    properties.title, properties.author, properties.last_modified_by = titre, "iae-etat", ""
    properties.created = properties.modified = FIXED
    properties.revision = 1
    _Builder(document).feed(html)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed entry timestamps (zipfile stamps the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(item.filename))
    return out.getvalue()
