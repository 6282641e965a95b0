"""A streaming xlsx writer for very large workbooks (the dashboard of a national scope).

openpyxl keeps an object per cell (about 2 GiB and half a minute for the million cells of a
national dashboard); even its write-only mode spends tens of microseconds per cell. This writer
builds each sheet's XML as text, row by row, with a small fixed set of styles: a cell costs a
string format. Same guarantees as ``iae_etat.tables.xlsx``: text is always text (inline
strings, and the *quotePrefix* style for text a spreadsheet could read as a formula), bytes
depend only on the content.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from iae_etat.tables.xlsx import looks_like_formula, zip_parts

MAX_ROWS = 1_048_576
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CORE_REL = f"{_PKG_REL}/metadata/core-properties"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_LETTERS = [column_letter(i) for i in range(1, 200)]


@dataclass(frozen=True)
class Style:
    """A cell style: font, solid fill colour, number format, alignment, quote prefix."""

    bold: bool = False
    italic: bool = False
    size: float = 11
    color: str = ""
    fill: str = ""
    number_format: str = ""
    wrap: bool = False
    quote: bool = False


DEFAULT = Style()


def _number(value: float) -> str:
    """A finite number as the shortest text that reads back equal."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _cell(value: object, style: Style) -> tuple[str | None, Style]:
    """A cell's XML after its reference and style attribute, and its style (with the quote
    prefix for a text a spreadsheet could read as a formula); None: no cell.

    ``None`` and NaN leave the cell empty (only its style is written); a bool becomes
    « oui » / « non »; any other non-number becomes text.
    """
    if isinstance(value, bool):
        value = "oui" if value else "non"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ("/>" if style != DEFAULT else None), style
    if isinstance(value, int | float):
        return f"><v>{_number(value)}</v></c>", style
    text = _ILLEGAL.sub("", str(value))
    if looks_like_formula(text) and not style.quote:
        style = replace(style, quote=True)
    return f' t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>', style


@dataclass(frozen=True)
class Column:
    """The cells of one column over consecutive rows, for ``Sheet.write_columns``: the cell of
    row ``i`` holds ``values[i]`` in ``styles[codes[i]]``, no cell where ``codes[i]`` is -1.
    Values are an array or, for few distinct values in many cells, a Categorical. Equal values
    write equal cells (``1 == 1.0 == True``: do not mix numbers and booleans in a column).
    """

    index: int
    values: np.ndarray | pd.Categorical
    codes: np.ndarray
    styles: tuple[Style, ...] = (DEFAULT,)


@dataclass(frozen=True)
class Formatted:
    """Columns formatted once (``format_columns``), to write whole or in parts: the XML body
    and final style code (-1: no cell) of each cell, and the final styles, per column."""

    letters: list[str]
    bodies: list[np.ndarray]
    codes: list[np.ndarray]
    styles: list[list[Style]]


def format_columns(columns: list[Column]) -> Formatted:
    """``_cell`` of every cell of ``columns`` (in order), once per distinct (value, style)."""
    if any(b.index <= a.index for a, b in zip(columns, columns[1:], strict=False)):
        raise ValueError("colonnes hors d'ordre")
    cells = [_column_cells(column) for column in columns]
    return Formatted([_LETTERS[column.index - 1] for column in columns],
                     [body for body, _, _ in cells], [code for _, code, _ in cells],
                     [styles for _, _, styles in cells])


def _column_cells(column: Column) -> tuple[np.ndarray, np.ndarray, list[Style]]:
    """(XML body of each cell, code of its final style, final styles): ``_cell`` applied once
    per distinct (value, style); a body and code of a left-out cell are None and -1."""
    values = column.values if isinstance(column.values, pd.Categorical) \
        else np.asarray(column.values, dtype=object)
    inverse, values = pd.factorize(values, use_na_sentinel=False)
    width = len(column.styles)
    codes = np.asarray(column.codes, dtype=np.int64)
    keep = codes >= 0
    pairs, pair_of = np.unique(inverse[keep] * width + codes[keep], return_inverse=True)
    styles: dict[Style, int] = {}
    bodies, finals = [None], []
    for pair in pairs.tolist():
        body, style = _cell(values[pair // width], column.styles[pair % width])
        bodies.append(body)
        finals.append(-1 if body is None else styles.setdefault(style, len(styles)))
    slot = np.zeros(len(codes), dtype=np.int64)  # 0: the None body of a left-out cell
    slot[keep] = pair_of.reshape(-1) + 1
    final = np.array([-1, *finals], dtype=np.int64)[slot]
    return np.array(bodies, dtype=object)[slot], final, list(styles)


@dataclass
class Sheet:
    """One worksheet being written: rows in order, then its layout."""

    name: str
    book: StreamWorkbook
    widths: dict[int, float] = field(default_factory=dict)
    freeze: str = ""              # top-left cell of the scrolling pane, e.g. "A5"
    auto_filter: str = ""
    landscape: bool = False  # printing: landscape pages, as wide as one page (``fit_width``),
    fit_width: bool = False  # ``fit_height`` pages tall (0: as many as needed)
    fit_height: int = 0
    rows: list[str] = field(default_factory=list)
    last_row: int = 0

    def write(self, row: int, cells: list[tuple[int, object, Style]]) -> None:
        """Write ``(column, value, style)`` cells on ``row`` (rows, then columns, in order);
        each value becomes a cell as ``_cell`` says."""
        if row <= self.last_row or row > MAX_ROWS:
            raise ValueError(f"ligne {row} hors d'ordre ou au-delà de la limite du tableur")
        self.last_row = row
        out = [f'<row r="{row}">']
        style_id = self.book.style_id
        previous = 0
        for column, value, style in cells:
            if column <= previous:
                raise ValueError(f"colonne {column} hors d'ordre sur la ligne {row}")
            previous = column
            body, style = _cell(value, style)
            if body is not None:
                sid = style_id(style)
                attr = f' s="{sid}"' if sid else ""
                out.append(f'<c r="{_LETTERS[column - 1]}{row}"{attr}{body}')
        out.append("</row>")
        self.rows.append("".join(out))

    def write_columns(self, first_row: int, columns: Formatted,
                      rows: np.ndarray | None = None) -> None:
        """Write formatted columns — or only their ``rows``, in that order — on the rows from
        ``first_row``: the same cells, and bytes, as ``write`` row after row (styles are
        numbered in the order ``write`` would have met them)."""
        codes = columns.codes if rows is None else [c[rows] for c in columns.codes]
        bodies = columns.bodies if rows is None else [b[rows] for b in columns.bodies]
        count = len(codes[0]) if codes else 0
        last = first_row + count - 1
        if count and (first_row <= self.last_row or last > MAX_ROWS):
            raise ValueError(f"ligne {first_row} hors d'ordre ou au-delà de la limite du tableur")
        book = self.book
        if not all(book.has_style(s) for styles in columns.styles for s in styles):
            first_uses = []
            for position, (style, styles) in enumerate(zip(codes, columns.styles, strict=True)):
                present = np.flatnonzero(style >= 0)
                used, first = np.unique(style[present], return_index=True)
                first_uses += [(present[f], position, styles[u]) for u, f in zip(
                    used.tolist(), first.tolist(), strict=True)]
            for _, _, style in sorted(first_uses, key=lambda use: use[:2]):
                book.style_id(style)
        suffixes = []
        for body, style, styles in zip(bodies, codes, columns.styles, strict=True):
            attrs = np.array([f' s="{sid}"' if sid else "" for sid in map(book.style_id, styles)],
                             dtype=object)
            suffix = np.full(len(style), None, dtype=object)
            present = style >= 0
            suffix[present] = attrs[style[present]] + body[present]
            suffixes.append(suffix)
        letters = columns.letters
        for row, line in enumerate(zip(*suffixes, strict=True), start=first_row):
            self.rows.append(f'<row r="{row}">' + "".join(
                [f'<c r="{letter}{row}"{suffix}' for letter, suffix in
                 zip(letters, line, strict=True) if suffix is not None]) + "</row>")
        if count:
            self.last_row = last

    def xml(self, rows_per_piece: int = 20_000) -> Iterator[bytes]:
        """The worksheet's XML in pieces; the rows are released as they are given out."""
        parts = [_XML, f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">']
        if self.fit_width:
            parts.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        if self.freeze:
            parts.append(f"<sheetViews>{_pane(self.freeze)}</sheetViews>")
        else:
            parts.append('<sheetViews><sheetView workbookViewId="0"/></sheetViews>')
        parts.append('<sheetFormatPr defaultRowHeight="15"/>')
        if self.widths:
            parts.append("<cols>" + "".join(
                f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                for c, w in sorted(self.widths.items())) + "</cols>")
        parts.append("<sheetData>")
        yield "".join(parts).encode("utf-8")
        rows, self.rows = self.rows, []
        while rows:
            yield "".join(rows[:rows_per_piece]).encode("utf-8")
            del rows[:rows_per_piece]
        tail = "</sheetData>"
        if self.auto_filter:
            tail += f'<autoFilter ref="{self.auto_filter}"/>'
        if self.landscape or self.fit_width:
            tail += ('<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" '
                     'footer="0.3"/><pageSetup paperSize="9"'
                     + (' orientation="landscape"' if self.landscape else "")
                     + (f' fitToWidth="1" fitToHeight="{self.fit_height}"' if self.fit_width
                        else "") + "/>")
        yield (tail + "</worksheet>").encode("utf-8")


def _pane(cell: str) -> str:
    """A frozen pane whose scrolling part starts at ``cell``."""
    letters = cell.rstrip("0123456789")
    row = int(cell[len(letters):])
    column = _LETTERS.index(letters) + 1
    x, y = column - 1, row - 1
    pane = "bottomRight" if x and y else ("bottomLeft" if y else "topRight")
    split = (f' xSplit="{x}"' if x else "") + (f' ySplit="{y}"' if y else "")
    return (f'<sheetView workbookViewId="0"><pane{split} topLeftCell="{cell}" '
            f'activePane="{pane}" state="frozen"/><selection pane="{pane}" activeCell="{cell}" '
            f'sqref="{cell}"/></sheetView>')


class StreamWorkbook:
    """Sheets in creation order, and the styles they use (numbered in order of first use)."""

    def __init__(self) -> None:
        self.sheets: list[Sheet] = []
        self._styles: dict[Style, int] = {DEFAULT: 0}
        self._by_identity: dict[int, tuple[Style, int]] = {}  # the same objects recur

    def sheet(self, name: str) -> Sheet:
        ws = Sheet(name, self)
        self.sheets.append(ws)
        return ws

    def has_style(self, style: Style) -> bool:
        return style in self._styles

    def style_id(self, style: Style) -> int:
        known = self._by_identity.get(id(style))
        if known is not None and known[0] is style:
            return known[1]
        found = self._styles.get(style)
        if found is None:
            found = self._styles[style] = len(self._styles)
        self._by_identity[id(style)] = (style, found)
        return found

    def to_bytes(self, creator: str = "iae-etat") -> bytes:
        """The xlsx bytes (fixed dates and zip timestamps: same content, same bytes)."""
        parts = {"[Content_Types].xml": self._content_types(),
                 "_rels/.rels": _rels([(f"{_REL}/officeDocument", "xl/workbook.xml"),
                                       (f"{_CORE_REL}", "docProps/core.xml"),
                                       (f"{_REL}/extended-properties", "docProps/app.xml")]),
                 "docProps/app.xml": (_XML + '<Properties xmlns="http://schemas.openxmlformats'
                                      '.org/officeDocument/2006/extended-properties">'
                                      "<Application>iae-etat</Application></Properties>"
                                      ).encode(),
                 "docProps/core.xml": _core(creator),
                 "xl/workbook.xml": self._workbook(),
                 "xl/_rels/workbook.xml.rels": _rels(
                     [(f"{_REL}/worksheet", f"worksheets/sheet{i}.xml")
                      for i in range(1, len(self.sheets) + 1)]
                     + [(f"{_REL}/styles", "styles.xml")]),
                 "xl/styles.xml": self._styles_xml()}
        for i, ws in enumerate(self.sheets, start=1):
            parts[f"xl/worksheets/sheet{i}.xml"] = ws.xml()
        return zip_parts(parts, level=1)  # a national dashboard: hundreds of MB of XML

    def _content_types(self) -> bytes:
        sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        overrides = [("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument."
                                          "spreadsheetml.sheet.main+xml"),
                     ("/xl/styles.xml", "application/vnd.openxmlformats-officedocument."
                                        "spreadsheetml.styles+xml"),
                     ("/docProps/core.xml", "application/vnd.openxmlformats-package."
                                            "core-properties+xml"),
                     ("/docProps/app.xml", "application/vnd.openxmlformats-officedocument."
                                           "extended-properties+xml")]
        overrides += [(f"/xl/worksheets/sheet{i}.xml", sheet)
                      for i in range(1, len(self.sheets) + 1)]
        return (_XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                'content-types"><Default Extension="rels" ContentType="application/'
                'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                'ContentType="application/xml"/>'
                + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
                + "</Types>").encode()

    def _workbook(self) -> bytes:
        sheets = "".join(f'<sheet name={quoteattr(ws.name)} sheetId="{i}" r:id="rId{i}"/>'
                         for i, ws in enumerate(self.sheets, start=1))
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{escape(_quoted(ws.name))}!{_absolute(ws.auto_filter)}</definedName>"
            for i, ws in enumerate(self.sheets) if ws.auto_filter)
        return (_XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/>'
                f"</bookViews><sheets>{sheets}</sheets>"
                + (f"<definedNames>{names}</definedNames>" if names else "")
                + "</workbook>").encode()

    def _styles_xml(self) -> bytes:
        styles = list(self._styles)
        formats = sorted({s.number_format for s in styles if s.number_format})
        format_ids = {f: 164 + i for i, f in enumerate(formats)}
        fonts = list(dict.fromkeys((s.bold, s.italic, s.size, s.color) for s in styles))
        fills = list(dict.fromkeys(s.fill for s in styles if s.fill))
        num_fmts = "".join(f'<numFmt numFmtId="{format_ids[f]}" formatCode={quoteattr(f)}/>'
                           for f in formats)
        font_xml = "".join(
            "<font>" + ("<b/>" if b else "") + ("<i/>" if i else "") + f'<sz val="{size:g}"/>'
            + (f'<color rgb="FF{color}"/>' if color else "") + '<name val="Calibri"/></font>'
            for b, i, size, color in fonts)
        fill_xml = ('<fill><patternFill patternType="none"/></fill>'
                    '<fill><patternFill patternType="gray125"/></fill>'
                    + "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/>'
                              "</patternFill></fill>" for c in fills))
        xfs = []
        for s in styles:
            font = fonts.index((s.bold, s.italic, s.size, s.color))
            fill = fills.index(s.fill) + 2 if s.fill else 0
            number = format_ids.get(s.number_format, 0)
            attrs = (f'numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="0" '
                     'xfId="0"' + (' applyNumberFormat="1"' if number else "")
                     + (' applyFont="1"' if font else "") + (' applyFill="1"' if fill else "")
                     + (' quotePrefix="1"' if s.quote else ""))
            xfs.append(f'<xf {attrs} applyAlignment="1"><alignment wrapText="1" '
                       'vertical="top"/></xf>' if s.wrap else f"<xf {attrs}/>")
        return (_XML + f'<styleSheet xmlns="{_MAIN}">'
                + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
                + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
                + f'<fills count="{len(fills) + 2}">{fill_xml}</fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
                '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
                f'borderId="0"/></cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}'
                '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
                'builtinId="0"/></cellStyles></styleSheet>').encode()


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    return ":".join("$" + re.sub(r"(\d+)", r"$\1", part) for part in ref.split(":"))


def _rels(targets: list[tuple[str, str]]) -> bytes:
    items = "".join(f'<Relationship Id="rId{i}" Type="{kind}" Target="{path}"/>'
                    for i, (kind, path) in enumerate(targets, start=1))
    return (_XML + f'<Relationships xmlns="{_PKG_REL}">{items}</Relationships>').encode()


def _core(creator: str) -> bytes:
    return (_XML + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
            f'XMLSchema-instance"><dc:creator>{escape(creator)}</dc:creator>'
            '<dcterms:created xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:created>'
            '<dcterms:modified xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:modified>'
            "</cp:coreProperties>").encode()
