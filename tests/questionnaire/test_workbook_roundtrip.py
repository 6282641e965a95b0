"""The questionnaire workbook written from the contract reads back to the same answers."""

from __future__ import annotations

import zipfile

import pytest

from iae_etat.questionnaire.reader import read_return
from iae_etat.questionnaire.workbook import build_workbook
from iae_etat.tables.contracts import load_contract

ANSWERS = {"siret": "12345678901234", "type_siae": "ACI", "denomination": "Les Jardins",
           "code_commune_siege": "26362", "etp_conventionnes": 12.5, "salaries_annee": 30,
           "brsa": 9, "secteur_principal": "Recyclage et réemploi",
           "bonnes_pratiques": "=HYPERLINK(\"http://x\")"}


@pytest.fixture(scope="module")
def contract():
    return load_contract("raw_questionnaires")


def _write(tmp_path, contract, answers, name="q.xlsx"):
    path = tmp_path / name
    path.write_bytes(build_workbook(contract, 2025, answers))
    return path


def test_written_answers_read_back_identically(tmp_path, contract):
    retour = read_return(_write(tmp_path, contract, ANSWERS), contract, "q.xlsx")
    assert retour.answers == ANSWERS
    assert [p for p in retour.problemes if p.bloquant] == []
    assert retour.stamp == {"version_contrat": contract.version, "millesime": "2025",
                            "siret": "12345678901234", "type_siae": "ACI"}
    assert retour.cells["brsa"] == ("Publics", "C4")


def test_formula_text_is_stored_as_text(tmp_path, contract):
    path = _write(tmp_path, contract, ANSWERS)
    with zipfile.ZipFile(path) as archive:
        sheets = "".join(archive.read(n).decode() for n in archive.namelist()
                         if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets


def test_same_answers_same_bytes(contract):
    assert build_workbook(contract, 2025, ANSWERS) == build_workbook(contract, 2025, ANSWERS)


@pytest.mark.parametrize(("raw", "expected", "rule", "gravite"), [
    ("1 234", 1234, "questionnaire.espaces_retires", "avertissement"),
    ("12,5", 12.5, "questionnaire.virgule_decimale", "avertissement"),
    ("environ 20", None, "questionnaire.nombre_invalide", "erreur"),
    ("12 5", None, "questionnaire.nombre_invalide", "erreur"),
    ("1.234,5", None, "questionnaire.nombre_invalide", "erreur"),
    (-3, None, "questionnaire.nombre_negatif", "erreur"),
])
def test_number_cells_are_repaired_or_refused(tmp_path, contract, raw, expected, rule, gravite):
    field = "chiffre_affaires"
    retour = read_return(_write(tmp_path, contract, {**ANSWERS, field: raw}), contract, "q.xlsx")
    assert retour.answers.get(field) == expected
    problem = next(p for p in retour.problemes if p.champ == field)
    assert (problem.regle, problem.gravite) == (rule, gravite)
    assert problem.feuille == "Activité économique" and problem.cellule == "C6"


def test_integer_field_refuses_decimals(tmp_path, contract):
    retour = read_return(_write(tmp_path, contract, {**ANSWERS, "salaries_annee": "12,5"}),
                         contract, "q.xlsx")
    assert "salaries_annee" not in retour.answers
    assert "questionnaire.entier_attendu" in {p.regle for p in retour.problemes}


def test_commune_code_typed_as_number_is_completed(tmp_path, contract):
    retour = read_return(_write(tmp_path, contract, {**ANSWERS, "code_commune_siege": 1001}),
                         contract, "q.xlsx")
    assert retour.answers["code_commune_siege"] == "01001"
    assert "questionnaire.code_complete" in {p.regle for p in retour.problemes}


def test_legacy_and_damaged_files_are_refused_without_crashing(tmp_path, contract):
    legacy = tmp_path / "ancien.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    damaged = tmp_path / "abime.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    assert read_return(legacy, contract, "ancien.xls").problemes[0].regle == \
        "questionnaire.format_refuse"
    problem = read_return(damaged, contract, "abime.xlsx").problemes[0]
    assert problem.regle == "questionnaire.fichier_illisible" and problem.bloquant
