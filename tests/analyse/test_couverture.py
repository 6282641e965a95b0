"""Couverture: taux d'équipement, indice de couverture, bands and zones blanches."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from iae_etat.analyse.couverture import bande, couverture
from iae_etat.analyse.indicateurs import indicators
from iae_etat.analyse.secret import apply_secret
from iae_etat.analyse.stage import DERIVED
from tests.analyse.test_indicateurs import STRUCTURES, TERRITOIRES

# ETP conventionnés: A 10 (ACI), B 0 (no SIAE), C 5 (EI); département 15.
BESOINS = pd.DataFrame({"code_commune": ["A", "B", "C"], "de_abc": [600.0, 400.0, 500.0]})


def _couverture(seuil_secret=11, seuil_zone_blanche=300):
    raw = indicators(TERRITOIRES, STRUCTURES, BESOINS)
    published = apply_secret(raw, TERRITOIRES, seuil_secret, {"salaries_annee", "de_abc"},
                             DERIVED)
    out = couverture(published, seuil_zone_blanche)
    return out.set_index(["diffusion", "niveau", "code", "besoin"])


def test_indice_de_couverture_and_its_band():
    out = _couverture().loc["publique"]
    a = out.loc[("commune", "A", "de_abc")]
    assert a["taux_equipement"] == pytest.approx(10 / 600 * 1000)
    assert a["part_besoin"] == pytest.approx(600 / 1500 * 100)
    assert a["part_offre"] == pytest.approx(10 / 15 * 100)
    assert a["indice_couverture"] == pytest.approx(0.4 / (0.4 + 10 / 15))  # 0.375
    assert a["couverture"] == "bonne"
    b = out.loc[("commune", "B", "de_abc")]
    assert b["indice_couverture"] == 1 and b["couverture"] == "très faible"  # need, no offer
    c = out.loc[("commune", "C", "de_abc")]
    assert c["indice_couverture"] == pytest.approx(0.5) and c["couverture"] == "intermédiaire"
    d = out.loc[("departement", "D", "de_abc")]
    assert d["indice_couverture"] == pytest.approx(0.5) and d["statut"] == "publie"


def test_zones_blanches_are_ranked_territories_with_needs_and_no_siae():
    out = _couverture().loc["publique"]
    white = out[out["zone_blanche"]]
    assert white.index.tolist() == [("commune", "B", "de_abc")]  # 400 ≥ 300, no SIAE
    assert white["rang_zone_blanche"].tolist() == [1]
    assert not _couverture(seuil_zone_blanche=401).loc["publique"]["zone_blanche"].any()


def test_secret_need_gives_a_secret_coverage_row_in_public_only():
    out = _couverture(seuil_secret=450)  # B's 400 DE ABC are secret
    public = out.loc[("publique", "commune", "B", "de_abc")]
    assert public["statut"] == "s" and math.isnan(public["valeur_besoin"])
    assert math.isnan(public["indice_couverture"]) and not public["zone_blanche"]
    restreinte = out.loc[("restreinte", "commune", "B", "de_abc")]
    assert restreinte["valeur_besoin"] == 400 and restreinte["zone_blanche"]


def test_bands_of_the_indice():
    labels = bande(pd.Series([0.8, 0.79, 0.6, 0.4, 0.2, 0.19, float("nan")]))
    assert labels.tolist()[:6] == ["très faible", "faible", "faible", "intermédiaire", "bonne",
                                   "très bonne"]
    assert pd.isna(labels.iloc[6])
