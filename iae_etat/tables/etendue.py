"""Bounded reading: what a workbook or a compressed file will cost, known before any parser runs.

A spreadsheet parser allocates the rectangle from A1 to the last cell of each sheet: one cell at
``XFD1048576`` in a 25 kB file asks for 17 billion cells. ``scan_xlsx_sheet`` and
``scan_ods_content`` read the sheet XML as a stream of chunks (a few kilobytes at a time) and
stop as soon as the rectangle, the declared ``<dimension>`` or the number of cells passes the
limit; in an .ods file, repeated rows and columns (``number-rows-repeated``) count as many times
as they repeat when they hold a value. ``read_bounded`` gunzips (or reads) a file and stops at a
size limit while streaming. The limits are documented in ``docs/limites.md``.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Cells of the rectangles (A1 to the last cell) of all the sheets of one workbook.
MAX_CELLS_RETURN = 2_000_000
MAX_CELLS_SOURCE = 4_000_000
# Text of one source file once decompressed (CSV, FluxIAE, JSON).
MAX_TEXT_BYTES = 256 * 1024 * 1024
# The sheets of an .ods (content.xml) once decompressed: parsed tag by tag, 32 Mio (about
# 300 000 cells) are scanned and read in a few seconds; beyond, the file is refused.
MAX_ODS_CONTENT_BYTES = 32 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
MAX_TAG_BYTES = 64 * 1024  # a start tag longer than this is not a spreadsheet's
MAX_ROW_BYTES = 16 * 1024 * 1024  # one row of a sheet (16 384 cells) fits many times
TEXT_AFTER_TAG = 256  # the last tag of a chunk waits for the next one to see its value

_DIMENSION_TAG = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\bref="([A-Za-z]{1,3}[0-9]{1,7}:)?'
                            rb'([A-Za-z]{1,3})([0-9]{1,7})"')
# Spreadsheets write the reference first (``<c r="B3" s="1">``): a literal prefix the regular
# expression engine finds fast. A cell whose reference comes later counts as one without.
_ROW_REFS = re.compile(rb'<row r="([0-9]{1,9})"')
_CELL_REFS = re.compile(rb'<c r="([A-Za-z]{1,4})[0-9]')
_CELL = re.compile(rb'<c\b([^>]*?\br="([A-Z]+[0-9]+)"[^>]*?)(?:/>|>(.*?)</c>)', re.DOTALL)
_ERROR_VALUE = re.compile(rb"<v>([^<]*)</v>")
_VALUE = re.compile(rb"<v>[^<]|<is>")
_FORMULA = re.compile(rb"<f[ >/]")
_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])"
                      rb"([^>]*)>")
_ERROR_TYPE = re.compile(rb'\bt="e"')
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated="([0-9]{1,12})"')
_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated="([0-9]{1,12})"')
_ODS_VALUE = re.compile(rb"office:value-type=")
_TABLE_NAME = re.compile(rb'table:name="([^"]*)"')


def column_number(letters: bytes | str) -> int:
    """``A`` → 1, ``Z`` → 26, ``AA`` → 27, ``XFD`` → 16384."""
    number = 0
    for ch in (letters.decode() if isinstance(letters, bytes) else letters).upper():
        number = number * 26 + ord(ch) - 64
    return number


def column_letters(number: int) -> str:
    """``1`` → ``A``, ``28`` → ``AB``."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Extent:
    """What the scan of a workbook found: the largest rectangle, the cells, error values."""

    limit: int
    cells: int = 0  # sum of the sheets' rectangles
    sheet: str = ""  # the sheet that passed the limit
    last_cell: str = ""  # and its last cell (``XFD1048576``)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (sheet, cell, value)
    formulas_without_value: list[tuple[str, str]] = field(default_factory=list)

    @property
    def exceeded(self) -> bool:
        return bool(self.sheet)


def _tags(chunks: Iterable[bytes], pattern: re.Pattern):
    """Matches of ``pattern`` over a stream of chunks, and the text after each (a few bytes).

    A tag cut between two chunks is completed by the next one; a start tag that never ends
    within ``MAX_TAG_BYTES`` stops the scan (``ValueError``).
    """
    tail = b""
    for chunk in chunks:
        buffer = tail + chunk
        cut = buffer.rfind(b"<")
        if cut < 0 or (buffer.find(b">", cut) >= 0 and len(buffer) - cut > TEXT_AFTER_TAG):
            cut = len(buffer)  # every tag complete (a long text after the last one: cut short)
        for match in pattern.finditer(buffer, 0, cut):
            yield match, buffer
        tail = buffer[cut:]
        if len(tail) > MAX_TAG_BYTES:
            raise ValueError("balise démesurée")
    for match in pattern.finditer(tail):
        yield match, tail


def _rows(chunks: Iterable[bytes]):
    """The XML of a sheet cut after a ``</row>``: each piece holds whole rows."""
    tail = b""
    for chunk in chunks:
        buffer = tail + chunk
        cut = buffer.rfind(b"</row>")
        if cut < 0:
            tail = buffer
        else:
            yield buffer[:cut + 6]
            tail = buffer[cut + 6:]
        if len(tail) > MAX_ROW_BYTES:
            raise ValueError("ligne démesurée")
    if tail:
        yield tail


def scan_xlsx_sheet(chunks: Iterable[bytes], sheet: str, extent: Extent) -> None:
    """Add the rectangle of one worksheet XML to ``extent``; stop when it passes the limit.

    The XML is taken a few whole rows at a time; counting and searching run in C over each
    piece (a sheet of a million cells is measured in about a second). Cells and rows without
    their ``r`` reference follow the previous one: they are counted as if they came after the
    largest reference (an upper bound). Cells of type error (``t="e"``: ``#DIV/0!``…) and
    formulas saved without their result are noted with their reference.
    """
    base = extent.cells
    cells = max_row = max_col = implicit_rows = widest = 0
    first = True
    for piece in _rows(chunks):
        if first:
            first = False
            for found in _DIMENSION_TAG.finditer(piece, 0, piece.find(b"<sheetData")):
                if _passes(extent, base, int(found.group(3)), column_number(found.group(2))):
                    extent.sheet = sheet
                    extent.last_cell = (found.group(2) + found.group(3)).decode().upper()
                    return
        in_piece = sum(piece.count(tag) for tag in (b"<c ", b"<c>", b"<c/"))
        cells += in_piece
        rows = _ROW_REFS.findall(piece)
        implicit_rows += piece.count(b"<row") - len(rows)
        if rows:
            max_row = max(max_row, max(map(int, rows)))
        refs = _CELL_REFS.findall(piece)
        if refs:
            max_col = max(max_col, max(map(column_number, set(refs))))
        if len(refs) < in_piece:  # cells placed by order: the longest row bounds them
            widest = max(widest, max(part.count(b"<c ") + part.count(b"<c>")
                                     + part.count(b"<c/") for part in piece.split(b"<row")))
        rows_bound = max(max_row + implicit_rows, 1 if cells else 0)
        if base + cells > extent.limit or _passes(extent, base, rows_bound, max_col + widest):
            extent.sheet = sheet
            extent.last_cell = f"{column_letters(min(max_col + widest, 16384))}{rows_bound}"
            return
        if b"<f" in piece or b't="e"' in piece:
            _formulas_and_errors(piece, sheet, extent)
    extent.cells = base + max(max_row + implicit_rows, 1 if cells else 0) * (max_col + widest)


def _formulas_and_errors(piece: bytes, sheet: str, extent: Extent) -> None:
    """Error cells and formulas without a saved result among whole rows of XML."""
    for match in _CELL.finditer(piece):
        attrs, inner = match.group(1), match.group(3) or b""
        cell = match.group(2).decode()
        if _ERROR_TYPE.search(attrs):
            value = _ERROR_VALUE.search(inner)
            extent.errors.append((sheet, cell, value.group(1).decode("utf-8", "replace").strip()
                                  if value and value.group(1).strip() else "#ERREUR"))
        elif _FORMULA.search(inner) and not _VALUE.search(inner):
            extent.formulas_without_value.append((sheet, cell))


def _passes(extent: Extent, base: int, rows: int, cols: int) -> bool:
    return base + rows * cols > extent.limit


def scan_ods_content(chunks: Iterable[bytes], extent: Extent) -> None:
    """Add the rectangles of the sheets of an .ods ``content.xml`` to ``extent``.

    A row or a cell repeated N times (``number-rows-repeated``, ``number-columns-repeated``)
    counts N times when it holds a value; empty repeated ones (the blank formatted area a
    spreadsheet writes after the data) count for nothing, as parsers skip them.
    """
    sheet = ""
    base = extent.cells
    row = max_row = max_col = 0
    row_repeat, row_col, row_last = 1, 0, 0
    for match, _ in _tags(chunks, _ODS_TAG):
        closing, name, attrs = match.group(1), match.group(2), match.group(3)
        if name == b"table":
            if closing:
                base += max_row * max_col
                row = max_row = max_col = 0
            else:
                found = _TABLE_NAME.search(attrs)
                sheet = found.group(1).decode("utf-8", "replace") if found else ""
            continue
        if name == b"table-row":
            if closing:
                if row_last:
                    max_row = row + row_repeat
                    max_col = max(max_col, row_last)
                row += row_repeat
            else:
                found = _ROWS_REPEATED.search(attrs)
                row_repeat = int(found.group(1)) if found else 1
                row_col, row_last = 0, 0
                if attrs.endswith(b"/"):
                    row += row_repeat
            if _passes(extent, base, max_row, max_col):
                extent.sheet, extent.last_cell = sheet, f"{column_letters(max_col)}{max_row}"
                return
            continue
        if closing:
            continue
        found = _COLUMNS_REPEATED.search(attrs)
        repeat = int(found.group(1)) if found else 1
        row_col += repeat
        if not attrs.endswith(b"/") or _ODS_VALUE.search(attrs):
            row_last = row_col
            if _passes(extent, base, row + row_repeat, row_last):
                extent.sheet = sheet
                extent.last_cell = f"{column_letters(min(row_last, 16384))}{row + row_repeat}"
                return
    extent.cells = base + max_row * max_col


def zip_entry_chunks(data: bytes, offset: int, compress_size: int, file_size: int,
                     deflated: bool) -> Iterable[bytes]:
    """The content of a zip entry whose data start at ``offset``, decompressed chunk by chunk;
    never more than ``file_size`` bytes (a lying directory raises ``ValueError``)."""
    raw = memoryview(data)[offset:offset + compress_size]
    produced = 0
    if not deflated:
        for start in range(0, len(raw), CHUNK_BYTES):
            yield bytes(raw[start:start + CHUNK_BYTES])
        return
    inflater = zlib.decompressobj(-15)
    for start in range(0, len(raw), CHUNK_BYTES // 16):
        pending = raw[start:start + CHUNK_BYTES // 16]
        while pending:
            out = inflater.decompress(pending, CHUNK_BYTES)
            produced += len(out)
            if produced > file_size:
                raise ValueError("taille décompressée supérieure à celle annoncée")
            if out:
                yield out
            pending = inflater.unconsumed_tail
    out = inflater.flush()
    produced += len(out)
    if produced > file_size:
        raise ValueError("taille décompressée supérieure à celle annoncée")
    if out:
        yield out


class TooLarge(Exception):
    """A file passed ``MAX_TEXT_BYTES`` while it was read (``size``: bytes read so far)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size)
        self.size, self.limit = size, limit


def read_bounded(path: Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of ``path``, gunzipped when its name ends with ``.gz``; ``TooLarge`` as soon
    as more than ``limit`` bytes come out (the rest is never decompressed)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    parts, size = [], 0
    with opener(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise TooLarge(size, limit)
            parts.append(chunk)
    return b"".join(parts)
