"""A questionnaire generated, filled, then saved by LibreOffice as .xlsx and .ods reads back whole.

Skipped when ``soffice`` is absent (``.ci/run`` installs LibreOffice Calc when it can).
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from iae_etat.questionnaire import layout
from iae_etat.questionnaire.generation import questionnaires
from iae_etat.sources.stage import read_envoi
from tests.questionnaire.fixtures import EPCIS, KIND, KNOWN, RESIDENCE, SIRET, VALID, contracts
from tests.questionnaire.test_generation import LISTE

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) absent")]


def _filled(tmp_path):
    """The generated workbook of SIRET, filled in the answer column as a SIAE would."""
    from openpyxl import load_workbook

    contract, residence = contracts()
    data = questionnaires(contract, residence, 2025, LISTE.iloc[:1], EPCIS, {})[f"{SIRET}.xlsx"]
    wb = load_workbook(io.BytesIO(data))
    for place in layout.placements(contract):
        wb[place.sheet].cell(row=place.row, column=layout.ANSWER_COL).value = \
            VALID[place.field.name]
    for code, _, row in layout.residence_rows(EPCIS):
        wb["Résidence"].cell(row=row, column=layout.ANSWER_COL).value = RESIDENCE[code]
    path = tmp_path / "rempli" / f"{SIRET}_{KIND}.xlsx"
    path.parent.mkdir()
    wb.save(path)
    return path


@pytest.mark.parametrize("target", ["xlsx:Calc MS Excel 2007 XML", "ods"])
def test_libreoffice_round_trip_keeps_every_answer(tmp_path, target):
    source = _filled(tmp_path)
    out = tmp_path / "libreoffice"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profil'}",
                    "--headless", "--convert-to", target, "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=180)
    [converted] = list(out.iterdir())
    contract, residence = contracts()
    envoi, problems = read_envoi(converted, converted.name, contract, residence, 2025, KNOWN)
    assert [p for p in problems if p.bloquant] == []
    assert [p.regle for p in problems] == []
    assert envoi.statut == "retenu"
    assert envoi.answers == VALID
    assert envoi.residence == RESIDENCE


def _convert(tmp_path, source, target: str) -> list:
    out = tmp_path / target.split(":")[0]
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profil'}",
                    "--headless", "--convert-to", target, "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=180)
    return sorted(out.iterdir())


def test_libreoffice_opens_a_generated_workbook_with_its_prefilled_values(tmp_path):
    """The workbook as « iae-etat questionnaire » writes it (a filled template), opened by
    LibreOffice: every sheet exported to CSV shows the prefilled answers and last year's."""
    import csv

    contract, residence = contracts()
    data = questionnaires(contract, residence, 2025, LISTE.iloc[:1], EPCIS,
                          {(SIRET, KIND): VALID})[f"{SIRET}.xlsx"]
    source = tmp_path / "genere.xlsx"
    source.write_bytes(data)
    # field separator 44 (,), text delimiter 34 ("), UTF-8 (76), every sheet (-1)
    files = _convert(tmp_path, source, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,"
                                       "true,false,false,false,-1")
    sheets = {p.stem.removeprefix("genere-"): list(csv.reader(p.read_text("utf-8").splitlines()))
              for p in files}
    rows = {row[0]: row for name in layout.sheets(contract) for row in sheets[name][3:]}
    # identity and the stable answers prefilled; the figures of last year only in column F
    assert rows["siret"][2] == SIRET and rows["type_siae"][2] == KIND
    assert rows["denomination"][2] == VALID["denomination"]
    assert rows["communes_sites"][2] == VALID["communes_sites"]
    assert rows["salaries_annee"][2] == "" and rows["salaries_annee"][5] == "60"
    assert rows["etp_realises"][5] == "19.8" and rows["partenariats"][5] == VALID["partenariats"]
    assert [row[2] for row in sheets["Résidence"][3:]] == ["", "", ""]
    assert {row[0]: row[1] for row in sheets["_tampon"]}["siret"] == SIRET


def test_libreoffice_keeps_the_validations_and_the_protection(tmp_path):
    from openpyxl import load_workbook

    contract, residence = contracts()
    data = questionnaires(contract, residence, 2025, LISTE.iloc[:1], EPCIS,
                          {(SIRET, KIND): VALID})[f"{SIRET}.xlsx"]
    source = tmp_path / "genere.xlsx"
    source.write_bytes(data)
    [converted] = _convert(tmp_path, source, "xlsx:Calc MS Excel 2007 XML")
    wb = load_workbook(converted)
    for name in [*layout.sheets(contract), "Résidence"]:
        ws = wb[name]
        assert ws.protection.sheet, name
        assert not ws["C4"].protection.locked and ws["B4"].protection.locked
    row = next(p.row for p in layout.placements(contract) if p.field.name == "salaries_annee")
    assert [dv.type for dv in wb["Salariés"].data_validations.dataValidation
            if f"C{row}" in dv.sqref] == ["whole"]
    residence_dv = wb["Résidence"].data_validations.dataValidation
    assert [dv.type for dv in residence_dv] == ["whole"]
    assert all(f"C{r}" in residence_dv[0].sqref for _, _, r in layout.residence_rows(EPCIS))
    # LibreOffice has no « very hidden »: the stamp stays hidden all the same
    assert {wb["_tampon"].sheet_state, wb["_listes"].sheet_state} == {"hidden"}
