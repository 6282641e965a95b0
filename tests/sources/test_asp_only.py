"""A project with the FluxIAE extract but no list of structures (nor questionnaires): the SIAE
are those of the extract; a column no computation needs does not set the extract aside."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from iae_etat.sources.stage import core_structures
from tests.conftest import cli

TERRITOIRES = pd.DataFrame({"code_commune": ["26001", "26002"]})
ASP = pd.DataFrame({"siret": ["11111111111111", "22222222222222", "22222222222222"],
                    "type_siae": ["ACI", "AI", "EI"], "denomination": ["Un", "Deux", "Deux"],
                    "code_commune": ["26001", "26002", "26002"]})


def test_without_a_list_the_siae_are_those_of_the_extract_and_the_respondents():
    # one respondent in the extract (ACI), one not (ETTI in 26001), one outside the scope
    reponses = pd.DataFrame({
        "siret": ["11111111111111", "33333333333333", "44444444444444"],
        "type_siae": ["ACI", "ETTI", "AI"], "denomination": ["Un", "Trois", "Quatre"],
        "code_commune_siege": ["26001", "26001", "38185"],
        "etp_conventionnes": [4.0, 2.0, 1.0], "etp_realises": [3.5, 2.0, 1.0],
        "salaries_annee": [9, 5, 2]})
    out = core_structures(None, reponses, TERRITOIRES, ASP).set_index(["siret", "type_siae"])
    # 3 SIAE of the extract + 1 respondent it lacks = 4; the one outside the scope is not there
    assert sorted(out.index) == [("11111111111111", "ACI"), ("22222222222222", "AI"),
                                 ("22222222222222", "EI"), ("33333333333333", "ETTI")]
    assert out["a_repondu"].tolist() == [True, False, False, True]
    assert out.at[("11111111111111", "ACI"), "etp_conventionnes"] == 4.0
    assert out.at[("22222222222222", "EI"), "code_commune"] == "26002"
    # without the extract: the respondents of the scope only
    alone = core_structures(None, reponses, TERRITOIRES)
    assert len(alone) == 2


def _drop_column(path, header: str) -> None:
    lines = path.read_text("utf-8-sig").splitlines()
    position = lines[1].split("|").index(header)
    kept = [lines[0]] + ["|".join(v for i, v in enumerate(line.split("|")) if i != position)
                         if "|" in line and not line.startswith("FIN") else line
                         for line in lines[1:]]
    path.write_text("\ufeff" + "\n".join(kept) + "\n", "utf-8")


def test_asp_only_project_counts_the_siae_of_the_extract(demo_project):
    raw = demo_project / "data" / "raw"
    for source in ("structures", "questionnaires"):
        shutil.rmtree(raw / source)
    structure_file = next((raw / "asp" / "2025").glob("fluxIAE_Structure_*.csv"))
    _drop_column(structure_file, "structure_adresse_admin_cp")
    for command in ("ingest", "analyse"):
        result = cli(["--project-dir", str(demo_project), "--millesime", "2025", command])
        assert result.returncode in (0, 1), result.stderr
    processed = demo_project / "data" / "processed" / "2025"
    anomalies = pd.read_parquet(processed / "core_anomalies.parquet")
    missing = anomalies[anomalies["champ"] == "code_postal"]
    assert missing["regle"].tolist() == ["source.colonne_secondaire_absente"]
    assert missing["gravite"].tolist() == ["avertissement"]
    asp = pd.read_parquet(processed / "core_asp.parquet")
    conventionnees = asp.drop_duplicates(["siret", "type_siae"])
    assert len(conventionnees) > 0
    table = pd.read_parquet(processed / "out_indicateurs.parquet")
    counts = table[(table["diffusion"] == "restreinte") & (table["niveau"] == "departement")
                   & (table["indicateur"] == "nb_siae") & (table["public"] == "ensemble")]
    counts = counts.set_index("type_siae")["valeur"]
    assert counts["ensemble"] == len(conventionnees)
    for kind, number in conventionnees["type_siae"].value_counts().items():
        assert counts[kind] == number, kind
    etp = table[(table["diffusion"] == "restreinte") & (table["niveau"] == "departement")
                & (table["indicateur"] == "etp_conventionnes") & (table["public"] == "ensemble")
                & (table["type_siae"] == "ensemble")]["valeur"]
    assert etp.iloc[0] == pytest.approx(asp["etp_conventionnes"].astype(float).sum())
