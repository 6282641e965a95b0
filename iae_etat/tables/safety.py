"""Safety checks of a returned workbook, run before any parser sees it.

A return comes from outside: it may be a zip bomb, an XML entity bomb, carry macros, be
encrypted or be a legacy binary file. ``inspect_file`` looks at the bytes and the zip directory
only (no XML parser), refuses what is dangerous with a blocking problem, and gathers two facts the
reader needs: the save date written by the spreadsheet, and the formula cells that have no cached
value (calamine would read them as empty).
"""

from __future__ import annotations

import html
import io
import itertools
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from iae_etat.common.errors import Probleme
from iae_etat.tables.etendue import (
    MAX_CELLS_RETURN,
    MAX_ODS_CONTENT_BYTES,
    Extent,
    scan_ods_content,
    scan_xlsx_sheet,
    zip_entry_chunks,
)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ENTRIES = 1000
MAX_RATIO = 100
RATIO_MIN_BYTES = 1024 * 1024  # small entries may compress a lot without harm
PROLOG_SCAN_BYTES = 64 * 1024

CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_CORE_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)<")
_ODS_DATE = re.compile(rb"<dc:date>([^<]+)<")
_SHEET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_REL_REVERSED = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')

CONSEIL_RENVOI = "Enregistrez le questionnaire au format .xlsx ou .ods, sans mot de passe ni " \
                 "macro, et renvoyez-le."


@dataclass
class Inspection:
    """What the safety checks found in one file."""

    problemes: list[Probleme] = field(default_factory=list)
    enregistre_le: str = ""
    formules_sans_valeur: list[tuple[str, str]] = field(default_factory=list)
    valeurs_erreur: list[tuple[str, str, str]] = field(default_factory=list)
    data: bytes = b""

    @property
    def sure(self) -> bool:
        return not self.problemes


def inspect_file(path: Path, display_name: str) -> Inspection:
    """Check ``path`` before parsing; ``data`` holds its bytes when it is safe to parse.

    The rectangles of the sheets are bounded (``etendue.MAX_CELLS_RETURN``) before calamine
    allocates them.
    """
    max_cells = MAX_CELLS_RETURN
    out = Inspection()

    def refuse(regle: str, message: str, valeur: str = "", attendu: str = "",
               feuille: str = "", cellule: str = "") -> Inspection:
        out.problemes.append(Probleme(fichier=display_name, regle=regle, valeur=valeur,
                                      attendu=attendu, message=message, feuille=feuille,
                                      cellule=cellule,
                                      conseil=CONSEIL_RENVOI))
        return out

    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return refuse("questionnaire.fichier_trop_gros",
                      f"Fichier refusé : {size / 1048576:.1f} Mio, au-delà de la limite de "
                      f"{MAX_FILE_BYTES // 1048576} Mio.", f"{size} octets",
                      f"≤ {MAX_FILE_BYTES // 1048576} Mio")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if data.startswith(CFB_SIGNATURE):
        if _ENCRYPTED_STREAM in data:
            return refuse("questionnaire.fichier_chiffre",
                          "Fichier refusé : il est protégé par un mot de passe (chiffré).")
        return refuse("questionnaire.format_refuse",
                      "Fichier refusé : c'est un classeur Excel 97-2003 (.xls).", suffix,
                      ".xlsx ou .ods")
    if suffix == ".xls":
        return refuse("questionnaire.format_refuse",
                      "Fichier refusé : le format .xls (Excel 97-2003) n'est pas accepté.",
                      suffix, ".xlsx ou .ods")
    if suffix in (".xlsm", ".xltm", ".xlsb"):
        return refuse("questionnaire.macros",
                      f"Fichier refusé : le format {suffix} peut contenir des macros.", suffix,
                      ".xlsx ou .ods")
    if suffix not in (".xlsx", ".ods"):
        return refuse("questionnaire.format_refuse",
                      f"Fichier refusé : « {suffix or 'sans extension'} » n'est pas un classeur "
                      "accepté.", suffix, ".xlsx ou .ods")
    if not data.startswith(ZIP_SIGNATURE):
        return refuse("questionnaire.fichier_illisible",
                      "Fichier refusé : ce n'est pas un classeur .xlsx ou .ods valide.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return refuse("questionnaire.fichier_illisible",
                      "Fichier refusé : l'archive du classeur est endommagée.")
    if len(entries) > MAX_ENTRIES:
        return refuse("questionnaire.archive_suspecte",
                      f"Fichier refusé : {len(entries)} éléments dans l'archive (limite "
                      f"{MAX_ENTRIES}).", str(len(entries)), f"≤ {MAX_ENTRIES}")
    total = sum(e.file_size for e in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        return refuse("questionnaire.archive_suspecte",
                      f"Fichier refusé : {total / 1048576:.0f} Mio une fois décompressé (limite "
                      f"{MAX_UNCOMPRESSED_BYTES // 1048576} Mio).", f"{total} octets",
                      f"≤ {MAX_UNCOMPRESSED_BYTES // 1048576} Mio")
    for entry in entries:
        if entry.file_size > RATIO_MIN_BYTES and \
                entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            return refuse("questionnaire.archive_suspecte",
                          f"Fichier refusé : l'élément {entry.filename} se décompresse "
                          f"{entry.file_size // max(entry.compress_size, 1)} fois (limite "
                          f"{MAX_RATIO}).", entry.filename, f"taux ≤ {MAX_RATIO}")
        if entry.flag_bits & 0x1:
            return refuse("questionnaire.fichier_chiffre",
                          "Fichier refusé : l'archive est protégée par un mot de passe.")
    names = {e.filename for e in entries}
    if any(n.lower().endswith("vbaproject.bin") or n.startswith(("Basic/", "Scripts/"))
           for n in names):
        return refuse("questionnaire.macros",
                      "Fichier refusé : le classeur contient des macros.")
    try:
        if suffix == ".ods" and "META-INF/manifest.xml" in names and \
                b"encryption-data" in archive.read("META-INF/manifest.xml"):
            return refuse("questionnaire.fichier_chiffre",
                          "Fichier refusé : il est protégé par un mot de passe (chiffré).")
        refused = _bounded(data, entries, archive, names, suffix, max_cells, out)
        if refused:
            return refuse(*refused)
        if suffix == ".xlsx":
            out.enregistre_le = _first(archive, names, "docProps/core.xml", _CORE_MODIFIED)
        else:
            out.enregistre_le = _first(archive, names, "meta.xml", _ODS_DATE)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, zlib.error, struct.error,
            RecursionError):
        return refuse("questionnaire.fichier_illisible",
                      "Fichier refusé : l'archive du classeur est endommagée.")
    out.data = data
    return out


def sheets_refusal(data: bytes, suffix: str,
                   max_cells: int) -> tuple[str, str, str, str, str, str] | None:
    """Why the sheets of a workbook (``data``, a zip already checked for size and ratio) must
    not be parsed: ``(rule, message, value, expected, sheet, cell)``, or None."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    entries = archive.infolist()
    return _bounded(data, entries, archive, {e.filename for e in entries}, suffix, max_cells,
                    Inspection())


def _entry_bytes(data: bytes, entry: zipfile.ZipInfo, limit: int | None = None) -> bytes:
    """The content of one zip entry (its first ``limit`` bytes at least), decompressed straight
    from ``data``: faster than ``ZipFile.open`` for many small entries, and safe against a lying
    directory (the output may not exceed the declared size, which the limits above checked)."""
    out, size = [], 0
    for chunk in _entry_chunks(data, entry):
        out.append(chunk)
        size += len(chunk)
        if limit is not None and size >= limit:
            break
    return b"".join(out)


def _entry_chunks(data: bytes, entry: zipfile.ZipInfo):
    """The content of one zip entry, chunk by chunk (``etendue.zip_entry_chunks``)."""
    offset = entry.header_offset
    if data[offset:offset + 4] != ZIP_SIGNATURE:
        raise zipfile.BadZipFile(entry.filename)
    name_length, extra_length = struct.unpack("<HH", data[offset + 26:offset + 30])
    if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise zipfile.BadZipFile(entry.filename)
    return zip_entry_chunks(data, offset + 30 + name_length + extra_length, entry.compress_size,
                            entry.file_size, entry.compress_type == zipfile.ZIP_DEFLATED)


def _bounded(data: bytes, entries: list[zipfile.ZipInfo], archive: zipfile.ZipFile,
             names: set[str], suffix: str, max_cells: int,
             out: Inspection) -> tuple[str, str, str, str, str, str] | None:
    """Entity declarations and the size of the sheets, read as a stream from the XML; the
    refusal ``(rule, message, value, expected, sheet, cell)`` or None. Fills ``out``'s
    formulas without value and error cells."""
    sheets = _sheet_files(data, archive, names) if suffix == ".xlsx" else {}
    extent = Extent(limit=max_cells)
    for entry in entries:
        if not entry.filename.endswith((".xml", ".rels")):
            continue
        if suffix == ".ods" and entry.filename == "content.xml" \
                and entry.file_size > MAX_ODS_CONTENT_BYTES:  # the size it cannot exceed
            limite = MAX_ODS_CONTENT_BYTES // 1048576
            return ("fichier.ods_trop_gros",
                    f"Fichier refusé : le contenu de ce classeur .ods dépasse {limite} Mio une "
                    f"fois décompressé ({entry.file_size // 1048576} Mio) ; un .ods de cette "
                    "taille ne se lit pas en quelques secondes, il n'a pas été lu. Enregistrez-"
                    "le au format .xlsx ou .csv et déposez cette version.",
                    f"{entry.file_size // 1048576} Mio", f"≤ {limite} Mio", "", "")
        chunks = iter(_entry_chunks(data, entry))
        head = b""
        for chunk in chunks:
            head += chunk
            if len(head) >= PROLOG_SCAN_BYTES:
                break
        if _entity_declared(head):
            return ("questionnaire.xml_dangereux",
                    f"Fichier refusé : l'élément {entry.filename} déclare des entités XML "
                    "(risque de « bombe » XML).", entry.filename, "", "", "")
        stream = itertools.chain([head], chunks)
        if suffix == ".xlsx" and (entry.filename in sheets
                                  or entry.filename.startswith("xl/worksheets/")):
            scan_xlsx_sheet(stream, sheets.get(entry.filename, entry.filename), extent)
        elif suffix == ".ods" and entry.filename == "content.xml":
            scan_ods_content(stream, extent)
        if extent.exceeded:
            limite = f"{max_cells:,}".replace(",", "\u202f")
            return ("fichier.feuille_demesuree",
                    f"Fichier refusé : l'onglet « {extent.sheet} » s'étend jusqu'à la cellule "
                    f"{extent.last_cell}, au-delà de la limite de {limite} cellules (de A1 à la "
                    "dernière cellule, tous onglets comptés) ; il n'a pas été lu.",
                    f"{extent.sheet}!{extent.last_cell}", f"≤ {limite} cellules",
                    extent.sheet, extent.last_cell)
    out.formules_sans_valeur += extent.formulas_without_value
    out.valeurs_erreur += extent.errors
    return None


def _entity_declared(xml: bytes) -> bool:
    """True when the XML prolog declares a DOCTYPE or entities (or is absurdly long)."""
    head = xml[:PROLOG_SCAN_BYTES]
    if not head:
        return False
    start = head.find(b"?>") + 2 if head.startswith(b"<?xml") else 0
    root = _ROOT_START.search(head, start)
    if root is None:
        return len(head) >= PROLOG_SCAN_BYTES or bool(_DOCTYPE.search(head))
    return bool(_DOCTYPE.search(head, 0, root.start()))


def _first(archive: zipfile.ZipFile, names: set[str], name: str, pattern: re.Pattern) -> str:
    """The save date found by ``pattern`` in entry ``name``, as ``YYYY-MM-DDTHH:MM:SS``."""
    if name not in names:
        return ""
    found = pattern.search(archive.read(name)[:PROLOG_SCAN_BYTES])
    return found.group(1).decode("utf-8", "replace").strip()[:19] if found else ""


def _sheet_files(data: bytes, archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Zip path of each worksheet → its sheet name."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    rels_xml = _entry_bytes(data, archive.getinfo("xl/_rels/workbook.xml.rels"))
    rels = {i: t for i, t in _REL.findall(rels_xml)}
    rels.update({i: t for t, i in _REL_REVERSED.findall(rels_xml)})
    out = {}
    for name, rid in _SHEET.findall(_entry_bytes(data, archive.getinfo("xl/workbook.xml"))):
        target = rels.get(rid, b"").decode()
        if not target:
            continue
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        out[target] = html.unescape(name.decode("utf-8", "replace"))
    return out
