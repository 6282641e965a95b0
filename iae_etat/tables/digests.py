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
            digest.update(repr([(str(c), str(t)) for c, t in part.dtypes.items()]).encode())
            digest.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
        elif isinstance(part, np.ndarray):
            values = np.ascontiguousarray(part)
            digest.update(f"array:{values.dtype.str}:{values.shape}".encode())
            digest.update(values.tobytes())
        else:
            digest.update(f"{type(part).__name__}:{part!r}".encode())
        digest.update(b"\x00")
    return digest.hexdigest()
