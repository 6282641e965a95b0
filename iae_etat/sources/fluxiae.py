"""ASP FluxIAE exports read as text frames, whole or chunk by chunk (streaming).

Framing (``formats/README.md`` §1.1): an optional first line starting with ``DEB`` and last line
starting with ``FIN``, a BOM, the ``|`` separator, no quoting (a lone ``"`` is text), and
physical lines that are not records: a line with fewer fields than the header belongs with the
next ones (a line break inside a field) and is joined to them.

The text is decompressed and decoded block by block and cut into frames of at most
``CHUNK_ROWS`` records: a national ``EtatMensuelIndiv`` (millions of rows) is never held whole.
Each frame goes through the adapter's columns (personal ones dropped, ids pseudonymised) before
the caller sees it; ``asp.indicators`` aggregates the frames one by one.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path

import pandas as pd
import pyarrow as pa
from pyarrow import csv as pacsv

from iae_etat.common.errors import Probleme
from iae_etat.sources.adapters import (
    LINE_COLUMN,
    Adapter,
    find_header,
    map_columns,
    normalise_header,
)
from iae_etat.sources.text_files import LineTooLong, drop_personal, unreadable
from iae_etat.tables.etendue import MAX_TEXT_BYTES, TooLarge

CHUNK_ROWS = 250_000
BLOCK_BYTES = 4 * 1024 * 1024
# A streamed view (EtatMensuelIndiv) is bounded in time, not in memory: a national extract of
# several years is a few Gio of text.
MAX_STREAM_BYTES = 8 * 1024 ** 3
MAX_RECORD_CHARS = 1024 * 1024  # a FluxIAE record is a few hundred characters
READ_ERRORS = (UnicodeDecodeError, TooLarge, LineTooLong, OSError, EOFError, zlib.error)


def _physical_lines(path: Path, encoding: str, limit: int) -> Iterator[list[str]]:
    """The lines of the file (``\r\n``, ``\r`` and ``\n`` ends) in blocks, decompressed and
    decoded block by block; ``TooLarge`` past ``limit`` bytes, ``LineTooLong`` for an endless
    line."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    decoder = codecs.getincrementaldecoder(encoding)()
    size, tail, count = 0, "", 0
    with opener(path, "rb") as handle:
        while True:
            block = handle.read(BLOCK_BYTES)
            size += len(block)
            if size > limit:
                raise TooLarge(size, limit)
            text = tail + decoder.decode(block, final=not block)
            if not block:
                yield text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
                return
            held = ""
            if text.endswith("\r"):  # maybe the first half of a \r\n
                text, held = text[:-1], "\r"
            parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            tail = parts.pop() + held
            count += len(parts)
            if len(tail) > MAX_RECORD_CHARS:
                raise LineTooLong(count + 1, MAX_RECORD_CHARS)
            yield parts


def _without_fin(blocks: Iterable[list[str]]) -> Iterator[list[str]]:
    """The blocks of lines without the trailing empty lines and the ``FIN`` line after them
    (the last non-empty line of a block is held until a later one comes)."""
    held: list[str] = []
    for block in blocks:
        last = len(block) - 1
        while last >= 0 and not block[last]:
            last -= 1
        if last < 0:
            held.extend(block)
            continue
        yield held + block[:last]
        held = block[last:]
    while held and not held[-1]:
        held.pop()
    if held and held[-1].startswith("FIN"):
        held.pop()
    yield held


def _first(blocks: Iterator[list[str]]) -> tuple[str | None, Iterator[list[str]]]:
    """The first line of the blocks, and the blocks of the lines after it."""
    for block in blocks:
        if block:
            return block[0], chain([block[1:]], blocks)
    return None, iter(())


def stream(adapter: Adapter, path: Path, millesime: int, display_name: str,
           limit: int = MAX_STREAM_BYTES, chunk_rows: int = CHUNK_ROWS
           ) -> Iterator[tuple[pd.DataFrame | None, list[Probleme]]]:
    """The file as frames of at most ``chunk_rows`` records in the table's columns, each with
    its problems. A file that cannot be read to its end (too large, damaged, badly encoded, a
    column missing) ends with ``(None, problems)``: its earlier frames must then be ignored."""
    try:
        body = _without_fin(_physical_lines(path, adapter.encodage, limit))
        header_line, body = _first(body)
        first = 1
        if header_line is not None and header_line.startswith("DEB"):
            header_line, body = _first(body)
            first = 2
        if header_line is None:
            yield None, [Probleme(fichier=display_name, regle="source.fichier_vide",
                                  message="Le fichier ne contient pas d'en-tête.")]
            return
        yield from _frames(adapter, body, header_line, first, millesime, display_name,
                           chunk_rows)
    except READ_ERRORS as exc:
        yield None, unreadable(exc, adapter, display_name)


def _frames(adapter: Adapter, body: Iterator[list[str]], header_line: str, first: int,
            millesime: int, display_name: str, chunk_rows: int):
    sep = adapter.separateur
    header = [normalise_header(h) for h in header_line.split(sep)]
    width = len(header)
    records: list[str] = []
    numbers: list[int] = []
    problems: list[Probleme] = []
    pending, start, done, emitted, offset = "", 0, 0, False, first + 1
    for block in body:
        if not pending and all(line.count(sep) == width - 1 for line in block):
            records += block  # every line a whole record: the usual case
            numbers += range(offset, offset + len(block))
            offset += len(block)
        else:
            for line in block:
                if pending:
                    pending += line
                    if len(pending) > MAX_RECORD_CHARS:
                        raise LineTooLong(start, MAX_RECORD_CHARS)
                else:
                    pending, start = line, offset
                offset += 1
                count = pending.count(sep) + 1
                if count < width:
                    continue
                if count > width:
                    problems.append(Probleme(
                        fichier=display_name, cellule=f"ligne {start}",
                        regle="source.champs_en_trop", valeur=str(count), attendu=str(width),
                        message=f"Ligne {start} : {count} champs au lieu de {width} ; "
                                "la ligne est écartée."))
                else:
                    records.append(pending)
                    numbers.append(start)
                pending = ""
        while len(records) >= chunk_rows:
            frame, found = _frame(adapter, header, records[:chunk_rows], numbers[:chunk_rows],
                                  first + 1 + done, millesime, display_name)
            yield frame, problems + found
            if frame is None:
                return
            done += chunk_rows
            del records[:chunk_rows], numbers[:chunk_rows]
            problems, emitted = [], True
    if pending:
        problems.append(Probleme(
            fichier=display_name, cellule=f"ligne {start}", regle="source.ligne_incomplete",
            message=f"Ligne {start} : enregistrement incomplet en fin de fichier ; écarté."))
    if records or not emitted:
        frame, found = _frame(adapter, header, records, numbers, first + 1 + done, millesime,
                              display_name)
        yield frame, problems + found
    elif problems:
        yield pd.DataFrame(), problems


def _frame(adapter: Adapter, header: list[str], records: list[str], numbers: list[int],
           first_line: int, millesime: int, display_name: str
           ) -> tuple[pd.DataFrame | None, list[Probleme]]:
    """One chunk of records in the table's columns (None when the file lacks a column)."""
    frame = drop_personal(adapter, _parse(adapter, header, records, millesime))
    out, mapped = map_columns(adapter, frame, millesime, display_name, first_line=first_line)
    if any(p.regle == "source.colonne_absente" for p in mapped):
        return None, mapped
    if not out.empty:
        out[LINE_COLUMN] = pd.Series(numbers, dtype="int64")
    return out, mapped


def _wanted(adapter: Adapter, header: list[str], millesime: int) -> list[int]:
    """Positions of the columns the adapter reads (all of them when one is missing, for the
    record of the missing column to name the nearest ones)."""
    made = {target: source for target, source in adapter.annee_de.items()
            if source in header and target not in header}
    names = set()
    for target, wanted in adapter.column_map(millesime).items():
        found = find_header(adapter, wanted, [*header, *made])
        if found is None and target not in adapter.facultatives:
            return list(range(len(header)))
        if found is not None:
            names.add(made.get(found, found))
    return [i for i, name in enumerate(header) if name in names]


def _parse(adapter: Adapter, header: list[str], records: list[str],
           millesime: int) -> pd.DataFrame:
    """The records (one text line each, with the header's number of fields) as text columns:
    parsed by pyarrow (no quoting, nothing made missing), only the columns the adapter reads."""
    keep = _wanted(adapter, header, millesime)
    columns = [header[i] for i in keep]
    if not records or len(adapter.separateur) != 1:
        rows = [record.split(adapter.separateur) for record in records]
        frame = pd.DataFrame(rows, columns=header, dtype=object).astype("string")
        return frame.iloc[:, keep] if rows else frame[columns]
    names = [f"c{i}" for i in range(len(header))]
    table = pacsv.read_csv(
        io.BytesIO("\n".join(records).encode("utf-8")),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(delimiter=adapter.separateur, quote_char=False,
                                         double_quote=False, escape_char=False,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            include_columns=[names[i] for i in keep],
            column_types={names[i]: pa.string() for i in keep}, strings_can_be_null=False))
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
    frame.columns = columns
    return frame


def read_fluxiae_source(adapter: Adapter, path: Path, millesime: int,
                        display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read a whole ASP FluxIAE export (at most ``etendue.MAX_TEXT_BYTES`` of text), framing
    as above; a file that cannot be read gives no rows and its one record."""
    frames, problems = [], []
    for frame, found in stream(adapter, path, millesime, display_name, limit=MAX_TEXT_BYTES):
        if frame is None:
            if found and found[0].regle == "source.colonne_absente":
                return pd.DataFrame(), problems + found
            return pd.DataFrame(), found
        problems += found
        if not frame.empty:
            frames.append(frame)
    if not frames:
        return pd.DataFrame(), problems
    if len(frames) == 1:
        return frames[0], problems
    return pd.concat(frames, ignore_index=True), problems
