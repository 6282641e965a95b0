"""Report context: a value that is not published is never drawn as a bar of 0."""

from __future__ import annotations

import math

import pandas as pd

from iae_etat.report.context import by_type


def test_by_type_draws_published_values_only():
    rows = pd.DataFrame([("ACI", "etp_conventionnes", 12.5, "publie"),
                         ("AI", "etp_conventionnes", math.nan, "s"),
                         ("EI", "etp_conventionnes", math.nan, "nd"),
                         ("ensemble", "etp_conventionnes", 40.0, "publie")],
                        columns=["type_siae", "indicateur", "valeur", "statut"])
    out = by_type(rows)
    assert out["etp"] == [("ACI", 12.5)]
    assert out["absents"] == ["AI", "EI"]
    assert [line["cellules"][1] for line in out["lignes"]][:3] == ["12,5", "s", "nd"]
