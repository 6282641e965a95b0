"""Workbook helpers shared by every xlsx the tool writes: injection-safe text, stable bytes."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = datetime(2000, 1, 1)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula."""
    return text.startswith(_FORMULA_START)


def protect_csv_text(value: Any) -> Any:
    """A CSV cell that no spreadsheet will run: risky text gets a leading apostrophe."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def set_cell(cell: Any, value: Any) -> None:
    """Put ``value`` in an openpyxl cell; text always stays text, never a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def workbook_bytes(workbook: Any) -> bytes:
    """The workbook saved as xlsx bytes that depend only on its content."""
    workbook.properties.creator = "iae-etat"
    workbook.properties.created = FIXED_DOC_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return stable_zip(buffer.getvalue())


def stable_zip(data: bytes) -> bytes:
    """Rewrite an OOXML zip with fixed timestamps so equal content gives equal bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    if "docProps/core.xml" in parts:
        parts["docProps/core.xml"] = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                                                   parts["docProps/core.xml"])
    return zip_parts(parts)


def zip_parts(parts: dict[str, bytes | Iterable[bytes]], level: int | None = None) -> bytes:
    """A deflated zip of ``parts`` (name → content, in order) with fixed timestamps.

    A content given as an iterable of byte strings is compressed piece by piece (a large
    worksheet is never held whole); the zip is the same as for the joined bytes. ``level``:
    the deflate level (zlib's default when None; 1 is several times faster).
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst:
        for name, content in parts.items():
            entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            if isinstance(content, bytes):
                dst.writestr(entry, content)
                continue
            with dst.open(entry, "w") as member:
                for piece in content:
                    member.write(piece)
    return out.getvalue()


# Local header, central directory record and end of archive, as zipfile writes them for a
# deflated member without extra field (version 2.0, made on Unix, fixed date 1980-01-01).
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_DOS_TIME, _DOS_DATE = 0, (FIXED_ZIP_TIME[1] << 5) | FIXED_ZIP_TIME[2]
_VERSION, _UNIX, _UTF8 = 20, 3, 0x800


@dataclass(frozen=True)
class DeflatedPart:
    """One zip member compressed once, to be copied byte for byte into many archives."""

    name: bytes
    flags: int
    crc: int
    size: int
    body: bytes


def deflate_part(name: str, data: bytes) -> DeflatedPart:
    """``data`` deflated as ``zip_parts`` deflates it (zlib's default level)."""
    try:
        encoded, flags = name.encode("ascii"), 0
    except UnicodeEncodeError:
        encoded, flags = name.encode("utf-8"), _UTF8
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return DeflatedPart(encoded, flags, zlib.crc32(data), len(data),
                        compressor.compress(data) + compressor.flush())


def zip_deflated(parts: Iterable[DeflatedPart]) -> bytes:
    """The zip of already deflated members, in order: the same bytes as ``zip_parts`` gives
    for their content, without compressing anything again."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for part in parts:
        out += [_LOCAL.pack(b"PK\x03\x04", _VERSION, 0, part.flags, zipfile.ZIP_DEFLATED,
                            _DOS_TIME, _DOS_DATE, part.crc, len(part.body), part.size,
                            len(part.name), 0), part.name, part.body]
        central += [_CENTRAL.pack(b"PK\x01\x02", _VERSION, _UNIX, _VERSION, 0, part.flags,
                                  zipfile.ZIP_DEFLATED, _DOS_TIME, _DOS_DATE, part.crc,
                                  len(part.body), part.size, len(part.name), 0, 0, 0, 0,
                                  0o600 << 16, offset), part.name]
        offset += _LOCAL.size + len(part.name) + len(part.body)
    directory = b"".join(central)
    count = len(central) // 2
    end = _END.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), offset, 0)
    return b"".join(out) + directory + end
