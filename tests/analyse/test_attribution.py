"""Attribution of the offer by residence of the salariés, on a tiny hand-computed case."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from iae_etat.analyse import attribution
from iae_etat.analyse.indicateurs import indicators
from iae_etat.analyse.secret import apply_secret
from iae_etat.analyse.stage import DERIVED
from tests.analyse.test_indicateurs import (
    TERRITOIRES,  # communes A, B in EPCI E1, C in E2; département D
)

# s1 ACI in A: 10 salariés, 6 living in E1 and 4 in E2. s2 AI in A did not answer.
# s3 EI in C: 6 of its salariés live in E2, 2 outside the scope (« hors »).
# s4 ETTI in B answered without the « Résidence » sheet: it stays at its site.
STRUCTURES = pd.DataFrame({
    "siret": ["1", "2", "3", "4"], "type_siae": ["ACI", "AI", "EI", "ETTI"],
    "code_commune": ["A", "A", "C", "B"], "a_repondu": [True, False, True, True],
    "etp_conventionnes": [8.0, None, 5.0, 2.0], "etp_realises": [7.0, None, 4.0, 2.0],
    "salaries_annee": [10, None, 8, 12]})
RESIDENCE = pd.DataFrame({
    "siret": ["1", "1", "3", "3", "3"], "type_siae": ["ACI", "ACI", "EI", "EI", "EI"],
    "code_epci": ["E1", "E2", "E2", "hors", "E9"], "salaries": [6, 4, 6, 2, 0]})
REPONSES = pd.DataFrame({"siret": ["1", "3", "4"], "type_siae": ["ACI", "EI", "ETTI"],
                         "brsa": [5, 4, 3], "sorties": [4, 4, 2], "sorties_retraits": [0, 0, 0],
                         "sorties_durables": [1, 2, 1], "sorties_transition": [1, 0, 0],
                         "sorties_positives": [0, 0, 0]})
BESOINS = pd.DataFrame({"code_commune": ["A", "B", "C"], "de_abc": [1000.0, 200.0, 500.0]})
KEY = ["niveau", "code", "indicateur", "type_siae", "public"]


def _table(residence=RESIDENCE):
    out = indicators(TERRITOIRES, STRUCTURES, BESOINS, reponses=REPONSES, residence=residence)
    return out.set_index(KEY)


@pytest.fixture(scope="module")
def table():
    return _table()


def test_parts_follow_the_salaries_by_epci_of_residence():
    parts = attribution.residence(STRUCTURES, RESIDENCE, TERRITOIRES)
    got = {(r.siret, r.code_commune): r.part for r in parts.itertuples()}
    # s1: 6 / 10 and 4 / 10; s3: 6 / 8 in E2, the 2 « hors » leave the scope (E9 is unknown
    # and declared 0); s4 has no residence figures: all of it stays in its commune B
    assert got == {("1", "@E1"): 0.6, ("1", "@E2"): 0.4, ("3", "@E2"): 0.75, ("4", "B"): 1.0}


def test_epci_receive_the_shares_of_etp_and_salaries(table):
    valeur = table["valeur"]
    # E1 = 0.6 × 8 (s1) + 2 (s4, by site) ; E2 = 0.4 × 8 (s1) + 0.75 × 5 (s3)
    assert valeur["epci", "E1", "etp_conventionnes", "ensemble", "ensemble"] == \
        pytest.approx(6.8)
    assert valeur["epci", "E2", "etp_conventionnes", "ensemble", "ensemble"] == \
        pytest.approx(6.95)
    assert valeur["epci", "E2", "etp_conventionnes", "ACI", "ensemble"] == pytest.approx(3.2)
    # salariés: E1 = 0.6 × 10 + 12 ; E2 = 0.4 × 10 + 0.75 × 8
    assert valeur["epci", "E1", "salaries_annee", "ensemble", "ensemble"] == pytest.approx(18)
    assert valeur["epci", "E2", "salaries_annee", "ensemble", "ensemble"] == pytest.approx(10)
    # publics and sorties follow the same shares: BRSA in E2 = 0.4 × 5 + 0.75 × 4
    assert valeur["epci", "E2", "salaries_public", "ensemble", "brsa"] == pytest.approx(5)
    assert valeur["epci", "E2", "sorties", "ensemble", "ensemble"] == pytest.approx(4.6)
    # the number of SIAE and the response rate stay at the site
    assert valeur["epci", "E2", "nb_siae", "ensemble", "ensemble"] == 1
    assert valeur["epci", "E2", "nb_siae", "ACI", "ensemble"] == 0
    assert math.isnan(valeur["epci", "E1", "etp_conventionnes", "AI", "ensemble"])  # no answer
    assert table.at[("epci", "E1", "etp_conventionnes", "ensemble", "ensemble"),
                    "methode"] == "residence"
    assert table.at[("epci", "E1", "nb_siae", "ensemble", "ensemble"),
                    "methode"] == "implantation"
    assert table.at[("epci", "E1", "de_abc", "ensemble", "ensemble"), "methode"] == "sans objet"


def test_communes_and_arrondissements_keep_the_implantation(table):
    valeur = table["valeur"]
    assert valeur["commune", "A", "etp_conventionnes", "ensemble", "ensemble"] == 8
    assert valeur["commune", "C", "etp_conventionnes", "ensemble", "ensemble"] == 5
    assert valeur["arrondissement", "R1", "etp_conventionnes", "ensemble", "ensemble"] == 15
    assert table.at[("commune", "A", "etp_conventionnes", "ensemble", "ensemble"),
                    "methode"] == "implantation"


@pytest.mark.parametrize("indicator", ["etp_conventionnes", "salaries_annee", "sorties"])
def test_epci_plus_hors_equals_the_departement_of_the_sites(table, indicator):
    valeur = table["valeur"]
    by_site = _implantation()[("departement", "D", indicator, "ensemble", "ensemble")]
    epci = valeur["epci"].xs((indicator, "ensemble", "ensemble"), level=[1, 2, 3]).sum()
    departement = valeur["departement", "D", indicator, "ensemble", "ensemble"]
    hors = {"etp_conventionnes": 0.25 * 5, "salaries_annee": 0.25 * 8, "sorties": 0.25 * 4}
    assert epci == pytest.approx(departement)             # the département is made of its EPCI
    assert epci + hors[indicator] == pytest.approx(by_site)  # 15 ETP, 30 salariés, 10 sorties


def _implantation() -> pd.Series:
    out = indicators(TERRITOIRES, STRUCTURES, BESOINS, reponses=REPONSES)
    return out.set_index(KEY)["valeur"]


def test_by_site_the_communes_add_up_to_the_epci_and_the_departement():
    frame = _implantation().reset_index()
    for indicator in ("etp_conventionnes", "salaries_annee", "sorties"):
        rows = frame[(frame["indicateur"] == indicator) & (frame["type_siae"] == "ensemble")]
        by_level = rows.groupby("niveau")["valeur"].sum()
        assert by_level["commune"] == by_level["epci"] == by_level["departement"] == \
            {"etp_conventionnes": 15, "salaries_annee": 30, "sorties": 10}[indicator]


def test_without_residence_figures_everything_stays_at_the_site():
    empty = RESIDENCE.iloc[:0]
    assert _table(empty)["valeur"].equals(_implantation())


def test_secrecy_applies_to_the_attributed_shares(table):
    raw = table.reset_index()
    out = apply_secret(raw, TERRITOIRES, 11, {"salaries_annee", "salaries_public", "sorties"},
                       DERIVED)
    pub = out[out["diffusion"] == "publique"].set_index(KEY)
    assert pub.at[("epci", "E2", "salaries_annee", "ensemble", "ensemble"), "statut"] == "s"
    assert pub.at[("epci", "E2", "salaries_annee", "ACI", "ensemble"), "statut"] == "s"  # 4
    counts = pub[pub.index.get_level_values("indicateur").isin(
        ["salaries_annee", "salaries_public", "sorties"]) & (pub["statut"] == "publie")]
    assert not ((counts["valeur"] > 0) & (counts["valeur"] < 11)).any()
    # E2 hidden: E1 (18) must go too, or the département (28) would give it back
    assert pub.at[("epci", "E1", "salaries_annee", "ensemble", "ensemble"), "statut"] == "s"


def test_a_small_part_living_outside_keeps_the_departement_secret(table):
    raw = table.reset_index()
    by_site = indicators(TERRITOIRES, STRUCTURES, BESOINS, reponses=REPONSES,
                         levels=("departement",))
    effectifs = {"salaries_annee", "salaries_public", "sorties"}
    primary = attribution.hors_secret(raw, by_site, effectifs, 11)
    flagged = raw.loc[primary, KEY].apply(tuple, axis=1).tolist()
    # 0.25 × 8 = 2 salariés of s3 live outside: 30 by site − 28 by residence, under 11
    assert ("departement", "D", "salaries_annee", "ensemble", "ensemble") in flagged
    assert ("departement", "D", "salaries_annee", "EI", "ensemble") in flagged
    assert ("departement", "D", "salaries_annee", "ACI", "ensemble") not in flagged  # no gap
    assert all(key[0] == "departement" for key in flagged)
    out = apply_secret(raw, TERRITOIRES, 11, effectifs, DERIVED, primary=primary)
    pub = out[out["diffusion"] == "publique"].set_index(KEY)["statut"]
    assert pub["departement", "D", "salaries_annee", "ensemble", "ensemble"] == "s"  # 28
    # without it the département is published, and published communes adding up to 30
    # would give the 2 away
    assert apply_secret(raw, TERRITOIRES, 11, effectifs, DERIVED).set_index(
        ["diffusion", *KEY]).at[("publique", "departement", "D", "salaries_annee", "ensemble",
                                 "ensemble"), "statut"] == "publie"


def test_the_audit_finds_no_disclosure_by_residence(table):
    from iae_etat.analyse.audit import audit_secret

    raw = table.reset_index()
    effectifs = {"salaries_annee", "salaries_public", "sorties"}
    by_site = indicators(TERRITOIRES, STRUCTURES, BESOINS, reponses=REPONSES,
                         levels=("departement",))
    out = apply_secret(raw, TERRITOIRES, 11, effectifs, DERIVED,
                       primary=attribution.hors_secret(raw, by_site, effectifs, 11))
    assert audit_secret(out, TERRITOIRES, effectifs).empty
    # an EPCI by residence is not the sum of its communes by implantation: no such equation;
    # the communes still add up to their arrondissement, the EPCI to their département
    from iae_etat.analyse.secret import equations

    eqs = equations(raw[raw["indicateur"] == "salaries_annee"], TERRITOIRES)
    relations = set(eqs["relation"])
    assert {"commune>arrondissement", "epci>departement", "types"} <= relations
    assert not relations & {"commune>epci", "commune>departement", "arrondissement>departement"}
