"""``etat-des-lieux.docx``: the decision document as an editable Word file, for the last touches.

Built from the rendered HTML of the decision document: headings (Word « Titre 1… », so that
Word builds a table of contents), paragraphs, lists, tables with their caption and a header row
repeated on each page, figure captions (the maps and charts stay in the HTML and PDF: a figure
is replaced by its caption), and the committee's commentaries with their bold and italics.

The WordprocessingML is written directly (standard library only): python-docx would bring lxml,
which changes the bytes openpyxl writes elsewhere in the package. Deterministic: fixed dates and
zip timestamps.
"""

from __future__ import annotations

import io
import re
import zipfile
from html import escape
from html.parser import HTMLParser

DOCX_NAME = "etat-des-lieux.docx"
SKIPPED = {"style", "script", "nav", "svg", "title", "footer"}
VOID = {"br", "meta", "link", "img", "hr", "input"}
STYLES = {"h1": "Title", "h2": "Heading1", "h3": "Heading2", "h4": "Heading3"}
FIXED = (2000, 1, 1, 0, 0, 0)  # as the xlsx files
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_WIDTH = 9638  # twentieths of a point between the margins of an A4 page (2 cm margins)


def _run(text: str, bold: bool = False, italic: bool = False) -> str:
    props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    props = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{escape(text, quote=False)}</w:t></w:r>'


def _paragraph(runs: str, style: str = "") -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{props}{runs}</w:p>"


class _Builder(HTMLParser):
    """Walk the HTML once and collect the body XML of the Word document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.body: list[str] = []
        self.skip = 0
        self.runs: list[tuple[str, bool, bool]] | None = None  # the block being read
        self.block = ""
        self.bold = self.italic = 0
        self.note = False
        self.table: list[list[str]] | None = None
        self.header_rows = 0
        self.caption = ""
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if self.skip or tag in SKIPPED:
            self.skip += tag not in VOID
            return
        if tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "table":
            self.table, self.header_rows, self.caption = [], 0, ""
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = []
        elif tag in (*STYLES, "p", "li", "figcaption", "caption"):
            self.runs, self.block = [], tag
            self.note = "note" in (dict(attrs).get("class") or "") or tag == "figcaption"

    def handle_endtag(self, tag):
        if self.skip:
            self.skip -= tag not in VOID
            return
        if tag in ("strong", "b"):
            self.bold -= 1
        elif tag in ("em", "i"):
            self.italic -= 1
        elif tag == "thead" and self.table is not None:
            self.header_rows = len(self.table)
        elif tag in ("td", "th") and self.cell is not None and self.table is not None:
            self.table[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.table is not None:
            self._table()
        elif tag == self.block and self.runs is not None:
            self._block(tag)

    def handle_data(self, data):
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.runs is not None:
            self.runs.append((data, self.bold > 0, self.italic > 0))

    def _block(self, tag: str) -> None:
        runs, self.runs, self.block = self.runs or [], None, ""
        pieces = [(re.sub(r"\s+", " ", text), bold, italic) for text, bold, italic in runs]
        text = "".join(piece for piece, _, _ in pieces).strip()
        if not text:
            return
        if tag == "caption":
            self.caption = text
        elif tag in STYLES:
            self.body.append(_paragraph(_run(text), STYLES[tag]))
        else:
            pieces[0] = (pieces[0][0].lstrip(), *pieces[0][1:])
            pieces[-1] = (pieces[-1][0].rstrip(), *pieces[-1][1:])
            xml = "".join(_run(p, b, i or self.note) for p, b, i in pieces if p)
            self.body.append(_paragraph(_run("• ") + xml, "ListBullet") if tag == "li"
                             else _paragraph(xml))

    def _table(self) -> None:
        rows = [row for row in self.table or [] if row]
        self.table = None
        if not rows:
            return
        if self.caption:
            self.body.append(_paragraph(_run(self.caption, bold=True), "Caption"))
        width = max(len(row) for row in rows)
        column = _WIDTH // width
        border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="999999"/>'
                         for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        xml = [f'<w:tbl><w:tblPr><w:tblW w:w="{_WIDTH}" w:type="dxa"/>'
               f"<w:tblBorders>{border}</w:tblBorders></w:tblPr><w:tblGrid>"
               + f'<w:gridCol w:w="{column}"/>' * width + "</w:tblGrid>"]
        for r, row in enumerate(rows):
            head = r < self.header_rows
            xml.append("<w:tr>" + ("<w:trPr><w:tblHeader/></w:trPr>" if head else ""))
            for text in row + [""] * (width - len(row)):
                xml.append(f'<w:tc><w:tcPr><w:tcW w:w="{column}" w:type="dxa"/></w:tcPr>'
                           + _paragraph(_run(text, bold=head) if text else "", "TableText")
                           + "</w:tc>")
            xml.append("</w:tr>")
        self.body.append("".join(xml) + "</w:tbl>" + _paragraph(""))


def _styles() -> str:
    def style(ident: str, name: str, run: str = "", paragraph: str = "",
              outline: int | None = None) -> str:
        level = f'<w:outlineLvl w:val="{outline}"/>' if outline is not None else ""
        return (f'<w:style w:type="paragraph" w:styleId="{ident}"><w:name w:val="{name}"/>'
                f'<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>'
                f"<w:pPr>{paragraph}{level}</w:pPr><w:rPr>{run}</w:rPr></w:style>")

    blue = '<w:color w:val="000091"/>'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles xmlns:w="{_W}">'
            '<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Arial" w:hAnsi="Arial" '
            'w:cs="Arial"/><w:sz w:val="20"/><w:lang w:val="fr-FR"/></w:rPr></w:rPrDefault>'
            '<w:pPrDefault><w:pPr><w:spacing w:after="120"/></w:pPr></w:pPrDefault>'
            '</w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal">'
            '<w:name w:val="Normal"/><w:qFormat/></w:style>'
            + style("Title", "Title", f'<w:b/>{blue}<w:sz w:val="36"/>')
            + style("Heading1", "heading 1", f'<w:b/>{blue}<w:sz w:val="30"/>',
                    '<w:keepNext/><w:spacing w:before="360"/>', 0)
            + style("Heading2", "heading 2", '<w:b/><w:sz w:val="24"/>',
                    '<w:keepNext/><w:spacing w:before="240"/>', 1)
            + style("Heading3", "heading 3", '<w:b/><w:sz w:val="22"/>', "<w:keepNext/>", 2)
            + style("ListBullet", "List Bullet", "", '<w:ind w:left="360" w:hanging="360"/>')
            + style("Caption", "caption", "", "<w:keepNext/>")
            + style("TableText", "Table Text", '<w:sz w:val="16"/>',
                    '<w:spacing w:after="0"/>')
            + "</w:styles>")


def html_to_docx(html: str, titre: str) -> bytes:
    """The Word document of a rendered HTML document (same bytes for the same HTML)."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    section = ('<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" '
               'w:right="1134" w:bottom="1134" w:left="1134" w:header="709" w:footer="709" '
               'w:gutter="0"/></w:sectPr>')
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:document xmlns:w="{_W}"><w:body>' + "".join(builder.body) + section
                + "</w:body></w:document>")
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{package}'
            '/content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
            'document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application'
            '/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override '
            'PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
            'core-properties+xml"/></Types>'),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="'
            f'{package}/relationships"><Relationship Id="rId1" Type="{office}/officeDocument" '
            f'Target="word/document.xml"/><Relationship Id="rId2" Type="{package}/relationships'
            '/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'),
        "word/_rels/document.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="'
            f'{package}/relationships"><Relationship Id="rId1" Type="{office}/styles" '
            'Target="styles.xml"/></Relationships>'),
        "docProps/core.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
            f'xmlns:cp="{package}/metadata/core-properties" xmlns:dc="http://purl.org/dc/'
            'elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3'
            f'.org/2001/XMLSchema-instance"><dc:title>{escape(titre)}</dc:title><dc:creator>'
            'iae-etat</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2000-01-01T00:00:'
            '00Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2000-01-01T00:00:'
            '00Z</dcterms:modified></cp:coreProperties>'),
        "word/styles.xml": _styles(),
        "word/document.xml": document,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=FIXED), text.encode("utf-8"),
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
