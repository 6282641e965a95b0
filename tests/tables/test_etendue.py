"""Bounded reading: workbooks measured from their XML stream before any parser allocates."""

from __future__ import annotations

import gzip
import io
import time
import zipfile

import pytest

from iae_etat.tables import etendue, safety
from tests.questionnaire.fixtures import ods_bytes, rewrite_zip, workbook, write

SHEET = "xl/worksheets/sheet3.xml"


def far_cell(ref: str, row: int) -> bytes:
    """The valid questionnaire with one more cell far away on its third sheet."""
    data = workbook()
    xml = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    xml = xml.replace(b"</sheetData>",
                      f'<row r="{row}"><c r="{ref}{row}"><v>1</v></c></row></sheetData>'.encode())
    return rewrite_zip(data, replace={SHEET: xml})


def ods_with_row(repeat: int, value: bool) -> bytes:
    data = ods_bytes({"Identité": [["siret", "", "x"]]})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    cell = ('<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p>'
            "</table:table-cell>") if value else \
        '<table:table-cell table:number-columns-repeated="1024"/>'
    files["content.xml"] = files["content.xml"].replace(
        b"</table:table>", f'<table:table-row table:number-rows-repeated="{repeat}">{cell}'
                           "</table:table-row></table:table>".encode())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def refusal(path) -> safety.Probleme:
    started = time.perf_counter()
    inspection = safety.inspect_file(path, path.name)
    assert time.perf_counter() - started < 10
    assert len(inspection.problemes) == 1 and not inspection.data
    return inspection.problemes[0]


@pytest.mark.parametrize("column,row", [("XFD", 1048576), ("Z", 1048576)])
def test_one_cell_far_away_is_refused_before_calamine(tmp_path, column, row):
    path = write(tmp_path, f"{column}.xlsx", far_cell(column, row))
    assert path.stat().st_size < 30_000  # a 25 kB file asking for billions of cells
    problem = refusal(path)
    assert problem.regle == "fichier.feuille_demesuree" and problem.fichier == path.name
    assert problem.feuille == "Conventionnement" and problem.cellule == f"{column}{row}"
    assert "s'étend jusqu'à la cellule" in problem.message


def test_declared_dimension_beyond_the_limit_is_refused(tmp_path):
    data = workbook()
    xml = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    xml = xml.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>', 1)
    path = write(tmp_path, "dimension.xlsx", rewrite_zip(data, replace={SHEET: xml}))
    assert refusal(path).cellule == "XFD1048576"


def test_ods_row_repeated_a_million_times_is_refused(tmp_path):
    path = write(tmp_path, "repete.ods", ods_with_row(1_000_000, value=True))
    assert path.stat().st_size < 2_000
    problem = refusal(path)
    # 3 columns (first row) × 1 000 001 rows = 3 000 003 cells > 2 000 000
    assert problem.regle == "fichier.feuille_demesuree" and problem.cellule == "C1000001"


def test_ods_empty_repeated_rows_cost_nothing(tmp_path):
    path = write(tmp_path, "vide.ods", ods_with_row(1_048_000, value=False))
    assert safety.inspect_file(path, path.name).sure


def test_millions_of_cells_without_reference_are_refused_quickly(tmp_path):
    # 1 500 rows of 1 500 one-digit cells without « r »: 2 250 000 cells > 2 000 000, placed
    # one after the other as parsers do; random digits, so the zip ratio stays modest
    import random

    digits = random.Random(16)
    data = workbook()
    rows = "".join("<row>" + "".join(f"<c><v>{digits.randrange(10)}</v></c>"
                                     for _ in range(1500)) + "</row>" for _ in range(1500))
    xml = b'<?xml version="1.0"?><worksheet><sheetData>' + rows.encode() + \
        b"</sheetData></worksheet>"
    bomb = rewrite_zip(data, add={"xl/worksheets/sheet99.xml": xml})
    path = write(tmp_path, "cellules.xlsx", bomb)
    problem = refusal(path)
    assert problem.regle == "fichier.feuille_demesuree"
    assert problem.cellule.startswith("BE")  # column 1 500 = BER


def test_extent_counts_implicit_positions_and_tags_cut_between_chunks():
    xml = b'<sheetData><row r="3"><c r="B3"><v>1</v></c><c><v>2</v></c></row><row>' \
          b'<c r="A4" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="B4"><f>A1</f></c></row>' \
          b"</sheetData>"
    chunks = [xml[i:i + 7] for i in range(0, len(xml), 7)]  # every tag cut somewhere
    extent = etendue.Extent(limit=100)
    etendue.scan_xlsx_sheet(iter(chunks), "F", extent)
    # rows up to 3 + 1 without reference = 4; columns up to B + 2 cells without reference in
    # the widest row = 4 (an upper bound of the real C4): 4 × 4 = 16 cells
    assert extent.cells == 16 and not extent.exceeded
    assert extent.errors == [("F", "A4", "#DIV/0!")]
    assert extent.formulas_without_value == [("F", "B4")]


def test_gz_decompressed_size_is_bounded_while_streaming(tmp_path):
    path = tmp_path / "vue.csv.gz"
    path.write_bytes(gzip.compress(b"0" * (8 * 1024 * 1024)))
    with pytest.raises(etendue.TooLarge) as caught:
        etendue.read_bounded(path, limit=2 * 1024 * 1024)
    # stopped at the first chunk beyond the limit: 3 chunks of 1 MiB read, not 8
    assert caught.value.size == 3 * 1024 * 1024
    assert etendue.read_bounded(path, limit=8 * 1024 * 1024) == b"0" * (8 * 1024 * 1024)


def big_ods(rows: int) -> bytes:
    """An .ods of ``rows`` × 3 value cells, written cell by cell (no repeat attribute)."""
    data = ods_bytes({"Feuil1": [["code", "a", "b"]]})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    cell = ('<table:table-cell office:value-type="float" office:value="12345">'
            "<text:p>12345</text:p></table:table-cell>")
    body = f"<table:table-row>{cell * 3}</table:table-row>".encode() * rows
    files["content.xml"] = files["content.xml"].replace(b"</table:table>",
                                                        body + b"</table:table>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_public_ods_of_several_million_cells_is_refused_in_a_second_naming_its_size():
    # a row is 17 + 3 × 106 + 18 = 353 bytes: 110 000 rows are 37,0 Mio of content (330 000
    # cells), past the 32 Mio
    data = big_ods(110_000)
    started = time.perf_counter()
    refused = safety.sheets_refusal(data, ".ods", etendue.MAX_CELLS_SOURCE)
    assert time.perf_counter() - started < 1  # the declared size, checked before any scan
    rule, message, value, expected, _, _ = refused
    assert (rule, value, expected) == ("fichier.ods_trop_gros", "37 Mio", "≤ 32 Mio")
    assert "classeur .ods dépasse 32 Mio" in message and ".xlsx ou .csv" in message
    # the same sheet of 90 000 rows (30,3 Mio) is within the limit: scanned and accepted
    assert safety.sheets_refusal(big_ods(90_000), ".ods", etendue.MAX_CELLS_SOURCE) is None
