"""The returns already read, kept by content: after one corrected return, a build reads that file
alone and takes the others back from here.

An entry is what ``read_return`` made of one file (``Retour``), under a key drawn from the file's
content hash, the name it is recorded under, the two questionnaire contracts and the package's
code: a changed file, contract or version of iae-etat is read again, never served stale. The
entries of a millésime live in ``data/cache/retours/<millésime>/``, written by the ingest of a
build only (``check``, ``campagne`` and ``questionnaire`` read them, never write); those the last
ingest did not use are removed. The cache only saves time: an entry that cannot be read or
written is ignored and the file is read.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path

from iae_etat.common.entries import Entries
from iae_etat.common.resources import code_fingerprint
from iae_etat.questionnaire.reader import Retour
from iae_etat.tables.contracts import Contract


class ReturnCache(Entries):
    """The ``Retour`` of each file read for one millésime, by key."""

    def __init__(self, folder: Path, hasher: Callable[[Path], str], contract: Contract,
                 residence_contract: Contract | None, writable: bool = False) -> None:
        contracts = [dataclasses.replace(c, path=None) for c in (contract, residence_contract)
                     if c is not None]
        super().__init__(folder, writable, hashlib.sha256(
            f"{code_fingerprint()}|{contracts!r}".encode()).hexdigest())
        self._hasher = hasher

    def key(self, path: Path, name: str) -> str | None:
        """The key of ``path`` recorded as ``name`` (None when the file cannot be read: the
        reader says why)."""
        try:
            content = self._hasher(path)
        except OSError:
            return None
        return hashlib.sha256(f"{self.salt}|{name}|{content}".encode()).hexdigest()

    def retour(self, key: str | None) -> Retour | None:
        """The ``Retour`` kept under ``key``, if any."""
        return self.get(key, Retour)
