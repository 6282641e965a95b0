"""Indicators on a tiny hand-computed case, reconciliation laws, and statistical secrecy."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from iae_etat.analyse.indicateurs import indicators
from iae_etat.analyse.secret import apply_secret, equations
from iae_etat.analyse.stage import DERIVED

# Three communes: A and B in EPCI E1, C in EPCI E2; all in arrondissement R1, département D.
TERRITOIRES = pd.DataFrame({
    "code_commune": ["A", "B", "C"], "nom_commune": ["Alpha", "Bêta", "Gamma"],
    "code_epci": ["E1", "E1", "E2"], "nom_epci": ["CC Un", "CC Un", "CC Deux"],
    "code_arrondissement": ["R1"] * 3, "nom_arrondissement": ["Arr"] * 3,
    "code_departement": ["D"] * 3, "nom_departement": ["Dép"] * 3})
# s1 ACI in A answered; s2 AI in A did not answer; s3 EI in C answered.
STRUCTURES = pd.DataFrame({
    "siret": ["1", "2", "3"], "type_siae": ["ACI", "AI", "EI"], "code_commune": ["A", "A", "C"],
    "a_repondu": [True, False, True], "etp_conventionnes": [10.0, None, 5.0],
    "etp_realises": [9.0, None, 5.0], "salaries_annee": [20, None, 8]})
# B's demandeurs d'emploi are masked by the source.
BESOINS = pd.DataFrame({"code_commune": ["A", "B", "C"], "de_abc": [1000.0, None, 500.0]})


@pytest.fixture(scope="module")
def table():
    out = indicators(TERRITOIRES, STRUCTURES, BESOINS)
    return out.set_index(["niveau", "code", "indicateur", "type_siae"])["valeur"]


def test_offer_counts_and_sums(table):
    assert table["commune", "A", "nb_siae", "ensemble"] == 2
    assert table["commune", "A", "nb_siae", "AI"] == 1
    assert table["commune", "A", "etp_conventionnes", "ensemble"] == 10   # respondents only
    assert math.isnan(table["commune", "A", "etp_conventionnes", "AI"])     # no answer: nd
    assert table["commune", "B", "etp_conventionnes", "ensemble"] == 0      # no SIAE: zero
    assert table["commune", "A", "taux_reponse", "ensemble"] == 50          # 1 / 2 × 100
    assert table["departement", "D", "etp_conventionnes", "ensemble"] == 15  # 10 + 5
    assert table["departement", "D", "salaries_annee", "ensemble"] == 28     # 20 + 8


def test_needs_and_coverage(table):
    assert table["commune", "A", "taux_equipement_etp_de_abc", "ensemble"] == 10  # 10/1000×1000
    assert math.isnan(table["commune", "B", "de_abc", "ensemble"])             # masked: nd
    assert table["epci", "E1", "de_abc", "ensemble"] == 1000                   # known part only
    assert table["departement", "D", "de_abc", "ensemble"] == 1500             # 1000 + 500
    assert table["departement", "D", "taux_equipement_etp_de_abc", "ensemble"] == 10  # 15/1500


def test_sum_over_communes_equals_epci_and_departement(table):
    frame = table.reset_index()
    nb = frame[(frame["indicateur"] == "nb_siae") & (frame["type_siae"] == "ensemble")]
    by_level = nb.groupby("niveau")["valeur"].sum()
    assert by_level["commune"] == by_level["epci"] == by_level["arrondissement"] == \
        by_level["departement"] == 3
    kinds = frame[(frame["indicateur"] == "nb_siae") & (frame["type_siae"] != "ensemble")]
    assert kinds.groupby(["niveau", "code"])["valeur"].sum().to_dict() == \
        nb.set_index(["niveau", "code"])["valeur"].to_dict()


def _published(seuil=11):
    raw = indicators(TERRITOIRES, STRUCTURES, BESOINS)
    out = apply_secret(raw, TERRITOIRES, seuil, {"salaries_annee", "de_abc"}, DERIVED)
    return raw, out


def test_primary_secret_hides_small_counts_in_public_rows_only():
    _, out = _published()
    pub = out[out["diffusion"] == "publique"].set_index(["niveau", "code", "indicateur",
                                                         "type_siae"])
    res = out[out["diffusion"] == "restreinte"].set_index(["niveau", "code", "indicateur",
                                                           "type_siae"])
    cell = ("commune", "C", "salaries_annee", "EI")
    assert pub.at[cell, "statut"] == "s" and math.isnan(pub.at[cell, "valeur"])
    assert res.at[cell, "statut"] == "publie" and res.at[cell, "valeur"] == 8
    published_counts = pub[pub.index.get_level_values("indicateur").isin(
        ["salaries_annee", "de_abc"]) & (pub["statut"] == "publie")]["valeur"]
    assert not ((published_counts > 0) & (published_counts < 11)).any()


def test_no_equation_is_left_with_a_single_secret_cell():
    raw, out = _published()
    pub = out[out["diffusion"] == "publique"].reset_index(drop=True)
    counts = pub["indicateur"].isin(["salaries_annee", "de_abc"])
    eqs = equations(pub[counts], TERRITOIRES)
    eqs = eqs[raw["valeur"].reindex(eqs["row"]).notna().to_numpy()]
    secret_per_equation = (pub.loc[eqs["row"], "statut"].to_numpy() == "s")
    counted = pd.Series(secret_per_equation).groupby(eqs["equation"].to_numpy()).sum()
    assert (counted != 1).all()
    assert (counted >= 2).any()  # the case does exercise secondary suppression


def test_ratio_on_a_secret_count_is_secret():
    _, out = _published(seuil=1200)  # de_abc of A (1000) becomes secret
    pub = out[out["diffusion"] == "publique"].set_index(["niveau", "code", "indicateur",
                                                         "type_siae"])
    assert pub.at[("commune", "A", "de_abc", "ensemble"), "statut"] == "s"
    assert pub.at[("commune", "A", "taux_equipement_etp_de_abc", "ensemble"), "statut"] == "s"


def test_coverage_of_rsa_households():
    besoins = BESOINS.assign(foyers_rsa=[200.0, 100.0, None])
    out = indicators(TERRITOIRES, STRUCTURES, besoins)
    table = out.set_index(["niveau", "code", "indicateur", "type_siae"])["valeur"]
    assert table["epci", "E1", "foyers_rsa", "ensemble"] == 300
    assert table["epci", "E1", "taux_equipement_etp_brsa", "ensemble"] == 10 / 300 * 1000
    assert math.isnan(table["epci", "E2", "taux_equipement_etp_brsa", "ensemble"])


def test_asp_indicators_cover_every_territory_and_give_the_dynamic_exit_rate():
    asp = pd.DataFrame({
        "siret": ["1", "3"], "type_siae": ["ACI", "EI"], "code_commune": ["A", "C"],
        "etp_conventionnes": [12.0, 6.0], "etp_realises": [11.0, 5.5],
        "salaries_annee": [25.0, 9.0], "sorties": [12.0, 4.0], "sorties_retraits": [2.0, 0.0],
        "sorties_durables": [2.0, 1.0], "sorties_transition": [1.0, 0.0],
        "sorties_positives": [1.0, 0.0]})
    out = indicators(TERRITOIRES, STRUCTURES, BESOINS, asp)
    table = out.set_index(["niveau", "code", "indicateur", "type_siae"])["valeur"]
    assert table["commune", "B", "etp_conventionnes_asp", "ensemble"] == 0  # no SIAE: zero
    assert table["departement", "D", "salaries_asp", "ensemble"] == 34
    assert table["commune", "A", "taux_sortie_dynamique_asp", "ACI"] == 40  # 4 / (12 − 2)
    assert table["departement", "D", "taux_sortie_dynamique_asp", "ensemble"] == 5 / 14 * 100
    assert math.isnan(table["commune", "B", "taux_sortie_dynamique_asp", "ensemble"])
    assert not indicators(TERRITOIRES, STRUCTURES, BESOINS)["indicateur"].str.endswith(
        "_asp").any()


# Answers of s1 (ACI in A) and s3 (EI in C); s3 left the RQTH line empty.
REPONSES = pd.DataFrame({
    "siret": ["1", "3"], "type_siae": ["ACI", "EI"], "salaries_annee": [20, 8],
    "brsa": [6, 2], "rqth": [2, None], "deld": [3, 1], "detld": [4, 1],
    "residents_qpv": [5, 0], "age_moins_26": [4, 2], "age_50_plus": [5, 1], "femmes": [9, 4],
    "sorties": [12, 4], "sorties_retraits": [2, 0], "sorties_durables": [2, 1],
    "sorties_transition": [1, 0], "sorties_positives": [1, 0]})
BESOINS_PUBLICS = BESOINS.assign(deld=[300.0, None, 100.0], detld=[100.0, None, 50.0],
                                 de_moins_26=[150.0, None, None],
                                 de_50_plus=[250.0, None, 100.0])


@pytest.fixture(scope="module")
def publics():
    out = indicators(TERRITOIRES, STRUCTURES, BESOINS_PUBLICS, reponses=REPONSES)
    return out.set_index(["niveau", "code", "indicateur", "type_siae", "public"])["valeur"]


def test_salaries_of_each_public_and_their_share(publics):
    assert publics["commune", "A", "salaries_public", "ACI", "brsa"] == 6
    assert publics["commune", "A", "part_public_salaries", "ACI", "brsa"] == 30   # 6 / 20
    assert publics["departement", "D", "salaries_public", "ensemble", "brsa"] == 8  # 6 + 2
    assert publics["departement", "D", "part_public_salaries", "ensemble", "brsa"] == \
        8 / 28 * 100
    assert publics["departement", "D", "salaries_public", "ensemble", "deld_detld"] == 9  # 3+4+1+1
    assert publics["commune", "A", "part_public_salaries", "ensemble", "rqth"] == 10  # 2 / 20
    # s3 (EI, 8 salariés) left RQTH empty: estimated, not erasing D. No EI answered, so the
    # share of every kind: 2 / 20 = 10 %; s3 counts 8 × 10 % = 0.8; D = 2 + 0.8
    assert publics["departement", "D", "salaries_public", "ensemble", "rqth"] == \
        pytest.approx(2.8)
    # ... but in C the estimate is all of the 8 salariés (8 / 8 > 50 %): nd
    assert math.isnan(publics["commune", "C", "salaries_public", "ensemble", "rqth"])
    assert publics["commune", "B", "salaries_public", "ensemble", "femmes"] == 0  # no SIAE
    assert math.isnan(publics["commune", "B", "part_public_salaries", "ensemble", "femmes"])


def test_an_estimated_answer_is_marked_in_methode():
    out = indicators(TERRITOIRES, STRUCTURES, BESOINS_PUBLICS, reponses=REPONSES)
    methode = out.set_index(["niveau", "code", "indicateur", "type_siae", "public"])["methode"]
    assert methode["departement", "D", "salaries_public", "ensemble", "rqth"] == \
        "implantation+estimation"
    assert methode["departement", "D", "salaries_public", "ensemble", "brsa"] == "implantation"


def test_a_rejected_answer_is_estimated_within_its_kind():
    """Two ACI: s1 20 salariés, 6 BRSA; s4 30 salariés, BRSA rejected. ACI share 6 / 20 = 30 %,
    s4 counts 30 × 30 % = 9: D has 6 + 9 = 15 BRSA (estimated weight 30 / 50 = 60 % > 50 %:
    nd); with a third ACI of 50 salariés and 10 BRSA, the share is 16 / 70, s4 counts
    30 × 16 / 70, and the weight 30 / 100 = 30 % lets D be published."""
    structures = pd.DataFrame({"siret": ["1", "4"], "type_siae": ["ACI", "ACI"],
                               "code_commune": ["A", "C"], "a_repondu": [True, True],
                               "etp_conventionnes": [10.0, 12.0], "etp_realises": [9.0, 12.0],
                               "salaries_annee": [20, 30]})
    answers = pd.DataFrame({"siret": ["1", "4"], "type_siae": ["ACI", "ACI"],
                            "brsa": [6.0, None]})
    key = ["niveau", "code", "indicateur", "type_siae", "public"]
    two = indicators(TERRITOIRES, structures, BESOINS, reponses=answers).set_index(key)["valeur"]
    assert math.isnan(two["departement", "D", "salaries_public", "ensemble", "brsa"])
    three = pd.concat([structures, pd.DataFrame({
        "siret": ["5"], "type_siae": ["ACI"], "code_commune": ["A"], "a_repondu": [True],
        "etp_conventionnes": [20.0], "etp_realises": [20.0], "salaries_annee": [50]})])
    answers = pd.concat([answers, pd.DataFrame({"siret": ["5"], "type_siae": ["ACI"],
                                                "brsa": [10.0]})])
    values = indicators(TERRITOIRES, three, BESOINS, reponses=answers).set_index(key)["valeur"]
    assert values["departement", "D", "salaries_public", "ensemble", "brsa"] == \
        pytest.approx(16 + 30 * 16 / 70)
    assert values["departement", "D", "part_public_salaries", "ensemble", "brsa"] == \
        pytest.approx((16 + 30 * 16 / 70) / 100 * 100)


def test_share_of_the_public_among_the_needs_and_the_gap(publics):
    assert publics["departement", "D", "de_public", "ensemble", "deld_detld"] == 550  # 400 + 150
    share_de = 550 / 1500 * 100
    assert publics["departement", "D", "part_public_de_abc", "ensemble", "deld_detld"] == \
        share_de
    assert publics["departement", "D", "ecart_representativite", "ensemble", "deld_detld"] == \
        9 / 28 * 100 - share_de
    # C knows its DE ABC but not its young DE: no share for the département
    assert publics["departement", "D", "de_public", "ensemble", "moins_26"] == 150
    assert math.isnan(publics["departement", "D", "part_public_de_abc", "ensemble", "moins_26"])
    # E1 = A (B has no figure at all): 150 / 1000 among DE, 4 / 20 among salariés
    assert publics["epci", "E1", "part_public_de_abc", "ensemble", "moins_26"] == 15
    assert publics["epci", "E1", "ecart_representativite", "ensemble", "moins_26"] == 20 - 15
    # the needs do not describe the BRSA among the DE: nothing to compare with
    assert ("departement", "D", "de_public", "ensemble", "brsa") not in publics.index
    assert ("departement", "D", "ecart_representativite", "ensemble", "brsa") \
        not in publics.index


def test_a_territory_with_its_own_source_figures_gets_the_share_of_each_public():
    """France Travail gives the département 2 000 DE ABC with 200 young ones: the share is
    200 / 2 000 = 10 % although commune C's young DE are masked; the gap with the salariés
    (6 young of 28 = 21.4 %) is 21.4 − 10 points. The EPCI, summed on communes, are unchanged."""
    own = pd.DataFrame({"niveau": ["departement", "epci"], "code": ["D", "E1"],
                        "de_abc": [2000.0, 1000.0], "deld": [500.0, 300.0],
                        "detld": [None, 100.0], "de_moins_26": [200.0, 150.0],
                        "de_50_plus": [None, 250.0], "de_source_niveau": [True, False]})
    out = indicators(TERRITOIRES, STRUCTURES, BESOINS_PUBLICS, reponses=REPONSES,
                     besoins_territoires=own)
    values = out.set_index(["niveau", "code", "indicateur", "type_siae", "public"])["valeur"]
    assert values["departement", "D", "part_public_de_abc", "ensemble", "moins_26"] == 10
    assert values["departement", "D", "ecart_representativite", "ensemble", "moins_26"] == \
        pytest.approx(6 / 28 * 100 - 10)
    # DELD + DETLD: the DETLD are unknown in the source's own figures → the communes' share
    assert values["departement", "D", "part_public_de_abc", "ensemble", "deld_detld"] == \
        550 / 1500 * 100
    # the count is the source's too; the EPCI keep the communes' share
    assert values["departement", "D", "de_public", "ensemble", "moins_26"] == 200
    # D's DE ABC are the source's 2 000, of which 2 000 − (1 000 + 500) are not by commune
    assert values["departement", "D", "de_abc", "ensemble", "ensemble"] == 2000
    assert values["departement", "D", "de_abc_non_ventile", "ensemble", "ensemble"] == 500
    assert values["departement", "D", "taux_equipement_etp_de_abc", "ensemble",
                  "ensemble"] == 15 / 2000 * 1000
    assert values["epci", "E1", "de_abc", "ensemble", "ensemble"] == 1000
    assert values["epci", "E1", "part_public_de_abc", "ensemble", "moins_26"] == 15


def test_publics_add_up_over_territories_and_kinds(publics):
    frame = publics.reset_index()
    counts = frame[(frame["indicateur"] == "salaries_public") & (frame["public"] == "brsa")]
    ensemble = counts[counts["type_siae"] == "ensemble"]
    assert ensemble.groupby("niveau")["valeur"].sum().to_dict() == {
        "commune": 8, "epci": 8, "arrondissement": 8, "departement": 8}
    kinds = counts[counts["type_siae"] != "ensemble"].groupby(["niveau", "code"])["valeur"].sum()
    assert kinds.to_dict() == ensemble.set_index(["niveau", "code"])["valeur"].to_dict()


def test_a_share_of_a_public_is_secret_with_its_count_or_its_total():
    raw = indicators(TERRITOIRES, STRUCTURES, BESOINS_PUBLICS, reponses=REPONSES)
    effectifs = {"salaries_annee", "de_abc", "salaries_public", "de_public"}
    out = apply_secret(raw, TERRITOIRES, 11, effectifs, DERIVED)
    pub = out[out["diffusion"] == "publique"].set_index(
        ["niveau", "code", "indicateur", "type_siae", "public"])["statut"]
    assert pub["commune", "A", "salaries_public", "ACI", "brsa"] == "s"          # 6 < 11
    assert pub["commune", "A", "part_public_salaries", "ACI", "brsa"] == "s"
    assert pub["commune", "A", "salaries_public", "ACI", "femmes"] == "s"        # 9 < 11
    assert pub["commune", "C", "salaries_annee", "EI", "ensemble"] == "s"        # 8 < 11
    assert pub["commune", "C", "part_public_salaries", "EI", "residents_qpv"] == "s"  # 0 / 8
    assert pub["commune", "A", "de_public", "ensemble", "deld_detld"] == "publie"  # 400


def test_realisation_of_etp(table):
    assert table["commune", "A", "realisation_etp", "ACI"] == 90                 # 9 / 10
    assert table["departement", "D", "realisation_etp", "ensemble"] == 14 / 15 * 100  # (9+5)/15
    assert math.isnan(table["commune", "B", "realisation_etp", "ensemble"])      # no ETP


def test_exits_and_dynamic_exit_rate_from_the_questionnaires(publics):
    assert publics["commune", "A", "sorties", "ACI", "ensemble"] == 10            # 12 − 2
    assert publics["commune", "A", "sorties_dynamiques", "ACI", "ensemble"] == 4  # 2 + 1 + 1
    assert publics["commune", "A", "taux_sortie_dynamique", "ACI", "ensemble"] == 40  # 4 / 10
    assert publics["commune", "C", "taux_sortie_dynamique", "EI", "ensemble"] == 25   # 1 / 4
    assert publics["departement", "D", "taux_sortie_dynamique", "ensemble", "ensemble"] == \
        5 / 14 * 100
    assert math.isnan(publics["commune", "A", "sorties", "AI", "ensemble"])       # no answer
    assert publics["commune", "B", "sorties", "ensemble", "ensemble"] == 0        # no SIAE


def test_answers_with_missing_figures():
    # s3 left its retraits empty: its exits are left out; s1 left its salariés empty: its
    # publics are left out, as its salariés are left out of salaries_annee.
    reponses = REPONSES.assign(sorties_retraits=[2, None])
    structures = STRUCTURES.assign(salaries_annee=[None, None, 8])
    out = indicators(TERRITOIRES, structures, BESOINS_PUBLICS, reponses=reponses)
    table = out.set_index(["niveau", "code", "indicateur", "type_siae", "public"])["valeur"]
    assert table["departement", "D", "sorties", "ensemble", "ensemble"] == 10      # s1 only
    assert table["departement", "D", "taux_sortie_dynamique", "ensemble", "ensemble"] == 40
    assert math.isnan(table["commune", "C", "sorties", "EI", "ensemble"])
    assert table["departement", "D", "salaries_public", "ensemble", "brsa"] == 2   # s3 only
    assert table["departement", "D", "part_public_salaries", "ensemble", "brsa"] == 25  # 2 / 8
    assert math.isnan(table["departement", "D", "salaries_public", "ensemble", "rqth"])
