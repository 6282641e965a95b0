"""French number formats of the report, including every kind of missing value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iae_etat.analyse.evolution import evolution
from iae_etat.report import context
from iae_etat.tables.formats import cellule, nombre, pourcentage


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, pd.NA])
def test_missing_values_show_nd(value):
    assert nombre(value) == "nd"
    assert cellule(value, "publie", "%") == "nd"


def test_numbers_are_french():
    assert nombre(1234.56, 1) == "1\u202f234,6"
    assert pourcentage(28.43) == "28,4\u00a0%"
    assert cellule(3, "s", "personnes") == "s"


def test_evolution_from_a_zero_reference_renders_nd():
    key = {"diffusion": "publique", "niveau": "departement", "code": "26",
           "indicateur": "nb_siae", "type_siae": "ensemble", "public": "ensemble",
           "libelle": "Drôme", "unite": "structures"}
    current = pd.DataFrame([{**key, "valeur": 4.0, "statut": "publie"}])
    reference = pd.DataFrame([{**key, "valeur": 0.0, "statut": "publie"}])
    table = evolution(current, {2024: reference})
    table["ecart_pct"] = table["ecart_pct"].astype("Float64")   # as read back from Parquet
    [row] = context.evolution_rows(table)
    assert row["ecart"] == "4" and row["ecart_pct"] == "nd"
