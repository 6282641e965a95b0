"""Atomic file operations: single files by rename, whole output folders by staging and swap.

A run writes into a *staging* folder beside the published one and publishes at the end with
directory renames, so a failed or killed run leaves the previous outputs intact. Standard
library only, so that an up-to-date check stays fast.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path


def write_atomic(path: Path, writer) -> None:
    """Call ``writer(tmp_path)`` then move the file into place in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        writer(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_pieces(path: Path, pieces: Iterable[bytes]) -> None:
    """Write the bytes of ``pieces`` one after the other to ``path`` atomically (a file too
    large to hold in memory)."""

    def writer(tmp: Path) -> None:
        with tmp.open("wb") as out:
            for piece in pieces:
                out.write(piece)

    write_atomic(path, writer)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (``\\n`` line endings)."""
    write_bytes(path, text.encode("utf-8"))


def staging_dir(published: Path) -> Path:
    """A fresh, empty folder beside ``published`` where a run writes its outputs."""
    staging = published.with_name(f".{published.name}.en-cours-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def publish(staging: Path, published: Path) -> None:
    """Swap ``staging`` in place of ``published``; the old outputs are removed after the swap."""
    old = published.with_name(f".{published.name}.ancien-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    if published.exists():
        os.replace(published, old)
    os.replace(staging, published)
    shutil.rmtree(old, ignore_errors=True)


def discard(staging: Path) -> None:
    """Remove an unpublished staging folder."""
    shutil.rmtree(staging, ignore_errors=True)


def sha256_file(path: Path) -> str:
    """Content hash of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class HashCache:
    """File hashes reused while a file's size and modification time are unchanged."""

    def __init__(self, known: dict[str, list] | None = None) -> None:
        self.known = known or {}
        self.seen: dict[str, list] = {}

    def hash(self, path: Path) -> str:
        stat = path.stat()
        key = str(path)
        entry = self.seen.get(key) or self.known.get(key)
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            digest = entry[2]
        else:
            digest = sha256_file(path)
        self.seen[key] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\n``), never
    interpreted: names and values from outside are printed so on a terminal or in a record."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def refusal(path: Path, root: Path) -> str | None:
    """Why ``path`` is not read as an input of project ``root``, in French, or None.

    A symbolic link is followed only when it leads to a regular file inside the project;
    devices, pipes and sockets are never opened (reading a pipe would block the run).
    """
    try:
        if path.is_symlink():
            target = path.resolve(strict=True)
            if not target.is_relative_to(root.resolve()):
                return "lien symbolique vers un fichier hors du projet"
        mode = path.stat().st_mode
    except (OSError, RuntimeError):
        return "lien symbolique cassé ou fichier inaccessible"
    if not stat.S_ISREG(mode):
        return "ce n'est pas un fichier ordinaire (tube, périphérique ou socket)"
    return None
