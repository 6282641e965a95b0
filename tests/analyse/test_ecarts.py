"""Ranked gaps (territory × public) on a tiny hand-computed case, under secrecy."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from iae_etat.analyse.ecarts import ecarts
from iae_etat.analyse.indicateurs import indicators
from iae_etat.analyse.secret import apply_secret
from iae_etat.analyse.stage import DERIVED
from tests.analyse.test_indicateurs import STRUCTURES, TERRITOIRES

# A and B in EPCI E1, C in E2, département D. ETP conventionnés: A 10 (ACI), B 0, C 5 (EI).
BESOINS = pd.DataFrame({"code_commune": ["A", "B", "C"], "de_abc": [900.0, 300.0, 300.0],
                        "foyers_rsa": [100.0, 50.0, 150.0], "de_rqth": [90.0, 30.0, 60.0]})
# Salariés: s1 (A) 20 of whom 1 RQTH, s3 (C) 8 of whom 4 RQTH.
REPONSES = pd.DataFrame({"siret": ["1", "3"], "type_siae": ["ACI", "EI"], "rqth": [1.0, 4.0]})
EFFECTIFS = {"salaries_annee", "de_abc", "foyers_rsa", "salaries_public", "de_public"}


def _ecarts(seuil: int) -> pd.DataFrame:
    raw = indicators(TERRITOIRES, STRUCTURES, BESOINS, reponses=REPONSES)
    published = apply_secret(raw, TERRITOIRES, seuil, EFFECTIFS, DERIVED)
    return ecarts(published, TERRITOIRES).set_index(
        ["diffusion", "niveau", "code", "mesure", "besoin", "public"])


@pytest.fixture(scope="module")
def clear():
    return _ecarts(seuil=1).loc["publique"]  # nothing secret


def test_etp_manquants_against_the_departement_rate(clear):
    # taux du département : 15 ETP / 1 500 DE ABC × 1 000 = 10 ETP pour 1 000
    e1 = clear.loc[("epci", "E1", "etp_manquants", "de_abc", "ensemble")]
    assert e1["taux_reference"] == pytest.approx(10)
    assert e1["cible"] == pytest.approx(1200 * 10 / 1000)         # 12 ETP
    assert e1["ecart"] == pytest.approx(12 - 10)                   # 2 ETP manquants
    assert e1["rang"] == 1 and e1["statut"] == "publie"
    e2 = clear.loc[("epci", "E2", "etp_manquants", "de_abc", "ensemble")]
    assert e2["ecart"] == pytest.approx(300 * 10 / 1000 - 5)       # −2: surplus, not ranked
    assert pd.isna(e2["rang"])
    b = clear.loc[("commune", "B", "etp_manquants", "de_abc", "ensemble")]
    assert b["ecart"] == pytest.approx(3) and b["rang"] == 1       # 300 × 10 / 1 000 − 0
    a = clear.loc[("commune", "A", "etp_manquants", "de_abc", "ensemble")]
    assert a["ecart"] == pytest.approx(-1) and a["taux_territoire"] == pytest.approx(10 / 900
                                                                                    * 1000)
    # foyers RSA: 15 / 300 × 1 000 = 50 ; E2 : 150 × 50 / 1 000 − 5 = 2,5
    rsa = clear.loc[("epci", "E2", "etp_manquants", "foyers_rsa", "ensemble")]
    assert rsa["ecart"] == pytest.approx(2.5) and rsa["rang"] == 1
    # the arrondissement is the whole département: no gap; the département has none at all
    r1 = clear.loc[("arrondissement", "R1", "etp_manquants", "de_abc", "ensemble")]
    assert r1["ecart"] == pytest.approx(0) and pd.isna(r1["rang"])
    assert ("departement", "D", "etp_manquants", "de_abc", "ensemble") not in clear.index


def test_salaries_manquants_against_the_share_among_de_abc(clear):
    # E1: 120 RQTH / 1 200 DE ABC = 10 % ; 20 salariés × 10 % − 1 = 1
    e1 = clear.loc[("epci", "E1", "salaries_manquants", "de_abc", "rqth")]
    assert e1["taux_reference"] == pytest.approx(10)
    assert e1["taux_territoire"] == pytest.approx(1 / 20 * 100)
    assert e1["ecart"] == pytest.approx(20 * 0.10 - 1) and e1["rang"] == 1
    # département: 180 / 1 500 = 12 % ; 28 × 12 % − 5 = −1,64
    d = clear.loc[("departement", "D", "salaries_manquants", "de_abc", "rqth")]
    assert d["ecart"] == pytest.approx(28 * 0.12 - 5) and pd.isna(d["rang"])
    # publics the needs do not give (DELD…) are not available; BRSA is not described at all
    assert clear.loc[("epci", "E1", "salaries_manquants", "de_abc", "50_plus"), "statut"] == "nd"
    assert "brsa" not in clear.index.get_level_values("public")


def test_a_gap_on_a_secret_input_is_secret_and_unranked_in_public_only():
    out = _ecarts(seuil=11)  # 1 and 4 RQTH, 8 salariés in C: secret
    public = out.loc[("publique", "epci", "E1", "salaries_manquants", "de_abc", "rqth")]
    assert public["statut"] == "s" and math.isnan(public["ecart"]) and pd.isna(public["rang"])
    restreinte = out.loc[("restreinte", "epci", "E1", "salaries_manquants", "de_abc", "rqth")]
    assert restreinte["ecart"] == pytest.approx(1) and restreinte["rang"] == 1


def test_a_secret_need_makes_the_etp_gap_secret():
    out = _ecarts(seuil=301)  # B's 300 DE ABC are secret (and a second cell with them)
    public = out.loc[("publique", "commune", "B", "etp_manquants", "de_abc", "ensemble")]
    assert public["statut"] == "s" and pd.isna(public["rang"])
    ranked = out.loc["publique"]["rang"].dropna()
    assert (out.loc["publique"].loc[ranked.index, "statut"] == "publie").all()
    assert out.loc[("restreinte", "commune", "B", "etp_manquants", "de_abc", "ensemble"),
                   "rang"] == 1


def test_communes_without_need_are_left_out():
    besoins = BESOINS.assign(de_abc=[900.0, 0.0, 300.0], foyers_rsa=[100.0, 0.0, 150.0])
    raw = indicators(TERRITOIRES, STRUCTURES, besoins, reponses=REPONSES)
    out = ecarts(apply_secret(raw, TERRITOIRES, 1, EFFECTIFS, DERIVED), TERRITOIRES)
    communes = out[out["niveau"] == "commune"]
    assert set(communes["code"]) == {"A", "C"}


def test_partial_inputs_give_the_gaps_they_can():
    raw = indicators(TERRITOIRES, STRUCTURES, BESOINS)  # no questionnaire answers
    out = ecarts(apply_secret(raw, TERRITOIRES, 1, EFFECTIFS, DERIVED), TERRITOIRES)
    assert set(out["mesure"]) == {"etp_manquants"}
    no_needs = indicators(TERRITOIRES, STRUCTURES, pd.DataFrame({"code_commune": ["A"]}))
    assert ecarts(apply_secret(no_needs, TERRITOIRES, 1, EFFECTIFS, DERIVED), TERRITOIRES).empty
