"""A workbook filled from the template reads exactly like one built by openpyxl."""

from __future__ import annotations

import dataclasses

import pytest

from iae_etat.common.vocabulary import QUESTIONNAIRES_RESIDENCE
from iae_etat.questionnaire.prefill import WorkbookTemplate
from iae_etat.questionnaire.reader import read_return
from iae_etat.questionnaire.workbook import build_workbook
from iae_etat.tables.contracts import load_contract

ANSWERS = {"siret": "01234567890123", "type_siae": "EI", "denomination": "Tri <Valley> & Co",
           "code_commune_siege": "26362", "etp_conventionnes": 12.5, "etp_realises": "12,5",
           "salaries_annee": 30, "brsa": None, "chiffre_affaires": "1 234",
           "bonnes_pratiques": " =1+2 ", "secteur_principal": "Recyclage et réemploi"}


@pytest.fixture(scope="module")
def contract():
    return load_contract("raw_questionnaires")


EPCIS = [("200040491", "CC du Diois"), ("242600252", "CA Valence Romans Agglo")]
RESIDENCE = {"200040491": 20, "hors": 3}
PREVIOUS = {"salaries_annee": 28, "denomination": "Tri Valley"}


def _read(tmp_path, name, data, contract):
    path = tmp_path / name
    path.write_bytes(data)
    retour = read_return(path, contract, "q.xlsx", load_contract(QUESTIONNAIRES_RESIDENCE))
    return dataclasses.replace(retour, fichier="")


def test_filled_template_reads_like_a_built_workbook(tmp_path, contract):
    template = WorkbookTemplate(contract, 2025)
    filled = _read(tmp_path, "a.xlsx", template.fill(ANSWERS), contract)
    built = _read(tmp_path, "b.xlsx", build_workbook(contract, 2025, ANSWERS), contract)
    assert filled == built
    assert filled.answers["denomination"] == "Tri <Valley> & Co"
    assert filled.answers["etp_realises"] == 12.5
    assert filled.stamp["siret"] == "01234567890123"


def test_template_is_reusable_and_deterministic(contract):
    template = WorkbookTemplate(contract, 2025)
    first = template.fill(ANSWERS)
    other = template.fill({**ANSWERS, "siret": "98765432109876", "salaries_annee": 7})
    assert first != other
    assert template.fill(ANSWERS) == first


def test_residence_and_last_year_are_filled_like_a_built_workbook(tmp_path, contract):
    residence = load_contract(QUESTIONNAIRES_RESIDENCE)
    template = WorkbookTemplate(contract, 2025, False, residence, EPCIS, with_previous=True)
    filled = _read(tmp_path, "a.xlsx", template.fill(ANSWERS, RESIDENCE, PREVIOUS), contract)
    built = _read(tmp_path, "b.xlsx", build_workbook(
        contract, 2025, ANSWERS, residence_contract=residence, epcis=EPCIS, residence=RESIDENCE,
        previous=PREVIOUS), contract)
    assert filled == built
    assert filled.residence == RESIDENCE


def test_unchanged_sheets_are_copied_and_illegal_characters_left_out(tmp_path, contract):
    import io
    import zipfile

    residence = load_contract(QUESTIONNAIRES_RESIDENCE)
    template = WorkbookTemplate(contract, 2025, False, residence, EPCIS,
                                exemple={"exemple_commune": "07010 pour Annonay"})

    def members(data):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            return {info.filename: (info.CRC, info.compress_size) for info in archive.infolist()}

    empty = members(template.fill(ANSWERS))
    other = members(template.fill({**ANSWERS, "siret": "98765432109876"}))
    filled = members(template.fill(ANSWERS, RESIDENCE))
    changed = {name for name in empty if empty[name] != other[name]}
    # only the identity sheet and the stamp hold the SIRET; the residence sheet changes only
    # when residence figures are given
    assert len(changed) == 2
    assert {name for name in empty if empty[name] != filled[name]} - changed != set()
    # a control character (a bad copy-paste in last year's return) cannot break the XML
    data = template.fill({**ANSWERS, "denomination": "Tri\x01Valley\x1f"})
    retour = _read(tmp_path, "c.xlsx", data, contract)
    assert retour.answers["denomination"] == "TriValley"
    # the examples of the help texts are the project's
    from openpyxl import load_workbook

    helps = " ".join(str(row[4]) for row in load_workbook(io.BytesIO(data))["Identité"]
                     .iter_rows(min_row=4, values_only=True))
    assert "07010 pour Annonay" in helps and "26362 pour Valence" not in helps
