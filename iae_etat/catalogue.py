"""All reading and writing of processed tables and published files.

A run writes into a *staging* folder beside the published one and publishes at the end with
directory renames (``publish``), so a failed or killed run leaves the previous outputs intact.
Every table is conformed and validated against its contract before it is written.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from iae_etat.contracts import conform, load_contract, validate
from iae_etat.errors import DataError


class Catalogue:
    """Tables of one millésime, read from and written to a processed folder.

    ``notice`` (for instance « données fictives de démonstration ») is written in the metadata of
    every table.
    """

    def __init__(self, processed_dir: Path, project_dir: Path | None = None,
                 notice: str = "") -> None:
        self.dir = processed_dir
        self.project_dir = project_dir
        self.notice = notice

    def path(self, name: str) -> Path:
        return self.dir / f"{name}.parquet"

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def read(self, name: str) -> pd.DataFrame:
        """The table ``name``, with the dtypes it was written with."""
        return pd.read_parquet(self.path(name))

    def write(self, name: str, df: pd.DataFrame) -> Path:
        """Validate ``df`` against contract ``name`` and write it, rows in a stable order."""
        contract = load_contract(name, self.project_dir)
        table = conform(df, contract)
        fichier = f"data/processed/{self.dir.name}/{name}.parquet"
        problems = validate(table, contract, fichier=fichier)
        if problems:
            raise DataError(f"La table « {name} » ne respecte pas son contrat de données "
                            f"({len(problems)} problème(s)).", problems)
        order = list(contract.primary_key) or list(table.columns)
        table = table.sort_values(order, kind="stable").reset_index(drop=True)
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow = pa.Table.from_pandas(table, preserve_index=False)
        if self.notice:
            arrow = arrow.replace_schema_metadata({**arrow.schema.metadata,
                                                   b"iae_etat.avertissement": self.notice.encode()})
        write_atomic(self.path(name), lambda tmp: pq.write_table(arrow, tmp, compression="zstd"))
        return self.path(name)


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
