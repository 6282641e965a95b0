"""All reading and writing of processed tables.

Every table is conformed and validated against its contract before it is written, atomically.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from iae_etat.contracts import conform, load_contract, validate
from iae_etat.errors import DataError
from iae_etat.fichiers import write_atomic


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
