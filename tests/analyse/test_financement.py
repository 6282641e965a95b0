"""Financement, optional themes and the dominance rule on hand-computed cases."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from iae_etat.analyse.audit import audit_secret
from iae_etat.analyse.financement import montant_rsa_annuel
from iae_etat.analyse.indicateurs import indicators
from iae_etat.analyse.secret import apply_secret
from iae_etat.analyse.stage import DERIVED, SOMMES
from iae_etat.analyse.themes import couts_valorisation
from iae_etat.common.errors import ConfigError
from iae_etat.common.indicators import CATALOGUE
from iae_etat.project.config import Projet, load_projet
from iae_etat.report.context_financement import (
    AUTRES_PRATIQUES,
    THEMES_BONNES_PRATIQUES,
    bonnes_pratiques,
    sections,
    theme_of,
    themes_bonnes_pratiques,
)

# Communes A and B in EPCI E1, C in EPCI E2, F in EPCI E3 (no SIAE); département D. The
# financement and themes are given above the commune.
TERRITOIRES = pd.DataFrame({
    "code_commune": ["A", "B", "C", "F"], "nom_commune": ["Alpha", "Bêta", "Gamma", "Phi"],
    "code_epci": ["E1", "E1", "E2", "E3"], "nom_epci": ["CC Un", "CC Un", "CC Deux", "CC Trois"],
    "code_departement": ["D"] * 4, "nom_departement": ["Dép"] * 4})
# s1 ACI in A answered; s2 AI in A did not; s3 EI in C answered.
STRUCTURES = pd.DataFrame({
    "siret": ["1", "2", "3"], "type_siae": ["ACI", "AI", "EI"], "code_commune": ["A", "A", "C"],
    "denomination": ["Chantier Un", "Relais Deux", "Bâti Trois"],
    "a_repondu": [True, False, True], "etp_conventionnes": [10.0, None, 5.0],
    "etp_realises": [9.0, None, 5.0], "salaries_annee": [20, None, 8]})
BESOINS = pd.DataFrame({"code_commune": ["A", "B", "C", "F"],
                        "de_abc": [1000.0, 400.0, 500.0, 300.0]})
REPONSES = pd.DataFrame({
    "siret": ["1", "3"], "type_siae": ["ACI", "EI"], "salaries_annee": [20, 8],
    "aide_au_poste": [200_000, 50_000], "chiffre_affaires": [100_000, 150_000],
    "subvention_etat": [210_000, 50_000], "subvention_departement": [30_000, 10_000],
    "subvention_region": [None, 20_000], "subvention_communes": [5_000, None],
    "subvention_fse": [0, None], "subvention_autres": [None, 1_000],
    "etp_encadrement_technique": [2.0, 1.0], "etp_accompagnement": [1.0, None],
    "etp_direction": [0.5, 0.5], "benevoles": [3, 0],
    "sorties": [12, 4], "sorties_retraits": [2, 0], "sorties_durables": [2, 1],
    "sorties_transition": [1, 0], "sorties_positives": [1, 0],
    "secteur_principal": ["Restauration", "Restauration"],
    "bonnes_pratiques": ["Un job dating avec les employeurs du bassin.", None]})
COUTS = [{"libelle": "RSA", "par": "sorties_durables", "montant": 1000.0, "source": "test"},
         {"libelle": "Autre", "par": "sorties_dynamiques", "montant": 10.0, "source": "test"}]
MONTANTS = frozenset(i.code for i in CATALOGUE if i.montant)
EFFECTIFS = {i.code for i in CATALOGUE if i.effectif}
KEY = ["niveau", "code", "indicateur", "type_siae"]


@pytest.fixture(scope="module")
def raw():
    return indicators(TERRITOIRES, STRUCTURES, BESOINS, reponses=REPONSES, rsa_annuel=8000.0,
                      couts=COUTS)


@pytest.fixture(scope="module")
def table(raw):
    return raw[raw["public"] == "ensemble"].set_index(KEY)["valeur"]


def test_financing_amounts_of_the_respondents(table):
    assert table["epci", "E1", "aide_au_poste", "ACI"] == 200_000
    assert table["epci", "E1", "aide_au_poste", "ensemble"] == 200_000   # s2 did not answer
    assert math.isnan(table["epci", "E1", "aide_au_poste", "AI"])        # no answer: nd
    assert table["epci", "E3", "aide_au_poste", "ensemble"] == 0         # no SIAE: zero
    assert table["departement", "D", "aide_au_poste", "ensemble"] == 250_000  # 200 000 + 50 000
    assert table["departement", "D", "financement_departement", "ensemble"] == 40_000
    # État hors aide au poste: s1 210 000 − 200 000 = 10 000; s3 50 000 − 50 000 = 0
    assert table["departement", "D", "financement_etat_hors_aide", "ensemble"] == 10_000
    assert table["departement", "D", "financement_region", "ensemble"] == 20_000  # empty = 0
    # autres financeurs: s1 10 000 + 0 + 5 000 + 0 + 0 = 15 000; s3 0 + 20 000 + 0 + 0 + 1 000
    assert table["epci", "E1", "autres_financeurs", "ACI"] == 15_000
    assert table["departement", "D", "autres_financeurs", "ensemble"] == 36_000
    # total: s1 200 000 + 30 000 + 15 000 = 245 000; s3 50 000 + 10 000 + 21 000 = 81 000
    assert table["departement", "D", "financements_publics", "ensemble"] == 326_000
    assert table["departement", "D", "chiffre_affaires", "ensemble"] == 250_000


def test_equivalent_brsa_and_autofinancement(table):
    assert table["departement", "D", "equivalent_brsa", "ensemble"] == 5   # 40 000 / 8 000
    # 250 000 / (250 000 + 326 000) × 100
    assert table["departement", "D", "part_autofinancement", "ensemble"] == \
        pytest.approx(250_000 / 576_000 * 100)
    assert table["departement", "D", "dependance_aides_publiques", "ensemble"] == \
        pytest.approx(326_000 / 576_000 * 100)
    # s1 alone: 100 000 / (100 000 + 245 000)
    assert table["epci", "E1", "part_autofinancement", "ACI"] == \
        pytest.approx(100_000 / 345_000 * 100)
    assert math.isnan(table["epci", "E3", "part_autofinancement", "ensemble"])  # 0 / 0


def test_equivalent_brsa_not_available_without_the_rsa_amount():
    out = indicators(TERRITOIRES, STRUCTURES, BESOINS, reponses=REPONSES)
    assert out.loc[out["indicateur"] == "equivalent_brsa", "valeur"].isna().all()
    assert not (out["indicateur"] == "couts_evites").any()  # no unit cost: not computed


def test_a_missing_aide_au_poste_makes_its_cells_not_available():
    out = indicators(TERRITOIRES, STRUCTURES, BESOINS,
                     reponses=REPONSES.assign(aide_au_poste=[200_000, None]))
    table = out.set_index(KEY)["valeur"]
    assert math.isnan(table["departement", "D", "aide_au_poste", "ensemble"])
    assert math.isnan(table["departement", "D", "financements_publics", "ensemble"])
    assert table["departement", "D", "financement_departement", "ensemble"] == 40_000
    assert table["departement", "D", "aide_au_poste", "ACI"] == 200_000


def test_personnel_and_supervision_rate(table):
    assert table["departement", "D", "etp_encadrement_technique", "ensemble"] == 3  # 2 + 1
    assert table["departement", "D", "salaries_par_etp_encadrement", "ensemble"] == \
        pytest.approx(28 / 3)                                                  # (20 + 8) / 3
    assert math.isnan(table["departement", "D", "etp_accompagnement", "ensemble"])  # s3 empty
    assert table["epci", "E1", "etp_accompagnement", "ensemble"] == 1
    assert table["departement", "D", "benevoles", "ensemble"] == 3


def test_financement_and_themes_are_given_above_the_commune(raw):
    assert not raw.loc[raw["niveau"] == "commune", "indicateur"].isin(
        ["aide_au_poste", "financements_publics", "etp_direction", "couts_evites"]).any()
    assert (raw.loc[raw["indicateur"] == "aide_au_poste", "niveau"].unique().tolist()
            == ["epci", "departement"])


def test_exits_by_category_and_avoided_costs(table):
    assert table["departement", "D", "sorties_durables", "ensemble"] == 3      # 2 + 1
    assert table["departement", "D", "sorties_transition", "ensemble"] == 1
    # categories add up to the published sorties dynamiques: 3 + 1 + 1 = 5
    assert table["departement", "D", "sorties_dynamiques", "ensemble"] == 5
    # 3 sorties durables × 1 000 € + 5 sorties dynamiques × 10 €
    assert table["departement", "D", "couts_evites", "ensemble"] == 3_050
    assert table["epci", "E3", "couts_evites", "ensemble"] == 0


def test_aide_au_poste_of_the_asp_covers_every_conventioned_siae():
    asp = pd.DataFrame({"siret": ["1", "2", "3"], "type_siae": ["ACI", "AI", "EI"],
                        "code_commune": ["A", "A", "C"],
                        "aide_au_poste": [220_000.0, 15_000.0, None]})
    out = indicators(TERRITOIRES, STRUCTURES, BESOINS, asp.assign(
        etp_conventionnes=1.0, etp_realises=1.0, salaries_annee=1.0, sorties=0.0,
        sorties_retraits=0.0, sorties_durables=0.0, sorties_transition=0.0,
        sorties_positives=0.0))
    table = out.set_index(KEY)
    assert table.at[("epci", "E1", "aide_au_poste_asp", "ensemble"), "valeur"] == 235_000
    assert table.at[("epci", "E1", "aide_au_poste_asp", "ensemble"),
                    "contribution_max"] == 220_000                          # the ACI
    assert table.at[("epci", "E3", "aide_au_poste_asp", "ensemble"), "valeur"] == 0
    assert math.isnan(table.at[("departement", "D", "aide_au_poste_asp", "ensemble"),
                               "valeur"])                                   # s3 has no amount
    assert not (out["indicateur"] == "aide_au_poste").any()                # no questionnaire


def test_largest_contribution_is_kept_for_the_dominance_rule(raw):
    top = raw.set_index(KEY)["contribution_max"]
    assert top["departement", "D", "aide_au_poste", "ensemble"] == 200_000
    assert top["departement", "D", "financements_publics", "ensemble"] == 245_000
    assert math.isnan(top["departement", "D", "part_autofinancement", "ensemble"])


def _amounts(values: dict[str, tuple[float, float]], indicator: str = "aide_au_poste"
             ) -> pd.DataFrame:
    """An amount table (A, B, E1, D) with each cell's value and largest contribution."""
    levels = {"A": "commune", "B": "commune", "E1": "epci", "D": "departement"}
    return pd.DataFrame({
        "niveau": [levels[c] for c in values], "code": list(values), "libelle": list(values),
        "indicateur": indicator, "unite": "€", "type_siae": "ensemble", "public": "ensemble",
        "valeur": [v for v, _ in values.values()],
        "contribution_max": [m for _, m in values.values()]})


def test_a_cell_with_a_90_percent_contributor_is_secret_and_cannot_be_recomputed():
    # A = 100 of which one SIAE 90 (90 % > 85 %): secret. B = 50 (two SIAE of 25).
    # E1 = D = A + B = 150, largest contribution 90 (60 %): published. B is hidden as well,
    # otherwise A = E1 − B.
    territoires = TERRITOIRES[TERRITOIRES["code_commune"].isin(["A", "B"])]
    table = _amounts({"A": (100, 90), "B": (50, 25), "E1": (150, 90), "D": (150, 90)})
    out = apply_secret(table, territoires, 11, set(), {}, MONTANTS, 0.85)
    assert "contribution_max" not in out.columns
    pub = out[out["diffusion"] == "publique"].set_index("code")
    assert pub.at["A", "statut"] == "s" and math.isnan(pub.at["A", "valeur"])
    assert pub.at["B", "statut"] == "s"
    assert pub.at["E1", "statut"] == pub.at["D", "statut"] == "publie"
    restreinte = out[out["diffusion"] == "restreinte"].set_index("code")
    assert restreinte.at["A", "valeur"] == 100 and restreinte.at["A", "statut"] == "publie"
    assert audit_secret(out, territoires, set(MONTANTS)).empty


def test_dominance_threshold_is_strict_and_counts_are_untouched():
    territoires = TERRITOIRES[TERRITOIRES["code_commune"].isin(["A", "B"])]
    table = _amounts({"A": (100, 85), "B": (50, 25), "E1": (150, 85), "D": (150, 85)})
    out = apply_secret(table, territoires, 11, set(), {}, MONTANTS, 0.85)
    assert (out["statut"] == "publie").all()                              # 85 % is not > 85 %
    counts = table.assign(indicateur="salaries_annee", valeur=[100, 50, 150, 150])
    out = apply_secret(counts, territoires, 11, {"salaries_annee"}, {}, MONTANTS, 0.85)
    assert (out["statut"] == "publie").all()                              # not an amount


def test_a_dominated_part_hides_another_part_of_its_total():
    # In one cell: total = aide au poste + Département + autres financeurs = 100 + 30 + 20.
    cell = TERRITOIRES[TERRITOIRES["code_commune"] == "A"]
    rows = [("aide_au_poste", 100, 95), ("financement_departement", 30, 20),
            ("autres_financeurs", 20, 10), ("financements_publics", 150, 95)]
    table = pd.DataFrame({"niveau": "commune", "code": "A", "libelle": "Alpha",
                          "indicateur": [r[0] for r in rows], "unite": "€",
                          "type_siae": "ensemble", "public": "ensemble",
                          "valeur": [float(r[1]) for r in rows],
                          "contribution_max": [float(r[2]) for r in rows]})
    out = apply_secret(table, cell, 11, set(), {}, MONTANTS, 0.85, SOMMES)
    pub = out[out["diffusion"] == "publique"].set_index("indicateur")["statut"]
    assert pub["aide_au_poste"] == "s"                                    # 95 / 100
    assert pub["autres_financeurs"] == "s"                                # smallest other part
    assert pub["financements_publics"] == pub["financement_departement"] == "publie"
    assert audit_secret(out, cell, set(MONTANTS), SOMMES).empty
    assert not audit_secret(out.assign(statut=out["statut"].where(
        out["indicateur"] != "autres_financeurs", "publie")), cell, set(MONTANTS), SOMMES).empty


def test_demo_like_secrecy_holds_on_every_amount_and_ratio(raw):
    out = apply_secret(raw, TERRITOIRES, 11, EFFECTIFS, DERIVED, MONTANTS, 0.85, SOMMES)
    assert audit_secret(out, TERRITOIRES, EFFECTIFS | MONTANTS, SOMMES).empty
    pub = out[(out["diffusion"] == "publique") & (out["public"] == "ensemble")] \
        .set_index(KEY)["statut"]
    # one ACI only in E1: every amount of E1 is dominated, and so are the ratios built on them
    assert pub["epci", "E1", "aide_au_poste", "ensemble"] == "s"
    assert pub["epci", "E1", "part_autofinancement", "ensemble"] == "s"
    assert pub["epci", "E1", "equivalent_brsa", "ensemble"] == "s"
    # D: s1 gives 200 000 of 250 000 (80 %) of the aide au poste and 30 000 of 40 000 (75 %) of
    # the Département: published; its ACI and EI parts (one SIAE each) are both secret.
    assert pub["departement", "D", "aide_au_poste", "ensemble"] == "publie"
    assert pub["departement", "D", "financement_departement", "ensemble"] == "publie"
    assert pub["departement", "D", "aide_au_poste", "ACI"] == \
        pub["departement", "D", "aide_au_poste", "EI"] == "s"
    assert pub["epci", "E3", "aide_au_poste", "ensemble"] == "publie"   # zero, no SIAE


def _project(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "iae-etat.toml").write_text(
        "[projet]\ndepartements = [\"26\"]\n" + extra, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("section", [
    "[financement]\nmontant_rsa_annuel = \"beaucoup\"\nsource = \"x\"\n",
    "[financement]\nmontant_rsa_annuel = -5\nsource = \"x\"\n",
    "[financement]\nmontant_rsa_annuel = 7758.24\n"])
def test_bad_financement_configuration_is_a_clear_french_error(tmp_path, section):
    with pytest.raises(ConfigError) as error:  # at load: project/validation.py
        load_projet(_project(tmp_path, section))
    assert "iae-etat.toml" in error.value.message
    assert "[financement] montant_rsa_annuel" in error.value.message


def test_financement_configuration_read(tmp_path):
    projet = load_projet(_project(tmp_path, "[financement]\nmontant_rsa_annuel = 7758.24\n"
                                            "source = \"Décret n° 2025-293\"\n"))
    assert montant_rsa_annuel(projet) == 7758.24
    assert montant_rsa_annuel(load_projet(_project(tmp_path, ""))) is None


def test_bad_valorisation_configuration_is_a_clear_french_error(tmp_path):
    with pytest.raises(ConfigError, match="par : valeur inconnue ; valeurs possibles : "
                                          "« sorties_durables », « sorties_dynamiques »"):
        load_projet(_project(tmp_path, "[[valorisation.couts]]\nlibelle = \"RSA\"\n"
                                       "par = \"salaries\"\nmontant = 10\nsource = \"x\"\n"))
    with pytest.raises(ConfigError, match="source"):
        load_projet(_project(tmp_path, "[[valorisation.couts]]\nlibelle = \"RSA\"\n"
                                       "par = \"sorties_durables\"\nmontant = 10\n"))
    assert couts_valorisation(load_projet(_project(tmp_path, ""))) == []


def test_bonnes_pratiques_grouped_by_theme_with_the_structure_name_only():
    assert theme_of("Atelier MOBILITÉ et prêt de vélos", THEMES_BONNES_PRATIQUES) == \
        "Levée des freins périphériques"
    assert theme_of("Une fête annuelle", THEMES_BONNES_PRATIQUES) == AUTRES_PRATIQUES
    groups = bonnes_pratiques(STRUCTURES, REPONSES, THEMES_BONNES_PRATIQUES)
    assert groups == [{"theme": "Relations avec les entreprises", "pratiques": [
        {"structure": "Chantier Un", "type": "ACI",
         "texte": "Un job dating avec les employeurs du bassin."}]}]


def test_bonnes_pratiques_themes_from_the_configuration(tmp_path):
    projet = load_projet(_project(tmp_path, "[bonnes_pratiques]\n\"Vélo\" = [\"vélo\"]\n"))
    assert themes_bonnes_pratiques(projet) == {"Vélo": ["vélo"]}
    assert theme_of("prêt de velos", themes_bonnes_pratiques(projet)) == "Vélo"
    with pytest.raises(ConfigError, match=r"\[bonnes_pratiques\]"):
        load_projet(_project(tmp_path, "[bonnes_pratiques]\n\"Vélo\" = \"vélo\"\n"))


def test_report_sections_say_why_the_equivalent_brsa_is_missing(raw):
    projet = Projet(dir=Path("."), nom="t", departements=("D",))
    out = apply_secret(raw, TERRITOIRES, 11, EFFECTIFS, DERIVED, MONTANTS, 0.85, SOMMES)
    context = sections(projet, out, STRUCTURES, REPONSES, TERRITOIRES)
    assert context["rsa"] is None and context["couts"] == []
    dep = context["departements"][0]
    assert [ligne["code"] for ligne in dep["financement"]["lignes"]][:3] == \
        ["aide_au_poste", "financement_departement", "equivalent_brsa"]
    assert dep["secteurs"]["lignes"] == [
        {"libelle": "Restauration", "cellules": ["1", "0", "1", "0", "0", "2"]}]
