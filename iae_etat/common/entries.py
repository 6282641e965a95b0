"""Results kept between builds under a key drawn from everything they depend on (``data/cache/``).

One pickled file per entry, written whole or not at all. The store only saves time: an entry that
cannot be read (absent, truncated, from another version) is recomputed, one that cannot be
written is not kept. The entries a run did not use are removed at its end (``prune``), so that
the store holds what the last build needed and nothing else.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from pathlib import Path

SUFFIX = ".pickle"


class Entries:
    """The entries of one folder; only a ``writable`` store (a build) writes and prunes.
    ``salt`` enters every key drawn for it (the package's code, the settings read)."""

    def __init__(self, folder: Path, writable: bool = False, salt: str = "") -> None:
        self.folder = folder
        self.writable = writable
        self.salt = salt
        self.used: set[str] = set()

    def key(self, *parts: object) -> str:
        """The key of an entry made of ``parts`` (their printed form, with the salt)."""
        return hashlib.sha256(repr((self.salt, *parts)).encode()).hexdigest()

    def get(self, key: str | None, kind: type) -> object | None:
        """The entry ``key`` if it holds a ``kind``, else None."""
        if key is None:
            return None
        self.used.add(key)
        try:
            value = pickle.loads((self.folder / f"{key}{SUFFIX}").read_bytes())
        except Exception:  # absent, truncated or from elsewhere: recomputed
            return None
        return value if isinstance(value, kind) else None

    def put(self, key: str | None, value: object) -> None:
        """Keep ``value`` under ``key``."""
        if key is None or not self.writable:
            return
        self.used.add(key)
        target = self.folder / f"{key}{SUFFIX}"
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(partial, target)
        except OSError:  # not kept: recomputed next time
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)

    def keep(self, keys) -> None:
        """Count ``keys`` as used by this run (read or written elsewhere: by a forked child,
        or named by an entry taken back), so that ``prune`` leaves them."""
        self.used.update(keys)

    def prune(self) -> None:
        """Remove the entries this run did not use."""
        if not self.writable or not self.folder.is_dir():
            return
        with contextlib.suppress(OSError):  # a file that cannot be removed only takes room
            for path in self.folder.iterdir():
                if path.name.removesuffix(SUFFIX) not in self.used:
                    path.unlink(missing_ok=True)
