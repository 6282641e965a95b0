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
CHUNK_BYTES = 1024 * 1024
MAX_TAG_BYTES = 64 * 1024  # a start tag longer than this is not a spreadsheet's

_XLSX_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c|f|v|is|dimension)(?=[\s/>])([^>]*)>")
_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])"
                      rb"([^>]*)>")
_REF = re.compile(rb'\br="([A-Za-z]{0,3})([0-9]{0,7})"')
_DIMENSION = re.compile(rb'\bref="([A-Za-z]{1,3}[0-9]{1,7}:)?([A-Za-z]{1,3})([0-9]{1,7})"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated="([0-9]{1,12})"')
_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated="([0-9]{1,12})"')
_ODS_VALUE = re.compile(rb"office:value-type=")
_TABLE_NAME = re.compile(rb'table:name="([^"]*)"')
_V_TEXT = re.compile(rb"([^<]{0,64})</")


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
        if cut < 0 or buffer.find(b">", cut) >= 0:
            cut = len(buffer)  # every tag complete (text after the last one may be cut short)
        for match in pattern.finditer(buffer, 0, cut):
            yield match, buffer
        tail = buffer[cut:]
        if len(tail) > MAX_TAG_BYTES:
            raise ValueError("balise démesurée")
    for match in pattern.finditer(tail):
        yield match, tail


def scan_xlsx_sheet(chunks: Iterable[bytes], sheet: str, extent: Extent) -> None:
    """Add the rectangle of one worksheet XML to ``extent``; stop when it passes the limit.

    Cells and rows without their ``r`` reference follow the previous one, as parsers place them.
    Cells of type error (``t="e"``: ``#DIV/0!``, ``#N/A``…) and formulas saved without their
    result are noted with their reference.
    """
    row = col = max_row = max_col = 0
    cell = ""
    formula = value = error = False
    base = extent.cells
    for match, buffer in _tags(chunks, _XLSX_TAG):
        closing, name, attrs = match.group(1), match.group(2), match.group(3)
        if name == b"c":
            if closing:
                if formula and not value:
                    extent.formulas_without_value.append((sheet, cell))
                continue
            ref = _REF.search(attrs)
            if ref and ref.group(1):
                col = column_number(ref.group(1))
                if ref.group(2):
                    row = int(ref.group(2))
            else:
                col += 1
            row = max(row, 1)
            cell = f"{column_letters(col)}{row}"
            max_row, max_col = max(max_row, row), max(max_col, col)
            formula = value = False
            error = bool(_ERROR_TYPE.search(attrs))
            if attrs.endswith(b"/"):
                error = False
        elif name == b"row" and not closing:
            ref = _REF.search(attrs)
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            col = 0
        elif name == b"f" and not closing:
            formula = True
        elif name == b"is" and not closing:
            value = True
        elif name == b"v" and not closing and not attrs.endswith(b"/") \
                and buffer[match.end():match.end() + 1] != b"<":
            value = True
            if error:
                text = _V_TEXT.match(buffer, match.end())
                shown = text.group(1).decode("utf-8", "replace").strip() if text else ""
                extent.errors.append((sheet, cell, shown or "#ERREUR"))
        elif name == b"dimension" and not closing:
            ref = _DIMENSION.search(attrs)
            if ref and _passes(extent, base, int(ref.group(3)), column_number(ref.group(2))):
                extent.sheet = sheet
                extent.last_cell = (ref.group(2) + ref.group(3)).decode().upper()
                return
        if _passes(extent, base, max_row, max_col):
            extent.sheet, extent.last_cell = sheet, f"{column_letters(max_col)}{max_row}"
            return
    extent.cells = base + max_row * max_col


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
