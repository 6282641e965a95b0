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
import os
import pickle
from collections.abc import Callable
from pathlib import Path

from iae_etat.common.resources import code_fingerprint
from iae_etat.questionnaire.reader import Retour
from iae_etat.tables.contracts import Contract

SUFFIX = ".pickle"


class ReturnCache:
    """The ``Retour`` of each file read for one millésime, by key."""

    def __init__(self, folder: Path, hasher: Callable[[Path], str], contract: Contract,
                 residence_contract: Contract | None, writable: bool = False) -> None:
        self.folder = folder
        self.writable = writable
        self._hasher = hasher
        contracts = [dataclasses.replace(c, path=None) for c in (contract, residence_contract)
                     if c is not None]
        self._salt = hashlib.sha256(f"{code_fingerprint()}|{contracts!r}".encode()).hexdigest()
        self.used: set[str] = set()

    def key(self, path: Path, name: str) -> str | None:
        """The key of ``path`` recorded as ``name`` (None when the file cannot be read: the
        reader says why)."""
        try:
            content = self._hasher(path)
        except OSError:
            return None
        return hashlib.sha256(f"{self._salt}|{name}|{content}".encode()).hexdigest()

    def get(self, key: str | None) -> Retour | None:
        if key is None:
            return None
        self.used.add(key)
        try:
            retour = pickle.loads((self.folder / f"{key}{SUFFIX}").read_bytes())
        except Exception:  # absent, truncated or from elsewhere: the file is read again
            return None
        return retour if isinstance(retour, Retour) else None

    def put(self, key: str | None, retour: Retour) -> None:
        """Keep ``retour`` (written whole or not at all)."""
        if key is None or not self.writable:
            return
        self.used.add(key)
        target = self.folder / f"{key}{SUFFIX}"
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(pickle.dumps(retour, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(partial, target)
        except OSError:
            partial.unlink(missing_ok=True)

    def prune(self) -> None:
        """Remove the entries this run did not use (returns replaced or withdrawn)."""
        if not self.writable or not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name.removesuffix(SUFFIX) not in self.used:
                path.unlink(missing_ok=True)
