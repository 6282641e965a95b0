"""Cells, styles and layout helpers shared by the sheets of ``tableau-de-bord.xlsx`` (pure)."""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np
import pandas as pd

from iae_etat.analyse.couverture import LIBELLES_BESOINS
from iae_etat.common.indicators import BY_CODE, CATALOGUE
from iae_etat.common.vocabulary import ENSEMBLE, LEVELS, PUBLIC_LABELS, TYPES_SIAE
from iae_etat.report.xlsx_stream import DEFAULT, Column, Sheet, Style, column_letter
from iae_etat.tables.formats import MISSING_SYMBOL, SECRET_SYMBOL
from iae_etat.tables.sheets import (
    DEFAULT_NUMBER_FORMAT,
    HEADER_FILL,
    NUMBER_FORMATS,
    SECRET_FILL,
    missing,
)

KINDS = (ENSEMBLE, *TYPES_SIAE)
# A fill per band of the indice de couverture, from the least to the best covered; the band's
# name is always written in the cell, so the sheet reads in black and white too.
BAND_FILLS = {"très faible": "E4794A", "faible": "F3B27A", "intermédiaire": "FCE49A",
              "bonne": "B9DFA1", "très bonne": "6DBE7A"}
SHORT_NEEDS = {"de_abc": "DE ABC", "foyers_rsa": "foyers RSA"}
TITLE = Style(bold=True, size=13, color="000091")
BIG_TITLE = Style(bold=True, size=14, color="000091")
SUBTITLE = Style(italic=True)
HEADER = Style(bold=True, fill=HEADER_FILL, wrap=True)
BOLD = Style(bold=True)
INDEX_FORMAT = "0.00"
NO_CELL, SECRET, NOT_AVAILABLE, PUBLISHED = range(4)  # statut_codes

FORMATS = {**NUMBER_FORMATS, "€": '#,##0" €"'}  # whole euros, as the report writes them


def format_of(unite: str) -> str:
    """The spreadsheet number format of a unit (euros in euros)."""
    return FORMATS.get(unite, DEFAULT_NUMBER_FORMAT)


def french_key(text: object) -> str:
    """A sort key that orders French names as a reader does: accents after their letter,
    « Érôme » between « Drôme » and « Fay » (not after « Z »), case ignored."""
    folded = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)) + "\x00" + str(text)


def french_rank(values) -> np.ndarray:
    """The rank of each value in French order (``french_key``), computed on the distinct
    values once (a national sheet has hundreds of thousands of rows); a missing one is ""."""
    codes, distinct = _coded(pd.Series(values))
    used = _used(codes, len(distinct))
    texts = [str(value) for value in distinct[used]]
    ranks = {text: rank for rank, text in enumerate(sorted(set(texts), key=french_key))}
    rank_of = np.zeros(len(distinct), dtype=np.int32)
    rank_of[used] = [ranks[text] for text in texts]
    return rank_of[codes]


def per_value(values: pd.Series, function, dtype: type = object) -> np.ndarray:
    """``function`` of each value of ``values`` (a missing one: ""), called once per distinct
    value present: a national sheet has millions of rows and a few hundred distinct values.
    ``dtype``: of the results (a small integer type keeps a rank of millions of rows small)."""
    codes, distinct = _coded(values)
    results = np.zeros(len(distinct), dtype=dtype)
    for used in _used(codes, len(distinct)):
        results[used] = function(distinct[used])
    return results[codes]


def _coded(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(the code of each row's value, the distinct values): "" first, for a missing value,
    then the categories; a column that is not categorical is made one first."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object).astype("category")
    codes = values.cat.codes.to_numpy().astype(np.intp)
    codes += 1
    return codes, np.array(["", *values.cat.categories.astype(object)], dtype=object)


def _used(codes: np.ndarray, size: int) -> np.ndarray:
    """The codes (of ``size``) some row holds."""
    return np.flatnonzero(np.bincount(codes, minlength=size))


def level_rank(values: pd.Series) -> np.ndarray:
    """The rank of each territorial level in ``LEVELS``."""
    return per_value(values, LEVELS.index, np.int8)


def kind_rank(values: pd.Series) -> np.ndarray:
    """The rank of each type of SIAE in ``KINDS`` (an unknown one last)."""
    return per_value(values, lambda k: KINDS.index(k) if k in KINDS else len(KINDS), np.int8)


def labelled(values: pd.Series, label) -> pd.Categorical:
    """The column as a Categorical of labels, in text order (``label`` applied once per
    distinct value present, a missing one taken as "")."""
    return _relabelled(values, label)


def as_categorical(values: pd.Series) -> pd.Categorical:
    """The column as a Categorical of the values its rows hold, in text order."""
    missing = (values.cat.codes < 0) if isinstance(values.dtype, pd.CategoricalDtype) \
        else values.isna()
    if missing.any():  # a missing text value: pandas' own reading of it
        return pd.Categorical(values.astype(object))
    return _relabelled(values, lambda value: value)


def _relabelled(values: pd.Series, label) -> pd.Categorical:
    """``pd.Categorical`` of ``label`` of each row's value ("" for none), worked out on the
    dictionary codes: a national table's rows are never turned into text one by one."""
    codes, distinct = _coded(values)
    used = _used(codes, len(distinct))
    labels = pd.Categorical(np.array([label(v) for v in distinct[used]], dtype=object))
    lookup = np.full(len(distinct), -1, dtype=np.int64)
    lookup[used] = labels.codes
    return pd.Categorical.from_codes(lookup[codes], dtype=labels.dtype)


def public_label(public: str) -> str:
    """« Ensemble » or the public's name (never its code)."""
    return "Ensemble" if public == ENSEMBLE else PUBLIC_LABELS.get(public, public)


def indicator_label(code: str) -> str:
    indicateur = BY_CODE.get(code)
    if indicateur is None:
        return code
    if indicateur.unite.casefold() in indicateur.libelle.casefold():
        return indicateur.libelle  # the name already says its unit
    return f"{indicateur.libelle} ({indicateur.unite})"


def unite_of(code: str) -> str:
    return BY_CODE[code].unite if code in BY_CODE else ""


@cache
def number_style(number_format: str, secret: bool = False) -> Style:
    return Style(number_format=number_format, fill=SECRET_FILL if secret else "")


def cell_value(column: int, value, statut: str, unite: str, restreinte: bool,
           number_format: str | None = None) -> tuple:
    """A published figure: the number, or ``s`` (secret) / ``nd`` (not available).

    In ``restreinte`` diffusion a value under secrecy is shown, on a grey background.
    """
    absent = missing(value)
    if statut == "s" and (absent or not restreinte):
        return column, SECRET_SYMBOL, DEFAULT
    if statut == "nd" or absent:
        return column, MISSING_SYMBOL, DEFAULT
    number_format = number_format or format_of(unite)
    return column, float(value), number_style(number_format, statut == "s")


def statut_codes(statuts) -> np.ndarray:
    """``NO_CELL`` (empty statut), ``SECRET`` (``s``), ``NOT_AVAILABLE`` (``nd``), else
    ``PUBLISHED``, for each statut (arrays of codes compare far faster than of texts)."""
    statuts = pd.Series(statuts, copy=False)
    if isinstance(statuts.dtype, pd.CategoricalDtype):  # each code once, not each row
        coded = statut_codes(statuts.cat.categories.astype(object))  # a missing one: last
        return np.append(coded, PUBLISHED).astype(np.int8)[statuts.cat.codes.to_numpy()]
    return np.select([(statuts == s).to_numpy(dtype=bool, na_value=False)
                      for s in ("", SECRET_SYMBOL, MISSING_SYMBOL)],
                     [NO_CELL, SECRET, NOT_AVAILABLE], PUBLISHED).astype(np.int8)


def value_column(column: int, values: np.ndarray, statuts: np.ndarray, restreinte: bool,
                  number_format: str | np.ndarray | pd.Categorical) -> Column:
    """``cell_value`` of each cell of a column (``statut_codes``); ``NO_CELL`` leaves it out.
    ``number_format``: one for the column, or one per cell (a Categorical of the formats
    present, in text order, for many cells)."""
    absent = np.isnan(values)
    secret = (statuts == SECRET) & (absent | (not restreinte))
    symbol = secret | ((statuts == NOT_AVAILABLE) | absent)
    numbers, number_of = np.unique(values[~symbol], return_inverse=True)
    shown = np.where(secret, 0, 1)  # categories: the two symbols, then the numbers
    shown[~symbol] = number_of.reshape(-1) + 2
    if isinstance(number_format, str):
        formats, format_of_cell = [number_format], np.zeros(len(values), dtype=np.int64)
    elif isinstance(number_format, pd.Categorical):
        formats, format_of_cell = number_format.categories, number_format.codes.astype(np.int64)
    else:
        formats, format_of_cell = np.unique(np.asarray(number_format, dtype=str),
                                            return_inverse=True)
    codes = np.where(symbol, 0, 1 + 2 * format_of_cell.reshape(-1) + (statuts == SECRET))
    codes[statuts == NO_CELL] = -1
    categories = pd.Index([SECRET_SYMBOL, MISSING_SYMBOL, *numbers.tolist()], dtype=object)
    return Column(column, pd.Categorical.from_codes(shown, categories), codes,
                  (DEFAULT, *[style for f in formats
                              for style in (number_style(str(f)), number_style(str(f), True))]))


def band_column(column: int, bands: np.ndarray, statuts: np.ndarray,
                 restreinte: bool) -> Column:
    """``band_cell`` of each cell of a column (``statut_codes``); ``NO_CELL`` leaves it out."""
    named = list(BAND_FILLS)
    fill = np.array([named.index(b) + 1 if isinstance(b, str) and b in BAND_FILLS else 0
                     for b in bands], dtype=np.int64)
    codes = np.where((statuts != SECRET) | restreinte, fill, 0)
    shown = np.where(codes > 0, bands,
                     np.where(statuts == SECRET, SECRET_SYMBOL, MISSING_SYMBOL))
    codes[statuts == NO_CELL] = -1
    return Column(column, shown.astype(object), codes,
                  (DEFAULT, *[Style(fill=BAND_FILLS[b]) for b in named]))


def band_cell(column: int, band, statut: str, restreinte: bool) -> tuple:
    """The band of an indice de couverture, written and coloured."""
    if isinstance(band, str) and band in BAND_FILLS and (statut != "s" or restreinte):
        return column, band, Style(fill=BAND_FILLS[band])
    return column, SECRET_SYMBOL if statut == "s" else MISSING_SYMBOL, DEFAULT


def kind_label(kind: str) -> str:
    return "Ensemble" if kind == ENSEMBLE else kind


def indicator_order(rows: pd.DataFrame) -> list[str]:
    """Indicators of the catalogue first, in its order, then any other present in the table."""
    present = set(rows["indicateur"].unique())
    known = [i.code for i in CATALOGUE if i.code in present]
    return known + sorted(c for c in present if c not in known)


def wide_table(rows: pd.DataFrame, keys: list[str], indicators: list[str]):
    """One row per distinct ``keys``: (keys frame, values, statuts), a column per indicator.

    ``libelle`` follows ``code`` and is not part of the key. Statuts are ``statut_codes``:
    ``NO_CELL`` marks an indicator the table does not hold for that row (empty cell).
    """
    key = np.zeros(len(rows), dtype=np.int64)
    for column in keys:
        codes, uniques = pd.factorize(rows[column])
        key = key * (len(uniques) + 1) + codes
    row_id, row_key = pd.factorize(key)  # rows in order of appearance: callers sort them
    first = np.empty(len(row_key), dtype=np.int64)
    first[row_id] = np.arange(len(row_id))  # a row of each key (libelle follows code)
    codes, uniques = pd.factorize(rows["indicateur"])
    column_id = pd.Index(indicators).get_indexer(uniques)[codes]
    values = np.full((len(row_key), len(indicators)), np.nan)
    statuts = np.full((len(row_key), len(indicators)), NO_CELL, dtype=np.int8)
    values[row_id, column_id] = rows["valeur"].to_numpy(dtype=float, na_value=np.nan)
    statuts[row_id, column_id] = statut_codes(rows["statut"])
    frame = decode(rows.iloc[first][[*keys, "libelle"]].reset_index(drop=True))
    return frame, values, statuts


def decode(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its categorical columns as plain values (mapped and sorted as values),
    of ``object`` dtype: a small table iterated cell by cell reads Python objects fastest."""
    decoded = {column: pd.Series(np.append(dtype.categories.to_numpy(object), np.nan)[
                   frame[column].cat.codes], index=frame.index, dtype=object)  # -1: NaN
               for column, dtype in frame.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)}
    return frame.assign(**decoded) if decoded else frame


def absent_kinds(rows: pd.DataFrame) -> pd.MultiIndex:
    """(niveau, code, type_siae) of the kinds a territory has no SIAE of."""
    empty = rows[(rows["indicateur"] == "nb_siae") & (rows["valeur"] == 0)
                 & (rows["statut"] == "publie") & (rows["type_siae"] != ENSEMBLE)]
    return pd.MultiIndex.from_frame(empty[["niveau", "code", "type_siae"]])


def in_order(data: pd.DataFrame, keys: dict) -> pd.DataFrame:
    """The rows of ``data`` sorted by ``keys`` (arrays over its rows, the first sorted first),
    taken once: only the keys are sorted, never a copy of the table (millions of rows
    nationally)."""
    return data.iloc[stable_order(list(keys.values()), len(data))]


def stable_order(keys: list, rows: int) -> np.ndarray:
    """The positions of ``rows`` rows sorted by ``keys`` (arrays over the rows, the first sorted
    first), as ``DataFrame.sort_values`` gives them: one integer per row, the keys folded in
    one at a time, when they fit in one; one sort (a sort per key is three times slower)."""
    combined, span = np.zeros(rows, dtype=np.int64), 1
    for key in keys:
        rank = _sort_codes(key)
        width = int(rank.max()) + 1 if rows else 1
        if (rows and rank.min() < 0) or span * width >= 2 ** 62:
            return np.lexsort([_sort_codes(k) for k in keys[::-1]])
        combined *= width
        combined += rank
        span *= width
    return np.argsort(combined, kind="stable")


def _sort_codes(key) -> np.ndarray:
    """Integers in the order ``DataFrame.sort_values`` gives ``key`` (pandas sorts on these
    codes too): a categorical by its categories, other values in their order, missing last."""
    if isinstance(key, np.ndarray) and key.dtype.kind in "biu":
        return key
    ordered = key if isinstance(key, pd.Categorical) else pd.Categorical(key, ordered=True)
    codes = ordered.codes
    if (codes < 0).any():
        codes = np.where(codes < 0, len(ordered.categories), codes.astype(np.int64))
    return codes


def present_rows(frame: pd.DataFrame, absent: pd.MultiIndex) -> np.ndarray:
    """Keep ``ensemble`` rows, and a type's rows only where the territory has such a SIAE."""
    keys = pd.MultiIndex.from_frame(frame[["niveau", "code", "type_siae"]])
    return ~keys.isin(absent)

def write_title(ws: Sheet, text: str, subtitle: str = "") -> int:
    """A sheet title (and subtitle) on the first rows; returns the next free row."""
    ws.write(1, [(1, text, TITLE)])
    if subtitle:
        ws.write(2, [(1, subtitle, SUBTITLE)])
    return 4 if subtitle else 3


def write_header(ws: Sheet, row: int, titles: list[str], freeze: bool = True) -> None:
    """Bold, coloured column titles; the rows above and the titles stay visible when scrolling."""
    ws.write(row, [(column, text, HEADER) for column, text in enumerate(titles, start=1)])
    if freeze:
        ws.freeze = f"A{row + 1}"


def finish_table(ws: Sheet, row: int, titles: list[str], last_row: int,
                 widths: list[int]) -> None:
    """Autofilter over a header row and its data, column widths, printed landscape and as
    wide as the page."""
    ws.auto_filter = f"A{row}:{column_letter(len(titles))}{max(last_row, row)}"
    ws.widths = dict(enumerate(widths, start=1))
    ws.landscape = ws.fit_width = True


def coverage_of(coverage: pd.DataFrame) -> tuple[list[str], dict]:
    """Needs present and ``(code, besoin)`` → (indice, band, statut)."""
    needs = [n for n in LIBELLES_BESOINS if n in set(coverage["besoin"])]
    found = dict(zip(zip(coverage["code"], coverage["besoin"], strict=True),
                     zip(coverage["indice_couverture"].to_numpy(dtype=float, na_value=np.nan),
                         coverage["couverture"].astype(object), coverage["statut"],
                         strict=True), strict=True))
    return needs, found

