"""Hostile and refused files are stopped before any parser sees them, with a clear rule."""

from __future__ import annotations

import io
import zipfile

import pytest

from iae_etat.questionnaire.reader import read_return
from iae_etat.tables import safety
from tests.questionnaire.fixtures import contracts, edit, rewrite_zip, workbook, write

BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                  b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                  b"<si><t>&lol2;</t></si></sst>")


def _read(path):
    contract, residence = contracts()
    return read_return(path, contract, path.name, residence)


def _only_rule(path) -> str:
    retour = _read(path)
    assert len(retour.problemes) == 1, retour.problemes
    problem = retour.problemes[0]
    assert problem.bloquant and problem.fichier == path.name and not retour.answers
    return problem.regle


def test_valid_workbook_passes_the_checks(tmp_path):
    inspection = safety.inspect_file(write(tmp_path, "ok.xlsx", workbook()), "ok.xlsx")
    assert inspection.sure and inspection.formules_sans_valeur == []
    assert inspection.enregistre_le == "2000-01-01T00:00:00"


def test_zip_bomb_is_refused(tmp_path):
    bomb = rewrite_zip(workbook(), add={"xl/media/bombe.bin": b"\0" * (30 * 1024 * 1024)})
    assert _only_rule(write(tmp_path, "bombe.xlsx", bomb)) == "questionnaire.archive_suspecte"


def test_too_many_entries_are_refused(tmp_path):
    many = rewrite_zip(workbook(), add={f"xl/media/{i}.txt": b"x" for i in range(1001)})
    assert _only_rule(write(tmp_path, "entrees.xlsx", many)) == "questionnaire.archive_suspecte"


def test_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "gros.xlsx"
    with path.open("wb") as handle:
        handle.truncate(safety.MAX_FILE_BYTES + 1)
    assert _only_rule(path) == "questionnaire.fichier_trop_gros"


def test_billion_laughs_is_refused(tmp_path):
    data = rewrite_zip(workbook(), add={"xl/sharedStrings.xml": BILLION_LAUGHS})
    path = write(tmp_path, "rires.xlsx", data)
    assert _only_rule(path) == "questionnaire.xml_dangereux"
    assert _read(path).problemes[0].valeur == "xl/sharedStrings.xml"


@pytest.mark.parametrize(("name", "add"), [
    ("macro.xlsx", {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}),
    ("macro.xlsm", {}),
])
def test_macros_are_refused(tmp_path, name, add):
    path = write(tmp_path, name, rewrite_zip(workbook(), add=add))
    assert _only_rule(path) == "questionnaire.macros"


def test_encrypted_workbook_is_refused(tmp_path):
    data = safety.CFB_SIGNATURE + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le")
    assert _only_rule(write(tmp_path, "secret.xlsx", data)) == "questionnaire.fichier_chiffre"


def test_legacy_xls_is_refused(tmp_path):
    data = safety.CFB_SIGNATURE + b"\0" * 1024 + "Workbook".encode("utf-16-le")
    assert _only_rule(write(tmp_path, "ancien.xls", data)) == "questionnaire.format_refuse"
    assert _only_rule(write(tmp_path, "renomme.xlsx", data)) == "questionnaire.format_refuse"


def test_damaged_zip_is_refused(tmp_path):
    path = write(tmp_path, "abime.xlsx", b"PK\x03\x04 pas vraiment une archive")
    assert _only_rule(path) == "questionnaire.fichier_illisible"


def test_formula_without_cached_value_is_reported_at_its_cell(tmp_path):
    def paste_formula(wb):
        wb["Salariés"]["C4"] = "=C6+C7"

    path = write(tmp_path, "formule.xlsx", edit(workbook(), paste_formula))
    retour = _read(path)
    problems = [p for p in retour.problemes if p.regle == "questionnaire.formule_sans_valeur"]
    assert [(p.feuille, p.cellule, p.champ) for p in problems] == [
        ("Salariés", "C4", "salaries_annee")]
    assert "salaries_annee" not in retour.answers


def test_formula_with_cached_value_is_not_reported(tmp_path):
    data = workbook()
    sheet = "xl/worksheets/sheet3.xml"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(sheet)
    cached = xml.replace(b'<c r="C4"', b'<c r="Z99"><f>1+1</f><v>2</v></c><c r="C4"', 1)
    assert cached != xml
    path = write(tmp_path, "cache.xlsx", rewrite_zip(data, replace={sheet: cached}))
    assert safety.inspect_file(path, "cache.xlsx").formules_sans_valeur == []


def test_entry_larger_than_its_declared_size_is_refused(tmp_path):
    import struct

    data = bytearray(workbook())
    name = b"xl/worksheets/sheet3.xml"
    start = 0
    while True:  # patch the uncompressed size in the central directory (offset 24)
        start = data.index(b"PK\x01\x02", start + 1)
        length = struct.unpack("<H", data[start + 28:start + 30])[0]
        if bytes(data[start + 46:start + 46 + length]) == name:
            data[start + 24:start + 28] = struct.pack("<I", 100)
            break
    path = write(tmp_path, "menteur.xlsx", bytes(data))
    assert _only_rule(path) == "questionnaire.fichier_illisible"
