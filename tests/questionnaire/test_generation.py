"""``iae-etat questionnaire``: one locked, validated, stamped, prefilled workbook per SIAE."""

from __future__ import annotations

import hashlib
import io
import json
import shutil

import pandas as pd
import pytest

from iae_etat.questionnaire import layout
from iae_etat.questionnaire.generation import file_names, questionnaires
from tests.conftest import ROOT, cli
from tests.questionnaire.fixtures import EPCIS, KIND, SIRET, VALID, contracts, sheets_of

LISTE = pd.DataFrame({"siret": [SIRET, "21236360824457", "21236360824457"],
                      "type_siae": [KIND, "ACI", "ETTI"],
                      "denomination": ["Passerelle", "Jardins", "Jardins Intérim"],
                      "code_commune": ["26281", "26362", None]})


@pytest.fixture(scope="module")
def generated():
    contract, residence = contracts()
    return questionnaires(contract, residence, 2025, LISTE, EPCIS, {(SIRET, KIND): VALID})


def test_one_file_per_siae_named_by_siret(generated):
    assert sorted(generated) == [f"{SIRET}.xlsx", "21236360824457_ACI.xlsx",
                                 "21236360824457_ETTI.xlsx"]
    assert file_names(LISTE.iloc[:1]) == [f"{SIRET}.xlsx"]


def test_bytes_are_deterministic(generated):
    contract, residence = contracts()
    again = questionnaires(contract, residence, 2025, LISTE, EPCIS, {(SIRET, KIND): VALID})
    assert again == generated


def test_identity_and_stable_answers_are_prefilled_and_last_year_shown(generated):
    sheets = sheets_of(generated[f"{SIRET}.xlsx"])
    identity = {row[0]: row[2] for row in sheets["Identité"][3:]}
    assert identity["siret"] == SIRET and identity["type_siae"] == KIND
    assert identity["communes_sites"] == VALID["communes_sites"]  # stable: copied
    salaries = {row[0]: (row[2], row[5]) for row in sheets["Salariés"][3:]}
    assert salaries["salaries_annee"] == ("", 60)  # figures: reminder column only
    assert sheets["Salariés"][2][5] == "Réponse 2024"
    stamp = {row[0]: row[1] for row in sheets["_tampon"]}
    assert stamp == {"version_contrat": contracts()[0].version, "millesime": "2025",
                     "siret": SIRET, "type_siae": KIND}
    new = sheets_of(generated["21236360824457_ACI.xlsx"])
    assert {row[0]: row[2] for row in new["Identité"][3:]}["code_commune_siege"] == "26362"


def test_workbook_is_locked_validated_and_helped(generated):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(generated[f"{SIRET}.xlsx"]))
    assert wb.sheetnames[0] == layout.INSTRUCTIONS_SHEET
    assert wb["_tampon"].sheet_state == "veryHidden"
    assert wb["_listes"].sheet_state == "hidden"
    placements = layout.placements(contracts()[0])
    for sheet in {p.sheet for p in placements} | {"Résidence"}:
        ws = wb[sheet]
        assert ws.protection.sheet
        assert ws["B4"].protection.locked and ws["A4"].protection.locked
        assert not ws["C4"].protection.locked
    validations = {}
    for p in placements:
        for dv in wb[p.sheet].data_validations.dataValidation:
            if f"C{p.row}" in str(dv.sqref).split():
                validations[p.field.name] = dv
    assert validations["salaries_annee"].type == "whole"
    assert validations["salaries_annee"].formula1 == "0"
    assert validations["etp_realises"].type == "decimal"
    assert validations["secteur_principal"].type == "list"
    assert validations["type_siae"].formula1.startswith("_listes!")
    assert validations["brsa"].showInputMessage and validations["brsa"].prompt
    assert "siret" not in validations  # free text: no validation
    residence = wb["Résidence"]
    assert [residence.cell(row=r, column=1).value for r in (4, 5, 6)] == [
        "residence_200040491", "residence_242600534", "residence_hors"]


@pytest.mark.slow
def test_command_writes_the_questionnaires_of_the_demo(tmp_path):
    shutil.copy(ROOT / "iae-etat.toml", tmp_path / "iae-etat.toml")
    shutil.copytree(ROOT / "data/raw", tmp_path / "data/raw")
    result = cli(["--project-dir", str(tmp_path), "questionnaire"])
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "reports/2025/questionnaires"
    liste = (tmp_path / "data/raw/structures/2025/liste_siae.csv").read_text("utf-8")
    emplois = json.loads((tmp_path / "data/raw/structures/2025/emplois_siaes_2025.json")
                         .read_text("utf-8"))["results"]
    # the scope: the ASP list and the SIAE kinds of the emplois de l'inclusion export
    sirets = {line.split(";")[7] for line in liste.splitlines()[1:]} \
        | {s["siret"] for s in emplois if s["type"] in ("ACI", "AI", "EI", "ETTI", "EITI")}
    assert {p.name.split(".")[0].split("_")[0] for p in folder.iterdir()} == sirets
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert cli(["--project-dir", str(tmp_path), "questionnaire"]).returncode == 0
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.iterdir()} == digest


def test_command_without_list_is_a_usage_error(tmp_path):
    shutil.copy(ROOT / "iae-etat.toml", tmp_path / "iae-etat.toml")
    (tmp_path / "data/raw/questionnaires/2025").mkdir(parents=True)
    result = cli(["--project-dir", str(tmp_path), "questionnaire"])
    assert result.returncode == 2
    assert "data/raw/structures/2025" in result.stderr


def test_the_help_examples_come_from_the_project_departement():
    # (code, name, population): the two most populous communes give the examples
    ardeche = [("07010", "Annonay", 16_000), ("07186", "Privas", 8_000),
               ("07324", "Tournon-sur-Rhône", 10_000)]
    exemple = layout.commune_example(ardeche)
    assert exemple == {"exemple_commune": "07010 pour Annonay",
                       "exemple_codes": "07010 ; 07324"}
    contract, residence = contracts()
    files = questionnaires(contract, residence, 2025, LISTE.iloc[:1], EPCIS, {}, exemple=exemple)
    sheets = sheets_of(next(iter(files.values())))
    helps = " ".join(str(row[4]) for row in sheets["Identité"] if len(row) > 4)
    assert "07010 pour Annonay" in helps and "07010 ; 07324" in helps
    assert "Valence" not in helps and "26362" not in helps
    # without communes (a test, a project without referential rows): the demo's examples
    assert layout.commune_example([]) == layout.EXAMPLES
