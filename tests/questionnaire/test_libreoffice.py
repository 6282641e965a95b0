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
