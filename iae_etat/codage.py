"""Text key columns as dictionary codes (pandas categoricals), and integer cell keys from them.

A national indicator table repeats a few thousand codes and labels over millions of rows: held
as categoricals, filtering, sorting and joining work on small integers instead of text. The
categories are kept in text order, so that sorting on the codes sorts as the text would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_dictionary(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` (those present) as categoricals with sorted categories."""
    coded = {}
    for column in columns:
        if column in frame.columns:
            coded[column] = sorted_categories(frame[column])
    return frame.assign(**coded)


def sorted_categories(values: pd.Series) -> pd.Series:
    """``values`` as a categorical whose categories are in text order."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype("category")
    categories = values.cat.categories
    if categories.is_monotonic_increasing:
        return values
    return values.cat.reorder_categories(categories.sort_values())


def codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """The rank of each value among the distinct values in sorted order (their count for a
    missing value, which sorts last) and the distinct values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = sorted_categories(values)
        found, uniques = values.cat.codes.to_numpy(dtype=np.int64), values.cat.categories
    else:
        found, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
        found, uniques = found.astype(np.int64), pd.Index(uniques)
    return np.where(found < 0, len(uniques), found), uniques


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
        """Keys of ``rows`` with the codes of ``replaced`` columns (never -1) swapped in."""
        key = np.zeros(len(self.codes[self.columns[0]][rows]), dtype=np.int64)
        for column, size in zip(self.columns, self.sizes, strict=True):
            value = replaced.get(column)
            code = self.codes[column][rows] if value is None else value
            key = key * size + np.asarray(code, dtype=np.int64)
        return key

    def positions(self, keys: np.ndarray) -> np.ndarray:
        """The row holding each key, -1 where none does (the keys of the rows are unique)."""
        return self._index.get_indexer(keys)


def sort_rows(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` sorted on ``columns`` (stable, missing values last), index reset."""
    try:
        order = np.argsort(CellKeys(frame, columns).keys, kind="stable")
    except OverflowError:
        return frame.sort_values(columns, kind="stable").reset_index(drop=True)
    return frame.take(order).reset_index(drop=True)


def duplicated_keys(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """True for every row whose ``columns`` repeat another row's (as ``duplicated(keep=False)``),
    on integer keys when the combinations fit in one (at once when they are sorted)."""
    try:
        keys = CellKeys(frame, columns).keys
    except OverflowError:
        return frame.duplicated(columns, keep=False)
    if np.all(keys[1:] > keys[:-1]):
        return pd.Series(False, index=frame.index)
    return pd.Series(pd.Series(keys).duplicated(keep=False).to_numpy(), index=frame.index)
