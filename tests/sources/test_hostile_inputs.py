"""Hostile or absurd inputs answered one by one: a record naming the file, never a crash."""

from __future__ import annotations

import math
import os

import pandas as pd

from iae_etat.cli._francais import translate_error
from iae_etat.common.errors import os_error_text
from iae_etat.questionnaire.reader import read_return
from iae_etat.report.consolidation import checked_values
from iae_etat.sources import adapters, reading, values
from iae_etat.sources.collecte import Envoi, choose_latest
from iae_etat.sources.stage import IngestResult
from iae_etat.tables.files import printable
from tests.questionnaire.fixtures import KIND, SIRET, VALID, contracts, edit, workbook, write


def _read(path):
    contract, residence = contracts()
    return read_return(path, contract, path.name, residence)


def _frame(values: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"de_abc": pd.array(values, dtype="string"),
                         adapters.FILE_COLUMN: "data/raw/france_travail/2025/de.csv",
                         adapters.LINE_COLUMN: range(2, 2 + len(values))})


def test_negative_inf_and_1e308_public_counts_are_dropped_with_line_and_column(tmp_path):
    frame, problems = values.parse_numbers(_frame(["12", "-5", "inf", "1E308", "7"]),
                                             ["de_abc"], "personnes",
                                             {"de_abc": "Demandeurs d'emploi A, B, C"})
    assert frame["de_abc"].tolist()[0] == 12 and frame["de_abc"].tolist()[4] == 7
    assert frame["de_abc"].isna().tolist() == [False, True, True, True, False]
    assert [(p.cellule, p.regle) for p in problems] == [
        ("ligne 3", "source.nombre_hors_limites"), ("ligne 4", "source.nombre_non_fini"),
        ("ligne 5", "source.nombre_hors_limites")]
    assert all(p.fichier.endswith("de.csv") for p in problems)
    assert "colonne « Demandeurs d'emploi A, B, C »" in problems[0].message


def test_1e308_count_and_integer_beyond_int64_in_a_return_are_records(tmp_path):
    answers = dict(VALID, salaries_annee=1e308, etp_conventionnes=1e308, femmes=2**63 + 1)
    retour = _read(write(tmp_path, "absurde.xlsx", workbook(answers)))
    rules = {p.champ: p.regle for p in retour.problemes}
    assert rules["salaries_annee"] == rules["etp_conventionnes"] == \
        "questionnaire.nombre_hors_limites"
    assert rules["femmes"] == "questionnaire.nombre_hors_limites"
    assert "salaries_annee" not in retour.answers and "femmes" not in retour.answers


def test_div0_error_cell_of_a_return_is_recorded_at_its_cell(tmp_path):
    import io
    import zipfile

    from tests.questionnaire.fixtures import rewrite_zip

    data = workbook()
    sheet = "xl/worksheets/sheet3.xml"
    xml = zipfile.ZipFile(io.BytesIO(data)).read(sheet)
    start = xml.index(b'<c r="C4"')
    end = xml.index(b"</c>", start) + 4
    patched = xml[:start] + b'<c r="C4" t="e"><f>1/0</f><v>#DIV/0!</v></c>' + xml[end:]
    retour = _read(write(tmp_path, "div0.xlsx", rewrite_zip(data, replace={sheet: patched})))
    found = [p for p in retour.problemes if p.regle == "questionnaire.valeur_erreur"]
    assert len(found) == 1 and found[0].cellule == "C4" and found[0].valeur == "#DIV/0!"
    assert found[0].champ not in retour.answers


def test_same_question_code_twice_with_two_values_is_set_aside(tmp_path):
    def copy_row(wb):
        ws = wb["Salariés"] if "Salariés" in wb.sheetnames else wb.worksheets[2]
        for row in ws.iter_rows():
            if row[0].value == "femmes":
                ws.append([row[0].value, row[1].value, 26])
                break

    retour = _read(write(tmp_path, "double.xlsx", edit(workbook(), copy_row)))
    found = [p for p in retour.problemes if p.regle == "questionnaire.code_en_double"]
    assert len(found) == 1 and found[0].champ == "femmes" and found[0].valeur == "25 ; 26"
    assert "femmes" not in retour.answers


def test_future_save_date_does_not_win_and_is_flagged():
    forged = Envoi("a.xlsx", "retenu", (SIRET, KIND), "2099-01-01T00:00:00")
    honest = Envoi("b.xlsx", "retenu", (SIRET, KIND), "2026-01-15T10:00:00")
    problems = choose_latest([forged, honest])
    assert honest.statut == "retenu" and forged.statut == "remplace"
    assert [p.regle for p in problems] == ["questionnaire.date_douteuse",
                                           "questionnaire.doublon"]
    assert problems[0].fichier == "a.xlsx"


def test_symlink_outside_fifo_and_hidden_files_are_recorded(tmp_path):
    class Projet:
        dir = tmp_path

    folder = tmp_path / "data" / "raw" / "caf" / "2025"
    folder.mkdir(parents=True)
    (folder / "ok.csv").write_text("x")
    (folder / "passwd.csv").symlink_to("/etc/passwd")
    (folder / ".~lock.ok.csv#").write_text("x")
    os.mkfifo(folder / "tube.csv")
    result = IngestResult()
    kept = reading.admitted(Projet, result, folder.iterdir())
    assert kept == [folder / "ok.csv"]
    rules = {p.fichier.rsplit("/", 1)[1]: p.regle for p in result.problemes}
    assert rules == {"passwd.csv": "fichier.non_ordinaire", "tube.csv": "fichier.non_ordinaire",
                     ".~lock.ok.csv#": "fichier.cache"}


def test_control_characters_in_names_are_escaped():
    forged = "x.xlsx\nOK : aucune erreur bloquante\x1b]0;titre\x07"
    assert printable(forged) == "x.xlsx\\nOK : aucune erreur bloquante\\x1b]0;titre\\x07"


def test_click_value_errors_and_errno_28_in_french():
    assert translate_error("Invalid value for '--millesime': Input should be a valid integer, "
                           "unable to parse string as an integer") == \
        "Valeur invalide pour '--millesime' : un nombre entier est attendu."
    import shutil

    error = shutil.Error([("a", "b", "[Errno 28] No space left on device")])
    assert os_error_text(error) == "plus de place sur le disque"
    assert os_error_text(OSError(28, "No space left on device")) == "plus de place sur le disque"


def test_annexe4_inf_and_1e308_become_nd_with_their_line():
    table = pd.DataFrame({"statut": ["publie", "publie", "publie"], "valeur": [3.0, math.inf,
                                                                              1e308],
                          "unite": ["structures", "ETP", "ETP"], "indicateur": ["a", "b", "c"],
                          "type_siae": ["ensemble"] * 3, "code_departement": ["26"] * 3})
    out, problems = checked_values(table, "annexe4-26-2025.csv")
    assert out["statut"].tolist() == ["publie", "nd", "nd"]
    assert [p.cellule for p in problems] == ["ligne 3", "ligne 4"]
