"""Non-response: calage weights, weighted estimates, coverage in ETP, and the [analyse] keys."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from iae_etat.analyse import calage
from iae_etat.analyse.indicateurs import indicators
from iae_etat.common.errors import ConfigError
from iae_etat.project.config import load_projet
from iae_etat.project.method import Methode, methode, taux_reponse_min

# Communes A, B in département D, commune Z in département D2.
TERRITOIRES = pd.DataFrame({
    "code_commune": ["A", "B", "Z"], "nom_commune": ["Alpha", "Bêta", "Zêta"],
    "code_epci": ["E1", "E1", "E3"], "nom_epci": ["CC Un", "CC Un", "CC Trois"],
    "code_departement": ["D", "D", "D2"], "nom_departement": ["Dép", "Dép", "Dép 2"]})
# Three ACI in D, two of which answered (s1, s2); one EI in D that answered; one ACI in D2
# that answered.
STRUCTURES = pd.DataFrame({
    "siret": ["1", "2", "3", "4", "5"], "type_siae": ["ACI", "ACI", "ACI", "EI", "ACI"],
    "code_commune": ["A", "A", "B", "B", "Z"],
    "a_repondu": [True, True, False, True, True],
    "etp_conventionnes": [10.0, 4.0, None, 3.0, 6.0], "etp_realises": [9.0, 4.0, None, 3.0, 6.0],
    "salaries_annee": [20, 10, None, 7, 12]})
# ETP conventionnés of the ASP: known for every conventioned SIAE.
ASP = pd.DataFrame({"siret": ["1", "2", "3", "4", "5"],
                    "type_siae": ["ACI", "ACI", "ACI", "EI", "ACI"],
                    "code_commune": ["A", "A", "B", "B", "Z"],
                    "etp_conventionnes": [12.0, 6.0, 12.0, 3.0, 5.0]}).assign(
    etp_realises=1.0, salaries_annee=2.0, sorties=1.0, sorties_retraits=0.0,
    sorties_durables=1.0, sorties_transition=0.0, sorties_positives=0.0)
BESOINS = pd.DataFrame({"code_commune": ["A", "B", "Z"], "de_abc": [1000.0, 500.0, 400.0]})
KEY = ["niveau", "code", "indicateur", "type_siae", "public"]


def _weights(asp):
    groups = calage.groupes(STRUCTURES, TERRITOIRES, asp)
    return groups.set_index(["code_departement", "type_siae"]), \
        calage.poids(STRUCTURES, groups, TERRITOIRES).set_index("siret")["poids"]


def test_weights_on_the_etp_of_the_asp():
    groups, weights = _weights(ASP)
    aci = groups.loc[("D", "ACI")]
    # 3 ACI, 2 answered: (12 + 6 + 12) ETP in all / (12 + 6) ETP answered = 30 / 18
    assert (aci["siae"], aci["repondantes"], aci["total"], aci["total_repondantes"]) == \
        (3, 2, 30, 18)
    assert aci["variable"] == "etp_conventionnes_asp"
    assert weights["1"] == weights["2"] == pytest.approx(30 / 18)
    assert weights["4"] == 1          # the only EI answered
    assert weights["5"] == 1          # D2 is a group of its own
    assert "3" not in weights.index   # no answer, no weight


def test_weights_on_the_number_of_siae_without_asp():
    groups, weights = _weights(None)
    assert groups.at[("D", "ACI"), "variable"] == "nb_siae"
    assert weights["1"] == weights["2"] == 3 / 2   # 3 ACI, 2 answered


def test_calage_estimates_the_totals_and_aucune_leaves_respondents_only():
    groups = calage.groupes(STRUCTURES, TERRITOIRES, ASP)
    poids = calage.poids(STRUCTURES, groups, TERRITOIRES)
    # without the ASP extract in the indicators, the ETP are the respondents' (weighted)
    weighted = indicators(TERRITOIRES, STRUCTURES, BESOINS, poids=poids).set_index(KEY)
    plain = indicators(TERRITOIRES, STRUCTURES, BESOINS).set_index(KEY)["valeur"]
    valeur = weighted["valeur"]
    cell = ("departement", "D", "etp_conventionnes", "ACI", "ensemble")
    assert plain[cell] == 14                                     # 10 + 4, respondents only
    assert valeur[cell] == pytest.approx(14 * 30 / 18)           # weighted estimate
    assert valeur["departement", "D", "salaries_annee", "ensemble", "ensemble"] == \
        pytest.approx(30 * 30 / 18 + 7)                          # ACI weighted + EI
    # B holds s3 (no answer) and s4: only s4 is counted, with its weight 1
    assert valeur["commune", "B", "etp_conventionnes", "ensemble", "ensemble"] == 3
    assert math.isnan(valeur["commune", "B", "etp_conventionnes", "ACI", "ensemble"])
    # the counts of SIAE and the needs are not weighted
    assert valeur["departement", "D", "nb_siae", "ensemble", "ensemble"] == 4
    assert weighted.at[cell, "methode"] == "implantation+calage"
    assert weighted.at[("departement", "D", "nb_siae", "ACI", "ensemble"),
                       "methode"] == "implantation"


def test_with_the_asp_the_etp_are_those_of_every_siae_and_the_declared_ones_are_kept():
    poids = calage.poids(STRUCTURES, calage.groupes(STRUCTURES, TERRITOIRES, ASP), TERRITOIRES)
    table = indicators(TERRITOIRES, STRUCTURES, BESOINS, ASP, poids=poids).set_index(KEY)
    valeur = table["valeur"]
    cell = ("departement", "D", "etp_conventionnes", "ACI", "ensemble")
    assert valeur[cell] == 30                                    # ASP: 12 + 6 + 12, no weight
    assert table.at[cell, "methode"] == "implantation+asp"
    assert valeur["departement", "D", "etp_conventionnes_questionnaires", "ACI",
                  "ensemble"] == 14                              # declared: 10 + 4
    # B holds s3 (no answer, 12 ETP in the ASP) and s4 (3): both counted
    assert valeur["commune", "B", "etp_conventionnes", "ensemble", "ensemble"] == 15
    # taux d'équipement on the base of every SIAE: (30 + 3) / (1000 + 500) × 1000
    assert valeur["departement", "D", "taux_equipement_etp_de_abc", "ensemble",
                  "ensemble"] == pytest.approx(33 / 1500 * 1000)
    # salariés of every SIAE: 2 per SIAE in the ASP, 4 SIAE in D
    assert valeur["departement", "D", "salaries_annee", "ensemble", "ensemble"] == 8


def test_coverage_in_etp_conventionnes():
    with_asp = indicators(TERRITOIRES, STRUCTURES, BESOINS, ASP).set_index(KEY)["valeur"]
    # D's ACI: 18 of 30 ETP answered; all of D: (18 + 3) / 33
    assert with_asp["departement", "D", "taux_reponse_etp", "ACI", "ensemble"] == \
        pytest.approx(60)
    assert with_asp["departement", "D", "taux_reponse_etp", "ensemble", "ensemble"] == \
        pytest.approx(21 / 33 * 100)
    assert with_asp["departement", "D", "taux_reponse", "ACI", "ensemble"] == \
        pytest.approx(2 / 3 * 100)
    assert math.isnan(with_asp["departement", "D", "taux_reponse_etp", "AI", "ensemble"])
    without = indicators(TERRITOIRES, STRUCTURES, BESOINS).set_index(KEY)["valeur"]
    assert math.isnan(without["departement", "D", "taux_reponse_etp", "ACI", "ensemble"])


def _projet(tmp_path, analyse: str):
    text = '[projet]\ndepartements = ["26"]\n' + analyse
    (tmp_path / "iae-etat.toml").write_text(text, "utf-8")
    return load_projet(tmp_path)


def test_methods_default_and_chosen(tmp_path):
    assert methode(_projet(tmp_path, "")) == Methode("implantation", "aucune")
    chosen = '[analyse]\nattribution = "residence"\nnon_reponse = "calage"\n'
    assert methode(_projet(tmp_path, chosen)) == Methode("residence", "calage")


@pytest.mark.parametrize(("analyse", "key"), [
    ('[analyse]\nattribution = "domicile"\n', "[analyse] attribution"),
    ('[analyse]\nnon_reponse = "imputation"\n', "[analyse] non_reponse"),
    ('[analyse]\nnon_reponse = true\n', "[analyse] non_reponse"),
    ("analyse = 3\n", "[analyse]")])
def test_bad_methods_are_configuration_errors(tmp_path, analyse, key):
    """The methods are validated when the project is loaded (project/validation.py)."""
    with pytest.raises(ConfigError) as error:
        if not analyse.startswith("["):
            (tmp_path / "iae-etat.toml").write_text(
                analyse + '[projet]\ndepartements = ["26"]\n', "utf-8")
            load_projet(tmp_path)
        else:
            _projet(tmp_path, analyse)
    assert str(tmp_path / "iae-etat.toml") in error.value.message
    assert key in error.value.message


def _copy_built(built_demo, tmp_path, analyse: str):
    import shutil

    project = tmp_path / "projet"
    shutil.copytree(built_demo / "data", project / "data")
    config = (built_demo / "iae-etat.toml").read_text("utf-8") + "\n" + analyse
    (project / "iae-etat.toml").write_text(config, "utf-8")
    return project


def test_analyse_stage_by_residence_with_calage(built_demo, tmp_path):
    from tests.conftest import cli

    project = _copy_built(built_demo, tmp_path,
                          '[analyse]\nattribution = "residence"\nnon_reponse = "calage"\n')
    result = cli(["--project-dir", str(project), "analyse"])
    assert result.returncode == 0, result.stderr
    out = pd.read_parquet(project / "data/processed/2025/out_indicateurs.parquet")
    methods = out.groupby("niveau")["methode"].unique().map(set)
    assert "residence+calage" in methods["epci"] and "residence+calage" in methods["departement"]
    assert "implantation+calage" in methods["commune"]
    assert not any(m.startswith("residence") for m in methods["commune"])
    before = pd.read_parquet(built_demo / "data/processed/2025/out_indicateurs.parquet")
    key = ["diffusion", "niveau", "code", "indicateur", "type_siae", "public"]
    cell = ("restreinte", "departement", "26", "nb_siae", "ensemble", "ensemble")
    assert out.set_index(key).at[cell, "valeur"] == before.set_index(key).at[cell, "valeur"]


def test_a_bad_method_stops_the_analyse_with_exit_2(built_demo, tmp_path):
    from tests.conftest import cli

    project = _copy_built(built_demo, tmp_path, '[analyse]\nattribution = "domicile"\n')
    result = cli(["--project-dir", str(project), "analyse"])
    assert result.returncode == 2
    assert "iae-etat.toml" in result.stderr and "[analyse] attribution" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_response_floor_of_the_banner_is_read_from_analyse(tmp_path):
    assert taux_reponse_min(_projet(tmp_path, "")) == 60
    assert taux_reponse_min(_projet(tmp_path, "[analyse]\ntaux_reponse_min = 40\n")) == 40
    with pytest.raises(ConfigError):
        taux_reponse_min(_projet(tmp_path, "[analyse]\ntaux_reponse_min = 140\n"))
