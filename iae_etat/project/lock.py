"""One run at a time per project: an advisory lock (flock) released by the kernel on exit.

A process killed with ``kill -9`` drops its lock with it, so a stale lock never blocks.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from iae_etat.common.errors import IaeEtatError

STATE_DIR = ".iae-etat"
LOCK_NAME = "verrou"


class LockedError(IaeEtatError):
    """Another run holds the project's lock (exit 75)."""

    exit_code = 75


@contextmanager
def project_lock(project_dir: Path) -> Iterator[None]:
    """Hold the project's lock for the duration of the block, or raise ``LockedError``."""
    folder = project_dir / STATE_DIR
    folder.mkdir(exist_ok=True)
    path = folder / LOCK_NAME
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "inconnu"
            raise LockedError(
                f"Une autre exécution d'iae-etat est en cours sur ce projet (processus {holder}).",
                conseil="Attendez sa fin puis relancez ; une exécution interrompue libère "
                        "le verrou d'elle-même.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()
