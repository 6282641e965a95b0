"""Peak memory of a process and of the children it forks (``make bench``).

``wait4`` gives the largest resident set of any one process of the tree: a build whose children
work beside their parent (the secret's zones, the report's documents) needs the sum. A thread
samples every ``PERIOD`` seconds the proportional set sizes (PSS: a page shared by n processes
counts 1/n in each) of the whole tree, so that the sum is what the machine holds. The peak given
is the larger of the sampled sum and the largest single resident set.
"""

from __future__ import annotations

import threading
from pathlib import Path

PERIOD = 0.25  # reading smaps_rollup walks the page tables: a few ms for a national build


class PeakMemory:
    """Sample the tree of ``pid`` until ``stop()``; ``peak_mib`` the largest sum seen."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mib = pid, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak_mib

    def _sample(self) -> None:
        while not self._done.wait(PERIOD):
            total = sum(_pss_kib(pid) for pid in _tree(self.pid))
            self.peak_mib = max(self.peak_mib, total / 1024)


def _tree(root: int) -> list[int]:
    """``root`` and its descendants (Linux ``/proc``; just ``root`` elsewhere)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        tasks = Path(f"/proc/{pid}/task")
        try:
            for task in tasks.iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0
