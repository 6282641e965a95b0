"""What the process gets from the machine: the cores it may use, and the memory it freed
handed back to the system between the heavy steps of a build.

glibc keeps freed blocks in its heaps, fragmented, one heap per thread that allocated (the
tables' writer thread); Arrow's pool keeps freed pages a while. The next step of a
national build would add its peak to them. A département's build never holds enough for this
to matter: below ``SMALL_MIB`` resident, nothing is done (a full garbage collection costs time).
"""

from __future__ import annotations

import ctypes
import gc
import math
import os
import sys

SMALL_MIB = 512


def available_cores() -> int:
    """The cores this process may run on (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def release_memory() -> None:
    """Collect the garbage, then return the free pages of Arrow's pool and of every malloc
    arena to the system."""
    if _resident_mib() < SMALL_MIB:
        return
    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # the C library the interpreter is linked with
    except (OSError, AttributeError):
        pass  # not glibc: its allocator returns memory its own way


def _resident_mib() -> float:
    """The resident memory of the process (unknown outside Linux: as if large)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return math.inf
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
