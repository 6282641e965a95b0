"""The dashboard's long tables as CSV beside the workbook (pure).

« Données », « Évolution » and « Communes » are always also published as
``tableau-de-bord-<table>.csv``: the same columns and cells as their sheet (``;``, decimal
comma, UTF-8 with BOM, CRLF, no cell a spreadsheet could run), for R, Python, a database or a
spreadsheet's import. A table of more than ``WORKBOOK_ROWS_MAX`` rows is published in its CSV
only, and its sheet says so: a workbook of millions of rows (a national scope) is neither opened
nor pivoted, and costs gigabytes to write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from iae_etat.report.xlsx_stream import DEFAULT, Column, Sheet
from iae_etat.tables.formats import decimal_text, nombre
from iae_etat.tables.xlsx import protect_csv_text

WORKBOOK_ROWS_MAX = 200_000
# The rows of a table made at a time for its CSV: the cells of a national table (millions of
# rows, a text per distinct value) made whole took 400 Mio.
PART_ROWS = 200_000
CSV_NAMES = {"Données": "tableau-de-bord-donnees.csv",
             "Évolution": "tableau-de-bord-evolution.csv",
             "Communes": "tableau-de-bord-communes.csv"}
# What receives a CSV: its file name and its bytes, in pieces (``publication`` writes the file).
CsvSink = Callable[[str, Iterable[bytes]], None]


@dataclass(frozen=True)
class LongTable:
    """A table of the dashboard with its sheet's name, title, subtitle, column titles, number of
    rows and column widths; ``cells(start, stop)`` makes the cells of rows ``start`` to ``stop``
    (one ``Column`` per title, in order): a table of millions of rows, published in its CSV
    only, is made and written ``PART_ROWS`` rows at a time."""

    sheet: str
    title: str
    subtitle: str
    titles: list[str]
    rows: int
    cells: Callable[[int, int], list[Column]]
    widths: list[int]
    empty: str = ""  # what the sheet says instead of an empty table

    def parts(self) -> Iterator[list[Column]]:
        """The cells of every row, ``PART_ROWS`` rows at a time."""
        for start in range(0, self.rows, PART_ROWS):
            yield self.cells(start, min(start + PART_ROWS, self.rows))


def csv_field(value: object) -> str:
    """One CSV cell: a number with a decimal comma, « oui »/« non », text protected and quoted
    when it holds the separator, a quote or a line break; nothing for a missing value."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "oui" if value else "non"
    if isinstance(value, int | float | np.integer | np.floating):
        return decimal_text(float(value))
    text = str(protect_csv_text(str(value)))
    if any(c in text for c in ';"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _cells(column: Column) -> tuple[np.ndarray, np.ndarray]:
    """(text of each distinct value, then "" for no cell; the index of each row's text)."""
    values = column.values if isinstance(column.values, pd.Categorical) \
        else np.asarray(column.values, dtype=object)
    inverse, uniques = pd.factorize(values, use_na_sentinel=False)
    texts = np.array([csv_field(u) for u in uniques] + [""], dtype=object)
    index = np.where(np.asarray(column.codes) >= 0, inverse, len(uniques))
    return texts, index


def csv_pieces(titles: list[str], parts: Iterable[list[Column]],
               rows_per_piece: int = 50_000) -> Iterator[bytes]:
    """The CSV under ``titles`` of the rows of ``parts`` (the columns of some rows each, in
    order), in pieces of at most ``rows_per_piece`` rows (a column absent from a part is
    empty)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    yield ("\ufeff" + ";".join(csv_field(t) for t in titles) + "\r\n").encode("utf-8")
    blank = (np.array([""], dtype=object), None)
    for columns in parts:
        by_index = {column.index: _cells(column) for column in columns}
        count = len(columns[0].codes) if columns else 0
        layout = [(pa.array(texts, type=pa.string()), index)
                  for texts, index in (by_index.get(i, blank) for i in range(1, len(titles) + 1))]
        for first in range(0, count, rows_per_piece):
            last = min(first + rows_per_piece, count)
            # each row's cells joined by Arrow (a national table has millions of rows)
            parts_of_rows = [texts.take(index[first:last] if index is not None
                                        else np.zeros(last - first, dtype=np.int64))
                             for texts, index in layout]
            lines = pc.binary_join_element_wise(
                pc.binary_join_element_wise(*parts_of_rows, ";"), "", "\r\n")
            yield _joined(lines)


def _joined(strings) -> bytes:
    """The UTF-8 bytes of an Arrow string array's values, one after the other."""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[
        strings.offset:strings.offset + len(strings) + 1]
    return strings.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def elsewhere(ws: Sheet, start: int, rows: int, sheet: str) -> None:
    """The sheet of a table published in its CSV only: where it is, and why."""
    ws.write(start, [(1, f"Ce tableau compte {nombre(rows)} lignes, trop pour un classeur : il "
                        f"est publié à côté, dans « {CSV_NAMES[sheet]} » (mêmes colonnes ; "
                        "séparateur « ; », virgule décimale, UTF-8), à ouvrir dans un tableur "
                        "par l'import de données, ou avec R, Python ou une base de données.",
                      DEFAULT)])
    ws.widths = {1: 120}
