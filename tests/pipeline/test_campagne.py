"""The questionnaire campaign: per-SIAE state, reminders with contacts, mail merge, progress;
and the loop annotated → corrected → rebuilt."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from tests.conftest import cli
from tests.questionnaire.fixtures import KIND, SIRET, VALID, workbook, write

OTHER, MISSING, SILENT = "21236360824457", "44229377500031", "50987654300017"
LIST = (
    "MESURE;CODE_DEPARTEMENT;LIBELLE_DPT;CODE_POSTAL;COMMUNE;CODE_NAF2;NATURE_JURIDIQUE;SIRET;"
    "DENOMINATION_SOCIALE;COURRIEL;TELEPHONE\n"
    f"{KIND};026;DROME;26000;VALENCE;7830Z;SAS;{SIRET};PASSERELLE INTERIM;"
    "contact@passerelle.example;04 75 00 00 01\n"
    f"ACI;026;DROME;26000;VALENCE;8899B;Association;{OTHER};JARDINS DE VALENCE;"
    "jardins@exemple.example;\n"
    f"EI;026;DROME;26200;MONTELIMAR;3811Z;SARL;{MISSING};RECYCLERIE;;04 75 00 00 03\n"
    f"AI;026;DROME;26100;ROMANS SUR ISERE;8121Z;Association;{SILENT};SERVICES SOLIDAIRES;;\n")
CONFIG = """[projet]
nom = "Drôme — essai de campagne"
departements = ["26"]

[campagne]
echeance = 2026-03-31
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "iae-etat.toml").write_text(CONFIG, "utf-8")
    write(tmp_path / "data/raw/structures/2025", "liste.csv", LIST.encode("utf-8"))
    returns = tmp_path / "data/raw/questionnaires/2025"
    write(returns, f"{SIRET}.xlsx", workbook())
    # 61 « dont BRSA » among 60 salariés: an error the SIAE must correct
    write(returns, f"{OTHER}.xlsx", workbook({**VALID, "siret": OTHER, "type_siae": "ACI",
                                              "denomination": "JARDINS DE VALENCE",
                                              "brsa": 61}))
    # the questionnaire of one silent SIAE was prepared, not that of the other
    write(tmp_path / "reports/2025/questionnaires", f"{MISSING}.xlsx", b"prepared")
    return tmp_path


def _csv(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig")), delimiter=";"))


def test_campagne_lists_each_siae_and_writes_the_reminders(project):
    result = cli(["--project-dir", str(project), "--json", "campagne"])
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["etats"] == {"accepté": 1, "à corriger": 1, "envoyé": 1, "manquant": 1}
    assert summary["echeance"] == "31/03/2026" and summary["a_relancer"] == 3
    folder = project / "reports/2025/campagne"
    relances = _csv(folder / "relances.csv")
    assert [(r["SIRET"], r["État"], r["Courriel"], r["Téléphone"]) for r in relances] == [
        (OTHER, "à corriger", "jardins@exemple.example", ""),
        (MISSING, "envoyé", "", "04 75 00 00 03"),
        (SILENT, "manquant", "", "")]
    mailing = _csv(folder / "publipostage.csv")
    assert list(mailing[0]) == ["siret", "denomination", "courriel", "piece_jointe", "echeance",
                                "objet", "type_siae", "etat"]
    assert [(m["siret"], m["piece_jointe"], m["echeance"]) for m in mailing] == [
        (OTHER, f"reports/2025/controles/retours/{OTHER}.xlsx", "31/03/2026"),
        (MISSING, f"reports/2025/questionnaires/{MISSING}.xlsx", "31/03/2026"),
        (SILENT, f"reports/2025/questionnaires/{SILENT}.xlsx", "31/03/2026")]
    from openpyxl import load_workbook

    sheet = load_workbook(folder / "relances.xlsx")["Relances"]
    assert sheet["A1"].value == "Questionnaires 2025 : 3 SIAE à relancer (échéance : 31/03/2026)"
    # the contacts stay out of the built tables
    assert not (project / "data/processed").exists()


@pytest.mark.slow
def test_a_corrected_return_closes_the_loop(project):
    from openpyxl import load_workbook

    assert cli(["--project-dir", str(project), "build"]).returncode == 0
    annotated = project / f"reports/2025/controles/retours/{OTHER}.xlsx"
    wb = load_workbook(annotated)
    assert wb.sheetnames[0] == "À corriger" and wb["Publics"]["C4"].value == 61
    # the SIAE corrects the red cell in the workbook it received and sends it back
    wb["Publics"]["C4"] = 31
    corrected = project / f"data/raw/questionnaires/2025/{OTHER}_corrige.xlsx"
    wb.save(corrected)
    built = cli(["--project-dir", str(project), "--json", "build"])
    assert built.returncode == 0, built.stderr
    assert not annotated.exists()  # nothing left to correct: no stale workbook
    collecte = pd.read_parquet(project / "data/processed/2025/core_collecte.parquet")
    rows = collecte[collecte["siret"] == OTHER].set_index("fichier")
    assert rows.loc[f"data/raw/questionnaires/2025/{OTHER}.xlsx", "statut"] == "remplace"
    assert rows["erreurs"].tolist() == [0, 0]
    anomalies = pd.read_csv(project / "reports/2025/controles/anomalies.csv", sep=";",
                            dtype=str, encoding="utf-8-sig")
    assert (anomalies["gravite"] == "erreur").sum() == 0
    replaced = anomalies[anomalies["fichier"] == f"data/raw/questionnaires/2025/{OTHER}.xlsx"]
    assert replaced[["regle", "gravite"]].values.tolist() == [["questionnaire.doublon", "info"]]
    answers = pd.read_parquet(project / "data/processed/2025/raw_questionnaires.parquet")
    assert answers.loc[answers["siret"] == OTHER, "brsa"].tolist() == [31]
    assert cli(["--project-dir", str(project), "check"]).returncode == 0
    status = cli(["--project-dir", str(project), "--json", "status"])
    progress = json.loads(status.stdout)["millesimes"][0]["campagne"]
    assert progress == {"acceptes": 2, "a_corriger": 0, "sans_reponse": 2}
