"""Memory freed by the process handed back to the system (glibc's ``malloc_trim``).

The threads that audit the secret side by side allocate in arenas of their own: what they free
stays mapped to the process, and adds to the peak of the stages that follow, unless trimmed.
Elsewhere than glibc (musl, macOS), nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_freed_memory() -> None:
    """Return the free pages of every malloc arena to the system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
