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


def test_a_site_of_activity_ends_a_zone_blanche_at_commune_and_epci_level():
    # s1 (ACI, siège in A) declares sites in B and C; s3 (EI, siège in C) in C only
    reponses = pd.DataFrame({"siret": ["1", "3"], "type_siae": ["ACI", "EI"],
                             "communes_sites": ["B ; C", "C"]})
    raw = indicators(TERRITOIRES, STRUCTURES, BESOINS, reponses=reponses)
    table = raw.set_index(["niveau", "code", "indicateur", "type_siae"])["valeur"]
    assert table["commune", "B", "nb_siae", "ensemble"] == 0           # no siège in B
    assert table["commune", "B", "nb_siae_sites", "ensemble"] == 1     # s1's site
    assert table["commune", "C", "nb_siae_sites", "ensemble"] == 2     # s3's siège, s1's site
    assert table["commune", "C", "nb_siae_sites", "ACI"] == 1
    assert table["commune", "A", "nb_siae_sites", "ensemble"] == 2     # s1, s2 sièges
    # E1 = A + B: s1 present in both counts once, with s2: 2; the département: 3 SIAE
    assert table["epci", "E1", "nb_siae_sites", "ensemble"] == 2
    assert table["epci", "E2", "nb_siae_sites", "ensemble"] == 2       # s3, s1 (site in C)
    assert table["departement", "D", "nb_siae_sites", "ensemble"] == 3
    published = apply_secret(raw, TERRITOIRES, 11, {"salaries_annee", "de_abc"}, DERIVED)
    out = couverture(published, 300).set_index(["diffusion", "niveau", "code", "besoin"])
    b = out.loc[("publique", "commune", "B", "de_abc")]
    # B keeps no siège nor ETP (the offer counted at the siège) but is no longer a zone blanche
    assert (b["nb_siae"], b["nb_siae_sites"], b["etp_conventionnes"]) == (0, 1, 0)
    assert not out["zone_blanche"].any()


def test_an_epci_with_no_siege_and_no_site_is_a_zone_blanche():
    # a fourth commune F in EPCI E3: nobody there, 350 DE ABC
    territoires = pd.concat([TERRITOIRES, pd.DataFrame({
        "code_commune": ["F"], "nom_commune": ["Phi"], "code_epci": ["E3"],
        "nom_epci": ["CC Trois"], "code_arrondissement": ["R1"], "nom_arrondissement": ["Arr"],
        "code_departement": ["D"], "nom_departement": ["Dép"]})], ignore_index=True)
    besoins = pd.concat([BESOINS, pd.DataFrame({"code_commune": ["F"], "de_abc": [350.0]})],
                        ignore_index=True)
    reponses = pd.DataFrame({"siret": ["1"], "type_siae": ["ACI"], "communes_sites": ["B"]})
    raw = indicators(territoires, STRUCTURES, besoins, reponses=reponses)
    published = apply_secret(raw, territoires, 11, {"salaries_annee", "de_abc"}, DERIVED)
    out = couverture(published, 300).set_index(["diffusion", "niveau", "code", "besoin"])
    white = out.loc["publique"][out.loc["publique"]["zone_blanche"]]
    assert white.index.tolist() == [("commune", "F", "de_abc"), ("epci", "E3", "de_abc")]
    assert white["rang_zone_blanche"].tolist() == [1, 1]


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
