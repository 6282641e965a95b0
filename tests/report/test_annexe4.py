"""Annexe 4 (regional indicator table) and ``iae-etat consolidate``."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from iae_etat.common.indicators import BY_CODE
from iae_etat.report import annexe4
from tests.conftest import cli

CSV = "reports/2025/annexe4-26-2025.csv"


def _table(built_demo: Path) -> pd.DataFrame:
    return annexe4.from_csv((built_demo / CSV).read_bytes())


def test_annexe4_has_the_documented_fixed_rows_and_columns(built_demo):
    data = (built_demo / CSV).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = _table(built_demo)
    assert tuple(table.columns) == annexe4.COLUMNS
    expected = sum(6 if BY_CODE[c].par_type else 1 for c in annexe4.INDICATEURS)
    assert len(table) == expected
    assert set(table["code_departement"]) == {"26"} and set(table["millesime"]) == {"2025"}
    doc = (Path(__file__).parents[2] / "docs" / "annexe4.md").read_text("utf-8")
    for column in annexe4.COLUMNS:
        assert f"`{column}`" in doc
    for code in annexe4.INDICATEURS:
        assert f"`{code}`" in doc


def test_annexe4_values_are_the_published_departement_values(built_demo):
    out = pd.read_parquet(built_demo / "data/processed/2025/out_indicateurs.parquet")
    out = out[(out["diffusion"] == "publique") & (out["niveau"] == "departement")]
    expected = out.set_index(["indicateur", "type_siae"])
    for row in _table(built_demo).itertuples(index=False):
        source = expected.loc[(row.indicateur, row.type_siae)]
        assert row.statut == source["statut"]
        if row.statut == "publie":
            assert row.valeur == pytest.approx(source["valeur"], abs=1e-6)
        else:
            assert math.isnan(row.valeur)


def test_annexe4_decimal_comma_and_xlsx(built_demo):
    text = (built_demo / CSV).read_text("utf-8-sig")
    line = next(x for x in text.splitlines() if ";taux_equipement_etp_de_abc;" in x)
    assert "," in line.split(";")[11]
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(built_demo / "reports/2025/annexe4-26-2025.xlsx")) \
        .get_sheet_by_name("Annexe 4").to_python()
    assert sheet[0][0] == "Données fictives de démonstration"
    assert sheet[2][0] == annexe4.TITLES["version_annexe4"]
    assert len(sheet) - 3 == len(_table(built_demo))
    # the workbook and the CSV hold the same cells: an unpublished value is empty in both
    csv_rows = [x.split(";") for x in text.splitlines()[1:]]
    column = list(annexe4.COLUMNS).index("valeur")
    for csv_row, xlsx_row in zip(csv_rows, sheet[3:], strict=True):
        shown = xlsx_row[column]
        assert (shown == "") == (csv_row[column] == "")
        if shown != "":
            assert float(csv_row[column].replace(",", ".")) == pytest.approx(shown)


def _other_departement(built_demo: Path, tmp_path: Path, **changes) -> Path:
    table = _table(built_demo)
    table["code_departement"], table["departement"] = "07", "Ardèche"
    table.loc[table["statut"] == "publie", "valeur"] = table["valeur"] * 2
    for column, value in changes.items():
        table[column] = value
    path = tmp_path / "annexe4-07-2025.csv"
    path.write_bytes(annexe4.to_csv(table))
    return path


def test_consolidate_two_departements(built_demo, tmp_path):
    other = _other_departement(built_demo, tmp_path)
    result = cli(["consolidate", str(built_demo), str(other), "--output", str(tmp_path / "out")])
    assert result.returncode == 0, result.stderr
    table = annexe4.from_csv((tmp_path / "out/consolidation-2025.csv").read_bytes())
    assert list(dict.fromkeys(table["code_departement"])) == ["07", "26"]
    page = (tmp_path / "out/consolidation-2025.html").read_text("utf-8")
    assert "Ardèche" in page and "Drôme" in page and "{{" not in page
    assert "<link" not in page and "http" not in page
    from iae_etat.report.consolidation import comparison

    total = comparison(table).set_index("code").loc["total"]
    nb = table[(table["indicateur"] == "nb_siae") & (table["type_siae"] == "ensemble")]
    assert total["nb_siae"] == (nb["valeur"].sum(), "publie")
    assert (tmp_path / "out/consolidation-2025.xlsx").stat().st_size > 0


@pytest.mark.parametrize(("change", "message"), [
    ({"millesime": "2024"}, "millésimes différents"),
    ({"version_contrat": "2027.1"}, "versions du contrat des indicateurs différents"),
    ({"version_annexe4": "1999.1"}, "versions du format de l'annexe 4 différents"),
])
def test_consolidate_refuses_what_is_not_comparable(built_demo, tmp_path, change, message):
    other = _other_departement(built_demo, tmp_path, **change)
    result = cli(["consolidate", str(built_demo), str(other), "--output", str(tmp_path / "out")])
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_consolidate_refuses_a_departement_twice_and_a_non_project(built_demo, tmp_path):
    result = cli(["consolidate", str(built_demo), str(built_demo / CSV), "-o", str(tmp_path)])
    assert result.returncode == 2 and "figure deux fois" in result.stderr
    result = cli(["consolidate", str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.returncode == 2 and "ni un dossier de projet" in result.stderr
