"""Writing helpers shared by the published workbooks (dashboard, annexe 4).

Every text goes through ``put``: a text a spreadsheet could read as a formula (leading
``= + - @``, tab or carriage return) is stored as text with Excel's *quotePrefix* (the
apostrophe), so it is shown and edited as text and never evaluated.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from iae_etat.tables.formats import MISSING_SYMBOL, SECRET_SYMBOL
from iae_etat.tables.xlsx import looks_like_formula

HEADER_FILL = "E3E3FD"
NUMBER_FORMATS = {"structures": "#,##0", "personnes": "#,##0", "foyers": "#,##0",
                  "€": "#,##0", "%": '0.0" %"', "points": '0.0" points"', "annee": "0"}
DEFAULT_NUMBER_FORMAT = "#,##0.0"


def missing(value: Any) -> bool:
    """None, NaN or pandas' NA."""
    if value is None or type(value).__name__ == "NAType":
        return True
    return isinstance(value, float) and math.isnan(value)


def put(ws: Any, row: int, column: int, value: Any, unite: str | None = None) -> Any:
    """Write ``value`` in a cell: numbers with a French-readable format, text never a formula."""
    cell = ws.cell(row=row, column=column)
    if missing(value):
        return cell
    if isinstance(value, bool):
        cell.value = "oui" if value else "non"
        cell.data_type = "s"
    elif isinstance(value, int | float):
        cell.value = value
        cell.number_format = NUMBER_FORMATS.get(unite or "", DEFAULT_NUMBER_FORMAT)
    else:
        text = str(value)
        cell.value = text
        cell.data_type = "s"
        if looks_like_formula(text):
            cell.quotePrefix = True
    return cell


SECRET_FILL = "D9D9D9"


def put_value(ws: Any, row: int, column: int, value: Any, statut: str, unite: str,
              restreinte: bool = False) -> Any:
    """A published figure: the number, or ``s`` (secret) / ``nd`` (not available).

    In ``restreinte`` diffusion a value under secrecy is shown, on a grey background.
    """
    absent = missing(value)
    if statut == "s" and (absent or not restreinte):
        return put(ws, row, column, SECRET_SYMBOL)
    if statut == "nd" or absent:
        return put(ws, row, column, MISSING_SYMBOL)
    cell = put(ws, row, column, float(value), unite)
    if statut == "s":
        from openpyxl.styles import PatternFill

        cell.fill = PatternFill("solid", fgColor=SECRET_FILL)
    return cell


@cache
def _header_styles() -> tuple:
    from openpyxl.styles import Alignment, Font, PatternFill

    return (Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL),
            Alignment(wrap_text=True, vertical="top"))


def header_row(ws: Any, row: int, titles: list[str], freeze: bool = True) -> None:
    """Bold, coloured column titles; the rows above and the titles stay visible when scrolling."""
    font, fill, alignment = _header_styles()
    for column, title in enumerate(titles, start=1):
        cell = put(ws, row, column, title)
        cell.font, cell.fill, cell.alignment = font, fill, alignment
    if freeze:
        ws.freeze_panes = ws.cell(row=row + 1, column=1)


def table(ws: Any, row: int, titles: list[str], last_row: int, widths: list[int]) -> None:
    """Autofilter over a header row and its data, and column widths."""
    from openpyxl.utils import get_column_letter

    end = get_column_letter(len(titles))
    ws.auto_filter.ref = f"A{row}:{end}{max(last_row, row)}"
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def title(ws: Any, text: str, subtitle: str = "") -> int:
    """A sheet title (and subtitle) on the first rows; returns the next free row."""
    from openpyxl.styles import Font

    put(ws, 1, 1, text).font = Font(bold=True, size=13, color="000091")
    if subtitle:
        put(ws, 2, 1, subtitle).font = Font(italic=True)
    return 4 if subtitle else 3


def sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unique worksheet name (31 characters, none of ``[]:*?/\\``)."""
    clean = "".join(" " if c in "[]:*?/\\" else c for c in text).strip(" '") or "Feuille"
    base = clean[:31].rstrip()
    name, number = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({number})"
        name = base[:31 - len(suffix)].rstrip() + suffix
        number += 1
    taken.add(name)
    return name
