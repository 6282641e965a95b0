"""A large table read in part, its text as categoricals: a row group at a time, the parts joined
with the categories present, in text order."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iae_etat.tables.catalogue import Catalogue, read_in_parts


def _table(folder) -> Catalogue:
    """Three row groups of two rows: ``methode`` is empty in the second, ``niveau`` differs."""
    frame = pd.DataFrame({
        "diffusion": ["publique"] * 4 + ["restreinte"] * 2,
        "niveau": ["epci", "commune", "commune", "departement", "zone", "epci"],
        "methode": ["implantation", None, None, None, "residence", "residence"],
        "valeur": pd.array([1.5, None, 3.0, 4.0, 5.0, 6.0], dtype="Float64")})
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "t.parquet",
                   row_group_size=2)
    return Catalogue(folder)


def test_the_parts_are_joined_with_the_categories_present_in_text_order(tmp_path):
    read = _table(tmp_path).read("t", filters=[("diffusion", "in", ["publique"])],
                                 categories=True)
    assert list(read["niveau"].cat.categories) == ["commune", "departement", "epci"]
    assert read["niveau"].tolist() == ["epci", "commune", "commune", "departement"]
    assert list(read["methode"].cat.categories) == ["implantation"]
    assert read["methode"].isna().tolist() == [False, True, True, True]
    assert read["valeur"].dtype == "Float64" and read["valeur"].isna().tolist()[1]
    assert list(read.index) == [0, 1, 2, 3]
    whole = pd.read_parquet(tmp_path / "t.parquet")
    assert read["valeur"].tolist()[2:] == whole["valeur"].tolist()[2:4]


def test_a_filter_keeping_no_row_gives_an_empty_table_with_the_columns(tmp_path):
    read = _table(tmp_path).read("t", filters=[("diffusion", "in", ["aucune"])],
                                 categories=True)
    assert len(read) == 0
    assert list(read.columns) == ["diffusion", "niveau", "methode", "valeur"]
    assert isinstance(read["niveau"].dtype, pd.CategoricalDtype)


def test_a_filter_keeps_the_matching_rows_inside_a_row_group(tmp_path):
    read = _table(tmp_path).read("t", filters=[("diffusion", "in", ["publique"]),
                                               ("niveau", "!=", "commune")], categories=True)
    assert read["niveau"].tolist() == ["epci", "departement"]
    assert read["valeur"].tolist() == [1.5, 4.0]


def test_read_in_parts_gives_a_part_per_row_group_holding_matching_rows(tmp_path):
    _table(tmp_path)
    parts = list(read_in_parts(tmp_path / "t.parquet", ["niveau", "valeur"], ["niveau"],
                               filters=[("niveau", "in", ["epci", "zone"])]))
    assert [part["niveau"].tolist() for part in parts] == [["epci"], ["zone", "epci"]]
    assert all(isinstance(part["niveau"].dtype, pd.CategoricalDtype) for part in parts)
    assert [len(part) for part in read_in_parts(tmp_path / "t.parquet")] == [2, 2, 2]


def test_read_in_parts_filters_on_a_column_it_does_not_give(tmp_path):
    _table(tmp_path)
    parts = list(read_in_parts(tmp_path / "t.parquet", ["valeur"],
                               filters=[("diffusion", "in", ["restreinte"])]))
    assert [part.columns.tolist() for part in parts] == [["valeur"]]
    assert parts[0]["valeur"].tolist() == [5.0, 6.0]
    either = [[("niveau", "=", "zone")], [("niveau", "=", "departement")]]
    either = list(read_in_parts(tmp_path / "t.parquet", ["valeur"], filters=either))
    assert [part["valeur"].tolist() for part in either] == [[4.0], [5.0]]
