"""All reading and writing of processed tables.

Every table is conformed and validated against its contract before it is written, atomically.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from iae_etat.common.errors import DataError
from iae_etat.tables.codage import joined_categoricals, sort_order
from iae_etat.tables.contracts import conform, load_contract, plain_dtypes, validate
from iae_etat.tables.files import write_atomic

ROW_GROUP = 1024 * 1024  # rows per Parquet row group, pyarrow's default


def _write_group(writer, group, schema) -> None:
    """Write one row group, its dictionary codes spelt out as the text of ``schema``."""
    writer.write_table(group.cast(schema))


def read_in_parts(path: Path, columns: list[str] | None = None,
                  dictionary: list[str] | None = None,
                  filters: list[tuple] | None = None) -> Iterator[pd.DataFrame]:
    """The ``columns`` of the Parquet file ``path`` (all by default), its rows matching the
    pyarrow ``filters`` (row groups skipped on their statistics), one row group after another
    (the ``dictionary`` columns as categoricals, with the row group's dictionary): a table of
    millions of rows is never held whole.

    Each row group is read on its own and filtered here: a pyarrow dataset scan of the same
    rows held 180 Mio more (a national earlier millésime read for the evolution) and took
    twice as long."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    condition = None if filters is None else pq.filters_to_expression(filters)
    # a column filtered on is read too, and dropped once the rows are filtered (``filters``
    # as pyarrow takes them: terms, or lists of terms one of which must hold)
    terms = [t for f in filters or () for t in (f if isinstance(f, list) else [f])]
    read = None if columns is None else \
        [*columns, *dict.fromkeys(t[0] for t in terms if t[0] not in columns)]
    with pq.ParquetFile(path, read_dictionary=dictionary) as parquet:
        groups: Iterable[int] = range(parquet.num_row_groups)
        if condition is not None:  # those whose statistics may hold matching rows, in order
            fragment = next(iter(ds.dataset(path, format="parquet").get_fragments()))
            groups = sorted(group.id for part in fragment.split_by_row_group(condition)
                            for group in part.row_groups)
        for group in groups:
            table = parquet.read_row_group(group, columns=read)
            if condition is not None:
                table = table.filter(condition)
                if columns is not None:
                    table = table.select(columns)
            if table.num_rows:
                yield table.to_pandas()


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

    def read(self, name: str, filters: list[tuple] | None = None,
             categories: bool = False) -> pd.DataFrame:
        """The table ``name``, with the dtypes it was written with (only the rows matching the
        pyarrow ``filters``, when given: large tables are read in part).

        With ``categories``, its text columns are categoricals whose categories are the values
        present, sorted (so they sort as text): a table of millions of rows repeating a few
        thousand labels then takes a tenth of the memory and is filtered and split fast.
        """
        if not categories:
            return pd.read_parquet(self.path(name), filters=filters)
        import pyarrow as pa
        import pyarrow.parquet as pq

        text = [f.name for f in pq.read_schema(self.path(name))
                if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        # a row group at a time handed to pandas, then the parts joined: a national table is
        # never held whole in Arrow beside its pandas copy (600 Mio less for both diffusions)
        parts = list(read_in_parts(self.path(name), dictionary=text, filters=filters)) \
            or [pq.read_table(self.path(name), filters=filters, read_dictionary=text).to_pandas()]
        columns = {}
        for column in list(parts[0].columns):  # each part's column dropped once joined
            pieces = [part.pop(column) for part in parts]
            columns[column] = joined_categoricals(pieces) if column in text \
                else pd.concat(pieces, ignore_index=True)
        return pd.DataFrame(columns)

    def read_optional(self, name: str) -> pd.DataFrame | None:
        """The table ``name``, or None when this millésime has none (a source not provided)."""
        return self.read(name) if self.exists(name) else None

    def write(self, name: str, df: pd.DataFrame) -> Path:
        """Validate ``df`` against contract ``name`` and write it, rows in a stable order."""
        return self.write_parts(name, [df])

    def write_parts(self, name: str, parts: Iterable[pd.DataFrame]) -> Path:
        """Write a table given in parts, one row group each, without holding it whole.

        Each part is validated and sorted by the primary key; the parts must follow one another
        in that order (the caller splits on the leading key columns).
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        contract = load_contract(name, self.project_dir)
        fichier = f"data/processed/{self.dir.name}/{name}.parquet"
        order = list(contract.primary_key)

        def produce(tmp: Path) -> None:
            writer, last, pending = None, None, None
            # Arrow casts and writes a row group outside the GIL, in this thread, while the
            # next one is prepared; one at a time, in order (the file is the same)
            writing = ThreadPoolExecutor(max_workers=1)
            try:
                for part in parts:
                    table = conform(part, contract).reset_index(drop=True)
                    rows, repeated = sort_order(table, [c for c in order or table.columns
                                                        if c in table.columns])
                    problems = validate(table, contract, fichier=fichier,
                                        key_checked=not repeated)
                    if problems:
                        raise DataError(f"La table « {name} » ne respecte pas son contrat de "
                                        f"données ({len(problems)} problème(s)).", problems)
                    if order and len(table):
                        first = tuple(table.loc[rows[0], order])
                        if last is not None and first <= last:
                            raise ValueError(f"{name} : parties hors de l'ordre de la clé")
                        last = tuple(table.loc[rows[-1], order])
                    schema = pa.Schema.from_pandas(table.head(0).astype(plain_dtypes(table)),
                                                   preserve_index=False)
                    if self.notice:
                        schema = schema.with_metadata(
                            {**schema.metadata, b"iae_etat.avertissement": self.notice.encode()})
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, schema, compression="zstd")
                    # one row group at a time, in key order: the rows are gathered and the
                    # text of dictionary codes spelt out for these rows only
                    for start in range(0, max(len(table), 1), ROW_GROUP):
                        chunk = table.take(rows[start:start + ROW_GROUP]).reset_index(drop=True)
                        group = pa.Table.from_pandas(chunk, preserve_index=False)
                        if pending is not None:
                            pending.result()
                        pending = writing.submit(_write_group, writer, group, schema)
                if pending is not None:
                    pending.result()
            finally:
                writing.shutdown()  # the row group being written, before the file is closed
                if writer is not None:
                    writer.close()
            if writer is None:
                raise ValueError(f"{name} : aucune partie à écrire")

        write_atomic(self.path(name), produce)
        return self.path(name)
