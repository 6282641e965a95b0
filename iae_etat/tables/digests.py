"""Digests of what a computation reads: the keys under which its result is kept between builds
(``common.entries.Entries``), drawn from the contents, never from where they lie."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def content_digest(*parts: object) -> str:
    """A digest of ``parts``: a table by its columns, their types and its values (not its
    index), an array by its type, shape and bytes, anything else by its printed form."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, pd.DataFrame):
            digest.update(_columns(part).encode())
            for _, column in part.items():
                digest.update(_hashed(column).tobytes())
        elif isinstance(part, np.ndarray):
            values = np.ascontiguousarray(part)
            digest.update(f"array:{values.dtype.str}:{values.shape}".encode())
            digest.update(values.tobytes())
        else:
            digest.update(f"{type(part).__name__}:{part!r}".encode())
        digest.update(b"\x00")
    return digest.hexdigest()


class RowDigests:
    """The hash of every row of ``table`` (every column, by value), drawn once: the digest of
    any of its row subsets that kept its index labels (a group, a slice) is read from them,
    where hashing each of a hundred small parts would cost more than the whole table."""

    def __init__(self, table: pd.DataFrame) -> None:
        if not table.index.is_unique:
            raise ValueError("RowDigests: the rows of the table must have distinct labels")
        self._columns = _columns(table)
        self._hashes = pd.Series(pd.util.hash_pandas_object(table, index=False).to_numpy(),
                                 index=table.index)

    def of(self, part: pd.DataFrame) -> str:
        """The digest of ``part``, rows of the table (in their order)."""
        return content_digest(self._columns, self._hashes.loc[part.index].to_numpy())


def _hashed(column: pd.Series) -> np.ndarray:
    """The hash of each value of ``column``. A few rows of a national dictionary (tens of
    thousands of codes) are hashed by value, not by hashing every code of the dictionary."""
    if isinstance(column.dtype, pd.CategoricalDtype) \
            and len(column) < len(column.cat.categories):
        column = pd.Series(column.to_numpy(dtype=object), copy=False)
    return pd.util.hash_pandas_object(column, index=False).to_numpy()


def _columns(table: pd.DataFrame) -> str:
    """The names and types of the columns of ``table``."""
    return repr([(str(c), str(t)) for c, t in table.dtypes.items()])
