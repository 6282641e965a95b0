"""Text key columns as dictionary codes (pandas categoricals), and integer cell keys from them.

A national indicator table repeats a few thousand codes and labels over millions of rows: held
as categoricals, filtering, sorting and joining work on small integers instead of text. The
categories are kept in text order, so that sorting on the codes sorts as the text would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TEXT = "string"  # the dtype of text columns and of the categories of coded ones


def as_dictionary(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` (those present) as categoricals with sorted categories."""
    coded = {}
    for column in columns:
        if column in frame.columns:
            coded[column] = sorted_categories(frame[column])
    return frame.assign(**coded)


def concat(frames: list[pd.DataFrame], columns: list[str], text: list[str]) -> pd.DataFrame:
    """The rows of ``frames`` one after the other, restricted to ``columns``; the ``text``
    columns as categoricals with the union of the frames' categories (``pd.concat`` would turn
    categoricals with different categories back into text), missing where a frame lacks them."""
    from pandas.api.types import union_categoricals

    sizes = [len(f) for f in frames]
    out = {}
    for column in columns:
        if column in text:
            parts = [_text(sorted_categories(f[column])) if column in f.columns
                     else _text(pd.Series(pd.Categorical([None] * n))) for f, n in zip(
                         frames, sizes, strict=True)]
            out[column] = pd.Series(union_categoricals(parts, sort_categories=True))
        else:
            out[column] = pd.concat([f[column] if column in f.columns
                                     else pd.Series(np.nan, index=range(n)) for f, n in zip(
                                         frames, sizes, strict=True)], ignore_index=True)
    return pd.DataFrame(out)


def joined_categoricals(pieces: list[pd.Series]) -> pd.Series:
    """The categorical ``pieces`` one after the other, with the categories present in text
    order (a piece whose rows are all empty has categories of no type: given the others')."""
    from pandas.api.types import union_categoricals

    typed = next((p.cat.categories.dtype for p in pieces if len(p.cat.categories)), None)
    if typed is not None:
        pieces = [p if p.cat.categories.dtype == typed else pd.Series(pd.Categorical.from_codes(
            p.cat.codes.to_numpy(), pd.Index(p.cat.categories, dtype=typed))) for p in pieces]
    return present_sorted(pd.Series(union_categoricals(pieces, sort_categories=True)))


def map_categories(values: pd.Series, mapping: pd.Series | dict) -> pd.Series:
    """``values`` (categorical) mapped through ``mapping`` as a categorical: each category is
    mapped once, never each row (missing where ``mapping`` lacks a category)."""
    mapping = pd.Series(mapping) if isinstance(mapping, dict) else mapping
    mapped = mapping.reindex(values.cat.categories)
    found, uniques = pd.factorize(mapped, sort=True, use_na_sentinel=True)
    codes = values.cat.codes.to_numpy()
    new = np.where(codes >= 0, found[codes], -1)
    return pd.Series(pd.Categorical.from_codes(new, pd.Index(uniques, dtype=TEXT)),
                     index=values.index)


def _text(values: pd.Series) -> pd.Categorical:
    """A categorical whose categories are of the text dtype (one dtype for every part)."""
    return pd.Categorical.from_codes(values.cat.codes.to_numpy(),
                                     pd.Index(values.cat.categories, dtype=TEXT))


def sorted_categories(values: pd.Series) -> pd.Series:
    """``values`` as a categorical whose categories are in text order."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype("category")
    categories = values.cat.categories
    if categories.is_monotonic_increasing:
        return values
    return values.cat.reorder_categories(categories.sort_values())


def present_sorted(values: pd.Series) -> pd.Series:
    """``values`` (a categorical) with only the categories present, in text order: the codes
    are counted and recoded once (pandas' ``remove_unused_categories`` hashes every row, 3 s
    for a national table)."""
    categories, codes = values.cat.categories, values.cat.codes.to_numpy()
    present = codes_used(codes, len(categories))
    present = present[present >= 0]
    kept = categories[present]
    order = kept.argsort()
    rank = np.full(len(categories) + 1, -1, dtype=np.int32)  # the last one: a missing value
    rank[present[order]] = np.arange(len(kept))
    return pd.Series(pd.Categorical.from_codes(rank[codes], kept[order]), index=values.index,
                     name=values.name)


def codes_used(codes: np.ndarray, size: int, rows: int = 1 << 20) -> np.ndarray:
    """The distinct ``codes`` (of ``size`` categories; -1: missing), sorted: counted a million
    rows at a time (cast to 64 bits whole, a national table's codes would take 100 Mio)."""
    seen = np.zeros(size + 1, dtype=bool)
    for start in range(0, len(codes), rows):
        seen |= np.bincount(codes[start:start + rows].astype(np.intp) + 1,
                            minlength=size + 1).astype(bool)
    return np.flatnonzero(seen) - 1


def codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """The rank of each value among the distinct values in sorted order (their count for a
    missing value, which sorts last) and the distinct values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = sorted_categories(values)
        found, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        found, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
        uniques = pd.Index(uniques)
    # one pass over the rows, a second only where a value is missing (tables of millions)
    ranks = found.astype(np.int32)
    if (found < 0).any():
        ranks[found < 0] = len(uniques)
    return ranks, uniques


class CellKeys:
    """One integer per row for the combination of ``columns``: the key of a cell, in the order
    of the columns' values (missing last), as sorting on the columns would give.

    ``key(**replaced)`` gives the keys of the same rows with some columns replaced by other
    codes (an array, or one code for all rows), e.g. the key of the total a row adds up to.
    """

    def __init__(self, frame: pd.DataFrame, columns: list[str]) -> None:
        self.columns = columns
        self.codes: dict[str, np.ndarray] = {}
        self.categories: dict[str, pd.Index] = {}
        for column in columns:
            self.codes[column], self.categories[column] = codes(frame[column])
        self.sizes = [len(self.categories[c]) + 1 for c in columns]  # room for a missing value
        if float(np.prod(self.sizes, dtype=float)) >= 2.0 ** 62:
            raise OverflowError("trop de combinaisons pour des clés entières")
        self.keys = self.key()
        self._index = pd.Index(self.keys)

    def code_of(self, column: str, value: str) -> int:
        """The code of ``value`` in ``column``, -1 when no row has it."""
        found = self.categories[column].get_indexer([value])
        return int(found[0])

    def key(self, rows: np.ndarray | slice = slice(None), **replaced) -> np.ndarray:
        """Keys of ``rows`` with the codes of ``replaced`` columns (never -1) swapped in; with
        every column replaced, the keys of those codes."""
        if len(replaced) == len(self.columns):
            size = len(next(iter(replaced.values())))
        else:
            size = len(self.codes[self.columns[0]][rows])
        key = np.zeros(size, dtype=np.int64)
        for column, room in zip(self.columns, self.sizes, strict=True):
            value = replaced.get(column)
            code = self.codes[column][rows] if value is None else value
            key = key * room + np.asarray(code, dtype=np.int64)
        return key

    def positions(self, keys: np.ndarray) -> np.ndarray:
        """The row holding each key, -1 where none does (the keys of the rows are unique)."""
        return self._index.get_indexer(keys)


def row_keys(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The key of each row as ``CellKeys`` gives it, holding one column's codes at a time."""
    return keyed(frame, columns)[0]


def keyed(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[pd.Index]]:
    """``row_keys`` and the distinct values of each column (the key of a row counts, for each
    column, in a base of the number of its distinct values plus one)."""
    keys = np.zeros(len(frame), dtype=np.int64)
    values = []
    room = 1.0
    for column in columns:
        found, uniques = codes(frame[column])
        room *= len(uniques) + 1
        if room >= 2.0 ** 62:
            raise OverflowError("trop de combinaisons pour des clés entières")
        keys *= len(uniques) + 1
        keys += found
        values.append(uniques)
    return keys, values


def sort_order(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, bool]:
    """The positions of the rows of ``frame`` sorted on ``columns`` (stable, missing values
    last), and whether two rows share the same ``columns``."""
    try:
        keys = row_keys(frame, columns)
    except OverflowError:
        positions = frame.reset_index(drop=True).sort_values(columns, kind="stable").index
        return positions.to_numpy(), bool(frame.duplicated(columns).any())
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    return order, bool((ordered[1:] == ordered[:-1]).any())


def duplicated_keys(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """True for every row whose ``columns`` repeat another row's (as ``duplicated(keep=False)``),
    on integer keys when the combinations fit in one."""
    try:
        keys = row_keys(frame, columns)
    except OverflowError:
        return frame.duplicated(columns, keep=False)
    return pd.Series(pd.Series(keys).duplicated(keep=False).to_numpy(), index=frame.index)
