"""The run log: JSON lines for cron and supervision, never any personal data.

Events carry only stage names, counts, durations, codes and paths of the project; never a cell
value read from a file.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class Journal:
    """Appends one JSON object per event to ``path`` (no-op without a path)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def event(self, name: str, **fields: Any) -> None:
        """Write the event ``name`` with ``fields``."""
        if self.path is None:
            return
        record = {"horodatage": datetime.now(UTC).isoformat(timespec="milliseconds"),
                  "pid": os.getpid(), "evenement": name, **fields}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
