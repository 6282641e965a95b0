"""The long-format reader on files in the layouts published today (fictional values)."""

from __future__ import annotations

import pandas as pd
import pytest

from iae_etat.common.errors import ConfigError
from iae_etat.sources import adapters, readers

DARES_LABELS = ("Date;Code région;Région;Code département;Département;Code commune;Commune;"
                "Type de données;Catégorie;Sexe;Tranche d'âge;Nombre de demandeurs d'emploi\n")
DARES_FIELDS = ("date;code_region;region;code_departement;departement;code_commune;commune;"
                "type_de_donnees;categorie;sexe;tranche_d_age;nombre_de_demandeurs_d_emploi\n")


def dares_rows(date: str, dep: str, code: str, total: int, men: int, women: int,
               young: int, middle: int, old: int) -> str:
    cells = [("Total", "Total", total), ("Hommes", "Total", men), ("Femmes", "Total", women),
             ("Total", "Moins de 25 ans", young), ("Total", "De 25 à 49 ans", middle),
             ("Total", "50 ans et plus", old)]
    return "".join(f"{date};84;Région fictive;{dep};Dép;{code};Commune {code};Brutes;ABC;"
                   f"{sexe};{age};{value}\n" for sexe, age, value in cells)


def read(name: str, path, millesime: int):
    adapter = adapters.load_adapter(name)
    return readers.read_source(adapter, path, millesime, path.name)


def test_dares_file_ten_years_totals_and_arrondissements(tmp_path):
    body = "".join(dares_rows(f"{year}-T4", "26", "26362", 1000 + year, 480, 520, 150, 500,
                              350 + (year - 2015)) for year in range(2015, 2025))
    body += dares_rows("2024-T4", "26", "26001", 35, 15, 20, 5, 20, 10)
    # Marseille whole and by arrondissement (the whole equals the sum): kept once
    body += dares_rows("2024-T4", "13", "13055", 300, 150, 150, 50, 150, 100)
    body += dares_rows("2024-T4", "13", "13201", 100, 50, 50, 20, 50, 30)
    body += dares_rows("2024-T4", "13", "13202", 200, 100, 100, 30, 100, 70)
    # Lyon only by arrondissement: summed into the commune
    body += dares_rows("2024-T4", "69", "69381", 40, 20, 20, 5, 20, 15)
    body += dares_rows("2024-T4", "69", "69382", 60, 30, 30, 5, 30, 25)
    # cumulative rows: never communes
    body += dares_rows("2024-T4", "", "Total", 2_500_000, 1_200_000, 1_300_000, 1, 1, 1)
    path = tmp_path / "dares_defm_communales-brutes.csv"
    path.write_text("\ufeff" + DARES_LABELS + body, "utf-8")
    frame, problems = read("france_travail_dares", path, 2024)
    assert problems == []
    frame = frame.set_index("code_commune")
    assert sorted(frame.index) == ["13055", "26001", "26362", "69123"]
    assert frame.at["26362", "periode"] == "2024-T4"
    assert float(frame.at["26362", "de_abc"]) == 1000 + 2024
    assert float(frame.at["26362", "de_50_plus"]) == 350 + 9
    assert float(frame.at["13055", "de_abc"]) == 300  # not 300 + 100 + 200
    assert float(frame.at["69123", "de_abc"]) == 40 + 60
    assert float(frame.at["69123", "de_50_plus"]) == 15 + 25
    assert frame.at["26001", "ligne_source"] == 2 + 60  # first row of the commune
    # another millésime of the same file
    earlier, _ = read("france_travail_dares", path, 2016)
    assert float(earlier.set_index("code_commune").at["26362", "de_abc"]) == 1000 + 2016


def test_dares_field_names_header_reads_the_same(tmp_path):
    body = dares_rows("2024-T4", "26", "26362", 95, 45, 50, 10, 50, 35)
    labels, fields = tmp_path / "dares_defm_communales_a.csv", tmp_path / "b.csv"
    labels.write_text(DARES_LABELS + body, "utf-8")
    fields.write_text(DARES_FIELDS + body, "utf-8")
    a, _ = read("france_travail_dares", labels, 2024)
    b, _ = read("france_travail_dares", fields, 2024)
    columns = ["code_commune", "periode", "de_abc", "de_50_plus"]
    pd.testing.assert_frame_equal(a[columns], b[columns])


def test_dares_missing_period_is_a_warning_naming_the_periods(tmp_path):
    path = tmp_path / "dares_defm_communales.csv"
    path.write_text(DARES_LABELS + dares_rows("2023-T4", "26", "26362", 5, 5, 0, 0, 5, 0)
                    + dares_rows("2024-T4", "26", "26362", 5, 5, 0, 0, 5, 0), "utf-8")
    frame, problems = read("france_travail_dares", path, 2025)
    assert frame.empty
    assert [(p.regle, p.gravite, p.valeur) for p in problems] == [
        ("source.periode_absente", "avertissement", "2023-T4 à 2024-T4")]


def test_dares_departement_total_row_is_kept_apart(tmp_path):
    path = tmp_path / "dares_defm_communales.csv"
    path.write_text(DARES_LABELS + dares_rows("2024-T4", "26", "26362", 95, 45, 50, 10, 50, 35)
                    + dares_rows("2024-T4", "26", "Total", 36_700, 1, 1, 1, 1, 8_000), "utf-8")
    frame, problems = read("france_travail_dares", path, 2024)
    assert problems == []
    total = frame[frame["total_departement"] == "26"]
    assert float(total["de_abc"].iloc[0]) == 36_700 and pd.isna(total["code_commune"].iloc[0])


CAF_FIELDS = "dtreffre;numcomdo;nomcom;rsa_type;indfoy_rsa;indnbp_rsa\n"
CAF_LABELS = ("Date de référence;Code commune;Nom de la commune;Type de RSA;"
              "Nombre de foyers allocataires du RSA;Nombre de personnes couvertes par le RSA\n")


@pytest.mark.parametrize("header", [CAF_FIELDS, CAF_LABELS])
def test_caf_rsa_by_type_summed_per_commune_for_the_december(tmp_path, header):
    rows = ["2023-12-01;26362;VALENCE;RSA non majoré;2000;4100",
            "2023-12-01;26362;VALENCE;RSA majoré;300;900",
            "2024-12-01;26362;VALENCE;RSA non majoré;2100;4300",
            "2024-12-01;26362;VALENCE;RSA majoré;310;950",
            "202412;26001;SOLAURE EN DIOIS;RSA non majoré;10;20",
            "202412;26001;SOLAURE EN DIOIS;RSA majoré;0;0"]
    path = tmp_path / "rsa_s_type_com_f.csv"
    path.write_text("\ufeff" + header + "\n".join(rows) + "\n", "utf-8")
    frame, problems = read("caf_rsa_communes", path, 2024)
    assert problems == []
    frame = frame.set_index("code_commune")
    assert float(frame.at["26362", "foyers_rsa"]) == 2100 + 310
    assert float(frame.at["26001", "foyers_rsa"]) == 10 + 0


def test_caf_all_benefits_file_paris_by_arrondissement(tmp_path):
    rows = ["2024-12-01;75101;PARIS 1ER ARRONDISSEMENT;500;150000;800",
            "2024-12-01;75102;PARIS 2E ARRONDISSEMENT;700;200000;900",
            "2024-12-01;26362;VALENCE;2410;1500000;3000"]
    path = tmp_path / "s_ben_com_f.csv"
    path.write_text("dtreffre;numcomdo;nomcom;indfoy_rsa;indmtt_rsa;indfoy_ppa\n"
                    + "\n".join(rows) + "\n", "utf-8")
    frame, problems = read("caf_prestations_communes", path, 2024)
    assert problems == []
    assert frame.set_index("code_commune")["foyers_rsa"].astype(float).to_dict() == {
        "75056": 500 + 700, "26362": 2410.0}


def test_a_repeated_row_is_kept_once_with_a_warning(tmp_path):
    path = tmp_path / "rsa_s_type_com_f.csv"
    path.write_text(CAF_FIELDS + "2024-12-01;26362;VALENCE;RSA majoré;310;950\n"
                    "2024-12-01;26362;VALENCE;RSA majoré;310;950\n", "utf-8")
    frame, problems = read("caf_rsa_communes", path, 2024)
    assert float(frame.at[0, "foyers_rsa"]) == 310
    assert [(p.regle, p.cellule) for p in problems] == [("source.ligne_en_double", "ligne 3")]


def test_unknown_keys_are_errors_naming_the_file_and_the_nearest_key(tmp_path):
    text = (adapters.resources.locate("pipelines", "caf_rsa_communes.yaml", None)
            .read_text("utf-8"))
    (tmp_path / "pipelines").mkdir()
    target = tmp_path / "pipelines" / "caf_rsa_communes.yaml"
    target.write_text(text.replace("separateur:", "separatuer:"), "utf-8")
    with pytest.raises(ConfigError) as caught:
        adapters.load_adapter("caf_rsa_communes", tmp_path)
    assert "caf_rsa_communes.yaml" in caught.value.message
    assert "« separatuer »" in caught.value.message
    assert "Vouliez-vous dire « separateur » ?" in caught.value.message
    target.write_text(text.replace("territoire: code_commune", "teritoire: code_commune"),
                      "utf-8")
    with pytest.raises(ConfigError, match="Vouliez-vous dire « territoire »"):
        adapters.load_adapter("caf_rsa_communes", tmp_path)
