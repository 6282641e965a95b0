"""Declarative CSV adapters: column maps per millésime, masks, codes, located problems."""

from __future__ import annotations

import pandas as pd

from iae_etat.sources import adapters, besoins, readers
from iae_etat.sources.structures import commune_index, match_communes, normalise_name
from tests.conftest import ROOT

FT_HEADER = ("Code commune;Libellé commune;Période;Catégorie A;Catégorie B;Catégorie C;"
             "Catégories ABC;Inscrits depuis 12 à 23 mois;Inscrits depuis 24 mois ou plus;"
             "Moins de 26 ans;50 ans ou plus;Travailleurs handicapés\n")


def test_header_normalisation():
    assert adapters.normalise_header("\ufeff 2 - Dont bénéficiaires du RSA ") == \
        "2_dont_beneficiaires_du_rsa"
    assert adapters.normalise_header("CODE_POSTAL") == "code_postal"


def test_masked_values_stay_missing_and_bad_codes_are_located(tmp_path):
    path = tmp_path / "de.csv"
    path.write_text(FT_HEADER + "26362;Valence;2025-T1;s;2;3;s;1;1;1;1;1\n"
                    "ABCDE;Nulle part;2025-T1;1;1;1;3;1;1;1;1;1\n", "utf-8")
    adapter = adapters.load_adapter("france_travail")
    frame, problems = readers.read_csv_source(adapter, path, 2025, "de.csv")
    assert pd.isna(frame.at[0, "de_abc"]) and pd.isna(frame.at[0, "de_a"])
    assert [(p.regle, p.cellule) for p in problems] == [("source.code_commune_invalide",
                                                         "ligne 3")]


def test_a_renamed_column_is_one_line_of_yaml_in_a_project_override(tmp_path):
    text = (ROOT / "pipelines" / "france_travail.yaml").read_text("utf-8")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "france_travail.yaml").write_text(
        text.replace("millesimes: {}", "millesimes:\n  2026: {de_abc: Total ABC}"), "utf-8")
    renamed = tmp_path / "de.csv"
    renamed.write_text(FT_HEADER.replace("Catégories ABC", "Total ABC")
                       + "26362;Valence;2026-T1;1;2;3;6;1;1;1;1;1\n", "utf-8")
    adapter = adapters.load_adapter("france_travail", tmp_path)
    frame, problems = readers.read_csv_source(adapter, renamed, 2026, "de.csv")
    assert problems == [] and frame.at[0, "de_abc"] == "6"
    _, problems = readers.read_csv_source(adapter, renamed, 2025, "de.csv")
    assert problems[0].regle == "source.colonne_absente"
    assert "Vouliez-vous dire « total_abc » ?" in problems[0].message


def test_annual_value_is_the_mean_of_known_quarters():
    quarterly = pd.DataFrame({"code_commune": ["26362"] * 4 + ["26001"] * 4,
                              "periode": [f"2025-T{q}" for q in range(1, 5)] * 2,
                              **{c: [10, 20, None, 30, None, None, None, None]
                                 for c in besoins.DE_COLUMNS}})
    annual = besoins.annual_mean(quarterly, "code_commune", besoins.DE_COLUMNS, 2025,
                                  "moyenne").set_index("code_commune")
    assert annual.at["26362", "de_abc"] == 20.0  # (10 + 20 + 30) / 3
    assert pd.isna(annual.at["26001", "de_abc"])  # masked everywhere: missing, not zero
    t4 = besoins.annual_mean(quarterly, "code_commune", besoins.DE_COLUMNS, 2025, "T4")
    t4 = t4.set_index("code_commune")
    assert t4.at["26362", "de_abc"] == 30.0


def test_structures_are_placed_by_postal_code_and_name():
    communes = pd.DataFrame({"code_commune": ["26362", "26281", "26313"],
                             "nom_commune": ["Valence", "Romans-sur-Isère",
                                             "Saint-Paul-Trois-Châteaux"],
                             "codes_postaux": ["26000", "26100", "26130 26131"],
                             "code_departement": ["26", "26", "26"]})
    anciennes = pd.DataFrame({"code_commune": ["26281"], "nom_ancien": ["Vieux Bourg"]})
    liste = pd.DataFrame({"code_postal": ["26130", "26100", "26100", "99999"],
                          "libelle_commune": ["ST PAUL TROIS CHATEAUX", "VIEUX BOURG",
                                              "LIEU-DIT", "X"],
                          "denomination": ["A", "B", "C", "D"], "fichier_source": "l.csv",
                          "ligne_source": [2, 3, 4, 5]})
    placed, problems = match_communes(liste, commune_index(communes, anciennes))
    assert placed["code_commune"].tolist()[:3] == ["26313", "26281", "26281"]
    assert pd.isna(placed.at[3, "code_commune"])
    assert [(p.regle, p.cellule) for p in problems] == [("structures.commune_introuvable",
                                                         "ligne 5")]
    assert normalise_name("Sainte-Eulalie-en-Royans") == "STE EULALIE EN ROYANS"


def test_every_reader_an_adapter_may_name_exists():
    assert set(readers.BY_NAME) == set(adapters.READERS)
