"""Categoricals cut down to the categories present, in text order."""

from __future__ import annotations

import pandas as pd

from iae_etat.tables.codage import present_sorted


def test_only_the_categories_present_are_kept_in_text_order_rows_unchanged():
    values = pd.Series(pd.Categorical(["epci", None, "commune", "epci", "clpe"],
                                      categories=["zone", "epci", "commune", "absent", "clpe"]),
                       index=[4, 3, 2, 1, 0], name="niveau")
    kept = present_sorted(values)
    assert list(kept.cat.categories) == ["clpe", "commune", "epci"]
    assert kept.tolist()[0] == "epci" and pd.isna(kept.tolist()[1])
    assert kept.astype(object).fillna("∅").tolist() == ["epci", "∅", "commune", "epci", "clpe"]
    assert list(kept.index) == [4, 3, 2, 1, 0] and kept.name == "niveau"
    expected = values.cat.remove_unused_categories()
    expected = expected.cat.reorder_categories(expected.cat.categories.sort_values())
    pd.testing.assert_series_equal(kept, expected)


def test_an_empty_column_keeps_no_category():
    kept = present_sorted(pd.Series(pd.Categorical([], categories=["b", "a"])))
    assert len(kept) == 0 and len(kept.cat.categories) == 0
