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


def test_counts_and_euros_have_no_decimals_and_rate_gaps_are_points():
    assert cellule(15865.0, "publie", "foyers") == "15\u202f865"
    assert cellule(423456.78, "publie", "€") == "423\u202f457"
    assert cellule(-2.46, "publie", "points") == "-2,5\u00a0points"


def test_a_rate_changes_in_points_not_in_percent():
    """taux_reponse 77,6 % → 86,3 %: +8,7 points, no « +11,2 % »; ETP 100 → 106,6: +6,6 %."""
    def rows(rate: float, etp: float) -> pd.DataFrame:
        return pd.DataFrame({"diffusion": "publique", "niveau": "departement", "code": "26",
                             "libelle": "Drôme", "indicateur": ["taux_reponse",
                                                                "etp_conventionnes"],
                             "unite": ["%", "ETP"], "type_siae": "ensemble",
                             "public": "ensemble", "valeur": [rate, etp], "statut": "publie"})
    out = evolution(rows(86.3, 106.6), {2024: rows(77.6, 100.0)}).set_index("indicateur")
    assert out.at["taux_reponse", "ecart"] == pytest.approx(8.7)
    assert np.isnan(out.at["taux_reponse", "ecart_pct"])
    assert out.at["etp_conventionnes", "ecart_pct"] == pytest.approx(6.6)
    shown = {r["libelle"]: r for r in context.evolution_rows(out.reset_index())}
    taux = shown["Part des SIAE ayant répondu au questionnaire"]
    assert taux["ecart"] == "8,7\u00a0points" and taux["ecart_pct"] == context.NOT_APPLICABLE


def test_the_banner_warns_under_the_response_floor():
    """8 % of SIAE answered, floor 60 %: a banner; 86,3 % answered: none."""
    low = [{"code": "taux_reponse", "valeur": 8.0}]
    assert "8,0\u00a0%" in context.alerte_reponse(low, 60.0)
    assert context.alerte_reponse([{"code": "taux_reponse", "valeur": 86.3}], 60.0) == ""


def test_epci_without_any_siae_are_listed_by_need():
    couverture = pd.DataFrame({
        "diffusion": "publique", "niveau": ["epci", "epci", "epci", "commune"],
        "code": ["E1", "E2", "E3", "C1"], "libelle": ["CC Un", "CC Deux", "CC Trois", "Alpha"],
        "besoin": "de_abc", "nb_siae": [0.0, 3.0, 0.0, 0.0],
        "valeur_besoin": [40.0, 900.0, 589.5, 300.0],
        "rang_zone_blanche": pd.array([pd.NA, pd.NA, 1, 1], dtype="Int64")})
    listed = context.sans_offre(couverture)
    assert [(t["libelle"], t["valeur"], t["rang"]) for t in listed] == [
        ("CC Trois", "590", 1), ("CC Un", "40", context.NOT_APPLICABLE)]
